//! Rate limits with GCRA, in one atomic script on the server's clock.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::client::{Client, Script, bad_reply};
use super::observe;
use crate::error::{Error, Result};

static RATE_LIMIT: LazyLock<Script> =
    LazyLock::new(|| Script::new("rate limit", include_str!("scripts/rate_limit.lua")));

/// One limit on `key`: `limit` requests per `window` on average (the rate and the period of
/// `redis_rate`'s `Limit`), of which up to `burst` may come at once (default: `limit`).
///
/// ```
/// use std::time::Duration;
/// use txova_db::redis::RateLimitConfig;
///
/// // The seed's form: 100 a minute, all 100 at once if they come at once.
/// let api = RateLimitConfig::new("ratelimit:api:user123", 100, Duration::from_secs(60));
/// // 10 a second on average, at most 20 at once.
/// let login = RateLimitConfig::per_second("ratelimit:login:ip:198.51.100.7", 10).burst(20);
/// assert_eq!(login.burst, Some(20));
/// assert_eq!(api.burst, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RateLimitConfig {
    /// What is limited, such as `"ratelimit:api:user123"`; the client's prefix is added.
    pub key: String,
    /// The rate: how many requests per `window` on average; at least 1.
    pub limit: u64,
    /// The period the rate is counted over; at least 1 µs.
    pub window: Duration,
    /// How many requests may come at once after a quiet spell; `None` means `limit`. At
    /// least 1.
    pub burst: Option<u64>,
}

impl RateLimitConfig {
    /// `limit` requests per `window` for `key`, with a burst of `limit`.
    pub fn new(key: impl Into<String>, limit: u64, window: Duration) -> RateLimitConfig {
        RateLimitConfig {
            key: key.into(),
            limit,
            window,
            burst: None,
        }
    }

    /// `rate` requests a second, with a burst of `rate`.
    pub fn per_second(key: impl Into<String>, rate: u64) -> RateLimitConfig {
        RateLimitConfig::new(key, rate, Duration::from_secs(1))
    }

    /// `rate` requests a minute, with a burst of `rate`.
    pub fn per_minute(key: impl Into<String>, rate: u64) -> RateLimitConfig {
        RateLimitConfig::new(key, rate, Duration::from_secs(60))
    }

    /// `rate` requests an hour, with a burst of `rate`.
    pub fn per_hour(key: impl Into<String>, rate: u64) -> RateLimitConfig {
        RateLimitConfig::new(key, rate, Duration::from_secs(3600))
    }

    /// Sets how many requests may come at once.
    #[must_use]
    pub fn burst(mut self, burst: u64) -> RateLimitConfig {
        self.burst = Some(burst);
        self
    }

    fn burst_or_limit(&self) -> u64 {
        self.burst.unwrap_or(self.limit)
    }
}

/// The answer of [`RateLimiter::allow`] and [`RateLimiter::peek`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimitResult {
    /// Whether the request is admitted (and, except for `peek`, counted); for
    /// [`RateLimiter::allow_at_most`], whether anything was granted.
    pub allowed: bool,
    /// How many units were granted: the cost when allowed, 0 when denied; for
    /// [`RateLimiter::allow_at_most`], anything from 1 to the requested number.
    pub granted: u64,
    /// How many more requests of cost 1 would be admitted right now.
    pub remaining: u64,
    /// The rate this was checked against (`limit` of the configuration).
    pub limit: u64,
    /// When the key is back to its full burst, on the server's clock.
    pub reset_at: SystemTime,
    /// When denied, how long until this request's cost (1 for `allow_at_most`) fits; zero
    /// when allowed.
    pub retry_after: Duration,
}

/// Limits request rates with GCRA (the generic cell rate algorithm).
///
/// A key holds one small value (the time of the last write and the debt then), so each
/// limit costs one small key and each check one round trip. `burst` requests can be made at
/// once; after that capacity comes back continuously, one request every `window / limit`,
/// and it is full again once the debt is paid off. There are no window edges: unlike a fixed
/// window, a client cannot get `2 × limit` through by bursting at the end of one window and
/// the start of the next. Rates above one request per microsecond (10 million a second,
/// say) work: the arithmetic is in units of 1/`limit` microsecond, on integers.
///
/// ```no_run
/// use std::time::Duration;
/// use txova_db::redis::{Client, Config, RateLimitConfig, RateLimiter};
///
/// # async fn run() -> Result<(), txova_db::Error> {
/// let limiter = RateLimiter::new(Client::new(Config::new("redis://127.0.0.1")).await?);
/// let result = limiter
///     .allow(&RateLimitConfig::new("ratelimit:api:user123", 100, Duration::from_secs(60)))
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

/// What the script does with the cost.
#[derive(Clone, Copy)]
enum Mode {
    Peek,
    AllOrNothing,
    AtMost,
}

impl RateLimiter {
    /// A rate limiter over `client`.
    #[must_use]
    pub fn new(client: Client) -> RateLimiter {
        RateLimiter { client }
    }

    /// Counts one request against `config` if it fits.
    pub async fn allow(&self, config: &RateLimitConfig) -> Result<RateLimitResult> {
        self.decide("allow", config, 1, Mode::AllOrNothing).await
    }

    /// Counts a request of `cost` units against `config` if all of them fit; nothing is
    /// counted otherwise. A cost above the burst can never fit and is an
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error.
    pub async fn allow_n(&self, config: &RateLimitConfig, cost: u64) -> Result<RateLimitResult> {
        self.decide("allow_n", config, cost, Mode::AllOrNothing)
            .await
    }

    /// Counts as many of `n` units as fit now, at least 1 and at most `n`
    /// ([`RateLimitResult::granted`]); nothing when none fits (`allowed` is then false and
    /// `retry_after` says when one unit will).
    pub async fn allow_at_most(&self, config: &RateLimitConfig, n: u64) -> Result<RateLimitResult> {
        // More than the burst can never be granted at once.
        let n = n.min(config.burst_or_limit().max(1));
        self.decide("allow_at_most", config, n, Mode::AtMost).await
    }

    /// Whether a request of `cost` would be admitted now, without counting it.
    pub async fn peek(&self, config: &RateLimitConfig, cost: u64) -> Result<RateLimitResult> {
        self.decide("peek", config, cost, Mode::Peek).await
    }

    /// Forgets what `config.key` has counted: the next request sees a full burst. One
    /// round trip.
    pub async fn reset(&self, config: &RateLimitConfig) -> Result<()> {
        super::key::check_key("rate limit key", &config.key)?;
        let key = self.client.prefixed(&config.key);
        self.client
            .query::<i64>(redis::cmd("DEL").arg(&key))
            .await?;
        Ok(())
    }

    /// Runs one decision in its span and counts it (a peek is not counted).
    async fn decide(
        &self,
        #[cfg_attr(
            not(feature = "instrument"),
            allow(unused_variables, reason = "read by the instrumentation only")
        )]
        op: &'static str,
        config: &RateLimitConfig,
        cost: u64,
        mode: Mode,
    ) -> Result<RateLimitResult> {
        #[cfg(feature = "instrument")]
        let span = observe::rate_limit_span(op, self.client.runtime_key(&config.key), cost);
        #[cfg(feature = "instrument")]
        let r = tracing::Instrument::instrument(self.run(config, cost, mode), span.clone()).await;
        #[cfg(not(feature = "instrument"))]
        let r = self.run(config, cost, mode).await;
        if let Ok(d) = &r
            && !matches!(mode, Mode::Peek)
        {
            observe::count(
                if d.allowed {
                    observe::RATE_LIMIT_ALLOWED
                } else {
                    observe::RATE_LIMIT_DENIED
                },
                1,
            );
        }
        #[cfg(feature = "instrument")]
        match &r {
            Ok(d) => {
                span.record("rate_limit.allowed", d.allowed);
                span.record("rate_limit.granted", d.granted);
                span.record("rate_limit.remaining", d.remaining);
            }
            Err(e) => observe::record_error(&span, e),
        }
        r
    }

    async fn run(
        &self,
        config: &RateLimitConfig,
        cost: u64,
        mode: Mode,
    ) -> Result<RateLimitResult> {
        let (period, tick) = check(config, cost)?;
        let key = self.client.prefixed(&config.key);
        let reply: Vec<i64> = self
            .client
            .run_script(
                &RATE_LIMIT,
                &[&key],
                &[
                    config.limit.to_string().as_bytes(),
                    period.to_string().as_bytes(),
                    config.burst_or_limit().to_string().as_bytes(),
                    cost.to_string().as_bytes(),
                    match mode {
                        Mode::Peek => b"0",
                        Mode::AllOrNothing => b"1",
                        Mode::AtMost => b"2",
                    },
                    tick.to_string().as_bytes(),
                ],
            )
            .await?;
        let &[granted, remaining, retry_after, reset_after, now] = reply.as_slice() else {
            return Err(bad_reply(&RATE_LIMIT));
        };
        let micros = |v: i64| Duration::from_micros(v.max(0).unsigned_abs());
        let ticks = |v: i64| Duration::from_micros(v.max(0).unsigned_abs().saturating_mul(tick));
        Ok(RateLimitResult {
            allowed: granted > 0,
            granted: granted.max(0).unsigned_abs(),
            remaining: remaining.max(0).unsigned_abs(),
            limit: config.limit,
            reset_at: UNIX_EPOCH + micros(now) + ticks(reset_after),
            retry_after: ticks(retry_after),
        })
    }
}

/// The largest `burst × period` (in ticks) and rate the script's integers handle exactly.
const MAX_EXACT: u64 = 1 << 50;

/// Checks a configuration and returns the period in ticks and the tick in microseconds: 1 µs
/// when `burst × period` fits the script's exact integers, else 1 ms, else 1 s.
fn check(config: &RateLimitConfig, cost: u64) -> Result<(u64, u64)> {
    super::key::check_key("rate limit key", &config.key)?;
    if config.limit == 0 {
        return Err(Error::invalid_input(format!(
            "rate limit {:?} has limit 0; use a limit of at least 1",
            config.key
        )));
    }
    let burst = config.burst_or_limit();
    if burst == 0 {
        return Err(Error::invalid_input(format!(
            "rate limit {:?} has burst 0; use a burst of at least 1",
            config.key
        )));
    }
    let period = u64::try_from(config.window.as_micros()).unwrap_or(u64::MAX);
    if period == 0 {
        return Err(Error::invalid_input(format!(
            "rate limit {:?} has a window under 1 µs",
            config.key
        )));
    }
    if cost == 0 {
        return Err(Error::invalid_input("a request's cost must be at least 1"));
    }
    if cost > burst {
        return Err(Error::invalid_input(format!(
            "a cost of {cost} can never fit rate limit {:?} with a burst of {burst}",
            config.key
        )));
    }
    let fits = |tick: u64| {
        let p = period / tick;
        (p > 0 && burst.checked_mul(p).is_some_and(|v| v <= MAX_EXACT)).then_some((p, tick))
    };
    let found = fits(1).or_else(|| fits(1000)).or_else(|| fits(1_000_000));
    match found {
        Some(v) if config.limit <= MAX_EXACT => Ok(v),
        _ => Err(Error::invalid_input(format!(
            "rate limit {:?}: the limit must be under 2^50 and burst × window under 2^50 seconds",
            config.key
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(key: &str, limit: u64, window: Duration) -> RateLimitConfig {
        RateLimitConfig::new(key, limit, window)
    }

    #[test]
    fn the_shorthands_set_the_window() {
        for (made, window) in [
            (RateLimitConfig::per_second("k", 5), Duration::from_secs(1)),
            (RateLimitConfig::per_minute("k", 5), Duration::from_secs(60)),
            (RateLimitConfig::per_hour("k", 5), Duration::from_secs(3600)),
        ] {
            assert_eq!(made, cfg("k", 5, window));
            assert_eq!(made.burst, None);
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
        assert!(check(&cfg("k", 10, Duration::from_nanos(500)), 1).is_err());
        assert!(check(&cfg("k", 10, w).burst(0), 1).is_err());
        assert!(check(&cfg("k", 10, w).burst(5), 6).is_err());
        assert!(check(&cfg("k", 10, w).burst(20), 20).is_ok());
        // Rates above one per microsecond are fine.
        assert_eq!(check(&cfg("k", 10_000_000, w), 1).unwrap(), (1_000_000, 1));
        // Long periods count in milliseconds or seconds.
        let month = Duration::from_secs(30 * 86_400);
        assert_eq!(
            check(&cfg("k", 10_000, month), 1).unwrap(),
            (2_592_000_000, 1000)
        );
        let years = Duration::from_secs(86_400 * 365 * 40);
        assert_eq!(check(&cfg("k", 100_000, years), 1).unwrap().1, 1_000_000);
        assert!(check(&cfg("k", u64::MAX, years), 1).is_err());
    }
}
