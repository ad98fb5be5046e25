//! Procedural macros for `txova-db`. Use them through the `txova_db` crate, which re-exports
//! them; the generated code refers to `::txova_db::__private`.

mod cache_key;

/// Declares functions that build typed Redis cache keys from templates checked at compile
/// time: `pub fn user_profile(id: Uuid) -> User = "user:profile:{id}";`.
#[proc_macro]
pub fn cache_keys(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    cache_key::expand(input.into()).into()
}

mod embed_migrations;

/// Embeds the migration files of a folder (relative to the calling crate's `Cargo.toml`;
/// `"migrations"` when omitted) into the binary, as an `EmbeddedMigrations` value.
#[proc_macro]
pub fn embed_migrations(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    embed_migrations::expand(input.into()).into()
}
