//! SQL expressions written with Rust's expression syntax: arithmetic (`+ - * /`), text
//! concatenation (`||`), comparisons, parentheses, qualified columns (`Account::balance`),
//! `excluded.col`, `case when ... end` (see [`super::case`]), scalar subqueries, calls of the
//! function library ([`super::func`]), window functions ([`super::window`]) and the jsonb and
//! array operators ([`super::ops`]). Anything else is a Rust value, bound as a parameter with
//! the type of the expression beside it (a literal alone has its own type). Each
//! expression's Rust type is tracked by a witness (`Ty<T>`).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{BinOp, Expr, Lit, Path};

use super::ast::ColRef;
use super::case::{self, Case};
use super::check::Cx;
use super::expand::{Sql, borrow, p};
use super::func::{
    self, AGGREGATES, CAST_TYPES, call_witness, cast_parts, check_call, emit_call, emit_user_call,
    extract_parts, function, own_aggregate, user_function, user_witness,
};
use super::ops;
use super::window;

/// How a bare identifier reads: a column (left of a comparison, inside a select item) or a
/// Rust value (right of a comparison or of `=` in `set`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bare {
    Column,
    Value,
}

/// The columns `e` uses outside aggregates and outside the sub-expressions written like a key
/// of `group by` (`keys`, as tokens), for the grouping rule; `bare` says how a bare name reads.
pub(crate) fn free_columns(e: &Expr, bare: Bare, keys: &[String], out: &mut Vec<ColRef>) {
    if keys.contains(&quote!(#e).to_string()) {
        return;
    }
    match e {
        Expr::Paren(x) => free_columns(&x.expr, bare, keys, out),
        Expr::Group(x) => free_columns(&x.expr, bare, keys, out),
        // A bare name right of an operator is a Rust value (a key), not a column.
        Expr::Binary(b) if let Some(o) = ops::split(b) => {
            free_columns(o.left, bare, keys, out);
            free_columns(o.right, Bare::Value, keys, out);
        }
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
                    cond.columns(&mut |col| out.push(col.clone()));
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

/// `Table::column` (the segment before the last names a type).
fn qualified_column(path: &Path) -> Option<ColRef> {
    if path.segments.len() < 2 {
        return None;
    }
    let n = path.segments.len();
    let is_type = |i: usize| super::ast::is_type_name(&path.segments[i].ident);
    if !is_type(n - 2) || is_type(n - 1) {
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
    super::cond::CmpOp::from_bin_op(op).map(super::cond::CmpOp::sql)
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
        Expr::Binary(b) if ops::split(b).is_some() => true,
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
        Expr::Binary(bin) if let Some(o) = ops::split(bin) => ops::witness(sql, &o, bare),
        Expr::Call(call) if ops::function(call).is_some() => {
            ops::call_witness(sql, call, bare, hint)
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
                BinOp::Add(_) => quote_spanned!(bin.op.span()=> #pp::add(#left, #right)),
                BinOp::Sub(_) => quote_spanned!(bin.op.span()=> #pp::sub(#left, #right)),
                _ => quote_spanned!(bin.op.span()=> #pp::arith(#left, #right)),
            }
        }
        Expr::Call(call) => match user_function(call, bare) {
            Some(path) => user_witness(sql, call, path, bare),
            None => call_witness(sql, call, bare, hint),
        },
        Expr::Field(_) => {
            let main = &sql.scope.main.table;
            let col = excluded(e).cloned();
            quote_spanned!(e.span()=> #p::ty_col(&#main::#col))
        }
        _ => {
            let Some(c) = column(e, bare) else {
                return quote!(#p::ty::<()>());
            };
            let h = sql.handle(&c);
            // A left-joined column is NULL when no row matched, whatever its type.
            if sql.left_joined(&c) {
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

/// The witnesses of two operands, a value taking the other's type.
pub(crate) fn pair(sql: &Sql, a: &Expr, b: &Expr, bare: Bare) -> (TokenStream, TokenStream) {
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
    if ops::emit_expr(sql, e, bare, hint) {
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
                emit_case(sql, &c, bare, hint);
            } else if let Some(Ok(s)) = case::scalar_subquery(e) {
                sql.text("(");
                let _ = s.subquery(sql);
                sql.text(")");
            }
        }
        Expr::Call(call) if function(call).as_deref() == Some("cast") => {
            func::emit_cast(sql, call, bare, hint);
        }
        Expr::Binary(bin) => {
            let (left, right) = bin_pair(sql, bin, bare);
            // A value added to or subtracted from a timestamp is an interval, which the
            // server would read as a timestamp unless cast, and one beside a date a number
            // of days (`operand_cast`).
            let add_sub = matches!(bin.op, BinOp::Add(_) | BinOp::Sub(_));
            let hint = value_hint(&bin.op, &right);
            emit(sql, &bin.left, bare, Some(&hint));
            if add_sub && !is_sql(&bin.left, bare) {
                sql.part(quote_spanned!(bin.left.span()=> #p::Part::Str(#p::operand_cast(#right))));
            }
            sql.text(
                arith_op(&bin.op)
                    .or_else(|| cmp_op(&bin.op))
                    .unwrap_or(" + "),
            );
            let hint = value_hint(&bin.op, &left);
            emit(sql, &bin.right, bare, Some(&hint));
            if add_sub && !is_sql(&bin.right, bare) {
                sql.part(quote_spanned!(bin.right.span()=> #p::Part::Str(#p::operand_cast(#left))));
            }
        }
        Expr::Assign(a) => {
            let (left, right) = pair(sql, &a.left, &a.right, bare);
            emit(sql, &a.left, bare, Some(&right));
            sql.text(" = ");
            emit(sql, &a.right, bare, Some(&left));
        }
        Expr::Call(call) if function(call).as_deref() == Some("extract") => {
            func::emit_extract(sql, call, bare);
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
        let main = sql.scope.main.table.clone();
        sql.text("EXCLUDED.");
        sql.part(quote_spanned!(e.span()=> #p::Part::Str(#p::col(&#main::#col))));
    }
}

#[cfg(test)]
thread_local! {
    /// How many `case`s were assembled without a type: each one a mistake the check stage
    /// must have reported (tests compare).
    pub(crate) static UNTYPED_CASES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Appends a `case`.
fn emit_case(sql: &mut Sql, c: &Case, bare: Bare, hint: Option<&TokenStream>) {
    let p = p();
    // Without a type, a mistake the check stage reports: text stands in.
    let anchor = case_anchor(sql, c, bare, hint).unwrap_or_else(|| {
        #[cfg(test)]
        UNTYPED_CASES.with(|n| n.set(n.get() + 1));
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

/// Mistakes in the right side of a comparison, which may be `any(array)` or `all(array)`.
pub(crate) fn check_operand(e: &Expr, cx: &mut Cx<'_>) {
    match ops::quantifier(e) {
        Some(c) => ops::check_call(c, true, cx),
        None => check(e, cx),
    }
}

/// `e`, an operand written where its values take a type (`typed`) or not, read with `bare`.
pub(crate) fn check_at(e: &Expr, bare: Bare, typed: bool, cx: &mut Cx<'_>) {
    let outer = (
        std::mem::replace(&mut cx.bare, bare),
        std::mem::replace(&mut cx.typed, typed),
    );
    check(e, cx);
    (cx.bare, cx.typed) = outer;
}

/// Mistakes in an expression: its shape (a function with the wrong number of arguments, a
/// cast to a type the grammar does not know, a `case` that does not parse or whose type is
/// not known), a table the statement does not read, a window function or `excluded.col`
/// where they mean nothing, a subquery that does not read one value; the subqueries are
/// checked whole.
pub(crate) fn check(e: &Expr, cx: &mut Cx<'_>) {
    match e {
        Expr::Macro(_) if window::as_window(e).is_some() => match window::parse(e) {
            Some(Ok(w)) => window::check(&w, cx),
            Some(Err(err)) => cx.errors.push(err),
            None => {}
        },
        Expr::Macro(_) if case::scalar_subquery(e).is_some() => match case::scalar_subquery(e) {
            Some(Ok(s)) => {
                cx.subquery(&s);
                if !s.reads_one_value() {
                    cx.errors.push(syn::Error::new(
                        e.span(),
                        "a subquery used as a value selects one column, expression, `count`, \
                         `min` or `max`",
                    ));
                }
            }
            Some(Err(err)) => cx.errors.push(err),
            None => {}
        },
        Expr::Macro(_) => match case::parse(e) {
            Some(Ok(c)) => check_case(e, &c, cx),
            Some(Err(err)) => cx.errors.push(err),
            None => {}
        },
        Expr::Call(c) if function(c).as_deref() == Some("cast") => match cast_parts(c) {
            Some((arg, ty, name)) => {
                if !CAST_TYPES.contains(&name.as_str()) {
                    cx.errors.push(syn::Error::new(
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
                check_at(&arg, cx.bare, true, cx);
            }
            None => cx.errors.push(syn::Error::new_spanned(
                &c.func,
                "write a cast as `cast(<expression> as <sql type>)`, such as `cast(age as text)`",
            )),
        },
        Expr::Paren(x) => check(&x.expr, cx),
        Expr::Group(x) => check(&x.expr, cx),
        Expr::Binary(b) if let Some(o) = ops::split(b) => ops::check(&o, cx),
        Expr::Call(c) if ops::function(c).is_some() => ops::check_call(c, false, cx),
        Expr::Binary(b) => {
            if matches!(b.op, BinOp::Eq(_)) {
                cx.errors.push(syn::Error::new_spanned(
                    b.op,
                    "SQL compares with `=`, not `==`",
                ));
            }
            // Each side takes its type from the other.
            check_at(&b.left, cx.bare, true, cx);
            if cmp_op(&b.op).is_some() {
                let outer = std::mem::replace(&mut cx.typed, true);
                check_operand(&b.right, cx);
                cx.typed = outer;
            } else {
                check_at(&b.right, cx.bare, true, cx);
            }
        }
        Expr::Assign(a) => {
            check_at(&a.left, cx.bare, true, cx);
            let outer = std::mem::replace(&mut cx.typed, true);
            check_operand(&a.right, cx);
            cx.typed = outer;
        }
        Expr::Call(c) => check_call(c, cx),
        Expr::Path(_) => {
            if let Some(c) = column(e, cx.bare) {
                cx.column(&c);
            }
        }
        Expr::Field(_) if excluded(e).is_some() && !cx.allow.excluded => {
            cx.errors.push(syn::Error::new(
                e.span(),
                "`excluded.column` only means something in `on conflict do update set`",
            ));
        }
        _ => {}
    }
}

/// Mistakes in a `case`: its conditions and branches, and a type it cannot be given (every
/// branch a Rust value other than a literal, where nothing beside it gives one).
fn check_case(e: &Expr, c: &Case, cx: &mut Cx<'_>) {
    let branches = || c.whens.iter().map(|w| &w.1).chain(&c.otherwise);
    let known = branches().any(|b| is_sql(b, cx.bare) || literal_ty(b).is_some());
    if !known && !cx.typed {
        cx.errors.push(syn::Error::new(
            e.span(),
            "the type of this `case` is not known: give one branch a column, a literal or a \
             cast (`cast(value as text)`)",
        ));
    }
    for (cond, _) in &c.whens {
        cx.cond(cond);
    }
    // The branches take the `case`'s type.
    for b in branches() {
        check_at(b, cx.bare, true, cx);
    }
}
