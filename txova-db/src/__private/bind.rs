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

/// Binds a value compared with `count(*)`.
#[inline]
#[must_use]
pub fn count(v: &i64) -> Param<'_> {
    v
}

/// Binds a `limit` or `offset` value: the slot made by [`count_slot`], borrowed for as long
/// as the statement (a temporary for an integer other than `i64`).
#[inline]
#[must_use]
pub fn count_bound<'t, 'a, S: CountParam<'t, 'a>>(slot: &'t S) -> Param<'a> {
    slot.param()
}

/// The slot of a `limit` or `offset` value of any integer type: the `i64` itself, borrowed, or
/// the value converted to `i64` when it is sent.
#[inline]
pub fn count_slot<'a, N: Count<'a> + ?Sized>(v: &'a N) -> N::Slot {
    N::slot(v)
}

/// An integer type that a `limit` or `offset` accepts; it is bound as a PostgreSQL `bigint`.
#[diagnostic::on_unimplemented(
    message = "`limit` and `offset` take an integer, not `{Self}`",
    label = "expected an integer (`i64`, `i32`, `u32`, `usize`, ...)"
)]
pub trait Count<'a> {
    /// What is bound: the value itself for `i64`, its conversion for other integers.
    type Slot;
    /// The slot of `v`.
    fn slot(v: &'a Self) -> Self::Slot;
}

impl<'a> Count<'a> for i64 {
    type Slot = Param<'a>;
    #[inline]
    fn slot(v: &'a i64) -> Param<'a> {
        v
    }
}

impl<'a, N: Count<'a> + ?Sized> Count<'a> for &N {
    type Slot = N::Slot;
    #[inline]
    fn slot(v: &'a &N) -> N::Slot {
        // Borrowed from the outer reference's referent, which lives at least as long.
        N::slot(reborrow(v))
    }
}

fn reborrow<'a, N: ?Sized>(v: &'a &N) -> &'a N {
    v
}

macro_rules! converted_count {
    ($($t:ty),*) => {$(
        impl<'a> Count<'a> for $t {
            type Slot = ConvertedCount;
            #[inline]
            fn slot(v: &'a $t) -> ConvertedCount {
                ConvertedCount(i64::try_from(*v).map_err(|_| i128::try_from(*v).ok()))
            }
        }
    )*};
}

converted_count!(i8, i16, i32, isize, i128, u8, u16, u32, u64, usize, u128);

/// A `limit` or `offset` of an integer type other than `i64`, converted: a value beyond
/// `i64` fails when it is sent, with an error that says so, rather than wrapping.
#[derive(Debug)]
pub struct ConvertedCount(std::result::Result<i64, Option<i128>>);

impl ToSql for ConvertedCount {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut tokio_postgres::types::private::BytesMut,
    ) -> std::result::Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>
    {
        match self.0 {
            Ok(v) => v.to_sql(ty, out),
            Err(Some(v)) => Err(format!(
                "a `limit` or `offset` of {v} is out of range: it must fit in a bigint (at most {})",
                i64::MAX
            )
            .into()),
            Err(None) => Err(format!(
                "a `limit` or `offset` is out of range: it must fit in a bigint (at most {})",
                i64::MAX
            )
            .into()),
        }
    }

    fn accepts(ty: &Type) -> bool {
        <i64 as ToSql>::accepts(ty)
    }

    tokio_postgres::types::to_sql_checked!();
}

/// Turns a `limit` or `offset` slot into a parameter: an `i64` stays borrowed from the
/// caller's value, a converted one is borrowed from the slot.
pub trait CountParam<'t, 'a> {
    /// The parameter.
    fn param(&'t self) -> Param<'a>;
}

impl<'t, 'a> CountParam<'t, 'a> for Param<'a> {
    #[inline]
    fn param(&'t self) -> Param<'a> {
        *self
    }
}

impl<'t> CountParam<'t, 't> for ConvertedCount {
    #[inline]
    fn param(&'t self) -> Param<'t> {
        self
    }
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
