//! `#[derive(Table)]`: parse the struct, check it, generate the handles and impls.

mod ast;
mod attr;
mod check;
mod expand;

use proc_macro2::TokenStream;

use crate::common::Errors;

/// Expands `#[derive(Table)]` on `input`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = Errors::default();
    let Some(table) = ast::Table::from_input(&input, &mut errors) else {
        return errors.into_compile_errors();
    };
    check::check(&table, &mut errors);
    let mut out = expand::expand(&table);
    out.extend(errors.into_compile_errors());
    out
}
