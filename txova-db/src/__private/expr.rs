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
    label = "expressions are of bool, integer, float, text, numeric or timestamp types"
)]
pub trait SqlType {
    /// The type without `Option`.
    type Base;
    /// The type as nullable.
    type Nullable;
}

impl<T: SqlType<Base = T>> SqlType for Option<T> {
    type Base = T;
    type Nullable = Option<T>;
}

macro_rules! sql_types {
    ($($t:ty),* $(,)?) => {$(
        impl SqlType for $t {
            type Base = $t;
            type Nullable = Option<$t>;
        }
    )*};
}

sql_types!(bool, i16, i32, i64, f32, f64, String);

#[cfg(feature = "decimal")]
sql_types!(rust_decimal::Decimal);

#[cfg(feature = "chrono")]
sql_types!(
    chrono::DateTime<chrono::Utc>,
    chrono::NaiveDateTime,
    chrono::NaiveDate
);

/// What a value compared with, or combined with, an expression is named in messages.
#[allow(non_camel_case_types, reason = "read in messages as SQL")]
pub struct expression;

/// Binds a value used beside an expression of type `T`: it must have `T`'s (non-null) type.
#[inline]
pub fn bind<T: SqlType, V: Comparable<T::Base, expression>>(_: Ty<T>, v: &V) -> Param<'_> {
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
pub trait Arith<B> {
    /// The result's type.
    type Out;
}

macro_rules! arith {
    ($($t:ty),* $(,)?) => {$(
        impl Arith<$t> for $t { type Out = $t; }
        impl Arith<$t> for Option<$t> { type Out = Option<$t>; }
        impl Arith<Option<$t>> for $t { type Out = Option<$t>; }
        impl Arith<Option<$t>> for Option<$t> { type Out = Option<$t>; }
    )*};
}

arith!(i16, i32, i64, f32, f64);

#[cfg(feature = "decimal")]
arith!(rust_decimal::Decimal);

/// The type of `a + b` (and `-`, `*`, `/`).
#[must_use]
pub const fn arith<A: Arith<B>, B>(_: Ty<A>, _: Ty<B>) -> Ty<A::Out> {
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
pub trait Coalesce<B> {
    /// The result's type.
    type Out;
}

impl<T: SqlType<Base = T>> Coalesce<T> for Option<T> {
    type Out = T;
}

impl<T: SqlType<Base = T>> Coalesce<Option<T>> for Option<T> {
    type Out = Option<T>;
}

impl<T: SqlType<Base = T>> Coalesce<T> for T {
    type Out = T;
}

/// The type of `coalesce(a, b)`.
#[must_use]
pub const fn coalesce<A: Coalesce<B>, B>(_: Ty<A>, _: Ty<B>) -> Ty<A::Out> {
    ty()
}

/// The type of `now()`.
#[cfg(feature = "chrono")]
#[must_use]
pub const fn now() -> Ty<chrono::DateTime<chrono::Utc>> {
    ty()
}

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
