//! `case when <condition> then <expression> ... [else <expression>] end`, and the SQL forms
//! Rust cannot parse.
//!
//! Before a statement is parsed each `case when ... end` is rewritten as the macro call
//! `case! { when ... end }`, which Rust reads as one expression whose tokens are kept; [`Case`]
//! parses them where the expression is typed and emitted. `extract(field from x)` is
//! rewritten as `extract(field, x)`, `string_agg(x, sep order by k)` as
//! `string_agg(x, sep, order_by! { k })`, a window function `f(x) over (...)` as
//! `over! { f(x) (...) }` (see [`super::window`]), and a scalar subquery `(select ...)` as
//! `select! { ... }`.

use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::{Expr, ExprMacro};

use super::cond::Cond;
use super::kw;

fn is_kw(t: &TokenTree, kw: &str) -> bool {
    matches!(t, TokenTree::Ident(i) if i.to_string().eq_ignore_ascii_case(kw))
}

/// `tokens` with the SQL forms Rust cannot parse rewritten as forms it can (see the module
/// documentation), groups included; a `case when` without its `end` is an error.
pub(crate) fn rewrite(tokens: TokenStream) -> syn::Result<TokenStream> {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let forms: [Form; 5] = [
            case_at,
            extract_at,
            ordered_aggregate_at,
            subquery_at,
            window_at,
        ];
        if let Some(next) = forms
            .iter()
            .find_map(|form| form(&tokens, i, &mut out).transpose())
        {
            i = next?;
            continue;
        }
        match &tokens[i] {
            TokenTree::Group(g) => out.push(group(g.delimiter(), rewrite(g.stream())?, g.span())),
            t => out.push(t.clone()),
        }
        i += 1;
    }
    Ok(out.into_iter().collect())
}

/// A group of `delimiter` around `stream`, spanned at `span`.
fn group(delimiter: Delimiter, stream: TokenStream, span: Span) -> TokenTree {
    let mut g = Group::new(delimiter, stream);
    g.set_span(span);
    TokenTree::Group(g)
}

/// A punctuation mark spanned at `span`.
fn punct(c: char, span: Span) -> TokenTree {
    let mut p = Punct::new(c, Spacing::Alone);
    p.set_span(span);
    TokenTree::Punct(p)
}

/// Appends the macro call `name! { body }`, spanned at `span`.
fn push_call(out: &mut Vec<TokenTree>, name: &str, span: Span, body: TokenStream) {
    out.push(TokenTree::Ident(Ident::new(name, span)));
    out.push(punct('!', span));
    out.push(group(Delimiter::Brace, body, span));
}

/// The parenthesized group at `tokens[i]`, if there is one.
fn paren_at(tokens: &[TokenTree], i: usize) -> Option<&Group> {
    match tokens.get(i) {
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => Some(g),
        _ => None,
    }
}

/// Each of these rewrites the form starting at `tokens[i]`, when one does, into `out`, and
/// returns the index after it.
type Form = fn(&[TokenTree], usize, &mut Vec<TokenTree>) -> syn::Result<Option<usize>>;

/// `case when ... end` as `case! { when ... end }`.
fn case_at(tokens: &[TokenTree], i: usize, out: &mut Vec<TokenTree>) -> syn::Result<Option<usize>> {
    let starts =
        |j: usize| is_kw(&tokens[j], "case") && tokens.get(j + 1).is_some_and(|n| is_kw(n, "when"));
    if !starts(i) {
        return Ok(None);
    }
    // The matching `end`: nested `case when` open, `end` close.
    let mut depth = 0usize;
    for j in i..tokens.len() {
        if starts(j) {
            depth += 1;
        } else if is_kw(&tokens[j], "end") {
            depth -= 1;
            if depth == 0 {
                let inner = tokens[i + 1..=j].iter().cloned().collect();
                push_call(out, "case", tokens[i].span(), rewrite(inner)?);
                return Ok(Some(j + 1));
            }
        }
    }
    Err(syn::Error::new(
        tokens[i].span(),
        "`case` without `end`: write `case when <condition> then <expression> \
         [else <expression>] end`",
    ))
}

/// `extract(field from x)` as `extract(field, x)`.
fn extract_at(
    tokens: &[TokenTree],
    i: usize,
    out: &mut Vec<TokenTree>,
) -> syn::Result<Option<usize>> {
    let Some(g) = paren_at(tokens, i + 1).filter(|_| is_kw(&tokens[i], "extract")) else {
        return Ok(None);
    };
    let inner: Vec<TokenTree> = g.stream().into_iter().collect();
    let [field @ TokenTree::Ident(_), from, rest @ ..] = &inner[..] else {
        return Ok(None);
    };
    if !is_kw(from, "from") {
        return Ok(None);
    }
    let args = [field.clone(), punct(',', from.span())]
        .into_iter()
        .chain(rest.iter().cloned())
        .collect();
    out.push(tokens[i].clone());
    out.push(group(Delimiter::Parenthesis, rewrite(args)?, g.span()));
    Ok(Some(i + 2))
}

/// `string_agg(x, sep order by k)` and `array_agg(x order by k)` with the `order by` as a last
/// argument, `order_by! { k }`.
fn ordered_aggregate_at(
    tokens: &[TokenTree],
    i: usize,
    out: &mut Vec<TokenTree>,
) -> syn::Result<Option<usize>> {
    let aggregate = is_kw(&tokens[i], "string_agg") || is_kw(&tokens[i], "array_agg");
    let Some(g) = paren_at(tokens, i + 1).filter(|_| aggregate) else {
        return Ok(None);
    };
    let inner: Vec<TokenTree> = g.stream().into_iter().collect();
    let Some(at) = (0..inner.len())
        .find(|&j| is_kw(&inner[j], "order") && inner.get(j + 1).is_some_and(|n| is_kw(n, "by")))
    else {
        return Ok(None);
    };
    let span = inner[at].span();
    let mut args: Vec<TokenTree> = rewrite(inner[..at].iter().cloned().collect())?
        .into_iter()
        .collect();
    args.push(punct(',', span));
    push_call(
        &mut args,
        "order_by",
        span,
        rewrite(inner[at + 2..].iter().cloned().collect())?,
    );
    out.push(tokens[i].clone());
    out.push(group(
        Delimiter::Parenthesis,
        args.into_iter().collect(),
        g.span(),
    ));
    Ok(Some(i + 2))
}

/// `(select ...)` as a value (not after `exists` or `in`, which read their own) as the scalar
/// subquery `select! { ... }`.
fn subquery_at(
    tokens: &[TokenTree],
    i: usize,
    out: &mut Vec<TokenTree>,
) -> syn::Result<Option<usize>> {
    let Some(g) = paren_at(tokens, i) else {
        return Ok(None);
    };
    let select = g
        .stream()
        .into_iter()
        .next()
        .is_some_and(|f| is_kw(&f, "select"));
    let read_by_previous = i
        .checked_sub(1)
        .and_then(|j| tokens.get(j))
        .is_some_and(|prev| is_kw(prev, "exists") || is_kw(prev, "in"));
    if !select || read_by_previous {
        return Ok(None);
    }
    let inner = g.stream().into_iter().skip(1).collect();
    push_call(out, "select", g.span(), rewrite(inner)?);
    Ok(Some(i + 1))
}

/// `f(x) over (...)` as the window function `over! { f(x) (...) }`.
fn window_at(
    tokens: &[TokenTree],
    i: usize,
    out: &mut Vec<TokenTree>,
) -> syn::Result<Option<usize>> {
    if !super::window::starts_at(tokens, i) {
        return Ok(None);
    }
    let inner = [&tokens[i], &tokens[i + 1], &tokens[i + 3]]
        .into_iter()
        .cloned()
        .collect();
    push_call(out, "over", tokens[i + 2].span(), rewrite(inner)?);
    Ok(Some(i + 4))
}

/// A parsed `case`.
pub(crate) struct Case {
    pub(crate) whens: Vec<(Cond, Expr)>,
    pub(crate) otherwise: Option<Expr>,
}

/// The `case!` call `e` is, if it is one.
pub(crate) fn as_case(e: &Expr) -> Option<&ExprMacro> {
    match e {
        Expr::Macro(m) if m.mac.path.is_ident("case") => Some(m),
        _ => None,
    }
}

/// The scalar subquery `e` is (`(select ...)`, rewritten as `select! { ... }`), parsed, if it
/// is one.
pub(crate) fn scalar_subquery(e: &Expr) -> Option<syn::Result<super::select::Select>> {
    match e {
        Expr::Macro(m) if m.mac.path.is_ident("select") => Some(m.mac.parse_body()),
        _ => None,
    }
}

/// The `case` that `e` is, parsed, if it is one.
pub(crate) fn parse(e: &Expr) -> Option<syn::Result<Case>> {
    as_case(e).map(|m| m.mac.parse_body::<Case>())
}

fn branch(input: ParseStream<'_>) -> syn::Result<Expr> {
    if input.is_empty() || kw::peek(input, "when") || kw::peek(input, "else") {
        return Err(input.error("expected an expression"));
    }
    Expr::parse_without_eager_brace(input)
}

impl Parse for Case {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut whens = Vec::new();
        while kw::eat(input, "when")?.is_some() {
            let cond: Cond = input.parse()?;
            kw::expect(input, "then", "after the condition of `when`")?;
            whens.push((cond, branch(input)?));
        }
        let otherwise = if kw::eat(input, "else")?.is_some() {
            Some(branch(input)?)
        } else {
            None
        };
        kw::expect(
            input,
            "end",
            "(`case when <condition> then <expression> [else <expression>] end`)",
        )?;
        if !input.is_empty() {
            return Err(input.error("expected nothing after `end`"));
        }
        Ok(Case { whens, otherwise })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_is_rewritten_as_a_macro_call_nested_and_in_groups() {
        let ts: TokenStream =
            "x, (case when a = 1 then case when b = 2 then 3 end else 4 end) from T"
                .parse()
                .unwrap();
        let out = rewrite(ts).unwrap().to_string();
        assert_eq!(
            out,
            "x , (case ! { when a = 1 then case ! { when b = 2 then 3 end } else 4 end }) from T"
        );
        let e: Expr =
            syn::parse_str("case! { when a = 1 then b when c is null then d end }").unwrap();
        let case = parse(&e).unwrap().unwrap();
        assert_eq!(case.whens.len(), 2);
        assert!(case.otherwise.is_none());
        let e: Expr = syn::parse_str("case! { when a = 1 then b else c }").unwrap();
        let err = parse(&e).unwrap().err().unwrap().to_string();
        assert!(err.contains("expected `end`"), "{err}");
        let ts: TokenStream = "x, case when a = 1 then 2 from T".parse().unwrap();
        let err = rewrite(ts).err().unwrap().to_string();
        assert!(err.contains("`case` without `end`"), "{err}");
        let ts: TokenStream =
            "(select max(a) from T), exists (select a from T), x in (select a from T)"
                .parse()
                .unwrap();
        assert_eq!(
            rewrite(ts).unwrap().to_string(),
            "select ! { max (a) from T } , exists (select a from T) , x in (select a from T)"
        );
        let ts: TokenStream = "extract(year from created_at), extract(x)".parse().unwrap();
        assert_eq!(
            rewrite(ts).unwrap().to_string(),
            "extract (year , created_at) , extract (x)"
        );
    }
}
