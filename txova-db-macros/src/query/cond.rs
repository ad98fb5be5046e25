//! The grammar of conditions (`where`, `having`, `on`, `when`): `and` / `or` / `not`,
//! comparisons of columns and of expressions, `is null`, `in` (a list, a slice or a
//! subquery), `like`, `between`, aggregates in `having`, `exists`.

use proc_macro2::{Ident, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Token, parenthesized};

use super::ast::{Agg, ColRef, parse_aggregate, peek_agg_over_expr, peek_expr, value};
use super::expr::Bare;
use super::kw;

/// A comparison operator.
#[derive(Clone, Copy)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// The comparison a Rust operator inside an expression is (`==` included: refused by
    /// `expr::check`).
    pub(crate) fn from_bin_op(op: &syn::BinOp) -> Option<CmpOp> {
        Some(match op {
            syn::BinOp::Eq(_) => CmpOp::Eq,
            syn::BinOp::Ne(_) => CmpOp::Ne,
            syn::BinOp::Lt(_) => CmpOp::Lt,
            syn::BinOp::Le(_) => CmpOp::Le,
            syn::BinOp::Gt(_) => CmpOp::Gt,
            syn::BinOp::Ge(_) => CmpOp::Ge,
            _ => return None,
        })
    }

    /// The operator's SQL, with a space on each side.
    pub(crate) fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => " = ",
            CmpOp::Ne => " <> ",
            CmpOp::Lt => " < ",
            CmpOp::Le => " <= ",
            CmpOp::Gt => " > ",
            CmpOp::Ge => " >= ",
        }
    }
}

/// The `where` of an `update!` or `delete!`.
pub(crate) enum Filter {
    Cond(Box<Cond>),
    /// `where all`: every row, on purpose.
    All,
    /// No `where` at all: refused at compile time.
    Missing,
}

/// Parses `where condition`, `where all` or nothing.
pub(crate) fn parse_filter(input: ParseStream<'_>) -> syn::Result<Filter> {
    if kw::eat(input, "where")?.is_none() {
        return Ok(Filter::Missing);
    }
    if kw::peek(input, "all")
        && (kw::peek2(input, "returning") || {
            let fork = input.fork();
            kw::eat(&fork, "all").is_ok() && fork.is_empty()
        })
    {
        kw::eat(input, "all")?;
        return Ok(Filter::All);
    }
    input.parse().map(|c| Filter::Cond(Box::new(c)))
}

/// A condition (`where`, `on`, ...).
pub(crate) enum Cond {
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    Paren(Box<Cond>),
    Pred(Box<Pred>),
}

/// One test on a column.
pub(crate) enum Pred {
    Cmp(ColRef, CmpOp, Expr),
    Null(ColRef, bool, Ident),
    In(ColRef, bool, Vec<Expr>),
    InSlice(ColRef, bool, Expr),
    Like(ColRef, bool, bool, Expr),
    Between(ColRef, bool, Expr, Expr),
    /// An aggregate compared with a value, in `having`.
    Agg(Agg, Ident, Option<ColRef>, CmpOp, Expr),
    /// An expression compared with another: `lower(name) = x`.
    Expr(Expr, CmpOp, Expr),
    /// `<expression> [not] between <expression> and <expression>`.
    BetweenExpr(Expr, bool, Expr, Expr),
    /// `<expression> is [not] null`.
    NullExpr(Expr, bool),
    /// `<expression> [not] like|ilike <value>`.
    LikeExpr(Expr, bool, bool, Expr),
    /// `exists (select ...)`.
    Exists(Box<super::select::Select>),
    /// `col [not] in (select ...)`.
    InSelect(ColRef, bool, Box<super::select::Select>),
    /// A test of the jsonb and array operators standing alone: `tags && wanted`,
    /// `data ? "vip"` (see [`super::ops`]).
    Test(Expr),
}

impl Cond {
    /// The first aggregate in the condition, for refusing aggregates in `where`.
    pub(crate) fn aggregate(&self) -> Option<&Ident> {
        match self {
            Cond::And(a, b) | Cond::Or(a, b) => a.aggregate().or_else(|| b.aggregate()),
            Cond::Not(c) | Cond::Paren(c) => c.aggregate(),
            Cond::Pred(p) => {
                if let Pred::Agg(_, ident, ..) = &**p {
                    return Some(ident);
                }
                let mut found = None;
                self.exprs(&mut |e, _| {
                    found = found.or_else(|| super::expr::aggregate(e));
                });
                found
            }
        }
    }
}

impl Cond {
    /// Calls `f` on every column the condition tests outside an aggregate.
    pub(crate) fn columns<'a>(&'a self, f: &mut impl FnMut(&'a ColRef)) {
        match self {
            Cond::And(a, b) | Cond::Or(a, b) => {
                a.columns(f);
                b.columns(f);
            }
            Cond::Not(c) | Cond::Paren(c) => c.columns(f),
            Cond::Pred(p) => match &**p {
                Pred::Cmp(c, ..)
                | Pred::Null(c, ..)
                | Pred::In(c, ..)
                | Pred::InSlice(c, ..)
                | Pred::Like(c, ..)
                | Pred::Between(c, ..)
                | Pred::InSelect(c, ..) => f(c),
                Pred::Agg(..)
                | Pred::Expr(..)
                | Pred::BetweenExpr(..)
                | Pred::NullExpr(..)
                | Pred::LikeExpr(..)
                | Pred::Test(_)
                | Pred::Exists(_) => {}
            },
        }
    }
}

impl Cond {
    /// Calls `f` on every expression the condition tests (both sides of a comparison of
    /// expressions, `between` over an expression), with how a bare name reads in it: a column
    /// on the left, a Rust value on the right.
    pub(crate) fn exprs<'a>(&'a self, f: &mut impl FnMut(&'a Expr, Bare)) {
        match self {
            Cond::And(a, b) | Cond::Or(a, b) => {
                a.exprs(f);
                b.exprs(f);
            }
            Cond::Not(c) | Cond::Paren(c) => c.exprs(f),
            Cond::Pred(p) => match &**p {
                Pred::Expr(l, _, r) => {
                    f(l, Bare::Column);
                    f(r, Bare::Value);
                }
                Pred::BetweenExpr(e, _, lo, hi) => {
                    f(e, Bare::Column);
                    f(lo, Bare::Value);
                    f(hi, Bare::Value);
                }
                Pred::Cmp(_, _, v) => f(v, Bare::Value),
                Pred::NullExpr(e, _) | Pred::Test(e) => f(e, Bare::Column),
                Pred::LikeExpr(e, _, _, v) => {
                    f(e, Bare::Column);
                    f(v, Bare::Value);
                }
                _ => {}
            },
        }
    }
}

impl Parse for Cond {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut left = parse_and(input)?;
        while kw::eat(input, "or")?.is_some() {
            left = Cond::Or(Box::new(left), Box::new(parse_and(input)?));
        }
        Ok(left)
    }
}

fn parse_and(input: ParseStream<'_>) -> syn::Result<Cond> {
    let mut left = parse_not(input)?;
    while kw::eat(input, "and")?.is_some() {
        left = Cond::And(Box::new(left), Box::new(parse_not(input)?));
    }
    Ok(left)
}

fn parse_not(input: ParseStream<'_>) -> syn::Result<Cond> {
    if kw::eat(input, "not")?.is_some() {
        return Ok(Cond::Not(Box::new(parse_not(input)?)));
    }
    if input.peek(syn::token::Paren) {
        // Parentheses followed by an operator or a test start an expression, `(a + b) > c`;
        // otherwise they hold a condition, `(a = 1 or b = 2) and c = 3`.
        let after = input.cursor().token_tree().map(|(_, rest)| rest);
        let expression = after.is_some_and(|rest| {
            rest.punct().is_some()
                || rest.ident().is_some_and(|(i, _)| {
                    let i = i.to_string().to_ascii_lowercase();
                    ["is", "between", "like", "ilike", "not"].contains(&i.as_str())
                })
        });
        return if expression {
            expr_pred(input).map(|p| Cond::Pred(Box::new(p)))
        } else {
            paren_cond(input)
        };
    }
    parse_pred(input).map(|p| Cond::Pred(Box::new(p)))
}

fn paren_cond(input: ParseStream<'_>) -> syn::Result<Cond> {
    let content;
    parenthesized!(content in input);
    let inner: Cond = content.parse()?;
    if !content.is_empty() {
        return Err(content.error("expected `and`, `or` or `)`"));
    }
    Ok(Cond::Paren(Box::new(inner)))
}

/// A test on an expression: `e is [not] null`, `e [not] between lo and hi`,
/// `e [not] like|ilike pattern`, or `e <op> e`.
fn expr_pred(input: ParseStream<'_>) -> syn::Result<Pred> {
    let e = Expr::parse_without_eager_brace(input)?;
    if kw::eat(input, "is")?.is_some() {
        let not = kw::eat(input, "not")?.is_some();
        kw::expect(
            input,
            "null",
            "after `is` (write `is null` or `is not null`)",
        )?;
        return Ok(Pred::NullExpr(e, not));
    }
    let not = kw::peek(input, "not")
        && ["between", "like", "ilike"]
            .iter()
            .any(|k| kw::peek2(input, k));
    if not {
        kw::eat(input, "not")?;
    }
    if kw::eat(input, "between")?.is_some() {
        let (lo, hi) = between_bounds(input)?;
        return Ok(Pred::BetweenExpr(e, not, lo, hi));
    }
    for (k, ilike) in [("like", false), ("ilike", true)] {
        if kw::eat(input, k)?.is_some() {
            return Ok(Pred::LikeExpr(e, not, ilike, value(input)?));
        }
    }
    split_comparison(e)
}

/// Parses `[select] items from ...` inside the parentheses of a subquery.
fn subquery(input: ParseStream<'_>) -> syn::Result<Box<super::select::Select>> {
    let content;
    parenthesized!(content in input);
    // A mistake inside uses up the parentheses, so that it is the one reported.
    let select = kw::expect(
        &content,
        "select",
        "at the start of a subquery: `(select ... from ...)`",
    )
    .and_then(|_| content.parse::<super::select::Select>());
    if select.is_err() {
        let _ = content.parse::<TokenStream>();
    }
    Ok(Box::new(select?))
}

fn parse_pred(input: ParseStream<'_>) -> syn::Result<Pred> {
    if kw::peek(input, "exists") && input.peek2(syn::token::Paren) {
        kw::eat(input, "exists")?;
        return subquery(input).map(Pred::Exists);
    }
    let aggregate = input.cursor().ident().is_some_and(|(i, rest)| {
        Agg::from_name(&i.to_string()).is_some()
            && rest.group(proc_macro2::Delimiter::Parenthesis).is_some()
    });
    if aggregate && !peek_agg_over_expr(input) {
        let ident: Ident = input.parse()?;
        let (agg, arg) = parse_aggregate(&ident, input)?;
        let op = parse_cmp_op(input)?;
        return Ok(Pred::Agg(agg, ident, arg, op, value(input)?));
    }
    if peek_expr(input) && !input.peek(syn::token::Paren) {
        return expr_pred(input);
    }
    let col: ColRef = input.parse()?;
    if let Some(is) = kw::eat(input, "is")? {
        let not = kw::eat(input, "not")?.is_some();
        kw::expect(
            input,
            "null",
            "after `is` (write `is null` or `is not null`)",
        )?;
        return Ok(Pred::Null(col, not, is));
    }
    let not = kw::eat(input, "not")?.is_some();
    if kw::eat(input, "in")?.is_some() {
        if input.peek(syn::token::Paren) && {
            let fork = input.fork();
            let content;
            syn::parenthesized!(content in fork);
            kw::peek(&content, "select")
        } {
            return Ok(Pred::InSelect(col, not, subquery(input)?));
        }
        if input.peek(syn::token::Paren) {
            let content;
            parenthesized!(content in input);
            let list = Punctuated::<Expr, Token![,]>::parse_terminated(&content)?;
            if list.is_empty() {
                return Err(content.error("expected at least one value in the list"));
            }
            return Ok(Pred::In(col, not, list.into_iter().collect()));
        }
        return Ok(Pred::InSlice(col, not, value(input)?));
    }
    if kw::eat(input, "like")?.is_some() {
        return Ok(Pred::Like(col, not, false, value(input)?));
    }
    if kw::eat(input, "ilike")?.is_some() {
        return Ok(Pred::Like(col, not, true, value(input)?));
    }
    if kw::eat(input, "between")?.is_some() {
        let (lo, hi) = between_bounds(input)?;
        return Ok(Pred::Between(col, not, lo, hi));
    }
    if not {
        return Err(input.error("expected `in`, `like`, `ilike` or `between` after `not`"));
    }
    let op = parse_cmp_op(input)?;
    Ok(Pred::Cmp(col, op, value(input)?))
}

/// Parses `lo and hi` after `between`.
fn between_bounds(input: ParseStream<'_>) -> syn::Result<(Expr, Expr)> {
    let lo = value(input)?;
    kw::expect(input, "and", "between the bounds of `between`")?;
    let hi = value(input)?;
    Ok((lo, hi))
}

/// `e` with `a || b < c` read as SQL reads it, `(a || b) < c`: Rust binds comparisons tighter
/// than `||`, SQL the other way round.
fn concat_first(e: Expr) -> Expr {
    use syn::BinOp;
    let Expr::Binary(mut outer) = e else { return e };
    if !matches!(outer.op, BinOp::Or(_)) {
        return Expr::Binary(outer);
    }
    *outer.right = concat_first(*outer.right);
    match *outer.right {
        Expr::Binary(inner) if CmpOp::from_bin_op(&inner.op).is_some() => {
            // a || (b < c)  =>  (a || b) < c
            let mut inner = inner;
            let b = std::mem::replace(&mut *inner.left, Expr::Verbatim(TokenStream::new()));
            *outer.right = b;
            *inner.left = Expr::Binary(outer);
            Expr::Binary(inner)
        }
        right => {
            *outer.right = right;
            Expr::Binary(outer)
        }
    }
}

/// Splits `left = right` (or `<`, `<=`, `>`, `>=`, `!=`) read as a Rust expression.
fn split_comparison(e: Expr) -> syn::Result<Pred> {
    use syn::BinOp;
    match concat_first(e) {
        Expr::Assign(a) => Ok(Pred::Expr(*a.left, CmpOp::Eq, *a.right)),
        Expr::Binary(b) if super::ops::split(&b).is_some_and(|o| o.op.is_test()) => {
            Ok(Pred::Test(Expr::Binary(b)))
        }
        Expr::Binary(b) => match (&b.op, CmpOp::from_bin_op(&b.op)) {
            (BinOp::Eq(_), _) => Err(syn::Error::new_spanned(
                b.op,
                "SQL compares with `=`, not `==`",
            )),
            (_, Some(op)) => Ok(Pred::Expr(*b.left, op, *b.right)),
            (_, None) => Err(syn::Error::new_spanned(
                b.op,
                "expected a comparison: `=`, `<>`, `<`, `<=`, `>`, `>=`",
            )),
        },
        e => Err(syn::Error::new_spanned(
            e,
            "expected a comparison after the expression: `=`, `!=`, `<`, `<=`, `>`, `>=`",
        )),
    }
}

fn parse_cmp_op(input: ParseStream<'_>) -> syn::Result<CmpOp> {
    Ok(if input.peek(Token![<=]) {
        input.parse::<Token![<=]>()?;
        CmpOp::Le
    } else if input.peek(Token![>=]) {
        input.parse::<Token![>=]>()?;
        CmpOp::Ge
    } else if input.peek(Token![!=]) {
        input.parse::<Token![!=]>()?;
        CmpOp::Ne
    } else if input.peek(Token![<]) && input.peek2(Token![>]) {
        input.parse::<Token![<]>()?;
        input.parse::<Token![>]>()?;
        CmpOp::Ne
    } else if input.peek(Token![<]) {
        input.parse::<Token![<]>()?;
        CmpOp::Lt
    } else if input.peek(Token![>]) {
        input.parse::<Token![>]>()?;
        CmpOp::Gt
    } else if input.peek(Token![==]) {
        return Err(input.error("SQL compares with `=`, not `==`"));
    } else if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        CmpOp::Eq
    } else {
        return Err(input.error(
            "expected a comparison after the column: `=`, `<>`, `<`, `<=`, `>`, `>=`, `is null`, `in`, `like`, `ilike` or `between`",
        ));
    })
}
