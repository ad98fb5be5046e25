//! txova-db's Redis features against the raw `redis` crate doing the same commands, in the
//! same run, on the single node at `TXOVA_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`).
//!
//! `cargo bench -p txova-db-tests --bench redis`
#![allow(
    missing_docs,
    reason = "criterion_group! generates undocumented functions"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "observed.rs"]
mod observed;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde::{Deserialize, Serialize};
use tokio::runtime::Runtime;
use txova_db::redis::{
    Cache, Client, Config, Locker, RateLimitConfig, RateLimiter, SessionData, SessionStore,
};
use txova_db_tests::redis_env::{random_prefix, single_url};

const LOCK_ACQUIRE: &str = include_str!("../../txova-db/src/redis/scripts/lock_acquire.lua");
const COMPARE_AND_DELETE: &str =
    include_str!("../../txova-db/src/redis/scripts/compare_and_delete.lua");
const RATE_LIMIT: &str = include_str!("../../txova-db/src/redis/scripts/rate_limit.lua");
const SESSION_COMMON: &str = include_str!("../../txova-db/src/redis/scripts/session_common.lua");
const SESSION_CREATE: &str = include_str!("../../txova-db/src/redis/scripts/session_create.lua");
const SESSION_GET: &str = include_str!("../../txova-db/src/redis/scripts/session_get.lua");
const SESSION_DELETE: &str = include_str!("../../txova-db/src/redis/scripts/session_delete.lua");

/// About 1 KB of JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Profile {
    id: u64,
    name: String,
    email: String,
    phone: String,
    city: String,
    rating: f64,
    trips: u32,
    tags: Vec<String>,
    bio: String,
}

fn profile() -> Profile {
    Profile {
        id: 42,
        name: "Ana Maria dos Santos".into(),
        email: "ana.santos@example.com".into(),
        phone: "+258 84 123 4567".into(),
        city: "maputo".into(),
        rating: 4.87,
        trips: 1234,
        tags: (0..10).map(|i| format!("tag-{i}")).collect(),
        bio: "x".repeat(700),
    }
}

txova_db::cache_keys! {
    fn profile_key(id: u64) -> Profile = "user:profile:{id}";
}

/// Concurrent tasks of the throughput benchmark.
const TASKS: usize = 64;
/// Gets per task per iteration of the throughput benchmark.
const OPS: usize = 100;

struct Env {
    client: Client,
    raw: ConnectionManager,
}

async fn env() -> Env {
    let client = Client::new(Config::new(single_url()).prefix(random_prefix("bench")))
        .await
        .expect("redis");
    let raw = ConnectionManager::new_with_config(
        redis::Client::open(single_url()).expect("url"),
        ConnectionManagerConfig::new().set_response_timeout(Some(Duration::from_secs(1))),
    )
    .await
    .expect("redis");
    Env { client, raw }
}

/// Alternating txova/raw pairs per comparison, for the paired ratio printed at the end.
const PAIRS: usize = 2000;

/// One comparison's paired result: name, median txova, median raw.
type Paired = (&'static str, Duration, Duration);

/// Benchmarks `txova` and `raw` with criterion, then runs them in alternating pairs so both
/// see the same load, and records the medians.
fn compare<T: AsyncFn(), R: AsyncFn()>(
    c: &mut Criterion,
    rt: &Runtime,
    name: &'static str,
    txova: T,
    raw: R,
    paired: &mut Vec<Paired>,
) {
    let mut g = c.benchmark_group(name);
    g.bench_function("txova", |b| b.to_async(rt).iter(|| txova()));
    g.bench_function("raw", |b| b.to_async(rt).iter(|| raw()));
    g.finish();
    let (mut t, mut r) = (Vec::with_capacity(PAIRS), Vec::with_capacity(PAIRS));
    rt.block_on(async {
        for i in 0..PAIRS {
            // Alternate which goes first, so neither always meets a warm or cold server.
            if i % 2 == 0 {
                let start = Instant::now();
                txova().await;
                t.push(start.elapsed());
                let start = Instant::now();
                raw().await;
                r.push(start.elapsed());
            } else {
                let start = Instant::now();
                raw().await;
                r.push(start.elapsed());
                let start = Instant::now();
                txova().await;
                t.push(start.elapsed());
            }
        }
    });
    t.sort();
    r.sort();
    paired.push((name, t[PAIRS / 2], r[PAIRS / 2]));
}

#[allow(
    clippy::too_many_lines,
    reason = "one run shares one setup, so txova and raw are measured side by side"
)]
fn bench(c: &mut Criterion) {
    observed::install_if_asked();
    let rt = Runtime::new().expect("runtime");
    let env = rt.block_on(env());
    let mut paired = Vec::new();
    let value = profile();
    let json_len = serde_json::to_vec(&value).expect("json").len();
    assert!(
        (900..1200).contains(&json_len),
        "the value is {json_len} bytes"
    );

    let cache = Cache::new(env.client.clone());
    let key = profile_key(1);
    let raw_key = env.client.prefixed("raw:user:profile:1");
    let ttl = Duration::from_secs(600);
    rt.block_on(async {
        cache.set(&key, &value, ttl).await.expect("set");
        let mut raw = env.raw.clone();
        let _: () = redis::cmd("SET")
            .arg(&raw_key)
            .arg(serde_json::to_vec(&value).expect("json"))
            .query_async(&mut raw)
            .await
            .expect("set");
    });

    compare(
        c,
        &rt,
        "cache_get_1kb",
        async || {
            black_box(cache.get(&key).await.expect("get"));
        },
        async || {
            let mut raw = env.raw.clone();
            let bytes: Vec<u8> = redis::cmd("GET")
                .arg(&raw_key)
                .query_async(&mut raw)
                .await
                .expect("get");
            black_box(serde_json::from_slice::<Profile>(&bytes).expect("json"));
        },
        &mut paired,
    );

    compare(
        c,
        &rt,
        "cache_set_1kb",
        async || cache.set(&key, &value, ttl).await.expect("set"),
        async || {
            let mut raw = env.raw.clone();
            let _: () = redis::cmd("SET")
                .arg(&raw_key)
                .arg(serde_json::to_vec(&value).expect("json"))
                .arg("PX")
                .arg(600_000)
                .query_async(&mut raw)
                .await
                .expect("set");
        },
        &mut paired,
    );

    let locker = Locker::new(env.client.clone());
    let acquire = redis::Script::new(LOCK_ACQUIRE);
    let release = redis::Script::new(COMPARE_AND_DELETE);
    let raw_lock = env.client.prefixed("raw:lock:{bench}");
    let raw_fence = format!("{raw_lock}:fence");
    compare(
        c,
        &rt,
        "lock_acquire_release",
        async || {
            let guard = locker
                .try_acquire("bench", ttl)
                .await
                .expect("acquire")
                .expect("free");
            assert!(guard.release().await.expect("release"));
        },
        async || {
            let mut raw = env.raw.clone();
            let token = "0123456789abcdef0123456789abcdef";
            let r: Vec<i64> = acquire
                .key(&raw_lock)
                .key(&raw_fence)
                .arg(token)
                .arg(600_000)
                .invoke_async(&mut raw)
                .await
                .expect("acquire");
            assert!(r[0] > 0);
            let n: i64 = release
                .key(&raw_lock)
                .arg(token)
                .invoke_async(&mut raw)
                .await
                .expect("release");
            assert_eq!(n, 1);
        },
        &mut paired,
    );

    let limiter = RateLimiter::new(env.client.clone());
    // Never denies during the bench: 10^9 a second with a burst of 10^9; ticks of 1 µs.
    let rl = RateLimitConfig::per_second("ratelimit:bench", 1_000_000_000);
    let rl_script = redis::Script::new(RATE_LIMIT);
    let raw_rl = env.client.prefixed("raw:ratelimit:bench");
    compare(
        c,
        &rt,
        "rate_limit_allow",
        async || {
            black_box(limiter.allow(&rl).await.expect("allow"));
        },
        async || {
            let mut raw = env.raw.clone();
            let r: Vec<i64> = rl_script
                .key(&raw_rl)
                .arg(1_000_000_000)
                .arg(1_000_000)
                .arg(1_000_000_000)
                .arg(1)
                .arg(1)
                .arg(1)
                .invoke_async(&mut raw)
                .await
                .expect("allow");
            black_box(r);
        },
        &mut paired,
    );

    let store = SessionStore::new(env.client.clone(), [7u8; 32]).expect("a 32-byte session secret");
    let data = SessionData {
        user_id: "bench-user".into(),
        device_id: "device-1".into(),
        device_info: "iPhone 15, iOS 18".into(),
        ip_address: "198.51.100.7".into(),
    };
    let create = redis::Script::new(&format!("{SESSION_COMMON}{SESSION_CREATE}"));
    let get = redis::Script::new(&format!("{SESSION_COMMON}{SESSION_GET}"));
    let delete = redis::Script::new(&format!("{SESSION_COMMON}{SESSION_DELETE}"));
    let raw_sessions = env.client.prefixed("raw:session:{bench}");
    // Each create is followed by a delete, so the user's hash stays small as in production.
    compare(
        c,
        &rt,
        "session_create",
        async || {
            let s = store.create(data.clone()).await.expect("create");
            store.delete(&s.id).await.expect("delete");
        },
        async || {
            let mut raw = env.raw.clone();
            let json = serde_json::to_vec(&data).expect("json");
            let _: Vec<u8> = create
                .key(&raw_sessions)
                .arg("0123456789abcdef0123456789abcdef0123456789abcdef")
                .arg(&data.user_id)
                .arg(600_000)
                .arg(6_000_000)
                .arg(&json)
                .invoke_async(&mut raw)
                .await
                .expect("create");
            let _: i64 = delete
                .key(&raw_sessions)
                .arg("0123456789abcdef0123456789abcdef0123456789abcdef")
                .invoke_async(&mut raw)
                .await
                .expect("delete");
        },
        &mut paired,
    );

    let session = rt.block_on(store.create(data.clone())).expect("create");
    let raw_id = "fedcba9876543210fedcba9876543210fedcba9876543210";
    rt.block_on(async {
        let mut raw = env.raw.clone();
        let _: Vec<u8> = create
            .key(&raw_sessions)
            .arg(raw_id)
            .arg(&data.user_id)
            .arg(600_000)
            .arg(6_000_000)
            .arg(serde_json::to_vec(&data).expect("json"))
            .invoke_async(&mut raw)
            .await
            .expect("create");
    });
    compare(
        c,
        &rt,
        "session_get",
        async || {
            black_box(store.get(&session.id).await.expect("get"));
        },
        async || {
            let mut raw = env.raw.clone();
            let v: Vec<u8> = get
                .key(&raw_sessions)
                .arg(raw_id)
                .invoke_async(&mut raw)
                .await
                .expect("get");
            // The same decoding the store does: five numbers, the user id, then the JSON
            // data.
            let mut parts = v.splitn(6, |b| *b == b':');
            let times: Vec<u64> = (0..5)
                .map(|_| {
                    std::str::from_utf8(parts.next().expect("field"))
                        .expect("utf8")
                        .parse()
                        .expect("number")
                })
                .collect();
            let rest = parts.next().expect("data");
            let user_len = usize::try_from(times[4]).expect("length");
            let user = String::from_utf8(rest[..user_len].to_vec()).expect("utf8");
            let data: SessionData = serde_json::from_slice(&rest[user_len..]).expect("json");
            black_box((times, user, data));
        },
        &mut paired,
    );

    // Throughput: 64 tasks sharing one client, each doing OPS gets of the 1 KB value.
    let mut g = c.benchmark_group("throughput_64_tasks_get_1kb");
    g.throughput(Throughput::Elements((TASKS * OPS) as u64));
    g.sample_size(20);
    g.bench_function("txova", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let cache = cache.clone();
            let key = key.clone();
            async move {
                let start = Instant::now();
                for _ in 0..iters {
                    let tasks: Vec<_> = (0..TASKS)
                        .map(|_| {
                            let (cache, key) = (cache.clone(), key.clone());
                            tokio::spawn(async move {
                                for _ in 0..OPS {
                                    black_box(cache.get(&key).await.expect("get"));
                                }
                            })
                        })
                        .collect();
                    for t in tasks {
                        t.await.expect("task");
                    }
                }
                start.elapsed()
            }
        });
    });
    g.bench_function("raw", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let raw = env.raw.clone();
            let raw_key = raw_key.clone();
            async move {
                let start = Instant::now();
                for _ in 0..iters {
                    let tasks: Vec<_> = (0..TASKS)
                        .map(|_| {
                            let (mut raw, raw_key) = (raw.clone(), raw_key.clone());
                            tokio::spawn(async move {
                                for _ in 0..OPS {
                                    let bytes: Vec<u8> = redis::cmd("GET")
                                        .arg(&raw_key)
                                        .query_async(&mut raw)
                                        .await
                                        .expect("get");
                                    black_box(
                                        serde_json::from_slice::<Profile>(&bytes).expect("json"),
                                    );
                                }
                            })
                        })
                        .collect();
                    for t in tasks {
                        t.await.expect("task");
                    }
                }
                start.elapsed()
            }
        });
    });
    g.finish();

    println!("\npaired medians ({PAIRS} alternating pairs each, same load for both sides):");
    println!(
        "{:<24} {:>12} {:>12} {:>7}",
        "benchmark", "txova", "raw", "ratio"
    );
    for (name, t, r) in &paired {
        println!(
            "{name:<24} {:>10.1}us {:>10.1}us {:>7.2}",
            t.as_secs_f64() * 1e6,
            r.as_secs_f64() * 1e6,
            t.as_secs_f64() / r.as_secs_f64()
        );
    }

    // Leave nothing behind on the shared server.
    rt.block_on(async {
        let keys = [
            env.client.prefixed(key.as_str()),
            raw_key.clone(),
            env.client.prefixed("lock:{bench}:fence"),
            raw_fence.clone(),
            env.client.prefixed("ratelimit:bench"),
            raw_rl.clone(),
            raw_sessions.clone(),
        ];
        let mut raw = env.raw.clone();
        let _: () = redis::cmd("DEL")
            .arg(&keys)
            .query_async(&mut raw)
            .await
            .expect("cleanup");
        store
            .delete_all_for_user(&data.user_id)
            .await
            .expect("cleanup");
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
    targets = bench
}
criterion_main!(benches);
