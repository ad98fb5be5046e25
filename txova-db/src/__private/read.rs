//! Reading rows: columns by position, and the derive's quiet fallback for wrong field types.

use super::{
    Column, ColumnType, Error, FromRow, FromSql, FromSqlOwned, NULL_PARAM, Param, Result, Row,
    SumInfo, Type,
};

/// Reads `sum(col)`: `None` over no rows.
pub fn get_sum<S: FromSqlOwned>(row: &Row, idx: usize, _: SumInfo<S>) -> Result<Option<S>> {
    row.try_get(idx).map_err(|e| decode_error(row, idx, &e))
}

/// Reads `avg(col)`: `None` over no rows.
pub fn get_avg<A: FromSqlOwned>(row: &Row, idx: usize, _: SumInfo<A>) -> Result<Option<A>> {
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

/// Whether a field of type `T` can read a column of PostgreSQL type `ty`.
#[must_use]
pub fn accepts<T: ColumnType>(ty: &Type) -> bool {
    <T as FromSql<'_>>::accepts(ty)
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

/// The type of a field of a struct `S`, from a closure that reads it (`|s: &S| &s.field`).
#[inline]
#[must_use]
pub const fn field_of<S, F>(_: fn(&S) -> &F) -> core::marker::PhantomData<F> {
    core::marker::PhantomData
}

/// A selected value of Rust type `Self` read into a field of type `F`; `C` is what was
/// selected, named in the message.
#[diagnostic::on_unimplemented(
    message = "`{C}` reads as `{Self}`, which does not fit a field of type `{F}`",
    label = "this selected value is a `{Self}`",
    note = "a field must have the selected column's Rust type; a nullable or left-joined column reads as `Option<_>`"
)]
pub trait ReadAs<F, C> {
    /// The value as `F`.
    fn read_as(self) -> F;
}

impl<T, C> ReadAs<T, C> for T {
    #[inline]
    fn read_as(self) -> T {
        self
    }
}

/// Reads a value of type `T` (from `read`) into a field of type `F`, checking they are one
/// type with a message that names what was selected (`what`).
#[inline]
pub fn read_into<T: ReadAs<F, W>, F, W>(
    _: core::marker::PhantomData<F>,
    _: &W,
    read: Result<T>,
) -> Result<F> {
    read.map(ReadAs::read_as)
}

/// Reads of what was selected when it is not a column, each checking that the value's type `T`
/// is the field's `F` with a message that names the SQL (`count(...)`), not a type.
#[allow(
    non_camel_case_types,
    reason = "read in generated code as the SQL they stand for"
)]
pub mod what {
    use super::Result;
    use core::marker::PhantomData;

    macro_rules! what {
        ($($f:ident, $t:ident, $doc:literal, $msg:literal;)*) => {$(
            #[doc = concat!("A value of type `Self` read from `", $doc, "` into a field of type `F`.")]
            #[diagnostic::on_unimplemented(
                message = $msg,
                label = "this selected value is a `{Self}`",
                note = "a field must have the selected value's Rust type"
            )]
            pub trait $t<F> {
                /// The value as `F`.
                fn into_field(self) -> F;
            }

            impl<T> $t<T> for T {
                #[inline]
                fn into_field(self) -> T {
                    self
                }
            }

            #[doc = concat!("Reads `", $doc, "` into a field of type `F`.")]
            #[inline]
            pub fn $f<T: $t<F>, F>(_: PhantomData<F>, read: Result<T>) -> Result<F> {
                read.map($t::into_field)
            }
        )*};
    }

    what! {
        count, CountInto, "count(...)",
            "`count(...)` reads as `{Self}`, which does not fit a field of type `{F}`";
        sum, SumInto, "sum(...)",
            "`sum(...)` reads as `{Self}`, which does not fit a field of type `{F}`";
        avg, AvgInto, "avg(...)",
            "`avg(...)` reads as `{Self}`, which does not fit a field of type `{F}`";
        min, MinInto, "min(...)",
            "`min(...)` reads as `{Self}`, which does not fit a field of type `{F}`";
        max, MaxInto, "max(...)",
            "`max(...)` reads as `{Self}`, which does not fit a field of type `{F}`";
        expression, ExpressionInto, "an expression",
            "this expression reads as `{Self}`, which does not fit a field of type `{F}`";
    }
}

/// Reads a value of any readable type `T` from column `idx`.
#[inline]
pub fn get_as_any<T: FromSqlOwned>(row: &Row, idx: usize) -> Result<T> {
    row.try_get(idx).map_err(|e| decode_error(row, idx, &e))
}
