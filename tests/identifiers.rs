//! The macros (at compile time) and the run-time builder quote identifiers with the one rule
//! of `txova_db_core::ident`, so one name is written the same way by both.

use txova_db::{Table, select};

/// A table whose name and columns are reserved words or need quotes.
#[derive(Table)]
#[table(name = "order")]
#[allow(dead_code, reason = "only the SQL written for the table is read")]
struct Order {
    #[column(primary_key)]
    id: i64,
    between: i32,
    user: String,
    #[column(name = "createdAt")]
    created_at: i64,
}

#[test]
fn macros_and_builder_quote_the_same_names() {
    let typed = select!(id, between, user, created_at from Order).sql();
    let (built, _) = txova_db::postgres::select("order")
        .columns(["id", "between", "user", "createdAt"])
        .build()
        .unwrap();
    assert_eq!(typed, built);
    assert_eq!(
        built,
        "SELECT id, \"between\", \"user\", \"createdAt\" FROM \"order\""
    );
}

#[test]
fn the_builder_quotes_reserved_words() {
    let (sql, _) = txova_db::postgres::select("order")
        .columns(["between", "user", "id"])
        .build()
        .unwrap();
    assert_eq!(sql, "SELECT \"between\", \"user\", id FROM \"order\"");
}
