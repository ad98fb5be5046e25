//! Properties of Redis key segments: `CacheKey::parse` accepts exactly the keys of the one key
//! rule (a reference model written from the rule's text), and a value escaped into a segment
//! by `cache_keys!` (through the builder its expansion calls) always makes a valid key from
//! which the value reads back unchanged.

use proptest::prelude::*;
use txova_db::redis::__private::KeyBuilder;
use txova_db::redis::CacheKey;

/// The rule, as written in `txova_db_core::key`: at least two segments separated by `:`,
/// none empty, none holding `{`, `}`, whitespace or a control character.
fn model_accepts(key: &str) -> bool {
    key.contains(':')
        && key.split(':').all(|segment| {
            !segment.is_empty()
                && segment
                    .chars()
                    .all(|c| c != '{' && c != '}' && !c.is_whitespace() && !c.is_control())
        })
}

/// Undoes the segment escape: `%25`, `%3A`, `%7B`, `%7D` back to `%`, `:`, `{`, `}`.
fn unescape(segment: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = segment;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let c = match rest.get(i + 1..i + 3)? {
            "25" => '%',
            "3A" => ':',
            "7B" => '{',
            "7D" => '}',
            _ => return None,
        };
        out.push(c);
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Some(out)
}

/// Keys made of likely troublemakers: separators, braces, spaces, controls, `%`, non-ASCII.
fn key_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9:{}% \t\u{0}\u{7f}\u{85}\u{a0}\u{2028}é_-]{0,24}",
        "\\PC{0,24}",
        "[a-z]{1,5}(:[a-z0-9%é-]{1,5}){0,4}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]

    #[test]
    fn parse_accepts_exactly_the_rule(key in key_text()) {
        let parsed = CacheKey::<()>::parse(key.clone());
        prop_assert_eq!(parsed.is_ok(), model_accepts(&key), "key {:?}: {:?}", key, parsed.err());
        if let Ok(k) = parsed {
            prop_assert_eq!(k.as_str(), key.as_str());
            prop_assert!(k.check().is_ok());
            // A parsed key parses again to itself.
            prop_assert_eq!(CacheKey::<()>::parse(k.into_string()).map(CacheKey::into_string).ok(), Some(key));
        }
    }

    #[test]
    fn an_escaped_value_round_trips_through_its_segment(value in "\\PC{0,16}|[:{}% a-z]{0,12}") {
        let mut b = KeyBuilder::new(0);
        b.literal("svc:user:");
        b.param("id", value.as_str());
        b.literal(":page:");
        b.param("page", &7_u32);
        let key: CacheKey<()> = b.finish();
        let segments: Vec<&str> = key.as_str().split(':').collect();
        // The value never adds or removes a segment.
        prop_assert_eq!(segments.len(), 5, "{:?}", key.as_str());
        prop_assert_eq!(unescape(segments[2]), Some(value.clone()));
        prop_assert_eq!(segments[4], "7");
        let valid = !value.is_empty() && !value.chars().any(|c| c.is_whitespace() || c.is_control());
        prop_assert_eq!(key.check().is_ok(), valid, "{:?}", value);
        if valid {
            // A valid value makes a key that `parse` accepts as written.
            prop_assert!(CacheKey::<()>::parse(key.as_str()).is_ok(), "{:?}", key.as_str());
        }
    }

    #[test]
    fn distinct_values_make_distinct_keys(a in "[:%{}a-z3A7BD]{1,8}", b in "[:%{}a-z3A7BD]{1,8}") {
        prop_assume!(a != b);
        let key = |v: &str| {
            let mut k = KeyBuilder::new(0);
            k.literal("svc:e:");
            k.param("v", v);
            k.finish::<()>().into_string()
        };
        prop_assert_ne!(key(&a), key(&b));
    }
}
