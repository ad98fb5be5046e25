//! `Vec<u8>` as Go writes `[]byte`: a string in standard base64 with padding (`"AQID"`).
//!
//! Reading accepts `null` as an empty vector, as Go reads `null` into a nil slice, and, as
//! Go's decoder does, unused bits in the last character.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Deserializer, Serializer};

/// Go's `base64.StdEncoding` as `encoding/json` uses it.
const GO_STD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// Writes `bytes` as a base64 string.
pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&GO_STD.encode(bytes))
}

/// Reads a base64 string (or `null`, as an empty vector).
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    Ok(option::deserialize(deserializer)?.unwrap_or_default())
}

fn decode<E: serde::de::Error>(text: &str) -> Result<Vec<u8>, E> {
    GO_STD
        .decode(text)
        .map_err(|e| E::custom(format_args!("not standard base64 as Go writes []byte: {e}")))
}

/// `Option<Vec<u8>>` as Go writes a `[]byte` that may be nil: `None` is `null`.
pub mod option {
    use super::{Deserialize, Deserializer, GO_STD, Serializer};
    use base64::Engine as _;

    /// Writes `Some` as a base64 string and `None` as `null`.
    #[allow(
        clippy::ref_option,
        reason = "serde's `with` passes the field by reference"
    )]
    pub fn serialize<S: Serializer>(
        bytes: &Option<Vec<u8>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => serializer.serialize_str(&GO_STD.encode(b)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a base64 string, or `null` as `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<std::borrow::Cow<'de, str>>::deserialize(deserializer)? {
            Some(text) => super::decode(&text).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct B {
        #[serde(with = "super")]
        b: Vec<u8>,
        #[serde(with = "super::option")]
        o: Option<Vec<u8>>,
    }

    #[test]
    fn as_go_writes_and_reads_it() {
        // What json.Marshal writes for struct{ B, O []byte } with these values.
        for (b, o, json) in [
            (vec![1, 2, 3], None, r#"{"b":"AQID","o":null}"#),
            (vec![], Some(vec![0xff]), r#"{"b":"","o":"/w=="}"#),
            (
                b"hello?>".to_vec(),
                Some(vec![]),
                r#"{"b":"aGVsbG8/Pg==","o":""}"#,
            ),
        ] {
            let v = B { b, o };
            assert_eq!(serde_json::to_string(&v).unwrap(), json);
            assert_eq!(serde_json::from_str::<B>(json).unwrap(), v);
        }
        // Go reads null into a nil slice, and unused trailing bits.
        let v: B = serde_json::from_str(r#"{"b":null,"o":"/x=="}"#).unwrap();
        assert_eq!(v.b, Vec::<u8>::new());
        assert_eq!(v.o, Some(vec![0xff]));
        for bad in [
            r#"{"b":"AQI","o":null}"#,
            r#"{"b":"A_ID","o":null}"#,
            r#"{"b":[1],"o":null}"#,
        ] {
            assert!(serde_json::from_str::<B>(bad).is_err(), "{bad}");
        }
    }
}
