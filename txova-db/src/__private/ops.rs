//! Typed jsonb and array operators: `->`, `->>`, `#>`, `#>>`, `?`, `@>`, `<@`, `&&`, and
//! `x = any(array)`, `x <> all(array)`, `cardinality`, `array_length`. Each operator is a const
//! fn over the witnesses ([`Ty`]) of its operands whose bounds are traits with messages in SQL
//! terms; values beside them are bound by functions whose bounds check the value's type.

use super::{Param, SqlType, ToSql, Ty, ty};

/// Arrays are expressions: an array column, `array_agg`, a `Vec` bound as one parameter.
impl<T: SqlType> SqlType for Vec<T> {
    type Base = Self;
    type Nullable = Option<Self>;
    // A `case` whose branches are all arrays bound as values is too rare to name each
    // element type's array cast: the server infers it from the other side.
    const CAST: &'static str = "";
}

#[cfg(feature = "uuid")]
impl SqlType for uuid::Uuid {
    type Base = Self;
    type Nullable = Option<Self>;
    const CAST: &'static str = "::uuid";
}

/// An array, as `any`, `all`, `cardinality` and `array_length` take: `E` is the type of one
/// element as `x = any(array)` compares it (nullable if the array is), `C` the type of
/// `cardinality` (`i32`, NULL if the array is).
///
/// The types are parameters, as in [`Unify`](super::Unify), so a mistake is reported once.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an array",
    label = "`any`, `all`, `cardinality` and `array_length` take an array: a `Vec` column or expression"
)]
pub trait ArrayExpr<E, C> {}

impl<T: SqlType> ArrayExpr<T, i32> for Vec<T> {}

impl<T: SqlType> ArrayExpr<T::Nullable, Option<i32>> for Option<Vec<T>> {}

/// The type of `any(array)` and `all(array)` on the right of a comparison: an element's.
#[must_use]
pub const fn any_elem<A: ArrayExpr<E, C>, E, C>(_: Ty<A>) -> Ty<E> {
    ty()
}

/// An array whose elements are compared with an expression of type `T` (`x = any(array)`);
/// `O` is an element's type, nullable if the array or its elements are.
#[diagnostic::on_unimplemented(
    message = "cannot compare `{T}` with the elements of `{Self}`",
    label = "`x = any(array)` and `x <> all(array)` take an array of the type of `x`"
)]
pub trait ArrayOf<T, O> {}

impl<T: SqlType<Base = T>> ArrayOf<T, T> for Vec<T> {}

impl<T: SqlType<Base = T>> ArrayOf<T, Option<T>> for Vec<Option<T>> {}

impl<T: SqlType<Base = T>> ArrayOf<T, Option<T>> for Option<Vec<T>> {}

impl<T: SqlType<Base = T>> ArrayOf<T, Option<T>> for Option<Vec<Option<T>>> {}

/// The type of `any(array)` beside an expression of type `T`: an element's, which must be
/// `T`'s.
#[must_use]
pub const fn any_of<T: SqlType, A: ArrayOf<T::Base, O>, O>(_: Ty<T>, _: Ty<A>) -> Ty<O> {
    ty()
}

/// The type of an array of the (non-null) type of `T`, for a value given to `any`.
#[must_use]
pub const fn array_of<T: SqlType>(_: Ty<T>) -> Ty<Vec<T::Base>> {
    ty()
}

/// The type of `cardinality(array)`.
#[must_use]
pub const fn cardinality<A: ArrayExpr<E, C>, E, C>(_: Ty<A>) -> Ty<C> {
    ty()
}

/// The type of `array_length(array, dimension)`: NULL for an empty array.
#[must_use]
pub const fn array_length<A: ArrayExpr<E, C>, E, C>(_: Ty<A>) -> Ty<Option<i32>> {
    ty()
}

/// A Rust value given to `any` or `all` beside an expression of type `T`.
#[diagnostic::on_unimplemented(
    message = "`any` and `all` beside an expression of type `{T}` take an array of `{T}`, found `{Self}`",
    label = "expected a `Vec<{T}>` or a `&[{T}]`",
    note = "`x = any(values)` binds the whole array as one parameter; its elements have the type of `x`"
)]
pub trait AnyValue<T>: ToSql + Sync {}

impl<T: ToSql + Sync> AnyValue<T> for Vec<T> {}

impl<T: ToSql + Sync> AnyValue<T> for &Vec<T> {}

impl<T: ToSql + Sync> AnyValue<T> for &[T] {}

impl AnyValue<String> for Vec<&str> {}

impl AnyValue<String> for &Vec<&str> {}

impl AnyValue<String> for &[&str] {}

/// Binds the array given to `any` or `all` beside an expression of type `T`.
#[inline]
pub fn bind_any<T: SqlType, V: AnyValue<T::Base>>(_: Ty<T>, v: &V) -> Param<'_> {
    v
}

/// An integer: the dimension `array_length` takes.
#[diagnostic::on_unimplemented(
    message = "the dimension of `array_length` is an `i32`, found `{Self}`",
    label = "write the dimension as an integer: `array_length(tags, 1)`"
)]
pub trait Dimension: ToSql + Sync {}

impl Dimension for i32 {}

impl Dimension for &i32 {}

/// Binds the dimension of `array_length`.
#[inline]
pub fn bind_dimension<V: Dimension>(v: &V) -> Param<'_> {
    v
}

/// `Self && B`: arrays of one element type, NULL if either is.
#[diagnostic::on_unimplemented(
    message = "cannot test whether `{Self}` and `{B}` overlap",
    label = "both sides of `&&` must be arrays of one element type",
    note = "`&&` tests whether two arrays overlap; SQL's logical and is written `and`"
)]
pub trait Overlap<B, O> {}

/// The type of `a && b`.
#[must_use]
pub const fn overlap<A: Overlap<B, O>, B, O>(_: Ty<A>, _: Ty<B>) -> Ty<O> {
    ty()
}

/// `Self @> B` and `Self <@ B`: two jsonb documents, or two arrays of one element type; NULL
/// if either is.
#[diagnostic::on_unimplemented(
    message = "cannot test containment between `{Self}` and `{B}`",
    label = "both sides of `@>` and `<@` must be jsonb, or arrays of one element type"
)]
pub trait Contain<B, O> {}

/// The type of `a @> b` and `a <@ b`.
#[must_use]
pub const fn contain<A: Contain<B, O>, B, O>(_: Ty<A>, _: Ty<B>) -> Ty<O> {
    ty()
}

// Written out rather than by a macro: a type error lists them.
impl<T> Overlap<Vec<T>, bool> for Vec<T> {}
impl<T> Overlap<Option<Vec<T>>, Option<bool>> for Vec<T> {}
impl<T> Overlap<Vec<T>, Option<bool>> for Option<Vec<T>> {}
impl<T> Overlap<Option<Vec<T>>, Option<bool>> for Option<Vec<T>> {}

impl<T> Contain<Vec<T>, bool> for Vec<T> {}
impl<T> Contain<Option<Vec<T>>, Option<bool>> for Vec<T> {}
impl<T> Contain<Vec<T>, Option<bool>> for Option<Vec<T>> {}
impl<T> Contain<Option<Vec<T>>, Option<bool>> for Option<Vec<T>> {}

/// A Rust value tested for containment (`@>`, `<@`) or overlap (`&&`) with an expression of
/// type `L`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be tested against an expression of type `{L}` with `@>`, `<@` or `&&`",
    label = "expected a value of the type of the other side",
    note = "beside a jsonb expression the value is a `serde_json::Value` or a `Json<T>`; beside an array it is a `Vec` or a slice of the array's element type"
)]
pub trait ContainValue<L>: ToSql + Sync {}

impl<T: ToSql + Sync> ContainValue<Vec<T>> for Vec<T> {}

impl<T: ToSql + Sync> ContainValue<Vec<T>> for &Vec<T> {}

impl<T: ToSql + Sync> ContainValue<Vec<T>> for &[T] {}

impl ContainValue<Vec<String>> for Vec<&str> {}

impl ContainValue<Vec<String>> for &Vec<&str> {}

impl ContainValue<Vec<String>> for &[&str] {}

/// Binds a value tested with `@>`, `<@` or `&&` against an expression of type `L`.
#[inline]
pub fn bind_contain<L: SqlType, V: ContainValue<L::Base>>(_: Ty<L>, v: &V) -> Param<'_> {
    v
}

#[cfg(feature = "json")]
pub use json::*;

#[cfg(feature = "json")]
mod json {
    use core::fmt::Debug;

    use serde::Serialize;
    use serde_json::Value;
    use tokio_postgres::types::Json;

    use super::super::{Param, SqlType, ToSql, Ty, ty};
    use super::{Contain, ContainValue};

    impl SqlType for Value {
        type Base = Self;
        type Nullable = Option<Self>;
        const CAST: &'static str = "::jsonb";
    }

    impl<T> SqlType for Json<T> {
        type Base = Self;
        type Nullable = Option<Self>;
        const CAST: &'static str = "::jsonb";
    }

    /// A jsonb document, as the left side of `->`, `->>`, `#>`, `#>>`, `?`, `?|` and `?&` takes.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not jsonb",
        label = "`->`, `->>`, `#>`, `#>>`, `?`, `?|` and `?&` take a jsonb column or expression on their left",
        note = "a jsonb column is a `serde_json::Value` or a `Json<T>` field"
    )]
    ///
    /// `B` is the type of a test on it (`?`): `bool`, NULL if the document is.
    pub trait JsonExpr<B> {}

    impl JsonExpr<bool> for Value {}

    impl<T> JsonExpr<bool> for Json<T> {}

    impl JsonExpr<Option<bool>> for Option<Value> {}

    impl<T> JsonExpr<Option<bool>> for Option<Json<T>> {}

    impl<A: JsonDoc, B: JsonDoc> Contain<B, bool> for A {}
    impl<A: JsonDoc, B: JsonDoc> Contain<Option<B>, Option<bool>> for A {}
    impl<A: JsonDoc, B: JsonDoc> Contain<B, Option<bool>> for Option<A> {}
    impl<A: JsonDoc, B: JsonDoc> Contain<Option<B>, Option<bool>> for Option<A> {}

    /// A key of `->` or `->>`: text (a field's name) or an `i32` (an array's index).
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a key of a jsonb document",
        label = "the key of `->` and `->>` is text (a field's name) or an integer (an array's index)"
    )]
    pub trait JsonKey {}

    impl JsonKey for String {}

    impl JsonKey for Option<String> {}

    impl JsonKey for i32 {}

    impl JsonKey for Option<i32> {}

    /// Text, as the key of `?` is.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not text",
        label = "the key `?` tests is text (a field's name)"
    )]
    pub trait TextKey {}

    impl TextKey for String {}

    impl TextKey for Option<String> {}

    /// An array of text: the path of `#>` and `#>>`, the keys of `?|` and `?&`.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not an array of text",
        label = "the path of `#>` and `#>>` and the keys of `?|` and `?&` are an array of text: `vec![\"address\", \"city\"]`"
    )]
    pub trait JsonPath {}

    impl JsonPath for Vec<String> {}

    impl JsonPath for Option<Vec<String>> {}

    /// The type of `doc -> key` and `doc #> path`: jsonb, NULL when absent.
    #[must_use]
    pub const fn json_get<D: JsonExpr<B>, B, K: JsonKey>(_: Ty<D>, _: Ty<K>) -> Ty<Option<Value>> {
        ty()
    }

    /// The type of `doc ->> key`: text, NULL when absent.
    #[must_use]
    pub const fn json_text<D: JsonExpr<B>, B, K: JsonKey>(
        _: Ty<D>,
        _: Ty<K>,
    ) -> Ty<Option<String>> {
        ty()
    }

    /// The type of `doc #> path`.
    #[must_use]
    pub const fn json_path<D: JsonExpr<B>, B, P: JsonPath>(
        _: Ty<D>,
        _: Ty<P>,
    ) -> Ty<Option<Value>> {
        ty()
    }

    /// The type of `doc #>> path`.
    #[must_use]
    pub const fn json_path_text<D: JsonExpr<B>, B, P: JsonPath>(
        _: Ty<D>,
        _: Ty<P>,
    ) -> Ty<Option<String>> {
        ty()
    }

    /// The type of `doc ? key`.
    #[must_use]
    pub const fn json_has<D: JsonExpr<B>, B, K: TextKey>(_: Ty<D>, _: Ty<K>) -> Ty<B> {
        ty()
    }

    /// The type of `doc ?| keys` and `doc ?& keys`.
    #[must_use]
    pub const fn json_has_keys<D: JsonExpr<B>, B, P: JsonPath>(_: Ty<D>, _: Ty<P>) -> Ty<B> {
        ty()
    }

    /// A Rust value given as the key of `->`, `->>` or `?`.
    #[diagnostic::on_unimplemented(
        message = "a key of a jsonb document is text, found `{Self}`",
        label = "expected a `&str` or a `String`",
        note = "`?` tests a field's name; the index of an array element (`->`, `->>`) is an integer literal such as `data -> 0`, or `cast(i as int4)` for a variable"
    )]
    pub trait KeyValue: ToSql + Sync {}

    impl KeyValue for String {}

    impl KeyValue for &String {}

    impl KeyValue for &str {}

    /// Binds a Rust value given as a key.
    #[inline]
    pub fn bind_key<V: KeyValue>(v: &V) -> Param<'_> {
        v
    }

    /// A Rust value given as the path of `#>` or `#>>`, or the keys of `?|` or `?&`.
    #[diagnostic::on_unimplemented(
        message = "a path in a jsonb document, or a list of keys, is an array of text, found `{Self}`",
        label = "expected a `Vec` or a slice of `&str` or `String`"
    )]
    pub trait PathValue: ToSql + Sync {}

    impl PathValue for Vec<String> {}

    impl PathValue for &Vec<String> {}

    impl PathValue for &[String] {}

    impl PathValue for Vec<&str> {}

    impl PathValue for &Vec<&str> {}

    impl PathValue for &[&str] {}

    /// Binds a Rust value given as a path.
    #[inline]
    pub fn bind_path<V: PathValue>(v: &V) -> Param<'_> {
        v
    }

    /// A jsonb document in one of its Rust forms.
    pub trait JsonDoc {}

    impl JsonDoc for Value {}

    impl<T> JsonDoc for Json<T> {}

    impl<L: JsonDoc> ContainValue<L> for Value {}

    impl<L: JsonDoc> ContainValue<L> for &Value {}

    impl<L: JsonDoc, T: Serialize + Debug + Sync> ContainValue<L> for Json<T> {}

    impl<L: JsonDoc, T: Serialize + Debug + Sync> ContainValue<L> for &Json<T> {}

    /// The type of a document given as a Rust value beside no jsonb expression (`doc ->> key`
    /// with `doc` a variable): a `serde_json::Value`.
    #[must_use]
    pub const fn json_value() -> Ty<Value> {
        ty()
    }

    #[cfg(test)]
    mod tests {
        use super::super::super::ty;
        use super::super::contain;
        use super::*;

        #[test]
        fn types_of_the_json_operators() {
            let _: Ty<Option<Value>> = json_get(ty::<Json<u8>>(), ty::<i32>());
            let _: Ty<Option<String>> = json_text(ty::<Option<Value>>(), ty::<String>());
            let _: Ty<Option<bool>> = json_has(ty::<Option<Value>>(), ty::<String>());
            let _: Ty<bool> = json_has(ty::<Value>(), ty::<String>());
            let _: Ty<bool> = contain(ty::<Json<u8>>(), ty::<Value>());
            let _: Ty<Option<bool>> = contain(ty::<Value>(), ty::<Option<Json<u8>>>());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_of_the_array_operators() {
        let _: Ty<i64> = any_elem(ty::<Vec<i64>>());
        let _: Ty<Option<i64>> = any_elem(ty::<Option<Vec<i64>>>());
        let _: Ty<Option<i64>> = any_elem(ty::<Vec<Option<i64>>>());
        let _: Ty<Vec<i64>> = array_of(ty::<Option<i64>>());
        let _: Ty<Option<i32>> = cardinality(ty::<Option<Vec<String>>>());
        let _: Ty<bool> = overlap(ty::<Vec<String>>(), ty::<Vec<String>>());
        let _: Ty<Option<bool>> = contain(ty::<Option<Vec<i32>>>(), ty::<Vec<i32>>());
        let ids = vec![1_i64, 2];
        let _ = bind_any(ty::<Option<i64>>(), &ids);
        let _ = bind_any(ty::<i64>(), &ids.as_slice());
        let _: Ty<Option<i64>> = any_of(ty::<i64>(), ty::<Option<Vec<i64>>>());
        let _: Ty<i64> = any_of(ty::<Option<i64>>(), ty::<Vec<i64>>());
        let names = vec!["a"];
        let _ = bind_contain(ty::<Option<Vec<String>>>(), &names);
    }
}
