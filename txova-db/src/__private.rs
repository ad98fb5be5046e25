//! Support for the code the macros generate. Not a public API: it may change in any release.

#![doc(hidden)]

use tokio_postgres::Row;
use tokio_postgres::types::{FromSqlOwned, Type};

pub use crate::postgres::{
    Assignable, Column, ColumnInfo, Comparable, ComparableList, FromRow, Param, Query, Statement,
    Table, ToSql,
};
pub use crate::{Error, Result};
pub use core::option::Option;
pub use core::result::Result::Ok;
pub use std::vec::Vec;
pub use tokio_postgres::Row as PgRow;
pub use tokio_postgres::types::Type as PgType;

/// One piece of a statement's SQL text, joined at compile time by [`sql_len`] and
/// [`sql_bytes`].
#[derive(Clone, Copy)]
pub enum Part {
    /// Text as is.
    Str(&'static str),
    /// A placeholder `$n`.
    Param(usize),
    /// Names joined by `, `.
    List(&'static [&'static str]),
    /// Names joined by `, `, each prefixed with the table and a dot.
    QualifiedList(&'static str, &'static [&'static str]),
    /// `count` groups of `width` placeholders from `$first`: `($1, $2), ($3, $4)`.
    Rows {
        /// The first placeholder's number.
        first: usize,
        /// Placeholders per row.
        width: usize,
        /// Rows.
        count: usize,
    },
}

const fn digits(mut n: usize) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

const fn part_len(part: &Part) -> usize {
    match *part {
        Part::Str(s) => s.len(),
        Part::Param(n) => 1 + digits(n),
        Part::List(names) => list_len("", names),
        Part::QualifiedList(table, names) => list_len(table, names),
        Part::Rows {
            first,
            width,
            count,
        } => {
            let mut len = 0;
            let mut i = 0;
            while i < count * width {
                if i % width == 0 {
                    len += if i == 0 { 1 } else { 4 };
                } else {
                    len += 2;
                }
                len += 1 + digits(first + i);
                i += 1;
            }
            if count * width > 0 {
                len += 1;
            }
            len
        }
    }
}

const fn list_len(table: &str, names: &[&str]) -> usize {
    let mut len = 0;
    let mut i = 0;
    while i < names.len() {
        if i > 0 {
            len += 2;
        }
        if !table.is_empty() {
            len += table.len() + 1;
        }
        len += names[i].len();
        i += 1;
    }
    len
}

/// The length in bytes of the SQL text the parts make.
#[must_use]
pub const fn sql_len(parts: &[Part]) -> usize {
    let mut len = 0;
    let mut i = 0;
    while i < parts.len() {
        len += part_len(&parts[i]);
        i += 1;
    }
    len
}

struct Buf<const N: usize> {
    bytes: [u8; N],
    at: usize,
}

impl<const N: usize> Buf<N> {
    const fn str(mut self, s: &str) -> Self {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            self.bytes[self.at] = b[i];
            self.at += 1;
            i += 1;
        }
        self
    }

    const fn param(mut self, n: usize) -> Self {
        self.bytes[self.at] = b'$';
        self.at += 1;
        let d = digits(n);
        let mut k = d;
        let mut v = n;
        while k > 0 {
            k -= 1;
            // `v % 10` is below 10, so the cast keeps it.
            #[allow(clippy::cast_possible_truncation, reason = "a digit fits in a byte")]
            let digit = (v % 10) as u8;
            self.bytes[self.at + k] = b'0' + digit;
            v /= 10;
        }
        self.at += d;
        self
    }

    const fn list(mut self, table: &str, names: &[&str]) -> Self {
        let mut i = 0;
        while i < names.len() {
            if i > 0 {
                self = self.str(", ");
            }
            if !table.is_empty() {
                self = self.str(table).str(".");
            }
            self = self.str(names[i]);
            i += 1;
        }
        self
    }
}

/// The SQL text the parts make, as bytes; `N` must be [`sql_len`] of the parts.
///
/// # Panics
///
/// When `N` is not the parts' length; evaluated in a `const`, that is a compile error.
#[must_use]
pub const fn sql_bytes<const N: usize>(parts: &[Part]) -> [u8; N] {
    let mut buf = Buf {
        bytes: [0; N],
        at: 0,
    };
    let mut i = 0;
    while i < parts.len() {
        buf = match parts[i] {
            Part::Str(s) => buf.str(s),
            Part::Param(n) => buf.param(n),
            Part::List(names) => buf.list("", names),
            Part::QualifiedList(table, names) => buf.list(table, names),
            Part::Rows {
                first,
                width,
                count,
            } => {
                let mut j = 0;
                while j < count * width {
                    if j % width == 0 {
                        buf = buf.str(if j == 0 { "(" } else { "), (" });
                    } else {
                        buf = buf.str(", ");
                    }
                    buf = buf.param(first + j);
                    j += 1;
                }
                if count * width > 0 {
                    buf = buf.str(")");
                }
                buf
            }
        };
        i += 1;
    }
    assert!(buf.at == N, "sql length mismatch");
    buf.bytes
}

/// The bytes as text.
///
/// # Panics
///
/// When the bytes are not UTF-8, which cannot happen for bytes made from `&str` parts;
/// evaluated in a `const`, that is a compile error.
#[must_use]
pub const fn sql_str(bytes: &'static [u8]) -> &'static str {
    match core::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(_) => panic!("sql is not utf-8"),
    }
}

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

/// A column's type is text, so `like` applies.
#[diagnostic::on_unimplemented(
    message = "`like` needs a text column, but column `{C}` has type `{Self}`",
    label = "not a `String` column"
)]
pub trait Text<C> {}

impl<C> Text<C> for String {}

/// A column may hold `NULL`.
#[diagnostic::on_unimplemented(
    message = "column `{C}` of type `{Self}` is never NULL, so `is null` is always false",
    label = "this column is not nullable",
    note = "make the field an `Option<_>` if the column is nullable"
)]
pub trait Nullable<C> {}

impl<T, C> Nullable<C> for Option<T> {}

/// Checks at compile time that `is null` applies to the column.
pub const fn nullable<C: Column>(_: &C)
where
    C::Type: Nullable<C>,
{
}

/// Two columns whose values can be matched by a join.
#[diagnostic::on_unimplemented(
    message = "cannot join column `{Self}` with column `{B}`: their types differ",
    label = "the columns on both sides of `=` must have the same Rust type"
)]
pub trait JoinOn<B> {}

#[diagnostic::do_not_recommend]
impl<A: Column, B: Column<Value = A::Value>> JoinOn<B> for A {}

/// Checks at compile time that a join matches columns of one type.
pub const fn join_on<A: Column + JoinOn<B>, B: Column>(_: &A, _: &B) {}

/// What `sum` of a column of this type returns.
#[diagnostic::on_unimplemented(
    message = "cannot `sum` a column of type `{Self}`",
    label = "`sum` needs a column of type i16, i32, i64, f32 or f64"
)]
pub trait Summable {
    /// The sum's Rust type.
    type Sum: FromSqlOwned;
    /// What follows `sum(col)` in SQL so the server returns that type.
    const CAST: &'static str;
}

impl Summable for i16 {
    type Sum = i64;
    const CAST: &'static str = "";
}
impl Summable for i32 {
    type Sum = i64;
    const CAST: &'static str = "";
}
impl Summable for i64 {
    type Sum = i64;
    // PostgreSQL sums bigints as numeric; the cast keeps a bigint (an overflow is an error).
    const CAST: &'static str = "::int8";
}
impl Summable for f32 {
    type Sum = f32;
    const CAST: &'static str = "";
}
impl Summable for f64 {
    type Sum = f64;
    const CAST: &'static str = "";
}

/// The cast that follows `sum(col)`.
#[must_use]
pub const fn sum_cast<C: Column>(_: &C) -> &'static str
where
    C::Value: Summable,
{
    <C::Value as Summable>::CAST
}

/// Reads `sum(col)`: `None` over no rows.
pub fn get_sum<C: Column>(
    row: &Row,
    idx: usize,
    _: &C,
) -> Result<Option<<C::Value as Summable>::Sum>>
where
    C::Value: Summable,
{
    row.try_get(idx).map_err(|e| decode_error(row, idx, &e))
}

/// A column whose average is a number.
#[diagnostic::on_unimplemented(
    message = "cannot `avg` a column of type `{Self}`",
    label = "`avg` needs a numeric column"
)]
pub trait Averageable {}

impl Averageable for i16 {}
impl Averageable for i32 {}
impl Averageable for i64 {}
impl Averageable for f32 {}
impl Averageable for f64 {}

/// Reads `avg(col)::float8`: `None` over no rows.
pub fn get_avg<C: Column>(row: &Row, idx: usize, _: &C) -> Result<Option<f64>>
where
    C::Value: Averageable,
{
    row.try_get(idx).map_err(|e| decode_error(row, idx, &e))
}

/// Reads column `idx` of `row` as the Rust type of column `C`.
#[inline]
pub fn get<C: Column>(row: &Row, idx: usize, _: &C) -> Result<C::Type>
where
    C::Type: FromSqlOwned,
{
    row.try_get(idx).map_err(|e| decode_error(row, idx, &e))
}

/// Reads column `idx` of `row`, left-joined, as the non-null Rust type of column `C` or
/// `None`.
#[inline]
pub fn get_opt<C: Column>(row: &Row, idx: usize, _: &C) -> Result<Option<C::Value>>
where
    C::Value: FromSqlOwned,
{
    row.try_get(idx).map_err(|e| decode_error(row, idx, &e))
}

/// Reads a value of type `T` from column `idx`.
#[inline]
pub fn get_as<T: ColumnType>(row: &Row, idx: usize) -> Result<T> {
    row.try_get(idx).map_err(|e| decode_error(row, idx, &e))
}

/// Reads a left-joined table from `start`: `None` when all its columns are `NULL`.
pub fn get_table_opt<T: FromRow>(row: &Row, start: usize) -> Result<Option<T>> {
    for i in start..start + T::WIDTH {
        if row.try_get::<_, Option<AnyValue>>(i)?.is_some() {
            return T::from_row_at(row, start).map(Some);
        }
    }
    Ok(None)
}

/// Any value, ignored: used to test a column for `NULL`.
struct AnyValue;

impl<'a> FromSql<'a> for AnyValue {
    fn from_sql(
        _: &Type,
        _: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(AnyValue)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Checks at compile time that a field's type can be a column.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the type of a column",
    label = "this type is not a PostgreSQL value",
    note = "a column's type must implement `ToSql` and `FromSql` (bool, integers, floats, String, Vec<u8>, uuid, chrono, serde_json::Value, Json<T>, Vec<T>, a `#[derive(PgEnum)]` enum, or Option of these)"
)]
pub trait ColumnType: ToSql + FromSqlOwned + Send + Sync {}

// Not recommended, so a type lacking both traits gets one error, not one per trait.
#[diagnostic::do_not_recommend]
impl<T: ToSql + FromSqlOwned + Send + Sync> ColumnType for T {}

/// Requires `T` to be a column type.
pub const fn column_type<T: ColumnType>() {}

/// Whether a field of type `T` can read a column of PostgreSQL type `ty`.
#[must_use]
pub fn accepts<T: ColumnType>(ty: &Type) -> bool {
    <T as FromSql<'_>>::accepts(ty)
}

/// What `#[derive(Table)]` adds for `insert!` from a struct.
pub trait Insert: Table {
    /// The SQL names of the columns an insert writes: all but `#[column(default)]` ones.
    const INSERT_COLUMNS: &'static [&'static str];
    /// How many columns an insert writes.
    const INSERT_WIDTH: usize;
    /// The value of the `index`th inserted column.
    fn insert_param(&self, index: usize) -> Param<'_>;
}

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
    C::Type: Nullable<C>,
    C::Value: ToSql + Sync,
{
    &NullOf::<C::Value>(core::marker::PhantomData)
}

/// A field's type, for the reads and writes the derive generates. Those go through
/// [`FieldOk`] when the type is a [`ColumnType`] and through [`FieldFallback`] otherwise, so a
/// field of a wrong type is reported once, by the derive's explicit check, not at every use.
pub struct Field<T>(core::marker::PhantomData<fn() -> T>);

impl<T> Default for Field<T> {
    fn default() -> Self {
        Field::new()
    }
}

impl<T> Field<T> {
    /// The field type's marker.
    #[must_use]
    pub const fn new() -> Self {
        Field(core::marker::PhantomData)
    }
}

/// A field's value, for the parameters the derive generates; see [`Field`].
pub struct FieldRef<'a, T>(pub &'a T);

/// The reads and writes of a field whose type is a column type.
pub trait FieldOk<T> {
    /// Reads the field from column `idx`.
    fn read(&self, row: &Row, idx: usize) -> Result<T>;
    /// Whether the field can read a column of type `ty`.
    fn accepts(&self, ty: &Type) -> bool;
}

impl<T: ColumnType> FieldOk<T> for Field<T> {
    #[inline]
    fn read(&self, row: &Row, idx: usize) -> Result<T> {
        row.try_get(idx).map_err(|e| decode_error(row, idx, &e))
    }

    fn accepts(&self, ty: &Type) -> bool {
        <T as FromSql<'_>>::accepts(ty)
    }
}

/// What the derive's code falls back to for a field whose type is not a column type; that
/// code never runs, since the derive's check fails the build.
pub trait FieldFallback<T> {
    /// Fails.
    fn read(&self, _row: &Row, _idx: usize) -> Result<T> {
        Err(Error::new(crate::ErrorKind::Decode, "not a column type"))
    }
    /// Accepts nothing.
    fn accepts(&self, _ty: &Type) -> bool {
        false
    }
}

impl<T> FieldFallback<T> for &Field<T> {}

/// A field's value as a parameter, when its type is a column type.
pub trait FieldParamOk<'a> {
    /// The value as a parameter.
    fn param(&self) -> Param<'a>;
}

impl<'a, T: ColumnType> FieldParamOk<'a> for FieldRef<'a, T> {
    #[inline]
    fn param(&self) -> Param<'a> {
        self.0
    }
}

/// The fallback of [`FieldParamOk`]; never runs.
pub trait FieldParamFallback<'a> {
    /// A `NULL`.
    fn param(&self) -> Param<'a> {
        NULL_PARAM
    }
}

impl<'a, T> FieldParamFallback<'a> for &FieldRef<'a, T> {}

pub use tokio_postgres::types::private::BytesMut;
pub use tokio_postgres::types::{FromSql, IsNull, to_sql_checked};

/// The result type of `ToSql` and `FromSql` methods.
pub type SqlResult<T> = std::result::Result<T, Box<dyn std::error::Error + Sync + Send>>;

/// Whether `ty` is the PostgreSQL enum `name` (or text, which an enum's label also fits).
#[must_use]
pub fn is_enum(ty: &Type, name: &str) -> bool {
    match ty.kind() {
        tokio_postgres::types::Kind::Enum(_) => ty.name() == name,
        _ => matches!(*ty, Type::TEXT | Type::VARCHAR),
    }
}

/// An enum value's label.
pub fn label(raw: &[u8]) -> SqlResult<&str> {
    Ok(std::str::from_utf8(raw)?)
}

/// The error for a label the Rust enum does not know.
pub fn unknown_label<T>(name: &str, label: &str) -> SqlResult<T> {
    Err(format!("`{label}` is not a label of enum `{name}` known to this program").into())
}

/// The error for a column that could not be read: which column, and why.
#[cold]
#[inline(never)]
fn decode_error(row: &Row, idx: usize, e: &tokio_postgres::Error) -> Error {
    let name = row
        .columns()
        .get(idx)
        .map_or("?", tokio_postgres::Column::name);
    let why = std::error::Error::source(e).map_or_else(|| e.to_string(), ToString::to_string);
    Error::new(
        crate::ErrorKind::Decode,
        format!("cannot read column `{name}` (position {idx}): {why}"),
    )
}

/// A `#[derive(FromRow)]` struct reads columns of the types `T`, a tuple, in order.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not fit the selected columns, whose types are `{T}`",
    label = "the struct's fields must have the selected columns' types, in order"
)]
pub trait FromColumns<T> {}

/// The Rust type a selected column reads as.
#[must_use]
pub const fn ty_of<C: Column>(_: &C) -> core::marker::PhantomData<C::Type> {
    core::marker::PhantomData
}

/// The Rust type a left-joined column reads as.
#[must_use]
pub const fn ty_of_opt<C: Column>(_: &C) -> core::marker::PhantomData<Option<C::Value>> {
    core::marker::PhantomData
}

/// The Rust type `sum` of a column reads as.
#[must_use]
pub const fn ty_of_sum<C: Column>(
    _: &C,
) -> core::marker::PhantomData<Option<<C::Value as Summable>::Sum>>
where
    C::Value: Summable,
{
    core::marker::PhantomData
}

/// The types of selected columns, from the markers of [`ty_of`] and its kin.
pub trait Markers {
    /// The tuple of the columns' types.
    type Types;
}

macro_rules! markers {
    ($($t:ident),+) => {
        impl<$($t),+> Markers for ($(core::marker::PhantomData<$t>,)+) {
            type Types = ($($t,)+);
        }
    };
}

markers!(A);
markers!(A, B);
markers!(A, B, C);
markers!(A, B, C, D);
markers!(A, B, C, D, E);
markers!(A, B, C, D, E, F);
markers!(A, B, C, D, E, F, G);
markers!(A, B, C, D, E, F, G, H);
markers!(A, B, C, D, E, F, G, H, I);
markers!(A, B, C, D, E, F, G, H, I, J);
markers!(A, B, C, D, E, F, G, H, I, J, K);
markers!(A, B, C, D, E, F, G, H, I, J, K, L);
markers!(A, B, C, D, E, F, G, H, I, J, K, L, M);
markers!(A, B, C, D, E, F, G, H, I, J, K, L, M, N);
markers!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O);
markers!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P);

/// `Self` reads the columns whose type markers are `M`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not fit the selected columns",
    label = "the struct's fields must have the selected columns' types, in order",
    note = "the selected columns' types, in order, are the `PhantomData<...>` types in `Fits<(...)>` above"
)]
pub trait Fits<M> {}

#[diagnostic::do_not_recommend]
impl<R: FromColumns<M::Types>, M: Markers> Fits<M> for R {}

/// Checks at compile time that `R` reads the selected columns.
pub const fn row_fits<R: Fits<T>, T>(_: &T) {}

#[cfg(test)]
mod tests {
    use super::*;

    const PARTS: &[Part] = &[
        Part::Str("INSERT INTO t ("),
        Part::List(&["a", "\"order\""]),
        Part::Str(") VALUES "),
        Part::Rows {
            first: 1,
            width: 2,
            count: 6,
        },
        Part::Str(" RETURNING "),
        Part::QualifiedList("t", &["a"]),
        Part::Str(" -- "),
        Part::Param(13),
    ];
    const LEN: usize = sql_len(PARTS);
    const BYTES: [u8; LEN] = sql_bytes::<LEN>(PARTS);
    const SQL: &str = sql_str(&BYTES);

    #[test]
    fn parts_join_at_compile_time() {
        assert_eq!(
            SQL,
            "INSERT INTO t (a, \"order\") VALUES ($1, $2), ($3, $4), ($5, $6), ($7, $8), \
             ($9, $10), ($11, $12) RETURNING t.a -- $13"
        );
        assert_eq!(
            sql_len(&[Part::Rows {
                first: 1,
                width: 0,
                count: 3
            }]),
            0
        );
        assert_eq!(sql_len(&[Part::Param(100)]), 4);
    }
}
