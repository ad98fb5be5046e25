//! Procedural macros for `txova-db`. Use them through the `txova_db` crate, which re-exports
//! them; the generated code refers to `::txova_db::__private`.

mod common;
mod from_row;
mod pg_enum;
mod query;
mod table;

use proc_macro::TokenStream;

/// Derives the typed description of a table; see `txova_db::Table`.
#[proc_macro_derive(Table, attributes(table, column))]
pub fn derive_table(input: TokenStream) -> TokenStream {
    table::expand(input.into()).into()
}

/// A typed `SELECT`; see `txova_db::select!`.
#[proc_macro]
pub fn select(input: TokenStream) -> TokenStream {
    query::select::expand(input.into()).into()
}

/// A typed `INSERT`; see `txova_db::insert!`.
#[proc_macro]
pub fn insert(input: TokenStream) -> TokenStream {
    query::insert::expand(input.into()).into()
}

/// A typed `UPDATE`; see `txova_db::update!`.
#[proc_macro]
pub fn update(input: TokenStream) -> TokenStream {
    query::update::expand(input.into()).into()
}

/// A typed `DELETE`; see `txova_db::delete!`.
#[proc_macro]
pub fn delete(input: TokenStream) -> TokenStream {
    query::delete::expand(input.into()).into()
}

/// Stores a Rust enum in a PostgreSQL enum; see `txova_db::PgEnum`.
#[proc_macro_derive(PgEnum, attributes(pg_enum))]
pub fn derive_pg_enum(input: TokenStream) -> TokenStream {
    pg_enum::expand(input.into()).into()
}

/// Reads a query's selected columns into a struct; see `txova_db::FromRow`.
#[proc_macro_derive(FromRow)]
pub fn derive_from_row(input: TokenStream) -> TokenStream {
    from_row::expand(input.into()).into()
}
