//! The jsonb and array operators: `->`, `->>`, `#>`, `#>>`, `?`, `?|`, `?&`, `@>`, `<@`,
//! `&&`, and the array functions `any`, `all`, `cardinality` and `array_length`.
//!
//! Rust cannot parse these operators, so before a statement is parsed each one is rewritten
//! (with [`super::case::rewrite`]'s other forms) as a right shift of a marker:
//!
//! ```text
//! data ->> "city" = city      becomes      data >> sql_op!(->>) >> "city" = city
//! ```
//!
//! which Rust reads as `((data >> sql_op!(->>)) >> "city") = city`. PostgreSQL puts these
//! operators, like all the operators it does not name, on one level that binds tighter than
//! comparisons and looser than `+ - * /`, from left to right; Rust's shifts sit exactly there,
//! so the tree Rust builds is the one PostgreSQL reads, and [`split`] finds each operator back
//! from the marker, which keeps the user's tokens (and their spans, for errors). The SQL of an
//! operator is written in parentheses, `(data ->> $1) = $2`, so that it reads the same beside
//! `||`, which Rust binds looser than SQL does.
//!
//! An operator is only rewritten after an operand (a name, a literal, a group, `end`), so
//! `&&x` stays a reference; `?` only before a key (a literal, a name that is not an SQL word,
//! a group), so Rust's `value?` in a value (`f()?`, `x? and ...`) stays Rust's.
//!
//! A key, a path or a document given as a Rust value is bound as a parameter, never written
//! into the SQL. An integer literal key is an array index, bound as `$n::int4`. A bare name
//! right of an operator is a Rust value, as right of a comparison.

use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::parse::ParseStream;
use syn::spanned::Spanned as _;
use syn::{BinOp, Expr, ExprBinary, ExprCall, Lit};

use super::check::Cx;
use super::expand::{Sql, borrow, p};
use super::expr::{self, Bare};

/// The array functions: `any` and `all` on the right of a comparison, `cardinality`,
/// `array_length`.
pub(crate) const FUNCTIONS: [&str; 4] = ["any", "all", "cardinality", "array_length"];

/// The marker's macro name.
const MARKER: &str = "sql_op";

/// An operator of this module.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Op {
    /// `->`: a field or an element, jsonb.
    Get,
    /// `->>`: a field or an element, text.
    GetText,
    /// `#>`: the value at a path, jsonb.
    Path,
    /// `#>>`: the value at a path, text.
    PathText,
    /// `?`: whether a key exists.
    HasKey,
    /// `?|`: whether any of the keys exists.
    HasAny,
    /// `?&`: whether all the keys exist.
    HasAll,
    /// `@>`: contains.
    Contains,
    /// `<@`: is contained by.
    ContainedBy,
    /// `&&`: arrays overlap.
    Overlap,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "->" => Op::Get,
            "->>" => Op::GetText,
            "#>" => Op::Path,
            "#>>" => Op::PathText,
            "?" => Op::HasKey,
            "?|" => Op::HasAny,
            "?&" => Op::HasAll,
            "@>" => Op::Contains,
            "<@" => Op::ContainedBy,
            "&&" => Op::Overlap,
            _ => return None,
        })
    }

    fn sql(self) -> &'static str {
        match self {
            Op::Get => " -> ",
            Op::GetText => " ->> ",
            Op::Path => " #> ",
            Op::PathText => " #>> ",
            Op::HasKey => " ? ",
            Op::HasAny => " ?| ",
            Op::HasAll => " ?& ",
            Op::Contains => " @> ",
            Op::ContainedBy => " <@ ",
            Op::Overlap => " && ",
        }
    }

    /// Whether the operator is a test (its result is a boolean), which may stand alone as a
    /// condition: `where tags && wanted`.
    pub(crate) fn is_test(self) -> bool {
        matches!(
            self,
            Op::HasKey | Op::HasAny | Op::HasAll | Op::Contains | Op::ContainedBy | Op::Overlap
        )
    }

    /// Whether its left side is a jsonb document.
    fn on_json(self) -> bool {
        matches!(
            self,
            Op::Get | Op::GetText | Op::Path | Op::PathText | Op::HasKey | Op::HasAny | Op::HasAll
        )
    }
}

/// The SQL words after which `?` is Rust's operator (`x? and ...`), not a key test.
const NOT_A_KEY: [&str; 27] = [
    "and",
    "or",
    "not",
    "is",
    "in",
    "like",
    "ilike",
    "between",
    "then",
    "else",
    "end",
    "when",
    "from",
    "where",
    "group",
    "having",
    "order",
    "limit",
    "offset",
    "returning",
    "on",
    "as",
    "asc",
    "desc",
    "set",
    "do",
    "nulls",
];

/// Appends the operator at `tokens[i]` rewritten as `>> sql_op!(op) >>`, if there is one, and
/// returns the index after it (a form of [`super::case::rewrite`]).
#[allow(
    clippy::unnecessary_wraps,
    reason = "the signature every form of the rewrite step has"
)]
pub(crate) fn operator_at(
    tokens: &[TokenTree],
    i: usize,
    out: &mut Vec<TokenTree>,
) -> syn::Result<Option<usize>> {
    Ok(rewrite_at(tokens, i).map(|(op, n)| {
        out.extend(op);
        i + n
    }))
}

/// The operator at `tokens[i]` rewritten as `>> sql_op!(op) >>`, and how many tokens it was.
fn rewrite_at(tokens: &[TokenTree], i: usize) -> Option<(Vec<TokenTree>, usize)> {
    let TokenTree::Punct(first) = &tokens[i] else {
        return None;
    };
    // The operator's characters: puncts written together.
    let mut end = i;
    while let Some(TokenTree::Punct(p)) = tokens.get(end)
        && p.spacing() == Spacing::Joint
        && matches!(tokens.get(end + 1), Some(TokenTree::Punct(_)))
    {
        end += 1;
    }
    let text: String = tokens[i..=end]
        .iter()
        .map(|t| match t {
            TokenTree::Punct(p) => p.as_char(),
            _ => ' ',
        })
        .collect();
    let op = Op::parse(&text)?;
    // A binary operator follows an operand (`end` closes one: `case ... end ->> "a"`).
    let after_operand = i
        .checked_sub(1)
        .and_then(|j| tokens.get(j))
        .is_some_and(|t| {
            matches!(t, TokenTree::Literal(_) | TokenTree::Group(_))
                || matches!(t, TokenTree::Ident(id) if {
                    let word = id.to_string().to_ascii_lowercase();
                    word == "end" || !NOT_A_KEY.contains(&word.as_str())
                })
        });
    if !after_operand {
        return None;
    }
    if op == Op::HasKey {
        // `?` is a key test only before an operand that is not an SQL word: `data ? "vip"`
        // (Rust's `value?` is followed by `.`, `,`, `)` or a word such as `and`).
        let before_operand = tokens.get(end + 1).is_some_and(|t| match t {
            TokenTree::Literal(_) => true,
            TokenTree::Group(g) => g.delimiter() == Delimiter::Parenthesis,
            TokenTree::Ident(id) => {
                !NOT_A_KEY.contains(&id.to_string().to_ascii_lowercase().as_str())
            }
            TokenTree::Punct(p) => p.as_char() == '&',
        });
        if !before_operand {
            return None;
        }
    }
    let span = first.span();
    let punct = |c: char, spacing: Spacing| {
        let mut p = Punct::new(c, spacing);
        p.set_span(span);
        TokenTree::Punct(p)
    };
    let mut args = Group::new(
        Delimiter::Parenthesis,
        tokens[i..=end].iter().cloned().collect(),
    );
    args.set_span(span);
    let out = vec![
        punct('>', Spacing::Joint),
        punct('>', Spacing::Alone),
        TokenTree::Ident(Ident::new(MARKER, span)),
        punct('!', Spacing::Alone),
        TokenTree::Group(args),
        punct('>', Spacing::Joint),
        punct('>', Spacing::Alone),
    ];
    Some((out, end + 1 - i))
}

/// Whether the next tokens are a rewritten operator (after a column, in a condition).
pub(crate) fn peek(input: ParseStream<'_>) -> bool {
    let c = input.cursor();
    let Some((a, c)) = c.punct() else {
        return false;
    };
    let Some((b, c)) = c.punct() else {
        return false;
    };
    a.as_char() == '>'
        && a.spacing() == Spacing::Joint
        && b.as_char() == '>'
        && c.ident().is_some_and(|(i, _)| i == MARKER)
}

/// An operator of this module with its operands.
pub(crate) struct OpExpr<'a> {
    pub(crate) left: &'a Expr,
    pub(crate) op: Op,
    /// The user's operator token.
    pub(crate) span: Span,
    pub(crate) right: &'a Expr,
}

/// The operator `b` is, if it is a rewritten one: `(left >> sql_op!(op)) >> right`.
pub(crate) fn split(b: &ExprBinary) -> Option<OpExpr<'_>> {
    let BinOp::Shr(_) = b.op else { return None };
    let Expr::Binary(inner) = &*b.left else {
        return None;
    };
    let BinOp::Shr(_) = inner.op else { return None };
    let Expr::Macro(m) = &*inner.right else {
        return None;
    };
    if !m.mac.path.is_ident(MARKER) {
        return None;
    }
    let text: String = m
        .mac
        .tokens
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    Some(OpExpr {
        left: &inner.left,
        op: Op::parse(&text)?,
        span: m.mac.path.span(),
        right: &b.right,
    })
}

/// The operator `e` is, if it is one.
pub(crate) fn as_op(e: &Expr) -> Option<OpExpr<'_>> {
    match e {
        Expr::Binary(b) => split(b),
        _ => None,
    }
}

/// An integer literal (`0`, `-1`): an array index.
fn is_index(e: &Expr) -> bool {
    match e {
        Expr::Lit(l) => matches!(&l.lit, Lit::Int(i) if matches!(i.suffix(), "" | "i32")),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => is_index(&u.expr),
        Expr::Paren(x) => is_index(&x.expr),
        _ => false,
    }
}

/// How a Rust value on one side of an operator is bound and read.
enum Value {
    /// A key of `->`, `->>` or `?`: text.
    Key,
    /// An array index: `i32`, cast so that the server reads it as one.
    Index,
    /// A path of `#>` or `#>>`.
    Path,
    /// A document or an array beside the expression whose witness is given.
    Beside(TokenStream),
    /// A jsonb document whose other side names no type.
    Doc,
}

/// The witness of the left side, and how it is bound if it is a value.
fn left(sql: &Sql, o: &OpExpr<'_>, bare: Bare) -> (TokenStream, Option<Value>) {
    let p = p();
    if expr::is_sql(o.left, bare) {
        return (expr::witness(sql, o.left, bare, None), None);
    }
    if !o.op.on_json() && expr::is_sql(o.right, Bare::Value) {
        let wr = expr::witness(sql, o.right, Bare::Value, None);
        return (quote!(#p::base(#wr)), Some(Value::Beside(wr)));
    }
    (quote!(#p::json_value()), Some(Value::Doc))
}

/// The witness of the right side given the left's, and how it is bound if it is a value. A
/// bare name on the right is a Rust value, as on the right of a comparison: a key, a path, a
/// document or an array to test against (a column there is written `Table::column`).
fn right(sql: &Sql, o: &OpExpr<'_>, wl: &TokenStream) -> (TokenStream, Option<Value>) {
    let p = p();
    if expr::is_sql(o.right, Bare::Value) {
        return (expr::witness(sql, o.right, Bare::Value, None), None);
    }
    match o.op {
        Op::Get | Op::GetText if is_index(o.right) => (quote!(#p::ty::<i32>()), Some(Value::Index)),
        Op::Get | Op::GetText | Op::HasKey => {
            (quote!(#p::ty::<::std::string::String>()), Some(Value::Key))
        }
        Op::Path | Op::PathText | Op::HasAny | Op::HasAll => (
            quote!(#p::ty::<::std::vec::Vec<::std::string::String>>()),
            Some(Value::Path),
        ),
        Op::Contains | Op::ContainedBy | Op::Overlap => {
            (quote!(#p::base(#wl)), Some(Value::Beside(wl.clone())))
        }
    }
}

/// `w` passed through a call spanned at `span`, so that a type error points there rather than
/// at the whole statement.
fn at(w: TokenStream, span: Span) -> TokenStream {
    let pa = super::ast::respan(p(), span);
    let mut g = Group::new(Delimiter::Parenthesis, w);
    g.set_span(span);
    quote_spanned!(span=> #pa::fn_arg #g)
}

/// The witness of an operator's result.
pub(crate) fn witness(sql: &Sql, o: &OpExpr<'_>, bare: Bare) -> TokenStream {
    let (wl, _) = left(sql, o, bare);
    let (wr, _) = right(sql, o, &wl);
    let span = o.span;
    // A document that is not jsonb is shown where it is written; two sides that do not fit,
    // at the operator.
    let (wl, wr) = if o.op.on_json() {
        (at(wl, o.left.span()), at(wr, o.right.span()))
    } else {
        (at(wl, span), wr)
    };
    let pp = super::ast::respan(p(), span);
    let f = match o.op {
        Op::Get => quote!(json_get),
        Op::GetText => quote!(json_text),
        Op::Path => quote!(json_path),
        Op::PathText => quote!(json_path_text),
        Op::HasKey => quote!(json_has),
        Op::HasAny | Op::HasAll => quote!(json_has_keys),
        Op::Contains | Op::ContainedBy => quote!(contain),
        Op::Overlap => quote!(overlap),
    };
    let f = super::ast::respan(f, span);
    quote_spanned!(span=> #pp::#f(#wl, #wr))
}

/// Binds `e`, a Rust value on one side of an operator, as `how` says.
fn bind(sql: &mut Sql, e: &Expr, how: &Value) {
    let p = p();
    let v = borrow(e);
    let span = e.span();
    let pp = super::ast::respan(p.clone(), span);
    match how {
        Value::Key => sql.param(quote_spanned!(span=> #pp::bind_key(#v))),
        Value::Index => {
            sql.param(quote_spanned!(span=> #pp::bind(#p::ty::<i32>(), #v)));
            sql.text("::int4");
        }
        Value::Path => sql.param(quote_spanned!(span=> #pp::bind_path(#v))),
        // The server reads it as the other side's type, which is an expression.
        Value::Beside(w) => sql.param(quote_spanned!(span=> #pp::bind_contain(#w, #v))),
        Value::Doc => {
            sql.param(quote_spanned!(span=> #pp::bind(#p::json_value(), #v)));
            sql.text("::jsonb");
        }
    }
}

/// Appends `e`'s SQL if it is an operator or a call of an array function, binding its values;
/// returns whether it was one.
pub(crate) fn emit_expr(sql: &mut Sql, e: &Expr, bare: Bare, hint: Option<&TokenStream>) -> bool {
    match e {
        Expr::Binary(b) if let Some(o) = split(b) => {
            emit(sql, &o, bare);
            true
        }
        Expr::Call(call) if function(call).is_some() => {
            emit_call(sql, call, bare, hint);
            true
        }
        _ => false,
    }
}

/// Appends an operator's SQL in parentheses, binding its values; returns its witness.
fn emit(sql: &mut Sql, o: &OpExpr<'_>, bare: Bare) -> TokenStream {
    sql.text("(");
    let w = emit_chain(sql, o, bare);
    sql.text(")");
    w
}

/// Appends an operator's SQL without parentheses: operators on the left of another read from
/// left to right, as PostgreSQL reads them.
fn emit_chain(sql: &mut Sql, o: &OpExpr<'_>, bare: Bare) -> TokenStream {
    let w = witness(sql, o, bare);
    let (wl, how_l) = left(sql, o, bare);
    let (_, how_r) = right(sql, o, &wl);
    match (how_l, as_op(o.left)) {
        (Some(how), _) => bind(sql, o.left, &how),
        (None, Some(inner)) => {
            emit_chain(sql, &inner, bare);
        }
        (None, None) => {
            expr::emit(sql, o.left, bare, None);
        }
    }
    sql.text(o.op.sql());
    match how_r {
        Some(how) => bind(sql, o.right, &how),
        None => {
            expr::emit(sql, o.right, Bare::Value, None);
        }
    }
    w
}

/// Mistakes in the shape of an operator's operands.
pub(crate) fn check(o: &OpExpr<'_>, cx: &mut Cx<'_>) {
    if !o.op.on_json() && !expr::is_sql(o.left, cx.bare) && !expr::is_sql(o.right, Bare::Value) {
        cx.errors.push(syn::Error::new(
            o.span,
            "one side of `@>`, `<@` or `&&` must be a column or an expression; both are Rust values",
        ));
    }
    expr::check_at(o.left, cx.bare, false, cx);
    expr::check_at(o.right, Bare::Value, false, cx);
}

/// The name of the array function `call` is, if it is one.
pub(crate) fn function(call: &ExprCall) -> Option<String> {
    let Expr::Path(p) = &*call.func else {
        return None;
    };
    let name = p.path.get_ident()?.to_string().to_ascii_lowercase();
    FUNCTIONS.contains(&name.as_str()).then_some(name)
}

/// `any(array)` or `all(array)`, if `e` is one.
pub(crate) fn quantifier(e: &Expr) -> Option<&ExprCall> {
    match e {
        Expr::Call(c) if function(c).is_some_and(|n| n == "any" || n == "all") => Some(c),
        _ => None,
    }
}

/// The witness of a call of an array function; `hint` is the expression beside `any(...)`.
pub(crate) fn call_witness(
    sql: &Sql,
    call: &ExprCall,
    bare: Bare,
    hint: Option<&TokenStream>,
) -> TokenStream {
    let p = p();
    let span = call.func.span();
    let pp = super::ast::respan(p.clone(), span);
    let name = function(call).unwrap_or_default();
    let Some(arg) = call.args.first() else {
        return quote!(#p::ty::<()>());
    };
    let quantifier = hint.filter(|_| name == "any" || name == "all");
    let array = if expr::is_sql(arg, bare) {
        at(expr::witness(sql, arg, bare, None), arg.span())
    } else if let Some(h) = quantifier {
        quote!(#p::array_of(#h))
    } else {
        // A Rust value, refused by `emit_call`: the function's own type stands in, so that
        // the mistake is reported once.
        return match name.as_str() {
            "cardinality" => quote!(#p::ty::<i32>()),
            "array_length" => quote!(#p::ty::<::core::option::Option<i32>>()),
            _ => quote!(#p::ty::<()>()),
        };
    };
    match (name.as_str(), quantifier) {
        ("cardinality", _) => quote_spanned!(span=> #pp::cardinality(#array)),
        ("array_length", _) => quote_spanned!(span=> #pp::array_length(#array)),
        // The elements compared with the expression beside: one error when they differ.
        (_, Some(h)) => quote_spanned!(span=> #pp::any_of(#h, #array)),
        _ => quote_spanned!(span=> #pp::any_elem(#array)),
    }
}

/// Appends a call of an array function, binding its values; `hint` is the expression beside
/// `any(...)`.
pub(crate) fn emit_call(sql: &mut Sql, call: &ExprCall, bare: Bare, hint: Option<&TokenStream>) {
    let p = p();
    let name = function(call).unwrap_or_default();
    let args: Vec<&Expr> = call.args.iter().collect();
    sql.text(match name.as_str() {
        "any" => "ANY(",
        "all" => "ALL(",
        "cardinality" => "cardinality(",
        _ => "array_length(",
    });
    if let Some(arg) = args.first() {
        if expr::is_sql(arg, bare) {
            expr::emit(sql, arg, bare, None);
        } else if let Some(h) = hint.filter(|_| name == "any" || name == "all") {
            let v = borrow(arg);
            let pp = super::ast::respan(p.clone(), arg.span());
            sql.param(quote_spanned!(arg.span()=> #pp::bind_any(#h, #v)));
        }
    }
    if let [_, dim] = args.as_slice() {
        sql.text(", ");
        if expr::is_sql(dim, bare) {
            expr::emit(sql, dim, bare, None);
        } else {
            let v = borrow(dim);
            let pp = super::ast::respan(p.clone(), dim.span());
            sql.param(quote_spanned!(dim.span()=> #pp::bind_dimension(#v)));
        }
    }
    sql.text(")");
}

/// Mistakes in a call of an array function: the number of arguments, `any` or `all` away from
/// the right of a comparison (`quantified` says it is there).
pub(crate) fn check_call(call: &ExprCall, quantified: bool, cx: &mut Cx<'_>) {
    let name = function(call).unwrap_or_default();
    let want = if name == "array_length" { 2 } else { 1 };
    if call.args.len() != want {
        cx.errors.push(syn::Error::new_spanned(
            &call.func,
            if want == 1 {
                format!("`{name}` takes 1 argument, an array")
            } else {
                "`array_length` takes 2 arguments, an array and its dimension: \
                 `array_length(tags, 1)`"
                    .to_owned()
            },
        ));
    }
    let is_any = name == "any" || name == "all";
    if is_any && !quantified {
        cx.errors.push(syn::Error::new_spanned(
            &call.func,
            format!(
                "`{name}(array)` is written on the right of a comparison, such as \
                 `x = {name}(array)`"
            ),
        ));
    }
    if (name == "cardinality" || name == "array_length")
        && let Some(arg) = call.args.first()
        && !expr::is_sql(arg, cx.bare)
    {
        cx.errors.push(syn::Error::new(
            arg.span(),
            format!(
                "`{name}` takes an array column or expression; the length of a Rust value is \
                 known without the database"
            ),
        ));
    }
    for a in &call.args {
        expr::check_at(a, cx.bare, false, cx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(s: &str) -> String {
        super::super::case::rewrite(s.parse().unwrap())
            .unwrap()
            .to_string()
    }

    #[test]
    fn operators_are_rewritten_as_marked_shifts() {
        assert_eq!(
            rewrite(r#"data ->> "city" = c"#),
            r#"data >> sql_op ! (->>) >> "city" = c"#
        );
        assert_eq!(
            rewrite(r#"Ride::data -> "a" ->> 0"#),
            r#"Ride :: data >> sql_op ! (->) >> "a" >> sql_op ! (->>) >> 0"#
        );
        assert_eq!(
            rewrite("tags && w and d @> x or d <@ y"),
            "tags >> sql_op ! (&&) >> w and d >> sql_op ! (@>) >> x or d >> sql_op ! (<@) >> y"
        );
        assert_eq!(
            rewrite(r#"d ? "k", d #>> p, d ?| ks, d ?& ks"#),
            r#"d >> sql_op ! (?) >> "k" , d >> sql_op ! (#>>) >> p , d >> sql_op ! (?|) >> ks , d >> sql_op ! (?&) >> ks"#
        );
        // After `end`, an operand closes.
        assert_eq!(
            rewrite(r#"case when a = 1 then d end ->> "k""#),
            r#"case ! { when a = 1 then d end } >> sql_op ! (->>) >> "k""#
        );
        // Rust's `?` and `&&` in values are left alone.
        assert_eq!(rewrite("id = x? and y = &&z"), "id = x ? and y = && z");
        assert_eq!(rewrite("id = f()?, a"), "id = f () ?, a");
    }

    #[test]
    fn rewritten_operators_parse_with_postgres_precedence() {
        let e: Expr = syn::parse_str(&rewrite(r#"data -> "a" ->> "b" = x + 1"#)).unwrap();
        let Expr::Assign(a) = e else { panic!() };
        let o = as_op(&a.left).unwrap();
        assert_eq!(o.op, Op::GetText);
        assert_eq!(as_op(o.left).unwrap().op, Op::Get);
        // Tighter than comparisons, looser than `+`.
        let e: Expr = syn::parse_str(&rewrite("a @> b + 1 < c")).unwrap();
        let Expr::Binary(lt) = e else { panic!() };
        let o = as_op(&lt.left).unwrap();
        assert_eq!(o.op, Op::Contains);
        assert!(matches!(o.right, Expr::Binary(b) if matches!(b.op, BinOp::Add(_))));
    }
}
