//! A failing computation in `get_or_set` is shared by every caller that joined it: one
//! computation, every caller an error saying why; in one process and, with a lease, across
//! caches and across real processes. On one node and on the cluster.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use txova_db::redis::{Cache, Lease};
use txova_db::{Error, ErrorKind};
use txova_db_tests::redis_env::targets;

txova_db::cache_keys! {
    fn quote(id: u64) -> u64 = "pricing:quote:{id}";
}

const MIN: Duration = Duration::from_secs(60);

/// The application's own error, as a service would have one.
#[derive(Debug)]
enum AppError {
    Db(Error),
    Upstream(&'static str),
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        AppError::Db(e)
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Db(e) => e.fmt(f),
            AppError::Upstream(why) => write!(f, "pricing service: {why}"),
        }
    }
}

/// Runs `callers` concurrent `get_or_set` calls spread over `caches` whose computation
/// fails after a pause; returns how many computations ran and every caller's result.
async fn fail_together(caches: &[Cache], callers: usize, id: u64) -> (usize, Vec<AppError>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..callers)
        .map(|i| {
            let cache = caches[i % caches.len()].clone();
            let calls = Arc::clone(&calls);
            tokio::spawn(async move {
                cache
                    .get_or_set(&quote(id), MIN, async || {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        Err::<u64, _>(AppError::Upstream("timed out after 5s"))
                    })
                    .await
            })
        })
        .collect();
    let mut errors = Vec::new();
    for t in tasks {
        let r = tokio::time::timeout(Duration::from_secs(60), t)
            .await
            .expect("a caller hung")
            .unwrap();
        errors.push(r.expect_err("a failing computation gave a value"));
    }
    (calls.load(Ordering::SeqCst), errors)
}

/// Exactly one caller gets the computation's own error; every other one a `ComputeFailed`
/// error naming the key and the reason.
fn assert_shared(name: &str, errors: &[AppError]) {
    let own = errors
        .iter()
        .filter(|e| matches!(e, AppError::Upstream(_)))
        .count();
    assert!(own <= 1, "{name}: {own} callers ran the computation");
    for e in errors {
        match e {
            AppError::Upstream(_) => {}
            AppError::Db(e) => {
                assert_eq!(e.kind(), ErrorKind::ComputeFailed, "{name}: {e}");
                let text = e.to_string();
                assert!(
                    text.contains("shared computation of cache key pricing:quote:"),
                    "{name}: {text}"
                );
                assert!(
                    text.contains("pricing service: timed out after 5s"),
                    "{name}: {text}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_failure_is_shared_by_every_caller_in_the_process() {
    for (name, client) in targets("cache-fail-flight").await {
        let cache = Cache::new(client);
        let (calls, errors) = fail_together(std::slice::from_ref(&cache), 200, 1).await;
        assert_eq!(calls, 1, "{name}: 200 callers, one computation");
        assert_eq!(errors.len(), 200);
        assert_shared(name, &errors);
        assert!(!cache.exists(&quote(1)).await.unwrap(), "{name}");
        // The failure is not remembered past its flight: the next call computes again.
        let v = cache
            .get_or_set(&quote(1), MIN, async || Ok::<_, AppError>(7))
            .await
            .unwrap();
        assert_eq!(v, 7, "{name}");
    }
}

#[tokio::test]
async fn a_failure_to_store_is_shared_with_its_kind() {
    for (name, client) in targets("cache-fail-store").await {
        // Every value is too large to store: the flight's SET fails, not the computation.
        let cache = Cache::new(client).max_value_size(1);
        let calls = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let cache = cache.clone();
                let calls = Arc::clone(&calls);
                tokio::spawn(async move {
                    cache
                        .get_or_set(&quote(4), MIN, async || {
                            calls.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            Ok::<_, Error>(123_456)
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            let e = t.await.unwrap().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name}: {e}");
            assert!(e.to_string().contains("limit"), "{name}: {e}");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{name}");
    }
}

#[tokio::test]
async fn a_lease_holder_failure_is_shared_with_other_processes() {
    for (name, client) in targets("cache-fail-lease").await {
        // Separate caches have separate flights, as separate processes do. A failure marker
        // far longer than the test keeps slow schedulers from turning it into a race.
        let lease = Lease {
            failure_ttl: Duration::from_secs(60),
            wait: Duration::from_secs(60),
            ..Lease::default()
        };
        let caches: Vec<_> = (0..4)
            .map(|_| Cache::new(client.clone()).with_lease(lease))
            .collect();
        let (calls, errors) = fail_together(&caches, 200, 2).await;
        assert_eq!(calls, 1, "{name}: 4 caches x 50 callers, one computation");
        assert_shared(name, &errors);
        // A caller arriving while the marker lasts gets the failure without computing.
        let late = Cache::new(client.clone()).with_lease(lease);
        let calls = AtomicUsize::new(0);
        let e = late
            .get_or_set(&quote(2), MIN, async || {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok::<_, AppError>(1)
            })
            .await
            .unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 0, "{name}");
        assert!(
            matches!(&e, AppError::Db(e) if e.kind() == ErrorKind::ComputeFailed),
            "{e}"
        );
    }
}

#[tokio::test]
async fn without_a_failure_marker_the_lease_is_given_back() {
    for (name, client) in targets("cache-fail-nomark").await {
        let lease = Lease {
            failure_ttl: Duration::ZERO,
            ..Lease::default()
        };
        let cache = Cache::new(client.clone()).with_lease(lease);
        let e = cache
            .get_or_set(&quote(3), MIN, async || {
                Err::<u64, _>(AppError::Upstream("down"))
            })
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Upstream(_)), "{name}: {e}");
        let held: i64 = client
            .query(redis::cmd("EXISTS").arg(client.prefixed("lease:{pricing:quote:3}")))
            .await
            .unwrap();
        assert_eq!(held, 0, "{name}");
        let v = cache
            .get_or_set(&quote(3), MIN, async || Ok::<_, AppError>(3))
            .await
            .unwrap();
        assert_eq!(v, 3, "{name}");
    }
}

const WORKER_ENV: &str = "TXOVA_FAIL_LEASE_WORKER";

/// Run as a child process by `a_failure_is_shared_across_real_processes`; does nothing on
/// its own.
#[tokio::test]
#[ignore = "a worker process started by a_failure_is_shared_across_real_processes"]
async fn failing_lease_worker_process() {
    let Ok(spec) = std::env::var(WORKER_ENV) else {
        return;
    };
    let (target, prefix) = spec.split_once(' ').unwrap();
    let config = if target == "cluster" {
        txova_db::redis::Config::cluster(txova_db_tests::cluster::seed_nodes())
    } else {
        txova_db::redis::Config::new(txova_db_tests::redis_env::single_url())
    };
    let client = txova_db::redis::Client::new(config.prefix(prefix))
        .await
        .unwrap();
    let cache = Cache::new(client.clone()).with_lease(Lease {
        failure_ttl: Duration::from_secs(60),
        wait: Duration::from_secs(60),
        ..Lease::default()
    });
    let e = cache
        .get_or_set(&quote(42), MIN, async || {
            // Count the computations across processes, in Redis itself.
            let _: i64 = client
                .query(redis::cmd("INCR").arg(client.prefixed("computations")))
                .await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            Err::<u64, _>(AppError::Upstream("timed out after 5s"))
        })
        .await
        .unwrap_err();
    assert_shared(target, &[e]);
}

#[tokio::test]
async fn a_failure_is_shared_across_real_processes() {
    for (name, client) in targets("cache-fail-procs").await {
        let exe = std::env::current_exe().unwrap();
        let children: Vec<_> = (0..4)
            .map(|_| {
                std::process::Command::new(&exe)
                    .args([
                        "--ignored",
                        "--exact",
                        "failing_lease_worker_process",
                        "--nocapture",
                    ])
                    .env(WORKER_ENV, format!("{name} {}", client.prefix()))
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in children {
            assert!(child.wait().unwrap().success(), "{name}: a worker failed");
        }
        let n: i64 = client
            .query(redis::cmd("GET").arg(client.prefixed("computations")))
            .await
            .unwrap();
        assert_eq!(n, 1, "{name}: four processes, one computation");
    }
}
