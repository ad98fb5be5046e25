//! Transactions: a guard that rolls back when dropped, and `with_tx`, which commits on `Ok`
//! and rolls back on `Err` and on panic.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::time::Instant;

use super::connection::{CancelFrom, ConnState, Connection, Runner, Session, Target, run_guarded};
use super::pool::Pool;
use crate::backoff::Backoff;
use crate::error::{Error, ErrorKind, Result};

/// The isolation level of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IsolationLevel {
    /// `READ UNCOMMITTED` (PostgreSQL treats it as `READ COMMITTED`).
    ReadUncommitted,
    /// `READ COMMITTED`, PostgreSQL's default.
    ReadCommitted,
    /// `REPEATABLE READ`.
    RepeatableRead,
    /// `SERIALIZABLE`: combine with [`with_tx_retry`].
    Serializable,
}

/// How a transaction starts. The default is the server's: read-write, its default isolation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TxOptions {
    /// The isolation level; `None` keeps the server's default.
    pub isolation: Option<IsolationLevel>,
    /// `READ ONLY`.
    pub read_only: bool,
    /// `DEFERRABLE` (only meaningful for serializable read-only transactions).
    pub deferrable: bool,
    /// For [`with_tx_retry`]: how many times the transaction runs at most. Default (0) means 5.
    pub max_attempts: u32,
    /// A deadline for the whole transaction, from `BEGIN` to `COMMIT`, on top of each
    /// statement's [`Config::query_timeout`](super::Config::query_timeout): a statement
    /// still running when it passes is cancelled and the transaction ends in a
    /// [`Timeout::Query`](crate::Timeout::Query) error. `None` (the default) sets none.
    pub timeout: Option<Duration>,
}

impl TxOptions {
    /// Options with the given isolation level.
    #[must_use]
    pub fn isolation(level: IsolationLevel) -> Self {
        TxOptions {
            isolation: Some(level),
            ..TxOptions::default()
        }
    }

    /// These options, read only.
    #[must_use]
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// These options, deferrable.
    #[must_use]
    pub fn deferrable(mut self) -> Self {
        self.deferrable = true;
        self
    }

    /// These options, with a deadline for the whole transaction.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// These options, with at most `attempts` runs in [`with_tx_retry`].
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }
}

/// An open transaction (or, nested, a savepoint).
///
/// [`commit`](Transaction::commit) consumes it. Dropped any other way it rolls back: the
/// `ROLLBACK` is queued on the connection before anything else can use it, so a connection
/// never goes back to the pool inside a transaction.
pub struct Transaction<'a> {
    tx: deadpool_postgres::Transaction<'a>,
    state: &'a ConnState,
    deadline: Option<Instant>,
}

impl std::fmt::Debug for Transaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction").finish_non_exhaustive()
    }
}

impl<'a> Transaction<'a> {
    async fn start(conn: &'a mut Connection, opts: &TxOptions) -> Result<Transaction<'a>> {
        let deadline = opts.timeout.map(|t| Instant::now() + t);
        let (obj, state) = conn.parts();
        let token = obj.cancel_token();
        let mut builder = obj.build_transaction();
        if let Some(level) = opts.isolation {
            builder = builder.isolation_level(match level {
                IsolationLevel::ReadUncommitted => tokio_postgres::IsolationLevel::ReadUncommitted,
                IsolationLevel::ReadCommitted => tokio_postgres::IsolationLevel::ReadCommitted,
                IsolationLevel::RepeatableRead => tokio_postgres::IsolationLevel::RepeatableRead,
                IsolationLevel::Serializable => tokio_postgres::IsolationLevel::Serializable,
            });
        }
        if opts.read_only {
            builder = builder.read_only(true);
        }
        if opts.deferrable {
            builder = builder.deferrable(true);
        }
        // Nothing of the caller's work was sent when `BEGIN` fails.
        let begin = async { builder.start().await.map_err(|e| Error::from(e).not_sent()) };
        let tx = run_guarded(
            state,
            statement_deadline(state, deadline),
            CancelFrom::Token(token.clone()),
            begin,
        )
        .await?;
        if let Some(timeout) = state.link.local_statement_timeout {
            // Behind a pooler in transaction mode, the server connection is ours only until
            // the transaction ends, which is exactly what `SET LOCAL` lasts.
            let set = format!("SET LOCAL statement_timeout = {}", timeout.as_millis());
            let setting = async { tx.batch_execute(&set).await.map_err(Error::from) };
            run_guarded(
                state,
                statement_deadline(state, deadline),
                CancelFrom::Token(token),
                setting,
            )
            .await?;
        }
        Ok(Transaction {
            tx,
            state,
            deadline,
        })
    }

    /// Runs `COMMIT` or `ROLLBACK` (or their savepoint forms), which take the transaction.
    async fn finish(self, commit: bool) -> Result<()> {
        let token = self.tx.cancel_token();
        let deadline = statement_deadline(self.state, self.deadline);
        let tx = self.tx;
        let end = async move {
            if commit {
                tx.commit().await.map_err(|e| {
                    let e = Error::from(e);
                    if e.is_connection() {
                        e.context(
                            "COMMIT was sent but its answer was lost, so the transaction may \
                             or may not have committed",
                        )
                    } else {
                        e
                    }
                })
            } else {
                tx.rollback().await.map_err(Error::from)
            }
        };
        let r = run_guarded(self.state, deadline, CancelFrom::Token(token), end).await;
        match r {
            // A cancel cannot take back a COMMIT the server may already have applied.
            Err(e) if commit && e.kind() == ErrorKind::Timeout => Err(e.context(
                "COMMIT was sent but no answer came in time, so the transaction may or may \
                 not have committed",
            )),
            r => r,
        }
    }

    /// Commits the transaction (or releases the savepoint).
    pub async fn commit(self) -> Result<()> {
        self.finish(true).await
    }

    /// Rolls the transaction (or the savepoint) back.
    pub async fn rollback(self) -> Result<()> {
        self.finish(false).await
    }

    /// Starts a savepoint inside this transaction; it behaves as a nested transaction and
    /// shares this transaction's deadline.
    pub async fn savepoint(&mut self) -> Result<Transaction<'_>> {
        let token = self.tx.cancel_token();
        let deadline = statement_deadline(self.state, self.deadline);
        let tx = &mut self.tx;
        let begin = async { tx.transaction().await.map_err(Error::from) };
        let sp = run_guarded(self.state, deadline, CancelFrom::Token(token), begin).await?;
        Ok(Transaction {
            tx: sp,
            state: self.state,
            deadline: self.deadline,
        })
    }

    /// The underlying tokio-postgres transaction, for what this crate does not wrap.
    /// Statements sent through it have no deadline and are not cancelled when abandoned.
    #[must_use]
    pub fn client(&self) -> &tokio_postgres::Transaction<'a> {
        &self.tx
    }

    /// Runs statements separated by semicolons with the simple protocol, without parameters.
    pub async fn batch_execute(&self, sql: &str) -> Result<()> {
        let tx = &self.tx;
        self.session()
            .run(async { tx.batch_execute(sql).await.map_err(Error::from) })
            .await
    }
}

/// A statement's deadline: the connection's query timeout from now, or the transaction's
/// deadline if that comes first.
fn statement_deadline(state: &ConnState, scope: Option<Instant>) -> Option<(Instant, Duration)> {
    Session::deadline_of(state, scope)
}

impl Runner for Transaction<'_> {
    fn session(&self) -> Session<'_> {
        Session {
            target: Target::Tx(&self.tx),
            state: self.state,
            scope_deadline: self.deadline,
        }
    }
}

impl Connection {
    /// Starts a transaction on this connection.
    pub async fn begin(&mut self) -> Result<Transaction<'_>> {
        Transaction::start(self, &TxOptions::default()).await
    }

    /// Starts a transaction on this connection with the given options.
    pub async fn begin_with(&mut self, opts: TxOptions) -> Result<Transaction<'_>> {
        Transaction::start(self, &opts).await
    }
}

/// Where [`with_tx`] can start a transaction: a [`Pool`] (taking a connection for it), a
/// [`Connection`], or a [`Transaction`] (a savepoint).
pub trait TxSource {
    /// Runs `f` in a new transaction (or savepoint) as [`with_tx_opts`] describes.
    fn run_tx<T, E, F>(self, opts: TxOptions, f: F) -> impl Future<Output = Result<T, E>>
    where
        F: AsyncFnOnce(&mut Transaction<'_>) -> Result<T, E>,
        E: From<Error>;
}

impl TxSource for &Pool {
    async fn run_tx<T, E, F>(self, opts: TxOptions, f: F) -> Result<T, E>
    where
        F: AsyncFnOnce(&mut Transaction<'_>) -> Result<T, E>,
        E: From<Error>,
    {
        let mut conn = self.get().await?;
        let tx = Transaction::start(&mut conn, &opts).await?;
        let (result, clean) = run(tx, f).await;
        if !clean {
            conn.discard();
        }
        result
    }
}

impl TxSource for &mut Connection {
    async fn run_tx<T, E, F>(self, opts: TxOptions, f: F) -> Result<T, E>
    where
        F: AsyncFnOnce(&mut Transaction<'_>) -> Result<T, E>,
        E: From<Error>,
    {
        let tx = Transaction::start(self, &opts).await?;
        let (result, clean) = run(tx, f).await;
        if !clean {
            // The caller keeps the connection; it is closed when they drop it.
            self.state.mark_broken();
        }
        result
    }
}

impl TxSource for &mut Transaction<'_> {
    /// A savepoint; the options do not apply to it.
    async fn run_tx<T, E, F>(self, _opts: TxOptions, f: F) -> Result<T, E>
    where
        F: AsyncFnOnce(&mut Transaction<'_>) -> Result<T, E>,
        E: From<Error>,
    {
        let sp = self.savepoint().await?;
        run(sp, f).await.0
    }
}

/// Runs `f` and ends `tx`: commit on `Ok`, rollback on `Err` and on panic (which then goes
/// on). The flag says whether the transaction ended cleanly, so the connection may be reused.
async fn run<T, E, F>(mut tx: Transaction<'_>, f: F) -> (Result<T, E>, bool)
where
    F: AsyncFnOnce(&mut Transaction<'_>) -> Result<T, E>,
    E: From<Error>,
{
    let outcome = AssertUnwindSafe(f(&mut tx)).catch_unwind().await;
    match outcome {
        Ok(Ok(value)) => match tx.commit().await {
            Ok(()) => (Ok(value), true),
            Err(e) => (Err(e.into()), false),
        },
        Ok(Err(e)) => {
            if tx.state.is_broken() {
                // Its statement timed out or its connection failed: a ROLLBACK would only
                // wait in vain. The server rolls back when the session ends.
                return (Err(e), false);
            }
            let clean = tx.rollback().await.is_ok();
            (Err(e), clean)
        }
        Err(panic) => {
            // The rollback's own failure cannot be reported: the panic wins. A failed
            // rollback is queued again by the driver when the transaction is dropped.
            let _ = tx.rollback().await;
            std::panic::resume_unwind(panic)
        }
    }
}

/// Runs `f` in a transaction: commits when it returns `Ok`, rolls back when it returns `Err`
/// or panics (the panic goes on after the rollback).
///
/// On a [`Pool`] it takes a connection for the transaction; on a [`Connection`] it uses that
/// one; on a [`Transaction`] it opens a savepoint, so `with_tx` nests.
///
/// ```no_run
/// # async fn run(pool: &txova_db::postgres::Pool) -> Result<(), txova_db::Error> {
/// use txova_db::postgres::{Executor, with_tx};
///
/// with_tx(pool, async |tx| {
///     tx.execute("INSERT INTO users (name) VALUES ($1)", &[&"ana"]).await?;
///     with_tx(tx, async |sp| {
///         sp.execute("INSERT INTO profiles (name) VALUES ($1)", &[&"ana"]).await
///     })
///     .await?;
///     Ok::<_, txova_db::Error>(())
/// })
/// .await
/// # }
/// ```
pub async fn with_tx<S, T, E, F>(source: S, f: F) -> Result<T, E>
where
    S: TxSource,
    F: AsyncFnOnce(&mut Transaction<'_>) -> Result<T, E>,
    E: From<Error>,
{
    traced(source.run_tx(TxOptions::default(), f), 1).await
}

/// The transaction's span around `fut` (see the README, "Observability").
#[cfg(feature = "instrument")]
fn traced<F: Future>(fut: F, attempt: u32) -> impl Future<Output = F::Output> {
    tracing::Instrument::instrument(fut, super::observe::tx_span(attempt))
}

#[cfg(not(feature = "instrument"))]
fn traced<F: Future>(fut: F, _attempt: u32) -> F {
    fut
}

/// [`with_tx`] with an isolation level, read-only or deferrable transaction.
pub async fn with_tx_opts<S, T, E, F>(source: S, opts: TxOptions, f: F) -> Result<T, E>
where
    S: TxSource,
    F: AsyncFnOnce(&mut Transaction<'_>) -> Result<T, E>,
    E: From<Error>,
{
    traced(source.run_tx(opts, f), 1).await
}

/// Runs `f` in a transaction as [`with_tx_opts`] does, and runs it again, on a new
/// transaction, when it fails with a serialization failure or a deadlock (SQLSTATE 40001,
/// 40P01): at most `opts.max_attempts` times (5 by default), waiting an exponential backoff
/// with jitter between attempts. Other errors are returned at once.
pub async fn with_tx_retry<T, F>(pool: &Pool, opts: TxOptions, mut f: F) -> Result<T>
where
    F: AsyncFnMut(&mut Transaction<'_>) -> Result<T>,
{
    let attempts = if opts.max_attempts == 0 {
        5
    } else {
        opts.max_attempts
    };
    let mut attempt = 1;
    loop {
        let result = traced(pool.run_tx(opts, async |tx| f(tx).await), attempt).await;
        match result {
            Err(e) if e.is_retryable() && attempt < attempts => {
                tokio::time::sleep(TX_RETRY_BACKOFF.delay(attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// 10 ms doubled per attempt, at most 1 s, jittered.
const TX_RETRY_BACKOFF: Backoff = Backoff::new(Duration::from_millis(10), Duration::from_secs(1));
