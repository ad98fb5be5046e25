//! A multi-row `INSERT` of a slice whose length is known only at run time.

use std::fmt::Write as _;

use tokio_postgres::types::FromSqlOwned;

use super::super::executor::{Executor, Param};
use super::super::query::FromRow;
use super::super::schema::{Column, Insertable};
use super::super::tx::{TxSource, with_tx};
use crate::error::{Error, Result};

/// The most parameters one statement may bind (the protocol counts them in 16 bits).
const MAX_PARAMS: usize = 65_535;

/// Inserts `rows` with multi-row `INSERT ... VALUES (...), (...)` statements.
///
/// As many rows as PostgreSQL's limit of 65 535 parameters allows go in one statement; more
/// are split into chunks, all in one transaction (a savepoint when run on a
/// [`Transaction`](super::super::Transaction)), so either every row is written or none. The
/// chunk sizes come from a small fixed set (the largest chunk, then powers of two), so the
/// connection's statement cache holds a bounded number of these statements.
///
/// ```no_run
/// # async fn demo(pool: &txova_db::postgres::Pool) -> txova_db::Result<()> {
/// use txova_db::Table;
/// use txova_db::postgres::insert_rows;
///
/// #[derive(Table)]
/// #[table(name = "drivers")]
/// struct Driver {
///     #[column(primary_key, default)]
///     id: i64,
///     name: String,
/// }
///
/// let drivers: Vec<Driver> = (0..10)
///     .map(|i| Driver { id: 0, name: format!("driver {i}") })
///     .collect();
/// let written = insert_rows(&drivers).execute(pool).await?;
/// assert_eq!(written, 10);
/// let ids: Vec<i64> = insert_rows(&drivers).returning(pool, Driver::id).await?;
/// # Ok(()) }
/// ```
#[must_use = "nothing is inserted until `execute` or a `returning` method runs"]
pub fn insert_rows<T: Insertable>(rows: &[T]) -> InsertRows<'_, T> {
    InsertRows { rows }
}

/// A multi-row insert made by [`insert_rows`].
pub struct InsertRows<'r, T> {
    rows: &'r [T],
}

impl<T> std::fmt::Debug for InsertRows<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InsertRows")
            .field("rows", &self.rows.len())
            .finish()
    }
}

impl<T: Insertable + Sync> InsertRows<'_, T> {
    /// Inserts the rows and returns how many were written.
    pub async fn execute(&self, on: impl TxSource) -> Result<u64> {
        if self.rows.is_empty() {
            return Ok(0);
        }
        let rows = self.rows;
        with_tx(on, async |tx| {
            let mut written = 0;
            for (sql, params) in chunks(rows, "")? {
                written += tx.execute(&sql, &params).await?;
            }
            Ok(written)
        })
        .await
    }

    /// Inserts the rows and returns the value of `column` for each, in the order of the rows
    /// (`returning id`).
    pub async fn returning<C>(&self, on: impl TxSource, column: C) -> Result<Vec<C::Type>>
    where
        C: Column<Table = T>,
        C::Type: FromSqlOwned,
    {
        let _ = column;
        let returning = format!(" RETURNING {}", C::SQL_NAME);
        self.fetch(on, &returning, |row| {
            row.try_get(0).map_err(|e| {
                Error::with_source(
                    crate::ErrorKind::Decode,
                    format!("column `{}` could not be read", C::NAME),
                    e,
                )
            })
        })
        .await
    }

    /// Inserts the rows and returns each as the database wrote it (with its defaults), in the
    /// order of the rows (`returning *`).
    pub async fn returning_rows(&self, on: impl TxSource) -> Result<Vec<T>>
    where
        T: FromRow,
    {
        let mut returning = String::from(" RETURNING ");
        for (i, c) in T::COLUMNS.iter().enumerate() {
            if i > 0 {
                returning.push_str(", ");
            }
            returning.push_str(c);
        }
        self.fetch(on, &returning, T::from_row).await
    }

    async fn fetch<R>(
        &self,
        on: impl TxSource,
        returning: &str,
        read: impl Fn(&tokio_postgres::Row) -> Result<R>,
    ) -> Result<Vec<R>> {
        if self.rows.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self.rows;
        with_tx(on, async |tx| {
            let mut out = Vec::with_capacity(rows.len());
            for (sql, params) in chunks(rows, returning)? {
                for row in tx.query(&sql, &params).await? {
                    out.push(read(&row)?);
                }
            }
            Ok(out)
        })
        .await
    }
}

/// The statements that insert `rows`, each with its values.
fn chunks<'r, T: Insertable>(
    rows: &'r [T],
    returning: &str,
) -> Result<Vec<(String, Vec<Param<'r>>)>> {
    let width = T::INSERT_WIDTH;
    if width == 0 {
        return Err(Error::invalid_input(format!(
            "table `{}` has no column to insert: every field is `#[column(default)]`",
            T::NAME
        )));
    }
    let mut out = Vec::new();
    let mut rest = rows;
    for size in chunk_sizes(rows.len(), MAX_PARAMS / width) {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        let mut params = Vec::with_capacity(size * width);
        for row in chunk {
            params.extend((0..width).map(|i| row.insert_param(i)));
        }
        out.push((statement::<T>(size, returning), params));
    }
    Ok(out)
}

/// Splits `n` rows into chunks of at most `max`: full chunks of `max`, then the rest as
/// powers of two, so few distinct statements exist.
fn chunk_sizes(n: usize, max: usize) -> Vec<usize> {
    let mut sizes = vec![max; n / max];
    let mut rest = n % max;
    while rest > 0 {
        let p = 1 << rest.ilog2();
        sizes.push(p);
        rest -= p;
    }
    sizes
}

/// `INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)` for `rows` rows.
fn statement<T: Insertable>(rows: usize, returning: &str) -> String {
    let width = T::INSERT_WIDTH;
    let mut sql = String::with_capacity(32 + rows * width * 8);
    let _ = write!(sql, "INSERT INTO {} (", T::SQL_NAME);
    for (i, c) in T::INSERT_COLUMNS.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(c);
    }
    sql.push_str(") VALUES ");
    let mut n = 1;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for i in 0..width {
            let _ = write!(sql, "{}${n}", if i == 0 { "" } else { ", " });
            n += 1;
        }
        sql.push(')');
    }
    sql.push_str(returning);
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_stay_under_the_parameter_limit_with_few_sizes() {
        assert_eq!(chunk_sizes(0, 10), Vec::<usize>::new());
        assert_eq!(chunk_sizes(7, 10), vec![4, 2, 1]);
        assert_eq!(chunk_sizes(25, 10), vec![10, 10, 4, 1]);
        let sizes = chunk_sizes(100_000, MAX_PARAMS / 5);
        assert_eq!(sizes.iter().sum::<usize>(), 100_000);
        assert!(sizes.iter().all(|s| s * 5 <= MAX_PARAMS));
    }
}
