//! `select!`, `insert!`, `update!` and `delete!`, in three stages:
//!
//! - **ast**: each statement's grammar in its own module (`select`, with `compound` for
//!   unions and `with` for CTEs; `insert`, `update`, `delete`), over a shared grammar of
//!   columns and result items (`ast`), of conditions (`cond`) and of expressions (`expr`;
//!   `func` its function library, `ops` the jsonb and array operators, `window` window
//!   functions, `case` the rewrite step that turns the SQL forms Rust cannot parse into forms
//!   it can);
//! - **check**: `check` walks a parsed statement with the tables it may name (`scope`) and
//!   gathers every mistake its text shows in one collector (`crate::common::Errors`);
//! - **expand**: the SQL assembler (`expand`, `cond_sql` for conditions) writes the
//!   statement's SQL, values and const type checks, and cannot fail: the mistakes it would
//!   meet are the check stage's, reported beside the code it still generates.

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

/// The statement's code, after the mistakes the check stage found (if any): they are
/// reported, and the code is still generated so the compiler reports the type mistakes too.
fn with_errors(errors: crate::common::Errors, code: TokenStream) -> TokenStream {
    let errors = errors.into_compile_errors();
    if errors.is_empty() {
        code
    } else {
        quote::quote!({ #errors #code })
    }
}

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

/// The check stage alone, on the input of a `select!`: the messages of the mistakes it finds
/// (or of the syntax mistake that stops parsing). Tests compare them with the expansion's, to
/// show assembling adds none.
#[cfg(test)]
pub(crate) fn check_select(input: TokenStream) -> Vec<String> {
    match case::rewrite(input).and_then(syn::parse2::<with::Query>) {
        Ok(q) => {
            let mut errors = crate::common::Errors::default();
            q.check(&mut errors);
            errors.messages()
        }
        Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
    }
}

/// How many `case`s were assembled without a type on this thread so far (see
/// `expr::UNTYPED_CASES`).
#[cfg(test)]
pub(crate) fn untyped_cases() -> usize {
    expr::UNTYPED_CASES.with(std::cell::Cell::get)
}
