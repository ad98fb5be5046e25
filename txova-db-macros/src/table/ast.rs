//! The typed model of a `#[derive(Table)]` struct, keeping the syn nodes for spans.

use syn::{Data, DeriveInput, Fields, Ident, Type, Visibility};

use super::attr;
use crate::common::{Errors, snake_case};

/// The struct the derive is on.
pub(crate) struct Table<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) vis: &'a Visibility,
    /// The table's name as the catalog spells it.
    pub(crate) name: String,
    pub(crate) schema: Option<String>,
    pub(crate) fields: Vec<Field<'a>>,
    /// `#[table(cache ...)]`.
    pub(crate) cache: Option<attr::Cache>,
}

/// One field, that is one column.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    /// The type inside `Option`, for a nullable column.
    pub(crate) inner: Option<&'a Type>,
    pub(crate) attrs: attr::Column,
}

impl<'a> Table<'a> {
    /// Builds the model; `None` when the input is not a struct with named fields.
    pub(crate) fn from_input(input: &'a DeriveInput, errors: &mut Errors) -> Option<Self> {
        let fields = match &input.data {
            Data::Struct(s) => match &s.fields {
                Fields::Named(f) => &f.named,
                Fields::Unnamed(_) => {
                    errors.spanned(
                        &input.ident,
                        "`#[derive(Table)]` needs a struct with named fields, one per column; \
                         this is a tuple struct",
                    );
                    return None;
                }
                Fields::Unit => {
                    errors.spanned(
                        &input.ident,
                        "`#[derive(Table)]` needs a struct with named fields, one per column; \
                         this is a unit struct",
                    );
                    return None;
                }
            },
            Data::Enum(e) => {
                errors.spanned(
                    e.enum_token,
                    "`#[derive(Table)]` works on a struct with named fields, not on an enum; \
                     to store a Rust enum in a PostgreSQL enum column use `#[derive(PgEnum)]`",
                );
                return None;
            }
            Data::Union(u) => {
                errors.spanned(
                    u.union_token,
                    "`#[derive(Table)]` works on a struct with named fields, not on a union",
                );
                return None;
            }
        };
        if !input.generics.params.is_empty() {
            errors.spanned(
                &input.generics,
                "a table struct cannot be generic: each column needs one Rust type",
            );
            return None;
        }
        let table = attr::Table::parse(&input.attrs, errors);
        let fields = fields
            .iter()
            .filter_map(|f| {
                let ident = f.ident.as_ref()?;
                Some(Field {
                    ident,
                    ty: &f.ty,
                    inner: option_inner(&f.ty),
                    attrs: attr::Column::parse(&f.attrs, errors),
                })
            })
            .collect();
        Some(Table {
            ident: &input.ident,
            vis: &input.vis,
            name: table
                .name
                .unwrap_or_else(|| snake_case(&input.ident.to_string())),
            schema: table.schema,
            fields,
            cache: table.cache,
        })
    }
}

impl Table<'_> {
    /// The fixed part of the cache key: `#[table(cache = "...")]`, or the table's name
    /// (`schema:table` with a schema).
    pub(crate) fn cache_prefix(&self) -> Option<String> {
        let cache = self.cache.as_ref()?;
        Some(match (&cache.prefix, &self.schema) {
            (Some(lit), _) => lit.value(),
            (None, Some(schema)) => format!("{schema}:{}", self.name),
            (None, None) => self.name.clone(),
        })
    }

    /// The one primary key field, if there is exactly one.
    pub(crate) fn single_primary_key(&self) -> Option<&Field<'_>> {
        let mut keys = self.fields.iter().filter(|f| f.attrs.primary_key);
        match (keys.next(), keys.next()) {
            (Some(key), None) => Some(key),
            _ => None,
        }
    }
}

impl Field<'_> {
    /// The column's name as the catalog spells it.
    pub(crate) fn name(&self) -> String {
        self.attrs
            .name
            .clone()
            .unwrap_or_else(|| self.ident.unraw().to_string())
    }

    /// The type a compared value must have: the field's type without its `Option`.
    pub(crate) fn value_ty(&self) -> &Type {
        self.inner.unwrap_or(self.ty)
    }
}

use syn::ext::IdentExt as _;

/// `T` when `ty` is `Option<T>` (also `std::option::Option<T>`).
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(syn::GenericArgument::Type(t)) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}
