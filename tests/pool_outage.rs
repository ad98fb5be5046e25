//! During an outage the pool stays bounded and polite: an acquire never outlasts the acquire
//! timeout, connection attempts are paced by a shared backoff and callers fail fast with the
//! last connect error; when the server returns, the pool recovers.
//!
//! The recovery tests print the time from the server's return to the first answered query
//! (`cargo test -p txova-db-tests --test pool_outage -- --nocapture`); they assert only that
//! it happens. The 30 s bounds keep a failing test from hanging; none of them is a measure.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use txova_db::postgres::{Config, Executor, Pool};
use txova_db::{ErrorKind, Timeout};
use txova_db_tests::{Mode, PgServer, Relay, database, guarded};

/// Queries until one is answered (bounded by the guard); returns how long that took.
async fn until_answered(pool: &Pool) -> Duration {
    let start = Instant::now();
    guarded("recovery after the outage", async {
        while pool.query_one("SELECT 1", &[]).await.is_err() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    start.elapsed()
}

#[tokio::test]
async fn acquire_is_bounded_by_the_acquire_timeout_with_stale_connections() {
    let db = database("outage_acquire").await;
    let (relay, url) = Relay::for_url(db.url()).await;
    let pool = Pool::new(Config {
        max_connections: 6,
        min_connections: 6,
        connect_timeout: Duration::from_secs(4),
        acquire_timeout: Duration::from_secs(1),
        // Every idle connection is checked before it is handed out.
        health_check_period: Duration::ZERO,
        ..Config::new(url)
    })
    .await
    .unwrap();
    assert_eq!(pool.status().idle, 6);
    // Every connection, open or new, goes silent: each check and each connect would take the
    // whole connect timeout (six checks and a connect: 28 s) if the acquire were not bounded.
    relay.set_mode(Mode::BlackHole);
    let err = guarded("get() with stale connections", pool.get())
        .await
        .expect_err("nothing answers");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert_eq!(err.timeout_kind(), Some(Timeout::Acquire), "{err:?}");
    let err = guarded("ping() with stale connections", pool.ping())
        .await
        .expect_err("nothing answers");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
}

#[tokio::test]
async fn connects_are_paced_during_an_outage_and_callers_fail_fast() {
    let db = database("outage_storm").await;
    let (relay, url) = Relay::for_url(db.url()).await;
    let pool = Pool::new(Config {
        max_connections: 10,
        min_connections: 2,
        connect_timeout: Duration::from_secs(2),
        acquire_timeout: Duration::from_secs(5),
        ..Config::new(url)
    })
    .await
    .unwrap();
    pool.query_one("SELECT 1", &[]).await.unwrap();
    // The outage: every connection is reset, and every new one as it is accepted.
    relay.set_mode(Mode::Reset);
    let before = relay.accepted();
    let calls = (0..20).map(|_| {
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut kinds = Vec::new();
            for _ in 0..50 {
                if let Err(e) = pool.query_one("SELECT 1", &[]).await {
                    kinds.push(e.kind());
                }
            }
            kinds
        })
    });
    let outcomes = guarded(
        "1000 calls during an outage",
        futures_util::future::join_all(calls),
    )
    .await;
    let attempts = relay.accepted() - before;
    let kinds: Vec<ErrorKind> = outcomes.into_iter().flat_map(Result::unwrap).collect();
    assert_eq!(kinds.len(), 1000, "every call failed");
    assert!(
        kinds.iter().all(|k| *k == ErrorKind::Connection),
        "callers get the connect error, not a timeout: {kinds:?}"
    );
    // Unpaced, each of the 1000 calls would try its own connect.
    assert!(
        attempts <= 100,
        "{attempts} connection attempts for 1000 calls"
    );
    relay.set_mode(Mode::Pass);
    let took = until_answered(&pool).await;
    eprintln!(
        "relay outage: {attempts} connect attempts for 1000 calls; recovered {took:?} after the network returned"
    );
}

#[tokio::test]
async fn a_connect_cut_off_by_the_acquire_timeout_counts_as_a_failed_connect() {
    let db = database("outage_silent_connect").await;
    let (relay, url) = Relay::for_url(db.url()).await;
    let pool = Pool::new(Config {
        max_connections: 4,
        min_connections: 0,
        // The connect would hang far longer than any acquire may wait: only the acquire
        // timeout ends it.
        connect_timeout: Duration::from_secs(60),
        acquire_timeout: Duration::from_millis(200),
        ..Config::new(url)
    })
    .await
    .unwrap();
    // Every new connection is accepted by the relay and never answered.
    relay.set_mode(Mode::BlackHole);
    let before = relay.accepted();
    let mut kinds = Vec::new();
    guarded("40 calls while connects hang", async {
        for _ in 0..40 {
            let err = pool
                .query_one("SELECT 1", &[])
                .await
                .expect_err("nothing answers");
            kinds.push(err.timeout_kind());
        }
    })
    .await;
    let attempts = relay.accepted() - before;
    assert!(
        kinds.iter().all(Option::is_some),
        "every call times out: {kinds:?}"
    );
    // Uncounted, each call would open its own connect and wait the whole acquire timeout;
    // counted, the calls in the backoff fail at once and one probe at a time tries.
    assert!(
        attempts <= 10,
        "{attempts} connection attempts for 40 calls"
    );
    assert!(
        kinds.contains(&Some(Timeout::Connect)),
        "calls in the backoff get the connect timeout: {kinds:?}"
    );
    relay.set_mode(Mode::Pass);
    let took = until_answered(&pool).await;
    eprintln!(
        "silent connects: {attempts} connect attempts for 40 calls; recovered {took:?} after the network returned"
    );
}

/// Callers keep calling while the server is down for 2 s (as `fault` leaves it), then it
/// starts again: returns the connect attempts made meanwhile and the time from the server's
/// return to the first answered query.
async fn outage(
    server: &PgServer,
    relay: &Relay,
    pool: &Pool,
    fault: impl Future<Output = ()>,
) -> (u64, Duration) {
    fault.await;
    let before = relay.accepted();
    let stop = Arc::new(AtomicBool::new(false));
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let (pool, stop) = (pool.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let call = pool.query_one("SELECT 1", &[]);
                    let _ = guarded("a call while the server is down", call).await;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let attempts = relay.accepted() - before;
    server.start_again().await;
    let took = until_answered(pool).await;
    stop.store(true, Ordering::Relaxed);
    for caller in callers {
        caller.await.unwrap();
    }
    (attempts, took)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_recovers_after_a_restart_and_a_kill_9() {
    let server = PgServer::start().await;
    // The relay only counts connection attempts here; it passes everything.
    let (relay, url) = Relay::for_url(&server.url()).await;
    let pool = Pool::new(Config {
        max_connections: 4,
        min_connections: 2,
        connect_timeout: Duration::from_secs(2),
        acquire_timeout: Duration::from_secs(5),
        ..Config::new(url)
    })
    .await
    .unwrap();
    pool.query_one("SELECT 1", &[]).await.unwrap();

    let (restart_attempts, restart) = outage(&server, &relay, &pool, server.stop()).await;
    let (crash_attempts, crash) = outage(
        &server,
        &relay,
        &pool,
        Box::pin(async {
            server.kill9().await;
            // Calls after the crash fail, promptly, with a connection error.
            let err = guarded("a call after kill -9", async {
                loop {
                    match pool.query_one("SELECT 1", &[]).await {
                        Ok(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                        Err(e) => return e,
                    }
                }
            })
            .await;
            assert!(err.is_connection(), "{err:?}");
        }),
    )
    .await;
    eprintln!(
        "server stopped for 2 s under load: {restart_attempts} connect attempts, recovered {restart:?} after it started; \
         kill -9, down 2 s under load: {crash_attempts} connect attempts, recovered {crash:?} after it started"
    );
}
