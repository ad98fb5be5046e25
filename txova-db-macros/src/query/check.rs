//! The check stage: every mistake a statement's text shows, found before its SQL is
//! assembled (so assembling cannot fail). [`Cx`] walks the statement with the tables it may
//! name and what may be written where; the grouping rule and the mapping of result items by
//! name need the whole statement. Mistakes go to one collector; what can only be known from
//! the tables' derives (their types, their primary keys) becomes a const check on the
//! statement, written when it is assembled.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Expr, Path};

use super::ast::{Assign, ColRef, Item, OrderKey, Returning, Selected};
use super::cond::{Cond, Filter, Pred};
use super::expand::{Allow, p, path_key};
use super::expr::{self, Bare};
use super::scope::Scope;
use super::select::Select;
use crate::common::Errors;

/// The check stage's walk through a statement.
pub(crate) struct Cx<'e> {
    pub(crate) errors: &'e mut Errors,
    /// The tables the statement may name.
    pub(crate) scope: Scope,
    /// What may be written here.
    pub(crate) allow: Allow,
    /// Whether the place gives a value written there its type (from a column or an
    /// expression beside it): a `case` whose branches are all values takes it.
    pub(crate) typed: bool,
    /// What a bare name is here: a column, or a Rust value.
    pub(crate) bare: Bare,
}

impl<'e> Cx<'e> {
    pub(crate) fn new(errors: &'e mut Errors, scope: Scope) -> Self {
        Cx {
            errors,
            scope,
            allow: Allow::default(),
            typed: false,
            bare: Bare::Column,
        }
    }

    /// Reports `table` when the statement may not name it.
    pub(crate) fn table(&mut self, table: &Path) {
        if let Some(msg) = self.scope.unknown(table) {
            self.errors.push(syn::Error::new_spanned(table, msg));
        }
    }

    pub(crate) fn column(&mut self, col: &ColRef) {
        if let ColRef::Qualified(t, _) = col {
            self.table(t);
        }
    }

    /// An expression whose bare names are `bare`, written where its values take a type from
    /// beside them (`typed`), or not.
    pub(crate) fn expr(&mut self, e: &Expr, bare: Bare, typed: bool) {
        expr::check_at(e, bare, typed, self);
    }

    /// The right side of a comparison, a value or an expression, which may be `any(array)` or
    /// `all(array)`; its values take the type of the left side.
    pub(crate) fn operand(&mut self, e: &Expr) {
        let outer = (
            std::mem::replace(&mut self.bare, Bare::Value),
            std::mem::replace(&mut self.typed, true),
        );
        expr::check_operand(e, self);
        (self.bare, self.typed) = outer;
    }

    /// A result item, or a key of `group by`, `order by` or `partition by`.
    pub(crate) fn item(&mut self, item: &Item) {
        match item {
            Item::Table(t) => self.table(t),
            Item::Column(c) | Item::Agg(_, _, Some(c)) => self.column(c),
            Item::Agg(_, _, None) => {}
            Item::Expr(e) => self.expr(e, Bare::Column, false),
        }
    }

    pub(crate) fn items(&mut self, items: &[Selected]) {
        for s in items {
            self.item(&s.item);
        }
    }

    pub(crate) fn order(&mut self, keys: &[OrderKey]) {
        for k in keys {
            self.item(&k.key);
        }
    }

    /// `col = value, ...`: an SQL value takes the column's type.
    pub(crate) fn assigns(&mut self, assigns: &[Assign]) {
        for a in assigns {
            self.column(&a.col);
            if expr::is_sql(&a.value, Bare::Value) {
                self.expr(&a.value, Bare::Value, true);
            }
        }
    }

    /// The `where` of an `update!` or `delete!`, which may not be missing.
    pub(crate) fn filter(&mut self, filter: &Filter, macro_name: &str, verb: &str, table: &Path) {
        match filter {
            Filter::Cond(c) => self.cond(c),
            Filter::All => {}
            Filter::Missing => {
                let name = quote!(#table).to_string().replace(' ', "");
                self.errors.spanned(
                    table,
                    format!(
                        "`{macro_name}!` without `where` would {verb} every row of `{name}`; \
                         add `where <condition>`, or write `where all` if you mean every row"
                    ),
                );
            }
        }
    }

    pub(crate) fn returning(&mut self, returning: &Returning) {
        if let Returning::Items(items) = returning {
            self.items(items);
        }
    }

    pub(crate) fn cond(&mut self, c: &Cond) {
        match c {
            Cond::And(a, b) | Cond::Or(a, b) => {
                self.cond(a);
                self.cond(b);
            }
            Cond::Not(c) | Cond::Paren(c) => self.cond(c),
            Cond::Pred(p) => self.pred(p),
        }
    }

    fn pred(&mut self, pred: &Pred) {
        match pred {
            Pred::Cmp(col, _, v) => {
                self.column(col);
                if expr::is_sql(v, Bare::Value) {
                    self.operand(v);
                }
            }
            Pred::Between(col, _, lo, hi) => {
                self.column(col);
                if expr::is_sql(lo, Bare::Value) || expr::is_sql(hi, Bare::Value) {
                    self.expr(lo, Bare::Value, true);
                    self.expr(hi, Bare::Value, true);
                }
            }
            Pred::Null(col, ..)
            | Pred::In(col, ..)
            | Pred::InSlice(col, ..)
            | Pred::Like(col, ..) => self.column(col),
            Pred::Agg(_, _, arg, _, _) => {
                if let Some(c) = arg {
                    self.column(c);
                }
            }
            Pred::Expr(l, _, r) => {
                self.expr(l, Bare::Column, true);
                self.operand(r);
            }
            Pred::BetweenExpr(e, _, lo, hi) => {
                self.expr(e, Bare::Column, true);
                self.expr(lo, Bare::Value, true);
                self.expr(hi, Bare::Value, true);
            }
            Pred::NullExpr(e, _) | Pred::Test(e) => self.expr(e, Bare::Column, false),
            Pred::LikeExpr(e, _, _, v) => {
                self.expr(e, Bare::Column, false);
                self.expr(v, Bare::Value, true);
            }
            Pred::Exists(s) => self.subquery(s),
            Pred::InSelect(col, _, s) => {
                self.column(col);
                self.subquery(s);
                if !s.reads_one_value() {
                    self.errors.spanned(
                        col.ident(),
                        "`in (select ...)` needs a subquery that selects one column or expression",
                    );
                }
            }
        }
    }

    /// A subquery: its own tables, then this statement's (correlated references).
    pub(crate) fn subquery(&mut self, s: &Select) {
        let scope = s.scope_in(Some(&self.scope));
        let outer = std::mem::replace(&mut self.scope, scope);
        self.select(s);
        self.scope = outer;
    }

    /// A `select` whose tables are this scope's.
    pub(crate) fn select(&mut self, s: &Select) {
        own_mistakes(s, self.errors);
        // Window functions are allowed in the select list and `order by` only.
        let windows = self.allow.windows;
        self.allow.windows = true;
        if let Some(items) = &s.items {
            self.items(items);
            if s.into.is_some() {
                fields(items, self.errors);
            }
        }
        self.allow.windows = false;
        grouping(&s.grouping(), &self.scope, self.errors, &mut Vec::new());
        for j in &s.joins {
            for (a, b) in &j.on {
                self.column(a);
                self.column(b);
            }
        }
        if let Some(filter) = &s.filter {
            self.cond(filter);
        }
        for key in &s.group_keys {
            self.item(key);
        }
        if let Some(having) = &s.having {
            self.cond(having);
        }
        self.allow.windows = true;
        self.order(&s.order);
        self.allow.windows = windows;
    }
}

/// The mistakes of a `select` that need no scope: its first syntax mistake, a table read
/// twice under one name, an aggregate in `where`.
fn own_mistakes(s: &Select, errors: &mut Errors) {
    if let Some(e) = &s.syntax {
        errors.push(e.clone());
    }
    let mut names = vec![s.range().name()];
    for j in &s.joins {
        let name = j.range().name();
        if names.contains(&name) {
            let msg = match &j.alias {
                Some(_) => format!("`{name}` already names a table of this query"),
                None => format!(
                    "`{name}` is read twice in this query; name this reading of it with `as` \
                     (`join {name} as Other on ...`) and its columns `Other::column`"
                ),
            };
            match &j.alias {
                Some(a) => errors.spanned(a, msg),
                None => errors.spanned(&j.table, msg),
            }
        }
        names.push(name);
    }
    if let Some(agg) = s.filter.as_ref().and_then(Cond::aggregate) {
        errors.spanned(
            agg,
            "an aggregate cannot be in `where`, which filters rows before they are grouped; \
             write it in `having` after `group by`",
        );
    }
}

/// Something the grouping rule looks at: a column, or a whole table, used outside an
/// aggregate.
pub(crate) enum Use<'a> {
    Column(&'a ColRef),
    /// A column inside an expression.
    InExpr(ColRef),
    Table(Path),
}

/// A `select!` as the grouping rule sees it.
pub(crate) struct Grouping<'a> {
    /// Whether the query groups its rows: `group by`, `having` or an aggregate.
    pub(crate) aggregated: bool,
    pub(crate) group: &'a [ColRef],
    pub(crate) uses: Vec<Use<'a>>,
}

/// Every column used outside an aggregate in a grouped query must be in `group by`, or
/// belong to a table whose whole primary key is (PostgreSQL's functional dependency).
///
/// What the derives must tell (whether the grouped columns hold a primary key) goes to
/// `checks`, as const checks.
pub(crate) fn grouping(
    g: &Grouping<'_>,
    scope: &Scope,
    errors: &mut Errors,
    checks: &mut Vec<TokenStream>,
) {
    if !g.aggregated {
        return;
    }
    let p = p();
    let mut seen: Vec<(String, String)> = Vec::new();
    for u in &g.uses {
        let column = match u {
            Use::Column(c) => Ok(*c),
            Use::InExpr(c) => Ok(c),
            Use::Table(t) => Err(t),
        };
        let (source, table, name, span, whole) = match column {
            // A column of an outer query is one value for the whole subquery.
            Ok(c) if scope.is_outer(c) => continue,
            Ok(c) => (
                scope.source(c),
                scope.col_table(c),
                c.ident().to_string(),
                c.ident().span(),
                false,
            ),
            Err(t) => (
                path_key(t),
                scope.table(t),
                String::new(),
                syn::spanned::Spanned::span(t),
                true,
            ),
        };
        let key = (source.clone(), name.clone());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let grouped: Vec<&ColRef> = g
            .group
            .iter()
            .filter(|c| scope.source(c) == source)
            .collect();
        if !whole && grouped.iter().any(|c| c.ident() == name.as_str()) {
            continue;
        }
        let msg = if whole {
            format!(
                "`{}` is selected whole in a query that groups its rows, so its primary key \
                 must be in `group by`",
                quote!(#table).to_string().replace(' ', "")
            )
        } else {
            format!(
                "column `{name}` must be in `group by` or inside an aggregate (such as \
                 `max({name})`): the query groups its rows, and `{name}` has no single value \
                 per group"
            )
        };
        if grouped.is_empty() {
            errors.push(syn::Error::new(span, msg));
            continue;
        }
        // Some columns of the table are grouped: enough if they hold its primary key.
        let names = grouped.iter().map(|c| {
            let h = scope.handle(c);
            quote!(#p::col_name(&#h))
        });
        let msg = if whole {
            msg
        } else {
            format!("{msg} (or the table's whole primary key must be in `group by`)")
        };
        checks.push(quote_spanned!(span=>
            ::core::assert!(#p::key_grouped::<#table>(&[#(#names),*]), #msg)
        ));
    }
}

/// The items of `select!(Row { items } from ...)` fill the struct's fields by name: each
/// needs a name (a column's, or `as name`), once. Returns whether they all do.
pub(crate) fn fields(items: &[Selected], errors: &mut Errors) -> bool {
    let mut ok = true;
    let mut names: Vec<String> = Vec::new();
    for s in items {
        match (&s.item, s.field()) {
            (Item::Table(t), None) => {
                ok = false;
                errors.spanned(
                    t,
                    "a struct's fields are filled by columns of the same name; select columns \
                     here, not a whole table",
                );
            }
            (Item::Agg(_, ident, _), None) => {
                ok = false;
                errors.spanned(
                    ident,
                    format!("name the field this `{ident}` fills: `{ident}(...) as field_name`"),
                );
            }
            (_, Some(field)) => {
                let name = field.to_string();
                if names.contains(&name) {
                    ok = false;
                    errors.spanned(
                        field,
                        format!("field `{name}` is filled twice; rename one with `as other_name`"),
                    );
                }
                names.push(name);
            }
            (Item::Expr(e), None) => {
                ok = false;
                errors.spanned(
                    e,
                    "name the field this expression fills: `<expression> as field_name`",
                );
            }
            (Item::Column(_), None) => {}
        }
    }
    ok
}
