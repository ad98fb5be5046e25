//! Values bound by the run-time builder.

use std::any::Any;
use std::borrow::Cow;
use std::error::Error as StdError;

use tokio_postgres::types::private::BytesMut;
use tokio_postgres::types::{IsNull, Kind, ToSql, Type, to_sql_checked};

use super::Value;
use crate::error::{Error, Result};

/// Text bound by a hand-written fragment: accepted by a text column and by a PostgreSQL enum
/// column (whose binary value is its label), so `.filter("status = ?", "active")` works
/// whether `status` is `text` or an enum.
#[derive(Debug)]
pub(super) struct Label(Cow<'static, str>);

impl ToSql for Label {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn StdError + Sync + Send>> {
        // An enum's binary value is its label's text, as for a text column.
        self.0.as_ref().to_sql(ty, out)
    }

    fn accepts(ty: &Type) -> bool {
        <&str as ToSql>::accepts(ty) || matches!(ty.kind(), Kind::Enum(_))
    }

    to_sql_checked!();
}

/// Boxes a value given to a fragment; text (a `&'static str` or a `String`) becomes a
/// [`Label`] so it also fits an enum column.
pub(super) fn boxed<V: ToSql + Sync + Send + 'static>(value: V) -> Value {
    let mut slot = Some(value);
    let any: &mut dyn Any = &mut slot;
    if let Some(s) = any.downcast_mut::<Option<&'static str>>() {
        return Box::new(Label(Cow::Borrowed(s.take().unwrap_or_default())));
    }
    if let Some(s) = any.downcast_mut::<Option<String>>() {
        return Box::new(Label(Cow::Owned(s.take().unwrap_or_default())));
    }
    match slot {
        Some(v) => Box::new(v),
        // Unreachable: only the two branches above take the value, and they return.
        None => Box::new(None::<i32>),
    }
}

/// A row count for `LIMIT` or `OFFSET`, from any integer type: refused when negative or
/// beyond `i64::MAX`.
pub(super) fn count<N: TryInto<i64> + Copy + std::fmt::Display>(what: &str, n: N) -> Result<i64> {
    match n.try_into() {
        Ok(v) if v >= 0 => Ok(v),
        _ => Err(Error::invalid_input(format!(
            "{what} {n} is out of range: it must be between 0 and {}",
            i64::MAX
        ))),
    }
}
