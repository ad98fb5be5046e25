//! One trait for running statements on a pool, a pooled connection or a transaction alike.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio_postgres::types::ToSql;
use tokio_postgres::{CancelToken, Row};

use super::connection::{ConnState, Connection, StreamGuard};
use crate::error::{Error, Result, Timeout, fmt_duration};

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
/// Each row must arrive within the query timeout of the connection; when one does not, the
/// stream yields a [`Timeout::Query`](crate::Timeout::Query) error and ends. Dropped before
/// its last row, or after such an error, it cancels the query on the server and its
/// connection is closed rather than reused.
pub struct RowStream<'a> {
    rows: Pin<Box<tokio_postgres::RowStream>>,
    owner: Owner<'a>,
    guard: StreamGuard,
    // The wait for the next row, started when a poll finds none ready.
    wait: Option<Pin<Box<tokio::time::Sleep>>>,
    done: bool,
}

enum Owner<'a> {
    Borrowed(&'a ConnState),
    // Holds the connection out of the pool while rows are read.
    Pooled(Box<Connection>),
}

impl Owner<'_> {
    fn state(&self) -> &ConnState {
        match self {
            Owner::Borrowed(state) => state,
            Owner::Pooled(conn) => &conn.state,
        }
    }
}

impl<'a> RowStream<'a> {
    pub(crate) fn borrowed(
        rows: tokio_postgres::RowStream,
        state: &'a ConnState,
        token: CancelToken,
    ) -> Self {
        RowStream {
            rows: Box::pin(rows),
            owner: Owner::Borrowed(state),
            guard: StreamGuard { token: Some(token) },
            wait: None,
            done: false,
        }
    }

    pub(crate) fn pooled(
        rows: tokio_postgres::RowStream,
        conn: Connection,
        token: CancelToken,
    ) -> Self {
        RowStream {
            rows: Box::pin(rows),
            owner: Owner::Pooled(Box::new(conn)),
            guard: StreamGuard { token: Some(token) },
            wait: None,
            done: false,
        }
    }
}

impl Drop for RowStream<'_> {
    fn drop(&mut self) {
        let state = self.owner.state();
        self.guard.abandon(state);
    }
}

impl Stream for RowStream<'_> {
    type Item = Result<Row>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        let polled = this.rows.as_mut().poll_next(cx);
        if polled.is_ready() {
            this.wait = None;
        }
        match polled {
            Poll::Pending => {
                let Some(limit) = this.owner.state().query_timeout() else {
                    return Poll::Pending;
                };
                let wait = this
                    .wait
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                if wait.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.wait = None;
                this.done = true;
                this.guard.abandon(this.owner.state());
                Poll::Ready(Some(Err(Error::timeout(
                    Timeout::Query,
                    format!(
                        "no row within the query timeout of {}; the query was cancelled",
                        fmt_duration(limit)
                    ),
                ))))
            }
            Poll::Ready(None) => {
                this.done = true;
                this.guard.token = None;
                Poll::Ready(None)
            }
            Poll::Ready(Some(Ok(row))) => Poll::Ready(Some(Ok(row))),
            Poll::Ready(Some(Err(e))) => {
                // The query is over, one way or the other.
                this.done = true;
                this.guard.token = None;
                Poll::Ready(Some(this.owner.state().watch(Err(Error::from(e)))))
            }
        }
    }
}
