//! SQL expressions written with Rust's expression syntax: arithmetic (`+ - * /`), text
//! concatenation (`||`), parentheses, qualified columns (`Account::balance`), `case when ...
//! end` (see [`super::case`]), `cast(x as text)` and the typed functions `lower`, `upper`,
//! `length`, `coalesce`, `nullif` and `now`. Anything else is a Rust value, bound as a
//! parameter with the type of the expression beside it (a literal alone has its own type).
//! Each expression's Rust type is tracked by a witness (`Ty<T>`).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{BinOp, Expr, ExprCall, Lit, Path};

use super::ast::{Agg, ColRef};
use super::case::{self, Case};
use super::expand::{Sql, borrow, p, path_key};
use super::window;
use crate::common::Errors;

/// How a bare identifier reads: a column (left of a comparison, inside a select item) or a
/// Rust value (right of a comparison or of `=` in `set`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bare {
    Column,
    Value,
}

/// The functions of the grammar.
pub(crate) const FUNCTIONS: [&str; 13] = [
    "lower",
    "upper",
    "length",
    "coalesce",
    "nullif",
    "now",
    "cast",
    "date_trunc",
    "extract",
    "string_agg",
    "array_agg",
    "bool_and",
    "bool_or",
];

/// The functions of the grammar that are aggregates.
pub(crate) const AGGREGATES: [&str; 4] = ["string_agg", "array_agg", "bool_and", "bool_or"];

/// The fields `extract(field from x)` takes.
const EXTRACT_FIELDS: [&str; 22] = [
    "century",
    "day",
    "decade",
    "dow",
    "doy",
    "epoch",
    "hour",
    "isodow",
    "isoyear",
    "julian",
    "microseconds",
    "millennium",
    "milliseconds",
    "minute",
    "month",
    "quarter",
    "second",
    "timezone",
    "timezone_hour",
    "timezone_minute",
    "week",
    "year",
];

/// The columns `e` uses outside aggregates and outside the sub-expressions written like a key
/// of `group by` (`keys`, as tokens), for the grouping rule; `bare` says how a bare name reads.
pub(crate) fn free_columns(e: &Expr, bare: Bare, keys: &[String], out: &mut Vec<ColRef>) {
    if keys.contains(&quote!(#e).to_string()) {
        return;
    }
    match e {
        Expr::Paren(x) => free_columns(&x.expr, bare, keys, out),
        Expr::Group(x) => free_columns(&x.expr, bare, keys, out),
        Expr::Binary(b) => {
            free_columns(&b.left, bare, keys, out);
            free_columns(&b.right, bare, keys, out);
        }
        Expr::Assign(a) => {
            free_columns(&a.left, bare, keys, out);
            free_columns(&a.right, bare, keys, out);
        }
        Expr::Macro(_) => {
            if let Some(Ok(w)) = window::parse(e) {
                window::free_columns(&w, keys, out);
            } else if let Some(Ok(c)) = case::parse(e) {
                for (cond, then) in &c.whens {
                    cond.columns(&mut |col| out.push(col.clone_ref()));
                    cond.exprs(&mut |x, b| free_columns(x, b, keys, out));
                    free_columns(then, bare, keys, out);
                }
                if let Some(o) = &c.otherwise {
                    free_columns(o, bare, keys, out);
                }
            }
        }
        Expr::Call(c) if own_aggregate(c).is_some() => {}
        Expr::Call(c) => match function(c).as_deref() {
            Some(name) if AGGREGATES.contains(&name) => {}
            Some("cast") => {
                if let Some((arg, ..)) = cast_parts(c) {
                    free_columns(&arg, bare, keys, out);
                }
            }
            Some("extract") => {
                if let Some((_, arg)) = extract_parts(c) {
                    free_columns(arg, bare, keys, out);
                }
            }
            // The grammar's other functions, and those declared with `sql_function!`.
            _ => {
                for a in &c.args {
                    free_columns(a, bare, keys, out);
                }
            }
        },
        _ => {
            if let Some(c) = column(e, bare) {
                out.push(c);
            }
        }
    }
}

/// The first aggregate function in `e` (`string_agg`, ...), for the grouping rule and for
/// refusing aggregates in `where`.
pub(crate) fn aggregate(e: &Expr) -> Option<&syn::Ident> {
    match e {
        Expr::Paren(x) => aggregate(&x.expr),
        Expr::Group(x) => aggregate(&x.expr),
        Expr::Binary(b) => aggregate(&b.left).or_else(|| aggregate(&b.right)),
        Expr::Cast(c) => aggregate(&c.expr),
        Expr::Call(c) => {
            if own_aggregate(c).is_some()
                || function(c).is_some_and(|name| AGGREGATES.contains(&name.as_str()))
            {
                let Expr::Path(p) = &*c.func else { return None };
                return p.path.get_ident();
            }
            c.args.iter().find_map(aggregate)
        }
        _ => None,
    }
}

/// The field and the argument of `extract(field, x)` (`extract(field from x)` as rewritten
/// before parsing).
fn extract_parts(call: &ExprCall) -> Option<(&syn::Ident, &Expr)> {
    let [field, arg] = call.args.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let Expr::Path(f) = field else { return None };
    Some((f.path.get_ident()?, arg))
}

/// The SQL types `cast(x as type)` takes (the names of `__private::sql_ty`).
const CAST_TYPES: [&str; 19] = [
    "text",
    "varchar",
    "bool",
    "boolean",
    "int2",
    "smallint",
    "int4",
    "int",
    "integer",
    "int8",
    "bigint",
    "float4",
    "real",
    "float8",
    "numeric",
    "decimal",
    "date",
    "timestamp",
    "timestamptz",
];

/// `e` without a trailing `as name` and the name: Rust reads `a + b as t` as `a + (b as t)`,
/// so the cast is looked for down the right side of binary operators.
pub(crate) fn split_as(e: &Expr) -> Option<(Expr, syn::Ident)> {
    match e {
        Expr::Cast(c) => {
            let syn::Type::Path(ty) = &*c.ty else {
                return None;
            };
            let name = ty.path.get_ident().filter(|_| ty.qself.is_none())?;
            Some(((*c.expr).clone(), name.clone()))
        }
        Expr::Binary(b) => {
            let (right, name) = split_as(&b.right)?;
            let mut b = b.clone();
            *b.right = right;
            Some((Expr::Binary(b), name))
        }
        _ => None,
    }
}

/// The argument and the SQL type of `cast(arg as type)`, the type in lower case.
fn cast_parts(call: &ExprCall) -> Option<(Expr, syn::Ident, String)> {
    let [arg] = call.args.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let (arg, ty) = split_as(arg)?;
    let name = ty.to_string().to_ascii_lowercase();
    Some((arg, ty, name))
}

/// The type of a literal written alone, where no expression beside it gives one.
fn literal_ty(e: &Expr) -> Option<TokenStream> {
    let Expr::Lit(l) = e else { return None };
    Some(match &l.lit {
        Lit::Str(_) => quote!(::std::string::String),
        Lit::Bool(_) => quote!(bool),
        Lit::Int(i) => match i.suffix() {
            "" | "i32" => quote!(i32),
            "i16" => quote!(i16),
            "i64" => quote!(i64),
            _ => return None,
        },
        Lit::Float(f) => match f.suffix() {
            "" | "f64" => quote!(f64),
            "f32" => quote!(f32),
            _ => return None,
        },
        _ => return None,
    })
}

/// Whether `name` may name a function declared with `sql_function!`: an identifier in lower
/// case, neither a function of the grammar nor an aggregate.
pub(crate) fn is_user_function_name(name: &syn::Ident) -> bool {
    let s = name.to_string();
    let s = s.trim_start_matches("r#");
    let lower = s.to_ascii_lowercase();
    s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && !FUNCTIONS.contains(&lower.as_str())
        && super::ast::Agg::from_name(&lower).is_none()
        && !["not", "exists", "select", "case", "in", "and", "or"].contains(&lower.as_str())
}

/// The path of a call of a function declared with `sql_function!`: a name (or a path through
/// modules to one) in lower case outside the grammar's library. Where a bare name is a value (right of
/// `=`), a call is SQL only when an argument is; otherwise it is a Rust call giving a value.
fn user_function(call: &ExprCall, bare: Bare) -> Option<&Path> {
    let Expr::Path(p) = &*call.func else {
        return None;
    };
    if p.qself.is_some()
        || p.path
            .segments
            .iter()
            .any(|s| !matches!(s.arguments, syn::PathArguments::None))
    {
        return None;
    }
    // A type in the path (`Interval::from_days(30)`) makes it a Rust call.
    let module = |s: &syn::PathSegment| {
        !s.ident
            .to_string()
            .trim_start_matches("r#")
            .starts_with(char::is_uppercase)
    };
    if !p.path.segments.iter().all(module) {
        return None;
    }
    let last = &p.path.segments.last()?.ident;
    if p.path.segments.len() == 1 && function(call).is_some() || !is_user_function_name(last) {
        return None;
    }
    (bare == Bare::Column || call.args.iter().any(|a| is_sql(a, bare))).then_some(&p.path)
}

/// The arguments of `call` without the `order by` of an aggregate (`string_agg(x, sep
/// order by k)`, rewritten as a last argument `order_by! { k }`), and that `order by`.
fn split_order(call: &ExprCall) -> (Vec<&Expr>, Option<&syn::ExprMacro>) {
    let mut args: Vec<&Expr> = call.args.iter().collect();
    let order = match args.last() {
        Some(Expr::Macro(m)) if m.mac.path.is_ident("order_by") => Some(m),
        _ => None,
    };
    if order.is_some() {
        args.pop();
    }
    (args, order)
}

/// The keys of an aggregate's `order by`.
fn order_keys(m: &syn::ExprMacro) -> syn::Result<Vec<super::ast::OrderKey>> {
    m.mac.parse_body_with(super::ast::parse_order)
}

/// The aggregate `call` is when it is `count`, `sum`, `avg`, `min` or `max` over an
/// expression (`sum(price * quantity)`); over `*` or a lone column they are parsed on their
/// own, as [`super::ast::Item::Agg`].
pub(crate) fn own_aggregate(call: &ExprCall) -> Option<Agg> {
    let Expr::Path(p) = &*call.func else {
        return None;
    };
    Agg::from_name(&p.path.get_ident()?.to_string())
}

/// The witness of `count`, `sum`, `avg`, `min` or `max` over an expression.
fn own_aggregate_witness(sql: &Sql, call: &ExprCall, agg: Agg, bare: Bare) -> TokenStream {
    let p = p();
    let Some(arg) = call.args.first() else {
        return quote!(#p::ty::<()>());
    };
    let span = call.func.span();
    let pp = super::ast::respan(p.clone(), span);
    let w = at(arg.span(), witness(sql, arg, bare, None));
    match agg {
        Agg::Count | Agg::CountDistinct => quote!(#p::ty::<i64>()),
        Agg::Sum => quote_spanned!(span=> #pp::sum_ty(#pp::sum_of(#w))),
        Agg::Avg => quote_spanned!(span=> #pp::sum_ty(#pp::avg_of(#w))),
        // NULL over no rows.
        Agg::Min | Agg::Max => quote_spanned!(span=> #pp::or_null(#w)),
    }
}

/// Appends `count`, `sum`, `avg`, `min` or `max` over an expression; returns the cast that
/// follows `sum` and `avg` (a window's `over (...)` comes between).
pub(crate) fn emit_own_aggregate(
    sql: &mut Sql,
    call: &ExprCall,
    agg: Agg,
    bare: Bare,
) -> Option<TokenStream> {
    let p = p();
    sql.text(&agg.marker().to_string());
    sql.text("(");
    let Some(arg) = call.args.first() else {
        // Reported by `check`.
        sql.text(")");
        return None;
    };
    let w = emit(sql, arg, bare, None);
    sql.text(")");
    // Spanned as in the witness, so a type error is reported once.
    let w = at(arg.span(), w);
    let span = call.func.span();
    let pp = super::ast::respan(p.clone(), span);
    match agg {
        Agg::Sum => Some(quote_spanned!(span=> #p::Part::Str(#pp::sum_of(#w).cast()))),
        Agg::Avg => Some(quote_spanned!(span=> #p::Part::Str(#pp::avg_of(#w).cast()))),
        _ => None,
    }
}

fn function(call: &ExprCall) -> Option<String> {
    let Expr::Path(p) = &*call.func else {
        return None;
    };
    let name = p.path.get_ident()?.to_string().to_ascii_lowercase();
    FUNCTIONS.contains(&name.as_str()).then_some(name)
}

/// `Table::column` (the segment before the last names a type).
fn qualified_column(path: &Path) -> Option<ColRef> {
    if path.segments.len() < 2 {
        return None;
    }
    let n = path.segments.len();
    let table_seg = &path.segments[n - 2].ident.to_string();
    let col_seg = &path.segments[n - 1].ident.to_string();
    let upper = |s: &str| s.trim_start_matches("r#").starts_with(char::is_uppercase);
    if !upper(table_seg) || upper(col_seg) {
        return None;
    }
    let mut table = path.clone();
    let col = table.segments.pop()?.into_value().ident;
    table.segments.pop_punct();
    Some(ColRef::Qualified(table, col))
}

/// The column of `excluded.column` (the row an insert proposed, in `on conflict do update`).
pub(crate) fn excluded(e: &Expr) -> Option<&syn::Ident> {
    let Expr::Field(f) = e else { return None };
    let (Expr::Path(base), syn::Member::Named(col)) = (&*f.base, &f.member) else {
        return None;
    };
    base.path.is_ident("excluded").then_some(col)
}

/// The column `e` names, if it names one.
fn column(e: &Expr, bare: Bare) -> Option<ColRef> {
    let Expr::Path(p) = e else { return None };
    if p.qself.is_some() {
        return None;
    }
    if let Some(c) = qualified_column(&p.path) {
        return Some(c);
    }
    match (bare, p.path.get_ident()) {
        (Bare::Column, Some(i)) => Some(ColRef::Bare(i.clone())),
        _ => None,
    }
}

/// A comparison operator's SQL, `==` included (refused by `check`).
fn cmp_op(op: &BinOp) -> Option<&'static str> {
    match op {
        BinOp::Lt(_) => Some(" < "),
        BinOp::Le(_) => Some(" <= "),
        BinOp::Gt(_) => Some(" > "),
        BinOp::Ge(_) => Some(" >= "),
        BinOp::Ne(_) => Some(" <> "),
        BinOp::Eq(_) => Some(" = "),
        _ => None,
    }
}

fn arith_op(op: &BinOp) -> Option<&'static str> {
    match op {
        BinOp::Add(_) => Some(" + "),
        BinOp::Sub(_) => Some(" - "),
        BinOp::Mul(_) => Some(" * "),
        BinOp::Div(_) => Some(" / "),
        BinOp::Or(_) => Some(" || "),
        _ => None,
    }
}

/// Whether `e` is SQL (a column, a function of the grammar, `case`, or arithmetic or
/// parentheses over them) rather than a Rust value.
pub(crate) fn is_sql(e: &Expr, bare: Bare) -> bool {
    match e {
        Expr::Paren(p) => is_sql(&p.expr, bare),
        Expr::Group(g) => is_sql(&g.expr, bare),
        Expr::Binary(b) => {
            (arith_op(&b.op).is_some() || cmp_op(&b.op).is_some())
                && (is_sql(&b.left, bare) || is_sql(&b.right, bare))
        }
        Expr::Assign(a) => is_sql(&a.left, bare) || is_sql(&a.right, bare),
        Expr::Call(c) => {
            function(c).is_some() || own_aggregate(c).is_some() || user_function(c, bare).is_some()
        }
        Expr::Path(_) => column(e, bare).is_some(),
        Expr::Macro(_) => {
            case::as_case(e).is_some()
                || case::scalar_subquery(e).is_some()
                || window::as_window(e).is_some()
        }
        Expr::Field(_) => excluded(e).is_some(),
        _ => false,
    }
}

/// The witness `case`'s value branches take: the first SQL branch's, else the first
/// literal's, else `hint`.
fn case_anchor(sql: &Sql, c: &Case, bare: Bare, hint: Option<&TokenStream>) -> Option<TokenStream> {
    let p = p();
    let branches = || c.whens.iter().map(|w| &w.1).chain(&c.otherwise);
    branches()
        .find(|b| is_sql(b, bare))
        .map(|b| witness(sql, b, bare, None))
        .or_else(|| {
            branches()
                .find_map(literal_ty)
                .map(|t| quote!(#p::ty::<#t>()))
        })
        .or_else(|| hint.cloned())
}

/// The witness of a `case`.
fn case_witness(
    sql: &Sql,
    e: &Expr,
    c: &Case,
    bare: Bare,
    hint: Option<&TokenStream>,
) -> TokenStream {
    let p = p();
    let Some(anchor) = case_anchor(sql, c, bare, hint) else {
        // Reported by `emit_case`. Text stands in, so the values (most often text) add no
        // errors of their own.
        return quote_spanned!(e.span()=> #p::ty::<::std::string::String>());
    };
    let mut acc: Option<TokenStream> = None;
    for b in c.whens.iter().map(|w| &w.1).chain(&c.otherwise) {
        let w = witness(sql, b, bare, Some(&anchor));
        acc = Some(match acc {
            None => w,
            Some(acc) => {
                let pp = super::ast::respan(p.clone(), b.span());
                let acc = at(b.span(), acc);
                quote_spanned!(b.span()=> #pp::unify(#acc, #w))
            }
        });
    }
    let acc = acc.unwrap_or_else(|| quote!(#p::ty::<()>()));
    if c.otherwise.is_some() {
        acc
    } else {
        quote!(#p::case_no_else(#acc))
    }
}

/// The witness of `e`'s type; `hint` is the type of the expression beside a value.
pub(crate) fn witness(sql: &Sql, e: &Expr, bare: Bare, hint: Option<&TokenStream>) -> TokenStream {
    let p = p();
    if !is_sql(e, bare) {
        return match (hint, literal_ty(e)) {
            (Some(h), _) => quote!(#p::base(#h)),
            (None, Some(t)) => quote!(#p::ty::<#t>()),
            (None, None) => quote_spanned!(e.span()=> #p::ty::<()>()),
        };
    }
    match e {
        Expr::Paren(x) => witness(sql, &x.expr, bare, hint),
        Expr::Group(x) => witness(sql, &x.expr, bare, hint),
        Expr::Assign(a) => {
            let (left, right) = pair(sql, &a.left, &a.right, bare);
            let pp = super::ast::respan(p.clone(), a.eq_token.span());
            let left = at(a.eq_token.span(), left);
            quote_spanned!(a.eq_token.span()=> #pp::compare(#left, #right))
        }
        Expr::Macro(_) => {
            if let Some(w) = window::parse(e) {
                // A window that does not parse is reported by `check`: text stands in.
                w.map_or_else(
                    |_| quote!(#p::ty::<::std::string::String>()),
                    |w| window::witness(sql, &w, bare),
                )
            } else if let Some(Ok(c)) = case::parse(e) {
                case_witness(sql, e, &c, bare, hint)
            } else if let Some(Ok(s)) = case::scalar_subquery(e) {
                // NULL when the subquery returns no row. Without one item (an error of its
                // own), text stands in.
                let w = s
                    .item_witness(sql)
                    .unwrap_or_else(|| quote!(#p::ty::<::std::string::String>()));
                if s.is_one_count() {
                    w
                } else {
                    quote!(#p::case_no_else(#w))
                }
            } else {
                quote!(#p::ty::<()>())
            }
        }
        Expr::Binary(bin) => {
            let (left, right) = bin_pair(sql, bin, bare);
            let pp = super::ast::respan(p.clone(), bin.op.span());
            let left = at(bin.op.span(), left);
            match bin.op {
                _ if cmp_op(&bin.op).is_some() => {
                    quote_spanned!(bin.op.span()=> #pp::compare(#left, #right))
                }
                BinOp::Or(_) => quote_spanned!(bin.op.span()=> #pp::concat(#left, #right)),
                BinOp::Add(_) | BinOp::Sub(_) => {
                    quote_spanned!(bin.op.span()=> #pp::add_sub(#left, #right))
                }
                _ => quote_spanned!(bin.op.span()=> #pp::arith(#left, #right)),
            }
        }
        Expr::Call(call) => match user_function(call, bare) {
            Some(path) => user_witness(sql, call, path, bare),
            None => call_witness(sql, call, bare, hint),
        },
        Expr::Field(_) => {
            let main = &sql.main;
            let col = excluded(e).cloned();
            quote_spanned!(e.span()=> #p::ty_col(&#main::#col))
        }
        _ => {
            let Some(c) = column(e, bare) else {
                return quote!(#p::ty::<()>());
            };
            let h = c.handle(&sql.main);
            // A left-joined column is NULL when no row matched, whatever its type.
            if sql.left_tables.contains(&path_key(c.table(&sql.main))) {
                quote_spanned!(e.span()=> #p::ty_col_opt(&#h))
            } else {
                quote_spanned!(e.span()=> #p::ty_col(&#h))
            }
        }
    }
}

/// `w` passed through a call spanned at `span`, so that a type error about it points there
/// (an operator, a function's name or argument) rather than at the whole macro call.
pub(crate) fn at(span: proc_macro2::Span, w: TokenStream) -> TokenStream {
    let p = super::ast::respan(p(), span);
    let mut g = proc_macro2::Group::new(proc_macro2::Delimiter::Parenthesis, w);
    g.set_span(span);
    quote_spanned!(span=> #p::fn_arg #g)
}

/// The hint a Rust value given as argument `i` of the declared function `path` takes: the
/// declared type.
fn user_arg_hint(path: &Path, i: usize) -> TokenStream {
    let p = p();
    quote_spanned!(path.span()=> #p::fn_arg_ty::<#i, _>(&#path))
}

/// The witness of a call of a function declared with `sql_function!`: its hidden `__call`
/// checks each argument's type (the error on the argument) and their number, and gives the
/// result's; the name resolves where the user wrote it.
fn user_witness(sql: &Sql, call: &ExprCall, path: &Path, bare: Bare) -> TokenStream {
    let p = p();
    let args = call.args.iter().enumerate().map(|(i, a)| {
        let hint = user_arg_hint(path, i);
        at(a.span(), witness(sql, a, bare, Some(&hint)))
    });
    let pp = super::ast::respan(p.clone(), path.span());
    let args = quote!(#(#args),*);
    let mut paren = proc_macro2::Group::new(proc_macro2::Delimiter::Parenthesis, args);
    // Resolved as the macro's own tokens: rustc then offers no edit of the expansion when the
    // number of arguments is wrong.
    paren.set_span(path.span().resolved_at(proc_macro2::Span::mixed_site()));
    at(
        path.span(),
        quote_spanned!(path.span()=> #pp::sql_fn(&#path).__call #paren),
    )
}

/// The witness of a call of a function of the grammar.
fn call_witness(sql: &Sql, call: &ExprCall, bare: Bare, hint: Option<&TokenStream>) -> TokenStream {
    if let Some(agg) = own_aggregate(call) {
        return own_aggregate_witness(sql, call, agg, bare);
    }
    let p = p();
    let name = function(call).unwrap_or_default();
    let (args, _) = split_order(call);
    let span = call.func.span();
    let p = super::ast::respan(p.clone(), span);
    match (name.as_str(), args.as_slice()) {
        ("lower" | "upper", [arg]) => {
            let arg = at(
                arg.span(),
                witness(sql, arg, bare, Some(&quote!(#p::ty::<String>()))),
            );
            quote_spanned!(span=> #p::text_fn(#arg))
        }
        ("length", [arg]) => {
            let arg = at(
                arg.span(),
                witness(sql, arg, bare, Some(&quote!(#p::ty::<String>()))),
            );
            quote_spanned!(span=> #p::length(#arg))
        }
        ("coalesce", [first, second]) => {
            let (first, second) = pair(sql, first, second, bare);
            let first = at(span, first);
            quote_spanned!(span=> #p::coalesce(#first, #second))
        }
        ("nullif", [first, second]) => {
            let (first, second) = pair(sql, first, second, bare);
            let first = at(span, first);
            quote_spanned!(span=> #p::nullif(#first, #second))
        }
        ("cast", [_]) => match cast_parts(call) {
            Some((arg, ty, name)) if CAST_TYPES.contains(&name.as_str()) => {
                let ty = syn::Ident::new(&name, ty.span());
                let target = quote_spanned!(ty.span()=> #p::ty::<#p::sql_ty::#ty>());
                let arg = witness(sql, &arg, bare, Some(&target));
                let arg = at(span, arg);
                quote_spanned!(span=> #p::cast(#arg, #target))
            }
            // Reported by `check`; the argument's type stands in.
            Some((arg, ..)) => witness(sql, &arg, bare, hint),
            None => quote_spanned!(span=> #p::ty::<()>()),
        },
        ("now", []) => quote_spanned!(span=> #p::now()),
        ("string_agg", [arg, _]) => {
            let arg = at(
                arg.span(),
                witness(sql, arg, bare, Some(&quote!(#p::ty::<String>()))),
            );
            quote_spanned!(span=> #p::string_agg(#arg))
        }
        ("array_agg", [arg]) => {
            let arg = at(arg.span(), witness(sql, arg, bare, None));
            quote_spanned!(span=> #p::array_agg(#arg))
        }
        ("bool_and" | "bool_or", [arg]) => {
            let arg = at(
                arg.span(),
                witness(sql, arg, bare, Some(&quote!(#p::ty::<bool>()))),
            );
            quote_spanned!(span=> #p::bool_agg(#arg))
        }
        ("date_trunc", [_, arg]) => {
            let arg = at(arg.span(), witness(sql, arg, bare, None));
            quote_spanned!(span=> #p::date_trunc(#arg))
        }
        ("extract", _) if let Some((_, arg)) = extract_parts(call) => {
            let arg = at(arg.span(), witness(sql, arg, bare, None));
            quote_spanned!(span=> #p::extract(#arg))
        }
        _ => quote_spanned!(span=> #p::ty::<()>()),
    }
}

/// The witnesses of two operands, a value taking the other's type.
fn pair(sql: &Sql, a: &Expr, b: &Expr, bare: Bare) -> (TokenStream, TokenStream) {
    if is_sql(a, bare) {
        let wa = witness(sql, a, bare, None);
        let wb = witness(sql, b, bare, Some(&wa));
        (wa, wb)
    } else {
        let wb = witness(sql, b, bare, None);
        let wa = witness(sql, a, bare, Some(&wb));
        (wa, wb)
    }
}

/// The hint a value beside `w` takes across `op`: `w` itself, but an interval beside a
/// timestamp in `+` and `-`, and text in `||`.
fn value_hint(op: &BinOp, w: &TokenStream) -> TokenStream {
    let p = p();
    match op {
        BinOp::Add(_) | BinOp::Sub(_) => quote!(#p::operand(#w)),
        // `||` is over text, whatever the other side is.
        BinOp::Or(_) => quote!(#p::ty::<::std::string::String>()),
        _ => w.clone(),
    }
}

/// The witnesses of a binary operator's operands, a value taking the other's type.
fn bin_pair(sql: &Sql, bin: &syn::ExprBinary, bare: Bare) -> (TokenStream, TokenStream) {
    let (a, b) = (&*bin.left, &*bin.right);
    if is_sql(a, bare) {
        let wa = witness(sql, a, bare, None);
        let wb = witness(sql, b, bare, Some(&value_hint(&bin.op, &wa)));
        (wa, wb)
    } else {
        let wb = witness(sql, b, bare, None);
        let wa = witness(sql, a, bare, Some(&value_hint(&bin.op, &wb)));
        (wa, wb)
    }
}

/// Appends `e`'s SQL, binding its values; `hint` is the witness of the expression beside it
/// (for a value). Returns `e`'s witness.
pub(crate) fn emit(sql: &mut Sql, e: &Expr, bare: Bare, hint: Option<&TokenStream>) -> TokenStream {
    let p = p();
    let typed = witness(sql, e, bare, hint);
    if !is_sql(e, bare) {
        let v = borrow(e);
        let h = hint.cloned().unwrap_or_else(|| typed.clone());
        sql.param(quote_spanned!(e.span()=> #p::bind(#h, #v)));
        return typed;
    }
    match e {
        Expr::Paren(x) => {
            sql.text("(");
            emit(sql, &x.expr, bare, hint);
            sql.text(")");
        }
        Expr::Group(x) => {
            emit(sql, &x.expr, bare, hint);
        }
        Expr::Macro(_) => {
            if let Some(Ok(w)) = window::parse(e) {
                window::emit(sql, &w, bare);
            } else if let Some(Ok(c)) = case::parse(e) {
                emit_case(sql, e, &c, bare, hint);
            } else if let Some(Ok(s)) = case::scalar_subquery(e) {
                sql.text("(");
                if s.subquery(sql).is_none() {
                    sql.error(syn::Error::new(
                        e.span(),
                        "a subquery used as a value selects one column, expression, \
                         `count`, `min` or `max`",
                    ));
                }
                sql.text(")");
            }
        }
        Expr::Call(call) if function(call).as_deref() == Some("cast") => {
            if let Some((arg, ty, name)) = cast_parts(call) {
                let target = if CAST_TYPES.contains(&name.as_str()) {
                    let ty = syn::Ident::new(&name, ty.span());
                    quote!(#p::ty::<#p::sql_ty::#ty>())
                } else {
                    hint.cloned().unwrap_or_else(|| quote!(#p::ty::<()>()))
                };
                sql.text("CAST(");
                emit(sql, &arg, bare, Some(&target));
                sql.text(" AS ");
                sql.text(&name);
                sql.text(")");
            }
        }
        Expr::Binary(bin) => {
            let (left, right) = bin_pair(sql, bin, bare);
            // A value added to or subtracted from a timestamp is an interval, which the
            // server would read as a timestamp unless cast (`param_cast`).
            let add_sub = matches!(bin.op, BinOp::Add(_) | BinOp::Sub(_));
            let hint = value_hint(&bin.op, &right);
            emit(sql, &bin.left, bare, Some(&hint));
            if add_sub && !is_sql(&bin.left, bare) {
                sql.part(quote_spanned!(bin.left.span()=> #p::Part::Str(#p::param_cast(#hint))));
            }
            sql.text(
                arith_op(&bin.op)
                    .or_else(|| cmp_op(&bin.op))
                    .unwrap_or(" + "),
            );
            let hint = value_hint(&bin.op, &left);
            emit(sql, &bin.right, bare, Some(&hint));
            if add_sub && !is_sql(&bin.right, bare) {
                sql.part(quote_spanned!(bin.right.span()=> #p::Part::Str(#p::param_cast(#hint))));
            }
        }
        Expr::Assign(a) => {
            let (left, right) = pair(sql, &a.left, &a.right, bare);
            emit(sql, &a.left, bare, Some(&right));
            sql.text(" = ");
            emit(sql, &a.right, bare, Some(&left));
        }
        Expr::Call(call) if function(call).as_deref() == Some("extract") => {
            if let Some((field, arg)) = extract_parts(call) {
                sql.text("EXTRACT(");
                sql.text(&field.to_string().to_ascii_lowercase());
                sql.text(" FROM ");
                emit(sql, arg, bare, None);
                sql.text(")");
            }
        }
        Expr::Call(call) if let Some(path) = user_function(call, bare) => {
            emit_user_call(sql, call, &path.clone(), bare);
        }
        Expr::Call(call) => emit_call(sql, call, bare),
        Expr::Field(_) => emit_excluded(sql, e),
        _ => {
            if let Some(c) = column(e, bare) {
                sql.column(&c);
            }
        }
    }
    typed
}

/// Appends `excluded.col`, refused outside `on conflict do update set`.
fn emit_excluded(sql: &mut Sql, e: &Expr) {
    let p = p();
    if let Some(col) = excluded(e) {
        if !sql.allow.excluded {
            sql.error(syn::Error::new(
                e.span(),
                "`excluded.column` only means something in `on conflict do update set`",
            ));
        }
        let main = sql.main.clone();
        sql.text("EXCLUDED.");
        sql.part(quote_spanned!(e.span()=> #p::Part::Str(#p::col(&#main::#col))));
    }
}

/// Appends a `case`.
fn emit_case(sql: &mut Sql, e: &Expr, c: &Case, bare: Bare, hint: Option<&TokenStream>) {
    let p = p();
    let anchor = case_anchor(sql, c, bare, hint).unwrap_or_else(|| {
        sql.error(syn::Error::new(
            e.span(),
            "the type of this `case` is not known: give one branch a column, a literal or a \
             cast (`cast(value as text)`)",
        ));
        // Text stands in.
        quote!(#p::ty::<::std::string::String>())
    });
    // Branches that are all values leave the server nothing to infer their type
    // from: they are cast.
    let cast = (!c
        .whens
        .iter()
        .map(|w| &w.1)
        .chain(&c.otherwise)
        .any(|b| is_sql(b, bare)))
    .then(|| quote!(#p::Part::Str(#p::sql_cast(#anchor))));
    sql.text("CASE");
    for (cond, then) in &c.whens {
        sql.text(" WHEN ");
        sql.cond(cond);
        sql.text(" THEN ");
        emit(sql, then, bare, Some(&anchor));
        if let Some(cast) = &cast {
            sql.part(cast.clone());
        }
    }
    if let Some(o) = &c.otherwise {
        sql.text(" ELSE ");
        emit(sql, o, bare, Some(&anchor));
        if let Some(cast) = &cast {
            sql.part(cast.clone());
        }
    }
    sql.text(" END");
}

/// Appends a call of a function declared with `sql_function!`: its declared name, and each
/// argument (a Rust value bound with the declared type).
fn emit_user_call(sql: &mut Sql, call: &ExprCall, path: &Path, bare: Bare) {
    let p = p();
    sql.part(quote_spanned!(path.span()=> #p::Part::Str(#p::fn_name(&#path))));
    sql.text("(");
    for (i, a) in call.args.iter().enumerate() {
        if i > 0 {
            sql.text(", ");
        }
        emit(sql, a, bare, Some(&user_arg_hint(path, i)));
    }
    sql.text(")");
}

/// Appends a call of a function of the grammar (not `cast` nor `extract`).
fn emit_call(sql: &mut Sql, call: &ExprCall, bare: Bare) {
    if let Some(agg) = own_aggregate(call) {
        if let Some(cast) = emit_own_aggregate(sql, call, agg, bare) {
            sql.part(cast);
        }
        return;
    }
    let p = p();
    let name = function(call).unwrap_or_default();
    sql.text(&name);
    sql.text("(");
    let (args, order) = split_order(call);
    let text = quote!(#p::ty::<String>());
    match (name.as_str(), args.as_slice()) {
        ("coalesce" | "nullif", [first, second]) => {
            let (w_first, w_second) = pair(sql, first, second, bare);
            emit(sql, first, bare, Some(&w_second));
            sql.text(", ");
            emit(sql, second, bare, Some(&w_first));
        }
        ("string_agg" | "date_trunc", [first, second]) => {
            // The separator and the unit are text.
            emit(sql, first, bare, Some(&text));
            sql.text(", ");
            emit(sql, second, bare, (name == "string_agg").then_some(&text));
        }
        ("bool_and" | "bool_or", [arg]) => {
            emit(sql, arg, bare, Some(&quote!(#p::ty::<bool>())));
        }
        ("array_agg", [arg]) => {
            emit(sql, arg, bare, None);
        }
        (_, [arg]) => {
            emit(sql, arg, bare, Some(&text));
        }
        _ => {}
    }
    // Reported by `check` when it does not parse.
    if let Some(Ok(keys)) = order.map(order_keys) {
        sql.text(" ORDER BY ");
        sql.order_keys(&keys);
    }
    sql.text(")");
}

/// Mistakes in an `extract`: a field PostgreSQL does not know, or not `field from x`.
fn check_extract(c: &ExprCall, errors: &mut Errors) {
    match extract_parts(c) {
        Some((field, arg)) => {
            let f = field.to_string().to_ascii_lowercase();
            if !EXTRACT_FIELDS.contains(&f.as_str()) {
                errors.push(syn::Error::new(
                    field.span(),
                    format!(
                        "unknown field `{field}` of `extract`; the fields are {}",
                        EXTRACT_FIELDS
                            .iter()
                            .map(|t| format!("`{t}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            check(arg, errors);
        }
        None => errors.push(syn::Error::new_spanned(
            &c.func,
            "write `extract(<field> from <expression>)`, such as \
             `extract(year from created_at)`",
        )),
    }
}

/// Mistakes in the shape of an expression: a function with the wrong number of arguments, a
/// cast to a type the grammar does not know, a `case` that does not parse.
pub(crate) fn check(e: &Expr, errors: &mut Errors) {
    match e {
        Expr::Macro(_) if window::as_window(e).is_some() => match window::parse(e) {
            Some(Ok(w)) => window::check(&w, errors),
            Some(Err(err)) => errors.push(err),
            None => {}
        },
        Expr::Macro(_) if case::scalar_subquery(e).is_some() => {
            if let Some(Err(err)) = case::scalar_subquery(e) {
                errors.push(err);
            }
        }
        Expr::Macro(_) => match case::parse(e) {
            Some(Ok(c)) => {
                for b in c.whens.iter().map(|w| &w.1).chain(&c.otherwise) {
                    check(b, errors);
                }
            }
            Some(Err(err)) => errors.push(err),
            None => {}
        },
        Expr::Call(c) if function(c).as_deref() == Some("cast") => match cast_parts(c) {
            Some((arg, ty, name)) => {
                if !CAST_TYPES.contains(&name.as_str()) {
                    errors.push(syn::Error::new(
                        ty.span(),
                        format!(
                            "unknown SQL type `{ty}` in `cast`; the types are {}",
                            CAST_TYPES
                                .iter()
                                .map(|t| format!("`{t}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                check(&arg, errors);
            }
            None => errors.push(syn::Error::new_spanned(
                &c.func,
                "write a cast as `cast(<expression> as <sql type>)`, such as `cast(age as text)`",
            )),
        },
        Expr::Paren(x) => check(&x.expr, errors),
        Expr::Group(x) => check(&x.expr, errors),
        Expr::Binary(b) => {
            if matches!(b.op, BinOp::Eq(_)) {
                errors.push(syn::Error::new_spanned(
                    b.op,
                    "SQL compares with `=`, not `==`",
                ));
            }
            check(&b.left, errors);
            check(&b.right, errors);
        }
        Expr::Assign(a) => {
            check(&a.left, errors);
            check(&a.right, errors);
        }
        Expr::Call(c) => check_call(c, errors),
        _ => {}
    }
}

/// Mistakes in a call: a function of the grammar with the wrong number of arguments, an
/// `order by` inside an aggregate that does not parse or orders by an aggregate.
fn check_call(c: &ExprCall, errors: &mut Errors) {
    if let Some(agg) = own_aggregate(c) {
        if c.args.len() != 1 {
            errors.push(syn::Error::new_spanned(
                &c.func,
                format!("`{}` takes 1 argument", agg.marker()),
            ));
        }
        for a in &c.args {
            check(a, errors);
        }
        return;
    }
    let Some(name) = function(c) else {
        for a in &c.args {
            check(a, errors);
        }
        return;
    };
    if name == "extract" {
        check_extract(c, errors);
        return;
    }
    let want = match name.as_str() {
        "coalesce" | "nullif" | "string_agg" | "date_trunc" => 2,
        "now" => 0,
        _ => 1,
    };
    let (args, order) = split_order(c);
    match order.map(order_keys) {
        Some(Ok(keys)) => {
            for k in keys {
                match k.key {
                    super::ast::Item::Expr(e) => check(&e, errors),
                    super::ast::Item::Agg(_, ident, _) => {
                        errors.push(syn::Error::new_spanned(
                            ident,
                            "an aggregate cannot be inside another aggregate's `order by`",
                        ));
                    }
                    _ => {}
                }
            }
        }
        Some(Err(err)) => errors.push(err),
        None => {}
    }
    if args.len() != want {
        errors.push(syn::Error::new_spanned(
            &c.func,
            format!(
                "`{name}` takes {want} argument{}",
                if want == 1 { "" } else { "s" }
            ),
        ));
    }
    for a in args {
        check(a, errors);
    }
}
