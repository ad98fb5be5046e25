//! Typed SQL expressions: the Rust type of each expression (`Option<T>` when it may be NULL)
//! is tracked at compile time by a zero-sized witness, [`Ty`].

use core::marker::PhantomData;

use super::{Column, Comparable, FromSqlOwned, Param, Result, Row};

/// The Rust type `T` of an SQL expression.
pub struct Ty<T>(PhantomData<fn() -> T>);

impl<T> Clone for Ty<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Ty<T> {}

/// An expression whose type is `T`.
#[must_use]
pub const fn ty<T>() -> Ty<T> {
    Ty(PhantomData)
}

/// The type of a column.
#[must_use]
pub const fn ty_col<C: Column>(_: &C) -> Ty<C::Type> {
    ty()
}

/// The type of a column that may be NULL whatever its field (left-joined).
#[must_use]
pub const fn ty_col_opt<C: Column>(_: &C) -> Ty<Option<C::Value>> {
    ty()
}

/// A type an SQL expression can have; `Base` is it without `Option`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a type an SQL expression of this grammar has",
    label = "expressions are of bool, integer, float, text, numeric, timestamp or interval types"
)]
pub trait SqlType {
    /// The type without `Option`.
    type Base;
    /// The type as nullable.
    type Nullable;
    /// The cast to this type's SQL type, for a placeholder whose type the server cannot infer
    /// (a `case` whose branches are all values).
    const CAST: &'static str;
}

impl<T: SqlType<Base = T>> SqlType for Option<T> {
    type Base = T;
    type Nullable = Option<T>;
    const CAST: &'static str = T::CAST;
}

macro_rules! sql_types {
    ($($t:ty => $cast:literal),* $(,)?) => {$(
        impl SqlType for $t {
            type Base = $t;
            type Nullable = Option<$t>;
            const CAST: &'static str = $cast;
        }
    )*};
}

sql_types!(
    bool => "::bool", i16 => "::int2", i32 => "::int4", i64 => "::int8", f32 => "::float4",
    f64 => "::float8", String => "::text",
);

sql_types!(crate::postgres::Interval => "::interval");

/// The cast to `T`'s SQL type.
#[must_use]
pub const fn sql_cast<T: SqlType>(_: Ty<T>) -> &'static str {
    T::CAST
}

#[cfg(feature = "decimal")]
sql_types!(rust_decimal::Decimal => "::numeric");

#[cfg(feature = "chrono")]
sql_types!(
    chrono::DateTime<chrono::Utc> => "::timestamptz",
    chrono::NaiveDateTime => "::timestamp",
    chrono::NaiveDate => "::date",
);

/// What a value compared with, or combined with, an expression is named in messages.
#[allow(non_camel_case_types, reason = "read in messages as SQL")]
pub struct expression;

/// A value of type `Self` used beside an expression of type `T`.
#[diagnostic::on_unimplemented(
    message = "expected a value of type `{T}` beside this expression, found `{Self}`",
    label = "expected a value of type `{T}`",
    note = "a value beside an expression has the expression's Rust type (or is a reference to it); a value added to or subtracted from a timestamp is an `Interval`, from a date an `i32` number of days"
)]
pub trait ExprValue<T>: super::ToSql + Sync {}

#[diagnostic::do_not_recommend]
impl<T, V: Comparable<T, expression>> ExprValue<T> for V {}

/// Binds a value used beside an expression of type `T`: it must have `T`'s (non-null) type.
#[inline]
pub fn bind<T: SqlType, V: ExprValue<T::Base>>(_: Ty<T>, v: &V) -> Param<'_> {
    v
}

/// The type of a value bound beside an expression of type `T`.
#[must_use]
pub const fn base<T: SqlType>(_: Ty<T>) -> Ty<T::Base> {
    ty()
}

/// Arithmetic (`+ - * /`) between `Self` and `B`: the same numeric type, NULL if either is.
#[diagnostic::on_unimplemented(
    message = "cannot compute with `{Self}` and `{B}`",
    label = "both sides of `+ - * /` must be numbers of one type"
)]
///
/// The result's type `O` is a parameter, as in [`Unify`], so a mistake is reported once.
pub trait Arith<B, O> {}

macro_rules! arith {
    ($($t:ty),* $(,)?) => {$(
        impl Arith<$t, $t> for $t {}
        impl Arith<$t, Option<$t>> for Option<$t> {}
        impl Arith<Option<$t>, Option<$t>> for $t {}
        impl Arith<Option<$t>, Option<$t>> for Option<$t> {}
    )*};
}

arith!(i16, i32, i64, f32, f64);

#[cfg(feature = "decimal")]
arith!(rust_decimal::Decimal);

/// The type of `a * b` and `a / b`.
#[must_use]
pub const fn arith<A: Arith<B, O>, B, O>(_: Ty<A>, _: Ty<B>) -> Ty<O> {
    ty()
}

/// `Self + B`: numbers of one type, a timestamp and an interval, a date and a number of days
/// (`i32`) or an interval. NULL if either side is.
#[diagnostic::on_unimplemented(
    message = "cannot add `{Self}` and `{B}`",
    label = "both sides of `+` must be numbers of one type, a timestamp and an `Interval`, or a date and an `i32` number of days or an `Interval`"
)]
///
/// The result's type `O` is a parameter, as in [`Unify`], so a mistake is reported once.
pub trait SqlAdd<B, O> {}

/// `Self - B`: numbers of one type, a timestamp less an interval, two timestamps (an
/// interval), a date less a number of days (`i32`) or an interval, two dates (`i32` days).
/// NULL if either side is.
#[diagnostic::on_unimplemented(
    message = "cannot subtract `{B}` from `{Self}`",
    label = "`-` takes numbers of one type, a timestamp less an `Interval` or a timestamp, or a date less an `i32` number of days, an `Interval` or a date"
)]
///
/// The result's type `O` is a parameter, as in [`Unify`], so a mistake is reported once.
pub trait SqlSub<B, O> {}

#[diagnostic::do_not_recommend]
impl<A: Arith<B, O>, B, O> SqlAdd<B, O> for A {}

#[diagnostic::do_not_recommend]
impl<A: Arith<B, O>, B, O> SqlSub<B, O> for A {}

/// `$a op $b => $o` for the operator trait `$op`, with each side nullable or not.
macro_rules! time_ops {
    ($op:ident: $($a:ty, $b:ty => $o:ty;)*) => {$(
        impl $op<$b, $o> for $a {}
        impl $op<$b, Option<$o>> for Option<$a> {}
        impl $op<Option<$b>, Option<$o>> for $a {}
        impl $op<Option<$b>, Option<$o>> for Option<$a> {}
    )*};
}

#[cfg(feature = "chrono")]
time_ops! { SqlAdd:
    chrono::DateTime<chrono::Utc>, crate::postgres::Interval => chrono::DateTime<chrono::Utc>;
    chrono::NaiveDateTime, crate::postgres::Interval => chrono::NaiveDateTime;
    crate::postgres::Interval, chrono::DateTime<chrono::Utc> => chrono::DateTime<chrono::Utc>;
    crate::postgres::Interval, chrono::NaiveDateTime => chrono::NaiveDateTime;
    chrono::NaiveDate, i32 => chrono::NaiveDate;
    i32, chrono::NaiveDate => chrono::NaiveDate;
    chrono::NaiveDate, crate::postgres::Interval => chrono::NaiveDateTime;
    crate::postgres::Interval, chrono::NaiveDate => chrono::NaiveDateTime;
}

#[cfg(feature = "chrono")]
time_ops! { SqlSub:
    chrono::DateTime<chrono::Utc>, crate::postgres::Interval => chrono::DateTime<chrono::Utc>;
    chrono::NaiveDateTime, crate::postgres::Interval => chrono::NaiveDateTime;
    chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc> => crate::postgres::Interval;
    chrono::NaiveDateTime, chrono::NaiveDateTime => crate::postgres::Interval;
    chrono::NaiveDate, i32 => chrono::NaiveDate;
    chrono::NaiveDate, chrono::NaiveDate => i32;
    chrono::NaiveDate, crate::postgres::Interval => chrono::NaiveDateTime;
}

time_ops! { SqlAdd: crate::postgres::Interval, crate::postgres::Interval => crate::postgres::Interval; }
time_ops! { SqlSub: crate::postgres::Interval, crate::postgres::Interval => crate::postgres::Interval; }

/// The type of `a + b`.
#[must_use]
pub const fn add<A: SqlAdd<B, O>, B, O>(_: Ty<A>, _: Ty<B>) -> Ty<O> {
    ty()
}

/// The type of `a - b`.
#[must_use]
pub const fn sub<A: SqlSub<B, O>, B, O>(_: Ty<A>, _: Ty<B>) -> Ty<O> {
    ty()
}

/// What a Rust value added to or subtracted from an expression of this type must be: a
/// number of its type, an [`Interval`](crate::postgres::Interval) for a timestamp, an `i32`
/// number of days for a date.
pub trait Operand {
    /// The value's type.
    type Value;
    /// What follows the value's placeholder, where the server could read it as another type
    /// (`now() - $1` reads `$1` as a timestamp unless it is `$1::interval`; `date + $1` has
    /// several candidates unless it is `$1::int4`).
    const CAST: &'static str = "";
}

impl<T: Operand> Operand for Option<T> {
    type Value = T::Value;
    const CAST: &'static str = T::CAST;
}

macro_rules! operand {
    ($($t:ty => $v:ty $(, $cast:literal)?);* $(;)?) => {$(
        impl Operand for $t {
            type Value = $v;
            $(const CAST: &'static str = $cast;)?
        }
    )*};
}

operand!(
    bool => bool; i16 => i16; i32 => i32; i64 => i64; f32 => f32; f64 => f64;
    String => String; crate::postgres::Interval => crate::postgres::Interval, "::interval";
);

#[cfg(feature = "decimal")]
operand!(rust_decimal::Decimal => rust_decimal::Decimal);

#[cfg(feature = "chrono")]
operand!(
    chrono::DateTime<chrono::Utc> => crate::postgres::Interval, "::interval";
    chrono::NaiveDateTime => crate::postgres::Interval, "::interval";
    chrono::NaiveDate => i32, "::int4";
);

/// What follows the placeholder of a value added to or subtracted from an expression of
/// type `T`.
#[must_use]
pub const fn operand_cast<T: Operand>(_: Ty<T>) -> &'static str {
    T::CAST
}

/// The type of a value added to or subtracted from an expression of type `T`.
#[must_use]
pub const fn operand<T: Operand>(_: Ty<T>) -> Ty<T::Value> {
    ty()
}

/// Text, as `lower`, `upper` and `length` take.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not text",
    label = "this function takes a text column or value"
)]
pub trait TextExpr {
    /// `length`'s type: `i32`, NULL if the text is.
    type Length;
}

impl TextExpr for String {
    type Length = i32;
}

impl TextExpr for Option<String> {
    type Length = Option<i32>;
}

/// The type of `lower(t)` or `upper(t)`.
#[must_use]
pub const fn text_fn<T: TextExpr>(_: Ty<T>) -> Ty<T> {
    ty()
}

/// The type of `length(t)`.
#[must_use]
pub const fn length<T: TextExpr>(_: Ty<T>) -> Ty<T::Length> {
    ty()
}

/// `coalesce(Self, B)`: NULL only if both are.
#[diagnostic::on_unimplemented(
    message = "`coalesce` needs arguments of one type, not `{Self}` and `{B}`",
    label = "the arguments must have one type (nullable or not)"
)]
///
/// The result's type `O` is a parameter, as in [`Unify`], so a mistake is reported once.
pub trait Coalesce<B, O> {}

impl<T: SqlType<Base = T>> Coalesce<T, T> for Option<T> {}

impl<T: SqlType<Base = T>> Coalesce<Option<T>, Option<T>> for Option<T> {}

impl<T: SqlType<Base = T>> Coalesce<T, T> for T {}

/// The type of `coalesce(a, b)`.
#[must_use]
pub const fn coalesce<A: Coalesce<B, O>, B, O>(_: Ty<A>, _: Ty<B>) -> Ty<O> {
    ty()
}

/// The type of `now()`.
#[cfg(feature = "chrono")]
#[must_use]
pub const fn now() -> Ty<chrono::DateTime<chrono::Utc>> {
    ty()
}

/// `Self` and `B` in one result (the branches of `case`, the arguments of `nullif`): one type,
/// NULL if either is.
#[diagnostic::on_unimplemented(
    message = "expected expressions of one type, found `{Self}` and `{B}`",
    label = "the branches of `case` and the arguments of `nullif` must have one type"
)]
///
/// The result's type `O` is a parameter rather than an associated type: when the types do not
/// fit it is left undecided, which the compiler does not report again where it is used.
pub trait Unify<B, O> {}

impl<T: SqlType<Base = T>> Unify<T, T> for T {}

impl<T: SqlType<Base = T>> Unify<Option<T>, Option<T>> for T {}

impl<T: SqlType<Base = T>> Unify<T, Option<T>> for Option<T> {}

impl<T: SqlType<Base = T>> Unify<Option<T>, Option<T>> for Option<T> {}

/// The type of `case` with an `else`: its branches' common type.
#[must_use]
pub const fn unify<A: Unify<B, O>, B, O>(_: Ty<A>, _: Ty<B>) -> Ty<O> {
    ty()
}

/// The type of `case` without `else`: NULL when no branch is taken.
#[must_use]
pub const fn case_no_else<T: SqlType>(_: Ty<T>) -> Ty<T::Nullable> {
    ty()
}

/// The type of `nullif(a, b)`: `a`'s, nullable.
#[must_use]
pub const fn nullif<A: Unify<B, O>, B, O: SqlType>(_: Ty<A>, _: Ty<B>) -> Ty<O::Nullable> {
    ty()
}

/// `Self || B`: text with text, NULL if either is.
#[diagnostic::on_unimplemented(
    message = "cannot concatenate `{Self}` and `{B}` with `||`",
    label = "both sides of `||` must be text"
)]
pub trait Concat<B, O> {}

impl Concat<String, String> for String {}

impl Concat<Option<String>, Option<String>> for String {}

impl Concat<String, Option<String>> for Option<String> {}

impl Concat<Option<String>, Option<String>> for Option<String> {}

/// The type of `a || b`.
#[must_use]
pub const fn concat<A: Concat<B, O>, B, O>(_: Ty<A>, _: Ty<B>) -> Ty<O> {
    ty()
}

/// `cast(Self as U)`: a cast PostgreSQL accepts between these types. The cast keeps the
/// argument's nullability.
#[diagnostic::on_unimplemented(
    message = "cannot cast `{Self}` to `{U}`",
    label = "PostgreSQL has no cast between these types",
    note = "any type casts to and from `text`; numbers cast to each other; `bool` casts to and from `int4`; dates and timestamps cast to each other"
)]
pub trait CastTo<U, O> {}

macro_rules! casts {
    ($($from:ty => $($to:ty),+;)*) => {$($(
        impl CastTo<$to, $to> for $from {}
        impl CastTo<$to, Option<$to>> for Option<$from> {}
    )+)*};
}

casts! {
    String => String, bool, i16, i32, i64, f32, f64;
    bool => String, bool, i32;
    i16 => String, i16, i32, i64, f32, f64;
    i32 => String, bool, i16, i32, i64, f32, f64;
    i64 => String, i16, i32, i64, f32, f64;
    f32 => String, i16, i32, i64, f32, f64;
    f64 => String, i16, i32, i64, f32, f64;
}

#[cfg(feature = "decimal")]
casts! {
    rust_decimal::Decimal => String, i16, i32, i64, f32, f64, rust_decimal::Decimal;
    String => rust_decimal::Decimal;
    i16 => rust_decimal::Decimal;
    i32 => rust_decimal::Decimal;
    i64 => rust_decimal::Decimal;
    f32 => rust_decimal::Decimal;
    f64 => rust_decimal::Decimal;
}

#[cfg(feature = "chrono")]
casts! {
    chrono::DateTime<chrono::Utc> => String, chrono::DateTime<chrono::Utc>, chrono::NaiveDateTime, chrono::NaiveDate;
    chrono::NaiveDateTime => String, chrono::DateTime<chrono::Utc>, chrono::NaiveDateTime, chrono::NaiveDate;
    chrono::NaiveDate => String, chrono::DateTime<chrono::Utc>, chrono::NaiveDateTime, chrono::NaiveDate;
    String => chrono::DateTime<chrono::Utc>, chrono::NaiveDateTime, chrono::NaiveDate;
}

/// The type of `cast(a as U)`.
#[must_use]
pub const fn cast<A: CastTo<U, O>, U, O>(_: Ty<A>, _: Ty<U>) -> Ty<O> {
    ty()
}

/// The Rust types of the SQL type names `cast` takes.
#[allow(non_camel_case_types, reason = "named as in SQL")]
pub mod sql_ty {
    /// `text`.
    pub type text = String;
    /// `varchar`.
    pub type varchar = String;
    /// `bool`.
    pub type bool = core::primitive::bool;
    /// `boolean`.
    pub type boolean = core::primitive::bool;
    /// `int2`.
    pub type int2 = i16;
    /// `smallint`.
    pub type smallint = i16;
    /// `int4`.
    pub type int4 = i32;
    /// `int`.
    pub type int = i32;
    /// `integer`.
    pub type integer = i32;
    /// `int8`.
    pub type int8 = i64;
    /// `bigint`.
    pub type bigint = i64;
    /// `float4`.
    pub type float4 = f32;
    /// `real`.
    pub type real = f32;
    /// `float8`.
    pub type float8 = f64;
    /// `numeric`.
    #[cfg(feature = "decimal")]
    pub type numeric = rust_decimal::Decimal;
    /// `decimal`.
    #[cfg(feature = "decimal")]
    pub type decimal = rust_decimal::Decimal;
    /// `date`.
    #[cfg(feature = "chrono")]
    pub type date = chrono::NaiveDate;
    /// `timestamp`.
    #[cfg(feature = "chrono")]
    pub type timestamp = chrono::NaiveDateTime;
    /// `timestamptz`.
    #[cfg(feature = "chrono")]
    pub type timestamptz = chrono::DateTime<chrono::Utc>;
}

/// `Self` compared with `B` (`=`, `<>`, `<`, ...) as a boolean expression: one type, NULL if
/// either side is.
#[diagnostic::on_unimplemented(
    message = "cannot compare `{Self}` with `{B}`",
    label = "both sides of a comparison must have one type"
)]
pub trait Compare<B, O> {}

impl<T: SqlType<Base = T>> Compare<T, bool> for T {}

impl<T: SqlType<Base = T>> Compare<Option<T>, Option<bool>> for T {}

impl<T: SqlType<Base = T>> Compare<T, Option<bool>> for Option<T> {}

impl<T: SqlType<Base = T>> Compare<Option<T>, Option<bool>> for Option<T> {}

/// The type of `a < b` (and the other comparisons) used as a value.
#[must_use]
pub const fn compare<A: Compare<B, O>, B, O>(_: Ty<A>, _: Ty<B>) -> Ty<O> {
    ty()
}

/// The type of `string_agg(t, separator)`: text, NULL over no rows.
#[must_use]
pub const fn string_agg<T: TextExpr>(_: Ty<T>) -> Ty<Option<String>> {
    ty()
}

/// The type of `array_agg(x)`: an array of `x`'s type, NULL over no rows.
#[must_use]
pub const fn array_agg<T>(_: Ty<T>) -> Ty<Option<Vec<T>>> {
    ty()
}

/// A boolean, as `bool_and` and `bool_or` take.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a boolean",
    label = "`bool_and` and `bool_or` take a `bool` column or expression"
)]
pub trait BoolExpr {}

impl BoolExpr for bool {}

impl BoolExpr for Option<bool> {}

/// The type of `bool_and(b)` and `bool_or(b)`: NULL over no rows.
#[must_use]
pub const fn bool_agg<T: BoolExpr>(_: Ty<T>) -> Ty<Option<bool>> {
    ty()
}

/// A timestamp, as `date_trunc` takes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a timestamp",
    label = "`date_trunc` takes a `timestamptz` or `timestamp` column or expression"
)]
pub trait Timestamp {}

#[cfg(feature = "chrono")]
impl Timestamp for chrono::DateTime<chrono::Utc> {}

#[cfg(feature = "chrono")]
impl Timestamp for chrono::NaiveDateTime {}

impl<T: Timestamp> Timestamp for Option<T> {}

/// The type of `date_trunc(unit, t)`: `t`'s.
#[must_use]
pub const fn date_trunc<T: Timestamp>(_: Ty<T>) -> Ty<T> {
    ty()
}

/// A date or time `extract` takes; it returns `O` (PostgreSQL's `numeric`).
#[diagnostic::on_unimplemented(
    message = "cannot `extract` a field from `{Self}`",
    label = "`extract` takes a date, a timestamp or an interval"
)]
pub trait Extract<O> {}

macro_rules! extract {
    ($($t:ty),* $(,)?) => {$(
        impl Extract<rust_decimal::Decimal> for $t {}
        impl Extract<Option<rust_decimal::Decimal>> for Option<$t> {}
    )*};
}

#[cfg(all(feature = "decimal", feature = "chrono"))]
extract!(
    chrono::DateTime<chrono::Utc>,
    chrono::NaiveDateTime,
    chrono::NaiveDate
);

#[cfg(feature = "decimal")]
extract!(crate::postgres::Interval);

/// The type of `extract(field from t)`: `numeric` (a `Decimal`), NULL if `t` is.
#[must_use]
pub const fn extract<T: Extract<O>, O>(_: Ty<T>) -> Ty<O> {
    ty()
}

/// A subquery's column of type `Self` tested with `in` against column `C` of type `T`.
#[diagnostic::on_unimplemented(
    message = "the subquery selects `{Self}`, but column `{C}` has type `{T}`",
    label = "`in (select ...)` needs a subquery of the column's type"
)]
pub trait SubqueryOf<T, C> {}

impl<T, C> SubqueryOf<T, C> for T {}

/// Checks at compile time that `col in (select x ...)` compares one type.
#[inline]
pub const fn in_select<C: Column, T: SqlType>(_: &C, _: Ty<T>)
where
    T::Base: SubqueryOf<C::Value, C>,
{
}

/// An expression that may be NULL, so `is null` tests something.
#[diagnostic::on_unimplemented(
    message = "this expression is never NULL (its type is `{Self}`), so `is null` is always false and `is not null` always true",
    label = "never NULL"
)]
pub trait NullableExpr {}

impl<T> NullableExpr for Option<T> {}

/// Checks at compile time that `is null` applies to an expression.
#[inline]
pub const fn nullable_expr<T: NullableExpr>(_: Ty<T>) {}

/// Checks at compile time that an expression has a type (its operands fit).
#[inline]
pub const fn typed<T>(_: Ty<T>) {}

/// Checks that an expression of type `T` may be assigned to column `C`.
#[diagnostic::on_unimplemented(
    message = "cannot assign an expression of type `{Self}` to column `{C}` of type `{T}`",
    label = "expected an expression of type `{T}`"
)]
pub trait AssignExpr<T, C> {}

impl<T: SqlType<Base = T>, C> AssignExpr<T, C> for T {}

impl<T: SqlType<Base = T>, C> AssignExpr<Option<T>, C> for T {}

impl<T: SqlType<Base = T>, C> AssignExpr<Option<T>, C> for Option<T> {}

/// Checks at compile time that an expression of type `T` may be assigned to column `C`.
#[inline]
pub const fn set_expr<C: Column, T: AssignExpr<C::Type, C>>(_: &C, _: Ty<T>) {}

/// Checks at compile time that an expression of type `T` may be compared with column `C`.
#[inline]
pub const fn cmp_expr<C: Column, T: SqlType<Base = C::Value>>(_: &C, _: Ty<T>) {}

/// Checks at compile time that two expressions may be compared.
#[inline]
pub const fn cmp_exprs<A: SqlType, B: SqlType<Base = A::Base>>(_: Ty<A>, _: Ty<B>) {}

/// Reads column `idx` of `row`, an expression of type `T`.
#[inline]
pub fn get_expr<T: FromSqlOwned>(row: &Row, idx: usize, _: Ty<T>) -> Result<T> {
    super::get_as_any(row, idx)
}
