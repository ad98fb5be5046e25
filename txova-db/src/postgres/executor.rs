//! One trait for running statements on a pool, a pooled connection or a transaction alike.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures_util::{Stream, TryStreamExt as _};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::statement::{self, Bound, Driver, StatementMode};
use crate::error::{Error, Result};

/// A statement parameter: any value the driver can send, borrowed.
pub type Param<'a> = &'a (dyn ToSql + Sync);

/// Runs SQL on a [`Pool`](super::Pool), a [`Connection`](super::Connection) or a
/// [`Transaction`](super::Transaction).
///
/// Statements go through the connection's prepared-statement cache unless the pool was
/// configured with [`Config::statement_cache`](super::Config::statement_cache) off (for
/// `PgBouncer` in transaction mode). Values are always sent as bound parameters.
pub trait Executor: Send + Sync {
    /// Runs a statement and returns the number of rows it affected.
    fn execute(&self, sql: &str, params: &[Param<'_>]) -> impl Future<Output = Result<u64>> + Send;

    /// Runs a query and returns all its rows.
    fn query(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<Vec<Row>>> + Send;

    /// Runs a query that must return exactly one row: zero rows is
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound); more than one is an
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error.
    fn query_one(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<Row>> + Send {
        async move {
            let mut rows = self.query(sql, params).await?;
            match rows.len() {
                0 => Err(Error::not_found()),
                1 => Ok(rows.swap_remove(0)),
                n => Err(Error::invalid_input(format!(
                    "query expected to return one row returned {n}"
                ))),
            }
        }
    }

    /// Runs a query that returns at most one row.
    fn query_opt(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<Option<Row>>> + Send {
        async move {
            let mut rows = self.query(sql, params).await?;
            match rows.len() {
                0 => Ok(None),
                1 => Ok(Some(rows.swap_remove(0))),
                n => Err(Error::invalid_input(format!(
                    "query expected to return at most one row returned {n}"
                ))),
            }
        }
    }

    /// Runs a query and yields its rows as they arrive from the server, without buffering
    /// them all.
    fn query_stream(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<RowStream<'_>>> + Send;
}

/// Rows of a query as they arrive; from [`Executor::query_stream`].
///
/// When it was started on a pool, the stream holds its connection until it is dropped.
pub struct RowStream<'a> {
    rows: Pin<Box<tokio_postgres::RowStream>>,
    // Holds the connection out of the pool while rows are read.
    conn: Option<super::Connection>,
    _borrow: std::marker::PhantomData<&'a ()>,
}

impl RowStream<'_> {
    pub(crate) fn new(rows: tokio_postgres::RowStream, conn: Option<super::Connection>) -> Self {
        RowStream {
            rows: Box::pin(rows),
            conn,
            _borrow: std::marker::PhantomData,
        }
    }
}

impl Stream for RowStream<'_> {
    type Item = Result<Row>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rows.as_mut().poll_next(cx).map(|r| {
            r.map(|r| {
                let r = r.map_err(Error::from);
                match &self.conn {
                    Some(conn) => watch(&conn.broken, r),
                    None => r,
                }
            })
        })
    }
}

/// Runs statements on a pooled client or a transaction, with or without the statement cache,
/// and flags the connection as broken when a statement fails for a connection reason, so the
/// pool never hands it out again (the socket may not look closed yet when it is returned).
#[derive(Clone, Copy)]
pub(crate) struct ClientRef<'a> {
    pub(crate) target: Target<'a>,
    pub(crate) cache: bool,
    pub(crate) mode: StatementMode,
    pub(crate) broken: &'a AtomicBool,
}

#[derive(Clone, Copy)]
pub(crate) enum Target<'a> {
    Plain(&'a deadpool_postgres::ClientWrapper),
    Tx(&'a deadpool_postgres::Transaction<'a>),
}

/// Runs `$body` with `$c` bound to the tokio-postgres client or transaction and `$st` to the
/// named statement, from the cache or prepared for this call.
macro_rules! with_statement {
    ($self:ident, $sql:ident, |$c:ident, $st:ident| $body:expr) => {
        match ($self.target, $self.cache) {
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

/// A failure to prepare: the statement did not run.
fn unsent(e: tokio_postgres::Error) -> Error {
    Error::from(e).not_sent()
}

impl ClientRef<'_> {
    /// The driver, when statements go out unnamed.
    fn unnamed(&self) -> Option<Driver<'_>> {
        match (self.mode, self.target) {
            (StatementMode::Prepared, _) => None,
            (StatementMode::Unnamed, Target::Plain(c)) => Some(Driver::Client(c)),
            (StatementMode::Unnamed, Target::Tx(t)) => Some(Driver::Tx(t)),
        }
    }

    pub(crate) async fn execute(&self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        if let Some(d) = self.unnamed() {
            return watch(self.broken, statement::execute(d, sql, params).await);
        }
        let r = async {
            with_statement!(self, sql, |c, st| {
                let bound = Bound::new(st, params)?;
                c.execute_raw(st, bound.iter())
                    .await
                    .map_err(|e| bound.error(e))
            })
        };
        watch(self.broken, r.await)
    }

    pub(crate) async fn query(&self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
        if let Some(d) = self.unnamed() {
            return watch(self.broken, statement::query(d, sql, params).await);
        }
        let r = async {
            let rows = with_statement!(self, sql, |c, st| {
                let bound = Bound::new(st, params)?;
                c.query_raw(st, bound.iter())
                    .await
                    .map_err(|e| bound.error(e))?
            });
            rows.try_collect().await.map_err(Error::from)
        };
        watch(self.broken, r.await)
    }

    pub(crate) async fn query_raw(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<tokio_postgres::RowStream> {
        if let Some(d) = self.unnamed() {
            return watch(self.broken, statement::query_raw(d, sql, params).await);
        }
        let r = async {
            with_statement!(self, sql, |c, st| {
                let bound = Bound::new(st, params)?;
                c.query_raw(st, bound.iter())
                    .await
                    .map_err(|e| bound.error(e))
            })
        };
        watch(self.broken, r.await)
    }
}

/// Sets `broken` when `r` is a connection error.
pub(crate) fn watch<T>(broken: &AtomicBool, r: Result<T>) -> Result<T> {
    if let Err(e) = &r
        && e.is_connection()
    {
        broken.store(true, Ordering::Relaxed);
    }
    r
}
