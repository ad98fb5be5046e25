//! What a pool tells about itself: cumulative counters ([`PoolStats`]) always, and with the
//! `instrument` feature `tracing` spans, the slow-statement log and `metrics` following the
//! OpenTelemetry database semantic conventions. Values are never recorded: only the
//! parameterized SQL.
#![cfg_attr(
    not(feature = "instrument"),
    allow(
        dead_code,
        reason = "the identity of a pool is read by the instrumentation only"
    )
)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The `db.system.name` of every PostgreSQL span and metric.
pub(crate) const SYSTEM: &str = "postgresql";

/// Cumulative counters of a pool since it was created, as pgxpool's `Stat()` has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PoolStats {
    /// Acquires that got a connection.
    pub acquire_count: u64,
    /// The time those acquires took, summed.
    pub acquire_duration: Duration,
    /// Acquires that found no idle connection and had to wait or connect.
    pub empty_acquire_count: u64,
    /// Acquires abandoned by their caller (the future dropped) before they got a connection.
    pub canceled_acquire_count: u64,
    /// Acquires that failed with the acquire timeout.
    pub timeout_acquire_count: u64,
    /// Connections opened.
    pub created_count: u64,
    /// Connections closed because a statement on them failed for a connection reason, passed
    /// its deadline or was abandoned (they are never handed out again).
    pub closed_broken_count: u64,
    /// Connections closed because they reached `max_lifetime`.
    pub closed_lifetime_count: u64,
    /// Connections closed because they stayed idle longer than `idle_timeout`.
    pub closed_idle_count: u64,
    /// Connections closed because their health check failed or the server closed them.
    pub closed_unhealthy_count: u64,
}

/// Why a connection was closed.
#[derive(Clone, Copy)]
pub(crate) enum Closed {
    Broken,
    Lifetime,
    Idle,
    Unhealthy,
}

/// The atomics behind [`PoolStats`].
#[derive(Default)]
pub(crate) struct Counters {
    acquire_count: AtomicU64,
    acquire_nanos: AtomicU64,
    empty_acquire_count: AtomicU64,
    canceled_acquire_count: AtomicU64,
    timeout_acquire_count: AtomicU64,
    created_count: AtomicU64,
    closed: [AtomicU64; 4],
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Counters {
    pub(crate) fn acquired(&self, took: Duration) {
        self.acquire_count.fetch_add(1, Ordering::Relaxed);
        self.acquire_nanos.fetch_add(nanos(took), Ordering::Relaxed);
    }

    pub(crate) fn empty_acquire(&self) {
        self.empty_acquire_count.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn canceled_acquire(&self) {
        self.canceled_acquire_count.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn timed_out(&self) {
        self.timeout_acquire_count.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn created(&self) {
        self.created_count.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn closed(&self, why: Closed) {
        self.closed[why as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> PoolStats {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        PoolStats {
            acquire_count: get(&self.acquire_count),
            acquire_duration: Duration::from_nanos(get(&self.acquire_nanos)),
            empty_acquire_count: get(&self.empty_acquire_count),
            canceled_acquire_count: get(&self.canceled_acquire_count),
            timeout_acquire_count: get(&self.timeout_acquire_count),
            created_count: get(&self.created_count),
            closed_broken_count: get(&self.closed[Closed::Broken as usize]),
            closed_lifetime_count: get(&self.closed[Closed::Lifetime as usize]),
            closed_idle_count: get(&self.closed[Closed::Idle as usize]),
            closed_unhealthy_count: get(&self.closed[Closed::Unhealthy as usize]),
        }
    }
}

/// What every span and metric of one pool carries.
pub(crate) struct Meta {
    pub(crate) namespace: String,
    pub(crate) server_address: String,
    pub(crate) server_port: u16,
    pub(crate) pool_name: String,
    pub(crate) slow_statement: Option<Duration>,
    pub(crate) counters: std::sync::Arc<Counters>,
    /// The pool's metric handles, registered once with the recorder installed then.
    #[cfg(feature = "instrument")]
    pub(crate) metrics: PoolMetrics,
    /// `db.namespace` as a metric label, shared rather than copied.
    #[cfg(feature = "instrument")]
    pub(crate) namespace_label: metrics::SharedString,
}

impl Meta {
    pub(crate) fn new(
        pg: &tokio_postgres::Config,
        pool_name: Option<&str>,
        slow_statement: Option<Duration>,
    ) -> Meta {
        let server_address = match pg.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
            Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "localhost".to_owned(),
        };
        let server_port = pg.get_ports().first().copied().unwrap_or(5432);
        let namespace = pg
            .get_dbname()
            .or(pg.get_user())
            .unwrap_or_default()
            .to_owned();
        let pool_name = pool_name.map_or_else(
            || format!("{server_address}:{server_port}/{namespace}"),
            str::to_owned,
        );
        Meta {
            #[cfg(feature = "instrument")]
            metrics: PoolMetrics::new(&pool_name),
            #[cfg(feature = "instrument")]
            namespace_label: metrics::SharedString::from_shared(std::sync::Arc::from(
                namespace.as_str(),
            )),
            namespace,
            server_address,
            server_port,
            pool_name,
            slow_statement,
            counters: std::sync::Arc::default(),
        }
    }
}

/// The operation and the table of a statement, read from its first words: `SELECT ... FROM
/// t`, `INSERT INTO t`, `UPDATE t`, `DELETE FROM t`. Either is `None` when not found.
pub(crate) fn summarize(sql: &str) -> (Option<&'static str>, Option<&str>) {
    const OPS: [&str; 16] = [
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "MERGE",
        "COPY",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "SAVEPOINT",
        "SET",
        "CREATE",
        "ALTER",
        "DROP",
        "TRUNCATE",
        "CALL",
    ];
    // Bytes, not chars: every separator is ASCII, and this runs on every statement.
    let mut words = Words { sql, at: 0 }.take(64);
    let Some(mut first) = words.next() else {
        return (None, None);
    };
    // `WITH name AS (...), ... main`: the main statement is the first of these words outside
    // the parentheses of the common table expressions.
    if first.eq_ignore_ascii_case("WITH") {
        let mut depth = 0i32;
        let main = words.by_ref().find(|w| {
            let at_top = depth == 0;
            depth += paren_depth(w);
            at_top
                && ["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"]
                    .iter()
                    .any(|m| m.eq_ignore_ascii_case(w))
        });
        let Some(main) = main else {
            return (None, None);
        };
        first = main;
    }
    let Some(op) = OPS.iter().copied().find(|o| o.eq_ignore_ascii_case(first)) else {
        return (None, None);
    };
    let after = match op {
        "INSERT" | "DELETE" | "MERGE" => {
            words.next();
            words.next()
        }
        "UPDATE" => words.next(),
        "SELECT" => {
            let mut depth = 0i32;
            let mut found = None;
            for w in words.by_ref() {
                depth += paren_depth(w);
                if depth == 0 && w.eq_ignore_ascii_case("FROM") {
                    found = words.next();
                    break;
                }
            }
            found
        }
        _ => None,
    };
    let table = after
        .filter(|t| {
            !t.starts_with('(')
                && !t.eq_ignore_ascii_case("ONLY")
                && t.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '"')
        })
        .map(|t| t.trim_matches('"'));
    (Some(op), table)
}

/// How much `word` changes the depth of parentheses.
fn paren_depth(word: &str) -> i32 {
    word.bytes().fold(0, |d, b| match b {
        b'(' => d + 1,
        b')' => d - 1,
        _ => d,
    })
}

/// The words of a statement: runs of bytes between ASCII white space, `;` and `,`.
struct Words<'a> {
    sql: &'a str,
    at: usize,
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let bytes = self.sql.as_bytes();
        let separator = |b: u8| b.is_ascii_whitespace() || b == b';' || b == b',';
        while self.at < bytes.len() && separator(bytes[self.at]) {
            self.at += 1;
        }
        let start = self.at;
        while self.at < bytes.len() && !separator(bytes[self.at]) {
            self.at += 1;
        }
        // Both ends are at an ASCII byte or at an end, so on a char boundary.
        self.sql.get(start..self.at).filter(|w| !w.is_empty())
    }
}

#[cfg(feature = "instrument")]
pub(crate) use on::*;

#[cfg(feature = "instrument")]
mod on {
    use std::time::Duration;

    use metrics::{Counter, Gauge, Histogram, Label};
    use tokio::time::Instant;
    use tracing::Span;

    use super::{Meta, SYSTEM, summarize};
    use crate::error::{Error, Result};

    /// `db.client.operation.duration` buckets of the conventions, in seconds.
    pub(crate) const DURATION: &str = "db.client.operation.duration";

    /// The span of one statement; its fields are evaluated only when a subscriber wants it.
    pub(crate) fn statement_span(meta: &Meta, sql: &str) -> Span {
        tracing::info_span!(
            target: "txova_db::postgres",
            "db.statement",
            otel.name = tracing::field::Empty,
            otel.kind = "client",
            db.system.name = SYSTEM,
            db.namespace = %meta.namespace,
            db.operation.name = tracing::field::Empty,
            db.collection.name = tracing::field::Empty,
            db.query.summary = tracing::field::Empty,
            db.query.text = sql,
            server.address = %meta.server_address,
            server.port = meta.server_port,
            db.response.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
            db.response.returned_rows = tracing::field::Empty,
        )
    }

    /// Whether a `metrics` recorder is installed, on this thread (a local one) or globally.
    ///
    /// `metrics` falls back to its no-op recorder, a unit struct; a recorder that records
    /// holds its state (or a reference to it), so a zero-sized one is taken for the no-op one.
    /// Read on each call, not cached: a recorder may be installed later, or for one thread.
    pub(crate) fn recording() -> bool {
        metrics::with_recorder(|r| std::mem::size_of_val(r) != 0)
    }

    /// What a statement's outcome goes to: its span (when a subscriber wants it), the
    /// duration histogram (when a recorder is installed) and the slow-statement log (when a
    /// subscriber takes its events). With none of them, nothing is measured, not even the
    /// time: instrumentation compiled in costs next to nothing with nothing installed.
    pub(crate) struct Watch {
        pub(crate) span: Span,
        started: Option<Instant>,
        record: bool,
    }

    impl Watch {
        pub(crate) fn start(meta: &Meta, sql: &str) -> Watch {
            let span = statement_span(meta, sql);
            let record = recording();
            let slow = meta.slow_statement.is_some()
                && tracing::enabled!(target: "txova_db::postgres::slow", tracing::Level::WARN);
            Watch {
                span,
                started: (record || slow).then(Instant::now),
                record,
            }
        }

        /// Whether anything takes the outcome.
        pub(crate) fn is_idle(&self) -> bool {
            self.started.is_none() && self.span.is_disabled()
        }
    }

    /// Records the outcome of a statement on its span, in the duration histogram and, over
    /// the threshold, in the slow-statement log.
    pub(crate) fn finish<T>(
        meta: &Meta,
        watch: &Watch,
        sql: &str,
        r: &Result<T>,
        rows: impl FnOnce(&T) -> Option<u64>,
    ) {
        if watch.is_idle() {
            return;
        }
        let span = &watch.span;
        let took = watch.started.map(|s| s.elapsed());
        // `select!` knows its summary at compile time: no need to read the SQL.
        let fixed = super::super::summary::current();
        let (op, table) = match fixed {
            Some(f) => (Some(f.operation), Some(f.collection)),
            None => summarize(sql),
        };
        let returned = match r {
            Ok(v) => rows(v),
            Err(_) => None,
        };
        if !span.is_disabled() {
            if let Some(op) = op {
                span.record("db.operation.name", op);
            }
            if let Some(t) = table {
                span.record("db.collection.name", t);
            }
            match (op, table) {
                (Some(op), Some(t)) => {
                    let summary = fixed.map_or_else(
                        || std::borrow::Cow::Owned(format!("{op} {t}")),
                        |f| std::borrow::Cow::Borrowed(f.summary),
                    );
                    span.record("db.query.summary", &*summary);
                    span.record("otel.name", &*summary);
                }
                (Some(op), None) => {
                    span.record("otel.name", format!("{op} {}", meta.namespace).as_str());
                }
                _ => {
                    span.record("otel.name", SYSTEM);
                }
            }
            if let Some(n) = returned {
                span.record("db.response.returned_rows", n);
            }
            if let Err(e) = r {
                record_error(span, e);
            }
        }
        let Some(took) = took else {
            return;
        };
        if watch.record {
            let mut labels = Vec::with_capacity(5);
            labels.push(Label::from_static_parts("db.system.name", SYSTEM));
            labels.push(Label::new("db.namespace", meta.namespace_label.clone()));
            if let Some(op) = op {
                labels.push(Label::from_static_parts("db.operation.name", op));
            }
            if let Some(t) = table {
                labels.push(Label::new("db.collection.name", t.to_owned()));
            }
            if let Err(e) = r {
                labels.push(Label::new("error.type", error_type(e)));
            }
            metrics::histogram!(DURATION, labels).record(took.as_secs_f64());
        }
        if let Some(limit) = meta.slow_statement
            && took >= limit
        {
            tracing::warn!(
                target: "txova_db::postgres::slow",
                sql,
                duration_ms = millis(took),
                rows = returned,
                "slow statement",
            );
        }
    }

    fn millis(d: Duration) -> f64 {
        d.as_secs_f64() * 1000.0
    }

    /// The SQLSTATE when the server answered one, else the error's kind.
    pub(crate) fn error_type(e: &Error) -> String {
        match e.code() {
            Some(code) => code.to_owned(),
            None => format!("{:?}", e.kind()),
        }
    }

    pub(crate) fn record_error(span: &Span, e: &Error) {
        if let Some(code) = e.code() {
            span.record("db.response.status_code", code);
        }
        span.record("error.type", error_type(e).as_str());
    }

    /// The span of one transaction run (`attempt` counts from 1 when retried).
    pub(crate) fn tx_span(attempt: u32) -> Span {
        tracing::info_span!(
            target: "txova_db::postgres",
            "db.transaction",
            otel.name = "transaction",
            db.system.name = SYSTEM,
            attempt,
        )
    }

    /// The span of one migration step.
    pub(crate) fn migration_span(version: u64, direction: &dyn std::fmt::Display) -> Span {
        tracing::info_span!(
            target: "txova_db::postgres::migrate",
            "db.migration",
            otel.name = "migration",
            db.system.name = SYSTEM,
            version,
            direction = %direction,
            error.type = tracing::field::Empty,
        )
    }

    /// The handles of one pool's metrics.
    pub(crate) struct PoolMetrics {
        idle: Gauge,
        used: Gauge,
        max: Gauge,
        idle_min: Gauge,
        pending: Gauge,
        pub(crate) timeouts: Counter,
        pub(crate) wait_time: Histogram,
        pub(crate) create_time: Histogram,
        pub(crate) use_time: Histogram,
    }

    impl PoolMetrics {
        pub(crate) fn new(pool_name: &str) -> PoolMetrics {
            const POOL: &str = "db.client.connection.pool.name";
            const STATE: &str = "db.client.connection.state";
            let name = metrics::SharedString::from_shared(std::sync::Arc::from(pool_name));
            let n = || name.clone();
            PoolMetrics {
                idle: metrics::gauge!("db.client.connection.count", POOL => n(), STATE => "idle"),
                used: metrics::gauge!("db.client.connection.count", POOL => n(), STATE => "used"),
                max: metrics::gauge!("db.client.connection.max", POOL => n()),
                idle_min: metrics::gauge!("db.client.connection.idle.min", POOL => n()),
                pending: metrics::gauge!("db.client.connection.pending_requests", POOL => n()),
                timeouts: metrics::counter!("db.client.connection.timeouts", POOL => n()),
                wait_time: metrics::histogram!("db.client.connection.wait_time", POOL => n()),
                create_time: metrics::histogram!("db.client.connection.create_time", POOL => n()),
                use_time: metrics::histogram!("db.client.connection.use_time", POOL => n()),
            }
        }
    }

    /// Publishes the pool gauges of the conventions.
    pub(crate) fn pool_gauges(meta: &Meta, s: &super::super::PoolStatus, min_idle: usize) {
        #[expect(
            clippy::cast_precision_loss,
            reason = "connection counts are far below 2^52"
        )]
        let f = |n: usize| n as f64;
        let m = &meta.metrics;
        m.idle.set(f(s.idle));
        m.used.set(f(s.in_use));
        m.max.set(f(s.max_size));
        m.idle_min.set(f(min_idle));
        m.pending.set(f(s.waiting));
    }
}

#[cfg(test)]
mod tests {
    use super::{Meta, summarize};

    #[test]
    fn the_pool_is_named_after_its_server_and_database() {
        let pg: tokio_postgres::Config = "host=db.internal port=6432 user=app dbname=rides"
            .parse()
            .unwrap();
        let m = Meta::new(&pg, None, None);
        assert_eq!(m.pool_name, "db.internal:6432/rides");
        assert_eq!(m.namespace, "rides");
        // A socket folder is the address; no host at all is libpq's `localhost`, and the
        // user names the database when the string does not.
        let pg: tokio_postgres::Config = "host=/run/postgresql user=app".parse().unwrap();
        let m = Meta::new(&pg, None, None);
        assert_eq!(m.pool_name, "/run/postgresql:5432/app");
        let pg: tokio_postgres::Config = "user=app".parse().unwrap();
        let m = Meta::new(&pg, Some("rides-primary"), None);
        assert_eq!(
            (m.server_address.as_str(), m.server_port),
            ("localhost", 5432)
        );
        assert_eq!(m.pool_name, "rides-primary");
    }

    #[test]
    fn operation_and_table_from_the_first_words() {
        assert_eq!(
            summarize("SELECT id, (SELECT 1 FROM x) FROM users WHERE id = $1"),
            (Some("SELECT"), Some("users"))
        );
        assert_eq!(
            summarize("insert into public.t (a) values ($1)"),
            (Some("INSERT"), Some("public.t"))
        );
        assert_eq!(
            summarize("UPDATE \"T\" SET a = $1"),
            (Some("UPDATE"), Some("T"))
        );
        assert_eq!(summarize("DELETE FROM t"), (Some("DELETE"), Some("t")));
        assert_eq!(summarize("SELECT 1"), (Some("SELECT"), None));
        assert_eq!(
            summarize("SELECT * FROM (VALUES (1)) v"),
            (Some("SELECT"), None)
        );
        // A statement with common table expressions is its main statement.
        assert_eq!(
            summarize("WITH x AS (SELECT 1 FROM t), y AS ( SELECT 2 ) SELECT * FROM x"),
            (Some("SELECT"), Some("x"))
        );
        assert_eq!(
            summarize(
                "with recursive gone (id) as materialized (delete from rides where id = $1 \
                 returning id) insert into archive select id from gone"
            ),
            (Some("INSERT"), Some("archive"))
        );
        assert_eq!(
            summarize("WITH u AS (UPDATE a SET b = 1) UPDATE c SET d = 2"),
            (Some("UPDATE"), Some("c"))
        );
        assert_eq!(summarize("WITH x AS (SELECT 1)"), (None, None));
        assert_eq!(summarize(""), (None, None));
    }
}
