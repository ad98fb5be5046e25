//! `INSERT`, `UPDATE` and `DELETE` shaped at run time, with typed column handles: which
//! columns are set and which conditions apply are chosen while the program runs, and every
//! value is still checked against its column at compile time.

use std::marker::PhantomData;

use super::super::executor::{Executor, Param};
use super::super::query::FromRow;
use super::super::schema::{Assignable, Column, Table};
use super::{Condition, Value, placeholders, push_list, value, write_where};
use crate::error::{Error, Result};

/// Checks a condition's placeholders, keeping the first mistake.
/// The `WHERE` of an update or a delete: its conditions, whether running with none is
/// allowed, and the first condition refused.
#[derive(Default)]
struct Filters {
    conditions: Vec<Condition>,
    all: bool,
    error: Option<Error>,
}

impl Filters {
    fn add(&mut self, c: Option<Condition>) {
        if let Some(c) = c {
            match placeholders::check(&c.sql, c.values.len()) {
                Ok(()) => self.conditions.push(c),
                Err(e) => {
                    self.error.get_or_insert(e);
                }
            }
        }
    }

    /// Refuses a refused condition, and no condition without `all`: `what` is the statement
    /// ("an update of `users`") and `does` what it would do to every row.
    fn check(&self, what: &str, does: &str) -> Result<()> {
        if let Some(e) = &self.error {
            return Err(Error::invalid_input(e.to_string()));
        }
        if self.conditions.is_empty() && !self.all {
            return Err(Error::invalid_input(format!(
                "{what} without a condition {does} every row: add one with `filter_by`, or \
                 call `.all()` if that is meant"
            )));
        }
        Ok(())
    }
}

/// Starts an `INSERT` into table `T` whose columns are chosen at run time:
/// `insert_into::<User>().value(User::name, "ann").value(User::age, 30).execute(&pool)`.
#[must_use]
pub fn insert_into<T: Table>() -> Insert<T> {
    Insert {
        columns: Vec::new(),
        values: Vec::new(),
        table: PhantomData,
    }
}

/// An `INSERT` built at run time; see [`insert_into`].
pub struct Insert<T> {
    columns: Vec<&'static str>,
    values: Vec<Value>,
    table: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Insert<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Insert")
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

impl<T: Table> Insert<T> {
    /// Sets `column` to `value` (which must fit the column); the columns left out take their
    /// defaults.
    #[must_use]
    pub fn value<C, V>(mut self, column: C, value: V) -> Self
    where
        C: Column<Table = T>,
        V: Assignable<C::Type, C> + Send + 'static,
    {
        let _ = column;
        self.columns.push(C::SQL_NAME);
        self.values.push(Box::new(value));
        self
    }

    /// The SQL and its values. With no column set it is `DEFAULT VALUES`.
    pub fn build(&self) -> Result<(String, Vec<Param<'_>>)> {
        let mut sql = format!("INSERT INTO {}", T::SQL_NAME);
        if self.columns.is_empty() {
            sql.push_str(" DEFAULT VALUES");
        } else {
            sql.push_str(" (");
            for (i, c) in self.columns.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(c);
            }
            sql.push_str(") VALUES (");
            for i in 1..=self.values.len() {
                if i > 1 {
                    sql.push_str(", ");
                }
                sql.push('$');
                sql.push_str(&i.to_string());
            }
            sql.push(')');
        }
        Ok((sql, self.values.iter().map(|v| &**v as Param<'_>).collect()))
    }

    /// Runs the insert and returns the number of rows written.
    pub async fn execute(&self, on: &impl Executor) -> Result<u64> {
        let (sql, params) = self.build()?;
        on.execute(&sql, &params).await
    }

    /// Runs the insert and returns the written row, read as `T` (`RETURNING` every column).
    pub async fn returning_row(&self, on: &impl Executor) -> Result<T>
    where
        T: FromRow,
    {
        let (mut sql, params) = self.build()?;
        returning_all::<T>(&mut sql);
        T::from_row(&on.query_one(&sql, &params).await?)
    }
}

/// Appends ` RETURNING` and every column of `T`.
fn returning_all<T: Table>(sql: &mut String) {
    sql.push_str(" RETURNING ");
    let names: Vec<String> = T::COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    push_list(sql, &names);
}

/// Starts an `UPDATE` of table `T` whose assignments and conditions are chosen at run time.
///
/// An update with no condition is refused (it would change every row) unless
/// [`Update::all`] says so, as `update!` requires `where all`.
///
/// ```
/// # use txova_db::postgres::{self, Column, ColumnInfo, Table};
/// # struct User;
/// # #[derive(Clone, Copy)] struct Name;
/// # #[derive(Clone, Copy)] struct Id;
/// # impl Table for User { const SQL_NAME: &'static str = "users"; const COLUMNS: &'static [&'static str] = &["id", "name"]; const NAME: &'static str = "users"; const SCHEMA: Option<&'static str> = None; const COLUMN_INFO: &'static [ColumnInfo] = &[]; }
/// # impl Column for Name { type Table = User; type Type = String; type Value = String; const SQL_NAME: &'static str = "name"; const NAME: &'static str = "name"; const INDEX: usize = 1; const NULLABLE: bool = false; }
/// # impl Column for Id { type Table = User; type Type = i64; type Value = i64; const SQL_NAME: &'static str = "id"; const NAME: &'static str = "id"; const INDEX: usize = 0; const NULLABLE: bool = false; }
/// use txova_db::postgres::ColumnExt as _;
///
/// let new_name: Option<&'static str> = Some("ann");
/// let mut q = postgres::update_table::<User>();
/// if let Some(n) = new_name {
///     q = q.set(Name, n);
/// }
/// let q = q.filter_by(Id.eq(7_i64));
/// let (sql, args) = q.build()?;
/// assert_eq!(sql, "UPDATE users SET name = $1 WHERE users.id = $2");
/// assert_eq!(args.len(), 2);
/// // No condition: refused.
/// assert!(postgres::update_table::<User>().set(Name, "x").build().is_err());
/// # Ok::<(), txova_db::Error>(())
/// ```
#[must_use]
pub fn update_table<T: Table>() -> Update<T> {
    Update {
        sets: Vec::new(),
        values: Vec::new(),
        filters: Filters::default(),
        table: PhantomData,
    }
}

/// An `UPDATE` built at run time; see [`update_table`].
pub struct Update<T> {
    sets: Vec<&'static str>,
    values: Vec<Value>,
    filters: Filters,
    table: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Update<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Update")
            .field("set", &self.sets)
            .field("conditions", &self.filters.conditions.len())
            .finish_non_exhaustive()
    }
}

impl<T: Table> Update<T> {
    /// Sets `column` to `value`, which must fit the column (`None` only for a nullable one).
    #[must_use]
    pub fn set<C, V>(mut self, column: C, value: V) -> Self
    where
        C: Column<Table = T>,
        V: Assignable<C::Type, C> + Send + 'static,
    {
        let _ = column;
        self.sets.push(C::SQL_NAME);
        self.values.push(Box::new(value));
        self
    }

    /// A typed condition, or `None` to add nothing. Conditions are joined with `AND`.
    #[must_use]
    pub fn filter_by(mut self, condition: impl Into<Option<Condition>>) -> Self {
        self.filters.add(condition.into());
        self
    }

    /// A condition from a fragment with one `?` and its value, as [`Select::filter`](
    /// super::Select::filter) takes it.
    #[must_use]
    pub fn filter<V: tokio_postgres::types::ToSql + Sync + Send + 'static>(
        self,
        fragment: &str,
        value: V,
    ) -> Self {
        self.filter_by(Condition::sql(fragment, vec![value::boxed(value)]))
    }

    /// Allows the update to run with no condition, changing every row.
    #[must_use]
    pub fn all(mut self) -> Self {
        self.filters.all = true;
        self
    }

    /// The SQL and its values: the assignments' values first, then the conditions'.
    pub fn build(&self) -> Result<(String, Vec<Param<'_>>)> {
        if self.sets.is_empty() {
            return Err(Error::invalid_input(format!(
                "an update of `{}` sets no column: call `set` at least once",
                T::NAME
            )));
        }
        self.filters
            .check(&format!("an update of `{}`", T::NAME), "changes")?;
        let mut sql = format!("UPDATE {} SET ", T::SQL_NAME);
        let mut params: Vec<Param<'_>> = Vec::with_capacity(self.values.len());
        for (i, (c, v)) in self.sets.iter().zip(&self.values).enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(c);
            sql.push_str(" = $");
            sql.push_str(&(i + 1).to_string());
            params.push(&**v);
        }
        write_where(&mut sql, &self.filters.conditions, &mut params)?;
        Ok((sql, params))
    }

    /// Runs the update and returns the number of rows changed.
    pub async fn execute(&self, on: &impl Executor) -> Result<u64> {
        let (sql, params) = self.build()?;
        on.execute(&sql, &params).await
    }

    /// Runs the update and returns the changed rows, read as `T`.
    pub async fn returning_rows(&self, on: &impl Executor) -> Result<Vec<T>>
    where
        T: FromRow,
    {
        let (mut sql, params) = self.build()?;
        returning_all::<T>(&mut sql);
        on.query(&sql, &params)
            .await?
            .iter()
            .map(T::from_row)
            .collect()
    }
}

/// Starts a `DELETE` from table `T` whose conditions are chosen at run time. A delete with no
/// condition is refused unless [`Delete::all`] says so.
#[must_use]
pub fn delete_from<T: Table>() -> Delete<T> {
    Delete {
        filters: Filters::default(),
        table: PhantomData,
    }
}

/// A `DELETE` built at run time; see [`delete_from`].
pub struct Delete<T> {
    filters: Filters,
    table: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Delete<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delete")
            .field("conditions", &self.filters.conditions.len())
            .finish_non_exhaustive()
    }
}

impl<T: Table> Delete<T> {
    /// A typed condition, or `None` to add nothing. Conditions are joined with `AND`.
    #[must_use]
    pub fn filter_by(mut self, condition: impl Into<Option<Condition>>) -> Self {
        self.filters.add(condition.into());
        self
    }

    /// A condition from a fragment with one `?` and its value.
    #[must_use]
    pub fn filter<V: tokio_postgres::types::ToSql + Sync + Send + 'static>(
        self,
        fragment: &str,
        value: V,
    ) -> Self {
        self.filter_by(Condition::sql(fragment, vec![value::boxed(value)]))
    }

    /// Allows the delete to run with no condition, removing every row.
    #[must_use]
    pub fn all(mut self) -> Self {
        self.filters.all = true;
        self
    }

    /// The SQL and its values.
    pub fn build(&self) -> Result<(String, Vec<Param<'_>>)> {
        self.filters
            .check(&format!("a delete from `{}`", T::NAME), "removes")?;
        let mut sql = format!("DELETE FROM {}", T::SQL_NAME);
        let mut params = Vec::new();
        write_where(&mut sql, &self.filters.conditions, &mut params)?;
        Ok((sql, params))
    }

    /// Runs the delete and returns the number of rows removed.
    pub async fn execute(&self, on: &impl Executor) -> Result<u64> {
        let (sql, params) = self.build()?;
        on.execute(&sql, &params).await
    }
}
