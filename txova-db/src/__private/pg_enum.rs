//! Support for `#[derive(PgEnum)]`.

use super::Type;

pub use tokio_postgres::types::private::BytesMut;

pub use tokio_postgres::types::{FromSql, IsNull, to_sql_checked};

/// The result type of `ToSql` and `FromSql` methods.
pub type SqlResult<T> = std::result::Result<T, Box<dyn std::error::Error + Sync + Send>>;

/// Whether `ty` is the PostgreSQL enum `name`, or text, which an enum's label also fits, or
/// `unknown`, which the server then types from the statement (the unnamed statement mode).
#[must_use]
pub fn is_enum(ty: &Type, name: &str) -> bool {
    match ty.kind() {
        tokio_postgres::types::Kind::Enum(_) => ty.name() == name,
        _ => matches!(*ty, Type::TEXT | Type::VARCHAR | Type::UNKNOWN),
    }
}

/// An enum value's label.
pub fn label(raw: &[u8]) -> SqlResult<&str> {
    Ok(std::str::from_utf8(raw)?)
}

/// The error for a label the Rust enum does not know.
pub fn unknown_label<T>(name: &str, label: &str) -> SqlResult<T> {
    Err(format!("`{label}` is not a label of enum `{name}` known to this program").into())
}
