//! Distributed locks: one owner at a time per key, with owner tokens and fencing tokens.

use std::sync::LazyLock;
use std::time::Duration;

use tokio::time::Instant;

use super::cache::{compare_and_delete_script, ttl_ms};
use super::client::{Client, Script, bad_reply};
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
}

impl Locker {
    /// A locker over `client`; [`Locker::with_lock`] waits up to 10 s for a lock.
    #[must_use]
    pub fn new(client: Client) -> Locker {
        Locker {
            client,
            wait: Duration::from_secs(10),
        }
    }

    /// How long [`Locker::with_lock`] waits for a lock held by someone else.
    #[must_use]
    pub fn wait(mut self, wait: Duration) -> Locker {
        self.wait = wait;
        self
    }

    /// Takes the lock `key` for `ttl`, retrying with growing, jittered pauses while someone
    /// else holds it, for at most `wait` (zero tries once). Running out of `wait` is an
    /// [`ErrorKind::Timeout`] error with [`Timeout::Lock`].
    pub async fn acquire(&self, key: &str, ttl: Duration, wait: Duration) -> Result<LockGuard> {
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_millis(4);
        loop {
            if let Some(guard) = self.try_acquire(key, ttl).await? {
                return Ok(guard);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::timeout(
                    Timeout::Lock,
                    format!(
                        "lock {key:?} is held by another owner; not acquired within {}",
                        fmt_duration(wait)
                    ),
                ));
            }
            let jittered = pause.mul_f64(0.5 + 0.5 * super::random_unit()?);
            tokio::time::sleep(jittered.min(deadline - now)).await;
            pause = (pause * 2).min(Duration::from_millis(250));
        }
    }

    /// Takes the lock `key` for `ttl` if it is free, in one round trip.
    pub async fn try_acquire(&self, key: &str, ttl: Duration) -> Result<Option<LockGuard>> {
        let ms = ttl_ms(ttl)?;
        let (lock_key, fence_key) = self.keys(key)?;
        let token = super::random_hex(16)?;
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
        Ok(Some(LockGuard {
            client: self.client.clone(),
            name: key.to_owned(),
            redis_key: lock_key,
            token,
            fence: fence.unsigned_abs(),
            released: false,
        }))
    }

    /// Runs `work` while holding the lock `key` (waiting for it as set by
    /// [`Locker::wait`]), extending it every third of `ttl` while the work runs, and releases
    /// it afterwards. If the lock was lost anyway (an extension found another owner, or the
    /// release did), the result is an [`ErrorKind::Lock`] error, also when `work` succeeded:
    /// another holder may have run at the same time.
    pub async fn with_lock<T, E, F>(&self, key: &str, ttl: Duration, work: F) -> Result<T, E>
    where
        F: AsyncFnOnce(&LockGuard) -> Result<T, E>,
        E: From<Error>,
    {
        let guard = self.acquire(key, ttl, self.wait).await?;
        let (result, lost) = {
            let keep_alive = async {
                let mut last_ok = Instant::now();
                loop {
                    tokio::time::sleep(ttl / 3).await;
                    match guard.extend(ttl).await {
                        Ok(true) => last_ok = Instant::now(),
                        Ok(false) => return,
                        Err(_) if last_ok.elapsed() >= ttl => return,
                        Err(_) => {}
                    }
                }
            };
            let work = work(&guard);
            tokio::pin!(work);
            tokio::select! {
                biased;
                r = &mut work => (r, false),
                () = keep_alive => (work.await, true),
            }
        };
        let still_held = guard.release().await.unwrap_or(!lost);
        if lost || !still_held {
            if let Err(e) = result {
                return Err(e);
            }
            return Err(Error::new(
                ErrorKind::Lock,
                format!(
                    "lock {key:?} was lost while the work ran; another holder may have run at the same time"
                ),
            )
            .into());
        }
        result
    }

    fn keys(&self, key: &str) -> Result<(String, String)> {
        super::key::check_key("lock key", key)?;
        let lock = self.client.prefixed(&format!("lock:{{{key}}}"));
        let fence = format!("{lock}:fence");
        Ok((lock, fence))
    }
}

/// A held lock. Dropping it releases it in the background, without blocking; call
/// [`LockGuard::release`] to know whether it was still held.
pub struct LockGuard {
    client: Client,
    name: String,
    redis_key: String,
    token: String,
    fence: u64,
    released: bool,
}

impl std::fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockGuard")
            .field("key", &self.name)
            .field("fencing_token", &self.fence)
            .finish_non_exhaustive()
    }
}

impl LockGuard {
    /// The fencing token: larger than that of every earlier acquisition of this key. Send it
    /// with writes to other systems so they can refuse a stale holder.
    #[must_use]
    pub fn fencing_token(&self) -> u64 {
        self.fence
    }

    /// The random owner token (128 bits, hex).
    #[must_use]
    pub fn owner_token(&self) -> &str {
        &self.token
    }

    /// The key the lock was taken on.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.name
    }

    /// Sets the lock's remaining time to `ttl` if it is still held by this guard; whether it
    /// was.
    pub async fn extend(&self, ttl: Duration) -> Result<bool> {
        let ms = ttl_ms(ttl)?;
        let n: i64 = self
            .client
            .run_script(
                &EXTEND,
                &[&self.redis_key],
                &[self.token.as_bytes(), ms.to_string().as_bytes()],
            )
            .await?;
        Ok(n == 1)
    }

    /// Releases the lock if this guard still holds it; whether it did (`false`: it had
    /// expired, and maybe been taken by someone else).
    pub async fn release(mut self) -> Result<bool> {
        self.released = true;
        release(&self.client, &self.redis_key, &self.token).await
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
        // Without a runtime the lock simply expires at its TTL.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let client = self.client.clone();
            let key = std::mem::take(&mut self.redis_key);
            let token = std::mem::take(&mut self.token);
            rt.spawn(async move {
                let _ = release(&client, &key, &token).await;
            });
        }
    }
}
