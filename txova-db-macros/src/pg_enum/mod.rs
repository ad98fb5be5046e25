//! `#[derive(PgEnum)]`: a Rust enum of unit variants stored in a PostgreSQL enum type.

mod ast;
mod expand;

use proc_macro2::TokenStream;

use crate::common::Errors;

/// Expands `#[derive(PgEnum)]` on `input`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = Errors::default();
    let mut out = match ast::PgEnum::from_input(&input, &mut errors) {
        Some(e) => expand::expand(&e),
        None => TokenStream::new(),
    };
    out.extend(errors.into_compile_errors());
    out
}
