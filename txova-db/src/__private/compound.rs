//! Checks of `union`, `intersect` and `except` (every branch selects the first branch's
//! column types, in order) and of CTEs (the body's items fill the struct's columns).

use super::expr::{Ty, ty};
use super::{Column, ColumnInfo, FromRow, SumInfo, Table};

/// The type of `sum(col)` or `avg(col)`: NULL over no rows.
#[must_use]
pub const fn ty_sum<S>(_: &SumInfo<S>) -> Ty<Option<S>> {
    ty()
}

macro_rules! branch_columns {
    ($($f:ident, $t:ident, $msg:literal;)*) => {$(
        #[doc = "A branch's column of type `Self` where the first branch's column has type `A`; \
                 the result's column has type `O`, nullable when either is."]
        #[diagnostic::on_unimplemented(
            message = $msg,
            label = "this column is `{Self}`",
            note = "each branch of `union`, `intersect` and `except` selects columns of the first branch's types, in order (nullable or not: the result's column is an `Option` when a branch's may be NULL)"
        )]
        pub trait $t<A, O> {}

        impl<T> $t<T, T> for T {}

        impl<T> $t<Option<T>, Option<T>> for T {}

        impl<T> $t<T, Option<T>> for Option<T> {}

        #[doc = "The type of a result column of a compound query, from the type so far (`A`) \
                 and a further branch's column (`B`)."]
        #[must_use]
        pub const fn $f<A, B: $t<A, O>, O>(_: Ty<A>, _: Ty<B>) -> Ty<O> {
            ty()
        }
    )*};
}

branch_columns! {
    branch_1, Branch1, "the 1st column of this branch is `{Self}`, the first branch's is `{A}`";
    branch_2, Branch2, "the 2nd column of this branch is `{Self}`, the first branch's is `{A}`";
    branch_3, Branch3, "the 3rd column of this branch is `{Self}`, the first branch's is `{A}`";
    branch_4, Branch4, "the 4th column of this branch is `{Self}`, the first branch's is `{A}`";
    branch_5, Branch5, "the 5th column of this branch is `{Self}`, the first branch's is `{A}`";
    branch_6, Branch6, "the 6th column of this branch is `{Self}`, the first branch's is `{A}`";
    branch_7, Branch7, "the 7th column of this branch is `{Self}`, the first branch's is `{A}`";
    branch_8, Branch8, "the 8th column of this branch is `{Self}`, the first branch's is `{A}`";
    branch_9, Branch9, "the 9th column of this branch is `{Self}`, the first branch's is `{A}`";
    branch_10, Branch10, "the 10th column of this branch is `{Self}`, the first branch's is `{A}`";
    branch_11, Branch11, "the 11th column of this branch is `{Self}`, the first branch's is `{A}`";
    branch_12, Branch12, "the 12th column of this branch is `{Self}`, the first branch's is `{A}`";
    branch_n, BranchN, "a column of this branch is `{Self}`, the first branch's at its place is `{A}`";
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
    note = "each item of a CTE's body fills the struct's field of its name and has its type; a field that is not an `Option` needs an item that is never NULL (`coalesce(col, ...)`)"
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

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether column `i` of `info` is missing from `given`.
const fn missing(info: &[ColumnInfo], i: usize, given: &[&str]) -> bool {
    let mut k = 0;
    while k < given.len() {
        if str_eq(given[k], info[i].name) {
            return false;
        }
        k += 1;
    }
    true
}

/// The length of [`cte_missing`]'s text.
#[must_use]
pub const fn cte_missing_len<T: Table>(given: &[&str]) -> usize {
    let info = T::COLUMN_INFO;
    let mut len = 0;
    let mut i = 0;
    while i < info.len() {
        if missing(info, i, given) {
            if len > 0 {
                len += 2;
            }
            len += info[i].name.len() + 2;
        }
        i += 1;
    }
    len
}

/// The columns of `T` missing from `given`, as "`a`, `b`"; `N` is [`cte_missing_len`].
#[must_use]
pub const fn cte_missing<T: Table, const N: usize>(given: &[&str]) -> [u8; N] {
    let info = T::COLUMN_INFO;
    let mut out = [0u8; N];
    let mut at = 0;
    let mut i = 0;
    while i < info.len() {
        if missing(info, i, given) {
            if at > 0 {
                out[at] = b',';
                out[at + 1] = b' ';
                at += 2;
            }
            out[at] = b'`';
            at += 1;
            let name = info[i].name.as_bytes();
            let mut k = 0;
            while k < name.len() {
                out[at] = name[k];
                at += 1;
                k += 1;
            }
            out[at] = b'`';
            at += 1;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    //! The `const fn`s above run inside the compiler when a statement is checked; here they
    //! run at run time on a hand-written table.

    use super::*;
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
        let _: Ty<String> = branch_1(ty::<String>(), ty::<String>());
        let _: Ty<Option<i64>> = branch_2(ty::<i64>(), ty::<Option<i64>>());
        let _: Ty<Option<i64>> = branch_3(ty::<Option<i64>>(), ty::<i64>());
        let _: Ty<Option<i64>> = branch_n(ty::<Option<i64>>(), ty::<Option<i64>>());
    }
}
