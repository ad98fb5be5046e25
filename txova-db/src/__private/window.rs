//! The types of window functions (`row_number() over (...)`, `lag(x) over (...)`).

use super::{SqlType, Ty, Unify, ty};

/// An `int4` argument of a window function: `ntile`'s, the offsets of `lag`, `lead` and
/// `nth_value`.
#[diagnostic::on_unimplemented(
    message = "expected an `i32` (SQL `int4`) argument, found `{Self}`",
    label = "`ntile` and the offsets of `lag`, `lead` and `nth_value` are `int4`"
)]
pub trait WindowInt {}

impl WindowInt for i32 {}

/// Checks at compile time that a window function's count or offset is an `int4`.
#[must_use]
pub const fn window_int<T: WindowInt>(_: Ty<T>) -> Ty<T> {
    ty()
}

/// The type of `ntile(n)`.
#[must_use]
pub const fn window_ntile<N: WindowInt>(_: Ty<N>) -> Ty<i32> {
    ty()
}

/// `T` as nullable: a window function that is NULL where its row does not exist (`lag(x)`,
/// `lead(x)`, `first_value(x)` over a frame that may be empty), `min` and `max` over no rows.
#[must_use]
pub const fn or_null<T: SqlType>(_: Ty<T>) -> Ty<T::Nullable> {
    ty()
}

/// The type of `lag(x, offset)` and `lead(x, offset)`.
#[must_use]
pub const fn window_lag<T: SqlType, N: WindowInt>(_: Ty<T>, _: Ty<N>) -> Ty<T::Nullable> {
    ty()
}

/// The type of `lag(x, offset, default)` and `lead(x, offset, default)`: NULL only where `x`
/// or the default is.
#[must_use]
pub const fn window_lag_default<A: Unify<B, O>, B, O, N: WindowInt>(
    _: Ty<A>,
    _: Ty<N>,
    _: Ty<B>,
) -> Ty<O> {
    ty()
}

/// The type of `nth_value(x, n)`: NULL where the frame has fewer than `n` rows.
#[must_use]
pub const fn window_nth_value<T: SqlType, N: WindowInt>(_: Ty<T>, _: Ty<N>) -> Ty<T::Nullable> {
    ty()
}
