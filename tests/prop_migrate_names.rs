//! Properties of migration file names: the parser reads exactly what golang-migrate's
//! pattern `^([0-9]+)_(.*)\.(down|up)\.(.*)$` reads (a reference model written from that
//! pattern), and refuses a version that does not fit a `bigint` instead of wrapping it.

use proptest::prelude::*;
use txova_db::__private::entry::parse_migration_name;
use txova_db::ErrorKind;

/// golang-migrate's pattern, by hand: the leading digits, `_`, then the title up to the last
/// `.up.` or `.down.` (its `.*` is greedy), then any extension.
fn model(name: &str) -> Option<(&str, &str, bool)> {
    let (digits, rest) = name.split_once('_')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let marker = (0..rest.len())
        .rev()
        .filter(|i| rest.is_char_boundary(*i))
        .find_map(|i| {
            let tail = &rest[i..];
            if tail.starts_with(".up.") {
                Some((i, true))
            } else if tail.starts_with(".down.") {
                Some((i, false))
            } else {
                None
            }
        })?;
    Some((digits, &rest[..marker.0], marker.1))
}

/// Names built from the pieces that matter: digits (some too large for a `bigint`), an
/// underscore or not, titles holding dots and direction words, an extension or none. No
/// newline: Go's `.` does not match one, and a file name never holds one.
fn name() -> impl Strategy<Value = String> {
    let version = prop_oneof!["[0-9]{0,3}", "[0-9]{18,21}", "[a-z]?[0-9]{1,3}"];
    let title = "(up|down|\\.|_|[a-zé ]){0,6}";
    let marker = prop_oneof![
        Just(".up."),
        Just(".down."),
        Just(".upx."),
        Just(".up"),
        Just("."),
    ];
    let ext = "(sql|psql|up\\.sql|down\\.|)";
    (version, prop::bool::ANY, title, marker, ext).prop_map(|(v, underscore, t, m, e)| {
        format!("{v}{}{t}{m}{e}", if underscore { "_" } else { "" })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]

    #[test]
    fn names_are_read_as_golang_migrate_reads_them(name in name()) {
        let parsed = parse_migration_name(&name);
        match model(&name) {
            None => prop_assert!(matches!(parsed, Ok(None)), "{:?}: {:?}", name, parsed),
            Some((digits, title, up)) => {
                if let Ok(version) = digits.parse::<i64>() {
                    let version = u64::try_from(version).unwrap();
                    prop_assert_eq!(parsed.ok(), Some(Some((version, title, up))), "{:?}", name);
                } else {
                    let err = parsed.err();
                    prop_assert_eq!(err.as_ref().map(txova_db::Error::kind), Some(ErrorKind::Migration));
                    let text = err.map(|e| e.to_string()).unwrap_or_default();
                    prop_assert!(text.contains(digits), "{}", text);
                }
            }
        }
    }
}

#[test]
fn the_largest_bigint_is_the_last_version() {
    assert_eq!(
        parse_migration_name("9223372036854775807_last.up.sql").unwrap(),
        Some((9_223_372_036_854_775_807, "last", true))
    );
    assert!(parse_migration_name("9223372036854775808_next.up.sql").is_err());
}
