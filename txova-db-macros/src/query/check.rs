//! Checks that need a whole statement: the grouping rule, result items mapped by name.
//! Mistakes go to one collector; what can only be known from the tables' derives (their
//! primary keys) becomes a const check on the statement.

use quote::{quote, quote_spanned};
use syn::Path;

use super::ast::{ColRef, Item, Selected};
use super::expand::{Sql, p, path_key};
use crate::common::Errors;

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
pub(crate) fn grouping(g: &Grouping<'_>, sql: &mut Sql, errors: &mut Errors) {
    if !g.aggregated {
        return;
    }
    let p = p();
    let scope = sql.scope.clone();
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
        sql.checks_push(quote_spanned!(span=>
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
