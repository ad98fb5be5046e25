//! SQL key words inside the macros: matched case-insensitively, and allowed to be Rust key
//! words (`where`, `in`, `do`).

use proc_macro2::Ident;
use syn::ext::IdentExt as _;
use syn::parse::ParseStream;

/// Whether the next token is the key word `kw`.
pub(crate) fn peek(input: ParseStream<'_>, kw: &str) -> bool {
    input
        .cursor()
        .ident()
        .is_some_and(|(i, _)| i.to_string().eq_ignore_ascii_case(kw))
}

/// Whether the token after the next is the key word `kw`.
pub(crate) fn peek2(input: ParseStream<'_>, kw: &str) -> bool {
    input
        .cursor()
        .token_tree()
        .and_then(|(_, rest)| rest.ident())
        .is_some_and(|(i, _)| i.to_string().eq_ignore_ascii_case(kw))
}

/// Consumes the key word `kw` if it is next.
pub(crate) fn eat(input: ParseStream<'_>, kw: &str) -> syn::Result<Option<Ident>> {
    if peek(input, kw) {
        Ident::parse_any(input).map(Some)
    } else {
        Ok(None)
    }
}

/// Consumes the key word `kw`, or fails saying it was expected.
pub(crate) fn expect(input: ParseStream<'_>, kw: &str, context: &str) -> syn::Result<Ident> {
    match eat(input, kw)? {
        Some(i) => Ok(i),
        None => Err(input.error(format!("expected `{kw}` {context}"))),
    }
}
