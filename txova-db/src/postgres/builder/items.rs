//! What a typed run-time `SELECT` reads: columns, whole tables and aggregates, each with the
//! Rust type it reads as, so the rows come out typed.
//!
//! The type system cannot know which tables a query built at run time left-joins, so that
//! check is made when the select list is chosen: a column of a left-joined table must be read
//! as an `Option` ([`ColumnExt::nullable`](super::ColumnExt::nullable),
//! [`AllColumns::nullable`]), or the query is refused with
//! [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) before anything is sent.

use std::marker::PhantomData;

use tokio_postgres::Row;

use super::super::executor::{Executor, Param};
use super::super::query::FromRow;
use super::super::schema::{Column, Comparable, Table};
use super::{Condition, Select, Value};
use crate::__private::{ColumnType, get_as, get_table_opt};
use crate::error::Result;

/// One entry of the select list, as a [`SelectItem`] writes it.
#[derive(Debug, Clone)]
pub struct Picked {
    /// The SQL of the entry: one expression, or several separated by `, `.
    pub(super) sql: String,
    /// The table whose columns the entry reads, which must be in the query.
    pub(super) table: Option<&'static str>,
    /// Whether the entry reads `NULL` as `None`, so it may come from a left-joined table.
    pub(super) reads_null: bool,
}

/// Something a typed [`Select::select`] reads: a column handle (`User::name`, read as the
/// field's type), [`ColumnExt::nullable`](super::ColumnExt::nullable) (read as an `Option`), a
/// whole table ([`all_columns`]) or an aggregate (`User::age.sum()`, [`count_all`]).
pub trait SelectItem {
    /// The Rust type the item reads as.
    type Out;
    /// How many columns of the row the item reads.
    const WIDTH: usize;
    /// What the item adds to the select list.
    fn pick(&self) -> Picked;
    /// Reads the item from `row`, starting at column `at`.
    fn read_at(row: &Row, at: usize) -> Result<Self::Out>;
}

impl<C> SelectItem for C
where
    C: Column,
    C::Type: ColumnType,
{
    type Out = C::Type;
    const WIDTH: usize = 1;

    fn pick(&self) -> Picked {
        Picked {
            sql: super::qualified::<C>(),
            table: Some(<C::Table as Table>::SQL_NAME),
            reads_null: C::NULLABLE,
        }
    }

    fn read_at(row: &Row, at: usize) -> Result<C::Type> {
        get_as(row, at)
    }
}

/// A column read as an `Option`; see [`ColumnExt::nullable`](super::ColumnExt::nullable).
#[derive(Debug, Clone, Copy)]
pub struct NullableColumn<C>(pub(super) C);

impl<C> SelectItem for NullableColumn<C>
where
    C: Column,
    Option<C::Value>: ColumnType,
{
    type Out = Option<C::Value>;
    const WIDTH: usize = 1;

    fn pick(&self) -> Picked {
        Picked {
            sql: super::qualified::<C>(),
            table: Some(<C::Table as Table>::SQL_NAME),
            reads_null: true,
        }
    }

    fn read_at(row: &Row, at: usize) -> Result<Option<C::Value>> {
        get_as(row, at)
    }
}

/// Every column of table `T`, read as `T`: `all_columns::<Post>()`. For a left-joined table
/// use [`AllColumns::nullable`], read as `Option<T>`.
#[must_use]
pub fn all_columns<T: Table + FromRow>() -> AllColumns<T> {
    AllColumns(PhantomData)
}

/// Every column of a table; see [`all_columns`].
pub struct AllColumns<T>(PhantomData<fn() -> T>);

impl<T> std::fmt::Debug for AllColumns<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AllColumns")
    }
}

impl<T: Table + FromRow> AllColumns<T> {
    /// The table read as `Option<T>`: `None` where all its columns are `NULL`, as a
    /// left-joined table is where nothing matched.
    #[must_use]
    pub fn nullable(self) -> NullableColumns<T> {
        NullableColumns(PhantomData)
    }
}

fn pick_table<T: Table>(reads_null: bool) -> Picked {
    let mut sql = String::new();
    for (i, c) in T::COLUMNS.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(T::SQL_NAME);
        sql.push('.');
        sql.push_str(c);
    }
    Picked {
        sql,
        table: Some(T::SQL_NAME),
        reads_null,
    }
}

impl<T: Table + FromRow> SelectItem for AllColumns<T> {
    type Out = T;
    const WIDTH: usize = T::WIDTH;

    fn pick(&self) -> Picked {
        pick_table::<T>(false)
    }

    fn read_at(row: &Row, at: usize) -> Result<T> {
        T::from_row_at(row, at)
    }
}

/// Every column of a table read as an `Option`; see [`AllColumns::nullable`].
pub struct NullableColumns<T>(PhantomData<fn() -> T>);

impl<T> std::fmt::Debug for NullableColumns<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NullableColumns")
    }
}

impl<T: Table + FromRow> SelectItem for NullableColumns<T> {
    type Out = Option<T>;
    const WIDTH: usize = T::WIDTH;

    fn pick(&self) -> Picked {
        pick_table::<T>(true)
    }

    fn read_at(row: &Row, at: usize) -> Result<Option<T>> {
        get_table_opt(row, at)
    }
}

/// An aggregate: `count`, `sum`, `avg`, `min` or `max` of a column, or [`count_all`].
///
/// `V` is the type a value compared with it in `having` must have, and `O` the type it reads
/// as in [`Select::select`]. Made by [`ColumnExt`](super::ColumnExt)'s `count`, `sum`, `avg`,
/// `min` and `max`.
pub struct Aggregate<V, O> {
    sql: String,
    table: Option<&'static str>,
    types: PhantomData<fn() -> (V, O)>,
}

impl<V, O> std::fmt::Debug for Aggregate<V, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Aggregate").field(&self.sql).finish()
    }
}

impl<V, O> Clone for Aggregate<V, O> {
    fn clone(&self) -> Self {
        Aggregate {
            sql: self.sql.clone(),
            table: self.table,
            types: PhantomData,
        }
    }
}

/// `count(*)`: the number of rows (of each group), read as `i64`.
#[must_use]
pub fn count_all() -> Aggregate<i64, i64> {
    Aggregate::new("count(*)".to_owned(), None)
}

impl<V, O> Aggregate<V, O> {
    pub(super) fn new(sql: String, table: Option<&'static str>) -> Self {
        Aggregate {
            sql,
            table,
            types: PhantomData,
        }
    }

    fn compare(self, op: &str, value: Value) -> Condition {
        let mut sql = self.sql;
        sql.push(' ');
        sql.push_str(op);
        sql.push_str(" ?");
        Condition::sql(sql, vec![value])
    }

    /// `aggregate = value`, for `having`.
    #[must_use]
    pub fn eq<X: Comparable<V, Self> + Send + 'static>(self, value: X) -> Condition {
        self.compare("=", Box::new(value))
    }
    /// `aggregate <> value`
    #[must_use]
    pub fn ne<X: Comparable<V, Self> + Send + 'static>(self, value: X) -> Condition {
        self.compare("<>", Box::new(value))
    }
    /// `aggregate < value`
    #[must_use]
    pub fn lt<X: Comparable<V, Self> + Send + 'static>(self, value: X) -> Condition {
        self.compare("<", Box::new(value))
    }
    /// `aggregate <= value`
    #[must_use]
    pub fn le<X: Comparable<V, Self> + Send + 'static>(self, value: X) -> Condition {
        self.compare("<=", Box::new(value))
    }
    /// `aggregate > value`
    #[must_use]
    pub fn gt<X: Comparable<V, Self> + Send + 'static>(self, value: X) -> Condition {
        self.compare(">", Box::new(value))
    }
    /// `aggregate >= value`
    #[must_use]
    pub fn ge<X: Comparable<V, Self> + Send + 'static>(self, value: X) -> Condition {
        self.compare(">=", Box::new(value))
    }
    /// Ascending sort key on the aggregate.
    #[must_use]
    pub fn asc(self) -> super::SortKey {
        super::SortKey(self.sql)
    }
    /// Descending sort key on the aggregate.
    #[must_use]
    pub fn desc(mut self) -> super::SortKey {
        self.sql.push_str(" DESC");
        super::SortKey(self.sql)
    }
}

impl<V, O: ColumnType> SelectItem for Aggregate<V, O> {
    type Out = O;
    const WIDTH: usize = 1;

    fn pick(&self) -> Picked {
        Picked {
            sql: self.sql.clone(),
            table: self.table,
            // An aggregate's type says whether it can be `NULL` (`sum` is an `Option`; `count`
            // never is), whichever table its column comes from.
            reads_null: true,
        }
    }

    fn read_at(row: &Row, at: usize) -> Result<O> {
        get_as(row, at)
    }
}

/// The typed select list of [`Select::select`]: one [`SelectItem`], or a tuple of up to 12,
/// read as the tuple of their types.
pub trait Selection {
    /// The Rust type of one row.
    type Row;
    /// Adds the items to the select list.
    fn pick(&self, out: &mut Vec<Picked>);
    /// Reads one row.
    fn read(row: &Row) -> Result<Self::Row>;
}

impl<I: SelectItem> Selection for I {
    type Row = I::Out;

    fn pick(&self, out: &mut Vec<Picked>) {
        out.push(SelectItem::pick(self));
    }

    fn read(row: &Row) -> Result<I::Out> {
        I::read_at(row, 0)
    }
}

macro_rules! tuple_selection {
    ($($name:ident . $idx:tt),+) => {
        impl<$($name: SelectItem),+> Selection for ($($name,)+) {
            type Row = ($($name::Out,)+);

            fn pick(&self, out: &mut Vec<Picked>) {
                $(out.push(self.$idx.pick());)+
            }

            #[allow(unused_assignments, reason = "the last item's width is not needed")]
            fn read(row: &Row) -> Result<Self::Row> {
                let mut at = 0;
                Ok(($({
                    let v = $name::read_at(row, at)?;
                    at += $name::WIDTH;
                    v
                },)+))
            }
        }
    };
}

tuple_selection!(A.0);
tuple_selection!(A.0, B.1);
tuple_selection!(A.0, B.1, C.2);
tuple_selection!(A.0, B.1, C.2, D.3);
tuple_selection!(A.0, B.1, C.2, D.3, E.4);
tuple_selection!(A.0, B.1, C.2, D.3, E.4, F.5);
tuple_selection!(A.0, B.1, C.2, D.3, E.4, F.5, G.6);
tuple_selection!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7);
tuple_selection!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8);
tuple_selection!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9);
tuple_selection!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10);
tuple_selection!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10, L.11);

/// A [`Select`] whose rows are read as `R`; made by [`Select::select`].
pub struct TypedSelect<R> {
    pub(super) select: Select,
    pub(super) read: fn(&Row) -> Result<R>,
}

impl<R> std::fmt::Debug for TypedSelect<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.select, f)
    }
}

impl<R> TypedSelect<R> {
    /// The SQL and its values; see [`Select::build`].
    pub fn build(&self) -> Result<(String, Vec<Param<'_>>)> {
        self.select.build()
    }

    /// Runs the query and reads every row.
    pub async fn fetch_all(&self, on: &impl Executor) -> Result<Vec<R>> {
        self.select
            .fetch_all(on)
            .await?
            .iter()
            .map(self.read)
            .collect()
    }

    /// Runs the query and reads its one row; zero rows is
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound).
    pub async fn fetch_one(&self, on: &impl Executor) -> Result<R> {
        (self.read)(&self.select.fetch_one(on).await?)
    }

    /// Runs the query and reads its row, if any.
    pub async fn fetch_optional(&self, on: &impl Executor) -> Result<Option<R>> {
        self.select
            .fetch_optional(on)
            .await?
            .map(|row| (self.read)(&row))
            .transpose()
    }
}
