//! Procedural macros for `txova-db`. Use them through the `txova_db` crate, which re-exports
//! them; the generated code refers to `::txova_db::__private`.

mod common;
mod from_row;
mod pg_enum;
mod query;
mod table;

use proc_macro::TokenStream;

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
