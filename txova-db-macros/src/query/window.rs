//! Window functions: `f(args) over ([partition by ...] [order by ...] [frame])`.
//!
//! Rust cannot parse `f(x) over (...)`: the rewrite step ([`super::case::rewrite`]) turns it
//! into the macro call `over! { f(x) (...) }`, which Rust reads as one expression whose tokens
//! are kept; [`Window`] parses them where the expression is typed and emitted.
//!
//! The functions are the ranking ones (`row_number`, `rank`, `dense_rank`, `percent_rank`,
//! `cume_dist`, `ntile`), the value ones (`lag`, `lead`, `first_value`, `last_value`,
//! `nth_value`), and the aggregates of the grammar (`count`, `sum`, `avg`, `min`, `max`,
//! `string_agg`, `array_agg`, `bool_and`, `bool_or`). A window function is evaluated after
//! grouping: it is allowed in the select list and in `order by` only, as in PostgreSQL.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::parse::ParseStream;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprCall, ExprMacro, Token};

use super::ast::{self, Agg, Bound, ColRef, Item, OrderKey, parse_aggregate, parse_order};
use super::check::Cx;
use super::expand::{Sql, p};
use super::expr::{self, Bare};
use super::kw;

/// The window functions that are not aggregates, with the numbers of arguments each takes.
const FUNCTIONS: [(&str, &[usize]); 11] = [
    ("row_number", &[0]),
    ("rank", &[0]),
    ("dense_rank", &[0]),
    ("percent_rank", &[0]),
    ("cume_dist", &[0]),
    ("ntile", &[1]),
    ("lag", &[1, 2, 3]),
    ("lead", &[1, 2, 3]),
    ("first_value", &[1]),
    ("last_value", &[1]),
    ("nth_value", &[2]),
];

/// What a window computes.
pub(crate) enum WinFn {
    /// `count(*)`, or `count`, `sum`, `avg`, `min` or `max` over a column.
    Agg(Agg, Ident, Option<ColRef>),
    /// A window function, or an aggregate of the grammar over an expression.
    Call(ExprCall),
}

/// One end of a frame.
pub(crate) enum FrameBound {
    UnboundedPreceding,
    Preceding(Bound),
    CurrentRow,
    Following(Bound),
    UnboundedFollowing,
}

/// `rows|range|groups [between] <start> [and <end>]`.
pub(crate) struct Frame {
    unit: Ident,
    start: FrameBound,
    end: Option<FrameBound>,
}

impl Frame {
    /// Whether every frame holds its current row, so that `first_value` and `last_value` of
    /// a column that is never NULL are never NULL.
    fn holds_current_row(&self) -> bool {
        !matches!(
            self.start,
            FrameBound::Following(_) | FrameBound::UnboundedFollowing
        ) && !matches!(
            self.end,
            Some(FrameBound::Preceding(_) | FrameBound::UnboundedPreceding)
        )
    }
}

/// A parsed window function call.
pub(crate) struct Window {
    pub(crate) func: WinFn,
    pub(crate) partition: Vec<Item>,
    pub(crate) order: Vec<OrderKey>,
    pub(crate) frame: Option<Frame>,
    /// The `over` key word.
    pub(crate) over: Span,
}

/// Whether `t` is the key word `kw`.
fn is_kw(t: &TokenTree, kw: &str) -> bool {
    matches!(t, TokenTree::Ident(i) if i.to_string().eq_ignore_ascii_case(kw))
}

/// Whether `tokens[i..]` is `name(...) over (...)`, for the rewrite step.
pub(crate) fn starts_at(tokens: &[TokenTree], i: usize) -> bool {
    let paren = |t: Option<&TokenTree>| matches!(t, Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Parenthesis);
    matches!(tokens.get(i), Some(TokenTree::Ident(_)))
        && paren(tokens.get(i + 1))
        && tokens.get(i + 2).is_some_and(|t| is_kw(t, "over"))
        && paren(tokens.get(i + 3))
        // Not the end of a path (`m::f(x) over`): the functions here are SQL's own.
        && !i
            .checked_sub(1)
            .and_then(|j| tokens.get(j))
            .is_some_and(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ':'))
}

/// The `over!` call `e` is, if it is one.
pub(crate) fn as_window(e: &Expr) -> Option<&ExprMacro> {
    match e {
        Expr::Macro(m) if m.mac.path.is_ident("over") => Some(m),
        _ => None,
    }
}

/// The window function `e` is, parsed, if it is one.
pub(crate) fn parse(e: &Expr) -> Option<syn::Result<Window>> {
    as_window(e).map(|m| {
        let over = m.mac.path.span();
        m.mac
            .parse_body_with(|input: ParseStream<'_>| parse_window(input, over))
    })
}

fn parse_window(input: ParseStream<'_>, over: Span) -> syn::Result<Window> {
    let func = parse_func(input)?;
    let spec;
    syn::parenthesized!(spec in input);
    let window = parse_spec(&spec, func, over)?;
    if !input.is_empty() {
        return Err(input.error("expected nothing after `over (...)`"));
    }
    Ok(window)
}

/// The function a window computes.
fn parse_func(input: ParseStream<'_>) -> syn::Result<WinFn> {
    let over_expr = ast::peek_agg_over_expr(input);
    let name: Ident = syn::ext::IdentExt::parse_any(input)?;
    let lower = name.to_string().to_ascii_lowercase();
    // `count`, `sum`, `avg`, `min` and `max` over `*` or a column are read by
    // [`parse_aggregate`]; over an expression they are calls.
    let func = if Agg::from_name(&lower).is_some() && !over_expr {
        let (agg, arg) = parse_aggregate(&name, input)?;
        if agg == Agg::CountDistinct {
            return Err(syn::Error::new_spanned(
                &name,
                "PostgreSQL has no `count(distinct ...)` over a window",
            ));
        }
        WinFn::Agg(agg, name, arg)
    } else {
        let args: proc_macro2::Group = input.parse()?;
        let call: ExprCall = syn::parse2(quote!(#name #args))?;
        let known = FUNCTIONS.iter().find(|(f, _)| *f == lower);
        match known {
            Some((_, counts)) if !counts.contains(&call.args.len()) => {
                let counts = match counts {
                    [one] => one.to_string(),
                    [init @ .., last] => format!(
                        "{} or {last}",
                        init.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    [] => String::new(),
                };
                let plural = if counts == "1" { "" } else { "s" };
                return Err(syn::Error::new_spanned(
                    &name,
                    format!("`{lower}` takes {counts} argument{plural}"),
                ));
            }
            Some(_) => {}
            None if super::func::AGGREGATES.contains(&lower.as_str())
                || Agg::from_name(&lower).is_some() => {}
            None => {
                return Err(syn::Error::new_spanned(
                    &name,
                    format!(
                        "unknown window function `{name}`; the window functions are {}, and the \
                         aggregates {}",
                        FUNCTIONS
                            .iter()
                            .map(|(f, _)| format!("`{f}`"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        Agg::NAMES
                            .iter()
                            .chain(&super::func::AGGREGATES)
                            .map(|f| format!("`{f}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        WinFn::Call(call)
    };
    Ok(func)
}

/// The window of `func`: `[partition by ...] [order by ...] [frame]`.
fn parse_spec(spec: ParseStream<'_>, func: WinFn, over: Span) -> syn::Result<Window> {
    let mut partition = Vec::new();
    if kw::eat(spec, "partition")?.is_some() {
        kw::expect(spec, "by", "after `partition`")?;
        loop {
            match spec.parse::<Item>()? {
                Item::Table(t) => {
                    return Err(syn::Error::new_spanned(
                        t,
                        "expected a column or an expression to partition by, found a table",
                    ));
                }
                key => partition.push(key),
            }
            if spec.peek(Token![,]) {
                spec.parse::<Token![,]>()?;
            } else {
                break;
            }
        }
    }
    let order = if kw::eat(spec, "order")?.is_some() {
        kw::expect(spec, "by", "after `order`")?;
        parse_order(spec)?
    } else {
        Vec::new()
    };
    let frame = if ["rows", "range", "groups"]
        .iter()
        .any(|u| kw::peek(spec, u))
    {
        Some(parse_frame(spec)?)
    } else {
        None
    };
    if !spec.is_empty() {
        return Err(spec.error(
            "expected `partition by`, `order by`, or a frame (`rows between <start> and <end>`) \
             in `over (...)`",
        ));
    }
    Ok(Window {
        func,
        partition,
        order,
        frame,
        over,
    })
}

fn parse_frame(input: ParseStream<'_>) -> syn::Result<Frame> {
    let unit: Ident = syn::ext::IdentExt::parse_any(input)?;
    let (start, end) = if kw::eat(input, "between")?.is_some() {
        let start = parse_bound(input, &unit)?;
        kw::expect(input, "and", "between the frame's start and end")?;
        (start, Some(parse_bound(input, &unit)?))
    } else {
        (parse_bound(input, &unit)?, None)
    };
    if matches!(start, FrameBound::UnboundedFollowing) {
        return Err(syn::Error::new_spanned(
            &unit,
            "a frame cannot start at `unbounded following`",
        ));
    }
    if matches!(end, Some(FrameBound::UnboundedPreceding)) {
        return Err(syn::Error::new_spanned(
            &unit,
            "a frame cannot end at `unbounded preceding`",
        ));
    }
    Ok(Frame { unit, start, end })
}

fn parse_bound(input: ParseStream<'_>, unit: &Ident) -> syn::Result<FrameBound> {
    if kw::eat(input, "unbounded")?.is_some() {
        return if kw::eat(input, "preceding")?.is_some() {
            Ok(FrameBound::UnboundedPreceding)
        } else {
            kw::expect(input, "following", "or `preceding` after `unbounded`")?;
            Ok(FrameBound::UnboundedFollowing)
        };
    }
    if kw::eat(input, "current")?.is_some() {
        kw::expect(input, "row", "after `current`")?;
        return Ok(FrameBound::CurrentRow);
    }
    if input.is_empty() || kw::peek(input, "and") {
        return Err(input.error(
            "expected a frame bound: `unbounded preceding`, `<n> preceding`, `current row`, \
             `<n> following` or `unbounded following`",
        ));
    }
    if unit.to_string().eq_ignore_ascii_case("range") {
        return Err(input.error(
            "a `range` frame with an offset is not supported: its type depends on the \
             ordering column; use `rows` or `groups`, or `unbounded` and `current row`",
        ));
    }
    let n: Bound = input.parse()?;
    if kw::eat(input, "preceding")?.is_some() {
        Ok(FrameBound::Preceding(n))
    } else {
        kw::expect(
            input,
            "following",
            "or `preceding` after the frame's offset",
        )?;
        Ok(FrameBound::Following(n))
    }
}

/// The witness of an `int4` argument (`ntile`'s, the offsets of `lag`, `lead` and
/// `nth_value`).
fn int_witness(sql: &Sql, e: &Expr, bare: Bare) -> TokenStream {
    let p = p();
    let w = expr::at(
        e.span(),
        expr::witness(sql, e, bare, Some(&quote!(#p::ty::<i32>()))),
    );
    let pp = ast::respan(p, e.span());
    quote_spanned!(e.span()=> #pp::window_int(#w))
}

/// The witness of a window function's value.
pub(crate) fn witness(sql: &Sql, w: &Window, bare: Bare) -> TokenStream {
    let p = p();
    let call = match &w.func {
        WinFn::Agg(Agg::Count | Agg::CountDistinct, ..) | WinFn::Agg(_, _, None) => {
            return quote!(#p::ty::<i64>());
        }
        WinFn::Agg(agg, ident, Some(c)) => {
            let h = sql.handle(c);
            let pp = ast::respan(p.clone(), ident.span());
            return match agg {
                Agg::Sum => quote_spanned!(ident.span()=> #pp::sum_ty(#pp::sum_info(&#h))),
                Agg::Avg => quote_spanned!(ident.span()=> #pp::sum_ty(#pp::avg_info(&#h))),
                _ => quote_spanned!(ident.span()=> #pp::ty_col_opt(&#h)),
            };
        }
        WinFn::Call(call) => call,
    };
    let name = function_name(call);
    let span = call.func.span();
    let pp = ast::respan(p.clone(), span);
    let args: Vec<&Expr> = call.args.iter().collect();
    match (name.as_str(), args.as_slice()) {
        ("row_number" | "rank" | "dense_rank", _) => quote!(#p::ty::<i64>()),
        ("percent_rank" | "cume_dist", _) => quote!(#p::ty::<f64>()),
        ("ntile", [n]) => {
            let n = int_witness(sql, n, bare);
            quote_spanned!(span=> #pp::window_ntile(#n))
        }
        ("lag" | "lead", [x, rest @ ..]) => {
            let xw = expr::witness(sql, x, bare, None);
            match rest {
                [] => quote_spanned!(span=> #pp::or_null(#xw)),
                [off] => {
                    let off = int_witness(sql, off, bare);
                    quote_spanned!(span=> #pp::window_lag(#xw, #off))
                }
                [off, default, ..] => {
                    let off = int_witness(sql, off, bare);
                    let dw = expr::witness(sql, default, bare, Some(&xw));
                    quote_spanned!(span=> #pp::window_lag_default(#xw, #off, #dw))
                }
            }
        }
        ("first_value" | "last_value", [x]) => {
            let xw = expr::witness(sql, x, bare, None);
            if w.frame.as_ref().is_none_or(Frame::holds_current_row) {
                xw
            } else {
                quote_spanned!(span=> #pp::or_null(#xw))
            }
        }
        ("nth_value", [x, n]) => {
            let xw = expr::witness(sql, x, bare, None);
            let n = int_witness(sql, n, bare);
            quote_spanned!(span=> #pp::window_nth_value(#xw, #n))
        }
        // The aggregates over expressions are typed as they are without a window.
        _ => expr::witness(sql, &Expr::Call(call.clone()), bare, None),
    }
}

fn function_name(call: &ExprCall) -> String {
    match &*call.func {
        Expr::Path(p) => p
            .path
            .get_ident()
            .map(|i| i.to_string().to_ascii_lowercase())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Appends a window function call, binding its values.
pub(crate) fn emit(sql: &mut Sql, w: &Window, bare: Bare) {
    let p = p();
    // No window inside a window (`check` reports one).
    let allowed = std::mem::replace(&mut sql.allow.windows, false);
    let mut cast = None;
    match &w.func {
        WinFn::Agg(agg, ident, arg) => {
            sql.text(&ident.to_string().to_ascii_lowercase());
            sql.text("(");
            match arg {
                Some(c) => {
                    sql.column(c);
                    let h = sql.handle(c);
                    cast = match agg {
                        Agg::Sum => Some(
                            quote_spanned!(ident.span()=> #p::Part::Str(#p::sum_info(&#h).cast())),
                        ),
                        Agg::Avg => Some(
                            quote_spanned!(ident.span()=> #p::Part::Str(#p::avg_info(&#h).cast())),
                        ),
                        _ => None,
                    };
                }
                None => sql.text("*"),
            }
            sql.text(")");
        }
        WinFn::Call(call) => {
            let name = function_name(call);
            if let Some(agg) = super::func::own_aggregate(call) {
                cast = super::func::emit_own_aggregate(sql, call, agg, bare);
            } else if super::func::AGGREGATES.contains(&name.as_str()) {
                let call = Expr::Call(call.clone());
                expr::emit(sql, &call, bare, None);
            } else {
                let int = quote!(#p::ty::<i32>());
                sql.text(&name);
                sql.text("(");
                let args: Vec<&Expr> = call.args.iter().collect();
                let first = args.first().map(|x| expr::witness(sql, x, bare, None));
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        sql.text(", ");
                    }
                    let hint = match (name.as_str(), i) {
                        ("ntile", 0) | (_, 1) => Some(&int),
                        (_, 2) => first.as_ref(),
                        _ => None,
                    };
                    expr::emit(sql, a, bare, hint);
                }
                sql.text(")");
            }
        }
    }
    sql.text(" OVER (");
    if !w.partition.is_empty() {
        sql.text("PARTITION BY ");
        for (i, key) in w.partition.iter().enumerate() {
            if i > 0 {
                sql.text(", ");
            }
            sql.key(key);
        }
    }
    if !w.order.is_empty() {
        if !w.partition.is_empty() {
            sql.text(" ");
        }
        sql.text("ORDER BY ");
        sql.order_keys(&w.order);
    }
    if let Some(f) = &w.frame {
        if !w.partition.is_empty() || !w.order.is_empty() {
            sql.text(" ");
        }
        sql.text(&f.unit.to_string().to_ascii_uppercase());
        if let Some(end) = &f.end {
            sql.text(" BETWEEN ");
            emit_bound(sql, &f.start);
            sql.text(" AND ");
            emit_bound(sql, end);
        } else {
            sql.text(" ");
            emit_bound(sql, &f.start);
        }
    }
    sql.text(")");
    if let Some(cast) = cast {
        sql.part(cast);
    }
    sql.allow.windows = allowed;
}

fn emit_bound(sql: &mut Sql, b: &FrameBound) {
    match b {
        FrameBound::UnboundedPreceding => sql.text("UNBOUNDED PRECEDING"),
        FrameBound::Preceding(n) => {
            sql.bound("", n);
            sql.text(" PRECEDING");
        }
        FrameBound::CurrentRow => sql.text("CURRENT ROW"),
        FrameBound::Following(n) => {
            sql.bound("", n);
            sql.text(" FOLLOWING");
        }
        FrameBound::UnboundedFollowing => sql.text("UNBOUNDED FOLLOWING"),
    }
}

/// The columns a window uses outside aggregates' own arguments, for the grouping rule: a
/// window is computed over the grouped rows, so every column in it must be grouped.
pub(crate) fn free_columns(w: &Window, keys: &[String], out: &mut Vec<ColRef>) {
    match &w.func {
        WinFn::Agg(_, _, Some(c)) => out.push(c.clone()),
        WinFn::Agg(_, _, None) => {}
        WinFn::Call(call) => {
            for a in &call.args {
                expr::free_columns(a, Bare::Column, keys, out);
            }
        }
    }
    let items = w.partition.iter().chain(w.order.iter().map(|k| &k.key));
    for item in items {
        match item {
            Item::Column(c) => out.push(c.clone()),
            Item::Expr(e) => expr::free_columns(e, Bare::Column, keys, out),
            Item::Agg(..) | Item::Table(_) => {}
        }
    }
}

/// Mistakes in a window: its place (the select list or `order by` of a `select`), its
/// function's arguments and its keys (where no window may be).
pub(crate) fn check(w: &Window, cx: &mut Cx<'_>) {
    if !cx.allow.windows {
        cx.errors.push(syn::Error::new(
            w.over,
            "a window function (`over`) can only be in the select list or `order by` of a \
             `select`; PostgreSQL computes it after `where`, `group by` and `having`",
        ));
    }
    // No window inside a window.
    let allowed = std::mem::replace(&mut cx.allow.windows, false);
    if let WinFn::Agg(_, _, Some(c)) = &w.func {
        cx.column(c);
    }
    if let WinFn::Call(call) = &w.func {
        let name = function_name(call);
        if super::func::own_aggregate(call).is_some()
            || super::func::AGGREGATES.contains(&name.as_str())
        {
            expr::check(&Expr::Call(call.clone()), cx);
        } else {
            // `ntile(n)` and the offset of `lag` and `lead` are integers, their default has
            // the value's type.
            for (i, a) in call.args.iter().enumerate() {
                let typed = matches!((name.as_str(), i), ("ntile", 0) | (_, 1 | 2));
                expr::check_at(a, cx.bare, typed, cx);
            }
        }
    }
    let items = w.partition.iter().chain(w.order.iter().map(|k| &k.key));
    for item in items {
        cx.item(item);
    }
    cx.allow.windows = allowed;
}
