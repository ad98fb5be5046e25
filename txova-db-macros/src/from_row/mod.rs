//! `#[derive(FromRow)]`: a struct that a query's selected columns are read into, by position.
//!
//! The struct declares the columns it maps from by its fields' types, in order; `select!`
//! checks them against the selected columns at compile time.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields};

/// Expands `#[derive(FromRow)]` on `input`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    let Data::Struct(data) = &input.data else {
        return syn::Error::new_spanned(
            &input.ident,
            "`#[derive(FromRow)]` works on a struct with one field per selected column",
        )
        .to_compile_error();
    };
    if !input.generics.params.is_empty() {
        return syn::Error::new_spanned(&input.generics, "a `FromRow` struct cannot be generic")
            .to_compile_error();
    }
    let ident = &input.ident;
    let p = quote!(::txova_db::__private);
    let types: Vec<_> = data.fields.iter().map(|f| &f.ty).collect();
    let width = types.len();
    let reads = data.fields.iter().enumerate().map(|(i, f)| {
        let ty = &f.ty;
        let read = quote!((&#p::Field::<#ty>::new()).read(row, start + #i)?);
        match &f.ident {
            Some(name) => quote!(#name: #read),
            None => read,
        }
    });
    let build = match &data.fields {
        Fields::Named(_) => quote!(#ident { #(#reads),* }),
        Fields::Unnamed(_) => quote!(#ident ( #(#reads),* )),
        Fields::Unit => quote!(#ident),
    };
    let checks = types.iter().map(
        |ty| quote::quote_spanned!(syn::spanned::Spanned::span(ty)=> #p::column_type::<#ty>();),
    );
    quote! {
        const _: () = {
            #(#checks)*
        };

        #[automatically_derived]
        impl #p::FromRow for #ident {
            const WIDTH: usize = #width;

            #[inline]
            fn from_row_at(row: &#p::PgRow, start: usize) -> #p::Result<Self> {
                use #p::{FieldFallback as _, FieldOk as _};
                #p::Ok(#build)
            }
        }

        #[automatically_derived]
        impl #p::FromColumns<(#(#types,)*)> for #ident {}
    }
}
