//! When production goes wrong: client deadlines, retry safety, PgBouncer, shared failures,
//! visible decode errors, lost locks and GCRA rate limits.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use txova_db::Error;
use txova_db::postgres::{Config, Executor, Pool, StatementMode, with_tx};
use txova_db::redis::{self, Cache, Client, Locker, RateLimitConfig, RateLimiter};
use txova_db::testing::TestDatabase;

txova_db::cache_keys! {
    fn tour_report(day: u32) -> String = "tour:report:{day}";
    fn tour_payload(id: u32) -> Vec<u8> = "tour:payload:{id}";
}

pub async fn run(db: &TestDatabase) -> Result<(), Box<dyn std::error::Error>> {
    postgres(db).await?;
    redis_side().await?;
    Ok(())
}

async fn postgres(db: &TestDatabase) -> Result<(), Box<dyn std::error::Error>> {
    println!("\n-- PostgreSQL in production --");
    let pool = Pool::new(Config {
        max_connections: 2,
        query_timeout: Some(Duration::from_secs(5)),
        ..Config::new(db.url())
    })
    .await?;

    // A client-side deadline: the call returns, the statement is cancelled on the server and
    // the connection it ran on is closed rather than handed out again.
    let hurried = pool.with_query_timeout(Some(Duration::from_millis(200)));
    let err = hurried
        .execute("SELECT pg_sleep(5)", &[])
        .await
        .unwrap_err();
    println!(
        "deadline: {err} (kind {:?}, {:?}, safe to retry: {})",
        err.kind(),
        err.timeout_kind(),
        err.is_safe_to_retry()
    );
    pool.ping().await?;
    println!(
        "deadline: the pool answers at once afterwards: {:?}",
        pool.status()
    );

    // A business reason to roll back, without an error type of your own.
    let outcome = with_tx(&pool, async |tx| {
        tx.execute("CREATE TABLE tour_orders (id int PRIMARY KEY)", &[])
            .await?;
        Err::<(), _>(Error::custom("the rider cancelled"))
    })
    .await;
    let rolled_back = pool
        .query_opt("SELECT to_regclass('tour_orders')::text", &[])
        .await?
        .and_then(|row| row.get::<_, Option<String>>(0))
        .is_none();
    println!(
        "custom error: {:?} (kind {:?}), table rolled back: {rolled_back}",
        outcome.as_ref().map_err(ToString::to_string),
        outcome.as_ref().map_err(Error::kind).err()
    );

    // Through a pooler in transaction mode (`.ci/setup` starts PgBouncer on 6432 in front of
    // the local server): unnamed statements only.
    let fronted = db.url().contains("127.0.0.1:5432");
    if fronted
        && tokio::net::TcpStream::connect("127.0.0.1:6432")
            .await
            .is_ok()
    {
        let bouncer = Pool::new(Config {
            statement_mode: StatementMode::Unnamed,
            ..Config::new(db.url().replacen("127.0.0.1:5432", "127.0.0.1:6432", 1))
        })
        .await?;
        let mut total = 0_i64;
        for i in 0..5_i64 {
            let row = bouncer.query_one("SELECT $1::int8 * 2", &[&i]).await?;
            total += row.get::<_, i64>(0);
        }
        println!("pgbouncer: five statements in unnamed mode through 6432, sum {total}");
        bouncer.close(Duration::from_secs(5)).await?;
    } else {
        println!("pgbouncer: no PgBouncer in front of this server on 6432, skipped");
    }
    pool.close(Duration::from_secs(5)).await?;
    Ok(())
}

async fn redis_side() -> Result<(), Box<dyn std::error::Error>> {
    println!("\n-- Redis in production --");
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|e| e.to_string())?;
    let prefix = format!("tour:{:016x}:", u64::from_le_bytes(random));
    let client = Client::new(redis::Config::new(&url).prefix(&prefix)).await?;
    let cache = Cache::new(client.clone());

    // A failing computation is shared by everyone who joined it, not retried by each in turn.
    let runs = AtomicUsize::new(0);
    let key = tour_report(28);
    let callers = (0..20).map(|_| {
        cache.get_or_set(&key, Duration::from_secs(60), async || {
            runs.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(50)).await;
            Err::<String, Error>(Error::custom("the report service is down"))
        })
    });
    let results = futures_util::future::join_all(callers).await;
    let failed = results.iter().filter(|r| r.is_err()).count();
    println!(
        "single flight: 20 callers, {} computation(s), {failed} errors, e.g. {}",
        runs.load(Ordering::Relaxed),
        results
            .iter()
            .rev()
            .find_map(|r| r.as_ref().err())
            .map(ToString::to_string)
            .unwrap_or_default()
    );

    // An entry another service wrote in a shape this type does not read: an error, kept.
    let payload = tour_payload(1);
    let full = client.prefixed(payload.as_str());
    let _: () = client
        .query(::redis::cmd("SET").arg(&full).arg("{\"data\":\"AQID\"}"))
        .await?;
    let err = cache.get(&payload).await.unwrap_err();
    let kept: Option<String> = client.query(::redis::cmd("GET").arg(&full)).await?;
    println!(
        "decode: {:?}: {err}; the entry is still there: {}",
        err.kind(),
        kept.is_some()
    );
    let _: i64 = client.query(::redis::cmd("DEL").arg(&full)).await?;

    // The work is told when its lock is lost.
    let locker = Locker::new(client.clone());
    let guard = locker
        .acquire(
            "ride:assign:77",
            Duration::from_secs(5),
            Duration::from_secs(1),
        )
        .await?;
    let signal = guard.signal();
    let lock_key = client.prefixed("lock:{ride:assign:77}");
    let _: i64 = client.query(::redis::cmd("DEL").arg(&lock_key)).await?;
    let still_ours = guard.extend(Duration::from_secs(5)).await?;
    tokio::time::timeout(Duration::from_secs(10), signal.lost()).await?;
    println!(
        "lock: taken by someone else, extend says {still_ours}, the work saw the loss (fencing token {})",
        signal.fencing_token()
    );
    drop(guard);
    let fence = client.prefixed("lock:{ride:assign:77}:fence");
    let _: i64 = client.query(::redis::cmd("DEL").arg(fence)).await?;

    // GCRA: 10 per second with a burst of 3; a batch takes what is left.
    let limiter = RateLimiter::new(client.clone());
    let limit = RateLimitConfig::per_second("ratelimit:tour:batch", 10).burst(3);
    let first = limiter.allow_at_most(&limit, 5).await?;
    let second = limiter.allow_at_most(&limit, 5).await?;
    println!(
        "rate limit: asked 5 twice with a burst of 3: granted {} then {}, retry after {:?}",
        first.granted, second.granted, second.retry_after
    );
    limiter.reset(&limit).await?;
    let after = limiter.allow(&limit).await?;
    println!(
        "rate limit: after reset, allowed={} remaining={}",
        after.allowed, after.remaining
    );
    limiter.reset(&limit).await?;
    Ok(())
}
