//! The typed cache: JSON values under [`CacheKey`]s, with get-or-compute that computes once.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::client::{Client, Script};
use super::codec;
use super::key::CacheKey;
use crate::error::{Error, ErrorKind, Result, fmt_duration};

static COMPARE_AND_DELETE: std::sync::LazyLock<Script> = std::sync::LazyLock::new(|| {
    Script::new(
        "compare_and_delete",
        include_str!("scripts/compare_and_delete.lua"),
    )
});

pub(crate) fn compare_and_delete_script() -> &'static Script {
    &COMPARE_AND_DELETE
}

/// Cross-process protection for [`Cache::get_or_set`]: on a miss, one caller in the whole
/// fleet takes a short lease and computes; the others serve the previous value if
/// `serve_stale` keeps one, and otherwise poll the cache until the value appears, for at
/// most `wait`, and compute themselves only if it does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// How long the lease lasts if its holder never finishes (it crashed). Default 5 s.
    pub ttl: Duration,
    /// How long other callers wait for the holder's value. Default 5 s.
    pub wait: Duration,
    /// How long a value computed by `get_or_set` stays available as the old value after its
    /// TTL, for callers that find someone else recomputing it. Zero (the default) keeps no
    /// old value: callers wait. The old value is a second key, `{prefix}stale:{<key>}`.
    pub serve_stale: Duration,
}

impl Default for Lease {
    fn default() -> Self {
        Lease {
            ttl: Duration::from_secs(5),
            wait: Duration::from_secs(5),
            serve_stale: Duration::ZERO,
        }
    }
}

/// Values larger than this are refused by default (1 MiB); see [`Cache::max_value_size`].
pub const DEFAULT_MAX_VALUE_SIZE: usize = 1024 * 1024;

/// A cache of JSON values in Redis under typed keys.
///
/// ```no_run
/// use std::time::Duration;
/// use txova_db::redis::{Cache, Client, Config};
///
/// #[derive(Clone, serde::Serialize, serde::Deserialize)]
/// struct User { name: String }
///
/// txova_db::cache_keys! {
///     /// A user's profile.
///     fn user_profile(id: u64) -> User = "user:profile:{id}";
/// }
///
/// # async fn run() -> Result<(), txova_db::Error> {
/// let cache = Cache::new(Client::new(Config::new("redis://127.0.0.1")).await?);
/// let user = cache
///     .get_or_set(&user_profile(7), Duration::from_secs(900), async || {
///         Ok::<_, txova_db::Error>(User { name: "Ana".into() })
///     })
///     .await?;
/// let again: Option<User> = cache.get(&user_profile(7)).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Cache {
    client: Client,
    lease: Option<Lease>,
    max_value_size: usize,
    flights: Arc<Mutex<HashMap<String, Arc<Flight>>>>,
}

/// One in-process computation of a key; later callers wait on its mutex and take its value.
type Flight = tokio::sync::Mutex<Option<Box<dyn Any + Send + Sync>>>;

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("client", &self.client)
            .field("lease", &self.lease)
            .field("max_value_size", &self.max_value_size)
            .finish_non_exhaustive()
    }
}

impl Cache {
    /// A cache over `client`, without cross-process leases.
    #[must_use]
    pub fn new(client: Client) -> Cache {
        Cache {
            client,
            lease: None,
            max_value_size: DEFAULT_MAX_VALUE_SIZE,
            flights: Arc::default(),
        }
    }

    /// Turns on cross-process protection for [`Cache::get_or_set`].
    #[must_use]
    pub fn with_lease(mut self, lease: Lease) -> Cache {
        self.lease = Some(lease);
        self
    }

    /// The largest encoded value [`Cache::set`] accepts; larger ones are an
    /// [`ErrorKind::InvalidInput`] error and nothing is written.
    #[must_use]
    pub fn max_value_size(mut self, bytes: usize) -> Cache {
        self.max_value_size = bytes;
        self
    }

    /// The client this cache uses.
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Stores `value` under `key` for `ttl` (at least one millisecond).
    pub async fn set<T: Serialize>(
        &self,
        key: &CacheKey<T>,
        value: &T,
        ttl: Duration,
    ) -> Result<()> {
        let ms = ttl_ms(ttl)?;
        let bytes = self.encode(key.as_str(), value)?;
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.client.prefixed(key.as_str()))
            .arg(bytes)
            .arg("PX")
            .arg(ms);
        self.client
            .query::<()>(&cmd)
            .await
            .map_err(|e| e.context(format_args!("cache set {key}")))
    }

    /// The value under `key`, or `None` on a miss. An entry that does not decode as `T` (it
    /// was written by an older version of the type, or is not JSON) is a miss and is removed.
    pub async fn get<T: DeserializeOwned>(&self, key: &CacheKey<T>) -> Result<Option<T>> {
        let full = self.client.prefixed(key.as_str());
        let raw: Option<Vec<u8>> = self
            .client
            .query(redis::cmd("GET").arg(&full))
            .await
            .map_err(|e| e.context(format_args!("cache get {key}")))?;
        match raw {
            None => Ok(None),
            Some(bytes) => self.decode_or_remove(&full, &bytes).await,
        }
    }

    async fn decode_or_remove<T: DeserializeOwned>(
        &self,
        full: &str,
        bytes: &[u8],
    ) -> Result<Option<T>> {
        if let Ok(v) = codec::decode(bytes) {
            return Ok(Some(v));
        }
        // Only this exact corrupt value is removed, never one written meanwhile.
        let _: i64 = self
            .client
            .run_script(compare_and_delete_script(), &[full], &[bytes])
            .await?;
        Ok(None)
    }

    /// Removes `key`; whether it existed.
    pub async fn delete<T>(&self, key: &CacheKey<T>) -> Result<bool> {
        let n: i64 = self
            .client
            .query(redis::cmd("DEL").arg(self.client.prefixed(key.as_str())))
            .await?;
        Ok(n > 0)
    }

    /// Whether `key` holds a value.
    pub async fn exists<T>(&self, key: &CacheKey<T>) -> Result<bool> {
        let n: i64 = self
            .client
            .query(redis::cmd("EXISTS").arg(self.client.prefixed(key.as_str())))
            .await?;
        Ok(n > 0)
    }

    /// The values under `keys`, in order, in one `MGET` (split by slot on a cluster).
    /// Entries that do not decode are misses and are removed.
    pub async fn get_many<T: DeserializeOwned>(
        &self,
        keys: &[CacheKey<T>],
    ) -> Result<Vec<Option<T>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let full: Vec<String> = keys
            .iter()
            .map(|k| self.client.prefixed(k.as_str()))
            .collect();
        let raw: Vec<Option<Vec<u8>>> = self.client.query(redis::cmd("MGET").arg(&full)).await?;
        if raw.len() != keys.len() {
            return Err(Error::new(
                ErrorKind::Decode,
                "redis answered MGET with a different number of values",
            ));
        }
        let mut out = Vec::with_capacity(raw.len());
        for (bytes, full) in raw.into_iter().zip(&full) {
            out.push(match bytes {
                None => None,
                Some(b) => self.decode_or_remove(full, &b).await?,
            });
        }
        Ok(out)
    }

    /// Stores every `(key, value)` for `ttl`. Every value is encoded and checked before
    /// anything is sent, so a bad value writes nothing. On one node this is one pipeline.
    pub async fn set_many<T: Serialize>(
        &self,
        entries: &[(CacheKey<T>, T)],
        ttl: Duration,
    ) -> Result<()> {
        let ms = ttl_ms(ttl)?;
        let mut encoded = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            encoded.push((
                self.client.prefixed(key.as_str()),
                self.encode(key.as_str(), value)?,
            ));
        }
        if encoded.is_empty() {
            return Ok(());
        }
        if self.client.is_cluster() {
            let sets = encoded.iter().map(|(k, v)| {
                let mut cmd = redis::cmd("SET");
                cmd.arg(k).arg(v).arg("PX").arg(ms);
                async move { self.client.query::<()>(&cmd).await }
            });
            futures_util::future::try_join_all(sets).await?;
        } else {
            let mut pipe = redis::pipe();
            for (k, v) in &encoded {
                pipe.cmd("SET").arg(k).arg(v).arg("PX").arg(ms).ignore();
            }
            let fut = async {
                let mut conn = self.client.connection();
                pipe.query_async::<()>(&mut conn).await
            };
            self.client.bounded(fut).await?;
        }
        Ok(())
    }

    /// The value under `key`; on a miss, runs `compute`, stores its value for `ttl` and
    /// returns it. Concurrent misses of one key in this process compute once: the others
    /// wait and get that value. With [`Cache::with_lease`], one caller in the fleet
    /// computes. An error from `compute` is returned and nothing is cached.
    pub async fn get_or_set<T, E, F>(
        &self,
        key: &CacheKey<T>,
        ttl: Duration,
        compute: F,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        F: AsyncFnOnce() -> Result<T, E>,
        E: From<Error>,
    {
        ttl_ms(ttl)?;
        if let Some(v) = self.get(key).await? {
            return Ok(v);
        }
        let flight = {
            let mut flights = self
                .flights
                .lock()
                .map_err(|_| Error::poisoned("the cache's flight table"))?;
            Arc::clone(flights.entry(key.as_str().to_owned()).or_default())
        };
        let mut slot = flight.lock().await;
        if let Some(v) = slot.as_ref().and_then(|b| b.downcast_ref::<T>()) {
            return Ok(v.clone());
        }
        let result = self.compute_once(key, ttl, compute).await;
        if let Ok(v) = &result {
            *slot = Some(Box::new(v.clone()));
        }
        if let Ok(mut flights) = self.flights.lock()
            && flights
                .get(key.as_str())
                .is_some_and(|f| Arc::ptr_eq(f, &flight))
        {
            flights.remove(key.as_str());
        }
        result
    }

    async fn compute_once<T, E, F>(
        &self,
        key: &CacheKey<T>,
        ttl: Duration,
        compute: F,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        F: AsyncFnOnce() -> Result<T, E>,
        E: From<Error>,
    {
        // Another task of this process may have stored it while we waited for the flight.
        if let Some(v) = self.get(key).await? {
            return Ok(v);
        }
        let Some(lease) = self.lease else {
            let v = compute().await?;
            self.set(key, &v, ttl).await?;
            return Ok(v);
        };
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
        let stale_key = self.client.prefixed(&format!("stale:{{{}}}", key.as_str()));
        if lease_taken.is_none() {
            if !lease.serve_stale.is_zero() {
                let raw: Option<Vec<u8>> =
                    self.client.query(redis::cmd("GET").arg(&stale_key)).await?;
                if let Some(v) = raw.and_then(|b| codec::decode(&b).ok()) {
                    return Ok(v);
                }
            }
            let deadline = tokio::time::Instant::now() + lease.wait;
            let mut pause = Duration::from_millis(5);
            while tokio::time::Instant::now() < deadline {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(100));
                if let Some(v) = self.get(key).await? {
                    return Ok(v);
                }
                let held: i64 = self
                    .client
                    .query(redis::cmd("EXISTS").arg(&lease_key))
                    .await?;
                if held == 0 {
                    break;
                }
            }
            if let Some(v) = self.get(key).await? {
                return Ok(v);
            }
        }
        // The previous holder may have stored the value just before we took the lease.
        let stored = if lease_taken.is_some() {
            self.get(key).await?
        } else {
            None
        };
        let (result, stored) = if let Some(v) = stored {
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
        // Released whatever happened, so waiters need not sit out the lease's TTL.
        let released = if lease_taken.is_some() {
            self.client
                .run_script::<i64>(
                    compare_and_delete_script(),
                    &[&lease_key],
                    &[token.as_bytes()],
                )
                .await
                .map(drop)
        } else {
            Ok(())
        };
        let value = result?;
        stored?;
        released?;
        Ok(value)
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

    /// Removes every key that starts with `prefix`, which must end in a `list` segment or
    /// in a later complete segment (`ride:history:list:`, `ride:history:list:user:42:`).
    /// Walks the keys with `SCAN` on every primary of a cluster. Returns how many were
    /// removed.
    pub async fn invalidate_list(&self, prefix: &str) -> Result<u64> {
        let segments: Vec<&str> = prefix.split(':').collect();
        let well_formed = prefix.ends_with(':')
            && segments.len() >= 3
            && segments[..segments.len() - 1].iter().all(|s| !s.is_empty())
            && segments[1..segments.len() - 1].contains(&"list");
        if !well_formed {
            return Err(Error::invalid_input(format!(
                "list prefix {prefix:?} must look like `service:entity:list:` (ending with `:`)"
            )));
        }
        let pattern = format!("{}*", escape_glob(&self.client.prefixed(prefix)));
        let mut removed = 0;
        let nodes: Vec<Option<(String, u16)>> = if self.client.is_cluster() {
            self.client
                .primaries()
                .await?
                .into_iter()
                .map(Some)
                .collect()
        } else {
            vec![None]
        };
        for node in nodes {
            let mut cursor: u64 = 0;
            loop {
                let mut scan = redis::cmd("SCAN");
                scan.arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1000);
                let (next, keys): (u64, Vec<String>) = match &node {
                    Some((host, port)) => {
                        let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress {
                            host: host.clone(),
                            port: *port,
                        });
                        self.client.route(&scan, routing).await?
                    }
                    None => self.client.query(&scan).await?,
                };
                removed += self.unlink(&keys).await?;
                cursor = next;
                if cursor == 0 {
                    break;
                }
            }
        }
        Ok(removed)
    }

    async fn unlink(&self, keys: &[String]) -> Result<u64> {
        if keys.is_empty() {
            return Ok(0);
        }
        if self.client.is_cluster() {
            let dels = keys.iter().map(|k| async move {
                self.client.query::<u64>(redis::cmd("UNLINK").arg(k)).await
            });
            Ok(futures_util::future::try_join_all(dels)
                .await?
                .into_iter()
                .sum())
        } else {
            self.client.query(redis::cmd("UNLINK").arg(keys)).await
        }
    }

    fn encode<T: Serialize>(&self, key: &str, value: &T) -> Result<Vec<u8>> {
        let bytes = codec::encode(value).map_err(|e| e.context(format_args!("cache key {key}")))?;
        if bytes.len() > self.max_value_size {
            return Err(Error::invalid_input(format!(
                "the value for {key} is {} bytes encoded, more than the limit of {} bytes",
                bytes.len(),
                self.max_value_size
            )));
        }
        Ok(bytes)
    }
}

/// A TTL in whole milliseconds, refusing what Redis would reject or treat as "no expiry".
pub(crate) fn ttl_ms(ttl: Duration) -> Result<u64> {
    let ms = ttl.as_millis();
    if ms == 0 {
        return Err(Error::invalid_input(format!(
            "a ttl must be at least 1ms, got {}",
            fmt_duration(ttl)
        )));
    }
    u64::try_from(ms)
        .ok()
        .filter(|ms| *ms <= i64::MAX as u64 / 2)
        .ok_or_else(|| Error::invalid_input("the ttl is too large"))
}

/// Escapes the glob characters of `SCAN MATCH` so `s` matches only itself.
fn escape_glob(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\' | '^' | '-') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls() {
        assert!(ttl_ms(Duration::ZERO).is_err());
        assert!(ttl_ms(Duration::from_micros(999)).is_err());
        assert_eq!(ttl_ms(Duration::from_secs(2)).unwrap(), 2000);
        assert!(ttl_ms(Duration::MAX).is_err());
    }

    #[test]
    fn glob_is_escaped() {
        assert_eq!(escape_glob("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
    }
}
