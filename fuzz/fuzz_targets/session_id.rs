//! Session ids as a client sends them: only 48 lowercase hex digits are read, anything else
//! is an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use txova_db::__private::entry::session_id_masked_tag;

fuzz_target!(|data: &[u8]| {
    let Ok(id) = std::str::from_utf8(data) else {
        return;
    };
    match session_id_masked_tag(id) {
        Ok(tag) => {
            assert_eq!(id.len(), 48);
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            );
            let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(&id[32..], hex);
        }
        Err(e) => assert_eq!(e.kind(), txova_db::ErrorKind::InvalidInput),
    }
});
