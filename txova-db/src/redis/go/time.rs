//! `chrono::DateTime<Utc>` as Go writes `time.Time`: RFC 3339 with the fraction of a second
//! written with as many digits as it needs, trailing zeros trimmed (`2024-05-01T10:20:30.1234Z`,
//! `2024-05-01T10:20:30Z`), Go's `time.RFC3339Nano`.
//!
//! Writing is byte-identical to Go's for a UTC time. Reading accepts any RFC 3339 offset, as
//! Go writes a time in its own location, and converts it to UTC. As Go's `MarshalJSON`, a
//! year outside 0..=9999 is an error.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// Writes `time` as Go's RFC 3339 with trimmed nanoseconds.
pub fn serialize<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format::<S::Error>(time)?)
}

/// Reads an RFC 3339 time in any offset.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    parse(&std::borrow::Cow::<'de, str>::deserialize(deserializer)?)
}

fn format<E: serde::ser::Error>(time: &DateTime<Utc>) -> Result<String, E> {
    let year = time.year();
    if !(0..=9999).contains(&year) {
        return Err(E::custom(format_args!(
            "year {year} is outside of range [0,9999], which Go's time.Time refuses in JSON"
        )));
    }
    let mut out = format!(
        "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        time.month(),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    );
    // A leap second has no place in Go's time; it is written as the second's last nanosecond.
    let nanos = time.nanosecond().min(999_999_999);
    if nanos > 0 {
        let digits = format!(".{nanos:09}");
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('Z');
    Ok(out)
}

fn parse<E: serde::de::Error>(text: &str) -> Result<DateTime<Utc>, E> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            E::custom(format_args!(
                "not an RFC 3339 time as Go writes time.Time: {e}"
            ))
        })
}

/// `Option<DateTime<Utc>>` as Go writes a `*time.Time`: `None` is `null`.
pub mod option {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `Some` as Go's RFC 3339 and `None` as `null`.
    #[allow(
        clippy::ref_option,
        reason = "serde's `with` passes the field by reference"
    )]
    pub fn serialize<S: Serializer>(
        time: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match time {
            Some(t) => serializer.serialize_str(&super::format::<S::Error>(t)?),
            None => serializer.serialize_none(),
        }
    }

    /// Reads an RFC 3339 time, or `null` as `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<std::borrow::Cow<'de, str>>::deserialize(deserializer)?
            .map(|t| super::parse(&t))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct T {
        #[serde(with = "super")]
        t: DateTime<Utc>,
        #[serde(with = "super::option")]
        o: Option<DateTime<Utc>>,
    }

    fn at(nanos: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 1, 10, 20, 30).unwrap()
            + chrono::Duration::nanoseconds(i64::from(nanos))
    }

    #[test]
    fn as_go_writes_and_reads_it() {
        // What json.Marshal writes for the same UTC time.Time values.
        for (t, json) in [
            (at(123_400_000), "2024-05-01T10:20:30.1234Z"),
            (at(0), "2024-05-01T10:20:30Z"),
            (at(1), "2024-05-01T10:20:30.000000001Z"),
            (at(500_000_000), "2024-05-01T10:20:30.5Z"),
            (
                Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap(),
                "0001-01-01T00:00:00Z",
            ),
        ] {
            let v = T { t, o: Some(t) };
            let expected = format!(r#"{{"t":"{json}","o":"{json}"}}"#);
            assert_eq!(serde_json::to_string(&v).unwrap(), expected);
            assert_eq!(serde_json::from_str::<T>(&expected).unwrap(), v);
        }
        // Go writes a time in its location; read as the same instant.
        let v: T =
            serde_json::from_str(r#"{"t":"2024-05-01T12:20:30.1234+02:00","o":null}"#).unwrap();
        assert_eq!(v.t, at(123_400_000));
        assert_eq!(v.o, None);
        for bad in [r#"{"t":"2024-05-01","o":null}"#, r#"{"t":1,"o":null}"#] {
            assert!(serde_json::from_str::<T>(bad).is_err(), "{bad}");
        }
        let far = T {
            t: Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap(),
            o: None,
        };
        assert!(serde_json::to_string(&far).is_err());
    }
}
