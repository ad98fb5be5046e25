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

#[allow(
    clippy::too_many_lines,
    reason = "one run shares one setup, so txova and raw are measured side by side"
)]
fn bench(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let env = rt.block_on(env());
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

    let mut g = c.benchmark_group("cache_get_1kb");
    g.bench_function("txova", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(cache.get(&key).await.expect("get")) });
    });
    g.bench_function("raw", |b| {
        b.to_async(&rt).iter(|| async {
            let mut raw = env.raw.clone();
            let bytes: Vec<u8> = redis::cmd("GET")
                .arg(&raw_key)
                .query_async(&mut raw)
                .await
                .expect("get");
            black_box(serde_json::from_slice::<Profile>(&bytes).expect("json"))
        });
    });
    g.finish();

    let mut g = c.benchmark_group("cache_set_1kb");
    g.bench_function("txova", |b| {
        b.to_async(&rt)
            .iter(|| async { cache.set(&key, &value, ttl).await.expect("set") });
    });
    g.bench_function("raw", |b| {
        b.to_async(&rt).iter(|| async {
            let mut raw = env.raw.clone();
            let _: () = redis::cmd("SET")
                .arg(&raw_key)
                .arg(serde_json::to_vec(&value).expect("json"))
                .arg("PX")
                .arg(600_000)
                .query_async(&mut raw)
                .await
                .expect("set");
        });
    });
    g.finish();

    let locker = Locker::new(env.client.clone());
    let acquire = redis::Script::new(LOCK_ACQUIRE);
    let release = redis::Script::new(COMPARE_AND_DELETE);
    let raw_lock = env.client.prefixed("raw:lock:{bench}");
    let raw_fence = format!("{raw_lock}:fence");
    let mut g = c.benchmark_group("lock_acquire_release");
    g.bench_function("txova", |b| {
        b.to_async(&rt).iter(|| async {
            let guard = locker
                .try_acquire("bench", ttl)
                .await
                .expect("acquire")
                .expect("free");
            assert!(guard.release().await.expect("release"));
        });
    });
    g.bench_function("raw", |b| {
        b.to_async(&rt).iter(|| async {
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
        });
    });
    g.finish();

    let limiter = RateLimiter::new(env.client.clone());
    let rl = RateLimitConfig {
        key: "ratelimit:bench".into(),
        limit: 1_000_000_000,
        window: Duration::from_secs(1_000_000),
    };
    let rl_script = redis::Script::new(RATE_LIMIT);
    let raw_rl = env.client.prefixed("raw:ratelimit:bench");
    let mut g = c.benchmark_group("rate_limit_allow");
    g.bench_function("txova", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(limiter.allow(&rl).await.expect("allow")) });
    });
    g.bench_function("raw_evalsha", |b| {
        b.to_async(&rt).iter(|| async {
            let mut raw = env.raw.clone();
            let r: Vec<i64> = rl_script
                .key(&raw_rl)
                .arg(1_000_000_000)
                .arg(1000)
                .arg(1)
                .arg(1)
                .invoke_async(&mut raw)
                .await
                .expect("allow");
            black_box(r)
        });
    });
    g.finish();

    let store = SessionStore::new(env.client.clone());
    let data = SessionData {
        user_id: "bench-user".into(),
        device_id: "device-1".into(),
        device_info: "iPhone 15, iOS 18".into(),
        ip_address: "198.51.100.7".into(),
    };
    let create = redis::Script::new(&format!("{SESSION_COMMON}{SESSION_CREATE}"));
    let get = redis::Script::new(&format!("{SESSION_COMMON}{SESSION_GET}"));
    let raw_sessions = env.client.prefixed("raw:session:{bench}");
    let data_json = serde_json::to_vec(&data).expect("json");
    let mut g = c.benchmark_group("session_create");
    // A fresh user per batch keeps the user's hash small, as in production.
    g.bench_function("txova", |b| {
        b.to_async(&rt).iter(|| async {
            let s = store.create(data.clone()).await.expect("create");
            store.delete(&s.id).await.expect("delete");
        });
    });
    g.bench_function("raw_evalsha", |b| {
        b.to_async(&rt).iter(|| async {
            let mut raw = env.raw.clone();
            let json = serde_json::to_vec(&data).expect("json");
            let _: Vec<u8> = create
                .key(&raw_sessions)
                .arg("0123456789abcdef0123456789abcdef0123456789abcdef")
                .arg(600_000)
                .arg(6_000_000)
                .arg(&json)
                .invoke_async(&mut raw)
                .await
                .expect("create");
            let _: i64 = redis::cmd("HDEL")
                .arg(&raw_sessions)
                .arg("0123456789abcdef0123456789abcdef0123456789abcdef")
                .query_async(&mut raw)
                .await
                .expect("delete");
        });
    });
    g.finish();

    let session = rt.block_on(store.create(data.clone())).expect("create");
    let raw_id = "fedcba9876543210fedcba9876543210fedcba9876543210";
    rt.block_on(async {
        let mut raw = env.raw.clone();
        let _: Vec<u8> = create
            .key(&raw_sessions)
            .arg(raw_id)
            .arg(600_000)
            .arg(6_000_000)
            .arg(&data_json)
            .invoke_async(&mut raw)
            .await
            .expect("create");
    });
    let mut g = c.benchmark_group("session_get");
    g.bench_function("txova", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(store.get(&session.id).await.expect("get")) });
    });
    g.bench_function("raw_evalsha", |b| {
        b.to_async(&rt).iter(|| async {
            let mut raw = env.raw.clone();
            let v: Vec<u8> = get
                .key(&raw_sessions)
                .arg(raw_id)
                .invoke_async(&mut raw)
                .await
                .expect("get");
            // The same decoding the store does: four numbers, then the JSON data.
            let mut parts = v.splitn(5, |b| *b == b':');
            let times: Vec<u64> = (0..4)
                .map(|_| {
                    std::str::from_utf8(parts.next().expect("field"))
                        .expect("utf8")
                        .parse()
                        .expect("number")
                })
                .collect();
            let data: SessionData =
                serde_json::from_slice(parts.next().expect("data")).expect("json");
            black_box((times, data))
        });
    });
    g.finish();

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
