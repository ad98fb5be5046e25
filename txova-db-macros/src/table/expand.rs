//! Code generation for `#[derive(Table)]`; it cannot fail.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{Ident, Visibility};

use super::ast::Table;
use crate::common::sql_ident;

#[allow(
    clippy::too_many_lines,
    reason = "one template of everything the derive writes reads best in one place"
)]
pub(crate) fn expand(table: &Table<'_>) -> TokenStream {
    let ident = table.ident;
    let vis = table.vis;
    let wrapper = format_ident!("__txova_table_{}", ident);
    let table_mod = module_ident(&table.name);
    let handle_vis = inner_vis(vis);
    let sql_name = match &table.schema {
        Some(schema) => format!("{}.{}", sql_ident(schema), sql_ident(&table.name)),
        None => sql_ident(&table.name),
    };
    let name = &table.name;
    let schema = if let Some(s) = &table.schema {
        quote!(::core::option::Option::Some(#s))
    } else {
        quote!(::core::option::Option::None)
    };
    let width = table.fields.len();
    let p = quote!(::txova_db::__private);

    let mut handles = Vec::new();
    let mut consts = Vec::new();
    let mut column_impls = Vec::new();
    let mut sql_names = Vec::new();
    let mut infos = Vec::new();
    let mut reads = Vec::new();
    let mut insert_names = Vec::new();
    let mut insert_params = Vec::new();
    let mut type_checks = Vec::new();

    for (index, field) in table.fields.iter().enumerate() {
        let f = field.ident;
        let ty = field.ty;
        let value_ty = field.value_ty();
        let col_name = field.name();
        let col_sql = sql_ident(&col_name);
        let nullable = field.inner.is_some();
        let pk = field.attrs.primary_key;
        let default = field.attrs.default;
        let rust_type = quote!(#ty).to_string().replace(' ', "");
        let doc = format!("The `{col_name}` column of `{name}`.");
        handles.push(quote! {
            #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug)]
            #[allow(non_camel_case_types)]
            #handle_vis struct #f;
        });
        consts.push(quote! {
            #[doc = #doc]
            #vis const #f: #wrapper::#table_mod::#f = #wrapper::#table_mod::#f;
        });
        column_impls.push(quote! {
            #[automatically_derived]
            impl #p::Column for #wrapper::#table_mod::#f {
                type Table = #ident;
                type Type = #ty;
                type Value = #value_ty;
                const SQL_NAME: &'static str = #col_sql;
                const NAME: &'static str = #col_name;
                const INDEX: usize = #index;
                const NULLABLE: bool = #nullable;
            }
        });
        infos.push(quote! {
            #p::ColumnInfo::new(#col_name, #rust_type, #nullable, #pk, #default, |ty| {
                use #p::{FieldFallback as _, FieldOk as _};
                (&#p::Field::<#ty>::new()).accepts(ty)
            })
        });
        reads.push(quote! {
            #f: (&#p::Field::<#ty>::new()).read(row, start + #index)?
        });
        if !default {
            let i = insert_params.len();
            insert_names.push(col_sql.clone());
            insert_params.push(quote!(#i => (&#p::FieldRef(&self.#f)).param(),));
        }
        if super::check::unsupported(ty).is_none() {
            type_checks.push(quote_spanned!(ty.span()=> #p::column_type::<#ty>();));
        }
        sql_names.push(col_sql);
    }
    let insert_width = insert_names.len();
    let cache = cache_entity(table);

    quote! {
        #[doc(hidden)]
        #[allow(non_snake_case)]
        #vis mod #wrapper {
            #[allow(non_snake_case, non_camel_case_types)]
            pub mod #table_mod {
                #(#handles)*
            }
        }

        #[automatically_derived]
        #[allow(non_upper_case_globals)]
        impl #ident {
            #(#consts)*
        }

        #(#column_impls)*

        // Each field's type is checked here, once; the code below compiles either way.
        const _: () = {
            #(#type_checks)*
        };

        #[automatically_derived]
        impl #p::Table for #ident {
            const SQL_NAME: &'static str = #sql_name;
            const COLUMNS: &'static [&'static str] = &[#(#sql_names),*];
            const NAME: &'static str = #name;
            const SCHEMA: ::core::option::Option<&'static str> = #schema;
            const COLUMN_INFO: &'static [#p::ColumnInfo] = &[#(#infos),*];
        }

        #[automatically_derived]
        impl #p::FromRow for #ident {
            const WIDTH: usize = #width;

            #[inline]
            fn from_row_at(row: &#p::PgRow, start: usize) -> #p::Result<Self> {
                use #p::{FieldFallback as _, FieldOk as _};
                #p::Ok(#ident { #(#reads),* })
            }
        }

        #[automatically_derived]
        impl #p::Insert for #ident {
            const INSERT_COLUMNS: &'static [&'static str] = &[#(#insert_names),*];
            const INSERT_WIDTH: usize = #insert_width;

            #[inline]
            fn insert_param(&self, index: usize) -> #p::Param<'_> {
                use #p::{FieldParamFallback as _, FieldParamOk as _};
                match index {
                    #(#insert_params)*
                    _ => #p::NULL_PARAM,
                }
            }
        }

        #cache
    }
}

/// `CacheEntity` for `#[table(cache)]`, once its checks pass: keyed by the primary key.
fn cache_entity(table: &Table<'_>) -> TokenStream {
    let (Some(prefix), Some(key)) = (table.cache_prefix(), table.single_primary_key()) else {
        return TokenStream::new();
    };
    if super::check::invalid_prefix(&prefix).is_some() {
        return TokenStream::new();
    }
    let ident = table.ident;
    let ty = key.ty;
    // On the key's type: the place to look when it does not implement `Display`.
    let key_ty = quote_spanned!(ty.span()=> type Key = #ty;);
    quote! {
        #[automatically_derived]
        impl ::txova_db::redis::CacheEntity for #ident {
            #key_ty
            const CACHE_PREFIX: &'static str = #prefix;
        }
    }
}

/// The module that holds the handles, named after the table so errors read `users::status`.
fn module_ident(table: &str) -> Ident {
    let mut s: String = table
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    if matches!(s.as_str(), "self" | "super" | "crate" | "Self" | "_") {
        s.push('_');
    }
    match syn::parse_str::<Ident>(&s) {
        Ok(i) => Ident::new(&s, i.span()),
        Err(_) => Ident::new_raw(&s, Span::call_site()),
    }
}

/// The struct's visibility, as seen from two modules down (where the handles live).
fn inner_vis(vis: &Visibility) -> TokenStream {
    match vis {
        Visibility::Public(_) => quote!(pub),
        Visibility::Inherited => quote!(pub(in super::super)),
        Visibility::Restricted(r) => {
            let path = &r.path;
            let first = path.segments.first().map(|s| s.ident.to_string());
            match first.as_deref() {
                Some("crate") => quote!(pub(in #path)),
                Some("self") => {
                    let rest = path.segments.iter().skip(1);
                    quote!(pub(in super::super #(::#rest)*))
                }
                _ => quote!(pub(in super::super::#path)),
            }
        }
    }
}
