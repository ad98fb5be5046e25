//! `select!`, `insert!`, `update!` and `delete!`: each statement's grammar and expansion in
//! its own module (`select`, with `compound` for unions and `with` for CTEs; `insert`,
//! `update`, `delete`), over a shared grammar of columns and result items (`ast`), of
//! conditions (`cond`) and of expressions (`expr`; `func` its function library, `ops` the
//! jsonb and array operators, `window` window functions, `case` the rewrite step that turns
//! the SQL forms Rust cannot parse into forms it can), a shared SQL assembler (`expand`,
//! `cond_sql` for conditions) and the grouping and field checks (`check`). Mistakes are
//! gathered in one collector (`crate::common::Errors`) and reported together.

mod ast;
mod case;
mod check;
mod compound;
mod cond;
mod cond_sql;
pub(crate) mod delete;
mod expand;
mod expr;
mod func;
pub(crate) mod insert;
mod kw;
mod ops;
mod scope;
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
