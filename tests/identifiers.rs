//! The macros (at compile time) and the run-time builder quote identifiers with the same list
//! of reserved words, so one name is written the same way by both.

use std::path::Path;

fn reserved_words(file: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("const RESERVED").expect("a RESERVED list");
    let end = start + text[start..].find("];").unwrap();
    let mut words: Vec<String> = text[start..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    words.sort();
    words
}

#[test]
fn macros_and_builder_reserve_the_same_words() {
    let macros = reserved_words("txova-db-macros/src/common.rs");
    let runtime = reserved_words("txova-db/src/postgres/ident.rs");
    assert!(runtime.len() > 90, "the list was read: {runtime:?}");
    assert_eq!(macros, runtime);
}

#[test]
fn the_builder_quotes_reserved_words() {
    let (sql, _) = txova_db::postgres::select("order")
        .columns(["between", "user", "id"])
        .build()
        .unwrap();
    assert_eq!(sql, "SELECT \"between\", \"user\", id FROM \"order\"");
}
