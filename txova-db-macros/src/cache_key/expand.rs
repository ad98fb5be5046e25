//! Code generation for `cache_keys!`; it cannot fail.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::check::Piece;
use super::parse::Decls;

/// Emits one function per declaration. When there are errors they are emitted too, and the
/// functions keep their signatures (with a body that is never run) so that callers do not
/// get a second error for a missing function.
pub(crate) fn expand(
    decls: &Decls,
    templates: &[Vec<Piece>],
    errors: Vec<syn::Error>,
) -> TokenStream {
    let failed = !errors.is_empty();
    let errors = errors.into_iter().map(|e| e.to_compile_error());
    let fns = decls.decls.iter().zip(templates).map(|(decl, pieces)| {
        let attrs = &decl.attrs;
        let vis = &decl.vis;
        let name = &decl.name;
        let value = &decl.value;
        let names: Vec<_> = decl.params.iter().map(|p| &p.name).collect();
        let types: Vec<_> = decl.params.iter().map(|p| &p.ty).collect();
        let template = decl.template.value();
        let default_doc = if attrs.iter().any(|a| a.path().is_ident("doc")) {
            quote! {}
        } else {
            let doc = format!("The cache key `{template}`.");
            quote! { #[doc = #doc] }
        };
        let body = if failed {
            quote! { ::core::unreachable!("this cache key template does not compile") }
        } else {
            let capacity = template.len() + 16 * names.len();
            let steps = pieces.iter().map(|piece| match piece {
                Piece::Literal(text) => quote! { __txova_key.literal(#text); },
                Piece::Param(i) => {
                    let p = &decl.params[*i];
                    let name = &p.name;
                    let label = name.to_string();
                    quote_spanned! {p.ty.span()=> __txova_key.param(#label, &#name); }
                }
            });
            let shape: String = pieces
                .iter()
                .map(|piece| match piece {
                    Piece::Literal(text) => text.as_str(),
                    Piece::Param(_) => "{}",
                })
                .collect();
            quote! {
                let mut __txova_key = ::txova_db::redis::__private::KeyBuilder::new(#capacity);
                __txova_key.template(#shape);
                #(#steps)*
                __txova_key.finish()
            }
        };
        let fallback = if failed {
            quote! { #[allow(unused_variables)] }
        } else {
            quote! {}
        };
        quote! {
            #(#attrs)*
            #default_doc
            #fallback
            #[must_use]
            #[allow(clippy::needless_pass_by_value, reason = "key parameters are taken as declared")]
            #vis fn #name(#(#names: #types),*) -> ::txova_db::redis::CacheKey<#value> {
                #body
            }
        }
    });
    quote! {
        #(#errors)*
        #(#fns)*
    }
}
