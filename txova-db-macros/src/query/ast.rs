//! The grammar shared by the statements: column references, result items, ordering,
//! assignments (conditions are in `cond`). Each keeps its syn nodes for error spans.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, LitInt, Path, Token, parenthesized};

use super::kw;

/// A column: `status` (of the statement's main table) or `User::status`.
#[derive(Clone)]
pub(crate) enum ColRef {
    Bare(Ident),
    Qualified(Path, Ident),
}

impl ColRef {
    /// The column's handle expression, `Table::column`, spanned on the user's tokens.
    pub(crate) fn handle(&self, main: &Path) -> TokenStream {
        match self {
            // The table's tokens take the column's span, so an error about the handle points
            // at the column the user wrote, not from the `from` clause to it.
            ColRef::Bare(c) => {
                let main = respan(quote!(#main), c.span());
                quote!(#main::#c)
            }
            ColRef::Qualified(t, c) => quote!(#t::#c),
        }
    }

    pub(crate) fn ident(&self) -> &Ident {
        match self {
            ColRef::Bare(c) | ColRef::Qualified(_, c) => c,
        }
    }
}

/// `tokens` with every token's span set to `span`.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut t| {
            if let proc_macro2::TokenTree::Group(g) = &t {
                let mut g2 = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                g2.set_span(span);
                t = proc_macro2::TokenTree::Group(g2);
            } else {
                t.set_span(span);
            }
            t
        })
        .collect()
}

/// Whether `ident` names a type (`User`, upper case) rather than a column, a module or a
/// function (`status`, `sql`, `lower`).
pub(crate) fn is_type_name(ident: &Ident) -> bool {
    ident
        .to_string()
        .trim_start_matches("r#")
        .starts_with(char::is_uppercase)
}

/// Whether the path's last segment names a type (`User`) rather than a column (`status`).
fn names_type(path: &Path) -> bool {
    path.segments.last().is_some_and(|s| is_type_name(&s.ident))
}

impl Parse for ColRef {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path = Path::parse_mod_style(input).map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a column, such as `status` or `User::status`",
            )
        })?;
        to_colref(path)
    }
}

fn to_colref(mut path: Path) -> syn::Result<ColRef> {
    if names_type(&path) {
        return Err(syn::Error::new_spanned(
            &path,
            "expected a column, such as `status` or `User::status`, found a table",
        ));
    }
    let Some(last) = path.segments.pop() else {
        return Err(syn::Error::new(Span::call_site(), "expected a column"));
    };
    let col = last.into_value().ident;
    if path.segments.is_empty() {
        Ok(ColRef::Bare(col))
    } else {
        path.segments.pop_punct();
        Ok(ColRef::Qualified(path, col))
    }
}

/// An aggregate function.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Agg {
    Count,
    /// `count(distinct col)`.
    CountDistinct,
    Sum,
    Avg,
    Min,
    Max,
}

impl Agg {
    /// The names of the aggregates parsed on their own (`count(*)`, `sum(col)`).
    pub(crate) const NAMES: [&str; 5] = ["count", "sum", "avg", "min", "max"];

    /// The aggregate named `name` (in any case), if it is one of [`Agg::NAMES`].
    pub(crate) fn from_name(name: &str) -> Option<Agg> {
        Some(match name.to_ascii_lowercase().as_str() {
            "count" => Agg::Count,
            "sum" => Agg::Sum,
            "avg" => Agg::Avg,
            "min" => Agg::Min,
            "max" => Agg::Max,
            _ => return None,
        })
    }

    /// The marker type that names the aggregate in messages.
    pub(crate) fn marker(self) -> Ident {
        let name = match self {
            Agg::Count | Agg::CountDistinct => "count",
            Agg::Sum => "sum",
            Agg::Avg => "avg",
            Agg::Min => "min",
            Agg::Max => "max",
        };
        Ident::new(name, Span::call_site())
    }
}

/// One thing a query returns.
#[derive(Clone)]
pub(crate) enum Item {
    /// A whole table, read into its struct.
    Table(Path),
    /// One column.
    Column(ColRef),
    /// An aggregate over a column, or `count(*)`.
    Agg(Agg, Ident, Option<ColRef>),
    /// An expression: a function of the grammar, or arithmetic in parentheses.
    Expr(Expr),
}

/// Whether the input starts an expression: a function of the grammar, `case`, parentheses,
/// or a column followed by an operator (`age + 1`, `name || "!"`).
pub(crate) fn peek_expr(input: ParseStream<'_>) -> bool {
    if input.peek(syn::token::Paren) {
        return true;
    }
    let function = input.cursor().ident().is_some_and(|(i, rest)| {
        let name = i.to_string().to_ascii_lowercase();
        ((super::func::FUNCTIONS.contains(&name.as_str())
            || super::func::is_user_function_name(&i))
            && rest.group(proc_macro2::Delimiter::Parenthesis).is_some())
            || super::ops::FUNCTIONS.contains(&name.as_str())
                && rest.group(proc_macro2::Delimiter::Parenthesis).is_some()
            || ((name == "case" || name == "select" || name == "over")
                && rest.punct().is_some_and(|(p, _)| p.as_char() == '!'))
    });
    function
        || peek_agg_over_expr(input)
        || {
            // A path to a function declared with `sql_function!` (`sql::similarity(a, b)`).
            let fork = input.fork();
            Path::parse_mod_style(&fork).is_ok_and(|path| {
                path.segments.len() > 1
                    && fork.peek(syn::token::Paren)
                    && path.segments.iter().all(|s| !is_type_name(&s.ident))
                    && path
                        .segments
                        .last()
                        .is_some_and(|s| super::func::is_user_function_name(&s.ident))
            })
        }
        || {
            let fork = input.fork();
            Path::parse_mod_style(&fork).is_ok()
                && (["+", "-", "*", "/", "||"]
                    .iter()
                    .any(|op| peek_op(&fork, op))
                    || super::ops::peek(&fork))
        }
}

/// Whether the input is `count`, `sum`, `avg`, `min` or `max` over an expression
/// (`sum(price * quantity)`), rather than over `*`, a lone column or `distinct column`, which
/// [`parse_aggregate`] reads.
pub(crate) fn peek_agg_over_expr(input: ParseStream<'_>) -> bool {
    let Some((ident, rest)) = input.cursor().ident() else {
        return false;
    };
    if Agg::from_name(&ident.to_string()).is_none() {
        return false;
    }
    let Some((inner, _, _)) = rest.group(proc_macro2::Delimiter::Parenthesis) else {
        return false;
    };
    let plain = |input: ParseStream<'_>| -> syn::Result<()> {
        if input.peek(Token![*]) {
            input.parse::<Token![*]>()?;
        } else if kw::eat(input, "distinct")?.is_some() {
            // `count(distinct ...)` takes a column: its errors are `parse_aggregate`'s.
            input.parse::<TokenStream>()?;
            return Ok(());
        } else {
            Path::parse_mod_style(input)?;
        }
        if input.is_empty() {
            Ok(())
        } else {
            Err(input.error("not a lone column"))
        }
    };
    // Something that is neither: `parse_aggregate` says what it expected.
    syn::parse::Parser::parse2(plain, inner.token_stream()).is_err()
        && syn::parse2::<Expr>(inner.token_stream()).is_ok()
}

/// Whether the next tokens are the operator `op` (and not the start of a longer one).
fn peek_op(input: ParseStream<'_>, op: &str) -> bool {
    let mut cursor = input.cursor();
    let mut chars = op.chars().peekable();
    while let Some(c) = chars.next() {
        let Some((p, rest)) = cursor.punct() else {
            return false;
        };
        if p.as_char() != c {
            return false;
        }
        let last = chars.peek().is_none();
        if last {
            // `->`, `-=`, `/=`, `*=`, `+=` are not these operators.
            return !(p.spacing() == proc_macro2::Spacing::Joint
                && rest
                    .punct()
                    .is_some_and(|(n, _)| matches!(n.as_char(), '=' | '>')));
        }
        cursor = rest;
    }
    true
}

/// Whether a result item or a key starts with a column compared with something: a boolean
/// expression (`age > 35`).
fn peek_comparison(input: ParseStream<'_>) -> bool {
    let fork = input.fork();
    Path::parse_mod_style(&fork).is_ok()
        && !fork.peek(Token![==])
        && (fork.peek(Token![<])
            || fork.peek(Token![>])
            || fork.peek(Token![!=])
            || fork.peek(Token![=]))
}

impl Parse for Item {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if peek_expr(input) || peek_comparison(input) {
            return Expr::parse_without_eager_brace(input).map(Item::Expr);
        }
        let path = Path::parse_mod_style(input).map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a column (`status`, `User::status`), a table (`User`) or an aggregate (`count(*)`)",
            )
        })?;
        if path.segments.len() == 1 && input.peek(syn::token::Paren) {
            let ident = path.segments[0].ident.clone();
            let (agg, arg) = parse_aggregate(&ident, input)?;
            return Ok(Item::Agg(agg, ident, arg));
        }
        if names_type(&path) {
            Ok(Item::Table(path))
        } else {
            to_colref(path).map(Item::Column)
        }
    }
}

/// Parses the `(*)` or `(column)` of the aggregate `ident`.
pub(crate) fn parse_aggregate(
    ident: &Ident,
    input: ParseStream<'_>,
) -> syn::Result<(Agg, Option<ColRef>)> {
    let Some(mut agg) = Agg::from_name(&ident.to_string()) else {
        let list = |names: &mut dyn Iterator<Item = &&str>| {
            let names: Vec<String> = names.map(|n| format!("`{n}`")).collect();
            match names.split_last() {
                Some((last, init)) if !init.is_empty() => format!("{} and {last}", init.join(", ")),
                _ => names.join(""),
            }
        };
        let aggregates = list(&mut Agg::NAMES.iter().chain(&super::func::AGGREGATES));
        let others = list(
            &mut super::func::FUNCTIONS
                .iter()
                .filter(|f| !super::func::AGGREGATES.contains(f))
                .chain(&super::ops::FUNCTIONS),
        );
        return Err(syn::Error::new_spanned(
            ident,
            format!(
                "unknown function `{ident}`; the aggregates are {aggregates}, the other \
                 functions {others}"
            ),
        ));
    };
    let content;
    parenthesized!(content in input);
    let arg = if content.peek(Token![*]) {
        let star: Token![*] = content.parse()?;
        if agg != Agg::Count {
            return Err(syn::Error::new_spanned(
                star,
                format!("`{ident}(*)` is not SQL; name a column: `{ident}(column)`"),
            ));
        }
        None
    } else {
        if agg == Agg::Count && kw::eat(&content, "distinct")?.is_some() {
            agg = Agg::CountDistinct;
        }
        Some(content.parse::<ColRef>()?)
    };
    if !content.is_empty() {
        return Err(content.error(format!(
            "expected `)`: `{ident}` takes one column or expression"
        )));
    }
    Ok((agg, arg))
}

/// A result item and the name it is given with `as`.
#[derive(Clone)]
pub(crate) struct Selected {
    pub(crate) item: Item,
    pub(crate) alias: Option<Ident>,
}

impl Selected {
    /// The name a struct field must have to receive the item: its alias, else its column.
    pub(crate) fn field(&self) -> Option<&Ident> {
        match (&self.alias, &self.item) {
            (Some(a), _) => Some(a),
            (None, Item::Column(c)) => Some(c.ident()),
            _ => None,
        }
    }
}

impl Parse for Selected {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let item = input.parse()?;
        // Rust reads `lower(name) as n` as a cast: its type is the alias.
        if let Item::Expr(e) = &item
            && let Some((e, alias)) = super::expr::split_as(e)
        {
            return Ok(Selected {
                item: Item::Expr(e),
                alias: Some(alias),
            });
        }
        let alias = if input.peek(Token![as]) {
            input.parse::<Token![as]>()?;
            Some(input.call(<Ident as syn::ext::IdentExt>::parse_any)?)
        } else {
            None
        };
        Ok(Selected { item, alias })
    }
}

/// Parses `item [as name], ...` up to a key word or the end.
pub(crate) fn parse_items(input: ParseStream<'_>) -> syn::Result<Vec<Selected>> {
    let mut items = vec![input.parse::<Selected>()?];
    while input.peek(Token![,]) {
        input.parse::<Token![,]>()?;
        items.push(input.parse()?);
    }
    Ok(items)
}

/// A value: a Rust expression.
pub(crate) fn value(input: ParseStream<'_>) -> syn::Result<Expr> {
    if input.is_empty() {
        return Err(input.error("expected a value (a Rust expression) here"));
    }
    Expr::parse_without_eager_brace(input)
}

/// One `order by` key.
pub(crate) struct OrderKey {
    /// A column, or an aggregate (`count(*)`) when the query groups.
    pub(crate) key: Item,
    pub(crate) desc: bool,
    pub(crate) nulls: Option<bool>,
}

/// Parses `col [asc|desc] [nulls first|last], ...`.
pub(crate) fn parse_order(input: ParseStream<'_>) -> syn::Result<Vec<OrderKey>> {
    let mut keys = Vec::new();
    loop {
        let key = match input.parse::<Item>()? {
            Item::Table(t) => {
                return Err(syn::Error::new_spanned(
                    t,
                    "expected a column or an aggregate to order by, found a table",
                ));
            }
            key => key,
        };
        let desc = if kw::eat(input, "desc")?.is_some() {
            true
        } else {
            kw::eat(input, "asc")?;
            false
        };
        let nulls = if kw::eat(input, "nulls")?.is_some() {
            if kw::eat(input, "first")?.is_some() {
                Some(true)
            } else {
                kw::expect(input, "last", "or `first` after `nulls`")?;
                Some(false)
            }
        } else {
            None
        };
        keys.push(OrderKey { key, desc, nulls });
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        } else {
            return Ok(keys);
        }
    }
}

/// A `limit` or `offset`: a literal written into the SQL, or a value bound as `i64`.
pub(crate) enum Bound {
    Lit(LitInt),
    Value(Expr),
}

impl Parse for Bound {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(LitInt) {
            let lit: LitInt = input.parse()?;
            lit.base10_parse::<u64>()?;
            Ok(Bound::Lit(lit))
        } else {
            value(input).map(Bound::Value)
        }
    }
}

/// `col = value` in `set` or `do update set`; the value may use `excluded.col`.
pub(crate) struct Assign {
    pub(crate) col: ColRef,
    pub(crate) value: Expr,
}

/// Parses `col = value, ...`.
pub(crate) fn parse_assigns(input: ParseStream<'_>) -> syn::Result<Vec<Assign>> {
    let mut out = Vec::new();
    loop {
        let col: ColRef = input.parse()?;
        if !input.peek(Token![=]) {
            return Err(input.error("expected `=` and the column's new value"));
        }
        input.parse::<Token![=]>()?;
        // `excluded.col`, alone or inside an expression, is read by the expression grammar.
        let value = value(input)?;
        out.push(Assign { col, value });
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        } else {
            return Ok(out);
        }
    }
}

/// What `returning` asks for.
pub(crate) enum Returning {
    /// No `returning`: the statement returns no rows.
    Nothing,
    /// `returning *`: the whole row.
    Star,
    /// `returning items`.
    Items(Vec<Selected>),
}

impl Parse for Returning {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if kw::eat(input, "returning")?.is_none() {
            return Ok(Returning::Nothing);
        }
        if input.peek(Token![*]) {
            input.parse::<Token![*]>()?;
            return Ok(Returning::Star);
        }
        parse_items(input).map(Returning::Items)
    }
}

/// Fails unless the input is used up, naming what could have come next.
pub(crate) fn expect_end(input: ParseStream<'_>, what: &str) -> syn::Result<()> {
    if input.is_empty() {
        Ok(())
    } else {
        Err(input.error(format!("expected {what}")))
    }
}
