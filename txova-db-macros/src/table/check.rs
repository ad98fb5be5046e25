//! Checks that need the whole struct: duplicate columns, generics, unsupported field types.

use std::collections::HashMap;

use syn::Type;

use super::ast::Table;
use crate::common::Errors;

pub(crate) fn check(table: &Table<'_>, errors: &mut Errors) {
    let mut seen: HashMap<String, &syn::Ident> = HashMap::new();
    for field in &table.fields {
        let name = field.name();
        if let Some(first) = seen.get(&name) {
            let msg = format!(
                "duplicate column name `{name}`: field `{first}` already maps to it; \
                 give one of them another `#[column(name = \"...\")]`"
            );
            match &field.attrs.name_lit {
                Some(lit) => errors.spanned(lit, msg),
                None => errors.spanned(field.ident, msg),
            }
        } else {
            seen.insert(name, field.ident);
        }
        if let Some(why) = unsupported(field.ty) {
            errors.spanned(field.ty, why);
        }
    }
    if table.fields.is_empty() {
        errors.spanned(table.ident, "a table needs at least one field (column)");
    }
    check_cache(table, errors);
}

/// `#[table(cache)]` needs one primary key column and a valid key prefix.
fn check_cache(table: &Table<'_>, errors: &mut Errors) {
    let (Some(cache), Some(prefix)) = (&table.cache, table.cache_prefix()) else {
        return;
    };
    let keys = table.fields.iter().filter(|f| f.attrs.primary_key).count();
    if keys != 1 {
        errors.spanned(
            &cache.path,
            format!(
                "`cache` builds the key from the primary key, so it needs exactly one \
                 `#[column(primary_key)]` field; this table has {keys}"
            ),
        );
    }
    if let Some(why) = invalid_prefix(&prefix) {
        match &cache.prefix {
            Some(lit) => errors.spanned(lit, format!("invalid cache key prefix: {why}")),
            None => errors.spanned(
                &cache.path,
                format!(
                    "the table's name `{prefix}` is not a valid cache key prefix ({why}); \
                     give one with `cache = \"service:entity\"`"
                ),
            ),
        }
    }
}

/// Why `prefix` is not a valid fixed key part (the rule of
/// `txova_db::redis::is_valid_key_prefix`): names separated by single `:`.
pub(crate) fn invalid_prefix(prefix: &str) -> Option<String> {
    if prefix.is_empty() {
        return Some("it is empty".into());
    }
    prefix
        .split(':')
        .find_map(|name| txova_db_core::key::check_name(name).err())
        .map(|v| v.to_string())
}

/// Why a field's type can never be a column, when that shows in its syntax. Other types are
/// checked by the compiler against `ToSql` and `FromSql`.
pub(crate) fn unsupported(ty: &Type) -> Option<String> {
    let what = match ty {
        Type::Reference(_) => {
            "a reference; a row owns its values, use an owned type such as `String` or `Vec<u8>`"
        }
        Type::Tuple(t) if t.elems.is_empty() => "`()`; a column holds a value",
        Type::Tuple(_) => "a tuple; use one field per column",
        Type::Array(_) => "a fixed-size array; use `Vec<T>` for a PostgreSQL array",
        Type::Slice(_) => "a slice; use `Vec<T>` for a PostgreSQL array",
        Type::BareFn(_) => "a function pointer",
        Type::ImplTrait(_) | Type::TraitObject(_) => "a trait type; use a concrete type",
        Type::Ptr(_) => "a raw pointer",
        Type::Never(_) => "`!`",
        Type::Paren(p) => return unsupported(&p.elem),
        Type::Group(g) => return unsupported(&g.elem),
        _ => return None,
    };
    Some(format!("unsupported column type: {what}"))
}
