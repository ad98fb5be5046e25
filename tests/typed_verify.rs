//! `verify_schema`: every difference between the structs and the catalog is listed.

#[path = "typed_model.rs"]
mod model;

use model::{DDL, Post, User};
use txova_db::postgres::{Executor, SchemaDifference, TableInfo, verify_schema, verify_tables};
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

/// PostgreSQL 18 lets a `NOT NULL` constraint be added `NOT VALID`: new rows must have a
/// value, but rows already there may still hold `NULL`. Reading such a column into a field
/// that is not an `Option` fails on those rows, and writing `None` from an `Option` field
/// fails too.
#[tokio::test]
async fn a_not_valid_not_null_column_is_nullable_for_reads_and_not_null_for_writes() {
    let db = TestDatabase::create("typed_verify_not_valid")
        .await
        .unwrap();
    let pool = db.pool().await.unwrap();
    let server: i32 = pool
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .await
        .unwrap()
        .get(0);
    if server < 180_000 {
        eprintln!("skipped: NOT VALID not-null constraints need PostgreSQL 18 (this is {server})");
        return;
    }
    // `status` (a `String` field) and `bio` (an `Option<String>` field) are nullable, hold a
    // `NULL`, then get a `NOT NULL` constraint that is not validated.
    pool.get()
        .await
        .unwrap()
        .batch_execute(&DDL.replace("status text NOT NULL", "status text"))
        .await
        .unwrap();
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "INSERT INTO users (name, email, age, created_at) VALUES ('a', 'a@x', 1, now());
             ALTER TABLE users ADD CONSTRAINT users_status_nn NOT NULL status NOT VALID;
             ALTER TABLE users ADD CONSTRAINT users_bio_nn NOT NULL bio NOT VALID;",
        )
        .await
        .unwrap();
    let t = || "users".to_owned();
    assert_eq!(
        verify_schema::<User>(&pool).await.unwrap(),
        vec![
            SchemaDifference::NullableColumn {
                table: t(),
                column: "status".to_owned()
            },
            SchemaDifference::NotNullColumn {
                table: t(),
                column: "bio".to_owned()
            },
        ]
    );
    // Once validated, the constraint holds for every row: no difference for `status`. (The
    // update must fill `bio` too: a changed row is a new row.)
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "UPDATE users SET status = 'active', bio = '';
             ALTER TABLE users VALIDATE CONSTRAINT users_status_nn;",
        )
        .await
        .unwrap();
    assert_eq!(
        verify_schema::<User>(&pool).await.unwrap(),
        vec![SchemaDifference::NotNullColumn {
            table: t(),
            column: "bio".to_owned()
        }]
    );
}
