//! Distributed locks: one owner at a time per key, with owner tokens and fencing tokens.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::cache::{compare_and_delete_script, ttl_ms};
use super::client::{Client, Script, bad_reply};
use super::observe;
use crate::error::{Error, ErrorKind, Result, Timeout, fmt_duration};

static ACQUIRE: LazyLock<Script> =
    LazyLock::new(|| Script::new("lock acquire", include_str!("scripts/lock_acquire.lua")));
static EXTEND: LazyLock<Script> =
    LazyLock::new(|| Script::new("lock extend", include_str!("scripts/lock_extend.lua")));

/// Takes distributed locks on Redis.
///
/// A lock is the key `{prefix}lock:{<key>}` holding a random 128-bit owner token with an
/// expiry; only the holder of that token can extend or release it. Every acquisition also
/// increments `{prefix}lock:{<key>}:fence` in the same script, giving a fencing token that
/// grows with every acquisition of that key, for callers that write to other systems.
///
/// ```no_run
/// use std::time::Duration;
/// use txova_db::redis::{Client, Config, Locker};
///
/// # async fn run() -> Result<(), txova_db::Error> {
/// let locker = Locker::new(Client::new(Config::new("redis://127.0.0.1")).await?);
/// locker
///     .with_lock("ride:assign:123", Duration::from_secs(30), async |lock| {
///         println!("assigning with fencing token {}", lock.fencing_token());
///         Ok::<_, txova_db::Error>(())
///     })
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Locker {
    client: Client,
    wait: Duration,
    retry: Retry,
    abort_on_loss: bool,
}

/// How [`Locker::acquire`] and [`Locker::with_lock`] retry while someone else holds the lock,
/// as bsm/redislock's retry strategies. The wait given to `acquire` (or [`Locker::wait`])
/// bounds every strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Retry {
    /// One attempt: a held lock is a [`Timeout::Lock`] error at once, whatever the wait.
    Never,
    /// A pause of this length between attempts (at least 1 ms).
    Fixed(Duration),
    /// Pauses doubling from `min` up to `max` (`min` at least 1 ms, `max` at least `min`),
    /// each scaled by a random factor in [0.5, 1) so that waiters do not retry in step.
    Exponential {
        /// The first pause.
        min: Duration,
        /// The longest pause.
        max: Duration,
    },
}

impl Default for Retry {
    /// Exponential from 4 ms to 250 ms, with jitter.
    fn default() -> Retry {
        Retry::Exponential {
            min: Duration::from_millis(4),
            max: Duration::from_millis(250),
        }
    }
}

impl Retry {
    /// The pause before attempt `attempt + 1` (`attempt` counts from 1), or `None` for no
    /// more attempts.
    fn pause(self, attempt: u32) -> Result<Option<Duration>> {
        const FLOOR: Duration = Duration::from_millis(1);
        Ok(match self {
            Retry::Never => None,
            Retry::Fixed(d) => Some(d.max(FLOOR)),
            Retry::Exponential { min, max } => {
                let min = min.max(FLOOR);
                let max = max.max(min);
                let grown = min.saturating_mul(1 << attempt.saturating_sub(1).min(20));
                Some(grown.min(max).mul_f64(0.5 + 0.5 * super::random_unit()?))
            }
        })
    }
}

impl Locker {
    /// A locker over `client`; [`Locker::with_lock`] waits up to 10 s for a lock, retrying
    /// as [`Retry::default`] says, and lets the work finish when the lock is lost.
    #[must_use]
    pub fn new(client: Client) -> Locker {
        Locker {
            client,
            wait: Duration::from_secs(10),
            retry: Retry::default(),
            abort_on_loss: false,
        }
    }

    /// How long [`Locker::with_lock`] waits for a lock held by someone else.
    #[must_use]
    pub fn wait(mut self, wait: Duration) -> Locker {
        self.wait = wait;
        self
    }

    /// How acquisitions retry while the lock is held by someone else.
    #[must_use]
    pub fn retry(mut self, retry: Retry) -> Locker {
        self.retry = retry;
        self
    }

    /// Whether [`Locker::with_lock`] stops the work (drops its future) as soon as the lock is
    /// known to be lost, instead of letting it run to its end. Default `false`. Either way the
    /// result is then an [`ErrorKind::Lock`] error, and the work can watch for the loss itself
    /// with [`LockGuard::lost`].
    #[must_use]
    pub fn abort_on_loss(mut self, abort: bool) -> Locker {
        self.abort_on_loss = abort;
        self
    }

    /// Takes the lock `key` for `ttl`, retrying as set by [`Locker::retry`] while someone
    /// else holds it, for at most `wait` (zero tries once). Running out of `wait` (or of
    /// attempts) is an [`ErrorKind::Timeout`] error with [`Timeout::Lock`].
    pub async fn acquire(&self, key: &str, ttl: Duration, wait: Duration) -> Result<LockGuard> {
        #[cfg(feature = "instrument")]
        {
            let span = observe::lock_acquire_span(self.client.runtime_key(key));
            let r =
                tracing::Instrument::instrument(self.acquire_inner(key, ttl, wait), span.clone())
                    .await;
            acquired(&span, &r);
            if let Ok(guard) = &r {
                guard.shared.start_hold(self.client.runtime_key(key));
            }
            r
        }
        #[cfg(not(feature = "instrument"))]
        self.acquire_inner(key, ttl, wait).await
    }

    async fn acquire_inner(&self, key: &str, ttl: Duration, wait: Duration) -> Result<LockGuard> {
        let deadline = Instant::now() + wait;
        let mut attempt = 0u32;
        loop {
            attempt = attempt.saturating_add(1);
            #[cfg(feature = "instrument")]
            tracing::Span::current().record("lock.attempts", attempt);
            if let Some(guard) = self.try_acquire_inner(key, ttl).await? {
                return Ok(guard);
            }
            let now = Instant::now();
            let pause = self.retry.pause(attempt)?;
            let Some(pause) = pause.filter(|_| now < deadline) else {
                observe::count(observe::LOCKS_TIMED_OUT, 1);
                return Err(Error::timeout(
                    Timeout::Lock,
                    format!(
                        "lock {key:?} is held by another owner; not acquired within {} ({attempt} attempts)",
                        fmt_duration(wait)
                    ),
                ));
            };
            tokio::time::sleep(pause.min(deadline - now)).await;
        }
    }

    /// Takes the lock `key` for `ttl` if it is free, in one round trip.
    pub async fn try_acquire(&self, key: &str, ttl: Duration) -> Result<Option<LockGuard>> {
        #[cfg(feature = "instrument")]
        {
            let span = observe::lock_acquire_span(self.client.runtime_key(key));
            span.record("lock.attempts", 1);
            let r = tracing::Instrument::instrument(self.try_acquire_inner(key, ttl), span.clone())
                .await;
            match &r {
                Ok(Some(guard)) => {
                    acquired(&span, &Ok(()));
                    guard.shared.start_hold(self.client.runtime_key(key));
                }
                Ok(None) => {
                    span.record("lock.acquired", false);
                }
                Err(e) => observe::record_error(&span, e),
            }
            r
        }
        #[cfg(not(feature = "instrument"))]
        self.try_acquire_inner(key, ttl).await
    }

    async fn try_acquire_inner(&self, key: &str, ttl: Duration) -> Result<Option<LockGuard>> {
        let ms = ttl_ms(ttl)?;
        let (lock_key, fence_key) = self.keys(key)?;
        let token = super::random_hex(16)?;
        let sent = Instant::now();
        let reply: Vec<i64> = self
            .client
            .run_script(
                &ACQUIRE,
                &[&lock_key, &fence_key],
                &[token.as_bytes(), ms.to_string().as_bytes()],
            )
            .await?;
        let [fence, _pttl] = reply[..] else {
            return Err(bad_reply(&ACQUIRE));
        };
        if fence <= 0 {
            return Ok(None);
        }
        let (status, _) = watch::channel(Status {
            lost: false,
            valid_until: valid_until(sent, ttl),
        });
        observe::count(observe::LOCKS_ACQUIRED, 1);
        Ok(Some(LockGuard {
            client: self.client.clone(),
            redis_key: lock_key,
            token,
            shared: Arc::new(Shared {
                key: key.to_owned(),
                fence: fence.unsigned_abs(),
                status,
                reported_lost: std::sync::atomic::AtomicBool::new(false),
                #[cfg(feature = "instrument")]
                hold: std::sync::Mutex::new(None),
            }),
            released: false,
        }))
    }

    /// Runs `work` while holding the lock `key` (waiting for it as set by
    /// [`Locker::wait`] and [`Locker::retry`]), extending it every third of `ttl` while the
    /// work runs, and releases it afterwards.
    ///
    /// The work can watch for the loss of the lock with [`LockGuard::lost`] or
    /// [`LockGuard::signal`] (a clonable handle carrying the fencing token, for spawned
    /// tasks). The lock is lost when an extension finds another owner, or when extensions
    /// fail (the server unreachable) until the lock's TTL has run out. With
    /// [`Locker::abort_on_loss`] the work is stopped at that moment.
    ///
    /// If the lock was lost (also when found by the final release), the result is an
    /// [`ErrorKind::Lock`] error, also when `work` succeeded: another holder may have run at
    /// the same time. An error of the work itself is returned as is.
    pub async fn with_lock<T, E, F>(&self, key: &str, ttl: Duration, work: F) -> Result<T, E>
    where
        F: AsyncFnOnce(&LockGuard) -> Result<T, E>,
        E: From<Error>,
    {
        let guard = self.acquire(key, ttl, self.wait).await?;
        let signal = guard.signal();
        let (result, lost) = {
            let keep_alive = async {
                loop {
                    tokio::time::sleep(ttl / 3).await;
                    // `extend` marks the guard lost when another owner holds the key; after
                    // errors the loss comes from the TTL running out, seen by `lost()`.
                    if let Ok(false) = guard.extend(ttl).await {
                        return;
                    }
                }
            };
            let watch = async {
                tokio::select! {
                    () = keep_alive => {}
                    () = signal.lost() => {}
                }
            };
            let work = work(&guard);
            tokio::pin!(work);
            tokio::select! {
                biased;
                r = &mut work => (Some(r), false),
                () = watch => {
                    if self.abort_on_loss {
                        (None, true)
                    } else {
                        (Some(work.await), true)
                    }
                }
            }
        };
        let still_held = guard.release().await.unwrap_or(!lost);
        match result {
            Some(Err(e)) => Err(e),
            Some(Ok(v)) if !lost && still_held => Ok(v),
            Some(Ok(_)) => Err(Error::new(
                ErrorKind::Lock,
                format!(
                    "lock {key:?} was lost while the work ran; another holder may have run at the same time"
                ),
            )
            .into()),
            None => Err(Error::new(
                ErrorKind::Lock,
                format!("lock {key:?} was lost, so the work was stopped before it finished"),
            )
            .into()),
        }
    }

    fn keys(&self, key: &str) -> Result<(String, String)> {
        super::key::check_key("lock key", key)?;
        let lock = self.client.prefixed(&format!("lock:{{{key}}}"));
        let fence = format!("{lock}:fence");
        Ok((lock, fence))
    }
}

/// Records the outcome of an acquisition on its span.
#[cfg(feature = "instrument")]
fn acquired<T>(span: &tracing::Span, r: &Result<T>) {
    match r {
        Ok(_) => {
            span.record("lock.acquired", true);
        }
        Err(e) => {
            span.record("lock.acquired", false);
            observe::record_error(span, e);
        }
    }
}

/// `sent + ttl`, or a time too far away to matter when that does not fit an `Instant`.
fn valid_until(sent: Instant, ttl: Duration) -> Instant {
    sent.checked_add(ttl)
        .or_else(|| sent.checked_add(Duration::from_secs(100 * 365 * 86_400)))
        .unwrap_or(sent)
}

/// What a guard and its signals share.
struct Shared {
    key: String,
    fence: u64,
    status: watch::Sender<Status>,
    /// Whether the loss was counted (once per acquisition).
    reported_lost: std::sync::atomic::AtomicBool,
    /// The `lock.hold` span, until the guard releases the lock.
    #[cfg(feature = "instrument")]
    hold: std::sync::Mutex<Option<tracing::Span>>,
}

#[derive(Debug, Clone, Copy)]
struct Status {
    /// Known lost: another owner holds the key, or it was released. Never goes back.
    lost: bool,
    /// The lock is surely ours until then: the send time of the last successful acquire or
    /// extension plus its TTL, on this process's monotonic clock.
    valid_until: Instant,
}

impl Shared {
    fn mark_lost(&self) {
        self.status
            .send_if_modified(|s| !std::mem::replace(&mut s.lost, true));
    }

    /// Counts the loss of the lock (another owner, or the TTL run out while held), once.
    fn report_lost(&self) {
        if self
            .reported_lost
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            return;
        }
        observe::count(observe::LOCKS_LOST, 1);
        #[cfg(feature = "instrument")]
        if let Ok(hold) = self.hold.lock()
            && let Some(span) = hold.as_ref()
        {
            span.record("lock.lost", true);
        }
    }

    /// Opens the `lock.hold` span, a sibling of the acquisition's.
    #[cfg(feature = "instrument")]
    fn start_hold(&self, key: Option<&str>) {
        if let Ok(mut hold) = self.hold.lock() {
            *hold = Some(observe::lock_hold_span(key, self.fence));
        }
    }

    /// Ends the `lock.hold` span.
    #[cfg_attr(
        not(feature = "instrument"),
        allow(
            clippy::unused_self,
            reason = "the span exists with the instrumentation only"
        )
    )]
    fn end_hold(&self) {
        #[cfg(feature = "instrument")]
        if let Ok(mut hold) = self.hold.lock() {
            hold.take();
        }
    }

    fn is_lost(&self) -> bool {
        let s = *self.status.borrow();
        s.lost || Instant::now() >= s.valid_until
    }

    async fn lost(&self) {
        let mut rx = self.status.subscribe();
        loop {
            let s = *rx.borrow_and_update();
            if s.lost {
                return;
            }
            tokio::select! {
                changed = rx.changed() => {
                    if changed.is_err() {
                        // Cannot happen: `self` holds the sender.
                        std::future::pending::<()>().await;
                    }
                }
                () = tokio::time::sleep_until(s.valid_until) => {
                    // Unless an extension moved the deadline meanwhile, the TTL ran out.
                    if Instant::now() >= self.status.borrow().valid_until {
                        self.report_lost();
                        self.mark_lost();
                    }
                }
            }
        }
    }
}

/// A held lock. Dropping it releases it in the background, without blocking; call
/// [`LockGuard::release`] to know whether it was still held.
pub struct LockGuard {
    client: Client,
    redis_key: String,
    token: String,
    shared: Arc<Shared>,
    released: bool,
}

impl std::fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockGuard")
            .field("key", &self.shared.key)
            .field("fencing_token", &self.shared.fence)
            .finish_non_exhaustive()
    }
}

impl LockGuard {
    /// The fencing token: larger than that of every earlier acquisition of this key. Send it
    /// with writes to other systems so they can refuse a stale holder.
    #[must_use]
    pub fn fencing_token(&self) -> u64 {
        self.shared.fence
    }

    /// The random owner token (128 bits, hex).
    #[must_use]
    pub fn owner_token(&self) -> &str {
        &self.token
    }

    /// The key the lock was taken on.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.shared.key
    }

    /// Resolves once the lock is no longer surely held: an extension found another owner,
    /// the TTL ran out (on this process's clock, counted from the sending of the last
    /// successful acquire or extension), or it was released. Select on it to stop work that
    /// must not outlive the lock. Never resolves while the lock is held.
    pub fn lost(&self) -> impl Future<Output = ()> + Send + 'static {
        let shared = Arc::clone(&self.shared);
        async move { shared.lost().await }
    }

    /// Whether [`LockGuard::lost`] would resolve now.
    #[must_use]
    pub fn is_lost(&self) -> bool {
        self.shared.is_lost()
    }

    /// A clonable, `'static` handle on this lock's loss signal and fencing token, for tasks
    /// the work spawns.
    #[must_use]
    pub fn signal(&self) -> LockSignal {
        LockSignal {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Sets the lock's remaining time to `ttl` if it is still held by this guard; whether it
    /// was. `false` marks the guard lost.
    pub async fn extend(&self, ttl: Duration) -> Result<bool> {
        let ms = ttl_ms(ttl)?;
        let sent = Instant::now();
        let n: i64 = self
            .client
            .run_script(
                &EXTEND,
                &[&self.redis_key],
                &[self.token.as_bytes(), ms.to_string().as_bytes()],
            )
            .await?;
        if n == 1 {
            self.shared.status.send_if_modified(|s| {
                let until = valid_until(sent, ttl);
                if s.lost || until <= s.valid_until {
                    return false;
                }
                s.valid_until = until;
                true
            });
            Ok(true)
        } else {
            self.shared.report_lost();
            self.shared.mark_lost();
            Ok(false)
        }
    }

    /// Releases the lock if this guard still holds it; whether it did (`false`: it had
    /// expired, and maybe been taken by someone else). Its signals resolve.
    pub async fn release(mut self) -> Result<bool> {
        self.released = true;
        let lost_before = self.shared.is_lost();
        self.shared.mark_lost();
        let held = release(&self.client, &self.redis_key, &self.token).await;
        if lost_before || matches!(held, Ok(false)) {
            self.shared.report_lost();
        }
        self.shared.end_hold();
        held
    }
}

/// A handle on a held lock's loss signal and fencing token, from [`LockGuard::signal`]: a
/// cancellation token for the work, cheap to clone and `'static`.
#[derive(Clone)]
pub struct LockSignal {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for LockSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockSignal")
            .field("key", &self.shared.key)
            .field("fencing_token", &self.shared.fence)
            .field("lost", &self.shared.is_lost())
            .finish()
    }
}

impl LockSignal {
    /// The fencing token of the acquisition.
    #[must_use]
    pub fn fencing_token(&self) -> u64 {
        self.shared.fence
    }

    /// The key the lock was taken on.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.shared.key
    }

    /// Resolves once the lock is no longer surely held, as [`LockGuard::lost`].
    pub async fn lost(&self) {
        self.shared.lost().await;
    }

    /// Whether [`LockSignal::lost`] would resolve now.
    #[must_use]
    pub fn is_lost(&self) -> bool {
        self.shared.is_lost()
    }
}

async fn release(client: &Client, key: &str, token: &str) -> Result<bool> {
    let n: i64 = client
        .run_script(compare_and_delete_script(), &[key], &[token.as_bytes()])
        .await?;
    Ok(n == 1)
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        self.shared.mark_lost();
        // Without a runtime the lock simply expires at its TTL.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let client = self.client.clone();
            let key = std::mem::take(&mut self.redis_key);
            let token = std::mem::take(&mut self.token);
            let shared = Arc::clone(&self.shared);
            rt.spawn(async move {
                if let Ok(false) = release(&client, &key, &token).await {
                    shared.report_lost();
                }
                shared.end_hold();
            });
        } else {
            self.shared.end_hold();
        }
    }
}
