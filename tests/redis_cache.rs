//! The cache: get/set, many-at-once, get-or-set single flight, leases, list invalidation,
//! bad input; on one node and on the cluster.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use txova_db::redis::{Cache, CacheKey, Lease};
use txova_db::{Error, ErrorKind};
use txova_db_tests::redis_env::targets;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Profile {
    #[serde(rename = "ID")]
    id: u64,
    #[serde(rename = "Name")]
    name: String,
}

txova_db::cache_keys! {
    fn profile(id: u64) -> Profile = "user:profile:{id}";
    fn history(user: u64, page: u32) -> Vec<u64> = "ride:history:list:user:{user}:page:{page}";
    fn counter(id: u64) -> u64 = "ride:counter:{id}";
}

const MIN: Duration = Duration::from_secs(60);

fn ana(id: u64) -> Profile {
    Profile {
        id,
        name: "Ana".into(),
    }
}

#[tokio::test]
async fn set_get_delete_exists() {
    for (name, client) in targets("cache-basic").await {
        let cache = Cache::new(client);
        let key = profile(1);
        assert_eq!(cache.get(&key).await.unwrap(), None, "{name}");
        assert!(!cache.exists(&key).await.unwrap());
        cache.set(&key, &ana(1), MIN).await.unwrap();
        assert!(cache.exists(&key).await.unwrap());
        assert_eq!(cache.get(&key).await.unwrap(), Some(ana(1)));
        assert!(cache.delete(&key).await.unwrap());
        assert!(!cache.delete(&key).await.unwrap());
        assert_eq!(cache.get(&key).await.unwrap(), None);
    }
}

#[tokio::test]
async fn entries_expire() {
    for (name, client) in targets("cache-ttl").await {
        let cache = Cache::new(client);
        cache
            .set(&profile(1), &ana(1), Duration::from_millis(50))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(cache.get(&profile(1)).await.unwrap(), None, "{name}");
    }
}

#[tokio::test]
async fn many_at_once() {
    for (name, client) in targets("cache-many").await {
        let cache = Cache::new(client);
        let entries: Vec<_> = (0..50).map(|i| (profile(i), ana(i))).collect();
        cache.set_many(&entries, MIN).await.unwrap();
        let mut keys: Vec<_> = (0..50).map(profile).collect();
        keys.push(profile(999));
        let got = cache.get_many(&keys).await.unwrap();
        assert_eq!(got.len(), 51, "{name}");
        for (i, v) in got.iter().take(50).enumerate() {
            assert_eq!(v.as_ref(), Some(&ana(i as u64)));
        }
        assert_eq!(got[50], None);
        assert!(cache.get_many::<Profile>(&[]).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn get_or_set_computes_once_per_process() {
    for (name, client) in targets("cache-flight").await {
        let cache = Cache::new(client);
        let calls = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let cache = cache.clone();
                let calls = Arc::clone(&calls);
                tokio::spawn(async move {
                    cache
                        .get_or_set(&profile(5), MIN, async || {
                            calls.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            Ok::<_, Error>(ana(5))
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), ana(5));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{name}");
    }
}

#[derive(Debug)]
#[allow(
    dead_code,
    reason = "the field is shown through Debug when a test fails"
)]
enum AppError {
    Db(Error),
    NotFound,
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
            AppError::NotFound => f.write_str("not found"),
        }
    }
}

#[tokio::test]
async fn compute_errors_are_returned_not_cached() {
    for (name, client) in targets("cache-err").await {
        let cache = Cache::new(client);
        let r = cache
            .get_or_set(&profile(6), MIN, async || {
                Err::<Profile, _>(AppError::NotFound)
            })
            .await;
        assert!(matches!(r, Err(AppError::NotFound)), "{name}");
        assert!(!cache.exists(&profile(6)).await.unwrap());
        let v = cache
            .get_or_set(&profile(6), MIN, async || Ok::<_, AppError>(ana(6)))
            .await
            .unwrap();
        assert_eq!(v, ana(6));
    }
}

#[tokio::test]
async fn lease_computes_once_across_processes() {
    for (name, client) in targets("cache-lease").await {
        // Separate caches have separate in-process flights, as separate processes do.
        let calls = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let cache = Cache::new(client.clone()).with_lease(Lease::default());
                let calls = Arc::clone(&calls);
                tokio::spawn(async move {
                    cache
                        .get_or_set(&profile(8), MIN, async || {
                            calls.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            Ok::<_, Error>(ana(8))
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), ana(8));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{name}");

        // A holder whose value cannot be stored still gives the lease back.
        let small = Cache::new(client.clone())
            .with_lease(Lease::default())
            .max_value_size(10);
        let e = small
            .get_or_set(&profile(9), MIN, async || Ok::<_, Error>(ana(9)))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name}: {e}");
        let lease: i64 = client
            .query(redis::cmd("EXISTS").arg(client.prefixed("lease:{user:profile:9}")))
            .await
            .unwrap();
        assert_eq!(lease, 0, "{name}: lease released");
    }
}

#[tokio::test]
async fn lease_serves_the_old_value_while_one_caller_recomputes() {
    for (name, client) in targets("cache-stale").await {
        let lease = Lease {
            serve_stale: Duration::from_secs(60),
            ..Lease::default()
        };
        let first = Cache::new(client.clone()).with_lease(lease);
        let v = first
            .get_or_set(&profile(10), MIN, async || Ok::<_, Error>(ana(10)))
            .await
            .unwrap();
        assert_eq!(v, ana(10));
        // The entry expires, and another process holds the lease to recompute it.
        first.delete(&profile(10)).await.unwrap();
        let _: () = client
            .query(
                redis::cmd("SET")
                    .arg(client.prefixed("lease:{user:profile:10}"))
                    .arg("another-process")
                    .arg("PX")
                    .arg(10_000),
            )
            .await
            .unwrap();
        let calls = AtomicUsize::new(0);
        let fresh = Profile {
            id: 10,
            name: "Bea".into(),
        };
        let other = Cache::new(client.clone()).with_lease(lease);
        let got = other
            .get_or_set(&profile(10), MIN, async || {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok::<_, Error>(fresh.clone())
            })
            .await
            .unwrap();
        assert_eq!(got, ana(10), "{name}: the old value is served");
        assert_eq!(calls.load(Ordering::SeqCst), 0, "{name}");
        // Without an old value to serve, a caller waits for the holder, then computes itself.
        let _: () = client
            .query(
                redis::cmd("SET")
                    .arg(client.prefixed("lease:{user:profile:11}"))
                    .arg("another-process")
                    .arg("PX")
                    .arg(10_000),
            )
            .await
            .unwrap();
        let waiting = Cache::new(client.clone()).with_lease(Lease {
            wait: Duration::from_millis(200),
            ..Lease::default()
        });
        let got = waiting
            .get_or_set(&profile(11), MIN, async || Ok::<_, Error>(fresh.clone()))
            .await
            .unwrap();
        assert_eq!(got, fresh);
    }
}

#[tokio::test]
async fn go_json_is_read_and_written_byte_for_byte() {
    for (name, client) in targets("cache-go").await {
        let cache = Cache::new(client.clone());
        let key = profile(4);
        let full = client.prefixed(key.as_str());
        // Exactly what Go's json.Marshal writes for the equivalent struct.
        let go = r#"{"ID":4,"Name":"A\u0026B \u003cx\u003e"}"#;
        let _: () = client
            .query(redis::cmd("SET").arg(&full).arg(go))
            .await
            .unwrap();
        let got = cache.get(&key).await.unwrap().unwrap();
        assert_eq!(got.name, "A&B <x>", "{name}");
        cache.set(&key, &got, MIN).await.unwrap();
        let raw: String = client.query(redis::cmd("GET").arg(&full)).await.unwrap();
        assert_eq!(raw, go);
    }
}

#[tokio::test]
async fn values_go_refuses_are_refused_and_maps_are_sorted_as_go_sorts_them() {
    for (name, client) in targets("cache-go-write").await {
        let cache = Cache::new(client.clone());
        let key = CacheKey::<Vec<f64>>::parse("svc:scores:1").unwrap();
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let e = cache.set(&key, &vec![1.0, bad], MIN).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Encode, "{name}: {e}");
            assert!(
                !cache.exists(&key).await.unwrap(),
                "{name}: nothing written"
            );
        }
        // What json.Marshal writes for map[int]string{1: "a", 2: "b", 10: "c"}.
        let key = CacheKey::<std::collections::HashMap<u32, String>>::parse("svc:names:1").unwrap();
        let map = [(1, "a"), (2, "b"), (10, "c")]
            .into_iter()
            .map(|(k, v)| (k, v.to_owned()))
            .collect();
        cache.set(&key, &map, MIN).await.unwrap();
        let raw: String = client
            .query(redis::cmd("GET").arg(client.prefixed(key.as_str())))
            .await
            .unwrap();
        assert_eq!(raw, r#"{"1":"a","10":"c","2":"b"}"#, "{name}");
        assert_eq!(cache.get(&key).await.unwrap(), Some(map), "{name}");
    }
}

#[tokio::test]
async fn list_prefix_invalidation_reaches_every_primary() {
    for (name, client) in targets("cache-list").await {
        let cache = Cache::new(client);
        let entries: Vec<_> = (0..40)
            .map(|i| (history(i % 4, u32::try_from(i).unwrap()), vec![i]))
            .collect();
        cache.set_many(&entries, MIN).await.unwrap();
        cache.set(&profile(1), &ana(1), MIN).await.unwrap();
        let removed = cache
            .invalidate_list(history(0, 0).list_prefix().unwrap())
            .await
            .unwrap();
        assert_eq!(removed, 40, "{name}");
        for (k, _) in &entries {
            assert!(!cache.exists(k).await.unwrap());
        }
        // Other keys stay.
        assert!(cache.exists(&profile(1)).await.unwrap());
        // A narrower prefix removes only its lists.
        cache.set_many(&entries, MIN).await.unwrap();
        let removed = cache
            .invalidate_list("ride:history:list:user:1:")
            .await
            .unwrap();
        assert_eq!(removed, 10, "{name}");
        // A prefix with no key under it removes nothing.
        let removed = cache
            .invalidate_list("ride:history:list:user:9:")
            .await
            .unwrap();
        assert_eq!(removed, 0, "{name}");
    }
}

#[tokio::test]
async fn bad_input_is_a_clear_error_and_writes_nothing() {
    for (name, client) in targets("cache-bad").await {
        let cache = Cache::new(client).max_value_size(1024);
        let key = counter(1);
        for ttl in [Duration::ZERO, Duration::from_micros(10)] {
            let e = cache.set(&key, &1, ttl).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name}: {e}");
        }
        let e = cache
            .get_or_set(&key, Duration::ZERO, async || Ok::<_, Error>(1))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let big = Profile {
            id: 1,
            name: "x".repeat(2000),
        };
        let e = cache.set(&profile(1), &big, MIN).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(e.to_string().contains("limit"), "{e}");
        assert!(!cache.exists(&profile(1)).await.unwrap());
        // One oversized value in a batch: nothing of the batch is written.
        let batch = vec![(profile(2), ana(2)), (profile(3), big)];
        assert!(cache.set_many(&batch, MIN).await.is_err());
        assert!(!cache.exists(&profile(2)).await.unwrap());
        // Values serde cannot encode as JSON.
        let bad_key =
            CacheKey::<std::collections::HashMap<Vec<u8>, u8>>::parse("svc:bad:1").unwrap();
        let mut map = std::collections::HashMap::new();
        map.insert(vec![1u8], 1u8);
        let e = cache.set(&bad_key, &map, MIN).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Encode, "{e}");
        for prefix in ["", "ride:history:", "ride:list", "list:x:", "ride::list:"] {
            let e = cache.invalidate_list(prefix).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{prefix}");
        }
    }
}

const LEASE_WORKER_ENV: &str = "TXOVA_LEASE_WORKER";

/// Run as a child process by `lease_computes_once_across_real_processes`; does nothing on
/// its own.
#[tokio::test]
#[ignore = "a worker process started by lease_computes_once_across_real_processes"]
async fn lease_worker_process() {
    let Ok(spec) = std::env::var(LEASE_WORKER_ENV) else {
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
    let cache = Cache::new(client.clone()).with_lease(Lease::default());
    let got = cache
        .get_or_set(&profile(42), MIN, async || {
            // Count the computations across processes, in Redis itself.
            let _: i64 = client
                .query(redis::cmd("INCR").arg(client.prefixed("computations")))
                .await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok::<_, Error>(ana(42))
        })
        .await
        .unwrap();
    assert_eq!(got, ana(42));
}

#[tokio::test]
async fn lease_computes_once_across_real_processes() {
    for (name, client) in targets("cache-lease-procs").await {
        let exe = std::env::current_exe().unwrap();
        let children: Vec<_> = (0..4)
            .map(|_| {
                std::process::Command::new(&exe)
                    .args([
                        "--ignored",
                        "--exact",
                        "lease_worker_process",
                        "--nocapture",
                    ])
                    .env(LEASE_WORKER_ENV, format!("{name} {}", client.prefix()))
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

#[tokio::test]
async fn an_empty_batch_sends_nothing_and_debug_shows_the_settings() {
    for (name, client) in targets("cache-empty").await {
        let cache = Cache::new(client.clone()).max_value_size(2048);
        let no_entries: [(CacheKey<Profile>, Profile); 0] = [];
        cache.set_many(&no_entries, MIN).await.unwrap();
        assert!(cache.get_many::<Profile>(&[]).await.unwrap().is_empty());
        // A zero TTL is refused even for an empty batch: the mistake shows on the first call.
        let e = cache
            .set_many(&no_entries, Duration::ZERO)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name}: {e}");
        let text = format!("{cache:?}");
        assert!(
            text.starts_with("Cache { client: Client {"),
            "{name}: {text}"
        );
        assert!(
            text.contains("lease: None")
                && text.contains("max_value_size: 2048")
                && text.contains("on_decode_error: Fail"),
            "{name}: {text}"
        );
    }
}

/// A bound that proves a wait ends; not a speed assertion.
const NO_HANG: Duration = Duration::from_secs(60);

#[tokio::test]
async fn waiters_share_a_holders_failure_and_compute_once_the_holder_is_gone() {
    for (name, client) in targets("cache-lease-wait").await {
        let cache = Cache::new(client.clone()).with_lease(Lease {
            wait: Duration::from_secs(30),
            ..Lease::default()
        });
        // Another process failed to compute and left its reason in the lease.
        let _: () = client
            .query(
                redis::cmd("SET")
                    .arg(client.prefixed("lease:{user:profile:20}"))
                    .arg("failed:the profile service is down")
                    .arg("PX")
                    .arg(30_000),
            )
            .await
            .unwrap();
        let calls = AtomicUsize::new(0);
        let e = tokio::time::timeout(
            NO_HANG,
            cache.get_or_set(&profile(20), MIN, async || {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok::<_, Error>(ana(20))
            }),
        )
        .await
        .expect("the waiter must see the failure")
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ComputeFailed, "{name}: {e}");
        assert_eq!(
            e.to_string(),
            "the shared computation of cache key user:profile:20 failed: the profile service is down"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 0, "{name}");

        // The holder goes away without a value (its lease expires): the waiter computes.
        let _: () = client
            .query(
                redis::cmd("SET")
                    .arg(client.prefixed("lease:{user:profile:21}"))
                    .arg("another-process")
                    .arg("PX")
                    .arg(200),
            )
            .await
            .unwrap();
        let got = tokio::time::timeout(
            NO_HANG,
            cache.get_or_set(&profile(21), MIN, async || Ok::<_, Error>(ana(21))),
        )
        .await
        .expect("the waiter must stop waiting once the holder is gone")
        .unwrap();
        assert_eq!(got, ana(21), "{name}");
        assert_eq!(cache.get(&profile(21)).await.unwrap(), Some(ana(21)));
    }
}

#[tokio::test]
async fn a_long_failure_reason_is_cut_at_a_character_boundary() {
    for (name, client) in targets("cache-lease-reason").await {
        let cache = Cache::new(client.clone()).with_lease(Lease {
            failure_ttl: Duration::from_secs(60),
            ..Lease::default()
        });
        // 1 + 2 × 300 bytes: byte 512 falls inside an `é`.
        let reason = format!("x{}", "é".repeat(300));
        let e = cache
            .get_or_set(&profile(22), MIN, async || {
                Err::<Profile, _>(Error::custom(reason.clone()))
            })
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            reason,
            "{name}: the caller gets the whole reason"
        );
        let mark: String = client
            .query(redis::cmd("GET").arg(client.prefixed("lease:{user:profile:22}")))
            .await
            .unwrap();
        let kept = mark.strip_prefix("failed:").unwrap();
        assert_eq!(kept.len(), 511, "{name}");
        assert!(reason.starts_with(kept), "{name}");
    }
}

#[tokio::test]
async fn one_key_read_as_two_types_at_once_is_a_decode_error() {
    for (name, client) in targets("cache-flight-types").await {
        let cache = Cache::new(client);
        let as_number = CacheKey::<u64>::parse("svc:mixed:1").unwrap();
        let as_text = CacheKey::<String>::parse("svc:mixed:1").unwrap();
        // Both calls start in the same round, so the second joins the first's flight.
        let (number, text) = tokio::join!(
            cache.get_or_set(&as_number, MIN, async || Ok::<_, Error>(7)),
            cache.get_or_set(&as_text, MIN, async || Ok::<_, Error>("seven".to_owned())),
        );
        assert_eq!(number.unwrap(), 7, "{name}");
        let e = text.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{name}: {e}");
        assert_eq!(
            e.to_string(),
            "cache key svc:mixed:1 was read as two different types at once"
        );
    }
}
