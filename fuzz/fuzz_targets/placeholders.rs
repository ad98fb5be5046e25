//! The `?` placeholder scanner and the fragment check: any text is either refused with an
//! error or rewritten consistently, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use txova_db::__private::entry::{check_placeholders, rewrite_placeholders};

fuzz_target!(|data: &[u8]| {
    let Ok(fragment) = std::str::from_utf8(data) else {
        return;
    };
    let first = data.first().map_or(1, |b| usize::from(*b) + 1);
    match rewrite_placeholders(fragment, first) {
        Ok((out, scanned)) => {
            assert!(check_placeholders(fragment, scanned.placeholders).is_ok());
            assert!(check_placeholders(fragment, scanned.placeholders + 1).is_err());
            // Every placeholder became `$n`: the rewrite holds at least as many `$`.
            assert!(out.matches('$').count() >= scanned.placeholders);
            if !fragment.contains('?') {
                assert_eq!(out, fragment);
            }
        }
        Err(e) => assert_eq!(e.kind(), txova_db::ErrorKind::InvalidInput),
    }
});
