//! Checks of `union`, `intersect` and `except` (every branch selects the first branch's
//! column types, in order) and of CTEs (the body's items fill the struct's columns).

use super::expr::{Ty, ty};
use super::{Column, FromRow, Result, Table};

/// A branch's column of type `Self` where the first branch's column has type `A`; the
/// result's column has type `O`, nullable when either is. `N` is the column's place, from 1,
/// for the message.
#[diagnostic::on_unimplemented(
    message = "column {N} of this branch is `{Self}`, the first branch's column {N} is `{A}`",
    label = "this column is `{Self}`",
    note = "each branch of `union`, `intersect` and `except` selects columns of the first branch's types, in order (nullable or not: the result's column is an `Option` when a branch's may be NULL)",
    note = "in SQL: `i16` is int2, `i32` int4, `i64` int8, `f32` float4, `f64` float8, `String` text, `Decimal` numeric, `DateTime<Utc>` timestamptz, `NaiveDateTime` timestamp, `NaiveDate` date, `Option<_>` a column that may be NULL"
)]
pub trait BranchColumn<A, O, const N: usize> {}

// Not recommended: a mismatch is explained by the message, not by a list of these.
#[diagnostic::do_not_recommend]
impl<T, const N: usize> BranchColumn<T, T, N> for T {}

#[diagnostic::do_not_recommend]
impl<T, const N: usize> BranchColumn<Option<T>, Option<T>, N> for T {}

#[diagnostic::do_not_recommend]
impl<T, const N: usize> BranchColumn<T, Option<T>, N> for Option<T> {}

/// The type of result column `N` of a compound query, from its type so far (`A`) and a
/// further branch's column (`B`).
#[must_use]
pub const fn branch<const N: usize, A, B: BranchColumn<A, O, N>, O>(_: Ty<A>, _: Ty<B>) -> Ty<O> {
    ty()
}

/// Column `N` of a compound query, of type `Self` over every branch, read into a field of
/// type `F`.
#[diagnostic::on_unimplemented(
    message = "column {N} of this compound query reads as `{Self}`, which does not fit a field of type `{F}`",
    label = "this column is `{Self}` over every branch",
    note = "a result column is an `Option` when any branch's column may be NULL: make the field an `Option<_>`, or use `coalesce` in the branch"
)]
pub trait CompoundInto<F, const N: usize> {
    /// The value as `F`.
    fn into_field(self) -> F;
}

impl<T, const N: usize> CompoundInto<T, N> for T {
    #[inline]
    fn into_field(self) -> T {
        self
    }
}

/// Reads column `N` of a compound query into a field of type `F`.
#[inline]
pub fn compound_into<const N: usize, T: CompoundInto<F, N>, F>(
    _: core::marker::PhantomData<F>,
    read: Result<T>,
) -> Result<F> {
    read.map(CompoundInto::into_field)
}

/// A branch's whole table `Self` where the first branch selects table `T` whole.
#[diagnostic::on_unimplemented(
    message = "this branch selects `{Self}` whole where the first branch selects `{T}`",
    label = "expected `{T}` here",
    note = "a whole table in a branch of `union`, `intersect` or `except` must be the first branch's table; select columns otherwise"
)]
pub trait SameTable<T> {}

impl<T> SameTable<T> for T {}

/// Checks at compile time that a branch selects the first branch's table whole.
#[inline]
pub const fn same_table<T: FromRow, B: FromRow + SameTable<T>>() {}

/// An item of a CTE's body, of type `Self`, that fills column `C` (of type `F`) of the CTE's
/// struct.
#[diagnostic::on_unimplemented(
    message = "column `{C}` of the CTE is `{F}`, but this item is `{Self}`",
    label = "expected `{F}` here",
    note = "each item of a CTE's body fills the struct's field of its name and has its type; a field that is not an `Option` needs an item that is never NULL (`coalesce(col, ...)`)",
    note = "in SQL: `i16` is int2, `i32` int4, `i64` int8, `f32` float4, `f64` float8, `String` text, `Decimal` numeric, `DateTime<Utc>` timestamptz, `NaiveDateTime` timestamp, `NaiveDate` date, `Option<_>` a column that may be NULL"
)]
pub trait CteColumn<F, C> {}

impl<T, C> CteColumn<T, C> for T {}

impl<T, C> CteColumn<Option<T>, C> for T {}

/// Checks at compile time that an item of type `T` fills column `C` of a CTE.
#[inline]
pub const fn cte_column<C: Column, T: CteColumn<C::Type, C>>(_: &C, _: Ty<T>) {}

/// Whether table `T` names no schema, as a CTE's struct must not.
#[must_use]
pub const fn cte_unqualified<T: Table>() -> bool {
    T::SCHEMA.is_none()
}

/// The length of [`cte_missing`]'s text.
#[must_use]
pub const fn cte_missing_len<T: Table>(given: &[&str]) -> usize {
    super::check::missing_list_len(T::COLUMN_INFO, given, false)
}

/// The columns of `T` missing from `given`, as "`a`, `b`"; `N` is [`cte_missing_len`].
#[must_use]
pub const fn cte_missing<T: Table, const N: usize>(given: &[&str]) -> [u8; N] {
    super::check::missing_list(T::COLUMN_INFO, given, false)
}

#[cfg(test)]
mod tests {
    //! The `const fn`s above run inside the compiler when a statement is checked; here they
    //! run at run time on a hand-written table.

    use super::*;
    use crate::__private::ColumnInfo;
    use tokio_postgres::types::Type;

    struct Recent;

    fn any(_: &Type) -> bool {
        true
    }

    impl Table for Recent {
        const SQL_NAME: &'static str = "recent";
        const COLUMNS: &'static [&'static str] = &["id", "name", "age"];
        const NAME: &'static str = "recent";
        const SCHEMA: Option<&'static str> = None;
        const COLUMN_INFO: &'static [ColumnInfo] = &[
            ColumnInfo::new("id", "i64", false, false, false, any),
            ColumnInfo::new("name", "String", false, false, false, any),
            ColumnInfo::new("age", "i32", false, false, false, any),
        ];
    }

    fn missing<const N: usize>(given: &[&str]) -> String {
        assert_eq!(cte_missing_len::<Recent>(given), N, "{given:?}");
        String::from_utf8(cte_missing::<Recent, N>(given).to_vec()).unwrap()
    }

    #[test]
    fn the_columns_a_cte_body_leaves_out_are_listed_in_field_order() {
        assert_eq!(missing::<19>(&[]), "`id`, `name`, `age`");
        assert_eq!(missing::<13>(&["id"]), "`name`, `age`");
        assert_eq!(missing::<0>(&["age", "id", "name"]), "");
        // A prefix of a name does not stand for it.
        assert_eq!(missing::<5>(&["id", "name", "ag"]), "`age`");
        assert!(cte_unqualified::<Recent>());
    }

    #[test]
    fn a_branch_column_makes_the_result_nullable_when_either_is() {
        let _: Ty<String> = branch::<1, _, _, _>(ty::<String>(), ty::<String>());
        let _: Ty<Option<i64>> = branch::<2, _, _, _>(ty::<i64>(), ty::<Option<i64>>());
        let _: Ty<Option<i64>> = branch::<3, _, _, _>(ty::<Option<i64>>(), ty::<i64>());
        let _: Ty<Option<i64>> = branch::<20, _, _, _>(ty::<Option<i64>>(), ty::<Option<i64>>());
    }
}
