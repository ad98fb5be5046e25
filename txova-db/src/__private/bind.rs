//! Binding values: each checked against its column, then borrowed as a parameter.

use super::{
    Assignable, Column, Comparable, ComparableList, NullAssignable, Param, Table, Text, ToSql, Type,
};

/// The SQL name of a column, from its handle; usable in a `const`.
#[must_use]
pub const fn col<C: Column>(_: &C) -> &'static str {
    C::SQL_NAME
}

/// The SQL name of a column's table, from the column's handle; usable in a `const`.
#[must_use]
pub const fn col_table<C: Column>(_: &C) -> &'static str {
    <C::Table as Table>::SQL_NAME
}

/// Binds a value compared with column `C`, checking its type.
#[inline]
pub fn cmp<'a, C: Column, V: Comparable<C::Value, C>>(_: &C, v: &'a V) -> Param<'a> {
    v
}

/// Binds a list of values compared with column `C` (`in` with one array parameter).
#[inline]
pub fn cmp_any<'a, C: Column, V: ComparableList<C::Value, C>>(_: &C, v: &'a V) -> Param<'a> {
    v
}

/// Binds a value assigned to column `C`, checking its type.
#[inline]
pub fn set<'a, C: Column, V: Assignable<C::Type, C>>(_: &C, v: &'a V) -> Param<'a> {
    v
}

/// Binds a `limit` or `offset` value.
#[inline]
#[must_use]
pub fn count(v: &i64) -> Param<'_> {
    v
}

/// Binds a `like` pattern for a text column.
#[inline]
pub fn pattern<'a, C: Column, V: Comparable<String, C>>(_: &C, v: &'a V) -> Param<'a>
where
    C::Value: Text<C>,
{
    v
}

pub use crate::postgres::Insertable as Insert;

/// A `NULL`, for slots that are never sent.
pub const NULL_PARAM: Param<'static> = &None::<i32>;

/// A row given to `insert!`: the table struct or a reference to it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a row of table `{T}`",
    label = "expected a `{T}` or a `&{T}`"
)]
pub trait RowRef<T> {
    /// The row.
    fn row(&self) -> &T;
}

impl<T> RowRef<T> for T {
    fn row(&self) -> &T {
        self
    }
}

impl<T> RowRef<T> for &T {
    fn row(&self) -> &T {
        self
    }
}

/// The parameters of rows inserted from structs, followed by `extra`.
pub fn insert_params<'a, T: Insert, const N: usize>(
    rows: &[&'a T],
    extra: &[Param<'a>],
) -> [Param<'a>; N] {
    let w = T::INSERT_WIDTH;
    let n = rows.len() * w;
    core::array::from_fn(|i| {
        if i < n {
            rows[i / w].insert_param(i % w)
        } else {
            extra.get(i - n).copied().unwrap_or(NULL_PARAM)
        }
    })
}

/// A typed `NULL`: accepted wherever `T` is, sent as `NULL`.
pub struct NullOf<T>(core::marker::PhantomData<fn() -> T>);

impl<T> std::fmt::Debug for NullOf<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NULL")
    }
}

impl<T: ToSql> ToSql for NullOf<T> {
    fn to_sql(
        &self,
        _: &Type,
        _: &mut tokio_postgres::types::private::BytesMut,
    ) -> std::result::Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>
    {
        Ok(tokio_postgres::types::IsNull::Yes)
    }

    fn accepts(ty: &Type) -> bool {
        T::accepts(ty)
    }

    tokio_postgres::types::to_sql_checked!();
}

/// Binds `None` assigned to column `C`, which must be nullable.
#[must_use]
pub fn null<C: Column>(_: &C) -> Param<'static>
where
    C::Type: NullAssignable<C>,
    C::Value: ToSql + Sync,
{
    &NullOf::<C::Value>(core::marker::PhantomData)
}

/// Binds a value compared with `avg(col)` in `having`.
#[inline]
#[must_use]
pub fn avg_value(v: &f64) -> Param<'_> {
    v
}
