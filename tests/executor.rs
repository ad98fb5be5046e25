//! The same statement helpers work on a pool, a pooled connection and a transaction.

use futures_util::{StreamExt, TryStreamExt};
use txova_db::postgres::{Executor, with_tx};
use txova_db_tests::{database, pool_with};

async fn exercise(e: &impl Executor, base: i32) {
    let n = e
        .execute(
            "INSERT INTO nums SELECT generate_series($1::int4, $1::int4 + 9)",
            &[&base],
        )
        .await
        .unwrap();
    assert_eq!(n, 10);
    let rows = e
        .query("SELECT n FROM nums WHERE n >= $1 ORDER BY n", &[&base])
        .await
        .unwrap();
    assert_eq!(rows.len(), 10);
    let one: i32 = e
        .query_one("SELECT n FROM nums WHERE n = $1", &[&base])
        .await
        .unwrap()
        .get(0);
    assert_eq!(one, base);
    assert!(
        e.query_opt("SELECT n FROM nums WHERE n = $1", &[&-1_i32])
            .await
            .unwrap()
            .is_none()
    );
    let streamed: Vec<i32> = e
        .query_stream("SELECT n FROM nums WHERE n >= $1 ORDER BY n", &[&base])
        .await
        .unwrap()
        .map_ok(|r| r.get::<_, i32>(0))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed, (base..base + 10).collect::<Vec<_>>());
}

#[tokio::test]
async fn pool_connection_and_transaction_alike() {
    let db = database("executor").await;
    let pool = pool_with(&db, |_| {}).await;
    pool.execute("CREATE TABLE nums (n int PRIMARY KEY)", &[])
        .await
        .unwrap();
    exercise(&pool, 0).await;
    exercise(&pool.get().await.unwrap(), 100).await;
    with_tx(&pool, async |tx| {
        exercise(&*tx, 200).await;
        Ok::<_, txova_db::Error>(())
    })
    .await
    .unwrap();
    let total: i64 = pool
        .query_one("SELECT count(*) FROM nums", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(total, 30);
}

#[tokio::test]
async fn a_stream_holds_its_connection_until_dropped() {
    let db = database("stream_conn").await;
    let pool = pool_with(&db, |c| c.max_connections = 1).await;
    let stream = pool
        .query_stream("SELECT generate_series(1, 100000)", &[])
        .await
        .unwrap();
    assert_eq!(pool.status().in_use, 1);
    let first: Vec<i32> = stream
        .take(3)
        .map_ok(|r| r.get::<_, i32>(0))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(first, [1, 2, 3]);
    assert_eq!(pool.status().in_use, 0);
}

#[tokio::test]
async fn a_stream_without_a_query_timeout_waits_for_slow_rows() {
    let db = database("exec_stream_slow").await;
    let pool = pool_with(&db, |c| c.query_timeout = None).await;
    // Each row comes after a pause, so the stream is polled while nothing has arrived.
    let rows: Vec<i32> = pool
        .query_stream(
            "SELECT n FROM generate_series(1, 3) n, LATERAL (SELECT pg_sleep(0.05)) s",
            &[],
        )
        .await
        .unwrap()
        .map_ok(|r| r.get::<_, i32>(0))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows, [1, 2, 3]);
    assert_eq!(
        pool.status().in_use,
        0,
        "the connection is back once the stream ends"
    );
}
