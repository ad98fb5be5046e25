//! `verify_schema`: every difference between the structs and the catalog is listed.

#[path = "typed_model.rs"]
mod model;

use model::{DDL, Post, User};
use txova_db::postgres::{SchemaDifference, TableInfo, verify_schema, verify_tables};
use txova_db::testing::TestDatabase;

#[tokio::test]
async fn matching_tables_have_no_difference() {
    let db = TestDatabase::create("typed_verify_ok").await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.get().await.unwrap().batch_execute(DDL).await.unwrap();
    let diffs = verify_tables(&pool, &[TableInfo::of::<User>(), TableInfo::of::<Post>()])
        .await
        .unwrap();
    assert!(diffs.is_empty(), "{diffs:?}");
}

#[tokio::test]
async fn every_difference_is_listed() {
    let db = TestDatabase::create("typed_verify_diff").await.unwrap();
    let pool = db.pool().await.unwrap();
    assert_eq!(
        verify_schema::<User>(&pool).await.unwrap(),
        vec![SchemaDifference::MissingTable {
            table: "users".to_owned()
        }]
    );
    // No `email`, `age` is text, `status` is nullable, `bio` is NOT NULL, `id` has no
    // default, and `extra` is required but unmapped.
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE users (id int8 PRIMARY KEY, name text NOT NULL, status text,
               age text NOT NULL, bio text NOT NULL, created_at timestamptz NOT NULL,
               extra int4 NOT NULL)",
        )
        .await
        .unwrap();
    let diffs = verify_schema::<User>(&pool).await.unwrap();
    let t = || "users".to_owned();
    let c = |s: &str| s.to_owned();
    assert_eq!(
        diffs,
        vec![
            SchemaDifference::MissingDefault {
                table: t(),
                column: c("id")
            },
            SchemaDifference::MissingColumn {
                table: t(),
                column: c("email")
            },
            SchemaDifference::NullableColumn {
                table: t(),
                column: c("status")
            },
            SchemaDifference::WrongType {
                table: t(),
                column: c("age"),
                rust_type: "i32",
                sql_type: c("text")
            },
            SchemaDifference::NotNullColumn {
                table: t(),
                column: c("bio")
            },
            SchemaDifference::UnmappedColumn {
                table: t(),
                column: c("extra")
            },
        ]
    );
    assert_eq!(
        diffs[3].to_string(),
        "column `users.age` has type `text`, which a `i32` field cannot read"
    );
}
