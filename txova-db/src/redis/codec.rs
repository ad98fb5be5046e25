//! JSON as Go's `encoding/json` writes it, so a Go service and a Rust service read and write
//! the same cache entries.

use std::io;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorKind, Result};

/// Serializes `value` to compact JSON, escaping `<`, `>`, `&`, U+2028 and U+2029 as
/// `json.Marshal` does, so the bytes match what a Go service stores for the same value.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    value
        .serialize(&mut ser)
        .map_err(|e| Error::with_source(ErrorKind::Encode, "cannot encode the value as json", e))?;
    Ok(out)
}

/// Deserializes JSON written by [`encode`] or by Go's `json.Marshal`.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes)
        .map_err(|e| Error::with_source(ErrorKind::Decode, "cannot decode the cached json", e))
}

struct GoFormatter;

impl serde_json::ser::Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let escaped: &[u8] = match c {
                '<' => b"\\u003c",
                '>' => b"\\u003e",
                '&' => b"\\u0026",
                '\u{2028}' => b"\\u2028",
                '\u{2029}' => b"\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..i])?;
            writer.write_all(escaped)?;
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
    struct User {
        #[serde(rename = "ID")]
        id: u32,
        #[serde(rename = "Name")]
        name: String,
        #[serde(rename = "Tags")]
        tags: Vec<String>,
    }

    #[test]
    fn bytes_match_go_json_marshal() {
        let u = User {
            id: 7,
            name: "Ana <a&b> \u{2028}é\"\n".to_owned(),
            tags: vec![],
        };
        // What `json.Marshal` of the equivalent Go struct returns.
        let go = r#"{"ID":7,"Name":"Ana \u003ca\u0026b\u003e \u2028é\"\n","Tags":[]}"#.as_bytes();
        assert_eq!(encode(&u).unwrap(), go);
        assert_eq!(decode::<User>(go).unwrap(), u);
    }

    #[test]
    fn garbage_is_a_decode_error() {
        let e = decode::<User>(b"{not json").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
    }
}
