//! `select!`: grammar and expansion.
//!
//! ```text
//! select!( [distinct] [items from | Row { items } from] Table [as Alias]
//!          [[left] join Table [as Alias] on col = col [and col = col]...]...
//!          [where condition] [group by col|expression, ...] [having condition]
//!          [order by col|aggregate|expression [asc|desc] [nulls first|last], ...]
//!          [limit n|value] [offset n|value] )
//! ```
//!
//! This is one branch: branches joined by `union`, `intersect` and `except` are read by
//! [`super::compound`], and CTEs before them by [`super::with`].

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::{Path, Token};

use super::ast::{self, Agg, Bound, ColRef, Item, OrderKey, Selected};
use super::cond::Cond;
use super::expand::{Sql, p};
use super::scope::{Range, Scope};
use super::{check, expr, kw};
use crate::common::Errors;

/// A parsed `select!`.
pub(crate) struct Select {
    /// `select!(distinct ...)`.
    pub(crate) distinct: bool,
    /// `None` for `select!(User ...)`: the whole row of the main table.
    pub(crate) items: Option<Vec<Selected>>,
    /// `Row` in `select!(Row { items } from ...)`: a `#[derive(FromRow)]` struct.
    pub(crate) into: Option<Path>,
    pub(crate) from: Path,
    /// `from User as Boss`.
    pub(crate) alias: Option<proc_macro2::Ident>,
    pub(crate) joins: Vec<Join>,
    pub(crate) filter: Option<Cond>,
    /// The columns of `group by`, for the grouping rule.
    pub(crate) group: Vec<ColRef>,
    /// Every key of `group by`, in order: a column or an expression.
    pub(crate) group_keys: Vec<Item>,
    pub(crate) having: Option<Cond>,
    pub(crate) order: Vec<OrderKey>,
    pub(crate) limit: Option<Bound>,
    pub(crate) offset: Option<Bound>,
    /// The first syntax mistake after `from`. The clauses that parsed are still expanded, so
    /// their own mistakes (a wrong column, a value of the wrong type) are reported in the
    /// same compile; later syntax mistakes are not, since they may only follow from this one.
    pub(crate) syntax: Option<syn::Error>,
    /// Whether the joins parsed: if not, the query's tables are unknown and columns are not
    /// checked against them.
    pub(crate) joins_known: bool,
    /// Where the first of `order by`, `limit` and `offset` starts, when the query has one: a
    /// branch of a compound query other than the last cannot have them outside parentheses.
    pub(crate) tail: Option<proc_macro2::Span>,
}

/// The clause key words after `from`, in order.
const CLAUSES: [&str; 12] = [
    "join",
    "left",
    "inner",
    "where",
    "group",
    "having",
    "order",
    "limit",
    "offset",
    "union",
    "intersect",
    "except",
];

/// Runs `parse` on the next clause; on a mistake, keeps the first one in `syntax` and skips to
/// the next clause key word (or the end), so the clauses after it are still read.
fn clause<T>(
    input: ParseStream<'_>,
    syntax: &mut Option<syn::Error>,
    parse: impl FnOnce(ParseStream<'_>) -> syn::Result<T>,
) -> Option<T> {
    match parse(input) {
        Ok(v) => Some(v),
        Err(e) => {
            syntax.get_or_insert(e);
            // Skip at least one token, so a clause that fails on its own key word moves on.
            let _ = input.parse::<proc_macro2::TokenTree>();
            while !input.is_empty() && !CLAUSES.iter().any(|k| kw::peek(input, k)) {
                let _ = input.parse::<proc_macro2::TokenTree>();
            }
            None
        }
    }
}

pub(crate) struct Join {
    pub(crate) left: bool,
    pub(crate) table: Path,
    /// `join User as Boss`.
    pub(crate) alias: Option<proc_macro2::Ident>,
    pub(crate) on: Vec<(ColRef, ColRef)>,
}

impl Join {
    /// The joined table as the statement reads it.
    pub(crate) fn range(&self) -> Range {
        Range::new(self.table.clone(), self.alias.clone())
    }
}

impl Parse for Select {
    /// A `select` on its own: a subquery, which cannot be followed by `union`.
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        Select::parse_branch(input, false)
    }
}

impl Select {
    /// Parses a `select`; `branch` when it may be followed by the set operator of a compound
    /// query (see [`super::compound`]).
    pub(crate) fn parse_branch(input: ParseStream<'_>, branch: bool) -> syn::Result<Self> {
        let distinct = kw::peek(input, "distinct") && !input.peek2(Token![,]) && {
            kw::eat(input, "distinct")?;
            true
        };
        let fork = input.fork();
        let into = if Path::parse_mod_style(&fork).is_ok() && fork.peek(syn::token::Brace) {
            let path = Path::parse_mod_style(input)?;
            let content;
            syn::braced!(content in input);
            let items = ast::parse_items(&content)?;
            ast::expect_end(&content, "`,` and another column, or `}`")?;
            if !kw::peek(input, "from") {
                return Err(input.error("expected `from` and a table after the struct's columns"));
            }
            Some((path, items))
        } else {
            None
        };
        let (into, items) = match into {
            Some((path, items)) => (Some(path), items),
            None => (None, ast::parse_items(input)?),
        };
        let (items, from, alias) = if kw::eat(input, "from")?.is_some() {
            (
                Some(items),
                Path::parse_mod_style(input)?,
                parse_alias(input)?,
            )
        } else {
            match whole_table(&items) {
                Some((t, alias)) => (None, t, alias),
                None => {
                    return Err(
                        input.error("expected `from` and a table after the selected columns")
                    );
                }
            }
        };
        let mut syntax = None;
        let joins = clause(input, &mut syntax, parse_joins);
        let joins_known = joins.is_some();
        let joins = joins.unwrap_or_default();
        let filter = clause(input, &mut syntax, |input| match kw::eat(input, "where")? {
            Some(_) => Ok(Some(input.parse()?)),
            None => Ok(None),
        })
        .flatten();
        let group_keys = clause(input, &mut syntax, parse_group).unwrap_or_default();
        let group = group_columns(&group_keys);
        let having = clause(input, &mut syntax, |input| {
            match kw::eat(input, "having")? {
                Some(_) => Ok(Some(input.parse()?)),
                None => Ok(None),
            }
        })
        .flatten();
        let tail = ["order", "limit", "offset"]
            .iter()
            .any(|k| kw::peek(input, k))
            .then(|| input.span());
        let order = clause(input, &mut syntax, |input| {
            if kw::eat(input, "order")?.is_some() {
                kw::expect(input, "by", "after `order`")?;
                ast::parse_order(input)
            } else {
                Ok(Vec::new())
            }
        })
        .unwrap_or_default();
        let limit = clause(input, &mut syntax, |input| match kw::eat(input, "limit")? {
            Some(_) => Ok(Some(input.parse()?)),
            None => Ok(None),
        })
        .flatten();
        let offset = clause(input, &mut syntax, |input| {
            match kw::eat(input, "offset")? {
                Some(_) => Ok(Some(input.parse()?)),
                None => Ok(None),
            }
        })
        .flatten();
        end_of_clauses(input, &mut syntax, branch);
        Ok(Select {
            distinct,
            items,
            into,
            from,
            alias,
            joins,
            filter,
            group,
            group_keys,
            having,
            order,
            limit,
            offset,
            syntax,
            joins_known,
            tail,
        })
    }
}

/// Checks that the clauses end here: at the end of the input, or at the set operator before
/// a compound query's next branch. Anything else is a syntax mistake, and is skipped.
fn end_of_clauses(input: ParseStream<'_>, syntax: &mut Option<syn::Error>, branch: bool) {
    let set_op = super::compound::peek_set_op(input);
    if set_op && branch {
        return;
    }
    let end = if set_op {
        Err(input.error(
            "a subquery cannot be a `union`, `intersect` or `except`; write the compound query \
             as a CTE (`with Both as (select ... union select ...) select ...`) and read the CTE \
             in the subquery",
        ))
    } else {
        ast::expect_end(
            input,
            "`where`, `join`, `group by`, `having`, `order by`, `limit`, `offset` or the end of \
             the query (in this order)",
        )
    };
    if let Err(e) = end {
        syntax.get_or_insert(e);
        // What is left cannot be read; it is not part of the query.
        while !input.is_empty() {
            let _ = input.parse::<proc_macro2::TokenTree>();
        }
    }
}

/// The table of `select!(Table ...)` (or `select!(Table as Alias ...)`): one item, a whole
/// table.
fn whole_table(items: &[Selected]) -> Option<(Path, Option<proc_macro2::Ident>)> {
    match items {
        [only] => match &only.item {
            Item::Table(t) => Some((t.clone(), only.alias.clone())),
            _ => None,
        },
        _ => None,
    }
}

/// Parses `as Alias` after a table: a name for it, written like a table's (see
/// [`super::scope`]).
fn parse_alias(input: ParseStream<'_>) -> syn::Result<Option<proc_macro2::Ident>> {
    if !input.peek(Token![as]) {
        return Ok(None);
    }
    input.parse::<Token![as]>()?;
    let alias: proc_macro2::Ident = input.parse()?;
    if !ast::is_type_name(&alias) {
        // `boss_row` → `BossRow`.
        let name: String = alias
            .to_string()
            .trim_start_matches("r#")
            .split('_')
            .flat_map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase())
                    .into_iter()
                    .chain(c)
            })
            .collect();
        return Err(syn::Error::new_spanned(
            &alias,
            format!(
                "an alias names a table, so it is written like one: `as {name}`; its columns \
                 are then `{name}::column`"
            ),
        ));
    }
    Ok(Some(alias))
}

fn parse_joins(input: ParseStream<'_>) -> syn::Result<Vec<Join>> {
    let mut joins = Vec::new();
    loop {
        let left = if kw::eat(input, "left")?.is_some() {
            kw::expect(input, "join", "after `left`")?;
            true
        } else if kw::eat(input, "inner")?.is_some() {
            kw::expect(input, "join", "after `inner`")?;
            false
        } else if kw::eat(input, "join")?.is_some() {
            false
        } else {
            break;
        };
        let table = Path::parse_mod_style(input)?;
        let alias = parse_alias(input)?;
        kw::expect(
            input,
            "on",
            "and the joined columns after the joined table: `join Post on Post::user_id = User::id`",
        )?;
        let mut on = Vec::new();
        loop {
            let a: ColRef = input.parse()?;
            if !input.peek(Token![=]) {
                return Err(input.error("expected `=`: a join matches two columns"));
            }
            input.parse::<Token![=]>()?;
            let b: ColRef = input.parse()?;
            on.push((a, b));
            if kw::eat(input, "and")?.is_none() {
                break;
            }
        }
        joins.push(Join {
            left,
            table,
            alias,
            on,
        });
    }
    Ok(joins)
}

/// The columns among the keys of `group by`.
fn group_columns(keys: &[Item]) -> Vec<ColRef> {
    keys.iter()
        .filter_map(|k| match k {
            Item::Column(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

fn parse_group(input: ParseStream<'_>) -> syn::Result<Vec<Item>> {
    let mut group = Vec::new();
    if kw::eat(input, "group")?.is_some() {
        kw::expect(input, "by", "after `group`")?;
        loop {
            match input.parse::<Item>()? {
                Item::Table(t) => {
                    return Err(syn::Error::new_spanned(
                        t,
                        "expected a column or an expression to group by, found a table",
                    ));
                }
                Item::Agg(_, ident, _) => {
                    return Err(syn::Error::new_spanned(
                        ident,
                        "an aggregate cannot be in `group by`",
                    ));
                }
                key => group.push(key),
            }
            if input.peek(Token![,]) {
                input.parse::<Token![,]>()?;
            } else {
                break;
            }
        }
    }
    Ok(group)
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    super::run(input, super::with::Query::expand)
}

impl Select {
    /// The `Query`, with its summary and main table for its span.
    pub(crate) fn query(
        &self,
        text: &TokenStream,
        params: &[TokenStream],
        read: &TokenStream,
    ) -> TokenStream {
        let (p, summary, from) = (p(), self.summary(), &self.from);
        quote! {
            #p::Query::__new_summarized(
                #text,
                [#(#params),*],
                |row: &#p::PgRow| #read,
                #summary,
                <#from as #p::Table>::NAME,
            )
        }
    }

    /// `db.query.summary`, known at compile time: `SELECT users` (`SELECT users posts` with
    /// a join).
    fn summary(&self) -> TokenStream {
        let p = p();
        let from = &self.from;
        let joined = self.joins.iter().map(|j| &j.table);
        quote!({
            const SUMMARY_PARTS: &[#p::Part] = &[
                #p::Part::Str("SELECT "),
                #p::Part::Str(<#from as #p::Table>::NAME),
                #(#p::Part::Str(" "), #p::Part::Str(<#joined as #p::Table>::NAME),)*
            ];
            const LEN: usize = #p::sql_len(SUMMARY_PARTS);
            const BYTES: [u8; LEN] = #p::sql_bytes::<LEN>(SUMMARY_PARTS);
            const SUMMARY: &str = #p::sql_str(&BYTES);
            SUMMARY
        })
    }

    /// Assembles the statement, after the mistakes the check stage found in it (`errors`).
    pub(crate) fn expand(&self, errors: Errors) -> TokenStream {
        let mut sql = Sql::new(self.scope_in(None));
        sql.qualify = !self.joins.is_empty();
        let left_tables = self.left_tables();
        sql.left_tables.clone_from(&left_tables);
        let read = self.body(&mut sql, &left_tables);
        let text = sql.sql_const();
        let params = sql.params();
        super::with_errors(errors, self.query(&text, params, &read))
    }

    /// The path naming the main table selected whole: its alias, if it has one.
    pub(crate) fn whole(&self) -> Path {
        self.alias
            .clone()
            .map_or_else(|| self.from.clone(), Path::from)
    }

    /// The main table as the statement reads it.
    pub(crate) fn range(&self) -> Range {
        Range::new(self.from.clone(), self.alias.clone())
    }

    /// The scope of this statement: its tables, after those of the statement it is a
    /// subquery of (`outer`), if any.
    pub(crate) fn scope_in(&self, outer: Option<&Scope>) -> Scope {
        let mut scope = match outer {
            Some(outer) => outer.enter(self.range()),
            None => Scope::new(self.range()),
        };
        scope.ranges.extend(self.joins.iter().map(Join::range));
        scope.known &= self.joins_known;
        scope
    }

    /// Appends the statement from `SELECT` to its end; returns the row mapper's body.
    pub(crate) fn body(&self, sql: &mut Sql, left_tables: &[String]) -> TokenStream {
        let p = p();
        sql.text(if self.distinct {
            "SELECT DISTINCT "
        } else {
            "SELECT "
        });
        // Window functions are allowed in the select list and `order by` only (a subquery
        // gives back the outer statement's rule when it ends).
        let windows = sql.allow.windows;
        sql.allow.windows = true;
        let read = self.read(sql, left_tables);
        sql.allow.windows = false;
        // The grouping rule's mistakes are the check stage's; its const checks are written here.
        let mut checks = Vec::new();
        let scope = sql.scope.clone();
        check::grouping(
            &self.grouping(),
            &scope,
            &mut Errors::default(),
            &mut checks,
        );
        for c in checks {
            sql.checks_push(c);
        }
        sql.text(" FROM ");
        sql.range(&self.range());
        for j in &self.joins {
            sql.text(if j.left { " LEFT JOIN " } else { " JOIN " });
            sql.range(&j.range());
            sql.text(" ON ");
            for (i, (a, b)) in j.on.iter().enumerate() {
                if i > 0 {
                    sql.text(" AND ");
                }
                sql.column(a);
                sql.text(" = ");
                sql.column(b);
                let ha = sql.handle(a);
                let hb = sql.handle(b);
                let span = b.ident().span();
                sql.checks_push(quote_spanned!(span=> #p::join_on(&#ha, &#hb)));
            }
        }
        if let Some(filter) = &self.filter {
            sql.text(" WHERE ");
            sql.cond(filter);
        }
        if !self.group_keys.is_empty() {
            sql.text(" GROUP BY ");
            for (i, key) in self.group_keys.iter().enumerate() {
                if i > 0 {
                    sql.text(", ");
                }
                match key {
                    Item::Column(c) => sql.column(c),
                    Item::Expr(e) => sql.key_expr(e),
                    Item::Table(_) | Item::Agg(..) => {}
                }
            }
        }
        if let Some(having) = &self.having {
            sql.text(" HAVING ");
            sql.cond(having);
        }
        if !self.order.is_empty() {
            sql.allow.windows = true;
            sql.order(&self.order);
            sql.allow.windows = false;
        }
        if let Some(limit) = &self.limit {
            sql.bound(" LIMIT ", limit);
        }
        if let Some(offset) = &self.offset {
            sql.bound(" OFFSET ", offset);
        }
        sql.allow.windows = windows;
        read
    }

    /// The tables brought in by `left join`, by [`Range::name`].
    pub(crate) fn left_tables(&self) -> Vec<String> {
        self.joins
            .iter()
            .filter(|j| j.left)
            .map(|j| j.range().name())
            .collect()
    }

    /// Appends the statement as a subquery of the statement `sql` assembles (`exists (...)`,
    /// `in (...)`): its columns are written with their tables, so a column of the outer
    /// query (`User::id`) is a correlated reference. Returns the witness of its one result
    /// item, when it has one that is a column or an expression.
    pub(crate) fn subquery(&self, sql: &mut Sql) -> Option<TokenStream> {
        // Its own tables, then the outer statement's (correlated references).
        let scope = self.scope_in(Some(&sql.scope));
        let outer = sql.enter(scope);
        let left_tables = self.left_tables();
        sql.left_tables.extend(left_tables.iter().cloned());
        let _ = self.body(sql, &left_tables);
        let witness = self.one_witness(sql, &left_tables);
        sql.leave(outer);
        witness
    }

    /// Whether this subquery, used as a value, is never NULL: one `count`, over the rows of a
    /// query without `group by`, `having`, `limit` or `offset`, always returns one row.
    pub(crate) fn is_one_count(&self) -> bool {
        let count = matches!(
            self.items.as_deref(),
            Some([Selected {
                item: Item::Agg(Agg::Count | Agg::CountDistinct, ..),
                ..
            }])
        );
        count
            && self.group_keys.is_empty()
            && self.having.is_none()
            && self.limit.is_none()
            && self.offset.is_none()
    }

    /// The witness of the one result item of this subquery, read in the statement `sql`
    /// assembles.
    pub(crate) fn item_witness(&self, sql: &Sql) -> Option<TokenStream> {
        let left_tables = self.left_tables();
        // Types only: a statement of its own, reading this subquery's tables.
        let mut inner = Sql::new(self.scope_in(Some(&sql.scope)));
        inner.left_tables.clone_from(&sql.left_tables);
        inner.left_tables.extend(left_tables.iter().cloned());
        self.one_witness(&inner, &left_tables)
    }

    /// Whether the subquery reads one value (see [`Select::one_value`]).
    pub(crate) fn reads_one_value(&self) -> bool {
        self.one_value().is_some()
    }

    /// The one result item, when it reads one value: a column, an expression, `count`, `min`
    /// or `max`.
    fn one_value(&self) -> Option<&Item> {
        match self.items.as_deref() {
            Some([only]) => match &only.item {
                item @ (Item::Column(_)
                | Item::Expr(_)
                | Item::Agg(Agg::Count | Agg::CountDistinct, ..)
                | Item::Agg(Agg::Min | Agg::Max, _, Some(_))) => Some(item),
                _ => None,
            },
            _ => None,
        }
    }

    /// The witness of the one result item, when it reads one value.
    fn one_witness(&self, sql: &Sql, left_tables: &[String]) -> Option<TokenStream> {
        let p = p();
        let column = |c: &ColRef| {
            let h = sql.handle(c);
            if left_tables.contains(&sql.scope.source(c)) {
                quote!(#p::ty_col_opt(&#h))
            } else {
                quote!(#p::ty_col(&#h))
            }
        };
        Some(match self.one_value()? {
            Item::Column(c) => column(c),
            Item::Expr(e) => expr::witness(sql, e, expr::Bare::Column, None),
            Item::Agg(Agg::Min | Agg::Max, _, Some(c)) => {
                let w = column(c);
                quote!(#p::case_no_else(#w))
            }
            // `count`.
            _ => quote!(#p::ty::<i64>()),
        })
    }

    /// Appends the result items; returns the row mapper's body.
    fn read(&self, sql: &mut Sql, left_tables: &[String]) -> TokenStream {
        match (&self.into, &self.items) {
            (Some(into), Some(items)) => {
                let read = sql.items_into(into, items, left_tables);
                if check::fields(items, &mut Errors::default()) {
                    read
                } else {
                    // The struct cannot be built; the check stage reports what is wrong.
                    quote!(::core::panic!())
                }
            }
            (None, Some(items)) => sql.items(items, left_tables),
            (_, None) => {
                let whole = Selected {
                    item: Item::Table(self.whole()),
                    alias: None,
                };
                sql.items(&[whole], left_tables)
            }
        }
    }

    /// What the grouping rule looks at.
    pub(crate) fn grouping(&self) -> check::Grouping<'_> {
        let mut uses = Vec::new();
        let mut aggregated = !self.group_keys.is_empty() || self.having.is_some();
        // The expressions of `group by`: one written again elsewhere is grouped as a whole.
        let keys: Vec<String> = self
            .group_keys
            .iter()
            .filter_map(|k| match k {
                Item::Expr(e) => Some(quote!(#e).to_string()),
                _ => None,
            })
            .collect();
        let mut in_exprs = Vec::new();
        for s in self.items.iter().flatten() {
            match &s.item {
                Item::Agg(..) => aggregated = true,
                Item::Column(c) => uses.push(check::Use::Column(c)),
                Item::Table(t) => uses.push(check::Use::Table(t.clone())),
                Item::Expr(e) => {
                    aggregated |= expr::aggregate(e).is_some();
                    expr::free_columns(e, expr::Bare::Column, &keys, &mut in_exprs);
                }
            }
        }
        if self.items.is_none() {
            uses.push(check::Use::Table(self.whole()));
        }
        for k in &self.order {
            match &k.key {
                Item::Agg(..) => aggregated = true,
                Item::Column(c) => uses.push(check::Use::Column(c)),
                Item::Expr(e) => {
                    aggregated |= expr::aggregate(e).is_some();
                    expr::free_columns(e, expr::Bare::Column, &keys, &mut in_exprs);
                }
                Item::Table(_) => {}
            }
        }
        if let Some(h) = &self.having {
            h.columns(&mut |c| uses.push(check::Use::Column(c)));
            h.exprs(&mut |e, bare| expr::free_columns(e, bare, &keys, &mut in_exprs));
        }
        uses.extend(in_exprs.into_iter().map(check::Use::InExpr));
        check::Grouping {
            aggregated,
            group: &self.group,
            uses,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_query_parses() {
        let s: Select = syn::parse_str(
            "id, name, email from User where status = status and created_at > cutoff \
             order by created_at desc limit 20 offset 40",
        )
        .unwrap();
        assert_eq!(s.items.as_ref().map(Vec::len), Some(3));
        assert!(s.filter.is_some());
        assert_eq!(s.order.len(), 1);
        assert!(matches!(s.limit, Some(Bound::Lit(_))));
    }

    #[test]
    fn whole_rows_joins_and_conditions_parse() {
        let s: Select = syn::parse_str(
            "User left join Post on Post::user_id = User::id \
             where (name = n or not email like p) and age between 1 and 9 and bio is not null \
             and id in (a, b) and id not in ids order by name asc nulls last, id limit n",
        )
        .unwrap();
        assert!(s.items.is_none());
        assert_eq!(s.joins.len(), 1);
        assert!(s.joins[0].left);
        assert!(matches!(s.limit, Some(Bound::Value(_))));
    }

    #[test]
    fn bad_syntax_says_what_was_expected() {
        let err = syn::parse_str::<Select>("id, name User").err().unwrap();
        assert!(err.to_string().contains("expected `from`"), "{err}");
        let syntax = |src: &str| {
            syn::parse_str::<Select>(src)
                .unwrap()
                .syntax
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(syntax("User where id == 1").contains("not `==`"));
        assert!(syntax("User where id = 1 limit 2 order by id").contains("in this order"));
    }

    #[test]
    fn clauses_after_a_syntax_mistake_are_still_read() {
        let s: Select = syn::parse_str("User where id == 1 order by nme desc limit 5").unwrap();
        assert!(s.syntax.is_some());
        assert!(s.filter.is_none());
        assert_eq!(s.order.len(), 1, "the order is still checked");
        assert!(matches!(s.limit, Some(Bound::Lit(_))));
        // Only the first syntax mistake is kept: the rest may follow from it.
        let s: Select = syn::parse_str("User where id == 1 order id limit").unwrap();
        assert!(s.syntax.unwrap().to_string().contains("not `==`"));
        // A join that cannot be read leaves the tables unknown, so columns of the joined
        // table are not reported as foreign.
        let s: Select = syn::parse_str("User join Post onn x where Post::id = 1").unwrap();
        assert!(!s.joins_known);
        assert!(s.filter.is_some());
    }
}
