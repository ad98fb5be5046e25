//! Redis: typed cache keys, the cache, a distributed lock, a rate limit and sessions.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use txova_db::redis::{
    Cache, CacheEntity as _, Client, Config, Locker, RateLimitConfig, RateLimiter, SessionData,
    SessionStore,
};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Profile {
    name: String,
    rating: f32,
}

/// A table whose rows are cached under a key derived from the primary key.
#[derive(Debug, Clone, Serialize, Deserialize, txova_db::Table)]
#[table(name = "drivers", cache = "fleet:driver")]
struct Driver {
    #[column(primary_key)]
    id: i64,
    name: String,
}

txova_db::cache_keys! {
    /// A user's profile.
    fn user_profile(id: u64) -> Profile = "user:profile:{id}";
    /// One page of a user's ride history.
    fn ride_history(user: u64, page: u32) -> Vec<u64> = "ride:history:list:user:{user}:page:{page}";
}

pub async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|e| e.to_string())?;
    let prefix = format!("tour:{:016x}:", u64::from_le_bytes(random));
    let client = Client::new(Config::new(&url).prefix(&prefix)).await?;
    client.ping().await?;
    println!("redis: connected to {url}, keys under {prefix}");

    // Cache: typed keys, get-or-compute, many-at-once, list invalidation.
    let cache = Cache::new(client.clone());
    let key = user_profile(7);
    let ttl = Duration::from_secs(60);
    let profile = cache
        .get_or_set(&key, ttl, async || {
            println!("cache: miss on {key}, computing");
            Ok::<_, txova_db::Error>(Profile {
                name: "Ana".into(),
                rating: 4.9,
            })
        })
        .await?;
    let again = cache.get(&key).await?;
    println!("cache: {profile:?}, read back {again:?}");
    let driver_key = Driver::cache_key(&12);
    let driver = Driver {
        id: 12,
        name: "Rui".into(),
    };
    cache.set(&driver_key, &driver, ttl).await?;
    let driver = cache.get(&driver_key).await?;
    println!("cache: a table's key from its primary key: {driver_key} -> {driver:?}");
    let pages: Vec<_> = (1..=3)
        .map(|p| (ride_history(7, p), vec![u64::from(p)]))
        .collect();
    cache.set_many(&pages, ttl).await?;
    let removed = cache
        .invalidate_list(ride_history(7, 1).list_prefix().unwrap_or_default())
        .await?;
    println!("cache: invalidated {removed} list pages");

    // Lock: exclusive work with a fencing token, kept alive while it runs.
    let locker = Locker::new(client.clone());
    let fence = locker
        .with_lock("ride:assign:123", Duration::from_secs(5), async |lock| {
            Ok::<_, txova_db::Error>(lock.fencing_token())
        })
        .await?;
    println!("lock: assigned ride 123 under fencing token {fence}");

    // Rate limit: 3 per minute, the fourth is refused.
    let limiter = RateLimiter::new(client.clone());
    let limit = RateLimitConfig::per_minute("ratelimit:api:user7", 3);
    for i in 1..=4 {
        let r = limiter.allow(&limit).await?;
        println!(
            "rate limit: request {i}: allowed={} remaining={} retry_after={:?}",
            r.allowed, r.remaining, r.retry_after
        );
    }

    // Sessions: create, read, rotate, list, delete all.
    // The secret comes from your secret store; at least 32 bytes, the same in every process.
    let secret = std::env::var("SESSION_SECRET")
        .unwrap_or_else(|_| "an example secret of at least 32 bytes".to_owned());
    let sessions = SessionStore::new(client.clone(), secret)?;
    let session = sessions
        .create(SessionData {
            user_id: "user-7".into(),
            device_id: "device-1".into(),
            device_info: "iPhone 15, iOS 18".into(),
            ip_address: "198.51.100.7".into(),
        })
        .await?;
    println!("sessions: created {}", session.id);
    let rotated = sessions
        .rotate(&session.id)
        .await?
        .ok_or("session vanished")?;
    println!(
        "sessions: rotated to {}, old id now {:?}",
        rotated.id,
        sessions.get(&session.id).await?.map(|s| s.id)
    );
    println!(
        "sessions: user-7 has {} session(s)",
        sessions.list_by_user("user-7").await?.len()
    );
    let n = sessions.delete_all_for_user("user-7").await?;
    println!("sessions: deleted {n} on logout everywhere");
    cache.delete(&key).await?;
    // The fencing counter outlives its lock on purpose; the tour removes its own.
    let fence = client.prefixed("lock:{ride:assign:123}:fence");
    let _: i64 = client.query(::redis::cmd("DEL").arg(fence)).await?;
    Ok(())
}
