//! The function library of the grammar: `lower`, `upper`, `length`, `coalesce`, `nullif`,
//! `now`, `cast`, `date_trunc`, `extract`, the aggregates `string_agg`, `array_agg`,
//! `bool_and`, `bool_or` (with an `order by` of their own), `count`, `sum`, `avg`, `min` and
//! `max` over expressions, and the functions users declare with `sql_function!`. Each call is
//! typed by a witness, emitted, and checked for its shape here; [`super::expr`] dispatches.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{Expr, ExprCall, Path};

use super::ast::Agg;
use super::check::Cx;
use super::expand::{Sql, p};
use super::expr::{Bare, at, check_at, emit, is_sql, pair, split_as, witness};
use super::ops;

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
pub(crate) const EXTRACT_FIELDS: [&str; 22] = [
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

/// The field and the argument of `extract(field, x)` (`extract(field from x)` as rewritten
/// before parsing).
pub(crate) fn extract_parts(call: &ExprCall) -> Option<(&syn::Ident, &Expr)> {
    let [field, arg] = call.args.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let Expr::Path(f) = field else { return None };
    Some((f.path.get_ident()?, arg))
}

/// The SQL types `cast(x as type)` takes (the names of `__private::sql_ty`).
pub(crate) const CAST_TYPES: [&str; 19] = [
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

/// The argument and the SQL type of `cast(arg as type)`, the type in lower case.
pub(crate) fn cast_parts(call: &ExprCall) -> Option<(Expr, syn::Ident, String)> {
    let [arg] = call.args.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let (arg, ty) = split_as(arg)?;
    let name = ty.to_string().to_ascii_lowercase();
    Some((arg, ty, name))
}

/// Whether `name` may name a function declared with `sql_function!`: an identifier in lower
/// case, neither a function of the grammar nor an aggregate.
pub(crate) fn is_user_function_name(name: &syn::Ident) -> bool {
    let s = name.to_string();
    let s = s.trim_start_matches("r#");
    let lower = s.to_ascii_lowercase();
    s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && !FUNCTIONS.contains(&lower.as_str())
        && !ops::FUNCTIONS.contains(&lower.as_str())
        && super::ast::Agg::from_name(&lower).is_none()
        && !["not", "exists", "select", "case", "in", "and", "or"].contains(&lower.as_str())
}

/// The path of a call of a function declared with `sql_function!`: a name (or a path through
/// modules to one) in lower case outside the grammar's library. Where a bare name is a value (right of
/// `=`), a call is SQL only when an argument is; otherwise it is a Rust call giving a value.
pub(crate) fn user_function(call: &ExprCall, bare: Bare) -> Option<&Path> {
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
    if p.path
        .segments
        .iter()
        .any(|s| super::ast::is_type_name(&s.ident))
    {
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
pub(crate) fn split_order(call: &ExprCall) -> (Vec<&Expr>, Option<&syn::ExprMacro>) {
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
pub(crate) fn order_keys(m: &syn::ExprMacro) -> syn::Result<Vec<super::ast::OrderKey>> {
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
pub(crate) fn own_aggregate_witness(
    sql: &Sql,
    call: &ExprCall,
    agg: Agg,
    bare: Bare,
) -> TokenStream {
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

pub(crate) fn function(call: &ExprCall) -> Option<String> {
    let Expr::Path(p) = &*call.func else {
        return None;
    };
    let name = p.path.get_ident()?.to_string().to_ascii_lowercase();
    (FUNCTIONS.contains(&name.as_str()) || ops::FUNCTIONS.contains(&name.as_str())).then_some(name)
}

/// The hint a Rust value given as argument `i` of the declared function `path` takes: the
/// declared type.
pub(crate) fn user_arg_hint(path: &Path, i: usize) -> TokenStream {
    let p = p();
    quote_spanned!(path.span()=> #p::fn_arg_ty::<#i, _>(&#path))
}

/// The witness of a call of a function declared with `sql_function!`: its hidden `__call`
/// checks each argument's type (the error on the argument) and their number, and gives the
/// result's; the name resolves where the user wrote it.
pub(crate) fn user_witness(sql: &Sql, call: &ExprCall, path: &Path, bare: Bare) -> TokenStream {
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
pub(crate) fn call_witness(
    sql: &Sql,
    call: &ExprCall,
    bare: Bare,
    hint: Option<&TokenStream>,
) -> TokenStream {
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

/// Appends a call of a function declared with `sql_function!`: its declared name, and each
/// argument (a Rust value bound with the declared type).
pub(crate) fn emit_user_call(sql: &mut Sql, call: &ExprCall, path: &Path, bare: Bare) {
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
pub(crate) fn emit_call(sql: &mut Sql, call: &ExprCall, bare: Bare) {
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
pub(crate) fn check_extract(c: &ExprCall, cx: &mut Cx<'_>) {
    match extract_parts(c) {
        Some((field, arg)) => {
            let f = field.to_string().to_ascii_lowercase();
            if !EXTRACT_FIELDS.contains(&f.as_str()) {
                cx.errors.push(syn::Error::new(
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
            check_at(arg, cx.bare, false, cx);
        }
        None => cx.errors.push(syn::Error::new_spanned(
            &c.func,
            "write `extract(<field> from <expression>)`, such as \
             `extract(year from created_at)`",
        )),
    }
}

/// Mistakes in a call: a function of the grammar with the wrong number of arguments, an
/// `order by` inside an aggregate that does not parse or orders by an aggregate; its
/// arguments and their keys.
pub(crate) fn check_call(c: &ExprCall, cx: &mut Cx<'_>) {
    let bare = cx.bare;
    if let Some(agg) = own_aggregate(c) {
        if c.args.len() != 1 {
            cx.errors.push(syn::Error::new_spanned(
                &c.func,
                format!("`{}` takes 1 argument", agg.marker()),
            ));
        }
        for a in &c.args {
            check_at(a, bare, false, cx);
        }
        return;
    }
    let Some(name) = function(c) else {
        // A function declared with `sql_function!`: its arguments have declared types.
        for a in &c.args {
            check_at(a, bare, true, cx);
        }
        return;
    };
    if name == "extract" {
        check_extract(c, cx);
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
                if let super::ast::Item::Agg(_, ident, _) = &k.key {
                    cx.errors.push(syn::Error::new_spanned(
                        ident,
                        "an aggregate cannot be inside another aggregate's `order by`",
                    ));
                } else {
                    cx.item(&k.key);
                }
            }
        }
        Some(Err(err)) => cx.errors.push(err),
        None => {}
    }
    if args.len() != want {
        cx.errors.push(syn::Error::new_spanned(
            &c.func,
            format!(
                "`{name}` takes {want} argument{}",
                if want == 1 { "" } else { "s" }
            ),
        ));
    }
    for (i, a) in args.into_iter().enumerate() {
        // As `emit_call` types them: `array_agg`'s argument and `date_trunc`'s value take no
        // type from beside them.
        let typed = !matches!((name.as_str(), i), ("array_agg", _) | ("date_trunc", 1));
        check_at(a, bare, typed, cx);
    }
}

/// Appends `cast(x as type)` as `CAST(x AS type)`.
pub(crate) fn emit_cast(sql: &mut Sql, call: &ExprCall, bare: Bare, hint: Option<&TokenStream>) {
    let p = p();
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

/// Appends `extract(field from x)`.
pub(crate) fn emit_extract(sql: &mut Sql, call: &ExprCall, bare: Bare) {
    if let Some((field, arg)) = extract_parts(call) {
        sql.text("EXTRACT(");
        sql.text(&field.to_string().to_ascii_lowercase());
        sql.text(" FROM ");
        emit(sql, arg, bare, None);
        sql.text(")");
    }
}
