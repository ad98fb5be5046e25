//! JSON as Go's `encoding/json` writes it, so a Go service and a Rust service read and write
//! the same cache entries: strings escaped as `json.Marshal` escapes them, and floats written
//! in Go's shortest form (`1`, not `1.0`; `1e+21`, `1.5e-7`).
//!
//! Struct fields come out in declaration order, as Go writes them. Maps come out sorted by
//! their keys' JSON text compared byte by byte, as Go sorts them: integer keys as strings
//! (`"1"`, `"10"`, `"2"`), whatever the map type (`HashMap`, `BTreeMap`). NaN and ±Inf are
//! an error, as Go's `json.Marshal` refuses them, instead of `serde_json`'s `null`.

use std::fmt::Write as _;
use std::io;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorKind, Result};

mod go_order;

/// Serializes `value` to compact JSON, escaping `<`, `>`, `&`, U+2028 and U+2029 as
/// `json.Marshal` does, so the bytes match what a Go service stores for the same value.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    encode_raw(value)
        .map_err(|e| Error::with_source(ErrorKind::Encode, "cannot encode the value as json", e))
}

/// [`encode`] with `serde_json`'s error, for nested values.
fn encode_raw<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    go_order::Go(value).serialize(&mut ser)?;
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

    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        let abs = value.abs();
        let digits = shortest(value);
        if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
            write_go_exponent(writer, &digits)
        } else {
            write_fixed(writer, &digits)
        }
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        let abs = value.abs();
        let digits = shortest(value);
        if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
            write_go_exponent(writer, &digits)
        } else {
            write_fixed(writer, &digits)
        }
    }
}

/// The shortest digits that read back as `value`, in Rust's exponent form (`-3.5e6`), with
/// Go's choice where two decimals of that length are exactly as close: Rust's shortest
/// formatting rounds such a tie up, Go's `strconv` to the even digit (`3057758.25_f32` is
/// `3057758.2` in Go, `3057758.3` in Rust), so the tie is settled here as Go settles it.
fn shortest<F>(value: F) -> String
where
    F: Copy + PartialEq + std::fmt::LowerExp + std::str::FromStr,
{
    let rust = format!("{value:e}");
    let (mantissa, _) = rust.split_once('e').unwrap_or((&rust, "0"));
    let n = mantissa.bytes().filter(u8::is_ascii_digit).count();
    // A tie needs the exact value to end one digit later, in a 5: first the cheap look at
    // that digit, then the exact expansion (at most 767 significant digits for an f64).
    let one_more = format!("{value:.n$e}");
    if !one_more
        .split_once('e')
        .is_some_and(|(m, _)| m.ends_with('5'))
    {
        return rust;
    }
    let exact = format!("{value:.800e}");
    let Some((exact_mantissa, exact_exp)) = exact.split_once('e') else {
        return rust;
    };
    let digits: Vec<u8> = exact_mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    let significant = digits.iter().rposition(|d| *d != 0).map_or(0, |i| i + 1);
    if significant != n + 1 || digits[n] != 5 {
        return rust;
    }
    let Ok(mut exp) = exact_exp.parse::<i32>() else {
        return rust;
    };
    let mut even = digits[..n].to_vec();
    if even[n - 1] % 2 == 1 {
        // Round up: the next decimal of n digits, carrying (99 -> 100 moves the exponent).
        let mut i = n;
        loop {
            if i == 0 {
                even.insert(0, 1);
                even.pop();
                exp += 1;
                break;
            }
            i -= 1;
            if even[i] == 9 {
                even[i] = 0;
            } else {
                even[i] += 1;
                break;
            }
        }
    }
    while even.len() > 1 && even.last() == Some(&0) {
        even.pop();
    }
    let sign = if exact.starts_with('-') { "-" } else { "" };
    let mut text = format!("{sign}{}", even[0]);
    if even.len() > 1 {
        text.push('.');
        text.extend(even[1..].iter().map(|d| char::from(b'0' + d)));
    }
    let _ = write!(text, "e{exp}");
    // Both decimals are in the round trip interval but at its edge: keep Rust's if the even
    // one would not read back.
    if text.parse::<F>().is_ok_and(|v| v == value) {
        text
    } else {
        rust
    }
}

/// Writes Rust's exponent form (`-3.5e-1`) in fixed notation (`-0.35`), as Go's `strconv`
/// `'f'` format with the shortest digits.
fn write_fixed<W: ?Sized + io::Write>(writer: &mut W, rust: &str) -> io::Result<()> {
    let (mantissa, exp) = rust.split_once('e').unwrap_or((rust, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    writer.write_all(sign.as_bytes())?;
    if let Ok(point) = usize::try_from(exp) {
        let int_len = point + 1;
        if digits.len() <= int_len {
            writer.write_all(digits.as_bytes())?;
            writer.write_all("0".repeat(int_len - digits.len()).as_bytes())
        } else {
            write!(writer, "{}.{}", &digits[..int_len], &digits[int_len..])
        }
    } else {
        let zeros = usize::try_from(-exp - 1).unwrap_or(0);
        write!(writer, "0.{}{digits}", "0".repeat(zeros))
    }
}

/// Writes Rust's shortest exponent form (`1.5e-7`, `1e21`) as Go's `strconv` `'e'` format
/// after `encoding/json`'s clean-up: a sign on the exponent, at least two digits when it is
/// positive (`1e+21`), none added when negative (`1.5e-7`).
fn write_go_exponent<W: ?Sized + io::Write>(writer: &mut W, rust: &str) -> io::Result<()> {
    let (mantissa, exp) = rust.split_once('e').unwrap_or((rust, "0"));
    writer.write_all(mantissa.as_bytes())?;
    match exp.strip_prefix('-') {
        Some(digits) => write!(writer, "e-{digits}"),
        None if exp.len() < 2 => write!(writer, "e+0{exp}"),
        None => write!(writer, "e+{exp}"),
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

    #[derive(Serialize)]
    struct Rating {
        score: f64,
        weight: f32,
        votes: Option<f64>,
    }

    #[test]
    fn floats_match_go_json_marshal() {
        // What `json.Marshal` of each float64 returns.
        let cases: [(f64, &str); 16] = [
            (1.0, "1"),
            (0.5, "0.5"),
            (-2.25, "-2.25"),
            (4.87, "4.87"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123_456_789.0, "123456789"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (1e-6, "0.000001"),
            (1.5e-7, "1.5e-7"),
            (1e-10, "1e-10"),
            (5e-324, "5e-324"),
            (0.0, "0"),
            (-0.0, "-0"),
        ];
        for (value, go) in cases {
            assert_eq!(
                String::from_utf8(encode(&value).unwrap()).unwrap(),
                go,
                "{value:?}"
            );
            assert_eq!(
                decode::<f64>(go.as_bytes()).unwrap().to_bits(),
                value.to_bits()
            );
        }
        // float32 fields, formatted at float32 precision as Go does.
        let cases: [(f32, &str); 4] = [
            (0.1, "0.1"),
            (16_777_216.0, "16777216"),
            (1e21, "1e+21"),
            (f32::MAX, "3.4028235e+38"),
        ];
        for (value, go) in cases {
            assert_eq!(
                String::from_utf8(encode(&value).unwrap()).unwrap(),
                go,
                "{value:?}"
            );
        }
        // Inside a struct, next to other fields.
        let r = Rating {
            score: 5.0,
            weight: 0.25,
            votes: None,
        };
        assert_eq!(
            encode(&r).unwrap(),
            br#"{"score":5,"weight":0.25,"votes":null}"#
        );
    }

    #[test]
    fn non_finite_floats_are_refused() {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let e = encode(&v).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Encode);
            let e = encode(&vec![Some(1.0), Some(v)]).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Encode);
            let r = Rating {
                score: v,
                weight: 1.0,
                votes: None,
            };
            assert_eq!(encode(&r).unwrap_err().kind(), ErrorKind::Encode);
        }
        assert_eq!(encode(&f32::NAN).unwrap_err().kind(), ErrorKind::Encode);
        let mut m = std::collections::HashMap::new();
        m.insert("a", f64::INFINITY);
        assert_eq!(encode(&m).unwrap_err().kind(), ErrorKind::Encode);
    }

    #[derive(Serialize)]
    #[allow(dead_code, reason = "variants are only serialized")]
    enum Shape {
        Unit,
        New(std::collections::HashMap<u8, u8>),
        Tuple(u8, f64),
        Struct { b: u8, a: u8 },
    }

    #[test]
    fn maps_are_sorted_as_go_sorts_them() {
        use std::collections::{BTreeMap, HashMap};
        // What json.Marshal writes for map[int]string{1:"a",2:"b",10:"c"}.
        let ints: BTreeMap<i32, &str> = [(1, "a"), (2, "b"), (10, "c"), (-1, "d")].into();
        assert_eq!(
            encode(&ints).unwrap(),
            br#"{"-1":"d","1":"a","10":"c","2":"b"}"#
        );
        let hashed: HashMap<u64, u8> = (0..20).map(|i| (i, 0)).collect();
        let text = String::from_utf8(encode(&hashed).unwrap()).unwrap();
        assert!(text.starts_with(r#"{"0":0,"1":0,"10":0,"11":0"#), "{text}");
        // String keys by bytes, escaped only when written; nested maps too.
        let mut nested: HashMap<&str, HashMap<&str, u8>> = HashMap::new();
        nested.insert("b", [("z", 1), ("<", 2)].into());
        nested.insert("a", [("é", 1), ("e", 2)].into());
        assert_eq!(
            String::from_utf8(encode(&nested).unwrap()).unwrap(),
            r#"{"a":{"e":2,"é":1},"b":{"\u003c":2,"z":1}}"#
        );
        // Struct fields stay in declaration order, in enums too.
        assert_eq!(
            encode(&Shape::Struct { b: 1, a: 2 }).unwrap(),
            br#"{"Struct":{"b":1,"a":2}}"#
        );
        assert_eq!(
            encode(&Shape::New([(10, 1), (9, 2)].into())).unwrap(),
            br#"{"New":{"10":1,"9":2}}"#
        );
        assert_eq!(
            encode(&Shape::Tuple(1, 0.5)).unwrap(),
            br#"{"Tuple":[1,0.5]}"#
        );
        assert_eq!(encode(&Shape::Unit).unwrap(), br#""Unit""#);
        // Keys that have no JSON string form are refused, as serde_json refuses them.
        let bad: HashMap<Vec<u8>, u8> = [(vec![1], 1)].into();
        assert_eq!(encode(&bad).unwrap_err().kind(), ErrorKind::Encode);
    }

    #[test]
    fn garbage_is_a_decode_error() {
        let e = decode::<User>(b"{not json").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
    }

    /// Found by the property test against Go's `json.Marshal` (`tests/prop_json.rs`): where
    /// the two shortest decimals are exactly as close, Go writes the even one.
    #[test]
    fn exact_ties_take_the_even_digit_as_go_does() {
        let f32_cases: [(u32, &str); 4] = [
            (0x4a3a_a179, "3057758.2"),
            (0x476c_d290, "60626.562"),
            (0xc89a_f1c4, "-317326.12"),
            (0x49cf_1b62, "1696620.2"),
        ];
        for (bits, go) in f32_cases {
            let v = f32::from_bits(bits);
            assert_eq!(String::from_utf8(encode(&v).unwrap()).unwrap(), go, "{v:?}");
            assert_eq!(decode::<f32>(go.as_bytes()).unwrap().to_bits(), bits);
        }
        let f64_cases: [(u64, &str); 2] = [
            (0xc2ee_0c6f_8a83_9d14, "-264310078315752.62"),
            (0xc313_0e19_41ba_6b5d, "-1340881549302487.2"),
        ];
        for (bits, go) in f64_cases {
            let v = f64::from_bits(bits);
            assert_eq!(String::from_utf8(encode(&v).unwrap()).unwrap(), go, "{v:?}");
            assert_eq!(decode::<f64>(go.as_bytes()).unwrap().to_bits(), bits);
        }
    }

    /// Found by the property test: without `serde_json`'s exact float parsing, this value
    /// came back one unit in the last place off.
    #[test]
    fn floats_read_back_exactly() {
        let v = 2.680_370_546_943_396_6e-7_f64;
        let text = encode(&v).unwrap();
        assert_eq!(text, b"2.6803705469433966e-7");
        assert_eq!(decode::<f64>(&text).unwrap().to_bits(), v.to_bits());
    }
    #[derive(Serialize)]
    struct Pair(u8, f64);

    #[derive(Serialize)]
    struct Meters(f64);

    #[derive(Serialize)]
    struct Note {
        id: u8,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    }

    #[derive(Serialize)]
    enum Event {
        Moved {
            to: u8,
            #[serde(skip_serializing_if = "Option::is_none")]
            note: Option<String>,
        },
    }

    #[derive(Serialize)]
    struct Ride {
        id: u8,
        #[serde(flatten)]
        extra: Extra,
    }

    #[derive(Serialize)]
    struct Extra {
        zone: u8,
        fare: f64,
    }

    #[test]
    fn tuples_newtypes_and_flattened_fields_follow_go_rules() {
        use std::collections::{BTreeMap, HashMap};
        // Tuples and tuple structs are arrays, a newtype struct is its value, as in Go.
        assert_eq!(encode(&(1u8, 0.5f64)).unwrap(), b"[1,0.5]");
        assert_eq!(encode(&Pair(2, 1e21)).unwrap(), b"[2,1e+21]");
        assert_eq!(encode(&Meters(1e-7)).unwrap(), b"1e-7");
        // The rules reach inside each of them: NaN is refused, maps are sorted.
        assert_eq!(
            encode(&(1u8, f64::NAN)).unwrap_err().kind(),
            ErrorKind::Encode
        );
        assert_eq!(
            encode(&Pair(1, f64::INFINITY)).unwrap_err().kind(),
            ErrorKind::Encode
        );
        assert_eq!(
            encode(&Meters(f64::NAN)).unwrap_err().kind(),
            ErrorKind::Encode
        );
        let map: HashMap<u16, u8> = [(10, 1), (9, 2)].into();
        assert_eq!(encode(&(map,)).unwrap(), br#"[{"10":1,"9":2}]"#);
        // A skipped field is left out, a flattened struct keeps its field order (a map of
        // unknown length, as Go keeps an embedded struct's fields in order).
        assert_eq!(encode(&Note { id: 1, note: None }).unwrap(), br#"{"id":1}"#);
        let moved = Event::Moved { to: 3, note: None };
        assert_eq!(encode(&moved).unwrap(), br#"{"Moved":{"to":3}}"#);
        let note = Note {
            id: 1,
            note: Some("<x>".to_owned()),
        };
        assert_eq!(
            encode(&note).unwrap(),
            br#"{"id":1,"note":"\u003cx\u003e"}"#
        );
        let ride = Ride {
            id: 1,
            extra: Extra { zone: 3, fare: 2.5 },
        };
        assert_eq!(encode(&ride).unwrap(), br#"{"id":1,"zone":3,"fare":2.5}"#);
        let ride = Ride {
            id: 1,
            extra: Extra {
                zone: 3,
                fare: f64::NAN,
            },
        };
        assert_eq!(encode(&ride).unwrap_err().kind(), ErrorKind::Encode);
        // Boolean keys are written as serde_json writes them, sorted like strings.
        let flags: BTreeMap<bool, u8> = [(true, 1), (false, 0)].into();
        assert_eq!(encode(&flags).unwrap(), br#"{"false":0,"true":1}"#);
        // Types that ask whether the format is human readable are written as text.
        let ip = std::net::IpAddr::from([127, 0, 0, 1]);
        assert_eq!(encode(&ip).unwrap(), br#""127.0.0.1""#);
    }
}
