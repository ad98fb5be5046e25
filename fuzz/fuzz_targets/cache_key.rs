//! `CacheKey::parse` and key segments: a parsed key is kept as written; a value escaped into a
//! segment never adds a segment and, when valid, makes a key that parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use txova_db::redis::__private::KeyBuilder;
use txova_db::redis::CacheKey;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = CacheKey::<()>::parse(text) {
        assert_eq!(key.as_str(), text);
        assert!(key.check().is_ok());
        assert!(!text.contains(['{', '}']));
    }
    let mut b = KeyBuilder::new(0);
    b.literal("svc:entity:");
    b.param("v", text);
    let key: CacheKey<()> = b.finish();
    assert_eq!(key.as_str().split(':').count(), 3);
    if key.check().is_ok() {
        assert!(
            CacheKey::<()>::parse(key.as_str()).is_ok(),
            "{:?}",
            key.as_str()
        );
    }
});
