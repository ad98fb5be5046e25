//! The Go-compatible JSON writer: any JSON value it reads, it writes back to JSON that reads as
//! the same value; any float is written so it reads back bit for bit, or refused when not
//! finite.
#![no_main]

use libfuzzer_sys::fuzz_target;
use txova_db::__private::entry::{from_json, go_json};

fuzz_target!(|data: &[u8]| {
    if data.len() >= 8 {
        let mut bits = [0u8; 8];
        bits.copy_from_slice(&data[..8]);
        let v = f64::from_le_bytes(bits);
        match go_json(&v) {
            Ok(text) => {
                let back: f64 = from_json(&text).expect("its own float reads back");
                assert!(
                    back.to_bits() == v.to_bits(),
                    "{v:e} -> {}",
                    String::from_utf8_lossy(&text)
                );
            }
            Err(_) => assert!(!v.is_finite()),
        }
        let w = f32::from_le_bytes([bits[0], bits[1], bits[2], bits[3]]);
        if let Ok(text) = go_json(&w) {
            let back: f32 = from_json(&text).expect("its own float reads back");
            assert!(
                back.to_bits() == w.to_bits(),
                "{w:e} -> {}",
                String::from_utf8_lossy(&text)
            );
        }
    }
    if let Ok(value) = from_json::<serde_json::Value>(data) {
        let text = go_json(&value).expect("a JSON value is written");
        let back: serde_json::Value = from_json(&text).expect("its own output reads back");
        // Go writes the float -1.0 as `-1`, which reads back as an integer: numbers are
        // compared as numbers.
        assert_eq!(
            numbers(back),
            numbers(value),
            "{}",
            String::from_utf8_lossy(&text)
        );
    }
});

fn numbers(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Number(n), Value::Number),
        Value::Array(a) => Value::Array(a.into_iter().map(numbers).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, numbers(v))).collect()),
        other => other,
    }
}
