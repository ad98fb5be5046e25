//! A client-side deadline bounds every statement and transaction, even when the network dies
//! without a reset; a call that gives up (its deadline passed, or its caller dropped it)
//! cancels its statement on the server and never hands a busy connection back to the pool.
//!
//! The 30 s bounds below only keep a failing test from hanging; none of them is a measure.

use std::time::Duration;

use futures_util::StreamExt as _;
use txova_db::postgres::{Config, Executor, Pool, TxOptions, with_tx, with_tx_opts};
use txova_db::{ErrorKind, Timeout};
use txova_db_tests::{Relay, TestDatabase, database, guarded};

/// A pool through a relay, one connection open and known good.
async fn relayed(db: &TestDatabase, f: impl FnOnce(&mut Config)) -> (Relay, Pool) {
    let (relay, url) = Relay::for_url(db.url()).await;
    let mut config = Config {
        max_connections: 2,
        min_connections: 1,
        connect_timeout: Duration::from_secs(2),
        acquire_timeout: Duration::from_secs(10),
        query_timeout: Some(Duration::from_secs(1)),
        ..Config::new(url)
    };
    f(&mut config);
    let pool = Pool::new(config).await.unwrap();
    pool.query_one("SELECT 1", &[]).await.unwrap();
    (relay, pool)
}

fn assert_query_timeout(err: &txova_db::Error) {
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert_eq!(err.timeout_kind(), Some(Timeout::Query), "{err:?}");
}

/// Sleeping statements of this test's database that the server is still running.
async fn sleeping(direct: &Pool) -> i64 {
    direct
        .query_one(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND state = 'active' \
             AND pid <> pg_backend_pid() AND query LIKE '%pg_sleep(%'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

/// Waits (bounded) until the server runs no sleeping statement of this database.
async fn no_statement_left(direct: &Pool) {
    guarded("the cancel of the abandoned statement", async {
        while sleeping(direct).await > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn query_one_on_a_silent_network_times_out_and_the_next_call_gets_a_fresh_connection() {
    let db = database("deadline_silent").await;
    let (relay, pool) = relayed(&db, |_| {}).await;
    relay.silence_existing();
    let err = guarded(
        "query_one on a silent network",
        pool.query_one("SELECT 1", &[]),
    )
    .await
    .expect_err("nothing answers");
    assert_query_timeout(&err);
    // The silent connection is not handed out again: new connections pass the relay.
    let v: i32 = guarded("the next call", pool.query_one("SELECT 2", &[]))
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, 2);
}

#[tokio::test]
async fn a_query_in_flight_when_the_network_dies_times_out() {
    let db = database("deadline_inflight").await;
    let (relay, pool) = relayed(&db, |c| c.query_timeout = Some(Duration::from_secs(3))).await;
    let direct = db.pool().await.unwrap();
    let running = tokio::spawn({
        let pool = pool.clone();
        async move { pool.execute("SELECT pg_sleep(1)", &[]).await }
    });
    guarded("the statement to start", async {
        while sleeping(&direct).await == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    relay.silence_existing();
    let err = guarded("a query in flight on a silent network", running)
        .await
        .unwrap()
        .expect_err("its answer never arrives");
    assert_query_timeout(&err);
}

#[tokio::test]
async fn with_tx_on_a_silent_network_times_out() {
    let db = database("deadline_tx").await;
    let (relay, pool) = relayed(&db, |_| {}).await;
    relay.silence_existing();
    let result = guarded(
        "with_tx on a silent network",
        with_tx(&pool, async |tx| tx.execute("SELECT 1", &[]).await),
    )
    .await;
    assert_query_timeout(&result.expect_err("nothing answers"));
    guarded("the next call", pool.query_one("SELECT 1", &[]))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_abandoned_call_never_returns_its_stuck_connection_to_the_pool() {
    let db = database("deadline_abandoned").await;
    // No client deadline: only the caller's own timeout ends the call.
    let (relay, pool) = relayed(&db, |c| c.query_timeout = None).await;
    relay.silence_existing();
    let abandoned =
        tokio::time::timeout(Duration::from_millis(300), pool.query_one("SELECT 1", &[])).await;
    assert!(abandoned.is_err(), "nothing answers on a silent network");
    let v: i32 = guarded(
        "the call after an abandoned one",
        pool.query_one("SELECT 3", &[]),
    )
    .await
    .unwrap()
    .get(0);
    assert_eq!(v, 3);
}

#[tokio::test]
async fn a_statement_past_its_deadline_is_cancelled_on_the_server() {
    let db = database("deadline_cancel").await;
    let pool = Pool::new(Config {
        max_connections: 1,
        query_timeout: Some(Duration::from_millis(300)),
        ..Config::new(db.url())
    })
    .await
    .unwrap();
    let direct = db.pool().await.unwrap();
    let err = guarded(
        "a statement past its deadline",
        pool.execute("SELECT pg_sleep(600)", &[]),
    )
    .await
    .expect_err("the deadline passes first");
    assert_query_timeout(&err);
    no_statement_left(&direct).await;
    // The one connection of the pool is free for the next caller, not busy sleeping.
    guarded("the next caller", pool.query_one("SELECT 1", &[]))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_dropped_call_cancels_its_statement_and_frees_the_pool() {
    let db = database("deadline_dropped").await;
    let pool = Pool::new(Config {
        max_connections: 1,
        query_timeout: None,
        ..Config::new(db.url())
    })
    .await
    .unwrap();
    let direct = db.pool().await.unwrap();
    let dropped = tokio::time::timeout(
        Duration::from_millis(200),
        pool.execute("SELECT pg_sleep(600)", &[]),
    )
    .await;
    assert!(dropped.is_err(), "the caller gave up first");
    no_statement_left(&direct).await;
    guarded("the next caller", pool.query_one("SELECT 1", &[]))
        .await
        .unwrap();
}

/// A query whose first rows come at once and whose last never does. The server holds rows
/// in an 8 kB buffer: the rows are wide so that most of them are sent before it stalls.
const STALLS_BEFORE_ITS_LAST_ROW: &str = "SELECT x, repeat('x', 1000) FROM generate_series(1, 100) x \
     WHERE x < 100 OR pg_sleep(600) IS NOT NULL";

async fn pool_of_one(db: &TestDatabase, query_timeout: Option<Duration>) -> Pool {
    Pool::new(Config {
        max_connections: 1,
        query_timeout,
        ..Config::new(db.url())
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_stream_whose_next_row_does_not_come_times_out_and_is_cancelled() {
    let db = database("deadline_stream").await;
    let pool = pool_of_one(&db, Some(Duration::from_millis(500))).await;
    let direct = db.pool().await.unwrap();
    let mut rows = guarded(
        "the first rows",
        pool.query_stream(STALLS_BEFORE_ITS_LAST_ROW, &[]),
    )
    .await
    .unwrap();
    let mut got = Vec::new();
    let err = guarded("a stalled stream", async {
        loop {
            match rows.next().await {
                Some(Ok(row)) => got.push(row.get::<_, i32>(0)),
                Some(Err(e)) => return e,
                None => panic!("the stream ended without its last row"),
            }
        }
    })
    .await;
    assert!(!got.is_empty() && got.len() < 100, "{} rows", got.len());
    assert_eq!(
        got,
        (1..=got.len())
            .map(|i| i32::try_from(i).unwrap())
            .collect::<Vec<_>>()
    );
    assert_query_timeout(&err);
    assert!(
        rows.next().await.is_none(),
        "the stream ends after its timeout"
    );
    drop(rows);
    no_statement_left(&direct).await;
    guarded("the next caller", pool.query_one("SELECT 1", &[]))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stream_dropped_before_its_end_cancels_its_query_and_frees_the_pool() {
    let db = database("deadline_stream_drop").await;
    let pool = pool_of_one(&db, None).await;
    let direct = db.pool().await.unwrap();
    let mut rows = guarded(
        "the first rows",
        pool.query_stream(STALLS_BEFORE_ITS_LAST_ROW, &[]),
    )
    .await
    .unwrap();
    let first = guarded("the first row", rows.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.get::<_, i32>(0), 1);
    drop(rows);
    no_statement_left(&direct).await;
    guarded("the next caller", pool.query_one("SELECT 1", &[]))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_transaction_deadline_bounds_the_whole_transaction() {
    let db = database("deadline_tx_scope").await;
    let pool = pool_of_one(&db, None).await;
    let direct = db.pool().await.unwrap();
    let opts = TxOptions::default().timeout(Duration::from_millis(500));
    let result = guarded(
        "a transaction past its deadline",
        with_tx_opts(&pool, opts, async |tx| {
            tx.execute("SELECT 1", &[]).await?;
            tx.execute("SELECT pg_sleep(600)", &[]).await
        }),
    )
    .await;
    assert_query_timeout(&result.expect_err("the deadline passes first"));
    no_statement_left(&direct).await;
    guarded("the next caller", pool.query_one("SELECT 1", &[]))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_query_timeout_can_be_set_per_pool_handle_and_per_connection() {
    let db = database("deadline_override").await;
    let pool = pool_of_one(&db, None).await;
    let direct = db.pool().await.unwrap();

    let short = pool.with_query_timeout(Some(Duration::from_millis(300)));
    let err = guarded(
        "a call on a handle with a deadline",
        short.execute("SELECT pg_sleep(600)", &[]),
    )
    .await
    .expect_err("the handle's deadline passes");
    assert_query_timeout(&err);
    no_statement_left(&direct).await;

    let mut conn = guarded("a connection", pool.get()).await.unwrap();
    assert_eq!(conn.query_timeout(), None);
    conn.set_query_timeout(Some(Duration::from_millis(300)));
    let err = guarded(
        "a call on a connection with a deadline",
        conn.execute("SELECT pg_sleep(600)", &[]),
    )
    .await
    .expect_err("the connection's deadline passes");
    assert_query_timeout(&err);
    drop(conn);
    no_statement_left(&direct).await;

    // The pool's own handle keeps its setting: no deadline.
    let conn = guarded("a connection", pool.get()).await.unwrap();
    assert_eq!(conn.query_timeout(), None);
}

#[tokio::test]
async fn a_commit_that_gets_no_answer_says_the_outcome_is_unknown() {
    let db = database("deadline_commit").await;
    let direct = db.pool().await.unwrap();
    direct
        .execute("CREATE TABLE t (id int)", &[])
        .await
        .unwrap();
    let (relay, pool) = relayed(&db, |_| {}).await;
    // The relay drops both directions, so the COMMIT never reaches the server: what is shown
    // is the message of a COMMIT that got no answer, whatever became of it.
    let err = guarded(
        "a commit on a silent network",
        with_tx(&pool, async |tx| {
            tx.execute("INSERT INTO t VALUES (1)", &[]).await?;
            // The network dies between the last statement and the COMMIT.
            relay.silence_existing();
            Ok::<_, txova_db::Error>(())
        }),
    )
    .await
    .expect_err("the COMMIT's answer never arrives");
    assert_query_timeout(&err);
    assert!(!err.is_safe_to_retry(), "{err:?}");
    assert!(
        err.to_string().contains("may or may not have committed"),
        "{err}"
    );
}
