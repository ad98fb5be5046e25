//! Checks at compile time, each with a message written for people.

use super::{Column, ColumnInfo, FromSqlOwned, SqlType, Table, ToSql, Ty};

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

/// `sum` of a column of this type reads as `S`.
///
/// The sum's type is a parameter rather than an associated type: for a column that cannot be
/// summed it is left undecided, which the compiler does not report again at each use.
#[diagnostic::on_unimplemented(
    message = "cannot `sum` a column or expression of type `{Self}`",
    label = "`sum` needs a column or expression of type i16, i32, i64, f32, f64 or Decimal"
)]
pub trait Summable<S> {
    /// What follows `sum(col)` in SQL so the server returns `S`.
    const CAST: &'static str;
}

impl Summable<i64> for i16 {
    const CAST: &'static str = "";
}

impl Summable<i64> for i32 {
    const CAST: &'static str = "";
}

// PostgreSQL sums bigints as numeric; the cast keeps a bigint (an overflow is an error).
impl Summable<i64> for i64 {
    const CAST: &'static str = "::int8";
}

impl Summable<f32> for f32 {
    const CAST: &'static str = "";
}

impl Summable<f64> for f64 {
    const CAST: &'static str = "";
}

// `sum(numeric)` is numeric.
#[cfg(feature = "decimal")]
impl Summable<rust_decimal::Decimal> for rust_decimal::Decimal {
    const CAST: &'static str = "";
}

/// What `sum(col)` or `avg(col)` of one column needs: the cast after it in SQL and the Rust
/// type it reads as.
///
/// Every use of a `sum` (its SQL, its reader, its type, a `having` value) goes through
/// [`sum_info`] on the same span, so a column that cannot be summed is one error, not one
/// per use: the compiler reports identical errors once, and the methods below carry no bound
/// on the column. [`avg_info`] does the same for `avg`.
pub struct SumInfo<S> {
    cast: &'static str,
    sum: core::marker::PhantomData<S>,
}

/// The [`SumInfo`] of column `C`; the one place that requires it to be summable.
#[must_use]
pub const fn sum_info<C: Column, S>(_: &C) -> SumInfo<S>
where
    C::Value: Summable<S>,
{
    SumInfo {
        cast: <C::Value as Summable<S>>::CAST,
        sum: core::marker::PhantomData,
    }
}

impl<S> SumInfo<S> {
    /// The cast that follows `sum(col)`.
    #[must_use]
    pub const fn cast(&self) -> &'static str {
        self.cast
    }

    /// Binds a value compared with the sum in `having`, checking its type.
    #[inline]
    pub fn bind<'a, C: Column, V: super::Comparable<S, C>>(
        &self,
        _: &C,
        v: &'a V,
    ) -> super::Param<'a> {
        v
    }

    /// The Rust type the sum reads as.
    #[must_use]
    pub const fn ty(&self) -> core::marker::PhantomData<Option<S>> {
        core::marker::PhantomData
    }
}

/// The [`SumInfo`] of `sum` over an expression of type `T` (`sum(price * quantity)`).
#[must_use]
pub const fn sum_of<T: SqlType, S>(_: Ty<T>) -> SumInfo<S>
where
    T::Base: Summable<S>,
{
    SumInfo {
        cast: <T::Base as Summable<S>>::CAST,
        sum: core::marker::PhantomData,
    }
}

/// The type of `sum` or `avg` whose [`SumInfo`] is given: NULL over no rows.
#[must_use]
pub const fn sum_ty<S>(_: SumInfo<S>) -> Ty<Option<S>> {
    super::ty()
}

/// `avg` of a column of this type reads as `A`.
#[diagnostic::on_unimplemented(
    message = "cannot `avg` a column or expression of type `{Self}`",
    label = "`avg` needs a numeric column or expression"
)]
pub trait Averageable<A> {
    /// What follows `avg(col)` in SQL so the server returns `A`.
    const CAST: &'static str;
}

// PostgreSQL averages integers as numeric; the cast reads them as a float.
impl Averageable<f64> for i16 {
    const CAST: &'static str = "::float8";
}

impl Averageable<f64> for i32 {
    const CAST: &'static str = "::float8";
}

impl Averageable<f64> for i64 {
    const CAST: &'static str = "::float8";
}

impl Averageable<f64> for f32 {
    const CAST: &'static str = "::float8";
}

impl Averageable<f64> for f64 {
    const CAST: &'static str = "";
}

// `avg(numeric)` is numeric: no precision is lost to a float.
#[cfg(feature = "decimal")]
impl Averageable<rust_decimal::Decimal> for rust_decimal::Decimal {
    const CAST: &'static str = "";
}

/// The [`SumInfo`] of `avg` over an expression of type `T`.
#[must_use]
pub const fn avg_of<T: SqlType, A>(_: Ty<T>) -> SumInfo<A>
where
    T::Base: Averageable<A>,
{
    SumInfo {
        cast: <T::Base as Averageable<A>>::CAST,
        sum: core::marker::PhantomData,
    }
}

/// The [`SumInfo`] of `avg` over column `C`; the one place that requires it to be averaged.
#[must_use]
pub const fn avg_info<C: Column, A>(_: &C) -> SumInfo<A>
where
    C::Value: Averageable<A>,
{
    SumInfo {
        cast: <C::Value as Averageable<A>>::CAST,
        sum: core::marker::PhantomData,
    }
}

/// Checks at compile time that a field's type can be a column.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the type of a column",
    label = "this type is not a PostgreSQL value",
    note = "a column's type must implement `ToSql` and `FromSql` (bool, integers, floats, String, Vec<u8>, uuid, chrono, time, Decimal, serde_json::Value, Json<T>, Vec<T>, a `#[derive(PgEnum)]` enum, or Option of these)"
)]
pub trait ColumnType: ToSql + FromSqlOwned + Send + Sync {}

// Not recommended, so a type lacking both traits gets one error, not one per trait.
#[diagnostic::do_not_recommend]
impl<T: ToSql + FromSqlOwned + Send + Sync> ColumnType for T {}

/// Requires `T` to be a column type.
pub const fn column_type<T: ColumnType>() {}

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

/// The unquoted name of a column, from its handle; usable in a `const`.
#[must_use]
pub const fn col_name<C: Column>(_: &C) -> &'static str {
    C::NAME
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

const fn contains(names: &[&str], name: &str) -> bool {
    let mut i = 0;
    while i < names.len() {
        if str_eq(names[i], name) {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether `grouped` (column names of table `T` in `group by`) holds the table's whole
/// primary key, so that every other column of the table is functionally dependent on it.
#[must_use]
pub const fn key_grouped<T: Table>(grouped: &[&str]) -> bool {
    let info = T::COLUMN_INFO;
    let mut any = false;
    let mut i = 0;
    while i < info.len() {
        if info[i].primary_key {
            if !contains(grouped, info[i].name) {
                return false;
            }
            any = true;
        }
        i += 1;
    }
    any
}

/// Whether column `i` of `info` is missing from `given`: any column when `required_only` is
/// false (a CTE's), else only one an insert must give a value (not nullable, no default).
const fn picked(info: &[ColumnInfo], i: usize, given: &[&str], required_only: bool) -> bool {
    (!required_only || (!info[i].nullable && !info[i].has_default))
        && !contains(given, info[i].name)
}

/// The length of [`missing_list`]'s text.
pub(super) const fn missing_list_len(
    info: &[ColumnInfo],
    given: &[&str],
    required_only: bool,
) -> usize {
    let mut len = 0;
    let mut i = 0;
    while i < info.len() {
        if picked(info, i, given, required_only) {
            if len > 0 {
                len += 2;
            }
            len += info[i].name.len() + 2;
        }
        i += 1;
    }
    len
}

/// The columns of `info` missing from `given` (see [`picked`]), as "`a`, `b`"; `N` is
/// [`missing_list_len`].
pub(super) const fn missing_list<const N: usize>(
    info: &[ColumnInfo],
    given: &[&str],
    required_only: bool,
) -> [u8; N] {
    let mut out = [0u8; N];
    let mut at = 0;
    let mut i = 0;
    while i < info.len() {
        if picked(info, i, given, required_only) {
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

/// The length of [`missing_required`]'s text.
#[must_use]
pub const fn missing_len<T: Table>(given: &[&str]) -> usize {
    missing_list_len(T::COLUMN_INFO, given, true)
}

/// The required columns of `T` (not `Option`, no `#[column(default)]`) missing from `given`,
/// as "`a`, `b`"; `N` is [`missing_len`].
#[must_use]
pub const fn missing_required<T: Table, const N: usize>(given: &[&str]) -> [u8; N] {
    missing_list(T::COLUMN_INFO, given, true)
}

/// A column assigned `None` may hold `NULL`.
#[diagnostic::on_unimplemented(
    message = "column `{C}` of type `{Self}` is not nullable, so it cannot be set to NULL",
    label = "this column cannot hold NULL",
    note = "give it a value of type `{Self}`, or make the field an `Option<_>` if the column is nullable"
)]
pub trait NullAssignable<C> {}

impl<T, C> NullAssignable<C> for Option<T> {}

#[cfg(test)]
mod tests {
    //! The `const fn`s above run inside the compiler when a statement is checked, where no
    //! coverage tool sees them; here they run at run time on a hand-written table.

    use super::*;
    use tokio_postgres::types::Type;

    struct Ride;

    fn any(_: &Type) -> bool {
        true
    }

    const fn info(name: &'static str, nullable: bool, key: bool, default: bool) -> ColumnInfo {
        ColumnInfo::new(name, "T", nullable, key, default, any)
    }

    impl Table for Ride {
        const SQL_NAME: &'static str = "rides";
        const COLUMNS: &'static [&'static str] =
            &["region", "id", "rider_id", "note", "created_at", "status"];
        const NAME: &'static str = "rides";
        const SCHEMA: Option<&'static str> = None;
        const COLUMN_INFO: &'static [ColumnInfo] = &[
            info("region", false, true, false),
            info("id", false, true, true),
            info("rider_id", false, false, false),
            info("note", true, false, false),
            info("created_at", false, false, true),
            info("status", false, false, false),
        ];
    }

    /// A table with no primary key.
    struct Log;

    impl Table for Log {
        const SQL_NAME: &'static str = "log";
        const COLUMNS: &'static [&'static str] = &["line"];
        const NAME: &'static str = "log";
        const SCHEMA: Option<&'static str> = None;
        const COLUMN_INFO: &'static [ColumnInfo] = &[info("line", false, false, false)];
    }

    #[derive(Clone, Copy)]
    struct RiderId;

    impl Column for RiderId {
        type Table = Ride;
        type Type = i64;
        type Value = i64;
        const SQL_NAME: &'static str = "rider_id";
        const NAME: &'static str = "rider_id";
        const INDEX: usize = 2;
        const NULLABLE: bool = false;
    }

    fn missing<const N: usize>(given: &[&str]) -> String {
        assert_eq!(missing_len::<Ride>(given), N, "{given:?}");
        String::from_utf8(missing_required::<Ride, N>(given).to_vec()).unwrap()
    }

    #[test]
    fn the_whole_primary_key_must_be_grouped() {
        assert!(key_grouped::<Ride>(&["id", "region"]));
        assert!(key_grouped::<Ride>(&["status", "region", "id"]));
        // Half of a two-column key, or a column that only shares a prefix, is not the key.
        assert!(!key_grouped::<Ride>(&["id"]));
        assert!(!key_grouped::<Ride>(&["region", "i"]));
        assert!(!key_grouped::<Ride>(&["region", "idx"]));
        assert!(!key_grouped::<Ride>(&[]));
        // A table without a primary key has no key to group by.
        assert!(!key_grouped::<Log>(&["line"]));
    }

    #[test]
    fn missing_required_columns_are_listed_in_field_order() {
        // `note` is nullable, `id` and `created_at` have defaults: only these are required.
        assert_eq!(missing::<30>(&[]), "`region`, `rider_id`, `status`");
        assert_eq!(missing::<20>(&["region"]), "`rider_id`, `status`");
        assert_eq!(missing::<8>(&["rider_id", "region", "note"]), "`status`");
        assert_eq!(missing::<0>(&["status", "rider_id", "region"]), "");
        // A name that is only a prefix of a required column does not stand for it.
        assert_eq!(missing::<8>(&["rider_id", "region", "stat"]), "`status`");
    }

    #[test]
    fn handles_give_their_names_and_types() {
        assert_eq!(col_name(&RiderId), "rider_id");
        let _: core::marker::PhantomData<i64> = ty_of(&RiderId);
        let _: core::marker::PhantomData<Option<i64>> = ty_of_opt(&RiderId);
    }

    #[test]
    fn sums_and_averages_read_as_the_servers_types() {
        let sum = sum_info::<RiderId, i64>(&RiderId);
        // PostgreSQL sums bigints as numeric: the cast keeps a bigint.
        assert_eq!(sum.cast(), "::int8");
        let _: core::marker::PhantomData<Option<i64>> = sum.ty();
        let avg = avg_info::<RiderId, f64>(&RiderId);
        assert_eq!(avg.cast(), "::float8");
        assert_eq!(<f64 as Averageable<f64>>::CAST, "");
        assert_eq!(<i32 as Summable<i64>>::CAST, "");
    }
}
