//! Connection strings (URLs and `key=value` pairs, with the library's and golang-migrate's
//! options): parsed or refused with a configuration error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use txova_db::__private::entry::parse_conn_string;

fuzz_target!(|data: &[u8]| {
    let Ok(url) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = parse_conn_string(url) {
        assert_eq!(e.kind(), txova_db::ErrorKind::Config, "{url:?}: {e}");
    }
    // The same text as the query of a URL, where the options live.
    let _ = parse_conn_string(&format!("postgres://u@h/db?{url}"));
});
