//! Server errors become kinds a caller acts on, carrying the server's names.

use txova_db::ErrorKind;
use txova_db::postgres::{Executor, Pool};
use txova_db_tests::{database, pool_with};

async fn schema(pool: &Pool) {
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL UNIQUE, age int CHECK (age >= 0));
             CREATE TABLE rides (id int PRIMARY KEY, user_id int NOT NULL REFERENCES users (id));",
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn unique_violation_is_duplicate_with_names() {
    let db = database("err_unique").await;
    let pool = pool_with(&db, |_| {}).await;
    schema(&pool).await;
    pool.execute("INSERT INTO users (id, email) VALUES (1, 'a@x.co')", &[])
        .await
        .unwrap();
    let err = pool
        .execute("INSERT INTO users (id, email) VALUES (2, 'a@x.co')", &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Duplicate);
    assert_eq!(err.code(), Some("23505"));
    assert_eq!(err.constraint(), Some("users_email_key"));
    assert_eq!(err.table(), Some("users"));
    assert_eq!(err.column(), Some("email"));
    assert_eq!(err.schema(), Some("public"));
    assert!(err.to_string().starts_with("duplicate: "), "{err}");
    assert!(err.detail().unwrap().contains("a@x.co"));
    assert!(
        std::error::Error::source(&err).is_none(),
        "the message says it all"
    );
}

#[tokio::test]
async fn foreign_key_violation_carries_names() {
    let db = database("err_fk").await;
    let pool = pool_with(&db, |_| {}).await;
    schema(&pool).await;
    let err = pool
        .execute("INSERT INTO rides (id, user_id) VALUES (1, 42)", &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ForeignKey);
    assert_eq!(err.constraint(), Some("rides_user_id_fkey"));
    assert_eq!(err.table(), Some("rides"));
    assert_eq!(err.column(), Some("user_id"));
}

#[tokio::test]
async fn not_null_and_check_violations() {
    let db = database("err_nn").await;
    let pool = pool_with(&db, |_| {}).await;
    schema(&pool).await;
    let err = pool
        .execute("INSERT INTO users (id, email) VALUES (1, NULL)", &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotNull);
    assert_eq!(err.column(), Some("email"));
    let err = pool
        .execute(
            "INSERT INTO users (id, email, age) VALUES (1, 'b@x.co', -1)",
            &[],
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Check);
    assert_eq!(err.constraint(), Some("users_age_check"));
}

#[tokio::test]
async fn other_server_errors_keep_their_sqlstate_and_position() {
    let db = database("err_other").await;
    let pool = pool_with(&db, |_| {}).await;
    let err = pool
        .query("SELECT * FROM no_such_table", &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Database);
    assert_eq!(err.code(), Some("42P01"));
    assert_eq!(err.position(), Some(15));
    assert!(err.to_string().contains("no_such_table"), "{err}");
}

#[tokio::test]
async fn query_one_on_zero_rows_is_not_found() {
    let db = database("err_notfound").await;
    let pool = pool_with(&db, |_| {}).await;
    schema(&pool).await;
    let err = pool
        .query_one("SELECT id FROM users WHERE id = $1", &[&1_i32])
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(
        pool.query_opt("SELECT id FROM users WHERE id = $1", &[&1_i32])
            .await
            .unwrap()
            .map(|r| r.get::<_, i32>(0)),
        None
    );
    let err = pool
        .query_one("SELECT 1 UNION ALL SELECT 2", &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn wrong_parameter_type_is_an_encode_error() {
    let db = database("err_encode").await;
    let pool = pool_with(&db, |_| {}).await;
    schema(&pool).await;
    let err = pool
        .query("SELECT id FROM users WHERE id = $1", &[&"one"])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Encode, "{err:?}");
}
