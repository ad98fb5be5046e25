//! `select!` over several branches (`union`, `intersect`, `except`); CTEs are in `with`.
//!
//! ```text
//! select!( [with [recursive] Cte as (select ...) [, Cte as (select ...)]... select]
//!          branch [union|intersect|except [all] (select branch | (select ...))]...
//!          [order by result_column [asc|desc] [nulls first|last], ...]
//!          [limit n|value] [offset n|value] )
//! ```
//!
//! The first branch fixes the result's shape (a tuple, a table, a struct filled by name);
//! every other branch selects as many columns, of the same types in order, checked by the
//! type system (`__private::branch`). A result column is an `Option` when any branch's
//! may be NULL. A trailing `order by` / `limit` / `offset` is the whole result's; a branch of
//! its own order or limit is written in parentheses.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned as _;
use syn::{Path, Token};

use super::ast::{self, Agg, Bound, Item, OrderKey, Selected};
use super::check::Cx;
use super::expand::{Sql, p, path_key};
use super::select::Select;
use super::{check, expr, kw};
use crate::common::Errors;

/// The set operators.
const SET_OPS: [&str; 3] = ["union", "intersect", "except"];

/// Whether the next token is `union`, `intersect` or `except`.
pub(crate) fn peek_set_op(input: ParseStream<'_>) -> bool {
    SET_OPS.iter().any(|k| kw::peek(input, k))
}

/// Branches joined by set operators, and what applies to their whole result.
pub(crate) struct Compound {
    pub(crate) first: Branch,
    pub(crate) rest: Vec<(SetOp, Branch)>,
    pub(crate) order: Vec<OrderKey>,
    pub(crate) limit: Option<Bound>,
    pub(crate) offset: Option<Bound>,
    /// Mistakes of shape found while parsing: a branch ordered or limited outside
    /// parentheses, a result struct named by a later branch.
    pub(crate) errors: Vec<syn::Error>,
}

/// One `select` of a compound query.
pub(crate) struct Branch {
    pub(crate) select: Select,
    /// Written in parentheses (`(select ... limit 1)`): its own `order by` and `limit` stay its.
    pub(crate) paren: bool,
}

/// `union [all]`, `intersect [all]`, `except [all]`.
pub(crate) struct SetOp {
    kw: Ident,
    all: bool,
}

impl SetOp {
    fn sql(&self) -> String {
        let op = self.kw.to_string().to_ascii_uppercase();
        if self.all {
            format!(" {op} ALL ")
        } else {
            format!(" {op} ")
        }
    }
}

/// Whether the input starts with a parenthesized `select`, which the rewrite before parsing
/// made `select! { ... }`.
pub(crate) fn peek_paren_select(input: ParseStream<'_>) -> bool {
    kw::peek(input, "select") && input.peek2(Token![!])
}

/// Parses `select! { ... }` (a `(select ...)` rewritten) with `parse`.
pub(crate) fn paren_select<T>(
    input: ParseStream<'_>,
    parse: impl FnOnce(ParseStream<'_>) -> syn::Result<T>,
) -> syn::Result<T> {
    kw::expect(input, "select", "")?;
    input.parse::<Token![!]>()?;
    let content;
    syn::braced!(content in input);
    let out = parse(&content)?;
    ast::expect_end(&content, "`)` after the subquery")?;
    Ok(out)
}

fn parse_branch(input: ParseStream<'_>, first: bool) -> syn::Result<Branch> {
    let paren = peek_paren_select(input) && {
        // A first branch in parentheses is followed by a set operator; otherwise the
        // parenthesized `select` is a scalar subquery, the first result item.
        let fork = input.fork();
        !first || (paren_select(&fork, <TokenStream as Parse>::parse).is_ok() && peek_set_op(&fork))
    };
    if paren {
        let select = paren_select(input, |c| Select::parse_branch(c, false))?;
        Ok(Branch {
            select,
            paren: true,
        })
    } else {
        Ok(Branch {
            select: Select::parse_branch(input, true)?,
            paren: false,
        })
    }
}

impl Parse for Compound {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let first = parse_branch(input, true)?;
        let mut rest = Vec::new();
        while peek_set_op(input) {
            let kw = input.call(<Ident as syn::ext::IdentExt>::parse_any)?;
            let all = kw::eat(input, "all")?.is_some();
            if !peek_paren_select(input) {
                kw::expect(
                    input,
                    "select",
                    &format!("after `{kw}`: `{kw} select ... from ...`"),
                )?;
            }
            let branch = parse_branch(input, false)?;
            rest.push((SetOp { kw, all }, branch));
        }
        let mut out = Compound {
            first,
            rest,
            order: Vec::new(),
            limit: None,
            offset: None,
            errors: Vec::new(),
        };
        if out.rest.is_empty() {
            return Ok(out);
        }
        // The last branch read the whole result's `order by`, `limit` and `offset`.
        if let Some((_, last)) = out.rest.last_mut()
            && !last.paren
        {
            out.order = std::mem::take(&mut last.select.order);
            out.limit = last.select.limit.take();
            out.offset = last.select.offset.take();
            last.select.tail = None;
        }
        if kw::eat(input, "order")?.is_some() {
            kw::expect(input, "by", "after `order`")?;
            out.order = ast::parse_order(input)?;
        }
        if kw::eat(input, "limit")?.is_some() {
            out.limit = Some(input.parse()?);
        }
        if kw::eat(input, "offset")?.is_some() {
            out.offset = Some(input.parse()?);
        }
        ast::expect_end(
            input,
            "`order by`, `limit`, `offset` or the end of the query (in this order)",
        )?;
        let branches = std::iter::once(&out.first).chain(out.rest.iter().map(|(_, b)| b));
        for b in branches {
            if let (false, Some(span)) = (b.paren, b.select.tail) {
                out.errors.push(syn::Error::new(
                    span,
                    "`order by`, `limit` and `offset` of a compound query come after its last \
                     branch and apply to the whole result; to order or limit one branch, write \
                     it in parentheses: `(select ... order by ... limit ...)`",
                ));
            }
        }
        for (_, b) in &out.rest {
            if let Some(into) = &b.select.into {
                out.errors.push(syn::Error::new_spanned(
                    into,
                    "only the first branch names the result's struct; the others select \
                     their columns in its order",
                ));
            }
        }
        Ok(out)
    }
}

/// One result column of a branch, as the type check sees it.
pub(crate) struct Shape {
    /// The column's type witness; `None` for a whole table.
    pub(crate) witness: Option<TokenStream>,
    /// The table selected whole.
    pub(crate) table: Option<Path>,
    /// The item's span, where a mistake about it is reported.
    pub(crate) span: Span,
}

/// Where an item was written.
fn item_span(item: &Item) -> Span {
    match item {
        Item::Table(t) => t.span(),
        Item::Column(c) => c.ident().span(),
        Item::Agg(_, ident, _) => ident.span(),
        Item::Expr(e) => e.span(),
    }
}

/// The witness of a result item's type, read in the branch `sql` assembles; `None` for a
/// whole table.
pub(crate) fn item_witness(sql: &Sql, item: &Item, left_tables: &[String]) -> Option<TokenStream> {
    let p = p();
    let span = item_span(item);
    Some(match item {
        Item::Table(_) => return None,
        Item::Column(c) => {
            let h = sql.handle(c);
            if left_tables.contains(&sql.scope.source(c)) {
                quote_spanned!(span=> #p::ty_col_opt(&#h))
            } else {
                quote_spanned!(span=> #p::ty_col(&#h))
            }
        }
        Item::Expr(e) => expr::witness(sql, e, expr::Bare::Column, None),
        Item::Agg(agg, _, arg) => match (agg, arg) {
            (Agg::Sum, Some(c)) => {
                let h = sql.handle(c);
                quote_spanned!(span=> #p::sum_ty(#p::sum_info(&#h)))
            }
            (Agg::Avg, Some(c)) => {
                let h = sql.handle(c);
                quote_spanned!(span=> #p::sum_ty(#p::avg_info(&#h)))
            }
            // NULL over no rows.
            (Agg::Min | Agg::Max, Some(c)) => {
                let h = sql.handle(c);
                quote_spanned!(span=> #p::ty_col_opt(&#h))
            }
            _ => quote_spanned!(span=> #p::ty::<i64>()),
        },
    })
}

/// The items of a branch: `select!(User ...)` selects its table whole.
pub(crate) fn items(s: &Select) -> Vec<Selected> {
    match &s.items {
        Some(items) => items.clone(),
        None => vec![Selected {
            item: Item::Table(s.whole()),
            alias: None,
        }],
    }
}

/// Appends one branch; returns its row mapper's body and its columns' shapes.
fn emit_branch(sql: &mut Sql, branch: &Branch) -> (TokenStream, Vec<Shape>) {
    let s = &branch.select;
    // A branch is a statement of its own: it sees no other branch's tables.
    let outer = sql.enter(s.scope_in(None));
    let left = s.left_tables();
    sql.qualify = !s.joins.is_empty();
    sql.left_tables.clone_from(&left);
    if branch.paren {
        sql.text("(");
    }
    let read = s.body(sql, &left);
    if branch.paren {
        sql.text(")");
    }
    let shapes = items(s)
        .iter()
        .map(|i| {
            let table = match &i.item {
                Item::Table(t) => Some(sql.scope.table(t).clone()),
                _ => None,
            };
            Shape {
                witness: item_witness(sql, &i.item, &left),
                table,
                span: item_span(&i.item),
            }
        })
        .collect();
    sql.leave(outer);
    (read, shapes)
}

impl Compound {
    /// The check stage of a compound query: each branch's mistakes, branches that do not
    /// select alike (as many columns, whole tables where the first branch has them), and
    /// keys of the whole result's `order by` that name no result column.
    pub(crate) fn check(&self, errors: &mut Errors) {
        for e in &self.errors {
            errors.push(e.clone());
        }
        let mut first: Option<Vec<bool>> = None;
        let branches = std::iter::once((None, &self.first))
            .chain(self.rest.iter().map(|(op, b)| (Some(op), b)));
        for (op, branch) in branches {
            let s = &branch.select;
            Cx::new(errors, s.scope_in(None)).select(s);
            let left = s.left_tables();
            let items = items(s);
            for i in &items {
                if let Item::Table(t) = &i.item
                    && left.contains(&path_key(t))
                {
                    errors.spanned(
                        t,
                        "a left-joined table selected whole cannot be a column of a compound \
                         query; select its columns",
                    );
                }
            }
            let tables: Vec<bool> = items
                .iter()
                .map(|i| matches!(i.item, Item::Table(_)))
                .collect();
            let (Some(op), Some(mine)) = (op, &first) else {
                first = Some(tables);
                continue;
            };
            if tables.len() != mine.len() {
                let n = |k: usize| format!("{k} column{}", if k == 1 { "" } else { "s" });
                errors.spanned(
                    &op.kw,
                    format!(
                        "the branch after this `{}` selects {}, the first branch {}: every \
                         branch selects as many columns, of the same types in order",
                        op.kw,
                        n(tables.len()),
                        n(mine.len())
                    ),
                );
                continue;
            }
            for (i, ((mine, theirs), item)) in mine.iter().zip(&tables).zip(&items).enumerate() {
                if mine != theirs {
                    let what = |table: bool| if table { "a whole table" } else { "a column" };
                    errors.push(syn::Error::new(
                        item_span(&item.item),
                        format!(
                            "the {} column of the first branch is {}, here it is {}: select a \
                             whole table where the first branch does, and columns where it \
                             selects columns",
                            ordinal(i + 1),
                            what(*mine),
                            what(*theirs),
                        ),
                    ));
                }
            }
        }
        self.check_order(errors);
    }

    /// Mistakes in the whole result's `order by`: a key that is not a result column.
    fn check_order(&self, errors: &mut Errors) {
        let items = items(&self.first.select);
        let whole = items.iter().any(|s| matches!(s.item, Item::Table(_)));
        for k in &self.order {
            let Item::Column(key) = &k.key else {
                errors.push(syn::Error::new(
                    item_span(&k.key),
                    "the `order by` of a compound query names result columns (a column's name \
                     or an `as` alias of the first branch), not expressions",
                ));
                continue;
            };
            let name = key.ident();
            if whole || items.iter().any(|s| s.field() == Some(name)) {
                continue;
            }
            let names: Vec<String> = items
                .iter()
                .filter_map(|s| s.field().map(|f| format!("`{f}`")))
                .collect();
            errors.push(syn::Error::new(
                name.span(),
                format!(
                    "`{name}` is not a result column; the `order by` of a compound query names \
                     the first branch's columns{}",
                    if names.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", names.join(", "))
                    }
                ),
            ));
        }
    }

    /// Appends the compound query; returns the first branch's row mapper's body and the
    /// result's columns (their types over every branch).
    pub(crate) fn emit(&self, sql: &mut Sql) -> (TokenStream, Vec<Shape>) {
        let p = p();
        let (read, mut shapes) = emit_branch(sql, &self.first);
        for (op, branch) in &self.rest {
            sql.text(&op.sql());
            let (_, theirs) = emit_branch(sql, branch);
            if theirs.len() != shapes.len() {
                // A mistake the check stage reports.
                continue;
            }
            for (i, (mine, theirs)) in shapes.iter_mut().zip(theirs).enumerate() {
                match (&mine.witness, theirs.witness, &mine.table, theirs.table) {
                    (Some(acc), Some(w), ..) => {
                        let n = i + 1;
                        let pp = ast::respan(p.clone(), theirs.span);
                        // Through a binding spanned at the item, so a mistake points at it.
                        let b = Ident::new("branch", theirs.span);
                        mine.witness = Some(quote_spanned!(theirs.span=> {
                            let #b = #w;
                            #pp::branch::<#n, _, _, _>(#acc, #b)
                        }));
                    }
                    (None, None, Some(a), Some(b)) => {
                        let pp = ast::respan(p.clone(), theirs.span);
                        sql.checks_push(quote_spanned!(theirs.span=> #pp::same_table::<#a, #b>()));
                    }
                    // A whole table against a column: a mistake the check stage reports.
                    _ => {}
                }
            }
        }
        if !self.order.is_empty() {
            self.order(sql);
        }
        if let Some(limit) = &self.limit {
            sql.bound(" LIMIT ", limit);
        }
        if let Some(offset) = &self.offset {
            sql.bound(" OFFSET ", offset);
        }
        (read, shapes)
    }

    /// Appends the whole result's `order by`, whose keys name result columns: the first
    /// branch's column names and `as` aliases.
    fn order(&self, sql: &mut Sql) {
        let p = p();
        let first = &self.first.select;
        let items = items(first);
        sql.text(" ORDER BY ");
        for (i, k) in self.order.iter().enumerate() {
            if i > 0 {
                sql.text(", ");
            }
            let Item::Column(key) = &k.key else {
                // A mistake the check stage reports.
                continue;
            };
            let name = key.ident();
            let found = items.iter().find(|s| s.field() == Some(name));
            match found {
                Some(Selected {
                    alias: Some(alias), ..
                }) => sql.text(&crate::common::sql_ident(
                    alias.to_string().trim_start_matches("r#"),
                )),
                Some(Selected {
                    item: Item::Column(c),
                    ..
                }) => {
                    let h = first.scope_in(None).handle(c);
                    sql.part(quote_spanned!(name.span()=> #p::Part::Str(#p::col(&#h))));
                }
                _ => {
                    // A column of a table the first branch selects whole.
                    let table = items.iter().find_map(|s| match &s.item {
                        Item::Table(t) => Some(t),
                        _ => None,
                    });
                    // Without one, a mistake the check stage reports.
                    if let Some(t) = table {
                        let h = ast::respan(quote!(#t), name.span());
                        sql.part(quote_spanned!(name.span()=> #p::Part::Str(#p::col(&#h::#name))));
                    }
                }
            }
            if k.desc {
                sql.text(" DESC");
            }
            match k.nulls {
                Some(true) => sql.text(" NULLS FIRST"),
                Some(false) => sql.text(" NULLS LAST"),
                None => {}
            }
        }
    }
}

/// `1st`, `2nd`, `3rd`, `4th`, ...
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, r) if r != 11 => "st",
        (2, r) if r != 12 => "nd",
        (3, r) if r != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The row mapper's body of a compound query: each column read with its type over every
/// branch, into the first branch's shape (a tuple, one value, or a struct filled by name).
pub(crate) fn compound_read(first: &Select, shapes: &[Shape]) -> TokenStream {
    let p = p();
    let items = items(first);
    let mut at = quote!(0usize);
    let mut reads = Vec::new();
    for shape in shapes {
        let span = shape.span;
        let pp = ast::respan(p.clone(), span);
        let read = match (&shape.witness, &shape.table) {
            (Some(w), _) => quote_spanned!(span=> #pp::get_expr(row, #at, #w)),
            (None, Some(t)) => {
                quote_spanned!(span=> <#t as #pp::FromRow>::from_row_at(row, #at))
            }
            (None, None) => quote!(::core::panic!()),
        };
        at = if let Some(t) = &shape.table {
            quote!(#at + <#t as #p::FromRow>::WIDTH)
        } else {
            quote!(#at + 1usize)
        };
        reads.push((read, span));
    }
    let unwrap = |read: &TokenStream, span: Span| {
        quote_spanned!(span=> match #read {
            #p::Ok(v) => v,
            #p::Err(e) => return #p::Err(e),
        })
    };
    let Some(into) = &first.into else {
        if reads.len() == 1 {
            return reads.swap_remove(0).0;
        }
        let reads = reads.iter().map(|(r, s)| unwrap(r, *s));
        return quote!(#p::Ok((#(#reads),*)));
    };
    if !check::fields(&items, &mut Errors::default()) {
        // Reported by the first branch.
        return quote!(::core::panic!());
    }
    let fields = items
        .iter()
        .zip(reads)
        .enumerate()
        .filter_map(|(i, (item, (read, span)))| {
            let field = item.field()?;
            let n = i + 1;
            // The field's type is learnt first, so a column of another type is reported in
            // the terms of the compound query (`column 2 of this compound query reads as ...`).
            let pp = ast::respan(p.clone(), span);
            let read = quote_spanned!(span=> {
                let hint = #p::field_of(|s: &#into| &s.#field);
                #pp::compound_into::<#n, _, _>(hint, #read)
            });
            let read = unwrap(&read, span);
            Some(quote_spanned!(span=> #field: #read))
        });
    quote!(#p::Ok(#into { #(#fields),* }))
}
