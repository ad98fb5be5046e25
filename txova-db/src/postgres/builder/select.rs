//! The run-time `SELECT`: the seed's builder, with joins, grouping and typed reading.

use std::fmt::Write;

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::super::executor::{Executor, Param, RowStream};
use super::super::ident;
use super::super::placeholders;
use super::super::query::FromRow;
use super::super::schema::{Column, Table};
use super::items::{Picked, Selection, TypedSelect};
use super::{Condition, SortKey, Value, push_list, value};
use crate::error::{Error, Result};

/// Starts a `SELECT` of every column of a `#[derive(Table)]` table.
#[must_use]
pub fn select_table<T: Table>() -> Select {
    let mut q = select_unchecked(T::SQL_NAME);
    q.columns = T::COLUMNS
        .iter()
        .map(|c| format!("{}.{c}", T::SQL_NAME))
        .collect();
    q
}

fn select_unchecked(table: &str) -> Select {
    Select {
        table: table.to_owned(),
        columns: Vec::new(),
        joins: Vec::new(),
        conditions: Vec::new(),
        group: Vec::new(),
        having: Vec::new(),
        order: Vec::new(),
        limit: None,
        offset: None,
        error: None,
    }
}

/// Starts a `SELECT` on `table` (`users`, or `schema.table`). Without
/// [`columns`](Select::columns) it selects `*`.
///
/// ```
/// use txova_db::postgres;
///
/// let query = postgres::select("users")
///     .columns(["id", "name", "email"])
///     .filter("status = ?", "active")
///     .filter("created_at > ?", 1_700_000_000_i64)
///     .order_by("created_at DESC")
///     .limit(20)
///     .offset(40);
/// let (sql, args) = query.build()?;
/// assert_eq!(
///     sql,
///     "SELECT id, name, email FROM users WHERE status = $1 AND created_at > $2 \
///      ORDER BY created_at DESC LIMIT 20 OFFSET 40"
/// );
/// assert_eq!(args.len(), 2);
/// # Ok::<(), txova_db::Error>(())
/// ```
#[must_use]
pub fn select(table: &str) -> Select {
    let mut q = select_unchecked("");
    match ident::qualified(table) {
        Ok(t) => q.table = t,
        Err(e) => q.fail(e.context("table")),
    }
    q
}

/// A table joined to a [`Select`].
struct Join {
    table: &'static str,
    left: bool,
    on: Condition,
}

/// A `SELECT` built at run time; see [`select`].
pub struct Select {
    table: String,
    columns: Vec<String>,
    joins: Vec<Join>,
    conditions: Vec<Condition>,
    group: Vec<String>,
    having: Vec<Condition>,
    order: Vec<String>,
    limit: Option<i64>,
    offset: Option<i64>,
    /// The first mistake, reported by `build`.
    error: Option<Error>,
}

impl std::fmt::Debug for Select {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Select")
            .field("sql", &self.build().map(|(sql, _)| sql))
            .finish_non_exhaustive()
    }
}

impl Select {
    fn fail(&mut self, e: Error) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    /// The columns to select, by name (`id`, `users.id`); each is checked and quoted when
    /// needed. Calls add up.
    #[must_use]
    pub fn columns<I, S>(mut self, columns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for c in columns {
            let c = c.as_ref();
            match ident::qualified(c) {
                Ok(c) => self.columns.push(c),
                Err(e) => self.fail(e.context("column")),
            }
        }
        self
    }

    /// A condition from a fragment with one `?` and its value, as the seed writes it:
    /// `.filter("status = ?", "active")`. Conditions are joined with `AND`. Text (a `&str` or
    /// a `String`) also fits a column of a PostgreSQL enum type, as its label.
    #[must_use]
    pub fn filter<V>(self, fragment: &str, value: V) -> Self
    where
        V: ToSql + Sync + Send + 'static,
    {
        self.filter_values(fragment, vec![value::boxed(value)])
    }

    /// A condition from a fragment with as many `?` as `values`:
    /// `.filter_values("age BETWEEN ? AND ?", vec![Box::new(18), Box::new(65)])`.
    #[must_use]
    pub fn filter_values(self, fragment: &str, values: Vec<Value>) -> Self {
        self.filter_by(Condition::sql(fragment, values))
    }

    /// A typed condition (`User::status.eq(v)`), or `None` to add nothing: optional filters
    /// read `.filter_by(name.map(|n| User::name.eq(n)))`.
    #[must_use]
    pub fn filter_by(mut self, condition: impl Into<Option<Condition>>) -> Self {
        if let Some(c) = condition.into() {
            match placeholders::check(&c.sql, c.values.len()) {
                Ok(()) => self.conditions.push(c),
                Err(e) => self.fail(e),
            }
        }
        self
    }

    /// Joins table `T` on a condition: `.join::<Post>(Post::user_id.eq_col(User::id))`.
    /// Values in the condition are bound like any other. A table already in the query is
    /// refused: the builder gives no aliases, which a self-join would need.
    #[must_use]
    pub fn join<T: Table>(self, on: Condition) -> Self {
        self.add_join(T::SQL_NAME, false, on)
    }

    /// Left-joins table `T` on a condition. Its columns are `NULL` where nothing matched, so a
    /// typed [`select`](Select::select) must read them as `Option`s
    /// ([`ColumnExt::nullable`](super::ColumnExt::nullable),
    /// [`AllColumns::nullable`](super::AllColumns::nullable)).
    #[must_use]
    pub fn left_join<T: Table>(self, on: Condition) -> Self {
        self.add_join(T::SQL_NAME, true, on)
    }

    fn add_join(mut self, table: &'static str, left: bool, on: Condition) -> Self {
        if self.has_table(table) {
            self.fail(Error::invalid_input(format!(
                "table `{table}` is already in this query: the builder does not alias tables, \
                 so a table can be joined once"
            )));
        } else if let Err(e) = placeholders::check(&on.sql, on.values.len()) {
            self.fail(e);
        } else {
            self.joins.push(Join { table, left, on });
        }
        self
    }

    fn has_table(&self, table: &str) -> bool {
        self.table == table || self.joins.iter().any(|j| j.table == table)
    }

    /// Groups the rows by a column: `.group_by(User::status)`. Calls add up.
    #[must_use]
    pub fn group_by<C: Column>(mut self, column: C) -> Self {
        let _ = column;
        self.group.push(super::qualified::<C>());
        self
    }

    /// Groups the rows by columns named in text, as [`order_by`](Select::order_by) takes
    /// them: `.group_by_names("status, age")`. Each name is checked and quoted when needed.
    #[must_use]
    pub fn group_by_names(mut self, names: &str) -> Self {
        for name in names.split(',') {
            match ident::qualified(name.trim()) {
                Ok(n) => self.group.push(n),
                Err(e) => self.fail(e.context("group by column")),
            }
        }
        self
    }

    /// A condition on the groups, joined with `AND`: `.having(count_all().gt(1_i64))`, or
    /// `None` to add nothing.
    #[must_use]
    pub fn having(mut self, condition: impl Into<Option<Condition>>) -> Self {
        if let Some(c) = condition.into() {
            match placeholders::check(&c.sql, c.values.len()) {
                Ok(()) => self.having.push(c),
                Err(e) => self.fail(e),
            }
        }
        self
    }

    /// Chooses the select list from typed items and reads each row as their types:
    /// `.select((User::name, Post::title.nullable(), Post::id.count()))` reads
    /// `(String, Option<String>, i64)`. It replaces the columns chosen before, and comes last,
    /// once the joins are known: a column of a table that is not in the query, or of a
    /// left-joined table read as something other than an `Option`, is an
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) from
    /// [`build`](TypedSelect::build) and the fetch methods, before anything is sent.
    #[allow(
        clippy::needless_pass_by_value,
        reason = "the items are small values, written inline: `.select((User::name, Post::id))`"
    )]
    pub fn select<S: Selection>(mut self, items: S) -> TypedSelect<S::Row> {
        let mut picked = Vec::new();
        items.pick(&mut picked);
        self.columns.clear();
        for p in picked {
            if let Err(e) = self.check_pick(&p) {
                self.fail(e);
            }
            self.columns.push(p.sql);
        }
        TypedSelect {
            select: self,
            read: S::read,
        }
    }

    fn check_pick(&self, p: &Picked) -> Result<()> {
        let Some(table) = p.table else {
            return Ok(());
        };
        if !self.has_table(table) {
            return Err(Error::invalid_input(format!(
                "`{}` reads table `{table}`, which is not in this query: join it first",
                p.sql
            )));
        }
        let left = self.joins.iter().any(|j| j.left && j.table == table);
        if left && !p.reads_null {
            return Err(Error::invalid_input(format!(
                "`{}` may be NULL: table `{table}` is left-joined, so read it as an `Option` \
                 (`.nullable()` on the column or on `all_columns`)",
                p.sql
            )));
        }
        Ok(())
    }

    /// Sort keys, as the seed writes them: `"created_at DESC"`, `"name, id DESC NULLS LAST"`.
    /// Each key is a column name with optional `ASC`/`DESC` and `NULLS FIRST`/`NULLS LAST`.
    #[must_use]
    pub fn order_by(mut self, keys: &str) -> Self {
        for key in keys.split(',') {
            match order_key(key) {
                Ok(k) => self.order.push(k),
                Err(e) => self.fail(e),
            }
        }
        self
    }

    /// A typed sort key: `.order_by_key(User::created_at.desc())`.
    #[must_use]
    pub fn order_by_key(mut self, key: SortKey) -> Self {
        self.order.push(key.0);
        self
    }

    /// At most `n` rows. Any integer type is accepted (`i32`, `u32`, `usize`, ...); a
    /// negative count or one beyond `i64::MAX` is an
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) from [`Select::build`].
    #[must_use]
    pub fn limit<N: TryInto<i64> + Copy + std::fmt::Display>(mut self, n: N) -> Self {
        match value::count("limit", n) {
            Ok(n) => self.limit = Some(n),
            Err(e) => self.fail(e),
        }
        self
    }

    /// Skip the first `n` rows; any integer type, as for [`Select::limit`].
    #[must_use]
    pub fn offset<N: TryInto<i64> + Copy + std::fmt::Display>(mut self, n: N) -> Self {
        match value::count("offset", n) {
            Ok(n) => self.offset = Some(n),
            Err(e) => self.fail(e),
        }
        self
    }

    /// The SQL, with placeholders numbered `$1..$n`, and the values in that order, ready for
    /// [`Executor::query`].
    pub fn build(&self) -> Result<(String, Vec<Param<'_>>)> {
        if let Some(e) = &self.error {
            return Err(Error::invalid_input(e.to_string()));
        }
        let mut sql = String::with_capacity(128);
        sql.push_str("SELECT ");
        if self.columns.is_empty() {
            sql.push('*');
        } else {
            push_list(&mut sql, &self.columns);
        }
        sql.push_str(" FROM ");
        sql.push_str(&self.table);
        let values = self
            .joins
            .iter()
            .map(|j| &j.on)
            .chain(&self.conditions)
            .chain(&self.having);
        let mut params: Vec<Param<'_>> = Vec::with_capacity(values.map(|c| c.values.len()).sum());
        for j in &self.joins {
            sql.push_str(if j.left { " LEFT JOIN " } else { " JOIN " });
            sql.push_str(j.table);
            sql.push_str(" ON ");
            write_condition(&mut sql, &j.on, false, &mut params)?;
        }
        write_where(&mut sql, &self.conditions, &mut params)?;
        if !self.group.is_empty() {
            sql.push_str(" GROUP BY ");
            push_list(&mut sql, &self.group);
        }
        for (i, c) in self.having.iter().enumerate() {
            sql.push_str(if i == 0 { " HAVING " } else { " AND " });
            write_condition(&mut sql, c, self.having.len() > 1, &mut params)?;
        }
        if !self.order.is_empty() {
            sql.push_str(" ORDER BY ");
            push_list(&mut sql, &self.order);
        }
        if let Some(n) = self.limit {
            let _ = write!(sql, " LIMIT {n}");
        }
        if let Some(n) = self.offset {
            let _ = write!(sql, " OFFSET {n}");
        }
        Ok((sql, params))
    }

    /// Runs the query and returns all rows.
    pub async fn fetch_all(&self, on: &impl Executor) -> Result<Vec<Row>> {
        let (sql, params) = self.build()?;
        on.query(&sql, &params).await
    }

    /// Runs the query; zero rows is [`ErrorKind::NotFound`](crate::ErrorKind::NotFound).
    pub async fn fetch_one(&self, on: &impl Executor) -> Result<Row> {
        let (sql, params) = self.build()?;
        on.query_one(&sql, &params).await
    }

    /// Runs the query and returns its row, if any.
    pub async fn fetch_optional(&self, on: &impl Executor) -> Result<Option<Row>> {
        let (sql, params) = self.build()?;
        on.query_opt(&sql, &params).await
    }

    /// Runs the query and reads every row as `R` (a `#[derive(Table)]` struct, whose columns
    /// are read by position: select them with [`select_table`], or a tuple).
    pub async fn fetch_all_as<R: FromRow>(&self, on: &impl Executor) -> Result<Vec<R>> {
        self.fetch_all(on).await?.iter().map(R::from_row).collect()
    }

    /// Runs the query and reads its one row as `R`; zero rows is
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound).
    pub async fn fetch_one_as<R: FromRow>(&self, on: &impl Executor) -> Result<R> {
        R::from_row(&self.fetch_one(on).await?)
    }

    /// Runs the query and reads its row, if any, as `R`.
    pub async fn fetch_optional_as<R: FromRow>(&self, on: &impl Executor) -> Result<Option<R>> {
        self.fetch_optional(on)
            .await?
            .map(|row| R::from_row(&row))
            .transpose()
    }

    /// Runs the query and yields rows as they arrive.
    pub async fn fetch_stream<'a>(&self, on: &'a impl Executor) -> Result<RowStream<'a>> {
        let (sql, params) = self.build()?;
        on.query_stream(&sql, &params).await
    }
}

/// Appends ` WHERE a AND b ...` for `conditions` (nothing when there are none), numbering
/// their placeholders after the values already in `params`, and adds their values.
pub(super) fn write_where<'a>(
    sql: &mut String,
    conditions: &'a [Condition],
    params: &mut Vec<Param<'a>>,
) -> Result<()> {
    for (i, c) in conditions.iter().enumerate() {
        sql.push_str(if i == 0 { " WHERE " } else { " AND " });
        write_condition(sql, c, conditions.len() > 1, params)?;
    }
    Ok(())
}

/// Appends one condition, numbering its placeholders after the values already in `params`,
/// and adds its values; `among_others` says it is joined with `AND` to others, so a top-level
/// `OR` must be parenthesised to keep its meaning.
fn write_condition<'a>(
    sql: &mut String,
    c: &'a Condition,
    among_others: bool,
    params: &mut Vec<Param<'a>>,
) -> Result<()> {
    // One pass writes the fragment and says how it must be joined.
    let start = sql.len();
    let found = placeholders::rewrite_into(sql, &c.sql, params.len() + 1)?;
    if found.ends_in_line_comment {
        sql.push('\n');
    }
    if among_others && found.top_level_or {
        sql.insert(start, '(');
        sql.push(')');
    }
    params.extend(c.values.iter().map(|v| &**v as Param<'_>));
    Ok(())
}

/// A sort key written as text (`created_at DESC NULLS LAST`), checked and normalised.
fn order_key(key: &str) -> Result<String> {
    let bad = || {
        Error::invalid_input(format!(
            "`{}` is not a sort key: write `column [ASC | DESC] [NULLS FIRST | NULLS LAST]`",
            key.trim()
        ))
    };
    let mut words = key.split_whitespace();
    let name = words.next().ok_or_else(bad)?;
    let mut out = ident::qualified(name).map_err(|_| bad())?;
    // At most three words follow; a fourth makes `rest` too long to match.
    let mut rest = [""; 4];
    let mut n = 0;
    for w in words {
        if n == rest.len() {
            return Err(bad());
        }
        rest[n] = w;
        n += 1;
    }
    let is = |w: &str, kw: &str| w.eq_ignore_ascii_case(kw);
    let suffix = match &rest[..n] {
        [] => "",
        [a] if is(a, "ASC") => " ASC",
        [a] if is(a, "DESC") => " DESC",
        [a, b] if is(a, "NULLS") && is(b, "FIRST") => " NULLS FIRST",
        [a, b] if is(a, "NULLS") && is(b, "LAST") => " NULLS LAST",
        [a, b, c] if is(b, "NULLS") && (is(a, "ASC") || is(a, "DESC")) => {
            match (is(a, "ASC"), is(c, "FIRST"), is(c, "LAST")) {
                (true, true, _) => " ASC NULLS FIRST",
                (true, _, true) => " ASC NULLS LAST",
                (false, true, _) => " DESC NULLS FIRST",
                (false, _, true) => " DESC NULLS LAST",
                _ => return Err(bad()),
            }
        }
        _ => return Err(bad()),
    };
    out.push_str(suffix);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::ColumnExt;
    use super::*;

    #[test]
    fn sort_keys() {
        for (key, want) in [
            ("created_at", "created_at"),
            (" created_at  desc ", "created_at DESC"),
            ("name Asc", "name ASC"),
            ("bio nulls first", "bio NULLS FIRST"),
            ("bio NULLS LAST", "bio NULLS LAST"),
            ("bio asc nulls first", "bio ASC NULLS FIRST"),
            ("bio ASC NULLS LAST", "bio ASC NULLS LAST"),
            ("bio desc Nulls First", "bio DESC NULLS FIRST"),
            ("bio DESC NULLS LAST", "bio DESC NULLS LAST"),
            ("order desc", "\"order\" DESC"),
        ] {
            assert_eq!(order_key(key).unwrap(), want, "{key:?}");
        }
        for bad in [
            "",
            "name up",
            "name desc nulls",
            "name nulls middle",
            "name desc nulls last please",
            "name asc desc",
            "name; drop table users",
            "name desc first",
        ] {
            assert!(order_key(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn the_seed_query() {
        let q = select("users")
            .columns(["id", "name", "email"])
            .filter("status = ?", "active")
            .filter("created_at > ?", 5_i64)
            .order_by("created_at DESC")
            .limit(20)
            .offset(40);
        let (sql, args) = q.build().unwrap();
        assert_eq!(
            sql,
            "SELECT id, name, email FROM users WHERE status = $1 AND created_at > $2 ORDER BY created_at DESC LIMIT 20 OFFSET 40"
        );
        assert_eq!(args.len(), 2);
    }

    #[test]
    fn names_are_checked_and_quoted() {
        let (sql, _) = select("public.user")
            .columns(["id", "order", "Name"])
            .order_by("order desc nulls last, id")
            .build()
            .unwrap();
        assert_eq!(
            sql,
            "SELECT id, \"order\", \"Name\" FROM public.\"user\" ORDER BY \"order\" DESC NULLS LAST, id"
        );
        for q in [
            select("users; DROP TABLE users"),
            select("users").columns(["id, secret"]),
            select("users").order_by("id; DROP TABLE users"),
            select("users").order_by("id DESCENDING"),
        ] {
            let err = q.build().unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{err}");
        }
    }

    #[test]
    fn placeholder_count_must_match() {
        let err = select("users")
            .filter("a = ? AND b = ?", 1_i32)
            .build()
            .unwrap_err();
        assert!(
            err.to_string().contains("2 placeholder(s) but 1 value(s)"),
            "{err}"
        );
        let err = select("users")
            .filter_values("a = ?", vec![])
            .build()
            .unwrap_err();
        assert!(
            err.to_string().contains("1 placeholder(s) but 0 value(s)"),
            "{err}"
        );
    }

    #[test]
    fn conditions_combine_and_or_conditions_keep_their_meaning() {
        let a = Condition::sql("a = ?", vec![Box::new(1_i32)]);
        let b = Condition::sql("b = ?", vec![Box::new(2_i32)]);
        let c = Condition::sql("c = ?", vec![Box::new(3_i32)]);
        let q = select("t")
            .filter_by(a.or(b).not().and(c))
            .filter("x = ?", 1_i32)
            .filter_values("y = ? OR z = ?", vec![Box::new(3_i32), Box::new(4_i32)])
            .filter_by(None);
        let (sql, args) = q.build().unwrap();
        assert_eq!(
            sql,
            "SELECT * FROM t WHERE (NOT ((a = $1) OR (b = $2))) AND (c = $3) AND x = $4 AND (y = $5 OR z = $6)"
        );
        assert_eq!(args.len(), 6);
    }

    // What the derive writes for `struct User { id: i64, name: String, bio: Option<String> }`.
    struct User;
    #[derive(Clone, Copy)]
    struct Name;
    #[derive(Clone, Copy)]
    struct Bio;
    impl Table for User {
        const SQL_NAME: &'static str = "users";
        const COLUMNS: &'static [&'static str] = &["name", "bio"];
        const NAME: &'static str = "users";
        const SCHEMA: Option<&'static str> = None;
        const COLUMN_INFO: &'static [crate::postgres::schema::ColumnInfo] = &[];
    }
    impl Column for Name {
        type Table = User;
        type Type = String;
        type Value = String;
        const SQL_NAME: &'static str = "name";
        const NAME: &'static str = "name";
        const INDEX: usize = 0;
        const NULLABLE: bool = false;
    }
    impl Column for Bio {
        type Table = User;
        type Type = Option<String>;
        type Value = String;
        const SQL_NAME: &'static str = "bio";
        const NAME: &'static str = "bio";
        const INDEX: usize = 1;
        const NULLABLE: bool = true;
    }

    #[test]
    fn typed_conditions() {
        let wanted: Option<&'static str> = None;
        let q = select_table::<User>()
            .filter_by(Name.eq("ana").or(Name.like("b%")))
            .filter_by(Bio.is_not_null())
            .filter_by(Name.eq_opt(wanted))
            .filter_by(Name.in_list(vec!["a".to_owned(), "b".to_owned()]))
            .filter_by(Bio.between("a", "m"))
            .order_by_key(Name.desc().nulls_last())
            .limit(5);
        let (sql, args) = q.build().unwrap();
        assert_eq!(
            sql,
            "SELECT users.name, users.bio FROM users WHERE ((users.name = $1) OR (users.name LIKE $2)) \
             AND users.bio IS NOT NULL AND users.name = ANY($3) AND users.bio BETWEEN $4 AND $5 \
             ORDER BY users.name DESC NULLS LAST LIMIT 5"
        );
        assert_eq!(args.len(), 5);
    }

    #[test]
    fn fragments_keep_their_meaning_when_joined() {
        // A quoted `)` does not hide the `OR`: the fragment is parenthesised.
        let (sql, _) = select("users")
            .filter("name = ')' OR id = ?", 1_i64)
            .filter("status = ?", "active")
            .build()
            .unwrap();
        assert_eq!(
            sql,
            "SELECT * FROM users WHERE (name = ')' OR id = $1) AND status = $2"
        );
        // A trailing `--` comment does not swallow what follows.
        let (sql, _) = select("users")
            .filter("id = ? -- the caller's id", 1_i64)
            .order_by("id")
            .limit(1)
            .build()
            .unwrap();
        assert_eq!(
            sql,
            "SELECT * FROM users WHERE id = $1 -- the caller's id\n ORDER BY id LIMIT 1"
        );
        let c = Condition::sql("a = ? -- x", vec![Box::new(1_i64)])
            .or(Condition::sql("b = ?", vec![Box::new(2_i64)]));
        let (sql, _) = select("t").filter_by(c.not()).build().unwrap();
        assert_eq!(
            sql,
            "SELECT * FROM t WHERE NOT ((a = $1 -- x\n) OR (b = $2))"
        );
        // Words that merely contain `or` are not an `OR`.
        let (sql, _) = select("t")
            .filter("color = ? AND orders > 1", "red")
            .filter("\"or\" = ?", 1_i64)
            .build()
            .unwrap();
        assert_eq!(
            sql,
            "SELECT * FROM t WHERE color = $1 AND orders > 1 AND \"or\" = $2"
        );
    }
}
