//! `#[txova_db::test]`: an async test that gets a pool on a fresh database.
//!
//! ```ignore
//! #[txova_db::test]
//! async fn creates_a_user(pool: Pool) -> Result<(), txova_db::Error> { ... }
//! ```
//! expands to a plain `#[test]` function that builds a runtime, creates a database, applies
//! the migrations, calls the body with a pool on it, and drops the database afterwards.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Error, ItemFn, LitBool, LitStr, Token};

/// What the attribute's arguments say about migrations.
enum Migrations {
    /// `migrations` beside the test crate's `Cargo.toml`, when that folder exists.
    Default,
    /// `migrations = "path"`, relative to the test crate's `Cargo.toml`.
    Path(LitStr),
    /// `migrations = false`.
    Off,
}

struct Args {
    migrations: Migrations,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut migrations = Migrations::Default;
        while !input.is_empty() {
            let key: syn::Ident = input.parse()?;
            if key != "migrations" {
                return Err(Error::new(
                    key.span(),
                    format!(
                        "unknown argument `{key}`; the one argument is `migrations = \"path\"` or `migrations = false`"
                    ),
                ));
            }
            input.parse::<Token![=]>()?;
            if input.peek(LitStr) {
                migrations = Migrations::Path(input.parse()?);
            } else if input.peek(LitBool) {
                let b: LitBool = input.parse()?;
                if b.value {
                    return Err(Error::new(
                        b.span(),
                        "write `migrations = \"path\"` to choose a folder, or `migrations = false` to apply none",
                    ));
                }
                migrations = Migrations::Off;
            } else {
                return Err(input.error("expected `\"path\"` or `false` after `migrations =`"));
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(Args { migrations })
    }
}

/// Expands `#[txova_db::test(args)] item`.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(args, item) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    }
}

fn try_expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let args: Args = syn::parse2(args)?;
    let func: ItemFn = syn::parse2(item)?;
    if func.sig.asyncness.is_none() {
        return Err(Error::new(
            func.sig.fn_token.span(),
            "#[txova_db::test] goes on an `async fn`",
        ));
    }
    let takes_pool = match func.sig.inputs.len() {
        0 => false,
        1 => true,
        _ => {
            return Err(Error::new(
                func.sig.inputs.span(),
                "a #[txova_db::test] function takes one argument, the `Pool`, or none",
            ));
        }
    };
    let name = &func.sig.ident;
    let attrs = &func.attrs;
    let vis = &func.vis;
    let output = &func.sig.output;
    let mut inner = func.clone();
    inner.attrs.clear();
    inner.vis = syn::Visibility::Inherited;
    let inner_name = syn::Ident::new("__txova_db_test_body", Span::call_site());
    inner.sig.ident = inner_name.clone();
    let migrations = match &args.migrations {
        Migrations::Default => quote! {
            ::txova_db::testing::Migrations::Default(::core::env!("CARGO_MANIFEST_DIR"))
        },
        Migrations::Path(p) => quote_spanned! {p.span()=>
            ::txova_db::testing::Migrations::Path(::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), "/", #p))
        },
        Migrations::Off => quote! { ::txova_db::testing::Migrations::None },
    };
    let call = if takes_pool {
        quote! { #inner_name }
    } else {
        quote! { |_pool: ::txova_db::postgres::Pool| #inner_name() }
    };
    Ok(quote! {
        #[::core::prelude::v1::test]
        #(#attrs)*
        #vis fn #name() #output {
            #inner
            ::txova_db::testing::run(
                ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
                #migrations,
                #call,
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_sync_functions() {
        let out = expand(
            quote!(),
            quote!(
                fn t(pool: Pool) {}
            ),
        );
        assert!(out.to_string().contains("goes on an `async fn`"));
    }

    #[test]
    fn rejects_unknown_arguments() {
        let out = expand(
            quote!(schema = "x"),
            quote!(
                async fn t(pool: Pool) {}
            ),
        );
        assert!(out.to_string().contains("unknown argument `schema`"));
    }

    #[test]
    fn expands_to_a_plain_test() {
        let out = expand(
            quote!(migrations = false),
            quote!(
                async fn t(pool: Pool) {}
            ),
        )
        .to_string();
        assert!(out.contains("test"));
        assert!(out.contains("Migrations :: None"));
    }
}
