//! `cache_keys!`: functions that build typed cache keys from templates.
//!
//! Split as the other macros are: `parse` reads the declarations keeping their syn nodes for
//! spans, `check` validates every template and collects all mistakes, `expand` generates
//! code and cannot fail.

mod check;
mod expand;
mod parse;

use proc_macro2::TokenStream;

/// Expands the body of a `cache_keys!` invocation.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let decls = match syn::parse2::<parse::Decls>(input) {
        Ok(decls) => decls,
        Err(e) => return e.to_compile_error(),
    };
    let (templates, errors) = check::check(&decls);
    expand::expand(&decls, &templates, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_a_declaration() {
        let out = expand(quote::quote! {
            pub fn user_profile(id: u64) -> User = "user:profile:{id}";
        })
        .to_string();
        assert!(out.contains("fn user_profile"), "{out}");
        assert!(out.contains("\"user:profile:\""), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn reports_every_mistake() {
        let out = expand(quote::quote! {
            fn a(id: u64, unused: u32) -> User = "User:profile:{idd}";
        })
        .to_string();
        assert_eq!(out.matches("compile_error").count(), 4, "{out}");
    }
}
