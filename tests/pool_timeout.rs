//! Waits are bounded: an exhausted pool and a slow statement both end in `Timeout`.

use std::time::{Duration, Instant};

use txova_db::postgres::Executor;
use txova_db::{ErrorKind, Timeout};
use txova_db_tests::{database, pool_with};

#[tokio::test]
async fn exhausted_pool_times_out_on_acquire() {
    let db = database("exhausted").await;
    let pool = pool_with(&db, |c| {
        c.max_connections = 2;
        c.acquire_timeout = Duration::from_millis(200);
    })
    .await;
    let a = pool.get().await.unwrap();
    let b = pool.get().await.unwrap();
    let started = Instant::now();
    let err = pool.get().await.expect_err("no connection is free");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.timeout_kind(), Some(Timeout::Acquire));
    assert!(err.to_string().contains("acquire timeout"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(a);
    // A returned connection is handed out again.
    let c = pool.get().await.unwrap();
    c.query_one("SELECT 1", &[]).await.unwrap();
    drop((b, c));
}

#[tokio::test]
async fn statement_timeout_cancels_slow_statements() {
    let db = database("stmt_timeout").await;
    let pool = pool_with(&db, |c| {
        c.statement_timeout = Some(Duration::from_millis(100));
    })
    .await;
    let err = pool
        .execute("SELECT pg_sleep(5)", &[])
        .await
        .expect_err("the statement is cancelled");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.timeout_kind(), Some(Timeout::Statement));
    assert_eq!(err.code(), Some("57014"));
    assert!(err.is_timeout());
    // The connection is still good afterwards.
    pool.execute("SELECT 1", &[]).await.unwrap();
}
