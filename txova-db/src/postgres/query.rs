//! Typed statements made by `select!`, `insert!`, `update!` and `delete!`.

use futures_util::{Stream, StreamExt};
use tokio_postgres::Row;

use super::executor::{Executor, Param};
use super::summary::{Fixed, scoped};
use crate::error::Result;

/// A type that can be read from a row by position, starting at a given column.
///
/// `#[derive(Table)]` implements it for the table struct, reading its columns in field
/// order; `select!` reads tuples and joined tables with it.
pub trait FromRow: Sized {
    /// How many columns the type reads.
    const WIDTH: usize;

    /// Reads the value from `row`, starting at column `start` (0-based).
    fn from_row_at(row: &Row, start: usize) -> Result<Self>;

    /// Reads the value from `row`, starting at its first column.
    fn from_row(row: &Row) -> Result<Self> {
        Self::from_row_at(row, 0)
    }
}

/// A query that returns rows of type `R`, with its SQL fixed at compile time and its `N`
/// values bound as `$1..$N`.
///
/// Made by `select!`, and by `insert!`, `update!` and `delete!` with `returning`. It runs on
/// anything that implements [`Executor`]: a pool, a pooled connection or a transaction.
#[must_use = "a query does nothing until it is run with `fetch_all`, `fetch_one`, ..."]
pub struct Query<'a, R, const N: usize> {
    sql: &'static str,
    params: [Param<'a>; N],
    map: fn(&Row) -> Result<R>,
    /// The statement's summary, when the macro knew it at compile time.
    fixed: Option<Fixed>,
}

impl<'a, R, const N: usize> Query<'a, R, N> {
    #[doc(hidden)]
    pub fn __new(sql: &'static str, params: [Param<'a>; N], map: fn(&Row) -> Result<R>) -> Self {
        Query {
            sql,
            params,
            map,
            fixed: None,
        }
    }

    /// A `SELECT` with its `db.query.summary` (`SELECT users`) and `db.collection.name`
    /// (`users`), known at compile time, for its span.
    #[doc(hidden)]
    pub fn __new_summarized(
        sql: &'static str,
        params: [Param<'a>; N],
        map: fn(&Row) -> Result<R>,
        summary: &'static str,
        collection: &'static str,
    ) -> Self {
        Query {
            sql,
            params,
            map,
            fixed: Some(Fixed {
                summary,
                operation: "SELECT",
                collection,
            }),
        }
    }

    /// The SQL text, computed at compile time.
    #[must_use]
    pub fn sql(&self) -> &'static str {
        self.sql
    }

    /// The values bound as `$1..$N`, in order.
    #[must_use]
    pub fn params(&self) -> &[Param<'a>] {
        &self.params
    }

    /// Runs the query and returns all its rows.
    pub async fn fetch_all(&self, db: &impl Executor) -> Result<Vec<R>> {
        let rows = scoped(self.fixed, db.query(self.sql, &self.params)).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push((self.map)(row)?);
        }
        Ok(out)
    }

    /// Runs the query and returns its one row: zero rows is
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound), more than one is
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput).
    pub async fn fetch_one(&self, db: &impl Executor) -> Result<R> {
        let row = scoped(self.fixed, db.query_one(self.sql, &self.params)).await?;
        (self.map)(&row)
    }

    /// Runs the query and returns its row if there is one; more than one is
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput).
    pub async fn fetch_optional(&self, db: &impl Executor) -> Result<Option<R>> {
        match scoped(self.fixed, db.query_opt(self.sql, &self.params)).await? {
            Some(row) => (self.map)(&row).map(Some),
            None => Ok(None),
        }
    }

    /// Runs the query and yields its rows as they arrive from the server, without buffering
    /// them all.
    pub async fn fetch_stream<'e, E: Executor>(
        &self,
        db: &'e E,
    ) -> Result<impl Stream<Item = Result<R>> + Send + 'e>
    where
        R: Send + 'e,
    {
        let map = self.map;
        let rows = scoped(self.fixed, db.query_stream(self.sql, &self.params)).await?;
        Ok(rows.map(move |row| row.and_then(|row| map(&row))))
    }

    /// Runs the query and returns the number of rows it affected (or returned).
    pub async fn execute(&self, db: &impl Executor) -> Result<u64> {
        db.execute(self.sql, &self.params).await
    }
}

/// The SQL and how many values it binds, never the values: they may identify someone, and
/// `Debug` output ends up in logs.
impl<R, const N: usize> std::fmt::Debug for Query<'_, R, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query")
            .field("sql", &self.sql)
            .field("params", &self.params.len())
            .finish_non_exhaustive()
    }
}

/// A statement that returns no rows (`insert!`, `update!` or `delete!` without
/// `returning`), with its SQL fixed at compile time and its `N` values bound as `$1..$N`.
#[must_use = "a statement does nothing until it is run with `execute`"]
pub struct Statement<'a, const N: usize> {
    sql: &'static str,
    params: [Param<'a>; N],
}

impl<'a, const N: usize> Statement<'a, N> {
    #[doc(hidden)]
    pub fn __new(sql: &'static str, params: [Param<'a>; N]) -> Self {
        Statement { sql, params }
    }

    /// The SQL text, computed at compile time.
    #[must_use]
    pub fn sql(&self) -> &'static str {
        self.sql
    }

    /// The values bound as `$1..$N`, in order.
    #[must_use]
    pub fn params(&self) -> &[Param<'a>] {
        &self.params
    }

    /// Runs the statement and returns the number of rows it affected.
    pub async fn execute(&self, db: &impl Executor) -> Result<u64> {
        db.execute(self.sql, &self.params).await
    }
}

/// The SQL and how many values it binds, never the values, as for [`Query`].
impl<const N: usize> std::fmt::Debug for Statement<'_, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Statement")
            .field("sql", &self.sql)
            .field("params", &self.params.len())
            .finish()
    }
}
