//! `#[table(...)]` and `#[column(...)]`.

use syn::{Attribute, LitStr};

use crate::common::Errors;

/// What `#[table(...)]` says.
#[derive(Default)]
pub(crate) struct Table {
    pub(crate) name: Option<String>,
    pub(crate) schema: Option<String>,
    pub(crate) cache: Option<Cache>,
}

/// `cache` or `cache = "service:entity"`: implement `CacheEntity` from the primary key.
pub(crate) struct Cache {
    /// The `cache` word, for errors about the table as a whole.
    pub(crate) path: syn::Path,
    /// The given prefix; without one, the table's name is the prefix.
    pub(crate) prefix: Option<LitStr>,
}

/// What `#[column(...)]` on a field says.
#[derive(Default)]
pub(crate) struct Column {
    pub(crate) name: Option<String>,
    /// The `name = "..."` literal, for the span of errors about it.
    pub(crate) name_lit: Option<LitStr>,
    pub(crate) primary_key: bool,
    pub(crate) default: bool,
}

fn name_value(meta: &syn::meta::ParseNestedMeta<'_>, errors: &mut Errors) -> Option<LitStr> {
    match meta
        .value()
        .and_then(syn::parse::ParseBuffer::parse::<LitStr>)
    {
        Ok(lit) if lit.value().is_empty() => {
            errors.spanned(&lit, "a name cannot be empty");
            None
        }
        Ok(lit) => Some(lit),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

impl Table {
    pub(crate) fn parse(attrs: &[Attribute], errors: &mut Errors) -> Self {
        let mut out = Table::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("table")) {
            let res = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("name") {
                    out.name = name_value(&meta, errors).map(|l| l.value());
                } else if meta.path.is_ident("schema") {
                    out.schema = name_value(&meta, errors).map(|l| l.value());
                } else if meta.path.is_ident("cache") {
                    let prefix = if meta.input.peek(syn::Token![=]) {
                        match meta
                            .value()
                            .and_then(syn::parse::ParseBuffer::parse::<LitStr>)
                        {
                            Ok(lit) => Some(lit),
                            Err(e) => {
                                errors.push(e);
                                return Ok(());
                            }
                        }
                    } else {
                        None
                    };
                    out.cache = Some(Cache {
                        path: meta.path.clone(),
                        prefix,
                    });
                } else {
                    errors.spanned(
                        &meta.path,
                        format!(
                            "unknown table attribute `{}`; the valid ones are \
                             `name = \"...\"`, `schema = \"...\"`, `cache` and \
                             `cache = \"...\"`",
                            path_name(&meta.path)
                        ),
                    );
                    skip_value(&meta);
                }
                Ok(())
            });
            if let Err(e) = res {
                errors.push(e);
            }
        }
        out
    }
}

impl Column {
    pub(crate) fn parse(attrs: &[Attribute], errors: &mut Errors) -> Self {
        let mut out = Column::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("column")) {
            let res = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("name") {
                    out.name_lit = name_value(&meta, errors);
                    out.name = out.name_lit.as_ref().map(LitStr::value);
                } else if meta.path.is_ident("primary_key") {
                    out.primary_key = true;
                } else if meta.path.is_ident("default") {
                    out.default = true;
                } else {
                    errors.spanned(
                        &meta.path,
                        format!(
                            "unknown column attribute `{}`; the valid ones are \
                             `name = \"...\"`, `primary_key` and `default`",
                            path_name(&meta.path)
                        ),
                    );
                    skip_value(&meta);
                }
                Ok(())
            });
            if let Err(e) = res {
                errors.push(e);
            }
        }
        out
    }
}

fn path_name(path: &syn::Path) -> String {
    quote::quote!(#path).to_string().replace(' ', "")
}

/// Consumes `= value` or `(...)` after an unknown key so the rest still parses.
fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) {
    if meta.input.peek(syn::Token![=]) {
        let _ = meta
            .value()
            .and_then(syn::parse::ParseBuffer::parse::<syn::Expr>);
    } else if meta.input.peek(syn::token::Paren) {
        let _ = meta.parse_nested_meta(|_| Ok(()));
    }
}
