//! The connection pool, on deadpool-postgres, with what deadpool leaves to its user: a floor
//! of open connections, lifetimes, idle retirement, health checks and a bounded close.

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use deadpool_postgres::{
    Hook, HookError, Manager, ManagerConfig, Metrics, Object, PoolError, RecyclingMethod, Runtime,
    TimeoutType, Timeouts,
};

use super::StatementMode;
use super::config::Config;
use super::conn_string::ConnString;
use super::connection::{Connection, Link, Runner as _};
use super::executor::{Executor, Param, RowStream};
use super::gate::{CONNECT_BACKOFF, Gate};
#[cfg(feature = "instrument")]
use super::observe;
use super::observe::{Closed, Counters, Meta, PoolStats};
use crate::error::{Error, ErrorKind, Result, Timeout, fmt_duration};

/// A pool of PostgreSQL connections. Cloning it is cheap and shares the pool.
///
/// It implements [`Executor`], taking a connection for each statement; take one with
/// [`Pool::get`] to run several statements on the same connection.
#[derive(Clone)]
pub struct Pool {
    shared: Arc<Shared>,
    // The deadline of each statement on this handle's connections.
    query_timeout: Option<Duration>,
}

struct Shared {
    pool: deadpool_postgres::Pool,
    timeouts: AcquireTimeouts,
    config: Config,
    link: Arc<Link>,
    gate: Gate,
    closed: AtomicBool,
    maintenance: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// deadpool's timeouts for the two attempts of an acquire: only the connect is bounded by
/// deadpool; the acquire timeout bounds the rest.
struct AcquireTimeouts {
    /// Gets an idle connection or opens one, without waiting for one in use.
    now: Timeouts,
    /// Waits for a connection.
    wait: Timeouts,
}

impl AcquireTimeouts {
    fn new(connect_timeout: Duration) -> Self {
        AcquireTimeouts {
            now: Timeouts {
                wait: Some(Duration::ZERO),
                create: Some(connect_timeout),
                recycle: None,
            },
            wait: Timeouts {
                wait: None,
                create: Some(connect_timeout),
                recycle: None,
            },
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Ok(mut task) = self.maintenance.lock()
            && let Some(task) = task.take()
        {
            task.abort();
        }
    }
}

/// A snapshot of a pool's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStatus {
    /// The most connections the pool opens.
    pub max_size: usize,
    /// Connections open now.
    pub size: usize,
    /// Open connections waiting in the pool.
    pub idle: usize,
    /// Connections checked out.
    pub in_use: usize,
    /// Callers waiting for a connection.
    pub waiting: usize,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("status", &self.status())
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// Creates a pool and opens `min_connections` connections, so that a wrong URL, a wrong
    /// password or an unreachable server is reported here, within the connect timeout.
    pub async fn new(config: Config) -> Result<Pool> {
        if config.max_connections == 0 {
            return Err(Error::config("max_connections must be at least 1"));
        }
        if config.min_connections > config.max_connections {
            return Err(Error::config(format!(
                "min_connections ({}) is larger than max_connections ({})",
                config.min_connections, config.max_connections
            )));
        }
        let conn = ConnString::parse(&config.url)?;
        let mut config = config;
        if let Some(mode) = conn.statement_mode {
            config.statement_mode = mode;
        }
        let unnamed = config.statement_mode == StatementMode::Unnamed;
        let tls = conn.tls()?;
        let mut pg = conn.configured(&config);
        let link = Arc::new(Link {
            tls: tls.clone(),
            connect_timeout: config.connect_timeout,
            statement_cache: config.statement_cache,
            statement_mode: config.statement_mode,
            // A pooler in transaction mode refuses startup options; the timeout is set per
            // transaction instead.
            local_statement_timeout: config.statement_timeout.filter(|_| unnamed),
            learned: Arc::default(),
            closing: AtomicBool::new(false),
            returned: tokio::sync::Notify::new(),
            meta: Meta::new(
                &pg,
                config.pool_name.as_deref(),
                config.slow_statement_threshold,
            ),
            min_idle: config.min_connections,
            pool: std::sync::OnceLock::new(),
        });
        let counters = Arc::clone(&link.meta.counters);
        let recycle_counters = Arc::clone(&counters);
        if let Some(name) = &config.application_name {
            pg.application_name(name);
        }
        if let Some(timeout) = config.statement_timeout
            && !unnamed
        {
            let opts = format!(
                "{} -c statement_timeout={}",
                pg.get_options().unwrap_or_default(),
                timeout.as_millis()
            );
            pg.options(opts.trim());
        }
        let manager = Manager::from_config(
            pg,
            tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = deadpool_postgres::Pool::builder(manager)
            .max_size(config.max_connections)
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(config.connect_timeout))
            .pre_recycle(recycle_check(&config, recycle_counters))
            .post_create(learn_types_on_connect(
                unnamed,
                counters,
                Arc::clone(&link.learned),
            ))
            .build()
            .map_err(|e| Error::with_source(ErrorKind::Config, "cannot build the pool", e))?;
        let query_timeout = config.query_timeout;
        // Unset only if another pool took it, which cannot be: this one is new.
        let _ = link.pool.set(pool.clone());
        let pool = Pool {
            shared: Arc::new(Shared {
                pool,
                timeouts: AcquireTimeouts::new(config.connect_timeout),
                config,
                link,
                gate: Gate::new(CONNECT_BACKOFF),
                closed: AtomicBool::new(false),
                maintenance: std::sync::Mutex::new(None),
            }),
            query_timeout,
        };
        pool.top_up().await?;
        let task = tokio::spawn(maintain(Arc::downgrade(&pool.shared)));
        if let Ok(mut slot) = pool.shared.maintenance.lock() {
            *slot = Some(task);
        }
        Ok(pool)
    }

    /// Takes a connection from the pool. The acquire timeout bounds the whole call: waiting
    /// for a free connection, checking an idle one, opening a new one.
    ///
    /// While connecting fails (the server is down or unreachable), attempts are paced by a
    /// backoff shared by every caller and the background refill, and a call that would have
    /// to connect fails at once with the last connect error. A connect still under way when
    /// the acquire timeout ends counts as a failed one.
    pub async fn get(&self) -> Result<Connection> {
        if self.is_closed() {
            return Err(closed().not_sent());
        }
        let limit = self.shared.config.acquire_timeout;
        let meta = &self.shared.link.meta;
        #[cfg(feature = "instrument")]
        let span = tracing::info_span!(
            target: "txova_db::postgres",
            "db.pool.acquire",
            otel.name = "acquire connection",
            db.system.name = observe::SYSTEM,
            db.client.connection.pool.name = %meta.pool_name,
            server.address = %meta.server_address,
            server.port = meta.server_port,
            error.type = tracing::field::Empty,
        );
        let started = tokio::time::Instant::now();
        // Counts the acquire as cancelled if its caller drops it before it ends.
        let mut pending = Pending(Some(&meta.counters));
        let acquire = self.acquire(started + limit);
        #[cfg(feature = "instrument")]
        let r = if span.is_disabled() {
            acquire.await
        } else {
            tracing::Instrument::instrument(acquire, span.clone()).await
        };
        #[cfg(not(feature = "instrument"))]
        let r = acquire.await;
        pending.0 = None;
        let took = started.elapsed();
        let timed_out = matches!(&r, Err(e) if e.timeout_kind() == Some(Timeout::Acquire));
        if timed_out {
            meta.counters.timed_out();
        }
        #[cfg(feature = "instrument")]
        {
            meta.metrics.wait_time.record(took);
            if let Ok(conn) = &r
                && conn.is_fresh()
            {
                meta.metrics.create_time.record(took);
            }
            if observe::recording() {
                observe::pool_gauges(meta, &self.status(), self.shared.config.min_connections);
            }
            if timed_out {
                span.record("error.type", "timeout");
                meta.metrics.timeouts.increment(1);
            } else if let Err(e) = &r {
                observe::record_error(&span, e);
            }
        }
        match r {
            Ok(conn) => {
                meta.counters.acquired(took);
                Ok(conn)
            }
            Err(e) => Err(e.not_sent()),
        }
    }

    /// The pool's cumulative counters since it was created.
    #[must_use]
    pub fn stats(&self) -> PoolStats {
        self.shared.link.meta.counters.snapshot()
    }

    /// Gets a connection before `deadline`.
    ///
    /// One timer bounds the whole acquire, and it is set only when the acquire has to wait:
    /// deadpool's own wait and recycle timeouts are off (the recycle method runs no
    /// statement; the health check bounds itself), and an idle connection is handed out
    /// without a timer. Whether the pool had an idle connection is learnt without locking
    /// it: a first attempt that does not wait either gets one, opens one (the pool had none
    /// idle) or finds every connection in use.
    async fn acquire(&self, deadline: tokio::time::Instant) -> Result<Connection> {
        let shared = &self.shared;
        let pass = shared.gate.enter(|| shared.pool.status().available > 0)?;
        // Set while the first attempt runs: it holds a permit, so it is opening a connection
        // or checking an idle one, not waiting for one in use.
        let connecting = AtomicBool::new(true);
        let attempt = async {
            match shared.pool.timeout_get(&shared.timeouts.now).await {
                Err(PoolError::Timeout(TimeoutType::Wait)) => {
                    connecting.store(false, Ordering::Relaxed);
                    shared.link.meta.counters.empty_acquire();
                    shared.pool.timeout_get(&shared.timeouts.wait).await
                }
                Ok(obj) => {
                    if Object::metrics(&obj).recycle_count == 0 {
                        shared.link.meta.counters.empty_acquire();
                    }
                    Ok(obj)
                }
                Err(e) => Err(e),
            }
        };
        // Boxed: deadpool's futures are large, and each layer above would move them.
        let Some(r) = bounded(deadline, Box::pin(attempt)).await else {
            let in_use = self.status().in_use;
            let limit = shared.config.acquire_timeout;
            if connecting.load(Ordering::Relaxed) {
                // The connect (or the check of an idle connection) hangs: later callers that
                // need one fail fast until the backoff lets a probe try again.
                pass.failed(&Error::timeout(
                    Timeout::Connect,
                    format!(
                        "could not connect within the acquire timeout of {}",
                        fmt_duration(limit)
                    ),
                ));
            }
            return Err(Error::timeout(
                Timeout::Acquire,
                format!(
                    "no connection within the acquire timeout of {} ({in_use} in use)",
                    fmt_duration(limit),
                ),
            ));
        };
        match r {
            Ok(obj) => {
                pass.succeeded();
                Ok(Connection::new(
                    obj,
                    shared.link.clone(),
                    self.query_timeout,
                ))
            }
            Err(e) => {
                let connecting = matches!(
                    e,
                    PoolError::Backend(_)
                        | PoolError::Timeout(TimeoutType::Create)
                        | PoolError::PostCreateHook(_)
                );
                let err = self.pool_error(e);
                if connecting {
                    pass.failed(&err);
                }
                Err(err)
            }
        }
    }

    /// This pool with another deadline for each statement (see
    /// [`Config::query_timeout`]); the pool itself is shared, not copied.
    ///
    /// ```no_run
    /// # async fn run(pool: &txova_db::postgres::Pool) -> Result<(), txova_db::Error> {
    /// use std::time::Duration;
    /// use txova_db::postgres::Executor;
    ///
    /// let report = pool.with_query_timeout(Some(Duration::from_secs(300)));
    /// report.execute("REFRESH MATERIALIZED VIEW monthly_totals", &[]).await?;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn with_query_timeout(&self, timeout: Option<Duration>) -> Pool {
        Pool {
            shared: self.shared.clone(),
            query_timeout: timeout,
        }
    }

    fn pool_error(&self, e: PoolError) -> Error {
        let config = &self.shared.config;
        match e {
            PoolError::Timeout(TimeoutType::Wait) => Error::timeout(
                Timeout::Acquire,
                format!(
                    "no connection became free within the acquire timeout of {} ({} in use)",
                    fmt_duration(config.acquire_timeout),
                    self.status().in_use
                ),
            ),
            PoolError::Timeout(TimeoutType::Create | TimeoutType::Recycle) => Error::timeout(
                Timeout::Connect,
                format!(
                    "could not connect within the connect timeout of {}",
                    fmt_duration(config.connect_timeout)
                ),
            ),
            PoolError::Backend(e) => Error::connecting(e),
            PoolError::Closed => closed(),
            PoolError::NoRuntimeSpecified => Error::config("the pool needs a tokio runtime"),
            PoolError::PostCreateHook(e) => Error::new(
                ErrorKind::Connection,
                format!("new connection refused: {e}"),
            ),
        }
    }

    /// Checks that the server answers, on a pooled connection.
    pub async fn ping(&self) -> Result<()> {
        self.get().await?.ping().await
    }

    /// The pool's connections now.
    #[must_use]
    pub fn status(&self) -> PoolStatus {
        status_of(&self.shared.pool)
    }

    /// Whether [`Pool::close`] was called.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// The configuration the pool was built with.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Closes the pool: new acquires fail with [`ErrorKind::PoolClosed`] at once, idle
    /// connections are closed, and connections still checked out are closed as they come
    /// back. Waits at most `timeout` for them; if some are still out then, the error says how
    /// many (they are closed when returned all the same).
    pub async fn close(&self, timeout: Duration) -> Result<()> {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.link.closing.store(true, Ordering::Release);
        self.shared.pool.close();
        if let Ok(mut task) = self.shared.maintenance.lock()
            && let Some(task) = task.take()
        {
            task.abort();
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Registered before the count is read, so a connection returned in between is
            // not missed.
            let returned = self.shared.link.returned.notified();
            let mut returned = std::pin::pin!(returned);
            returned.as_mut().enable();
            let in_use = self.shared.pool.status().size;
            if in_use == 0 {
                return Ok(());
            }
            if tokio::time::timeout_at(deadline, returned).await.is_err() {
                return Err(Error::timeout(
                    Timeout::Close,
                    format!(
                        "pool closed with {in_use} connection(s) still in use after {}",
                        fmt_duration(timeout)
                    ),
                ));
            }
        }
    }

    /// Opens connections until `min_connections` are open.
    async fn top_up(&self) -> Result<()> {
        let min = self.shared.config.min_connections;
        let s = self.shared.pool.status();
        let missing = min.saturating_sub(s.size);
        if missing == 0 || self.is_closed() {
            return Ok(());
        }
        // The pool hands out idle connections before it opens new ones, so holding `missing`
        // connections at once opens only as many as are not idle: take the idle ones too.
        // Never more than the pool can give without waiting for a caller's connection.
        let want = (missing + s.available).min(s.max_size.saturating_sub(s.size - s.available));
        let conns = futures_util::future::join_all((0..want).map(|_| self.get())).await;
        for conn in conns {
            conn?;
        }
        Ok(())
    }

    fn retire(&self) {
        let config = &self.shared.config;
        let s = self.shared.pool.status();
        let mut removable = s.size.saturating_sub(config.min_connections);
        let lifetime = config.max_lifetime;
        let idle = config.idle_timeout;
        let counters = &self.shared.link.meta.counters;
        self.shared.pool.retain(|client, metrics| {
            // Closed by the server (restarted, or the backend terminated) while idle.
            if client.is_closed() {
                counters.closed(Closed::Unhealthy);
                return false;
            }
            if expired(&metrics, lifetime) {
                counters.closed(Closed::Lifetime);
                return false;
            }
            if let Some(idle) = idle
                && removable > 0
                && metrics.last_used() > idle
            {
                removable -= 1;
                counters.closed(Closed::Idle);
                return false;
            }
            true
        });
    }
}

/// Before an idle connection is handed out again: closes it past its lifetime, and checks
/// that the server still answers on it when it sat idle longer than the health check period.
fn recycle_check(config: &Config, counters: Arc<Counters>) -> Hook {
    let lifetime = config.max_lifetime;
    let health = config.health_check_period;
    let check_timeout = config.connect_timeout;
    Hook::async_fn(move |client, metrics| {
        let counters = Arc::clone(&counters);
        Box::pin(async move {
            if expired(metrics, lifetime) {
                counters.closed(Closed::Lifetime);
                return Err(HookError::message("connection reached its max lifetime"));
            }
            if metrics.last_used() > health {
                // Bounded: a connection whose network died without a reset would otherwise
                // never answer, and the caller would wait forever.
                let answer = tokio::time::timeout(check_timeout, client.simple_query("")).await;
                let Ok(answer) = answer else {
                    counters.closed(Closed::Unhealthy);
                    return Err(HookError::message(
                        "no answer to the health check within the connect timeout",
                    ));
                };
                answer.map_err(|e| {
                    counters.closed(Closed::Unhealthy);
                    HookError::Backend(e)
                })?;
            }
            Ok(())
        })
    })
}

/// In the unnamed statement mode, a new connection learns the database's own types (see
/// [`super::statement::learn_types`]) before it is handed out.
fn learn_types_on_connect(
    unnamed: bool,
    counters: Arc<Counters>,
    learned: Arc<super::statement::Learned>,
) -> Hook {
    Hook::async_fn(move |client, _| {
        counters.created();
        let learned = Arc::clone(&learned);
        Box::pin(async move {
            if unnamed {
                super::statement::learn_types(client, &learned)
                    .await
                    .map_err(|e| HookError::message(e.to_string()))?;
            }
            Ok(())
        })
    })
}

pub(crate) fn status_of(pool: &deadpool_postgres::Pool) -> PoolStatus {
    let s = pool.status();
    PoolStatus {
        max_size: s.max_size,
        size: s.size,
        idle: s.available,
        in_use: s.size.saturating_sub(s.available),
        waiting: s.waiting,
    }
}

/// Runs `f` until `deadline`; `None` when the deadline passed first. The timer is set only
/// if `f` does not finish on its first poll.
async fn bounded<F: std::future::Future>(
    deadline: tokio::time::Instant,
    f: F,
) -> Option<F::Output> {
    let mut f = std::pin::pin!(f);
    let first = std::future::poll_fn(|cx| std::task::Poll::Ready(f.as_mut().poll(cx))).await;
    if let std::task::Poll::Ready(out) = first {
        return Some(out);
    }
    tokio::time::timeout_at(deadline, f).await.ok()
}

/// Armed while an acquire runs: dropped armed, the acquire was abandoned by its caller.
struct Pending<'a>(Option<&'a Counters>);

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.0 {
            c.canceled_acquire();
        }
    }
}

fn closed() -> Error {
    Error::new(ErrorKind::PoolClosed, "pool closed")
}

/// Whether a connection outlived its lifetime, shortened by up to a tenth by a jitter fixed
/// for that connection.
fn expired(metrics: &Metrics, lifetime: Option<Duration>) -> bool {
    let Some(lifetime) = lifetime else {
        return false;
    };
    let age = metrics.age();
    // Younger than the shortest lifetime any connection gets: no need for its jitter.
    if age < lifetime.saturating_sub(lifetime / 10) {
        return false;
    }
    // The jitter must stay the same for one connection across calls, so the hasher is a
    // fixed one rather than std's randomly seeded state.
    let mut h = FixedHasher::default();
    metrics.created.hash(&mut h);
    let fraction = (h.finish() % 1000) as u32;
    let jitter = lifetime / 10 * fraction / 1000;
    age >= lifetime.saturating_sub(jitter)
}

/// FNV-1a: stable within a process, enough to spread jitter over connections.
struct FixedHasher(u64);

impl Default for FixedHasher {
    fn default() -> Self {
        FixedHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for FixedHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Retires expired and idle connections and tops the pool back up, until the pool is gone.
async fn maintain(shared: std::sync::Weak<Shared>) {
    let period = match shared.upgrade() {
        Some(s) => maintenance_period(&s.config),
        None => return,
    };
    loop {
        tokio::time::sleep(period).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let query_timeout = shared.config.query_timeout;
        let pool = Pool {
            shared,
            query_timeout,
        };
        if pool.is_closed() {
            return;
        }
        pool.retire();
        // A failure to reconnect is not fatal here; callers see it on their next acquire.
        let _ = pool.top_up().await;
    }
}

fn maintenance_period(config: &Config) -> Duration {
    let shortest = [
        config.idle_timeout,
        config.max_lifetime,
        Some(config.health_check_period),
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(Duration::from_secs(60));
    (shortest / 4).clamp(Duration::from_millis(50), Duration::from_secs(30))
}

impl Executor for Pool {
    async fn execute(&self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        self.get().await?.execute(sql, params).await
    }

    async fn query(&self, sql: &str, params: &[Param<'_>]) -> Result<Vec<tokio_postgres::Row>> {
        self.get().await?.query(sql, params).await
    }

    async fn query_stream(&self, sql: &str, params: &[Param<'_>]) -> Result<RowStream<'_>> {
        let conn = self.get().await?;
        let (rows, token) = {
            let session = conn.session();
            (
                session.query_raw(sql, params).await?,
                session.cancel_token(),
            )
        };
        Ok(RowStream::pooled(rows, conn, token))
    }
}

/// [`connect`] to a connection string.
pub(crate) async fn connect_url(
    url: &str,
    connect_timeout: Duration,
) -> Result<tokio_postgres::Client> {
    connect(&ConnString::parse(url)?, connect_timeout).await
}

/// Opens one connection outside any pool (for migrations, which hold a session-level lock).
///
/// The connection task runs on the current tokio runtime and ends when the client is dropped.
pub(crate) async fn connect(
    conn: &ConnString,
    connect_timeout: Duration,
) -> Result<tokio_postgres::Client> {
    let tls = conn.tls()?;
    // The default keepalive and TCP_USER_TIMEOUT, unless the string sets them.
    let config = conn.configured(&Config {
        connect_timeout,
        ..Config::default()
    });
    let connecting = config.connect(tls);
    let (client, connection) = match tokio::time::timeout(connect_timeout, connecting).await {
        Ok(r) => r.map_err(Error::connecting)?,
        Err(_) => {
            return Err(Error::timeout(
                Timeout::Connect,
                format!(
                    "could not connect within the connect timeout of {}",
                    fmt_duration(connect_timeout)
                ),
            ));
        }
    };
    tokio::spawn(async move {
        // The error, if any, reaches the caller through the client's next request.
        let _ = connection.await;
    });
    Ok(client)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::{Duration, Metrics, expired};

    fn born(ago: Duration, at: Instant) -> Metrics {
        Metrics {
            created: at.checked_sub(ago).expect("a representable instant"),
            recycled: None,
            recycle_count: 0,
        }
    }

    #[test]
    fn lifetimes_are_shortened_by_up_to_a_tenth_and_spread() {
        let lifetime = Duration::from_secs(100);
        let now = Instant::now();
        let mut shortest = Vec::new();
        // Connections created 1 ms apart: find, for each, the age at which it expires.
        for i in 0..50u64 {
            let at = now + Duration::from_millis(i);
            let age = (0..=100u64)
                .map(|s| Duration::from_millis(89_000 + s * 110))
                .find(|age| expired(&born(*age, at), Some(lifetime)));
            let age = age.expect("expired within the lifetime");
            assert!(
                age + Duration::from_millis(110) >= lifetime * 9 / 10,
                "{age:?}"
            );
            assert!(age <= lifetime, "{age:?}");
            shortest.push(age);
        }
        shortest.sort();
        shortest.dedup();
        assert!(
            shortest.len() > 10,
            "the jitter spreads expiries: {shortest:?}"
        );
        assert!(!expired(&born(Duration::from_secs(10_000), now), None));
    }
}
