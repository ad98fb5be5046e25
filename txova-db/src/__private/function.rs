//! SQL functions declared by users with `sql_function!`: each is a unit struct implementing
//! [`SqlFunction`], with one [`FnArgAt`] impl per argument and a hidden `__call` method whose
//! generic bounds check each argument's type and give the result's.

use super::{SqlType, Ty, ty};

/// A function declared with `txova_db::sql_function!`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an SQL function",
    label = "a call in a query names a function of the grammar or one declared with `txova_db::sql_function!`",
    note = "declare it: `txova_db::sql_function! {{ fn name(arg: String) -> String; }}`"
)]
pub trait SqlFunction: Copy {
    /// The function's name in SQL, quoted where needed.
    const NAME: &'static str;
    /// The declared result type.
    type Output: SqlType;
}

/// The declared type of argument `I`.
#[diagnostic::on_unimplemented(
    message = "the SQL function `{Self}` is declared with fewer arguments",
    label = "no argument is declared at this position"
)]
pub trait FnArgAt<const I: usize> {
    /// The argument's type.
    type Type;
}

/// Not NULL: every argument of a call of a declared function is not null.
pub struct FnNotNull;

/// NULL when an argument is: a declared function is strict unless it returns `Option`.
pub struct FnNullable;

/// [`FnNotNull`] or [`FnNullable`]: whether a call's arguments may be NULL.
pub trait NullFlag {
    /// NULL if either `Self` or `B` is.
    type Or<B: NullFlag>: NullFlag;
    /// `T`, or `T` as nullable.
    type Apply<T: SqlType>;
}

impl NullFlag for FnNotNull {
    type Or<B: NullFlag> = B;
    type Apply<T: SqlType> = T;
}

impl NullFlag for FnNullable {
    type Or<B: NullFlag> = FnNullable;
    type Apply<T: SqlType> = T::Nullable;
}

/// An argument of type `Self` given where the declaration says `T`: `T` itself, or
/// `Option<T>` (a nullable column), which makes the result nullable.
#[diagnostic::on_unimplemented(
    message = "expected an argument of type `{T}`, found `{Self}`",
    label = "the function is declared with an argument of type `{T}` here",
    note = "an argument is the declared type, or an `Option` of it (a nullable column), whose NULL makes the result NULL"
)]
pub trait FnArg<T> {
    /// [`FnNotNull`] or [`FnNullable`].
    type Null: NullFlag;
}

impl<T: SqlType<Base = T>> FnArg<T> for T {
    type Null = FnNotNull;
}

impl<T: SqlType<Base = T>> FnArg<T> for Option<T> {
    type Null = FnNullable;
}

/// The function `f`, checked to be one declared with `sql_function!`.
#[must_use]
pub const fn sql_fn<F: SqlFunction>(f: &F) -> F {
    *f
}

/// An argument's type, unchanged: the call carries the argument's span.
#[must_use]
pub const fn fn_arg<T>(w: Ty<T>) -> Ty<T> {
    w
}

/// The SQL name of `f`.
#[must_use]
pub const fn fn_name<F: SqlFunction>(_: &F) -> &'static str {
    F::NAME
}

/// The declared type of argument `I` of `f`, which a Rust value given there has.
#[must_use]
pub const fn fn_arg_ty<const I: usize, F: FnArgAt<I>>(_: &F) -> Ty<F::Type> {
    ty()
}
