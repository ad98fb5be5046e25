//! The model of a `#[derive(PgEnum)]` enum and its `#[pg_enum(...)]` attributes.

use std::collections::HashMap;

use syn::{Attribute, Data, DeriveInput, Fields, Ident, LitStr};

use crate::common::{Errors, snake_case};

pub(crate) struct PgEnum<'a> {
    pub(crate) ident: &'a Ident,
    /// The PostgreSQL type's name.
    pub(crate) name: String,
    /// Each variant, its label, and whether it is a unit variant (others are errors).
    pub(crate) variants: Vec<(&'a Ident, String, bool)>,
}

impl<'a> PgEnum<'a> {
    pub(crate) fn from_input(input: &'a DeriveInput, errors: &mut Errors) -> Option<Self> {
        let Data::Enum(data) = &input.data else {
            errors.spanned(
                &input.ident,
                "`#[derive(PgEnum)]` works on an enum of unit variants, one per label of the PostgreSQL enum",
            );
            return None;
        };
        if !input.generics.params.is_empty() {
            errors.spanned(&input.generics, "a `PgEnum` cannot be generic");
            return None;
        }
        let name = parse_attr(&input.attrs, "name", errors)
            .unwrap_or_else(|| snake_case(&input.ident.to_string()));
        let mut seen: HashMap<String, &Ident> = HashMap::new();
        let mut variants = Vec::new();
        for v in &data.variants {
            let unit = matches!(v.fields, Fields::Unit);
            if !unit {
                errors.spanned(
                    &v.ident,
                    "a `PgEnum` variant cannot hold data: a PostgreSQL enum value is a label",
                );
            }
            let label = parse_attr(&v.attrs, "rename", errors)
                .unwrap_or_else(|| snake_case(&v.ident.to_string()));
            if let Some(first) = seen.get(&label) {
                errors.spanned(
                    &v.ident,
                    format!("duplicate label `{label}`: variant `{first}` already has it"),
                );
            } else {
                seen.insert(label.clone(), &v.ident);
            }
            variants.push((&v.ident, label, unit));
        }
        Some(PgEnum {
            ident: &input.ident,
            name,
            variants,
        })
    }
}

/// The value of `#[pg_enum(key = "...")]`, reporting any other key.
fn parse_attr(attrs: &[Attribute], key: &str, errors: &mut Errors) -> Option<String> {
    let mut out = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("pg_enum")) {
        let res = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(key) {
                out = Some(meta.value()?.parse::<LitStr>()?.value());
            } else {
                let valid = if key == "name" {
                    "`name = \"...\"` on the enum"
                } else {
                    "`rename = \"...\"` on a variant"
                };
                errors.spanned(
                    &meta.path,
                    format!("unknown attribute here; the valid one is {valid}"),
                );
                if meta.input.peek(syn::Token![=]) {
                    let _ = meta.value()?.parse::<syn::Expr>();
                }
            }
            Ok(())
        });
        if let Err(e) = res {
            errors.push(e);
        }
    }
    out
}
