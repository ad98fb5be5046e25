//! The soak: mixed load (queries, transactions, cache, locks, rate limits, sessions) for
//! `SOAK_SECONDS` (default 600) against a PostgreSQL and a Redis of its own, both restarted at
//! the middle. Every 30 s (`SOAK_REPORT_SECONDS`) it prints resident memory, open file
//! descriptors and the connections each server sees; at the end, the errors of each phase.
//! It fails if anything fails after recovery (10 s after both servers are back), or if the
//! connections ever exceed the pool's size.
//!
//! Not part of the suite (ignored); `scripts/soak` runs it:
//! `cargo test -p txova-db-tests --test soak -- --ignored --nocapture`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use txova_db::postgres::{Config, Executor, Pool, with_tx};
use txova_db::redis::{
    self, Cache, CacheKey, Client, Locker, RateLimitConfig, RateLimiter, SessionData, SessionStore,
};
use txova_db_tests::PgServer;
use txova_db_tests::redis_env::OwnServer;

const WORKERS: u64 = 8;
const POOL_SIZE: usize = 6;
const ACCOUNTS: i32 = 100;
/// After both servers are back, errors are still the restart's for this long.
const RECOVERY: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Profile {
    name: String,
    rating: f64,
    rides: Vec<u32>,
}

/// The phase an operation ran in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Before,
    Restart,
    After,
}

struct Tally {
    ops: AtomicU64,
    /// (phase, operation, error kind) -> count.
    errors: Mutex<BTreeMap<(Phase, &'static str, String), u64>>,
    /// 0: before the restart, 1: restarting (until RECOVERY after the servers are back), 2: after.
    phase: std::sync::atomic::AtomicU8,
    /// Seconds since the start of the last error of the restart phase.
    last_restart_error: Mutex<Option<Duration>>,
}

impl Tally {
    fn phase(&self) -> Phase {
        match self.phase.load(Ordering::SeqCst) {
            0 => Phase::Before,
            1 => Phase::Restart,
            _ => Phase::After,
        }
    }

    fn record(&self, start: Instant, op: &'static str, result: Result<(), txova_db::Error>) {
        self.ops.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = result {
            let phase = self.phase();
            if phase == Phase::Restart {
                *self.last_restart_error.lock().unwrap() = Some(start.elapsed());
            }
            if phase == Phase::After {
                eprintln!("soak: {op} failed after recovery: {e}");
            }
            *self
                .errors
                .lock()
                .unwrap()
                .entry((phase, op, format!("{:?}", e.kind())))
                .or_default() += 1;
        }
    }
}

fn env_secs(name: &str, default: u64) -> Duration {
    Duration::from_secs(
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

/// `VmRSS` of this process, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

/// The client connections each server sees, asked over connections of their own.
async fn server_connections(pg_url: &str, redis_port: u16) -> (Option<i64>, Option<i64>) {
    let pg = async {
        let (client, conn) = tokio_postgres::connect(pg_url, tokio_postgres::NoTls)
            .await
            .ok()?;
        let task = tokio::spawn(conn);
        let row = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'soak' AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .ok();
        drop(client);
        let _ = task.await;
        row.map(|r| r.get::<_, i64>(0))
    };
    let pg = tokio::time::timeout(Duration::from_secs(5), pg)
        .await
        .ok()
        .flatten();
    let redis = tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new("redis-cli")
            .args(["-p", &redis_port.to_string(), "info", "clients"])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("connected_clients:"))
            .and_then(|v| v.trim().parse::<i64>().ok())
            // Less the redis-cli asking.
            .map(|n| n - 1)
    })
    .await
    .ok()
    .flatten();
    (pg, redis)
}

struct Load {
    pool: Pool,
    cache: Cache,
    locker: Locker,
    limiter: RateLimiter,
    sessions: SessionStore,
}

impl Load {
    async fn query(&self, n: u64) -> Result<(), txova_db::Error> {
        let id = i32::try_from(n % 100).unwrap_or(0) + 1;
        let row = self
            .pool
            .query_one("SELECT balance FROM accounts WHERE id = $1", &[&id])
            .await?;
        let _: i64 = row.get(0);
        Ok(())
    }

    async fn transfer(&self, n: u64) -> Result<(), txova_db::Error> {
        let from = i32::try_from(n % 100).unwrap_or(0) + 1;
        let to = i32::try_from((n * 7 + 3) % 100).unwrap_or(0) + 1;
        with_tx(&self.pool, async |tx| {
            tx.execute(
                "UPDATE accounts SET balance = balance - 1 WHERE id = $1",
                &[&from],
            )
            .await?;
            tx.execute(
                "UPDATE accounts SET balance = balance + 1 WHERE id = $1",
                &[&to],
            )
            .await?;
            Ok::<_, txova_db::Error>(())
        })
        .await
    }

    async fn cache(&self, n: u64) -> Result<(), txova_db::Error> {
        let key: CacheKey<Profile> = CacheKey::parse(format!("soak:profile:{}", n % 500))?;
        let profile = self
            .cache
            .get_or_set(&key, Duration::from_secs(5), async || {
                Ok::<_, txova_db::Error>(Profile {
                    name: format!("user {n}"),
                    rating: 4.5,
                    rides: (0..u32::try_from(n % 20).unwrap_or(0)).collect(),
                })
            })
            .await?;
        assert!(profile.rating > 0.0);
        if n.is_multiple_of(10) {
            self.cache.delete(&key).await?;
        }
        Ok(())
    }

    async fn lock(&self, n: u64) -> Result<(), txova_db::Error> {
        let key = format!("soak:job:{}", n % 16);
        let guard = self
            .locker
            .acquire(&key, Duration::from_secs(5), Duration::from_secs(2))
            .await?;
        guard.release().await?;
        Ok(())
    }

    async fn rate_limit(&self, n: u64) -> Result<(), txova_db::Error> {
        let limit = RateLimitConfig::per_second(format!("soak:rl:{}", n % 32), 50);
        let r = self.limiter.allow(&limit).await?;
        assert!(r.remaining <= 50);
        Ok(())
    }

    async fn session(&self, n: u64) -> Result<(), txova_db::Error> {
        let s = self
            .sessions
            .create(SessionData {
                user_id: format!("user-{}", n % 64),
                device_id: "soak".into(),
                device_info: "soak".into(),
                ip_address: "127.0.0.1".into(),
            })
            .await?;
        let got = self.sessions.get(&s.id).await?;
        assert!(got.is_some(), "a session just created is there");
        self.sessions.delete(&s.id).await?;
        Ok(())
    }
}

async fn worker(load: Arc<Load>, tally: Arc<Tally>, stop: Arc<AtomicBool>, start: Instant, w: u64) {
    let mut n = w;
    while !stop.load(Ordering::Relaxed) {
        n += WORKERS;
        let (op, result) = match n % 6 {
            0 => ("query", load.query(n).await),
            1 => ("transaction", load.transfer(n).await),
            2 => ("cache", load.cache(n).await),
            3 => ("lock", load.lock(n).await),
            4 => ("rate_limit", load.rate_limit(n).await),
            _ => ("session", load.session(n).await),
        };
        let failed = result.is_err();
        tally.record(start, op, result);
        if failed {
            // An outage answers at once; do not spin on it.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a 10-minute soak; run it with scripts/soak"]
#[allow(clippy::too_many_lines, reason = "one scenario, read top to bottom")]
async fn soak() {
    let total = env_secs("SOAK_SECONDS", 600);
    let every = env_secs("SOAK_REPORT_SECONDS", 30);
    let pg = PgServer::start().await;
    let redis_server = OwnServer::start();
    let admin = format!("postgres://root@{}/postgres", pg.addr());
    let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .expect("connect to the soak's own server");
    let conn = tokio::spawn(conn);
    client.batch_execute("CREATE DATABASE soak").await.unwrap();
    drop(client);
    let _ = conn.await;
    let url = format!("postgres://root@{}/soak", pg.addr());
    let mut config = Config::new(&url);
    config.max_connections = POOL_SIZE;
    config.acquire_timeout = Duration::from_secs(5);
    config.connect_timeout = Duration::from_secs(2);
    config.query_timeout = Some(Duration::from_secs(10));
    let pool = Pool::new(config)
        .await
        .expect("a pool on the soak's server");
    pool.execute(
        "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)",
        &[],
    )
    .await
    .unwrap();
    pool.execute(
        "INSERT INTO accounts SELECT g, 1000 FROM generate_series(1, $1) g",
        &[&ACCOUNTS],
    )
    .await
    .unwrap();
    let client = Client::new(
        redis::Config::new(redis_server.url())
            .prefix("soak:")
            .connect_timeout(Duration::from_secs(2))
            .response_timeout(Duration::from_secs(5)),
    )
    .await
    .expect("a client of the soak's redis");
    let load = Arc::new(Load {
        pool: pool.clone(),
        cache: Cache::new(client.clone()),
        locker: Locker::new(client.clone()),
        limiter: RateLimiter::new(client.clone()),
        sessions: SessionStore::new(client.clone(), "a soak secret that is 32 bytes long!!")
            .unwrap(),
    });
    let tally = Arc::new(Tally {
        ops: AtomicU64::new(0),
        errors: Mutex::new(BTreeMap::new()),
        phase: std::sync::atomic::AtomicU8::new(0),
        last_restart_error: Mutex::new(None),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| tokio::spawn(worker(load.clone(), tally.clone(), stop.clone(), start, w)))
        .collect();

    println!(
        "soak: {} s, {WORKERS} workers, pool of {POOL_SIZE}, postgres :{} and redis :{} of its own, both restarted at {} s",
        total.as_secs(),
        pg.port(),
        redis_server.port(),
        total.as_secs() / 2
    );
    println!(
        "{:>6} {:>10} {:>9} {:>5} {:>8} {:>8} {:>8} {:>7}",
        "t (s)", "ops", "rss (MiB)", "fds", "pg conns", "pool", "redis", "errors"
    );
    let mut samples = Vec::new();
    let mut restarted = false;
    let mut back_at = None;
    let mut max_pg = 0;
    let mut next_report = every;
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let elapsed = start.elapsed();
        if !restarted && elapsed >= total / 2 {
            restarted = true;
            tally.phase.store(1, Ordering::SeqCst);
            println!(
                "soak: {} s: restarting postgres and redis",
                elapsed.as_secs()
            );
            pg.restart().await;
            let r = &redis_server;
            tokio::task::block_in_place(|| {
                r.stop();
                r.run();
            });
            back_at = Some(start.elapsed());
            println!(
                "soak: {} s: both servers are back",
                start.elapsed().as_secs()
            );
        }
        if let Some(back) = back_at
            && tally.phase.load(Ordering::SeqCst) == 1
            && start.elapsed() >= back + RECOVERY
        {
            tally.phase.store(2, Ordering::SeqCst);
        }
        if elapsed >= next_report || elapsed >= total {
            next_report += every;
            let (pg_conns, redis_conns) = server_connections(&admin, redis_server.port()).await;
            max_pg = max_pg.max(pg_conns.unwrap_or(0));
            let status = pool.status();
            let errors: u64 = tally.errors.lock().unwrap().values().sum();
            let rss = rss_kib();
            samples.push((elapsed, rss));
            let show = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
            println!(
                "{:>6} {:>10} {:>9.1} {:>5} {:>8} {:>8} {:>8} {:>7}",
                elapsed.as_secs(),
                tally.ops.load(Ordering::Relaxed),
                f64::from(u32::try_from(rss).unwrap_or(u32::MAX)) / 1024.0,
                open_fds(),
                show(pg_conns),
                format!("{}/{}", status.size, status.max_size),
                show(redis_conns),
                errors
            );
        }
        if elapsed >= total {
            break;
        }
    }
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        tokio::time::timeout(Duration::from_secs(60), w)
            .await
            .expect("a worker stops within 60 s")
            .expect("a worker does not panic");
    }

    let errors = tally.errors.lock().unwrap().clone();
    let count = |phase: Phase| -> u64 {
        errors
            .iter()
            .filter(|((p, _, _), _)| *p == phase)
            .map(|(_, n)| n)
            .sum()
    };
    println!(
        "soak: {} operations in {} s",
        tally.ops.load(Ordering::Relaxed),
        start.elapsed().as_secs()
    );
    for ((phase, op, kind), n) in &errors {
        println!("soak: errors {phase:?} {op} {kind}: {n}");
    }
    let recovered = match (*tally.last_restart_error.lock().unwrap(), back_at) {
        (Some(last), Some(back)) => format!(
            "the last error of the restart came {:.1} s after both servers were back",
            last.as_secs_f64() - back.as_secs_f64()
        ),
        _ => "no error during the restart".to_owned(),
    };
    println!(
        "soak: errors before the restart {}, during the restart and {} s after {}, after recovery {}; {recovered}",
        count(Phase::Before),
        RECOVERY.as_secs(),
        count(Phase::Restart),
        count(Phase::After)
    );
    // Resident memory after warm-up (the first sample from a tenth of the run) and at the end.
    let warm = samples
        .iter()
        .find(|(t, _)| *t >= total / 10)
        .or(samples.first())
        .map_or(0, |(_, r)| *r);
    let last = samples.last().map_or(0, |(_, r)| *r);
    let peak = samples.iter().map(|(_, r)| *r).max().unwrap_or(0);
    println!(
        "soak: rss after warm-up {warm} KiB, at the end {last} KiB, peak {peak} KiB; postgres connections at most {max_pg} (pool of {POOL_SIZE})"
    );
    assert_eq!(count(Phase::After), 0, "errors after recovery: {errors:?}");
    assert_eq!(
        count(Phase::Before),
        0,
        "errors before the restart: {errors:?}"
    );
    assert!(
        max_pg <= i64::try_from(POOL_SIZE).unwrap(),
        "{max_pg} connections for a pool of {POOL_SIZE}"
    );
    let balance: i64 = pool
        .query_one("SELECT sum(balance)::bigint FROM accounts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        balance,
        i64::from(ACCOUNTS) * 1000,
        "transfers keep the total"
    );
    pool.close(Duration::from_secs(10)).await.ok();
}
