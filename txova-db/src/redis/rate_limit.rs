//! Rate limits with GCRA, in one atomic script on the server's clock.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::client::{Client, Script, bad_reply};
use crate::error::{Error, Result};

static RATE_LIMIT: LazyLock<Script> =
    LazyLock::new(|| Script::new("rate limit", include_str!("scripts/rate_limit.lua")));

/// One limit: at most `limit` requests per `window` for `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// What is limited, such as `"ratelimit:api:user123"`; the client's prefix is added.
    pub key: String,
    /// How many requests fit in one window; at least 1.
    pub limit: u64,
    /// The window; at least `limit` microseconds.
    pub window: Duration,
}

/// The answer of [`RateLimiter::allow`] and [`RateLimiter::peek`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimitResult {
    /// Whether the request is admitted (and, for `allow`, counted).
    pub allowed: bool,
    /// How many more requests of cost 1 would be admitted right now.
    pub remaining: u64,
    /// The limit this was checked against.
    pub limit: u64,
    /// When the key is back to its full `limit`, on the server's clock.
    pub reset_at: SystemTime,
    /// When denied, how long until this request's cost fits; zero when allowed.
    pub retry_after: Duration,
}

/// Limits request rates with GCRA (the generic cell rate algorithm).
///
/// A key holds one number, the theoretical arrival time, so each limit costs one small key
/// and each check one round trip. `limit` requests can be made at once; after that capacity
/// comes back continuously, one request every `window / limit`, and it is full again
/// `window` after the key was last emptied. There are no window edges: unlike a fixed window,
/// a client cannot get `2 × limit` through by bursting at the end of one window and the
/// start of the next; over any period of length `window`, at most `limit` plus the capacity
/// refilled during that period is admitted.
///
/// ```no_run
/// use std::time::Duration;
/// use txova_db::redis::{Client, Config, RateLimitConfig, RateLimiter};
///
/// # async fn run() -> Result<(), txova_db::Error> {
/// let limiter = RateLimiter::new(Client::new(Config::new("redis://127.0.0.1")).await?);
/// let result = limiter
///     .allow(&RateLimitConfig {
///         key: "ratelimit:api:user123".into(),
///         limit: 100,
///         window: Duration::from_secs(60),
///     })
///     .await?;
/// if !result.allowed {
///     println!("retry after {:?}", result.retry_after);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RateLimiter {
    client: Client,
}

impl RateLimiter {
    /// A rate limiter over `client`.
    #[must_use]
    pub fn new(client: Client) -> RateLimiter {
        RateLimiter { client }
    }

    /// Counts one request against `config` if it fits.
    pub async fn allow(&self, config: &RateLimitConfig) -> Result<RateLimitResult> {
        self.run(config, 1, true).await
    }

    /// Counts a request of `cost` units against `config` if all of them fit; nothing is
    /// counted otherwise.
    pub async fn allow_n(&self, config: &RateLimitConfig, cost: u64) -> Result<RateLimitResult> {
        self.run(config, cost, true).await
    }

    /// Whether a request of `cost` would be admitted now, without counting it.
    pub async fn peek(&self, config: &RateLimitConfig, cost: u64) -> Result<RateLimitResult> {
        self.run(config, cost, false).await
    }

    async fn run(
        &self,
        config: &RateLimitConfig,
        cost: u64,
        consume: bool,
    ) -> Result<RateLimitResult> {
        let interval = check(config, cost)?;
        let key = self.client.prefixed(&config.key);
        let reply: Vec<i64> = self
            .client
            .run_script(
                &RATE_LIMIT,
                &[&key],
                &[
                    config.limit.to_string().as_bytes(),
                    interval.to_string().as_bytes(),
                    cost.to_string().as_bytes(),
                    if consume { b"1" } else { b"0" },
                ],
            )
            .await?;
        let &[allowed, remaining, retry_after, reset_after, now] = reply.as_slice() else {
            return Err(bad_reply(&RATE_LIMIT));
        };
        let micros = |v: i64| Duration::from_micros(v.max(0).unsigned_abs());
        Ok(RateLimitResult {
            allowed: allowed == 1,
            remaining: remaining.max(0).unsigned_abs(),
            limit: config.limit,
            reset_at: UNIX_EPOCH + micros(now) + micros(reset_after),
            retry_after: micros(retry_after),
        })
    }
}

/// Checks a configuration and returns the emission interval in microseconds.
fn check(config: &RateLimitConfig, cost: u64) -> Result<u64> {
    super::key::check_key("rate limit key", &config.key)?;
    if config.limit == 0 {
        return Err(Error::invalid_input(format!(
            "rate limit {:?} has limit 0; use a limit of at least 1",
            config.key
        )));
    }
    if config.window.is_zero() {
        return Err(Error::invalid_input(format!(
            "rate limit {:?} has a zero window",
            config.key
        )));
    }
    if cost == 0 {
        return Err(Error::invalid_input("a request's cost must be at least 1"));
    }
    if cost > config.limit {
        return Err(Error::invalid_input(format!(
            "a cost of {cost} can never fit rate limit {:?} of {}",
            config.key, config.limit
        )));
    }
    let window_us = u64::try_from(config.window.as_micros()).unwrap_or(u64::MAX);
    let interval = window_us / config.limit;
    // Integers in the script stay exact below 2^53 microseconds past the epoch plus a window.
    if interval == 0 || window_us > (1 << 50) {
        return Err(Error::invalid_input(format!(
            "rate limit {:?}: the window must be at least {} microseconds for a limit of {} and at most 35 years",
            config.key, config.limit, config.limit
        )));
    }
    Ok(interval)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(key: &str, limit: u64, window: Duration) -> RateLimitConfig {
        RateLimitConfig {
            key: key.to_owned(),
            limit,
            window,
        }
    }

    #[test]
    fn bad_configs_are_refused() {
        let w = Duration::from_secs(1);
        assert!(check(&cfg("", 1, w), 1).is_err());
        assert!(check(&cfg("k", 0, w), 1).is_err());
        assert!(check(&cfg("k", 1, Duration::ZERO), 1).is_err());
        assert!(check(&cfg("k", 10, w), 0).is_err());
        assert!(check(&cfg("k", 10, w), 11).is_err());
        assert!(check(&cfg("k", 10, Duration::from_micros(5)), 1).is_err());
        assert_eq!(check(&cfg("k", 100, w), 1).unwrap(), 10_000);
    }
}
