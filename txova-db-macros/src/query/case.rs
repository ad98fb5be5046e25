//! `case when <condition> then <expression> ... [else <expression>] end`, and the SQL forms
//! Rust cannot parse.
//!
//! Before a statement is parsed each `case when ... end` is rewritten as the macro call
//! `case! { when ... end }`, which Rust reads as one expression whose tokens are kept; [`Case`]
//! parses them where the expression is typed and emitted. `extract(field from x)` is
//! rewritten as `extract(field, x)`, and a scalar subquery `(select ...)` as
//! `select! { ... }`. The jsonb and array operators are rewritten too (see [`super::ops`]).

use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::{Expr, ExprMacro};

use super::cond::Cond;
use super::kw;

fn is_kw(t: &TokenTree, kw: &str) -> bool {
    matches!(t, TokenTree::Ident(i) if i.to_string().eq_ignore_ascii_case(kw))
}

/// `tokens` with every `case when ... end` as `case! { when ... end }`, groups included; a
/// `case when` without its `end` is an error.
pub(crate) fn rewrite(tokens: TokenStream) -> syn::Result<TokenStream> {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if let Some((op, n)) = super::ops::rewrite_at(&tokens, i) {
            out.extend(op);
            i += n;
            continue;
        }
        if is_kw(t, "case") && tokens.get(i + 1).is_some_and(|n| is_kw(n, "when")) {
            // The matching `end`: nested `case when` open, `end` close.
            let mut depth = 0usize;
            let mut end = None;
            for (j, u) in tokens.iter().enumerate().skip(i) {
                if is_kw(u, "case") && tokens.get(j + 1).is_some_and(|n| is_kw(n, "when")) {
                    depth += 1;
                } else if is_kw(u, "end") {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(j);
                        break;
                    }
                }
            }
            if let Some(end) = end {
                let span = t.span();
                out.push(TokenTree::Ident(Ident::new("case", span)));
                let mut bang = Punct::new('!', Spacing::Alone);
                bang.set_span(span);
                out.push(TokenTree::Punct(bang));
                let inner: TokenStream = tokens[i + 1..=end].iter().cloned().collect();
                let mut g = Group::new(Delimiter::Brace, rewrite(inner)?);
                g.set_span(span);
                out.push(TokenTree::Group(g));
                i = end + 1;
                continue;
            }
            return Err(syn::Error::new(
                t.span(),
                "`case` without `end`: write `case when <condition> then <expression> \
                 [else <expression>] end`",
            ));
        }
        // `extract(field from x)` is read as `extract(field, x)`.
        if is_kw(t, "extract")
            && let Some(TokenTree::Group(g)) = tokens.get(i + 1)
            && g.delimiter() == Delimiter::Parenthesis
        {
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            if let [field @ TokenTree::Ident(_), from, rest @ ..] = &inner[..]
                && is_kw(from, "from")
            {
                let mut comma = Punct::new(',', Spacing::Alone);
                comma.set_span(from.span());
                let args: TokenStream = [field.clone(), TokenTree::Punct(comma)]
                    .into_iter()
                    .chain(rest.iter().cloned())
                    .collect();
                let mut g2 = Group::new(Delimiter::Parenthesis, rewrite(args)?);
                g2.set_span(g.span());
                out.push(t.clone());
                out.push(TokenTree::Group(g2));
                i += 2;
                continue;
            }
        }
        // `(select ...)` as a value (not after `exists` or `in`, which read their own) is
        // the scalar subquery `select! { ... }`.
        if let TokenTree::Group(g) = t
            && g.delimiter() == Delimiter::Parenthesis
            && g.stream()
                .into_iter()
                .next()
                .is_some_and(|f| is_kw(&f, "select"))
            && !i
                .checked_sub(1)
                .and_then(|j| tokens.get(j))
                .is_some_and(|prev| is_kw(prev, "exists") || is_kw(prev, "in"))
        {
            let span = g.span();
            let inner: TokenStream = g.stream().into_iter().skip(1).collect();
            out.push(TokenTree::Ident(Ident::new("select", span)));
            let mut bang = Punct::new('!', Spacing::Alone);
            bang.set_span(span);
            out.push(TokenTree::Punct(bang));
            let mut body = Group::new(Delimiter::Brace, rewrite(inner)?);
            body.set_span(span);
            out.push(TokenTree::Group(body));
            i += 1;
            continue;
        }
        match t {
            TokenTree::Group(g) => {
                let mut g2 = Group::new(g.delimiter(), rewrite(g.stream())?);
                g2.set_span(g.span());
                out.push(TokenTree::Group(g2));
            }
            t => out.push(t.clone()),
        }
        i += 1;
    }
    Ok(out.into_iter().collect())
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
