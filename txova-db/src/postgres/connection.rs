//! A pooled connection and the one choke point every statement goes through.
//!
//! [`Session::run`] gives each statement its deadline, marks the connection broken when the
//! statement fails for a connection reason, passes its deadline or is abandoned by its caller
//! (the future dropped), and in the last two cases sends a cancel request for it, so the
//! server stops working for nobody. A broken connection is closed instead of going back to
//! the pool: its state is unknown, and a caller after it would wait behind a statement no one
//! reads the answer of.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use deadpool_postgres::Object;
use tokio::time::Instant;
use tokio_postgres::{CancelToken, Row};
use tokio_postgres_rustls::MakeRustlsConnect;

use futures_util::TryStreamExt as _;

use super::executor::{Executor, Param, RowStream};
#[cfg(feature = "instrument")]
use super::observe;
use super::observe::{Closed, Meta};
use super::statement::{self, Bound, Driver, StatementMode};
use crate::error::{Error, Result, Timeout, fmt_duration};

/// What every connection of one pool shares: how to cancel, its default deadline, whether
/// statements are cached, and the signal `close()` waits on.
pub(crate) struct Link {
    pub(crate) tls: MakeRustlsConnect,
    pub(crate) connect_timeout: Duration,
    pub(crate) statement_cache: bool,
    /// How statements are sent.
    pub(crate) statement_mode: StatementMode,
    /// A `statement_timeout` set with `SET LOCAL` in each transaction (the unnamed mode, for
    /// a pooler that refuses it as a startup option).
    pub(crate) local_statement_timeout: Option<Duration>,
    /// The database's enum array types, for the unnamed mode.
    pub(crate) learned: Arc<statement::Learned>,
    /// Set by `close()`: from then on every connection that goes away says so.
    pub(crate) closing: AtomicBool,
    pub(crate) returned: tokio::sync::Notify,
    /// What spans and metrics carry, and the pool's counters.
    pub(crate) meta: Meta,
    /// `min_connections`, for the `db.client.connection.idle.min` gauge.
    #[cfg_attr(
        not(feature = "instrument"),
        allow(dead_code, reason = "read by the instrumentation only")
    )]
    pub(crate) min_idle: usize,
    /// The pool, for the gauges published as connections come and go (set once built).
    #[cfg_attr(
        not(feature = "instrument"),
        allow(dead_code, reason = "read by the instrumentation only")
    )]
    pub(crate) pool: std::sync::OnceLock<deadpool_postgres::Pool>,
}

/// The state of one checked-out connection that statements on it, and on its transactions,
/// read and update.
pub(crate) struct ConnState {
    pub(crate) link: Arc<Link>,
    broken: AtomicBool,
    query_timeout: Option<Duration>,
    /// When the connection was checked out, for `db.client.connection.use_time`; read only
    /// while a recorder is installed.
    #[cfg(feature = "instrument")]
    since: Option<Instant>,
}

impl ConnState {
    pub(crate) fn is_broken(&self) -> bool {
        self.broken.load(Ordering::Relaxed)
    }

    /// The deadline of each statement on this connection.
    pub(crate) fn query_timeout(&self) -> Option<Duration> {
        self.query_timeout
    }

    pub(crate) fn mark_broken(&self) {
        self.broken.store(true, Ordering::Relaxed);
    }

    /// Sets `broken` when `r` is a connection error.
    pub(crate) fn watch<T>(&self, r: Result<T>) -> Result<T> {
        if let Err(e) = &r
            && e.is_connection()
        {
            self.mark_broken();
        }
        r
    }

    /// Sends a cancel request for whatever the connection's server process runs now, in the
    /// background, bounded by the connect timeout. The caller has already marked the
    /// connection broken, so nothing of ours runs on it any more.
    fn cancel(&self, token: CancelToken) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let tls = self.link.tls.clone();
        let bound = self.link.connect_timeout;
        runtime.spawn(async move {
            // Nobody waits for the outcome: the connection is closed either way.
            let _ = tokio::time::timeout(bound, token.cancel_query(tls)).await;
        });
    }
}

/// A connection taken from a [`Pool`](super::Pool); it goes back when dropped, unless it
/// is broken: a statement on it failed for a connection reason, passed its deadline or was
/// abandoned mid-flight. A broken connection is closed instead.
pub struct Connection {
    // `None` only once dropped.
    obj: Option<Object>,
    pub(crate) state: ConnState,
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Some(obj) = self.obj.take() {
            if self.state.is_broken() {
                self.state.link.meta.counters.closed(Closed::Broken);
                drop(Object::take(obj));
            } else {
                drop(obj);
            }
        }
        #[cfg(feature = "instrument")]
        {
            let link = &self.state.link;
            if let Some(since) = self.state.since {
                link.meta.metrics.use_time.record(since.elapsed());
                if let Some(pool) = link.pool.get() {
                    observe::pool_gauges(&link.meta, &super::pool::status_of(pool), link.min_idle);
                }
            }
        }
        if self.state.link.closing.load(Ordering::Acquire) {
            self.state.link.returned.notify_waiters();
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("broken", &self.state.is_broken())
            .field("query_timeout", &self.state.query_timeout)
            .finish_non_exhaustive()
    }
}

impl Connection {
    pub(crate) fn new(obj: Object, link: Arc<Link>, query_timeout: Option<Duration>) -> Self {
        Connection {
            obj: Some(obj),
            state: ConnState {
                link,
                broken: AtomicBool::new(false),
                query_timeout,
                #[cfg(feature = "instrument")]
                since: observe::recording().then(Instant::now),
            },
        }
    }

    /// Whether this connection was opened for the acquire that returned it.
    #[cfg_attr(
        not(feature = "instrument"),
        allow(dead_code, reason = "read by the instrumentation only")
    )]
    pub(crate) fn is_fresh(&self) -> bool {
        Object::metrics(self.obj()).recycle_count == 0
    }

    /// The underlying tokio-postgres client, for what this crate does not wrap. Statements
    /// sent through it have no deadline and are not cancelled when abandoned.
    #[must_use]
    pub fn client(&self) -> &tokio_postgres::Client {
        self.obj()
    }

    fn obj(&self) -> &Object {
        match &self.obj {
            Some(obj) => obj,
            None => unreachable!("the object is taken only on drop"),
        }
    }

    pub(crate) fn parts(&mut self) -> (&mut Object, &ConnState) {
        match &mut self.obj {
            Some(obj) => (obj, &self.state),
            None => unreachable!("the object is taken only on drop"),
        }
    }

    /// The deadline of each statement on this connection and its transactions, from now on;
    /// `None` removes it. It starts as the pool's
    /// [`query_timeout`](super::Config::query_timeout).
    pub fn set_query_timeout(&mut self, timeout: Option<Duration>) {
        self.state.query_timeout = timeout;
    }

    /// The deadline of each statement on this connection.
    #[must_use]
    pub fn query_timeout(&self) -> Option<Duration> {
        self.state.query_timeout
    }

    /// Closes this connection instead of returning it to the pool.
    pub fn discard(self) {
        self.state.mark_broken();
    }

    /// Runs statements separated by semicolons with the simple protocol, without parameters.
    pub async fn batch_execute(&self, sql: &str) -> Result<()> {
        let c = self.obj();
        self.session()
            .observed(sql, |()| None, async {
                c.batch_execute(sql).await.map_err(Error::from)
            })
            .await
    }

    /// An empty query: whether the server answers on this connection.
    pub(crate) async fn ping(&self) -> Result<()> {
        let c = self.obj();
        self.session()
            .run(async { c.simple_query("").await.map(drop).map_err(Error::from) })
            .await
    }
}

/// What a statement runs on.
#[derive(Clone, Copy)]
pub(crate) enum Target<'a> {
    Plain(&'a deadpool_postgres::ClientWrapper),
    Tx(&'a deadpool_postgres::Transaction<'a>),
}

impl Target<'_> {
    fn cancel_token(self) -> CancelToken {
        match self {
            Target::Plain(c) => c.cancel_token(),
            Target::Tx(t) => t.cancel_token(),
        }
    }
}

/// Where a cancel request comes from: the target itself, or a token taken beforehand when
/// the statement needs the target by value (`BEGIN`, `COMMIT`).
pub(crate) enum CancelFrom<'a> {
    Target(Target<'a>),
    Token(CancelToken),
}

impl CancelFrom<'_> {
    fn token(self) -> CancelToken {
        match self {
            CancelFrom::Target(t) => t.cancel_token(),
            CancelFrom::Token(t) => t,
        }
    }
}

/// The choke point: a target, the connection's state and the scope's deadline (a
/// transaction's, if it has one).
pub struct Session<'a> {
    pub(crate) target: Target<'a>,
    pub(crate) state: &'a ConnState,
    pub(crate) scope_deadline: Option<Instant>,
}

impl Session<'_> {
    /// This statement's deadline: the connection's query timeout from now, or the scope's
    /// deadline if that comes first.
    fn deadline(&self) -> Option<(Instant, Duration)> {
        Session::deadline_of(self.state, self.scope_deadline)
    }

    pub(crate) fn deadline_of(
        state: &ConnState,
        scope: Option<Instant>,
    ) -> Option<(Instant, Duration)> {
        let statement = state.query_timeout.map(|t| (Instant::now() + t, t));
        match (statement, scope) {
            (Some((at, t)), Some(scope)) if at <= scope => Some((at, t)),
            (_, Some(scope)) => Some((scope, scope.saturating_duration_since(Instant::now()))),
            (statement, None) => statement,
        }
    }

    /// Runs one statement on this session's target.
    pub(crate) async fn run<T>(&self, statement: impl Future<Output = Result<T>>) -> Result<T> {
        run_guarded(
            self.state,
            self.deadline(),
            CancelFrom::Target(self.target),
            statement,
        )
        .await
    }

    /// Runs one statement, in its span, with its duration recorded (see [`observe`]).
    pub(crate) async fn observed<T>(
        &self,
        sql: &str,
        #[cfg_attr(
            not(feature = "instrument"),
            allow(unused_variables, reason = "read by the instrumentation only")
        )]
        rows: impl FnOnce(&T) -> Option<u64>,
        statement: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        #[cfg(feature = "instrument")]
        {
            let meta = &self.state.link.meta;
            let watch = observe::Watch::start(meta, sql);
            let r = if watch.span.is_disabled() {
                self.run(statement).await
            } else {
                tracing::Instrument::instrument(self.run(statement), watch.span.clone()).await
            };
            observe::finish(meta, &watch, sql, &r, rows);
            r
        }
        #[cfg(not(feature = "instrument"))]
        {
            let _ = sql;
            self.run(statement).await
        }
    }

    /// The driver, when statements go out unnamed (see [`statement`]).
    fn unnamed(&self) -> Option<Driver<'_>> {
        match (self.state.link.statement_mode, self.target) {
            (StatementMode::Prepared, _) => None,
            (StatementMode::Unnamed, Target::Plain(c)) => Some(Driver::Client(c)),
            (StatementMode::Unnamed, Target::Tx(t)) => Some(Driver::Tx(t)),
        }
    }

    pub(crate) async fn execute(&self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        // Boxed: the statement's future is large, and the layers above would each move it.
        self.observed(
            sql,
            |_| None,
            Box::pin(async {
                if let Some(d) = self.unnamed() {
                    return statement::execute(d, sql, params, &self.state.link.learned).await;
                }
                with_statement!(self, sql, |c, st| {
                    let bound = Bound::new(st, params)?;
                    c.execute_raw(st, bound.iter())
                        .await
                        .map_err(|e| bound.error(e))
                })
            }),
        )
        .await
    }

    pub(crate) async fn query(&self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
        let rows = |r: &Vec<Row>| u64::try_from(r.len()).ok();
        self.observed(
            sql,
            rows,
            Box::pin(async {
                if let Some(d) = self.unnamed() {
                    return statement::query(d, sql, params, &self.state.link.learned).await;
                }
                let rows = with_statement!(self, sql, |c, st| {
                    let bound = Bound::new(st, params)?;
                    c.query_raw(st, bound.iter())
                        .await
                        .map_err(|e| bound.error(e))?
                });
                rows.try_collect().await.map_err(Error::from)
            }),
        )
        .await
    }

    pub(crate) async fn query_raw(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<tokio_postgres::RowStream> {
        self.observed(
            sql,
            |_| None,
            Box::pin(async {
                if let Some(d) = self.unnamed() {
                    return statement::query_raw(d, sql, params, &self.state.link.learned).await;
                }
                with_statement!(self, sql, |c, st| {
                    let bound = Bound::new(st, params)?;
                    c.query_raw(st, bound.iter())
                        .await
                        .map_err(|e| bound.error(e))
                })
            }),
        )
        .await
    }

    /// A token to cancel what this session's connection runs, for a stream that outlives
    /// this call.
    pub(crate) fn cancel_token(&self) -> CancelToken {
        self.target.cancel_token()
    }
}

/// Runs `statement` before `deadline`, keeping the connection's broken flag: see the module
/// documentation.
pub(crate) async fn run_guarded<T>(
    state: &ConnState,
    deadline: Option<(Instant, Duration)>,
    cancel: CancelFrom<'_>,
    statement: impl Future<Output = Result<T>>,
) -> Result<T> {
    let mut guard = InFlight {
        state,
        cancel: Some(cancel),
    };
    let r = match deadline {
        None => statement.await,
        Some((at, allowed)) => {
            if let Ok(r) = tokio::time::timeout_at(at, statement).await {
                r
            } else {
                // Dropping the guard armed cancels the statement and breaks the connection.
                drop(guard);
                return Err(Error::timeout(
                    Timeout::Query,
                    format!(
                        "no answer within the query timeout of {}; the statement was cancelled",
                        fmt_duration(allowed)
                    ),
                ));
            }
        }
    };
    guard.cancel = None;
    state.watch(r)
}

/// Armed while a statement is in flight: dropped armed (the deadline passed, or the caller
/// dropped the future), it marks the connection broken and cancels the statement.
pub(crate) struct InFlight<'a> {
    state: &'a ConnState,
    cancel: Option<CancelFrom<'a>>,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(cancel) = self.cancel.take() {
            self.state.mark_broken();
            self.state.cancel(cancel.token());
        }
    }
}

/// A stream's guard: like [`InFlight`] but owning its token, as the stream outlives the call
/// that started it. Disarmed when the stream ends.
pub(crate) struct StreamGuard {
    pub(crate) token: Option<CancelToken>,
}

impl StreamGuard {
    /// The stream was dropped before its end: break the connection and cancel the query.
    pub(crate) fn abandon(&mut self, state: &ConnState) {
        if let Some(token) = self.token.take() {
            state.mark_broken();
            state.cancel(token);
        }
    }
}

/// Runs `$body` with `$c` bound to the tokio-postgres client or transaction and `$st` to the
/// named statement, from the cache or prepared for this call.
macro_rules! with_statement {
    ($self:ident, $sql:ident, |$c:ident, $st:ident| $body:expr) => {
        match ($self.target, $self.state.link.statement_cache) {
            (Target::Plain($c), true) => {
                let $st = &$c.prepare_cached($sql).await.map_err(unsent)?;
                $body
            }
            (Target::Plain($c), false) => {
                let $st = &$c.prepare($sql).await.map_err(unsent)?;
                $body
            }
            (Target::Tx($c), true) => {
                let $st = &$c.prepare_cached($sql).await.map_err(unsent)?;
                $body
            }
            (Target::Tx($c), false) => {
                let $st = &$c.prepare($sql).await.map_err(unsent)?;
                $body
            }
        }
    };
}
use with_statement;

/// A failure to prepare: the statement did not run.
fn unsent(e: tokio_postgres::Error) -> Error {
    Error::from(e).not_sent()
}

/// What runs statements: a [`Connection`] or a [`Transaction`](super::Transaction). The one
/// [`Executor`] implementation is written over it.
pub trait Runner: Send + Sync {
    #[doc(hidden)]
    fn session(&self) -> Session<'_>;
}

impl Runner for Connection {
    fn session(&self) -> Session<'_> {
        Session {
            target: Target::Plain(self.obj()),
            state: &self.state,
            scope_deadline: None,
        }
    }
}

impl<R: Runner> Executor for R {
    async fn execute(&self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        self.session().execute(sql, params).await
    }

    async fn query(&self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
        self.session().query(sql, params).await
    }

    async fn query_stream(&self, sql: &str, params: &[Param<'_>]) -> Result<RowStream<'_>> {
        let session = self.session();
        let rows = session.query_raw(sql, params).await?;
        Ok(RowStream::borrowed(
            rows,
            session.state,
            session.cancel_token(),
        ))
    }
}
