//! The run-time builder's queries run against PostgreSQL and bind their values.

use txova_db::ErrorKind;
use txova_db::postgres::{self, Executor};
use txova_db_tests::{database, pool_with};

#[tokio::test]
async fn seed_query_runs_and_binds_values() {
    let db = database("builder").await;
    let pool = pool_with(&db, |_| {}).await;
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE users (id int PRIMARY KEY, name text, email text, status text, created_at int8);
             INSERT INTO users SELECT i, 'u' || i, 'u' || i || '@x.co',
                 CASE WHEN i % 2 = 0 THEN 'active' ELSE 'inactive' END, i
             FROM generate_series(1, 100) i;",
        )
        .await
        .unwrap();
    let q = postgres::select("users")
        .columns(["id", "name", "email"])
        .filter("status = ?", "active")
        .filter("created_at > ?", 10_i64)
        .order_by("created_at DESC")
        .limit(20)
        .offset(5);
    let rows = q.fetch_all(&pool).await.unwrap();
    let ids: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    let want: Vec<i32> = (12..=100).rev().step_by(2).skip(5).take(20).collect();
    assert_eq!(ids, want);

    // A value that looks like SQL is only ever a value.
    let q = postgres::select("users").filter("name = ?", "x' OR '1'='1".to_owned());
    assert!(q.fetch_all(&pool).await.unwrap().is_empty());

    // Text that holds a `?` inside quotes is not a placeholder.
    let q = postgres::select("users")
        .columns(["id"])
        .filter("email LIKE '%?%' OR id = ?", 3_i32);
    let rows = q.fetch_all(&pool).await.unwrap();
    assert_eq!(rows.len(), 1);

    let err = postgres::select("users")
        .filter("id = ? AND name = ?", 3_i32)
        .fetch_one(&pool)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = postgres::select("users")
        .filter("id = ?", -1_i32)
        .fetch_one(&pool)
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    let n: i64 = pool
        .query_one("SELECT count(*) FROM users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 100, "nothing was changed by the attempts above");
}

#[derive(txova_db::FromRow, Debug, PartialEq)]
struct Named {
    id: i32,
    name: String,
}

#[tokio::test]
async fn rows_are_read_one_at_a_time_as_structs_or_as_a_stream() {
    use futures_util::TryStreamExt as _;
    let db = database("builder_reads").await;
    let pool = pool_with(&db, |_| {}).await;
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);
             INSERT INTO users SELECT i, 'u' || i FROM generate_series(1, 5) i;",
        )
        .await
        .unwrap();
    let one: Named = postgres::select("users")
        .columns(["id", "name"])
        .filter("id = ?", 3_i32)
        .fetch_one_as(&pool)
        .await
        .unwrap();
    assert_eq!(
        one,
        Named {
            id: 3,
            name: "u3".to_owned()
        }
    );
    let q = postgres::select("users")
        .columns(["id", "name"])
        .filter("id > ?", 1_i32)
        .order_by("id");
    let ids: Vec<i32> = q
        .fetch_stream(&pool)
        .await
        .unwrap()
        .map_ok(|row| row.get::<_, i32>(0))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, [2, 3, 4, 5]);
    // At most one row: more is the caller's mistake, said with the count.
    let err = q.fetch_optional(&pool).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(
        err.to_string(),
        "query expected to return at most one row returned 4"
    );
    let err = q.fetch_one(&pool).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "query expected to return one row returned 4"
    );
    let none = postgres::select("users")
        .filter("id = ?", 9_i32)
        .fetch_optional_as::<Named>(&pool)
        .await
        .unwrap();
    assert_eq!(none, None);
}
