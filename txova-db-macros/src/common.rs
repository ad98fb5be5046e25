//! Pieces shared by the macros: an error collector and SQL identifier quoting.

use std::fmt::Display;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// Collects every mistake found in one macro call, so they are all reported in one compile
/// (the way serde's `Ctxt` does).
#[derive(Default)]
pub(crate) struct Errors {
    errors: Option<syn::Error>,
}

impl Errors {
    /// Records a mistake on the span of `tokens`.
    pub(crate) fn spanned(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records a mistake.
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.errors {
            Some(e) => e.combine(error),
            None => self.errors = Some(error),
        }
    }

    /// The messages of the collected mistakes, in order.
    #[cfg(test)]
    pub(crate) fn messages(self) -> Vec<String> {
        self.errors
            .into_iter()
            .flat_map(|e| e.into_iter().map(|e| e.to_string()).collect::<Vec<_>>())
            .collect()
    }

    /// The collected mistakes as `compile_error!` invocations.
    pub(crate) fn into_compile_errors(self) -> TokenStream {
        self.errors
            .map(|e| e.to_compile_error())
            .unwrap_or_default()
    }
}

/// `name` as written in SQL: as is when PostgreSQL reads it back unchanged, else in double
/// quotes (reserved words, capitals, other characters); the run-time builder quotes with the
/// same rule.
pub(crate) fn sql_ident(name: &str) -> String {
    txova_db_core::ident::quote(name).into_owned()
}

pub(crate) use txova_db_core::ident::snake_case;
