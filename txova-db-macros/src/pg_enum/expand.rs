//! Code generation for `#[derive(PgEnum)]`: `ToSql` and `FromSql` by label.

use proc_macro2::TokenStream;
use quote::quote;

use super::ast::PgEnum;

pub(crate) fn expand(e: &PgEnum<'_>) -> TokenStream {
    let ident = e.ident;
    let name = &e.name;
    let p = quote!(::txova_db::__private);
    // Variants with data are already reported; matching them with `{ .. }` keeps that the
    // only error.
    let to = e
        .variants
        .iter()
        .map(|(v, l, _)| quote!(#ident::#v { .. } => #l,));
    let from = e
        .variants
        .iter()
        .filter(|(_, _, unit)| *unit)
        .map(|(v, l, _)| quote!(#l => #p::Ok(#ident::#v),));
    quote! {
        #[automatically_derived]
        impl #p::ToSql for #ident {
            fn to_sql(
                &self,
                _: &#p::PgType,
                out: &mut #p::BytesMut,
            ) -> #p::SqlResult<#p::IsNull> {
                let label = match self {
                    #(#to)*
                };
                out.extend_from_slice(label.as_bytes());
                #p::Ok(#p::IsNull::No)
            }

            fn accepts(ty: &#p::PgType) -> bool {
                #p::is_enum(ty, #name)
            }

            #p::to_sql_checked!();
        }

        #[automatically_derived]
        impl<'a> #p::FromSql<'a> for #ident {
            fn from_sql(_: &#p::PgType, raw: &'a [u8]) -> #p::SqlResult<Self> {
                match #p::label(raw)? {
                    #(#from)*
                    other => #p::unknown_label(#name, other),
                }
            }

            fn accepts(ty: &#p::PgType) -> bool {
                #p::is_enum(ty, #name)
            }
        }
    }
}
