//! `#[derive(Table)]`: parse the struct, check it, generate the handles and impls.

mod ast;
mod attr;
mod check;
mod expand;

use proc_macro2::TokenStream;

use crate::common::Errors;

/// Expands `#[derive(Table)]` on `input`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = Errors::default();
    let Some(table) = ast::Table::from_input(&input, &mut errors) else {
        return errors.into_compile_errors();
    };
    check::check(&table, &mut errors);
    let mut out = expand::expand(&table);
    out.extend(errors.into_compile_errors());
    out
}

#[cfg(test)]
mod tests {
    use quote::quote;

    fn expand(input: proc_macro2::TokenStream) -> String {
        super::expand(input).to_string()
    }

    #[test]
    fn names_are_quoted_only_when_needed() {
        let out = expand(quote! {
            #[table(name = "user", schema = "app")]
            struct User {
                id: i64,
                #[column(name = "order")]
                position: i32,
                created_at: String,
            }
        });
        assert!(
            out.contains(r#"const SQL_NAME : & 'static str = "app.\"user\"""#),
            "{out}"
        );
        assert!(
            out.contains(r#"& ["id" , "\"order\"" , "created_at"]"#),
            "{out}"
        );
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn every_mistake_is_reported_and_the_impls_are_still_written() {
        let out = expand(quote! {
            #[table(nmae = "users")]
            struct User {
                #[column(primary_key, deafult)]
                id: i64,
                #[column(name = "id")]
                other: &'static str,
            }
        });
        assert_eq!(out.matches("compile_error").count(), 4, "{out}");
        assert!(out.contains("unknown table attribute `nmae`"), "{out}");
        assert!(out.contains("unknown column attribute `deafult`"), "{out}");
        assert!(out.contains("duplicate column name `id`"), "{out}");
        assert!(
            out.contains("unsupported column type: a reference"),
            "{out}"
        );
        assert!(
            out.contains("impl :: txova_db :: __private :: Table for User"),
            "{out}"
        );
    }

    #[test]
    fn enums_are_refused() {
        let out = expand(quote!(
            enum E {
                A,
            }
        ));
        assert!(out.contains("not on an enum"), "{out}");
    }
}
