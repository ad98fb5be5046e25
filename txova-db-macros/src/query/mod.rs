//! `select!`, `insert!`, `update!` and `delete!`: each statement's grammar and expansion in
//! its own module, over a shared grammar of columns and result items (`ast`), of conditions
//! (`cond`) and of expressions (`expr`, `case`), and a shared SQL assembler (`expand`).
//! `select!` over several branches is in `compound`, with CTEs in `with`.

mod ast;
mod case;
mod check;
mod compound;
mod cond;
pub(crate) mod delete;
mod expand;
mod expr;
pub(crate) mod insert;
mod kw;
mod ops;
pub(crate) mod select;
pub(crate) mod update;
mod window;
mod with;

use proc_macro2::TokenStream;

/// Parses `input` as `T` and expands it, or reports the parse error.
fn run<T: syn::parse::Parse>(
    input: TokenStream,
    expand: impl FnOnce(T) -> TokenStream,
) -> TokenStream {
    match case::rewrite(input).and_then(syn::parse2::<T>) {
        Ok(ast) => expand(ast),
        Err(e) => e.to_compile_error(),
    }
}
