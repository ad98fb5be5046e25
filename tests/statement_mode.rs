//! The unnamed statement mode, straight to the server: every common type goes out with a
//! type declared from its value (strings as `unknown`, so the server types them, enums
//! included), comes back intact, and nothing is left prepared on the server.

use chrono::{DateTime, TimeZone as _, Utc};
use futures_util::TryStreamExt as _;
use txova_db::postgres::{Config, Executor, Pool, StatementMode, with_tx};
use txova_db::testing::TestDatabase;
use txova_db::{ErrorKind, PgEnum, Table, insert, select};
use uuid::Uuid;

#[derive(PgEnum, Debug, Clone, Copy, PartialEq)]
#[pg_enum(name = "mood")]
enum Mood {
    Happy,
    Sad,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "things")]
struct Thing {
    #[column(primary_key)]
    id: Uuid,
    n: i32,
    big: i64,
    name: String,
    note: Option<String>,
    at: DateTime<Utc>,
    doc: serde_json::Value,
    tags: Vec<String>,
    nums: Vec<i64>,
    mood: Mood,
}

const DDL: &str = "
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE things (
    id uuid PRIMARY KEY, n int4 NOT NULL, big int8 NOT NULL, name text NOT NULL, note text,
    at timestamptz NOT NULL, doc jsonb NOT NULL, tags text[] NOT NULL, nums int8[] NOT NULL,
    mood mood NOT NULL
);
";

fn thing(k: u8, mood: Mood) -> Thing {
    Thing {
        id: Uuid::from_bytes([k; 16]),
        n: i32::from(k),
        big: i64::MAX - i64::from(k),
        name: format!("thing {k}"),
        note: (k == 1).then(|| "first".to_owned()),
        at: Utc
            .with_ymd_and_hms(2024, 1, 2, 3, 4, u32::from(k))
            .unwrap(),
        doc: serde_json::json!({"k": k}),
        tags: vec!["a".to_owned(), format!("t{k}")],
        nums: vec![1, i64::from(k)],
        mood,
    }
}

async fn unnamed_pool(db: &TestDatabase) -> Pool {
    let pool = Pool::new(Config {
        max_connections: 2,
        ..Config::new(format!("{}?statement_mode=unnamed", db.url()))
    })
    .await
    .unwrap();
    assert_eq!(pool.config().statement_mode, StatementMode::Unnamed);
    pool.get().await.unwrap().batch_execute(DDL).await.unwrap();
    pool
}

#[tokio::test]
async fn typed_statements_round_trip_every_common_type() {
    let db = TestDatabase::create("unnamed_typed").await.unwrap();
    let pool = unnamed_pool(&db).await;
    let (a, b) = (thing(1, Mood::Happy), thing(2, Mood::Sad));
    insert!(into Thing values &a, &b)
        .execute(&pool)
        .await
        .unwrap();
    let rows = select!(Thing order by n).fetch_all(&pool).await.unwrap();
    assert_eq!(rows, vec![a.clone(), b.clone()]);
    let sad: Vec<Uuid> = select!(id from Thing where mood = Mood::Sad)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(sad, vec![b.id]);
    let by: Vec<i32> = select!(n from Thing
        where id = a.id and at = a.at and big = a.big and tags = a.tags.clone() order by n)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(by, vec![1]);
    let streamed: Vec<Thing> = select!(Thing where note is null)
        .fetch_stream(&pool)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed, vec![b]);
}

#[tokio::test]
async fn raw_parameters_are_typed_from_their_values() {
    let db = TestDatabase::create("unnamed_raw").await.unwrap();
    let pool = unnamed_pool(&db).await;
    let id = Uuid::from_bytes([7; 16]);
    let at = Utc.with_ymd_and_hms(2025, 5, 6, 7, 8, 9).unwrap();
    let doc = serde_json::json!({"x": [1, 2]});
    let tags = vec!["p".to_owned(), "q".to_owned()];
    let nums = vec![3_i64, 4];
    let none: Option<String> = None;
    // `n` is int4 and `big` int8, given an i64 and an i32: the server converts.
    let inserted = pool
        .execute(
            "INSERT INTO things VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &id, &5_i64, &6_i32, &"raw", &none, &at, &doc, &tags, &nums, &"sad",
            ],
        )
        .await
        .unwrap();
    assert_eq!(inserted, 1);
    let row = pool
        .query_one(
            "SELECT n, big, name, note, at, doc, tags, nums, mood::text FROM things \
             WHERE id = $1 AND mood = $2 AND name = $3 AND nums = $4",
            &[&id, &"sad", &String::from("raw"), &nums],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i32>(0), 5);
    assert_eq!(row.get::<_, i64>(1), 6);
    assert_eq!(row.get::<_, String>(2), "raw");
    assert_eq!(row.get::<_, Option<String>>(3), None);
    assert_eq!(row.get::<_, DateTime<Utc>>(4), at);
    assert_eq!(row.get::<_, serde_json::Value>(5), doc);
    assert_eq!(row.get::<_, Vec<String>>(6), tags);
    assert_eq!(row.get::<_, Vec<i64>>(7), nums);
    assert_eq!(row.get::<_, String>(8), "sad");
    // A NULL of a string type is typed by the server too.
    let n = pool
        .execute("UPDATE things SET note = $1 WHERE id = $2", &[&none, &id])
        .await
        .unwrap();
    assert_eq!(n, 1);
    // An enum array needs its type named in the SQL: text[] is what a Vec<String> declares.
    let moods = vec!["sad".to_owned()];
    let found: i64 = pool
        .query_one(
            "SELECT count(*) FROM things WHERE mood = ANY($1::mood[])",
            &[&moods],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(found, 1);
}

#[tokio::test]
async fn nothing_stays_prepared_and_transactions_work() {
    let db = TestDatabase::create("unnamed_nothing").await.unwrap();
    let pool = unnamed_pool(&db).await;
    let t = thing(3, Mood::Happy);
    with_tx(&pool, async |tx| {
        insert!(into Thing values &t).execute(&*tx).await?;
        with_tx(tx, async |sp| {
            sp.execute("UPDATE things SET n = $1", &[&30_i32]).await
        })
        .await?;
        Ok::<_, txova_db::Error>(())
    })
    .await
    .unwrap();
    let conn = pool.get().await.unwrap();
    for i in 0..3_i32 {
        conn.query_one("SELECT $1::int4 + 1", &[&i]).await.unwrap();
    }
    let prepared: i64 = conn
        .query_one("SELECT count(*) FROM pg_prepared_statements", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(prepared, 0);
    let n: i32 = select!(n from Thing).fetch_one(&conn).await.unwrap();
    assert_eq!(n, 30);
}

#[tokio::test]
async fn a_bad_statement_mode_in_the_url_is_a_config_error() {
    let db = TestDatabase::create("unnamed_bad").await.unwrap();
    let err = Pool::new(Config::new(format!("{}?statement_mode=named", db.url())))
        .await
        .expect_err("an unknown mode is refused");
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("statement_mode"), "{err}");
}

#[tokio::test]
async fn an_array_of_enum_values_needs_no_cast() {
    let db = TestDatabase::create("unnamed_enum_array").await.unwrap();
    // The type exists before the unnamed pool connects, so its connections learn it.
    db.pool()
        .await
        .unwrap()
        .get()
        .await
        .unwrap()
        .batch_execute(DDL)
        .await
        .unwrap();
    let pool = Pool::new(Config {
        max_connections: 2,
        ..Config::new(format!("{}?statement_mode=unnamed", db.url()))
    })
    .await
    .unwrap();
    let (a, b) = (thing(1, Mood::Happy), thing(2, Mood::Sad));
    insert!(into Thing values &a, &b)
        .execute(&pool)
        .await
        .unwrap();
    // Declared as `text[]`, the array would need `$1::mood[]` in the SQL: the server has no
    // `mood = text` operator.
    let rows = pool
        .query(
            "SELECT n FROM things WHERE mood = ANY($1) ORDER BY n",
            &[&vec![Mood::Sad]],
        )
        .await
        .unwrap_or_else(|e| panic!("an enum array in the unnamed mode: {e}"));
    let ns: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(ns, vec![2]);
    // Text arrays are still text arrays.
    let rows = pool
        .query(
            "SELECT n FROM things WHERE $1 && tags ORDER BY n",
            &[&vec!["t1".to_owned()]],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
}

/// How many statements the connection's session holds prepared, counting the one asking.
async fn prepared_now(on: &impl Executor) -> i64 {
    on.query_one("SELECT count(*) FROM pg_prepared_statements", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn without_the_statement_cache_each_call_prepares_and_closes_its_own() {
    let db = TestDatabase::create("no_statement_cache").await.unwrap();
    for cache in [false, true] {
        let pool = Pool::new(Config {
            max_connections: 1,
            statement_cache: cache,
            ..Config::new(db.url())
        })
        .await
        .unwrap();
        let conn = pool.get().await.unwrap();
        let before = prepared_now(&conn).await;
        for i in 0..3_i32 {
            let n: i32 = conn
                .query_one("SELECT $1::int4 + 1", &[&i])
                .await
                .unwrap()
                .get(0);
            assert_eq!(n, i + 1);
        }
        // Cached: the statement above stays prepared, once; not cached: it was closed.
        assert_eq!(
            prepared_now(&conn).await,
            before + i64::from(cache),
            "{cache}"
        );
        drop(conn);
        let in_tx = with_tx(&pool, async |tx| {
            let n: i32 = tx
                .query_one("SELECT $1::int4 * 2", &[&21_i32])
                .await?
                .get(0);
            assert_eq!(n, 42);
            Ok::<_, txova_db::Error>(prepared_now(&*tx).await)
        })
        .await
        .unwrap();
        assert_eq!(in_tx, before + 2 * i64::from(cache), "{cache}");
    }
}
