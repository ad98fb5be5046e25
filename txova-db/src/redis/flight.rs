//! Get-or-compute: concurrent misses of one key compute once and share the outcome, value or
//! failure, in the process and (with a [`Lease`]) across processes.

use std::any::Any;
use std::fmt::Display;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::cache::{Cache, Lease, compare_and_delete_script, ttl_ms};
use super::client::Script;
use super::key::CacheKey;
use crate::error::{Error, ErrorKind, Result};

static LEASE_FAIL: std::sync::LazyLock<Script> =
    std::sync::LazyLock::new(|| Script::new("lease_fail", include_str!("scripts/lease_fail.lua")));

/// What a lease key holds once its holder's computation failed, followed by the reason.
const FAILED_MARK: &str = "failed:";

/// The longest reason a failure marker carries, in bytes.
const MAX_REASON: usize = 512;

/// One in-process computation of a key: the first caller runs it, the others wait on the
/// cell and share its outcome. If the running caller is dropped, a waiter takes over.
pub(super) type Flight = tokio::sync::OnceCell<Outcome>;

/// What every caller that joined a flight gets.
pub(super) enum Outcome {
    /// The value, read or computed.
    Value(Box<dyn Any + Send + Sync>),
    /// The failure, as the error the joined callers return (a copy each).
    Failed(Error),
}

/// Why a flight's leader failed: reading or writing the cache (our error), or `compute`.
enum Failure<E> {
    Ours(Error),
    Theirs(E),
}

impl<E> From<Error> for Failure<E> {
    fn from(e: Error) -> Self {
        Failure::Ours(e)
    }
}

/// The reason a shared computation failed, as every caller that shared it reads it.
fn shared_failure(key: &str, reason: &str) -> String {
    format!("the shared computation of cache key {key} failed: {reason}")
}

impl Cache {
    /// The value under `key`; on a miss, runs `compute`, stores its value for `ttl` and
    /// returns it.
    ///
    /// Concurrent calls for one key in this process share one flight: one `GET`, and on a
    /// miss one computation and one `SET`. Every caller that joined gets the outcome: the
    /// value, or, when `compute` fails, an [`ErrorKind::ComputeFailed`] error saying the
    /// shared computation failed and why (the caller that ran `compute` gets its own
    /// error). Nothing is cached after a failure beyond the flight, so the next call
    /// computes again. With [`Cache::with_lease`], one caller in the fleet computes, and a
    /// failure is shared with the other processes for [`Lease::failure_ttl`].
    ///
    /// An entry that does not decode is an [`ErrorKind::Decode`] error shared by the
    /// flight (nothing is computed), or a miss that is computed and overwritten under
    /// [`OnDecodeError::Miss`](super::OnDecodeError::Miss).
    pub async fn get_or_set<T, E, F>(
        &self,
        key: &CacheKey<T>,
        ttl: Duration,
        compute: F,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        F: AsyncFnOnce() -> Result<T, E>,
        E: From<Error> + Display,
    {
        #[cfg(feature = "instrument")]
        {
            let span = super::observe::cache_span("get_or_set", self.label(key));
            tracing::Instrument::instrument(self.get_or_set_inner(key, ttl, compute), span).await
        }
        #[cfg(not(feature = "instrument"))]
        self.get_or_set_inner(key, ttl, compute).await
    }

    async fn get_or_set_inner<T, E, F>(
        &self,
        key: &CacheKey<T>,
        ttl: Duration,
        compute: F,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        F: AsyncFnOnce() -> Result<T, E>,
        E: From<Error> + Display,
    {
        ttl_ms(ttl)?;
        key.check()?;
        let flight = {
            let mut flights = self
                .flights
                .lock()
                .map_err(|_| Error::poisoned("the cache's flight table"))?;
            Arc::clone(flights.entry(key.as_str().to_owned()).or_default())
        };
        let _leave = Leave {
            cache: self,
            key: key.as_str(),
            flight: &flight,
        };
        let mut mine: Option<Result<T, E>> = None;
        let outcome = flight
            .get_or_init(|| async {
                let result = self.lead(key, ttl, compute).await;
                let (outcome, result) = match result {
                    Ok(v) => (Outcome::Value(Box::new(v.clone())), Ok(v)),
                    Err(Failure::Ours(e)) => (Outcome::Failed(e.share()), Err(E::from(e))),
                    Err(Failure::Theirs(e)) => (
                        Outcome::Failed(Error::new(
                            ErrorKind::ComputeFailed,
                            shared_failure(key.as_str(), &e.to_string()),
                        )),
                        Err(e),
                    ),
                };
                mine = Some(result);
                outcome
            })
            .await;
        if let Some(result) = mine {
            return result;
        }
        super::observe::count(super::observe::FLIGHT_JOINS, 1);
        #[cfg(feature = "instrument")]
        tracing::Span::current().record("cache.joined", true);
        match outcome {
            Outcome::Value(v) => v.downcast_ref::<T>().cloned().ok_or_else(|| {
                E::from(Error::new(
                    ErrorKind::Decode,
                    format!("cache key {key} was read as two different types at once"),
                ))
            }),
            Outcome::Failed(e) => Err(E::from(e.share())),
        }
    }

    /// The flight's work: one `GET`, and on a miss the computation and its `SET`.
    async fn lead<T, E, F>(
        &self,
        key: &CacheKey<T>,
        ttl: Duration,
        compute: F,
    ) -> Result<T, Failure<E>>
    where
        T: Serialize + DeserializeOwned,
        F: AsyncFnOnce() -> Result<T, E>,
        E: Display,
    {
        if let Some(v) = self.get(key).await? {
            return Ok(v);
        }
        match self.lease {
            None => {
                let v = compute().await.map_err(Failure::Theirs)?;
                self.set(key, &v, ttl).await?;
                Ok(v)
            }
            Some(lease) => self.lead_with_lease(key, ttl, lease, compute).await,
        }
    }

    async fn lead_with_lease<T, E, F>(
        &self,
        key: &CacheKey<T>,
        ttl: Duration,
        lease: Lease,
        compute: F,
    ) -> Result<T, Failure<E>>
    where
        T: Serialize + DeserializeOwned,
        F: AsyncFnOnce() -> Result<T, E>,
        E: Display,
    {
        let lease_key = self.client.prefixed(&format!("lease:{{{}}}", key.as_str()));
        let token = super::random_hex(16)?;
        let lease_taken: Option<String> = self
            .client
            .query(
                redis::cmd("SET")
                    .arg(&lease_key)
                    .arg(&token)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl_ms(lease.ttl)?),
            )
            .await?;
        let stale_name = format!("stale:{{{}}}", key.as_str());
        let stale_key = self.client.prefixed(&stale_name);
        if lease_taken.is_none() {
            if !lease.serve_stale.is_zero() {
                let raw: Option<Vec<u8>> =
                    self.client.query(redis::cmd("GET").arg(&stale_key)).await?;
                if let Some(raw) = raw
                    && let Some(v) = self.decode(&stale_name, self.label(key), &raw)?
                {
                    return Ok(v);
                }
            }
            if let Some(v) = self.wait_for_holder(key, &lease_key, lease.wait).await? {
                return Ok(v);
            }
            // The holder is gone without a value: compute without the lease, as it did.
            let v = compute().await.map_err(Failure::Theirs)?;
            self.set(key, &v, ttl).await?;
            return Ok(v);
        }
        // The previous holder may have stored the value just before we took the lease.
        let existing = match self.get(key).await {
            Ok(v) => v,
            Err(e) => {
                // Given back so that waiters need not sit out the lease's TTL.
                let _ = self.release(&lease_key, &token).await;
                return Err(e.into());
            }
        };
        let (result, stored) = if let Some(v) = existing {
            (Ok(v), Ok(()))
        } else {
            let result = compute().await;
            let stored = match &result {
                Ok(v) => self.set(key, v, ttl).await,
                Err(_) => Ok(()),
            };
            let stored = match (&result, stored) {
                (Ok(v), Ok(())) if !lease.serve_stale.is_zero() => {
                    self.set_stale(&stale_key, key.as_str(), v, ttl + lease.serve_stale)
                        .await
                }
                (_, stored) => stored,
            };
            (result, stored)
        };
        // Given back whatever happened, so waiters need not sit out the lease's TTL; after
        // a failure it becomes the marker that tells them why.
        let released = match &result {
            Err(e) if !lease.failure_ttl.is_zero() => {
                self.mark_failed(&lease_key, &token, &e.to_string(), lease.failure_ttl)
                    .await
            }
            _ => self.release(&lease_key, &token).await,
        };
        let value = result.map_err(Failure::Theirs)?;
        stored?;
        released?;
        Ok(value)
    }

    /// Polls for the lease holder's value for at most `wait`: `Some` once it is stored,
    /// `None` when the holder is gone without one, the holder's failure if it left one.
    async fn wait_for_holder<T: DeserializeOwned, E>(
        &self,
        key: &CacheKey<T>,
        lease_key: &str,
        wait: Duration,
    ) -> Result<Option<T>, Failure<E>> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut pause = Duration::from_millis(5);
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(100));
            if let Some(v) = self.get(key).await? {
                return Ok(Some(v));
            }
            let held: Option<String> = self.client.query(redis::cmd("GET").arg(lease_key)).await?;
            match held {
                None => break,
                Some(mark) => {
                    if let Some(reason) = mark.strip_prefix(FAILED_MARK) {
                        return Err(Failure::Ours(Error::new(
                            ErrorKind::ComputeFailed,
                            shared_failure(key.as_str(), reason),
                        )));
                    }
                }
            }
        }
        Ok(self.get(key).await?)
    }

    /// Gives our lease back, if it is still ours.
    async fn release(&self, lease_key: &str, token: &str) -> Result<()> {
        self.client
            .run_script::<i64>(
                compare_and_delete_script(),
                &[lease_key],
                &[token.as_bytes()],
            )
            .await
            .map(drop)
    }

    /// Turns our lease into a failure marker carrying `reason` for `ttl`.
    async fn mark_failed(
        &self,
        lease_key: &str,
        token: &str,
        reason: &str,
        ttl: Duration,
    ) -> Result<()> {
        let mut end = reason.len().min(MAX_REASON);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        let mark = format!("{FAILED_MARK}{}", &reason[..end]);
        let ms = ttl_ms(ttl)?.to_string();
        self.client
            .run_script::<i64>(
                &LEASE_FAIL,
                &[lease_key],
                &[token.as_bytes(), mark.as_bytes(), ms.as_bytes()],
            )
            .await
            .map(drop)
    }

    /// Keeps a copy of a computed value as the old value other callers may serve.
    async fn set_stale<T: Serialize>(
        &self,
        stale_key: &str,
        key: &str,
        value: &T,
        ttl: Duration,
    ) -> Result<()> {
        let bytes = self.encode(key, value)?;
        let mut cmd = redis::cmd("SET");
        cmd.arg(stale_key).arg(bytes).arg("PX").arg(ttl_ms(ttl)?);
        self.client.query(&cmd).await
    }
}

/// Takes a finished flight out of the table when its caller leaves, even if that caller was
/// dropped, so that later calls start a new flight instead of reading an old outcome.
struct Leave<'a> {
    cache: &'a Cache,
    key: &'a str,
    flight: &'a Arc<Flight>,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        if !self.flight.initialized() {
            return;
        }
        if let Ok(mut flights) = self.cache.flights.lock()
            && flights
                .get(self.key)
                .is_some_and(|f| Arc::ptr_eq(f, self.flight))
        {
            flights.remove(self.key);
        }
    }
}
