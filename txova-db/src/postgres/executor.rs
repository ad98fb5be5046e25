//! One trait for running statements on a pool, a pooled connection or a transaction alike.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

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
    // Held only so the connection stays out of the pool while rows are read.
    _conn: Option<super::Connection>,
    _borrow: std::marker::PhantomData<&'a ()>,
}

impl RowStream<'_> {
    pub(crate) fn new(rows: tokio_postgres::RowStream, conn: Option<super::Connection>) -> Self {
        RowStream {
            rows: Box::pin(rows),
            _conn: conn,
            _borrow: std::marker::PhantomData,
        }
    }
}

impl Stream for RowStream<'_> {
    type Item = Result<Row>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rows
            .as_mut()
            .poll_next(cx)
            .map(|r| r.map(|r| r.map_err(Error::from)))
    }
}

/// Runs statements on a pooled client or a transaction, with or without the statement cache.
#[derive(Clone, Copy)]
pub(crate) enum ClientRef<'a> {
    Plain(&'a deadpool_postgres::ClientWrapper, bool),
    Tx(&'a deadpool_postgres::Transaction<'a>, bool),
}

/// Runs `$body` with `$c` bound to the tokio-postgres client or transaction and `$st` to the
/// cached statement, or to the SQL text when the cache is off.
macro_rules! with_statement {
    ($self:ident, $sql:ident, |$c:ident, $st:ident| $body:expr) => {
        match *$self {
            ClientRef::Plain($c, true) => {
                let $st = &$c.prepare_cached($sql).await?;
                $body
            }
            ClientRef::Plain($c, false) => {
                let $st = $sql;
                $body
            }
            ClientRef::Tx($c, true) => {
                let $st = &$c.prepare_cached($sql).await?;
                $body
            }
            ClientRef::Tx($c, false) => {
                let $st = $sql;
                $body
            }
        }
    };
}

impl ClientRef<'_> {
    pub(crate) async fn execute(&self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        Ok(with_statement!(self, sql, |c, st| c
            .execute(st, params)
            .await?))
    }

    pub(crate) async fn query(&self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
        Ok(with_statement!(self, sql, |c, st| c
            .query(st, params)
            .await?))
    }

    pub(crate) async fn query_raw(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<tokio_postgres::RowStream> {
        let it = params.iter().copied();
        Ok(with_statement!(self, sql, |c, st| c
            .query_raw(st, it)
            .await?))
    }
}
