//! Queries shaped at run time: the seed's builder, with typed conditions beside the
//! hand-written ones, joins, grouping and typed reading.
//!
//! Mistakes do not make a wrong query: a name that is not an identifier, a fragment whose
//! count of `?` differs from its values, a numbered `$1` in a fragment, a table joined twice or
//! a selected column whose table is not in the query is an
//! [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) from [`Select::build`] (and from
//! the fetch methods), naming the first mistake.
//!
//! Names written by column handles are always qualified with their table (`users.status`), so
//! they stay unambiguous when tables are joined.

use tokio_postgres::types::ToSql;

use super::placeholders;

mod items;
mod select;
mod value;
mod write;

use super::schema::{Column, Comparable, Table};
use crate::__private::{Averageable, JoinOn, Summable};
pub use items::{
    Aggregate, AllColumns, NullableColumn, NullableColumns, Picked, SelectItem, Selection,
    TypedSelect, all_columns, count_all,
};
use select::write_where;
pub use select::{Select, select, select_table};
pub use write::{Delete, Insert, Update, delete_from, insert_into, update_table};

/// A value bound to a query built at run time.
pub type Value = Box<dyn ToSql + Sync + Send>;

/// A condition for [`Select::filter_by`]: SQL with `?` placeholders and their values.
///
/// Typed conditions come from column handles (`User::status.eq(v)`); [`Condition::sql`] makes
/// one from a hand-written fragment.
pub struct Condition {
    sql: String,
    values: Vec<Value>,
}

impl std::fmt::Debug for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Condition")
            .field("sql", &self.sql)
            .field("values", &self.values.len())
            .finish()
    }
}

impl Condition {
    /// A condition from a hand-written fragment with `?` placeholders and its values.
    pub fn sql(fragment: impl Into<String>, values: Vec<Value>) -> Condition {
        Condition {
            sql: fragment.into(),
            values,
        }
    }

    /// Both conditions: `(a) AND (b)`.
    #[must_use]
    pub fn and(self, other: Condition) -> Condition {
        self.join("AND", other)
    }

    /// Either condition: `(a) OR (b)`.
    #[must_use]
    pub fn or(self, other: Condition) -> Condition {
        self.join("OR", other)
    }

    /// The negation: `NOT (a)`.
    #[must_use]
    #[allow(
        clippy::should_implement_trait,
        reason = "reads as SQL's NOT, like `and` and `or`"
    )]
    pub fn not(self) -> Condition {
        Condition {
            sql: format!("NOT ({}{})", self.sql, end_comment(&self.sql)),
            values: self.values,
        }
    }

    fn join(mut self, op: &str, other: Condition) -> Condition {
        self.values.extend(other.values);
        Condition {
            sql: format!(
                "({}{}) {op} ({}{})",
                self.sql,
                end_comment(&self.sql),
                other.sql,
                end_comment(&other.sql)
            ),
            values: self.values,
        }
    }
}

/// A new line when `sql` ends inside a `--` comment, so that what follows is not commented
/// out. A malformed fragment is refused later, by `filter_by`.
fn end_comment(sql: &str) -> &'static str {
    if placeholders::inspect(sql).is_ok_and(|s| s.ends_in_line_comment) {
        "\n"
    } else {
        ""
    }
}

/// Typed conditions and sort keys from column handles, for the run-time builder:
/// `User::status.eq("active")`, `User::age.between(18, 65)`, `User::deleted_at.is_null()`.
///
/// Values must fit the column ([`Comparable`]), so `User::status.eq(42)` does not compile. The
/// `_opt` forms take an `Option` and give no condition for `None`, for optional filters:
/// `.filter_by(User::name.eq_opt(params.name))`.
pub trait ColumnExt: Column + Sized {
    /// `column = value`
    fn eq<V: Comparable<Self::Value, Self> + Send + 'static>(self, value: V) -> Condition {
        compare::<Self>("=", Box::new(value))
    }
    /// `column <> value`
    fn ne<V: Comparable<Self::Value, Self> + Send + 'static>(self, value: V) -> Condition {
        compare::<Self>("<>", Box::new(value))
    }
    /// `column < value`
    fn lt<V: Comparable<Self::Value, Self> + Send + 'static>(self, value: V) -> Condition {
        compare::<Self>("<", Box::new(value))
    }
    /// `column <= value`
    fn le<V: Comparable<Self::Value, Self> + Send + 'static>(self, value: V) -> Condition {
        compare::<Self>("<=", Box::new(value))
    }
    /// `column > value`
    fn gt<V: Comparable<Self::Value, Self> + Send + 'static>(self, value: V) -> Condition {
        compare::<Self>(">", Box::new(value))
    }
    /// `column >= value`
    fn ge<V: Comparable<Self::Value, Self> + Send + 'static>(self, value: V) -> Condition {
        compare::<Self>(">=", Box::new(value))
    }
    /// `column LIKE pattern`, for text columns.
    fn like<V: Comparable<String, Self> + Send + 'static>(self, pattern: V) -> Condition
    where
        Self: Column<Value = String>,
    {
        compare::<Self>("LIKE", Box::new(pattern))
    }
    /// `column ILIKE pattern`, for text columns.
    fn ilike<V: Comparable<String, Self> + Send + 'static>(self, pattern: V) -> Condition
    where
        Self: Column<Value = String>,
    {
        compare::<Self>("ILIKE", Box::new(pattern))
    }
    /// `column = ANY(values)`: the list is bound as one array parameter, so the statement is
    /// the same whatever its length.
    fn in_list<V>(self, values: Vec<V>) -> Condition
    where
        V: Comparable<Self::Value, Self> + Send + 'static,
        Vec<V>: ToSql + Sync + Send,
    {
        Condition::sql(
            format!("{} = ANY(?)", qualified::<Self>()),
            vec![Box::new(values)],
        )
    }
    /// `column BETWEEN low AND high`
    fn between<V: Comparable<Self::Value, Self> + Send + 'static>(
        self,
        low: V,
        high: V,
    ) -> Condition {
        Condition::sql(
            format!("{} BETWEEN ? AND ?", qualified::<Self>()),
            vec![Box::new(low), Box::new(high)],
        )
    }
    /// `column IS NULL`, for nullable columns.
    fn is_null(self) -> Condition
    where
        Self::Type: Nullable,
    {
        Condition::sql(format!("{} IS NULL", qualified::<Self>()), Vec::new())
    }
    /// `column IS NOT NULL`, for nullable columns.
    fn is_not_null(self) -> Condition
    where
        Self::Type: Nullable,
    {
        Condition::sql(format!("{} IS NOT NULL", qualified::<Self>()), Vec::new())
    }
    /// `column = value` when `value` is `Some`, no condition when it is `None`.
    fn eq_opt<V: Comparable<Self::Value, Self> + Send + 'static>(
        self,
        value: Option<V>,
    ) -> Option<Condition> {
        value.map(|v| self.eq(v))
    }
    /// `column LIKE pattern` when `pattern` is `Some`, no condition when it is `None`.
    fn like_opt<V: Comparable<String, Self> + Send + 'static>(
        self,
        pattern: Option<V>,
    ) -> Option<Condition>
    where
        Self: Column<Value = String>,
    {
        pattern.map(|p| self.like(p))
    }
    /// Ascending sort key.
    fn asc(self) -> SortKey {
        SortKey(qualified_then::<Self>(" NULLS LAST".len()))
    }
    /// Descending sort key.
    fn desc(self) -> SortKey {
        let mut key = qualified_then::<Self>(" DESC NULLS LAST".len());
        key.push_str(" DESC");
        SortKey(key)
    }
    /// `column = other`, for a join's `ON`: `Post::user_id.eq_col(User::id)`. Both columns
    /// must hold the same Rust type (nullability aside).
    fn eq_col<D>(self, other: D) -> Condition
    where
        D: Column,
        Self: JoinOn<D>,
    {
        let _ = other;
        Condition::sql(
            format!("{} = {}", qualified::<Self>(), qualified::<D>()),
            Vec::new(),
        )
    }
    /// The column read as an `Option`, for [`Select::select`]: required for a column of a
    /// left-joined table, which is `NULL` where nothing matched.
    fn nullable(self) -> NullableColumn<Self> {
        NullableColumn(self)
    }
    /// `count(column)`: the number of rows where the column is not `NULL`, read as `i64`.
    fn count(self) -> Aggregate<i64, i64> {
        Aggregate::new(
            format!("count({})", qualified::<Self>()),
            Some(<Self::Table as Table>::SQL_NAME),
        )
    }
    /// `sum(column)`, read as `Option<S>` (`None` over no rows): `i64` for integer columns,
    /// the float for floats, `Decimal` for `numeric`. A column that cannot be summed does not
    /// compile.
    fn sum<S>(self) -> Aggregate<S, Option<S>>
    where
        Self::Value: Summable<S>,
    {
        Aggregate::new(
            format!(
                "sum({}){}",
                qualified::<Self>(),
                <Self::Value as Summable<S>>::CAST
            ),
            Some(<Self::Table as Table>::SQL_NAME),
        )
    }
    /// `avg(column)`, read as `Option<A>`: `f64` for integers and floats, `Decimal` for
    /// `numeric`.
    fn avg<A>(self) -> Aggregate<A, Option<A>>
    where
        Self::Value: Averageable<A>,
    {
        Aggregate::new(
            format!(
                "avg({}){}",
                qualified::<Self>(),
                <Self::Value as Averageable<A>>::CAST
            ),
            Some(<Self::Table as Table>::SQL_NAME),
        )
    }
    /// `min(column)`, read as `Option` of the column's type.
    fn min(self) -> Aggregate<Self::Value, Option<Self::Value>> {
        Aggregate::new(
            format!("min({})", qualified::<Self>()),
            Some(<Self::Table as Table>::SQL_NAME),
        )
    }
    /// `max(column)`, read as `Option` of the column's type.
    fn max(self) -> Aggregate<Self::Value, Option<Self::Value>> {
        Aggregate::new(
            format!("max({})", qualified::<Self>()),
            Some(<Self::Table as Table>::SQL_NAME),
        )
    }
}

impl<C: Column> ColumnExt for C {}

/// Implemented by `Option<T>`: the column types that may hold `NULL`.
#[diagnostic::on_unimplemented(
    message = "column of type `{Self}` cannot be NULL",
    label = "this column is not an `Option`, so `is null` is always false"
)]
pub trait Nullable {}

impl<T> Nullable for Option<T> {}

fn compare<C: Column>(op: &str, value: Value) -> Condition {
    let mut sql = qualified_then::<C>(op.len() + 3);
    sql.push(' ');
    sql.push_str(op);
    sql.push_str(" ?");
    Condition::sql(sql, vec![value])
}

/// The column's name qualified with its table's: `users.status`.
fn qualified<C: Column>() -> String {
    qualified_then::<C>(0)
}

/// The column's qualified name in a string with room for `more` bytes after it, so a
/// condition or a sort key is one allocation.
fn qualified_then<C: Column>(more: usize) -> String {
    let table = <C::Table as Table>::SQL_NAME;
    let mut s = String::with_capacity(table.len() + 1 + C::SQL_NAME.len() + more);
    s.push_str(table);
    s.push('.');
    s.push_str(C::SQL_NAME);
    s
}

/// A sort key from a column handle: `User::created_at.desc()`.
#[derive(Debug, Clone)]
pub struct SortKey(String);

impl SortKey {
    /// This key with `NULLS FIRST`.
    #[must_use]
    pub fn nulls_first(mut self) -> Self {
        self.0.push_str(" NULLS FIRST");
        self
    }

    /// This key with `NULLS LAST`.
    #[must_use]
    pub fn nulls_last(mut self) -> Self {
        self.0.push_str(" NULLS LAST");
        self
    }
}

/// Appends `items` separated by `, `.
fn push_list(sql: &mut String, items: &[String]) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(item);
    }
}
