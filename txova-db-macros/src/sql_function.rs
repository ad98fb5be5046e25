//! `sql_function! { fn name(arg: Type, ...) -> Type; ... }`: declares SQL functions the query
//! macros may call. Each becomes a unit struct named like the function, implementing
//! `__private::SqlFunction` (its quoted SQL name and result type) and `__private::FnArgAt<i>`
//! (each argument's type), with a hidden `__call` method whose bounds type a call. A query
//! macro turns `name(a, b)` into `name(a, b)` in SQL and a call of `name.__call(...)` on the
//! arguments' witnesses, so rustc resolves the name where the user wrote it.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned as _;
use syn::{Attribute, FnArg, Pat, ReturnType, Signature, Token, Type, Visibility};

/// One declaration: `#[doc] pub fn name(a: T, ...) -> R;`.
struct Decl {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
}

/// Every declaration of one invocation.
struct Decls(Vec<Decl>);

impl Parse for Decls {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut out = Vec::new();
        while !input.is_empty() {
            let attrs = input.call(Attribute::parse_outer)?;
            let vis = input.parse()?;
            let sig: Signature = input.parse()?;
            input.parse::<Token![;]>().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected `;` after the signature: a declaration has no body",
                )
            })?;
            out.push(Decl { attrs, vis, sig });
        }
        Ok(Decls(out))
    }
}

/// Whether `ty` is written `Option<...>`.
fn is_option(ty: &Type) -> bool {
    let Type::Path(p) = ty else { return false };
    p.path.segments.last().is_some_and(|s| s.ident == "Option")
}

/// Mistakes in a declaration, each on its token.
fn check(d: &Decl, errors: &mut Vec<syn::Error>) {
    let sig = &d.sig;
    if let Some(t) = sig.constness.as_ref() {
        errors.push(syn::Error::new(t.span(), "an SQL function is not `const`"));
    }
    if let Some(t) = sig.asyncness.as_ref() {
        errors.push(syn::Error::new(t.span(), "an SQL function is not `async`"));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            "an SQL function has no generic parameters: declare one per argument type",
        ));
    }
    if let Some(v) = &sig.variadic {
        errors.push(syn::Error::new_spanned(v, "an SQL function has no `...`"));
    }
    if let ReturnType::Default = sig.output {
        errors.push(syn::Error::new_spanned(
            &sig.ident,
            "declare the result type: `fn name(arg: String) -> String;`",
        ));
    }
    for arg in &sig.inputs {
        match arg {
            FnArg::Receiver(r) => errors.push(syn::Error::new_spanned(
                r,
                "an SQL function takes no `self`",
            )),
            FnArg::Typed(t) => {
                if !matches!(&*t.pat, Pat::Ident(_) | Pat::Wild(_)) {
                    errors.push(syn::Error::new_spanned(
                        &t.pat,
                        "name the argument: `name: Type`",
                    ));
                }
                if is_option(&t.ty) {
                    errors.push(syn::Error::new_spanned(
                        &t.ty,
                        "declare the argument's type without `Option`: a nullable column is \
                         accepted where `T` is declared, and makes the result NULL; declare \
                         the result `Option<T>` for a function that may return NULL otherwise",
                    ));
                }
            }
        }
    }
}

/// The items of one declaration.
fn item(d: &Decl) -> TokenStream {
    let p = quote!(::txova_db::__private);
    let Decl { attrs, vis, sig } = d;
    let name = &sig.ident;
    let sql_name =
        txova_db_core::ident::quote(name.to_string().trim_start_matches("r#")).into_owned();
    let output = match &sig.output {
        ReturnType::Type(_, t) => quote!(#t),
        // Reported by `check`; text stands in so the mistake is reported once.
        ReturnType::Default => quote!(::std::string::String),
    };
    let args: Vec<(&Pat, &Type)> = sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            FnArg::Typed(t) => Some((&*t.pat, &*t.ty)),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let generics: Vec<_> = (0..args.len()).map(|i| format_ident!("__A{i}")).collect();
    // The declared names, which rustc's messages about a call show.
    let names: Vec<_> = args
        .iter()
        .enumerate()
        .map(|(i, (pat, _))| match pat {
            Pat::Ident(p) => p.ident.clone(),
            _ => format_ident!("__a{i}"),
        })
        .collect();
    let at = args.iter().enumerate().map(|(i, (_, ty))| {
        quote! {
            #[automatically_derived]
            impl #p::FnArgAt<#i> for #name {
                type Type = #ty;
            }
        }
    });
    let bounds = generics
        .iter()
        .zip(&args)
        .map(|(g, (_, ty))| quote_spanned!(ty.span()=> #g: #p::FnArg<#ty>));
    let params = names
        .iter()
        .zip(&generics)
        .zip(&args)
        .map(|((n, g), (pat, _))| quote_spanned!(pat.span()=> #n: #p::Ty<#g>));
    let mut null = quote!(#p::FnNotNull);
    for (g, (_, ty)) in generics.iter().zip(&args).rev() {
        null = quote!(<<#g as #p::FnArg<#ty>>::Null as #p::NullFlag>::Or<#null>);
    }
    let doc = format!("Calls the SQL function `{sql_name}` in a query.");
    quote! {
        #(#attrs)*
        #[doc = ""]
        #[doc = #doc]
        #[allow(non_camel_case_types, reason = "named as the SQL function it stands for")]
        #[derive(Clone, Copy, Debug)]
        #vis struct #name;

        #[automatically_derived]
        impl #p::SqlFunction for #name {
            const NAME: &'static str = #sql_name;
            type Output = #output;
        }

        #(#at)*

        #[automatically_derived]
        impl #name {
            /// The type of a call, from its arguments' types.
            #[doc(hidden)]
            #[must_use]
            pub const fn __call<#(#bounds),*>(self, #(#params),*)
                -> #p::Ty<<#null as #p::NullFlag>::Apply<#output>>
            {
                let _ = (#(#names,)*);
                #p::ty()
            }
        }
    }
}

/// Expands `sql_function!`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let decls = match syn::parse2::<Decls>(input) {
        Ok(d) => d,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = Vec::new();
    for d in &decls.0 {
        check(d, &mut errors);
    }
    let items = decls.0.iter().map(item);
    let errors = errors.iter().map(syn::Error::to_compile_error);
    quote! {
        #(#errors)*
        #(#items)*
    }
}
