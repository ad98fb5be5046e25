//! What `#[derive(Table)]` describes: tables and their typed column handles.
//!
//! The derive implements these traits; the query macros and the dynamic builder read them.
//!
//! # Naming a column
//!
//! Every field of a `#[derive(Table)]` struct gets a zero-sized handle, reached as an
//! associated constant of the struct with the field's name: `User::status`. Its type
//! implements [`Column`], which carries the column's SQL name and Rust type, so code that takes
//! a column and a value can require, at compile time, that the value fits the column:
//!
//! ```
//! use txova_db::postgres::{Column, Comparable};
//!
//! /// Accepts a value only if it may be compared with the column `C`.
//! fn condition<C: Column, V: Comparable<C::Value, C>>(_column: C, _value: &V) -> &'static str {
//!     C::SQL_NAME
//! }
//! ```
//!
//! With `User::status` a `String` column, `condition(User::status, &"active")` compiles and
//! `condition(User::status, &42)` is rejected with
//! "cannot compare column `status` of type `String` with a value of type `{integer}`" (the
//! column is printed as `users::status` when another table has a `status` column too).

use tokio_postgres::types::{ToSql, Type};

use super::executor::Param;

/// A table: its SQL name and columns. Implemented by `#[derive(Table)]`.
pub trait Table: Sized {
    /// The table's SQL name as written in SQL (quoted only when needed), with its schema if it
    /// has one: `users`, `"user"`, `billing.invoices`.
    const SQL_NAME: &'static str;
    /// Every column's SQL name as written in SQL, in field order.
    const COLUMNS: &'static [&'static str];
    /// The table's name as the catalog spells it, unquoted: `users`, `user`.
    const NAME: &'static str;
    /// The table's schema as the catalog spells it, if the table names one.
    const SCHEMA: Option<&'static str>;
    /// Every column, described for checks against the live catalog, in field order.
    const COLUMN_INFO: &'static [ColumnInfo];
}

/// A table whose rows can be inserted from the struct. Implemented by `#[derive(Table)]`;
/// used by `insert!`, [`insert_rows`](super::insert_rows) and [`copy_in`](super::copy_in).
pub trait Insertable: Table {
    /// The SQL names of the columns an insert writes: all but `#[column(default)]` ones.
    const INSERT_COLUMNS: &'static [&'static str];
    /// How many columns an insert writes.
    const INSERT_WIDTH: usize;
    /// The value of the `index`th inserted column.
    fn insert_param(&self, index: usize) -> Param<'_>;
}

/// One column of a [`Table`], as the derive saw it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ColumnInfo {
    /// The column's name as the catalog spells it, unquoted.
    pub name: &'static str,
    /// The Rust type of the field, as written in the struct.
    pub rust_type: &'static str,
    /// Whether the field is an `Option`, so the column may hold `NULL`.
    pub nullable: bool,
    /// Whether the field is marked `#[column(primary_key)]`.
    pub primary_key: bool,
    /// Whether the field is marked `#[column(default)]` (left out of inserts).
    pub has_default: bool,
    /// Whether the field's Rust type can read a column of the given PostgreSQL type.
    pub accepts: fn(&Type) -> bool,
}

impl ColumnInfo {
    /// Describes a column; used by the derive.
    #[doc(hidden)]
    #[must_use]
    pub const fn new(
        name: &'static str,
        rust_type: &'static str,
        nullable: bool,
        primary_key: bool,
        has_default: bool,
        accepts: fn(&Type) -> bool,
    ) -> Self {
        ColumnInfo {
            name,
            rust_type,
            nullable,
            primary_key,
            has_default,
            accepts,
        }
    }
}

/// A typed handle to one column of a [`Table`]. Implemented by `#[derive(Table)]` on one
/// zero-sized type per field, reached as `User::status`.
pub trait Column: Copy + Send + Sync + 'static {
    /// The table the column belongs to.
    type Table: Table;
    /// The Rust type of the field: what a row holds and what a value compared with it must be.
    type Type;
    /// The type a value compared with the column must have: the field's type without its
    /// `Option` for a nullable column (a `NULL` is tested with `is null`, never with `=`).
    type Value;
    /// The column's SQL name as written in SQL (quoted only when needed).
    const SQL_NAME: &'static str;
    /// The column's name as the catalog spells it, unquoted.
    const NAME: &'static str;
    /// The column's position among the table's columns, from 0.
    const INDEX: usize;
    /// Whether the column may hold `NULL` (the field is an `Option`).
    const NULLABLE: bool;
}

/// A value of type `Self` may be compared with a column whose (non-null) Rust type is `T`.
///
/// `C` is the column's handle, named in the error message. Implemented for `T` itself and
/// `&T`, for `&str` against `String`, and for `&[T]` against `Vec<T>`.
#[diagnostic::on_unimplemented(
    message = "cannot compare column `{C}` of type `{T}` with a value of type `{Self}`",
    label = "expected a value of type `{T}`",
    note = "a value compared with a column must have the column's Rust type (or a reference to it); a nullable column is compared with a plain value, and tested for NULL with `is null`"
)]
pub trait Comparable<T: ?Sized, C: ?Sized>: ToSql + Sync {}

impl<T: ToSql + Sync, C: ?Sized> Comparable<T, C> for T {}
impl<T: ToSql + Sync, C: ?Sized> Comparable<T, C> for &T {}
impl<C: ?Sized> Comparable<String, C> for &str {}
impl<T: ToSql + Sync, C: ?Sized> Comparable<Vec<T>, C> for &[T] {}

/// A list of type `Self` may be compared with a column whose (non-null) Rust type is `T`, as
/// one array parameter (`column = ANY($1)`, which `in` becomes).
///
/// Implemented for `Vec<V>`, `&Vec<V>` and `&[V]` whose items are [`Comparable`] with `T`.
#[diagnostic::on_unimplemented(
    message = "cannot compare column `{C}` of type `{T}` with a list of type `{Self}`",
    label = "expected a slice or Vec of `{T}`"
)]
pub trait ComparableList<T: ?Sized, C: ?Sized>: ToSql + Sync {}

impl<T: ?Sized, C: ?Sized, V: Comparable<T, C>> ComparableList<T, C> for Vec<V> {}
impl<T: ?Sized, C: ?Sized, V: Comparable<T, C>> ComparableList<T, C> for &[V] {}
impl<T: ?Sized, C: ?Sized, V: Comparable<T, C>> ComparableList<T, C> for &Vec<V> {}

/// A value of type `Self` may be stored (inserted, assigned) in a column whose Rust type is
/// `T`; for a nullable column `T` is the `Option`.
///
/// `C` is the column's handle, named in the error message. Implemented for `T` itself and
/// `&T`, for `&str` against `String`, and for a nullable column also for the plain value
/// (`i32` into an `Option<i32>` column) and for `None`.
#[diagnostic::on_unimplemented(
    message = "cannot assign a value of type `{Self}` to column `{C}` of type `{T}`",
    label = "expected a value of type `{T}`"
)]
pub trait Assignable<T: ?Sized, C: ?Sized>: ToSql + Sync {}

impl<T: ToSql + Sync, C: ?Sized> Assignable<T, C> for T {}
impl<T: ToSql + Sync, C: ?Sized> Assignable<T, C> for &T {}
impl<C: ?Sized> Assignable<String, C> for &str {}
impl<T: ToSql + Sync, C: ?Sized> Assignable<Vec<T>, C> for &[T] {}
impl<T: ToSql + Sync, C: ?Sized> Assignable<Option<T>, C> for T where Option<T>: ToSql {}
impl<T: ToSql + Sync, C: ?Sized> Assignable<Option<T>, C> for Option<&T> {}
impl<C: ?Sized> Assignable<Option<String>, C> for &str {}
impl<C: ?Sized> Assignable<Option<String>, C> for Option<&str> {}

/// The instants of different time zones that are one PostgreSQL type (`timestamptz`): each
/// may be compared with, and stored in, a column of another.
#[cfg(feature = "chrono")]
macro_rules! same_instant {
    ($($value:ty => $column:ty),* $(,)?) => {$(
        // Not listed in the help of an unrelated type error.
        #[diagnostic::do_not_recommend]
        impl<C: ?Sized> Comparable<$column, C> for $value {}
        #[diagnostic::do_not_recommend]
        impl<C: ?Sized> Comparable<$column, C> for &$value {}
        #[diagnostic::do_not_recommend]
        impl<C: ?Sized> Assignable<$column, C> for $value {}
        #[diagnostic::do_not_recommend]
        impl<C: ?Sized> Assignable<$column, C> for &$value {}
        #[diagnostic::do_not_recommend]
        impl<C: ?Sized> Assignable<Option<$column>, C> for $value {}
        #[diagnostic::do_not_recommend]
        impl<C: ?Sized> Assignable<Option<$column>, C> for &$value {}
    )*};
}

#[cfg(feature = "chrono")]
same_instant!(
    chrono::DateTime<chrono::FixedOffset> => chrono::DateTime<chrono::Utc>,
    chrono::DateTime<chrono::Local> => chrono::DateTime<chrono::Utc>,
    chrono::DateTime<chrono::Utc> => chrono::DateTime<chrono::FixedOffset>,
    chrono::DateTime<chrono::Local> => chrono::DateTime<chrono::FixedOffset>,
    chrono::DateTime<chrono::Utc> => chrono::DateTime<chrono::Local>,
    chrono::DateTime<chrono::FixedOffset> => chrono::DateTime<chrono::Local>,
);

#[cfg(test)]
mod tests {
    use super::*;

    // What the derive writes for `struct User { id: i64, status: String, bio: Option<String> }`.
    struct User;

    #[allow(
        non_snake_case,
        reason = "the module is named after the table, as errors show it"
    )]
    mod users {
        #[derive(Clone, Copy)]
        #[allow(non_camel_case_types, reason = "handles are named after their fields")]
        pub(super) struct status;
        #[derive(Clone, Copy)]
        #[allow(non_camel_case_types, reason = "handles are named after their fields")]
        pub(super) struct bio;
    }

    #[allow(
        non_upper_case_globals,
        reason = "handles are named after their fields"
    )]
    impl User {
        const status: users::status = users::status;
        const bio: users::bio = users::bio;
    }

    fn accepts_text(t: &Type) -> bool {
        <String as tokio_postgres::types::FromSql>::accepts(t)
    }

    impl Table for User {
        const SQL_NAME: &'static str = "users";
        const COLUMNS: &'static [&'static str] = &["status", "bio"];
        const NAME: &'static str = "users";
        const SCHEMA: Option<&'static str> = None;
        const COLUMN_INFO: &'static [ColumnInfo] = &[
            ColumnInfo::new("status", "String", false, false, false, accepts_text),
            ColumnInfo::new("bio", "Option<String>", true, false, false, accepts_text),
        ];
    }

    impl Column for users::status {
        type Table = User;
        type Type = String;
        type Value = String;
        const SQL_NAME: &'static str = "status";
        const NAME: &'static str = "status";
        const INDEX: usize = 0;
        const NULLABLE: bool = false;
    }

    impl Column for users::bio {
        type Table = User;
        type Type = Option<String>;
        type Value = String;
        const SQL_NAME: &'static str = "bio";
        const NAME: &'static str = "bio";
        const INDEX: usize = 1;
        const NULLABLE: bool = true;
    }

    fn compare<C: Column, V: Comparable<C::Value, C> + ?Sized>(_: C, _: &V) -> &'static str {
        C::SQL_NAME
    }

    fn assign<C: Column, V: Assignable<C::Type, C>>(_: C, _: &V) -> &'static str {
        C::SQL_NAME
    }

    #[test]
    fn values_fit_their_columns() {
        let owned = String::from("active");
        assert_eq!(compare(User::status, &"active"), "status");
        assert_eq!(compare(User::status, &owned), "status");
        assert_eq!(compare(User::status, &&owned), "status");
        // A nullable column is compared with a plain value.
        assert_eq!(compare(User::bio, &"x"), "bio");
        assert_eq!(assign(User::bio, &None::<String>), "bio");
        assert_eq!(assign(User::bio, &Some("x")), "bio");
        assert_eq!(assign(User::bio, &"x"), "bio");
        assert_eq!(assign(User::status, &owned), "status");
        assert!(<User as Table>::COLUMN_INFO[1].nullable);
        assert!((<User as Table>::COLUMN_INFO[0].accepts)(&Type::TEXT));
    }
}
