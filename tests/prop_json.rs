//! Floats in the Go-compatible JSON the cache writes, against Go's formatting rules
//! (`encoding/json`: `strconv.FormatFloat(f, 'f' or 'e', -1, bits)`, the exponent form below
//! 1e-6 and from 1e21, `e-07` cleaned to `e-7`, NaN and ±Inf refused), as a reference model,
//! and against Go's own `json.Marshal` for thousands of values when Go is installed.

use std::fmt::Write as _;

use proptest::prelude::*;
use txova_db::__private::entry::{from_json, go_json};
use txova_db_tests::go::go_interop;

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `text` is Go's fixed form: `-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?`.
fn is_fixed(text: &str) -> bool {
    let t = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    is_digits(int)
        && (int == "0" || !int.starts_with('0'))
        && (frac.is_empty() || (is_digits(frac) && !frac.ends_with('0')))
        && !(t.contains('.') && frac.is_empty())
}

/// Whether `text` is Go's exponent form after `encoding/json`'s clean-up:
/// `-?[1-9](\.[0-9]*[1-9])?e(-[1-9][0-9]*|\+[0-9]{2,})`.
fn is_exponent(text: &str) -> bool {
    let t = text.strip_prefix('-').unwrap_or(text);
    let Some((mantissa, exp)) = t.split_once('e') else {
        return false;
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mantissa_ok = int.len() == 1
        && int != "0"
        && is_digits(int)
        && (frac.is_empty() || (is_digits(frac) && !frac.ends_with('0')))
        && !(mantissa.contains('.') && frac.is_empty());
    let exp_ok = match (exp.strip_prefix('-'), exp.strip_prefix('+')) {
        (Some(d), _) => is_digits(d) && !d.starts_with('0'),
        (_, Some(d)) => is_digits(d) && d.len() >= 2,
        _ => false,
    };
    mantissa_ok && exp_ok
}

/// The significant digits of a decimal text (sign, point and exponent dropped).
fn significant(text: &str) -> usize {
    let mantissa = text.split('e').next().unwrap_or(text);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_start_matches('0').trim_end_matches('0');
    digits.len().max(1)
}

/// Go's rules for the text of one float of `bits` (64 or 32) whose magnitude is `abs`: the
/// form (`exponent` or fixed), reading back as the same value (`same` parses at that width),
/// and no decimal with fewer significant digits reading back the same.
fn check_go_rules(
    bits: u32,
    exponent: bool,
    abs: f64,
    text: &str,
    same: impl Fn(&str) -> bool,
) -> Result<(), String> {
    let form_ok = if exponent {
        is_exponent(text)
    } else {
        is_fixed(text)
    };
    if !form_ok {
        return Err(format!(
            "{text:?} is not Go's {} form",
            if exponent { "exponent" } else { "fixed" }
        ));
    }
    if !same(text) {
        return Err(format!(
            "{text:?} does not read back as the same float{bits}"
        ));
    }
    // Shortest: no decimal with one significant digit fewer reads back as the same value.
    // The candidates are the two decimals of that length around it.
    let n = significant(text);
    if n > 1 {
        let shorter = n - 2;
        let rounded = format!("{abs:.shorter$e}");
        let (m, e) = rounded.split_once('e').unwrap_or((&rounded, "0"));
        let m: f64 = m.parse().map_err(|_| "mantissa")?;
        let step = 10f64.powi(-i32::try_from(shorter).unwrap_or(0));
        for candidate in [m - step, m, m + step] {
            let text = format!("{candidate:.shorter$}e{e}");
            if candidate > 0.0 && same(&text) {
                return Err(format!("{text} is shorter and reads back the same"));
            }
        }
    }
    Ok(())
}

fn check_f64(v: f64) -> Result<(), String> {
    let out = go_json(&v);
    if !v.is_finite() {
        return if out.is_err() {
            Ok(())
        } else {
            Err(format!("{v} was written"))
        };
    }
    let text = String::from_utf8(out.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    let back: f64 = from_json(text.as_bytes()).map_err(|e| e.to_string())?;
    if back.to_bits() != v.to_bits() && !(v == 0.0 && back == 0.0 && text == "-0") {
        return Err(format!("{text} reads back as {back}, not {v}"));
    }
    let abs = v.abs();
    let magnitude = text.trim_start_matches('-');
    // Go compares at the float's own width: `abs < 1e-6 || abs >= 1e21`.
    let exponent = abs != 0.0 && !(1e-6..1e21).contains(&abs);
    check_go_rules(64, exponent, abs, &text, |t| {
        t.trim_start_matches('-')
            .parse::<f64>()
            .is_ok_and(|p| p.to_bits() == abs.to_bits())
    })?;
    if v.is_sign_negative() != text.starts_with('-') || magnitude.is_empty() {
        return Err(format!("{text}: wrong sign for {v}"));
    }
    Ok(())
}

fn check_f32(v: f32) -> Result<(), String> {
    let out = go_json(&v);
    if !v.is_finite() {
        return if out.is_err() {
            Ok(())
        } else {
            Err(format!("{v} was written"))
        };
    }
    let text = String::from_utf8(out.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    let abs = v.abs();
    let exponent = abs != 0.0 && !(1e-6_f32..1e21_f32).contains(&abs);
    check_go_rules(32, exponent, f64::from(abs), &text, |t| {
        t.trim_start_matches('-')
            .parse::<f32>()
            .is_ok_and(|p| p.to_bits() == abs.to_bits())
    })?;
    if v.is_sign_negative() != text.starts_with('-') {
        return Err(format!("{text}: wrong sign for {v}"));
    }
    Ok(())
}

/// Floats near the edges of Go's two forms, and the usual suspects.
fn edges() -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.1,
        1.0 / 3.0,
        5e-324,
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        1e-6,
        1e-7,
        1e20,
        1e21,
        1e22,
        123_456_789.0,
        9_007_199_254_740_993.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    for edge in [1e-6_f64, 1e21] {
        let mut up = edge;
        let mut down = edge;
        for _ in 0..4 {
            up = f64::from_bits(up.to_bits() + 1);
            down = f64::from_bits(down.to_bits() - 1);
            v.extend([up, down, -up, -down]);
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn f64_follows_gos_rules(v in prop_oneof![any::<f64>(), any::<u64>().prop_map(f64::from_bits), -1e25..1e25f64, -1e-5..1e-5f64]) {
        check_f64(v).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn f32_follows_gos_rules(v in prop_oneof![any::<f32>(), any::<u32>().prop_map(f32::from_bits)]) {
        check_f32(v).map_err(TestCaseError::fail)?;
    }
}

#[test]
fn the_edges_follow_gos_rules() {
    for v in edges() {
        if let Err(e) = check_f64(v) {
            panic!("{v:e}: {e}");
        }
        #[allow(
            clippy::cast_possible_truncation,
            reason = "the f32 nearest, on purpose"
        )]
        let narrow = v as f32;
        if let Err(e) = check_f32(narrow) {
            panic!("{narrow:e}: {e}");
        }
    }
}

/// The same floats through Go's `json.Marshal`, byte for byte.
#[test]
fn the_bytes_match_gos_json_marshal() {
    let Some(go) = go_interop("the_bytes_match_gos_json_marshal") else {
        return;
    };
    let mut values: Vec<(u32, u64)> = edges().into_iter().map(|v| (64, v.to_bits())).collect();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..20_000u64 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let bits = match i % 4 {
            // Any bit pattern, and values of ordinary magnitudes where most data lives.
            0 => seed,
            1 => (f64::from_bits(seed >> 12 | 0x3ff0_0000_0000_0000) * 1e3).to_bits(),
            2 => (f64::from(u32::try_from(seed % 2_000_000).unwrap_or(0)) / 1e3).to_bits(),
            _ => u64::from(u32::try_from(seed >> 32).unwrap_or(0)),
        };
        values.push(if i % 4 == 3 { (32, bits) } else { (64, bits) });
    }
    let mut input = String::new();
    for (size, bits) in &values {
        let _ = writeln!(input, "{size} {bits:x}");
    }
    let dir = txova_db_tests::migrate::TempDir::new("prop_json");
    let file = dir.path().join("floats.txt");
    std::fs::write(&file, input).unwrap();
    let out = go.run(&["json-floats", &file.display().to_string()]);
    let lines: Vec<&str> = out.ok().lines().collect();
    assert_eq!(lines.len(), values.len());
    let mut differ = Vec::new();
    for ((size, bits), go_text) in values.iter().zip(lines) {
        let ours = if *size == 32 {
            go_json(&f32::from_bits(u32::try_from(*bits).unwrap()))
        } else {
            go_json(&f64::from_bits(*bits))
        };
        let ours = ours.map_or_else(|_| "error".to_owned(), |b| String::from_utf8(b).unwrap());
        if ours != go_text {
            differ.push(format!("float{size} {bits:#x}: go {go_text}, ours {ours}"));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} differ:\n{}",
        differ.len(),
        values.len(),
        differ[..differ.len().min(20)].join("\n")
    );
}
