//! SQL expressions written with Rust's expression syntax: arithmetic (`+ - * /`), parentheses,
//! qualified columns (`Account::balance`) and the typed functions `lower`, `upper`, `length`,
//! `coalesce` and `now`. Anything else is a Rust value, bound as a parameter with the type of
//! the expression beside it. Each expression's Rust type is tracked by a witness (`Ty<T>`).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{BinOp, Expr, ExprCall, Path};

use super::ast::ColRef;
use super::expand::{Sql, borrow, p};

/// How a bare identifier reads: a column (left of a comparison, inside a select item) or a
/// Rust value (right of a comparison or of `=` in `set`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bare {
    Column,
    Value,
}

/// The functions of the grammar.
pub(crate) const FUNCTIONS: [&str; 5] = ["lower", "upper", "length", "coalesce", "now"];

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

fn arith_op(op: &BinOp) -> Option<&'static str> {
    match op {
        BinOp::Add(_) => Some(" + "),
        BinOp::Sub(_) => Some(" - "),
        BinOp::Mul(_) => Some(" * "),
        BinOp::Div(_) => Some(" / "),
        _ => None,
    }
}

/// Whether `e` is SQL (a column, a function of the grammar, or arithmetic or parentheses over
/// them) rather than a Rust value.
pub(crate) fn is_sql(e: &Expr, bare: Bare) -> bool {
    match e {
        Expr::Paren(p) => is_sql(&p.expr, bare),
        Expr::Group(g) => is_sql(&g.expr, bare),
        Expr::Binary(b) => {
            arith_op(&b.op).is_some() && (is_sql(&b.left, bare) || is_sql(&b.right, bare))
        }
        Expr::Call(c) => function(c).is_some(),
        Expr::Path(_) => column(e, bare).is_some(),
        _ => false,
    }
}

/// The witness of `e`'s type; `hint` is the type of the expression beside a value.
pub(crate) fn witness(sql: &Sql, e: &Expr, bare: Bare, hint: Option<&TokenStream>) -> TokenStream {
    let p = p();
    if !is_sql(e, bare) {
        return hint.map_or_else(
            || quote_spanned!(e.span()=> #p::ty::<()>()),
            |h| quote!(#p::base(#h)),
        );
    }
    match e {
        Expr::Paren(x) => witness(sql, &x.expr, bare, hint),
        Expr::Group(x) => witness(sql, &x.expr, bare, hint),
        Expr::Binary(bin) => {
            let (left, right) = pair(sql, &bin.left, &bin.right, bare);
            {
                let pp = super::ast::respan(p.clone(), bin.op.span());
                quote_spanned!(bin.op.span()=> #pp::arith(#left, #right))
            }
        }
        Expr::Call(call) => {
            let name = function(call).unwrap_or_default();
            let args: Vec<&Expr> = call.args.iter().collect();
            let span = call.func.span();
            let p = super::ast::respan(p.clone(), span);
            match (name.as_str(), args.as_slice()) {
                ("lower" | "upper", [arg]) => {
                    let arg = witness(sql, arg, bare, Some(&quote!(#p::ty::<String>())));
                    quote_spanned!(span=> #p::text_fn(#arg))
                }
                ("length", [arg]) => {
                    let arg = witness(sql, arg, bare, Some(&quote!(#p::ty::<String>())));
                    quote_spanned!(span=> #p::length(#arg))
                }
                ("coalesce", [first, second]) => {
                    let (first, second) = pair(sql, first, second, bare);
                    quote_spanned!(span=> #p::coalesce(#first, #second))
                }
                ("now", []) => quote_spanned!(span=> #p::now()),
                _ => quote_spanned!(span=> #p::ty::<()>()),
            }
        }
        _ => {
            let Some(c) = column(e, bare) else {
                return quote!(#p::ty::<()>());
            };
            let h = c.handle(&sql.main);
            quote_spanned!(e.span()=> #p::ty_col(&#h))
        }
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

/// Appends `e`'s SQL, binding its values; `hint` is the witness of the expression beside it
/// (for a value). Returns `e`'s witness.
pub(crate) fn emit(sql: &mut Sql, e: &Expr, bare: Bare, hint: Option<&TokenStream>) -> TokenStream {
    let p = p();
    let typed = witness(sql, e, bare, hint);
    if !is_sql(e, bare) {
        let v = borrow(e);
        let h = hint.cloned().unwrap_or_else(|| quote!(#p::ty::<()>()));
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
        Expr::Binary(bin) => {
            let (left, right) = pair(sql, &bin.left, &bin.right, bare);
            emit(sql, &bin.left, bare, Some(&right));
            sql.text(arith_op(&bin.op).unwrap_or(" + "));
            emit(sql, &bin.right, bare, Some(&left));
        }
        Expr::Call(call) => {
            let name = function(call).unwrap_or_default();
            sql.text(&name);
            sql.text("(");
            let args: Vec<&Expr> = call.args.iter().collect();
            match args.as_slice() {
                [first, second] => {
                    let (w_first, w_second) = pair(sql, first, second, bare);
                    emit(sql, first, bare, Some(&w_second));
                    sql.text(", ");
                    emit(sql, second, bare, Some(&w_first));
                }
                [arg] => {
                    emit(sql, arg, bare, Some(&quote!(#p::ty::<String>())));
                }
                _ => {}
            }
            sql.text(")");
        }
        _ => {
            if let Some(c) = column(e, bare) {
                sql.column(&c);
            }
        }
    }
    typed
}

/// Mistakes in the shape of an expression: a function with the wrong number of arguments.
pub(crate) fn check(e: &Expr, errors: &mut Vec<syn::Error>) {
    match e {
        Expr::Paren(x) => check(&x.expr, errors),
        Expr::Group(x) => check(&x.expr, errors),
        Expr::Binary(b) => {
            check(&b.left, errors);
            check(&b.right, errors);
        }
        Expr::Call(c) => {
            let Some(name) = function(c) else { return };
            let want = match name.as_str() {
                "coalesce" => 2,
                "now" => 0,
                _ => 1,
            };
            if c.args.len() != want {
                errors.push(syn::Error::new_spanned(
                    &c.func,
                    format!(
                        "`{name}` takes {want} argument{}",
                        if want == 1 { "" } else { "s" }
                    ),
                ));
            }
            for a in &c.args {
                check(a, errors);
            }
        }
        _ => {}
    }
}
