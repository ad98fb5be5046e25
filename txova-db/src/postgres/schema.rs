//! What `#[derive(Table)]` describes: tables and their typed column handles.
//!
//! The derive implements these traits; the query macros and the dynamic builder read them.

/// A table: its SQL name and columns. Implemented by `#[derive(Table)]`.
pub trait Table: Sized {
    /// The table's SQL name as written in SQL (quoted only when needed), with its schema if it
    /// has one: `users`, `"user"`, `billing.invoices`.
    const SQL_NAME: &'static str;
    /// Every column's SQL name as written in SQL, in field order.
    const COLUMNS: &'static [&'static str];
}

/// A typed handle to one column of a [`Table`]. Implemented by `#[derive(Table)]` on one
/// zero-sized type per field.
pub trait Column: Copy + Send + Sync + 'static {
    /// The table the column belongs to.
    type Table: Table;
    /// The Rust type of the field: what a row holds and what a value compared with it must be.
    type Type;
    /// The column's SQL name as written in SQL (quoted only when needed).
    const SQL_NAME: &'static str;
}
