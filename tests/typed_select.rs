//! `select!`: the SQL it writes and the rows it reads, on a pool, a connection and a
//! transaction.

#[path = "typed_model.rs"]
mod model;

use chrono::{Duration, Utc};
use futures_util::TryStreamExt as _;
use model::{DDL, Post, User, user};
use txova_db::postgres;
use txova_db::testing::TestDatabase;
use txova_db::{ErrorKind, FromRow, insert, select};

/// A result struct that declares the columns it maps from by its fields.
#[derive(FromRow, Debug, PartialEq)]
struct NameAge {
    name: String,
    age: i32,
    posts: i64,
}

#[test]
fn the_seed_query_is_written_as_the_seed_writes_it() {
    let status = "active";
    let cutoff = Utc::now();
    let q = select!(id, name, email from User
        where status = status and created_at > cutoff
        order by created_at desc limit 20 offset 40);
    assert_eq!(
        q.sql(),
        "SELECT id, name, email FROM users WHERE status = $1 AND created_at > $2 \
         ORDER BY created_at DESC LIMIT 20 OFFSET 40"
    );
    assert_eq!(q.params().len(), 2);
    assert_eq!(
        select!(distinct status from User).sql(),
        "SELECT DISTINCT status FROM users"
    );
}

#[test]
fn conditions_are_written_with_their_placeholders_in_order() {
    let (a, b, ids, pat) = (1_i64, 2_i64, vec![3_i64, 4], "x%");
    let q = select!(User where (id = a or not id in (a, b)) and id in &ids
        and name ilike pat and bio is not null and age between 1 and 9
        order by name asc nulls last, id desc limit a offset b);
    assert_eq!(
        q.sql(),
        "SELECT id, name, email, status, age, bio, created_at FROM users \
         WHERE (id = $1 OR NOT id IN ($2, $3)) AND id = ANY($4) AND name ILIKE $5 \
         AND bio IS NOT NULL AND age BETWEEN $6 AND $7 \
         ORDER BY name NULLS LAST, id DESC LIMIT $8 OFFSET $9"
    );
}

#[test]
fn every_comparison_and_sort_option_is_written() {
    let (a, s) = (5_i32, "x");
    let q = select!(id from User
        where age <> a and status != s and age < a and age <= a and age > a and age >= a
            and name like s and not bio is null
        order by bio desc nulls first, age asc, name nulls last);
    assert_eq!(
        q.sql(),
        "SELECT id FROM users WHERE age <> $1 AND status <> $2 AND age < $3 AND age <= $4 \
         AND age > $5 AND age >= $6 AND name LIKE $7 AND NOT bio IS NULL \
         ORDER BY bio DESC NULLS FIRST, age, name NULLS LAST"
    );
    assert_eq!(q.params().len(), 7);
}

#[tokio::test]
async fn rows_are_read_into_structs_and_tuples() {
    let db = TestDatabase::create("typed_select_rows").await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.get().await.unwrap().batch_execute(DDL).await.unwrap();
    let mut ann = user("ann", "active", 30);
    ann.bio = Some("hi".to_owned());
    let bob = user("bob", "banned", 40);
    let ids: Vec<i64> = insert!(into User values &ann, &bob returning id)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);

    let all = select!(User order by id).fetch_all(&pool).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].name, "ann");
    assert_eq!(all[0].bio.as_deref(), Some("hi"));
    assert_eq!(all[1].bio, None);

    let cutoff = Utc::now() - Duration::hours(1);
    let rows: Vec<(i64, String, String)> = select!(id, name, email from User
        where status = "active" and created_at > cutoff
        order by created_at desc limit 20 offset 0)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![(ids[0], "ann".to_owned(), "ann@example.com".to_owned())]
    );

    let name: String = select!(name from User where id = ids[1])
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(name, "bob");

    let missing = select!(User where id = -1_i64)
        .fetch_one(&pool)
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    assert!(
        select!(User where id = -1_i64)
            .fetch_optional(&pool)
            .await
            .unwrap()
            .is_none()
    );

    let statuses: Vec<String> = select!(distinct status from User order by status)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(statuses, ["active", "banned"]);

    let nobio: Vec<String> = select!(name from User where bio is null)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(nobio, vec!["bob".to_owned()]);

    let conn = pool.get().await.unwrap();
    let n: i64 = select!(count(*) from User).fetch_one(&conn).await.unwrap();
    assert_eq!(n, 2);
    drop(conn);

    let names: Vec<String> = postgres::with_tx(&pool, async |tx| {
        select!(name from User where id in &ids order by name desc)
            .fetch_all(tx)
            .await
    })
    .await
    .unwrap();
    assert_eq!(names, ["bob", "ann"]);

    let streamed: Vec<User> = select!(User order by id)
        .fetch_stream(&pool)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed, all);

    let per_user: Vec<NameAge> =
        select!(NameAge { User::age, count(Post::id) as posts, User::name } from User
        left join Post on Post::user_id = User::id
        group by User::name, User::age order by User::name)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        per_user,
        vec![
            NameAge {
                name: "ann".to_owned(),
                age: 30,
                posts: 0
            },
            NameAge {
                name: "bob".to_owned(),
                age: 40,
                posts: 0
            },
        ]
    );
}

#[tokio::test]
async fn statements_are_prepared_once_per_connection() {
    let db = TestDatabase::create("typed_select_prepared").await.unwrap();
    let pool = db.pool().await.unwrap();
    let conn = pool.get().await.unwrap();
    conn.batch_execute(DDL).await.unwrap();
    let q = select!(name from User where age > 1);
    for _ in 0..3 {
        let _: Vec<String> = q.fetch_all(&conn).await.unwrap();
    }
    let prepared: i64 = conn
        .client()
        .query_one(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1",
            &[&q.sql()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(prepared, 1);
}

/// A view whose fifth row fails on the server (division by zero).
#[derive(txova_db::Table, Debug)]
#[table(name = "fragile")]
struct Fragile {
    n: i32,
}

#[tokio::test]
async fn fetch_stream_yields_rows_as_they_arrive() {
    let db = TestDatabase::create("typed_stream").await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "CREATE VIEW fragile AS SELECT 100 / (5 - x) AS n FROM generate_series(1, 10) AS x",
        )
        .await
        .unwrap();
    // Buffered, the error would come first and alone; streamed, the four rows the server sent
    // before it arrive first.
    let q = select!(Fragile);
    let mut rows = q.fetch_stream(&pool).await.unwrap();
    let mut got = Vec::new();
    let err = loop {
        match rows.try_next().await {
            Ok(Some(row)) => got.push(row.n),
            Ok(None) => panic!("the fifth row must fail"),
            Err(e) => break e,
        }
    };
    assert_eq!(got, [25, 33, 50, 100]);
    assert_eq!(err.code(), Some("22012"), "{err:?}");
    assert!(select!(Fragile).fetch_all(&pool).await.is_err());
}

#[tokio::test]
async fn limit_and_offset_take_any_integer_that_fits() {
    let db = TestDatabase::create("typed_select_limit").await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.get().await.unwrap().batch_execute(DDL).await.unwrap();
    for name in ["a", "b", "c", "d", "e"] {
        let row = user(name, "active", 30);
        insert!(into User values &row).execute(&pool).await.unwrap();
    }
    let names = |rows: Vec<String>| rows.join("");

    let (n, m) = (2_u32, 1_usize);
    let rows = select!(name from User order by name limit n offset m)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(names(rows), "bc");
    let (n, m) = (3_i32, 2_u64);
    let rows = select!(name from User order by name limit n offset m)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(names(rows), "cde");
    let (n, m) = (1_u8, 4_i16);
    let rows = select!(name from User order by name limit &n offset m)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(names(rows), "e");
    // An integer with no suffix, and an expression.
    let page = 1;
    let rows = select!(name from User order by name limit page offset page * 3)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(names(rows), "d");
    // An `i64` kept in a variable still binds by reference, so the query can be kept too.
    let n = 1_i64;
    let q = select!(name from User order by name limit n);
    assert_eq!(names(q.fetch_all(&pool).await.unwrap()), "a");

    // Out of range for a bigint: a clear error, never a wrap.
    for (n, m) in [(u64::MAX, 0_usize), (1, usize::MAX)] {
        let err = select!(name from User order by name limit n offset m)
            .fetch_all(&pool)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Encode, "{err}");
        assert!(
            err.to_string().contains("out of range") && err.to_string().contains("bigint"),
            "{err}"
        );
    }
    let big = u128::MAX;
    let err = select!(name from User limit big)
        .fetch_all(&pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("out of range"), "{err}");
    // The pool is still usable.
    assert_eq!(
        select!(count(*) from User).fetch_one(&pool).await.unwrap(),
        5
    );
}
