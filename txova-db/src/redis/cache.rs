//! The typed cache: JSON values under [`CacheKey`]s, with get-or-compute that computes once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::client::{Client, Script};
use super::codec;
use super::flight::Flight;
use super::key::{CacheKey, KeyLabel};
use super::observe::{self, Op};
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
/// most `wait`, and compute themselves only if it does not. When the holder's computation
/// fails, it leaves a failure marker for `failure_ttl`: the callers waiting on it, and those
/// arriving meanwhile, return an [`ErrorKind::ComputeFailed`] error with the holder's reason
/// instead of each computing in turn.
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
    /// How long a failed computation is remembered in the lease key, so that the callers
    /// waiting for it share its failure. Default 1 s; it should be longer than the waiters'
    /// polling interval (at most 100 ms). Zero releases the lease at once and every waiter
    /// then computes in turn.
    pub failure_ttl: Duration,
}

impl Default for Lease {
    fn default() -> Self {
        Lease {
            ttl: Duration::from_secs(5),
            wait: Duration::from_secs(5),
            serve_stale: Duration::ZERO,
            failure_ttl: Duration::from_secs(1),
        }
    }
}

/// What [`Cache::get`] and its relatives do with an entry that does not decode as the key's
/// type (written by another version of the type, by another language, or not JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnDecodeError {
    /// An [`ErrorKind::Decode`] error naming the key and what did not decode (the default).
    /// The entry is left as it is.
    #[default]
    Fail,
    /// A miss: the entry is left as it is, [`Cache::decode_failures`] counts it and a `warn`
    /// event of the `txova_db::redis::cache` target names the key (never the value).
    /// [`Cache::get_or_set`] then computes and overwrites it.
    Miss,
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
    pub(super) client: Client,
    pub(super) lease: Option<Lease>,
    max_value_size: usize,
    on_decode_error: OnDecodeError,
    decode_failures: Arc<AtomicU64>,
    pub(super) flights: Arc<Mutex<HashMap<String, Arc<Flight>>>>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("client", &self.client)
            .field("lease", &self.lease)
            .field("max_value_size", &self.max_value_size)
            .field("on_decode_error", &self.on_decode_error)
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
            on_decode_error: OnDecodeError::Fail,
            decode_failures: Arc::default(),
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

    /// What reads do with an entry that does not decode; [`OnDecodeError::Fail`] by default.
    #[must_use]
    pub fn on_decode_error(mut self, on: OnDecodeError) -> Cache {
        self.on_decode_error = on;
        self
    }

    /// How many entries this cache (and its clones) treated as misses because they did not
    /// decode, under [`OnDecodeError::Miss`].
    #[must_use]
    pub fn decode_failures(&self) -> u64 {
        self.decode_failures.load(Ordering::Relaxed)
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
        key.check()?;
        let ms = ttl_ms(ttl)?;
        let bytes = self.encode(key.as_str(), value)?;
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.client.prefixed(key.as_str()))
            .arg(bytes)
            .arg("PX")
            .arg(ms);
        self.client
            .command::<()>(
                &cmd,
                Op::Named("SET"),
                self.label(key).as_ref().map(dyn_label),
            )
            .await
            .map_err(|e| e.context(format_args!("cache set {key}")))
    }

    /// The value under `key`, or `None` on a miss. An entry that does not decode as `T` is
    /// an [`ErrorKind::Decode`] error naming the key, or a counted miss under
    /// [`OnDecodeError::Miss`]; it is never removed.
    pub async fn get<T: DeserializeOwned>(&self, key: &CacheKey<T>) -> Result<Option<T>> {
        #[cfg(feature = "instrument")]
        {
            let span = observe::cache_span("GET", self.label(key));
            let r = tracing::Instrument::instrument(self.get_inner(key), span.clone()).await;
            observe::finish(&span, r.as_ref().map(Option::is_some));
            r
        }
        #[cfg(not(feature = "instrument"))]
        self.get_inner(key).await
    }

    async fn get_inner<T: DeserializeOwned>(&self, key: &CacheKey<T>) -> Result<Option<T>> {
        key.check()?;
        let full = self.client.prefixed(key.as_str());
        let label = self.label(key);
        let raw: Option<Vec<u8>> = self
            .client
            .command(
                redis::cmd("GET").arg(&full),
                Op::Named("GET"),
                label.as_ref().map(dyn_label),
            )
            .await
            .map_err(|e| e.context(format_args!("cache get {key}")))?;
        let v = match raw {
            None => None,
            Some(bytes) => self.decode(key.as_str(), label, &bytes)?,
        };
        observe::count(
            if v.is_some() {
                observe::HITS
            } else {
                observe::MISSES
            },
            1,
        );
        Ok(v)
    }

    /// What spans and logs may show of `key` (see [`Config::record_full_keys`]).
    ///
    /// [`Config::record_full_keys`]: super::Config::record_full_keys
    pub(super) fn label<'k, T>(&self, key: &'k CacheKey<T>) -> Option<KeyLabel<'k>> {
        key.label(self.client.full_keys())
    }

    /// Decodes an entry read under `key`, as [`OnDecodeError`] says; `label` is what the
    /// log may show of the key.
    pub(super) fn decode<T: DeserializeOwned>(
        &self,
        key: &str,
        label: Option<KeyLabel<'_>>,
        bytes: &[u8],
    ) -> Result<Option<T>> {
        let e = match serde_json::from_slice(bytes) {
            Ok(v) => return Ok(Some(v)),
            Err(e) => e,
        };
        observe::count(observe::DECODE_FAILURES, 1);
        match self.on_decode_error {
            OnDecodeError::Fail => Err(Error::new(
                ErrorKind::Decode,
                format!(
                    "the value under cache key {key} does not decode as {}: {e}",
                    std::any::type_name::<T>()
                ),
            )),
            OnDecodeError::Miss => {
                self.decode_failures.fetch_add(1, Ordering::Relaxed);
                log_decode_miss(label, std::any::type_name::<T>(), &e);
                Ok(None)
            }
        }
    }

    /// Removes `key`; whether it existed.
    pub async fn delete<T>(&self, key: &CacheKey<T>) -> Result<bool> {
        key.check()?;
        let n: i64 = self
            .client
            .command(
                redis::cmd("DEL").arg(self.client.prefixed(key.as_str())),
                Op::Named("DEL"),
                self.label(key).as_ref().map(dyn_label),
            )
            .await?;
        Ok(n > 0)
    }

    /// Whether `key` holds a value.
    pub async fn exists<T>(&self, key: &CacheKey<T>) -> Result<bool> {
        key.check()?;
        let n: i64 = self
            .client
            .command(
                redis::cmd("EXISTS").arg(self.client.prefixed(key.as_str())),
                Op::Named("EXISTS"),
                self.label(key).as_ref().map(dyn_label),
            )
            .await?;
        Ok(n > 0)
    }

    /// The values under `keys`, in order, in one `MGET` (split by slot on a cluster).
    /// Entries that do not decode are treated as [`Cache::get`] treats them.
    pub async fn get_many<T: DeserializeOwned>(
        &self,
        keys: &[CacheKey<T>],
    ) -> Result<Vec<Option<T>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        keys.iter().try_for_each(CacheKey::check)?;
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
        for (bytes, key) in raw.into_iter().zip(keys) {
            out.push(match bytes {
                None => None,
                Some(b) => self.decode(key.as_str(), self.label(key), &b)?,
            });
        }
        let hits = out.iter().filter(|v| v.is_some()).count() as u64;
        observe::count(observe::HITS, hits);
        observe::count(observe::MISSES, out.len() as u64 - hits);
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
            key.check()?;
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
            self.client
                .observed(Op::Named("BATCH SET"), None, fut)
                .await?;
        }
        Ok(())
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

    pub(super) fn encode<T: Serialize>(&self, key: &str, value: &T) -> Result<Vec<u8>> {
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

/// A key label as the command spans take it.
pub(super) fn dyn_label<'a>(label: &'a KeyLabel<'_>) -> &'a (dyn std::fmt::Display + Sync) {
    label
}

/// Logs an entry treated as a miss because it did not decode. serde's message may quote
/// part of the value, so only its category and place are logged, with the key's template
/// (the whole key only when the client records full keys).
fn log_decode_miss(key: Option<KeyLabel<'_>>, expected: &str, e: &serde_json::Error) {
    tracing::warn!(
        target: "txova_db::redis::cache",
        key = key.map(tracing::field::display),
        expected,
        category = ?e.classify(),
        line = e.line(),
        column = e.column(),
        "a cache entry does not decode; treated as a miss"
    );
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

    /// Collects the events logged while it is the default subscriber, as text.
    struct Collect(Arc<Mutex<Vec<String>>>);

    impl tracing::Subscriber for Collect {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            struct Text(String);
            impl tracing::field::Visit for Text {
                fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                    use std::fmt::Write as _;
                    let _ = write!(self.0, "{}={v:?} ", f.name());
                }
            }
            let mut text = Text(format!(
                "{} {} ",
                event.metadata().level(),
                event.metadata().target()
            ));
            event.record(&mut text);
            if let Ok(mut events) = self.0.lock() {
                events.push(text.0);
            }
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    #[test]
    fn a_decode_miss_is_logged_without_the_value() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code, reason = "only decoded")]
        struct Blob {
            data: Vec<u8>,
        }
        let e = serde_json::from_slice::<Blob>(br#"{"data":"secret-token-123"}"#).unwrap_err();
        assert!(
            e.to_string().contains("secret-token-123"),
            "serde quotes it: {e}"
        );
        let mut b = super::super::key::KeyBuilder::new(0);
        b.template("file:blob:{}");
        b.literal("file:blob:");
        b.param("id", &1);
        let key: CacheKey<Blob> = b.finish();
        let events = Arc::new(Mutex::new(Vec::new()));
        tracing::subscriber::with_default(Collect(Arc::clone(&events)), || {
            log_decode_miss(key.label(false), "app::Blob", &e);
            log_decode_miss(key.label(true), "app::Blob", &e);
            log_decode_miss(
                CacheKey::<Blob>::parse("file:blob:2").unwrap().label(false),
                "app::Blob",
                &e,
            );
        });
        let events = events.lock().unwrap();
        assert_eq!(events.len(), 3, "{events:?}");
        let event = &events[0];
        assert!(event.starts_with("WARN txova_db::redis::cache "), "{event}");
        assert!(
            event.contains("key=file:blob:{}"),
            "only the template: {event}"
        );
        assert!(!event.contains("file:blob:1"), "{event}");
        assert!(
            events[1].contains("key=file:blob:1 "),
            "opted in: {}",
            events[1]
        );
        assert!(
            !events[2].contains("key="),
            "no template, no key: {}",
            events[2]
        );
        assert!(event.contains("expected=\"app::Blob\""), "{event}");
        assert!(event.contains("category=Data"), "{event}");
        assert!(
            !event.contains("secret"),
            "the value is never logged: {event}"
        );
    }

    #[test]
    fn glob_is_escaped() {
        assert_eq!(escape_glob("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
    }
}
