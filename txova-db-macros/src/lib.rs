//! Procedural macros for `txova-db`. Use them through the `txova_db` crate, which re-exports
//! them; the generated code refers to `::txova_db::__private`.

mod cache_key;
mod common;
mod embed_migrations;
mod from_row;
mod pg_enum;
mod query;
mod sql_function;
mod table;
mod test_attr;

use proc_macro::TokenStream;

/// Declares functions that build typed Redis cache keys from templates checked at compile
/// time: `pub fn user_profile(id: Uuid) -> User = "user:profile:{id}";`.
#[proc_macro]
pub fn cache_keys(input: TokenStream) -> TokenStream {
    cache_key::expand(input.into()).into()
}

/// Embeds the migration files of a folder (relative to the calling crate's `Cargo.toml`;
/// `"migrations"` when omitted) into the binary, as an `EmbeddedMigrations` value.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    embed_migrations::expand(input.into()).into()
}

#[doc = include_str!("docs/table.md")]
#[proc_macro_derive(Table, attributes(table, column))]
pub fn derive_table(input: TokenStream) -> TokenStream {
    table::expand(input.into()).into()
}

#[doc = include_str!("docs/select.md")]
#[proc_macro]
pub fn select(input: TokenStream) -> TokenStream {
    query::select::expand(input.into()).into()
}

#[doc = include_str!("docs/insert.md")]
#[proc_macro]
pub fn insert(input: TokenStream) -> TokenStream {
    query::insert::expand(input.into()).into()
}

#[doc = include_str!("docs/update.md")]
#[proc_macro]
pub fn update(input: TokenStream) -> TokenStream {
    query::update::expand(input.into()).into()
}

#[doc = include_str!("docs/delete.md")]
#[proc_macro]
pub fn delete(input: TokenStream) -> TokenStream {
    query::delete::expand(input.into()).into()
}

/// Marks an `async fn` as a test that gets a `Pool` on a fresh database with the crate's
/// migrations applied (the `migrations` folder beside its `Cargo.toml`, or
/// `#[txova_db::test(migrations = "path")]`, or none with `migrations = false`); the database
/// is dropped afterwards, so tests run in parallel and can be rerun. See `txova_db::testing`.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    test_attr::expand(args.into(), item.into()).into()
}

#[doc = include_str!("docs/pg_enum.md")]
#[proc_macro_derive(PgEnum, attributes(pg_enum))]
pub fn derive_pg_enum(input: TokenStream) -> TokenStream {
    pg_enum::expand(input.into()).into()
}

#[doc = include_str!("docs/from_row.md")]
#[proc_macro_derive(FromRow)]
pub fn derive_from_row(input: TokenStream) -> TokenStream {
    from_row::expand(input.into()).into()
}

/// Declares SQL functions that `select!`, `update!`, ... may call, with their argument and
/// result types: `fn similarity(a: String, b: String) -> f32;`.
#[proc_macro]
pub fn sql_function(input: TokenStream) -> TokenStream {
    sql_function::expand(input.into()).into()
}

#[cfg(test)]
mod tests;
