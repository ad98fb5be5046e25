//! What the Redis side tells about itself with the `instrument` feature: a `tracing` span per
//! command and script, `db.client.operation.duration`, and the spans and counters of locks,
//! rate limits and sessions, with the OpenTelemetry database attribute names. Values are
//! never recorded, and keys only as their template unless the client records full keys
//! ([`Config::record_full_keys`](super::Config::record_full_keys)). Without the feature every
//! function here is empty and inlined away.
#![cfg_attr(
    not(feature = "instrument"),
    allow(
        dead_code,
        unused_variables,
        reason = "read by the instrumentation only"
    )
)]

use redis::Cmd;
#[cfg(not(feature = "instrument"))]
use redis::RedisResult;

#[cfg(not(feature = "instrument"))]
use crate::error::{Error, Result};

/// The `db.system.name` of every Redis span and metric.
pub(crate) const SYSTEM: &str = "redis";
/// Cache reads that found a value.
pub(crate) const HITS: &str = "txova_db.cache.hits";
/// Cache reads that found none (or, under `OnDecodeError::Miss`, one that did not decode).
pub(crate) const MISSES: &str = "txova_db.cache.misses";
/// Cache entries that did not decode as the key's type.
pub(crate) const DECODE_FAILURES: &str = "txova_db.cache.decode_failures";
/// `get_or_set` callers that joined another caller's flight instead of reading.
pub(crate) const FLIGHT_JOINS: &str = "txova_db.cache.flight_joins";
/// Locks taken.
pub(crate) const LOCKS_ACQUIRED: &str = "txova_db.lock.acquired";
/// Held locks lost: another owner found by an extension or the release, or the TTL run out.
pub(crate) const LOCKS_LOST: &str = "txova_db.lock.lost";
/// Acquisitions that ran out of their wait.
pub(crate) const LOCKS_TIMED_OUT: &str = "txova_db.lock.timed_out";
/// Rate-limit decisions that let the request through.
pub(crate) const RATE_LIMIT_ALLOWED: &str = "txova_db.rate_limit.allowed";
/// Rate-limit decisions that refused it.
pub(crate) const RATE_LIMIT_DENIED: &str = "txova_db.rate_limit.denied";
/// Sessions created.
pub(crate) const SESSIONS_CREATED: &str = "txova_db.session.created";
/// Sessions found past their idle or absolute lifetime by a read (and removed).
pub(crate) const SESSIONS_EXPIRED: &str = "txova_db.session.expired";

/// What every command span and metric of one client carries.
pub(crate) struct Meta {
    /// The database index (`db.namespace`), `0` on a cluster.
    pub(crate) namespace: String,
    pub(crate) server_address: String,
    pub(crate) server_port: u16,
    /// Whether spans and logs record whole keys instead of their templates.
    pub(crate) full_keys: bool,
    #[cfg(feature = "instrument")]
    namespace_label: metrics::SharedString,
}

impl Meta {
    /// Reads the server and database of the first url.
    pub(crate) fn new(url: &str, full_keys: bool) -> Meta {
        let (server_address, server_port, db) =
            match redis::IntoConnectionInfo::into_connection_info(url) {
                Ok(info) => {
                    let (host, port) = match info.addr() {
                        redis::ConnectionAddr::Tcp(h, p)
                        | redis::ConnectionAddr::TcpTls {
                            host: h, port: p, ..
                        } => (h.clone(), *p),
                        redis::ConnectionAddr::Unix(path) => (path.display().to_string(), 0),
                        _ => (String::new(), 0),
                    };
                    (host, port, info.redis_settings().db())
                }
                Err(_) => (String::new(), 0, 0),
            };
        let namespace = db.to_string();
        Meta {
            #[cfg(feature = "instrument")]
            namespace_label: metrics::SharedString::from_shared(std::sync::Arc::from(
                namespace.as_str(),
            )),
            namespace,
            server_address,
            server_port,
            full_keys,
        }
    }
}

/// The command a span is about.
#[derive(Clone, Copy)]
pub(crate) enum Op<'a> {
    /// A command whose name is known here (`BATCH SET` for a pipeline of `SET`s).
    Named(&'static str),
    /// A command built by the caller: its name is read from its first word.
    Cmd(&'a Cmd),
    /// A Lua script, run by `EVALSHA`.
    Script(&'static str),
}

/// The names of the commands this crate sends and the common ones, so that the operation of
/// a caller's command is a `&'static str` without an allocation.
const KNOWN: [&str; 40] = [
    "GET", "SET", "DEL", "UNLINK", "EXISTS", "MGET", "MSET", "SCAN", "PING", "INFO", "EXPIRE",
    "PEXPIRE", "TTL", "PTTL", "INCR", "INCRBY", "DECR", "HGET", "HSET", "HDEL", "HGETALL", "HMGET",
    "SADD", "SREM", "SMEMBERS", "ZADD", "ZRANGE", "ZREM", "LPUSH", "RPUSH", "LPOP", "RPOP",
    "LRANGE", "PUBLISH", "EVAL", "EVALSHA", "SCRIPT", "CLUSTER", "FLUSHDB", "KEYS",
];

/// The operation name of `cmd`, upper case: one of [`KNOWN`], else its first word.
fn cmd_name(cmd: &Cmd) -> std::borrow::Cow<'static, str> {
    let Some(redis::Arg::Simple(first)) = cmd.args_iter().next() else {
        return std::borrow::Cow::Borrowed("UNKNOWN");
    };
    if let Some(k) = KNOWN
        .iter()
        .find(|k| k.as_bytes().eq_ignore_ascii_case(first))
    {
        return std::borrow::Cow::Borrowed(k);
    }
    std::borrow::Cow::Owned(String::from_utf8_lossy(first).to_ascii_uppercase())
}

impl Op<'_> {
    fn name(self) -> std::borrow::Cow<'static, str> {
        match self {
            Op::Named(n) => std::borrow::Cow::Borrowed(n),
            Op::Cmd(c) => cmd_name(c),
            Op::Script(_) => std::borrow::Cow::Borrowed("EVALSHA"),
        }
    }
}

/// Runs one command (or script, or pipeline) of the `redis` crate in its span, records its
/// duration, and maps its error. `key` is the key as it may be recorded (its template).
#[cfg(not(feature = "instrument"))]
#[inline]
pub(crate) async fn command<T>(
    _: &Meta,
    _: Op<'_>,
    _: Option<&(dyn std::fmt::Display + Sync)>,
    fut: impl Future<Output = RedisResult<T>>,
) -> Result<T> {
    fut.await.map_err(Error::from)
}

#[cfg(feature = "instrument")]
pub(crate) use on::*;

#[cfg(feature = "instrument")]
mod on {
    use metrics::Label;
    use redis::RedisResult;
    use tracing::Span;
    use tracing::field::Empty;

    use super::{Meta, Op, SYSTEM};
    use crate::error::{Error, Result};
    use crate::redis::key::KeyLabel;

    /// `db.client.operation.duration`, as on the PostgreSQL side.
    const DURATION: &str = "db.client.operation.duration";

    /// See the version without the feature.
    pub(crate) async fn command<T>(
        meta: &Meta,
        op: Op<'_>,
        key: Option<&(dyn std::fmt::Display + Sync)>,
        fut: impl Future<Output = RedisResult<T>>,
    ) -> Result<T> {
        let span = tracing::info_span!(
            target: "txova_db::redis",
            "redis.command",
            otel.name = Empty,
            otel.kind = "client",
            db.system.name = SYSTEM,
            db.namespace = %meta.namespace,
            db.operation.name = Empty,
            db.query.summary = Empty,
            db.stored_procedure.name = Empty,
            server.address = %meta.server_address,
            server.port = meta.server_port,
            db.response.status_code = Empty,
            error.type = Empty,
        );
        // With no subscriber interested and no recorder installed, nothing is measured: no
        // clock read, no label, no histogram lookup (the check the statement path makes).
        let record = crate::postgres::observe::recording();
        if !record && span.is_disabled() {
            return fut.await.map_err(Error::from);
        }
        let name = op.name();
        if !span.is_disabled() {
            span.record("db.operation.name", &*name);
            let target = match op {
                Op::Script(script) => {
                    span.record("db.stored_procedure.name", script);
                    Some(script.to_owned())
                }
                _ => key.map(ToString::to_string),
            };
            match target {
                Some(t) => {
                    let summary = format!("{name} {t}");
                    span.record("db.query.summary", summary.as_str());
                    span.record("otel.name", summary.as_str());
                }
                None => {
                    span.record("otel.name", &*name);
                }
            }
        }
        let started = std::time::Instant::now();
        let r = tracing::Instrument::instrument(fut, span.clone()).await;
        let took = started.elapsed();
        let mut labels = Vec::with_capacity(4);
        labels.push(Label::from_static_parts("db.system.name", SYSTEM));
        labels.push(Label::new("db.namespace", meta.namespace_label.clone()));
        labels.push(match name {
            std::borrow::Cow::Borrowed(n) => Label::from_static_parts("db.operation.name", n),
            std::borrow::Cow::Owned(n) => Label::new("db.operation.name", n),
        });
        let r = match r {
            Ok(v) => Ok(v),
            Err(e) => {
                // The server's error prefix (`WRONGTYPE`, `NOSCRIPT`...), else the kind.
                let code = e.code().map(str::to_owned);
                let e = Error::from(e);
                if !span.is_disabled()
                    && let Some(c) = &code
                {
                    span.record("db.response.status_code", c.as_str());
                }
                let kind = code.unwrap_or_else(|| format!("{:?}", e.kind()));
                if !span.is_disabled() {
                    span.record("error.type", kind.as_str());
                }
                labels.push(Label::new("error.type", kind));
                Err(e)
            }
        };
        if record {
            metrics::histogram!(DURATION, labels).record(took.as_secs_f64());
        }
        r
    }

    /// Adds `n` to the counter `name`, labelled with the Redis system.
    pub(crate) fn count(name: &'static str, n: u64) {
        if n > 0 {
            metrics::counter!(name, "db.system.name" => SYSTEM).increment(n);
        }
    }

    /// Records the error of an operation on its span.
    pub(crate) fn record_error(span: &Span, e: &Error) {
        if !span.is_disabled() {
            span.record("error.type", format!("{:?}", e.kind()).as_str());
        }
    }

    /// The span of one cache operation; `key` is what it may show of the key.
    pub(crate) fn cache_span(op: &'static str, key: Option<KeyLabel<'_>>) -> Span {
        tracing::info_span!(
            target: "txova_db::redis::cache",
            "cache",
            otel.name = op,
            otel.kind = "client",
            db.system.name = SYSTEM,
            db.operation.name = op,
            txova_db.key = key.map(tracing::field::display),
            cache.hit = Empty,
            cache.joined = Empty,
            error.type = Empty,
        )
    }

    /// Records whether a cache operation found a value, or its failure.
    pub(crate) fn finish(span: &Span, r: std::result::Result<bool, &Error>) {
        match r {
            Ok(hit) => {
                span.record("cache.hit", hit);
            }
            Err(e) => record_error(span, e),
        }
    }

    /// The span of one lock acquisition (retries included).
    pub(crate) fn lock_acquire_span(key: Option<&str>) -> Span {
        tracing::info_span!(
            target: "txova_db::redis::lock",
            "lock.acquire",
            otel.name = "lock.acquire",
            db.system.name = SYSTEM,
            txova_db.key = key,
            lock.acquired = Empty,
            lock.attempts = Empty,
            lock.fencing_token = Empty,
            error.type = Empty,
        )
    }

    /// The span of a held lock, from its acquisition to its release (or loss).
    pub(crate) fn lock_hold_span(key: Option<&str>, fence: u64) -> Span {
        tracing::info_span!(
            target: "txova_db::redis::lock",
            "lock.hold",
            otel.name = "lock.hold",
            db.system.name = SYSTEM,
            txova_db.key = key,
            lock.fencing_token = fence,
            lock.lost = false,
        )
    }

    /// The span of one rate-limit decision (`op`: `allow`, `allow_n`, `allow_at_most`,
    /// `peek`, `reset`).
    pub(crate) fn rate_limit_span(op: &'static str, key: Option<&str>, cost: u64) -> Span {
        tracing::info_span!(
            target: "txova_db::redis::rate_limit",
            "rate_limit",
            otel.name = op,
            db.system.name = SYSTEM,
            db.operation.name = op,
            txova_db.key = key,
            rate_limit.cost = cost,
            rate_limit.allowed = Empty,
            rate_limit.granted = Empty,
            rate_limit.remaining = Empty,
            error.type = Empty,
        )
    }

    /// The span of one session operation (`op`: `create`, `get`, `update`, `rotate`,
    /// `delete`, `delete_all_for_user`, `list_by_user`). Ids and user ids are never recorded.
    pub(crate) fn session_span(op: &'static str) -> Span {
        tracing::info_span!(
            target: "txova_db::redis::session",
            "session",
            otel.name = op,
            db.system.name = SYSTEM,
            db.operation.name = op,
            session.found = Empty,
            session.expired = Empty,
            error.type = Empty,
        )
    }
}

/// Without the feature: nothing is counted.
#[cfg(not(feature = "instrument"))]
#[inline]
pub(crate) fn count(_: &'static str, _: u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_and_database_come_from_the_url() {
        let m = Meta::new("redis://cache.internal:6380/3", false);
        assert_eq!(
            (
                m.server_address.as_str(),
                m.server_port,
                m.namespace.as_str()
            ),
            ("cache.internal", 6380, "3")
        );
        let m = Meta::new("unix:///run/redis.sock?db=2", false);
        assert_eq!(
            (
                m.server_address.as_str(),
                m.server_port,
                m.namespace.as_str()
            ),
            ("/run/redis.sock", 0, "2")
        );
        // A url the client refuses anyway records nothing rather than failing here.
        let m = Meta::new("not a url", false);
        assert_eq!(
            (
                m.server_address.as_str(),
                m.server_port,
                m.namespace.as_str()
            ),
            ("", 0, "0")
        );
    }

    #[test]
    fn a_commands_name_is_its_first_word_in_upper_case() {
        assert_eq!(cmd_name(redis::cmd("get").arg("k")), "GET");
        assert!(matches!(
            cmd_name(&redis::cmd("GET")),
            std::borrow::Cow::Borrowed("GET")
        ));
        assert_eq!(cmd_name(redis::cmd("object").arg("encoding")), "OBJECT");
        assert_eq!(cmd_name(&Cmd::new()), "UNKNOWN");
        assert_eq!(Op::Script("rate_limit").name(), "EVALSHA");
        assert_eq!(Op::Named("BATCH SET").name(), "BATCH SET");
    }
}
