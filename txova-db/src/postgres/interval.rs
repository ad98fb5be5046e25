//! [`Interval`]: PostgreSQL's `interval`, as its three parts.

use std::error::Error as StdError;

use tokio_postgres::types::private::BytesMut;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, accepts, to_sql_checked};

/// A PostgreSQL `interval`: months, days and microseconds, kept apart as the server keeps
/// them (a month is not a fixed number of days, nor a day a fixed number of hours across a
/// daylight-saving change).
///
/// ```
/// use txova_db::postgres::Interval;
///
/// let ttl = Interval::from_secs(90);
/// assert_eq!(ttl, Interval::new(0, 0, 90_000_000));
/// assert_eq!(Interval::from_days(2).days(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Interval {
    months: i32,
    days: i32,
    microseconds: i64,
}

impl Interval {
    /// An interval of `months`, `days` and `microseconds`.
    #[must_use]
    pub const fn new(months: i32, days: i32, microseconds: i64) -> Self {
        Interval {
            months,
            days,
            microseconds,
        }
    }

    /// `months` months.
    #[must_use]
    pub const fn from_months(months: i32) -> Self {
        Interval::new(months, 0, 0)
    }

    /// `days` days.
    #[must_use]
    pub const fn from_days(days: i32) -> Self {
        Interval::new(0, days, 0)
    }

    /// `secs` seconds (up to about 68 years; use days or months beyond).
    #[must_use]
    pub const fn from_secs(secs: i32) -> Self {
        // An i32 of seconds always fits an i64 of microseconds.
        Interval::new(0, 0, secs as i64 * 1_000_000)
    }

    /// The months part.
    #[must_use]
    pub const fn months(&self) -> i32 {
        self.months
    }

    /// The days part.
    #[must_use]
    pub const fn days(&self) -> i32 {
        self.days
    }

    /// The part below a day, in microseconds.
    #[must_use]
    pub const fn microseconds(&self) -> i64 {
        self.microseconds
    }
}

/// A duration beyond `i64::MAX` microseconds (about 292,000 years) is refused, never
/// clamped; below a microsecond it is cut, as the server keeps no finer part.
impl TryFrom<std::time::Duration> for Interval {
    type Error = crate::Error;

    fn try_from(d: std::time::Duration) -> crate::Result<Self> {
        let micros = i64::try_from(d.as_micros()).map_err(|_| {
            crate::Error::invalid_input(format!(
                "a duration of {}s does not fit an interval's microseconds",
                d.as_secs()
            ))
        })?;
        Ok(Interval::new(0, 0, micros))
    }
}

impl ToSql for Interval {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        // The binary form: microseconds (8 bytes), days (4), months (4), big-endian.
        out.extend_from_slice(&self.microseconds.to_be_bytes());
        out.extend_from_slice(&self.days.to_be_bytes());
        out.extend_from_slice(&self.months.to_be_bytes());
        Ok(IsNull::No)
    }

    accepts!(INTERVAL);

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Interval {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        let (Ok(micros), Ok(days), Ok(months)) = (
            raw.get(0..8).unwrap_or_default().try_into(),
            raw.get(8..12).unwrap_or_default().try_into(),
            raw.get(12..16).unwrap_or_default().try_into(),
        ) else {
            return Err("an interval is 16 bytes".into());
        };
        if raw.len() != 16 {
            return Err("an interval is 16 bytes".into());
        }
        Ok(Interval::new(
            i32::from_be_bytes(months),
            i32::from_be_bytes(days),
            i64::from_be_bytes(micros),
        ))
    }

    accepts!(INTERVAL);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binary_form_round_trips_and_a_short_one_is_an_error() {
        let i = Interval::new(-3, 45, -1_234_567);
        let mut buf = BytesMut::new();
        i.to_sql(&Type::INTERVAL, &mut buf).unwrap();
        assert_eq!(buf.len(), 16);
        assert_eq!(Interval::from_sql(&Type::INTERVAL, &buf).unwrap(), i);
        assert!(Interval::from_sql(&Type::INTERVAL, &buf[..15]).is_err());
        assert_eq!(
            Interval::try_from(std::time::Duration::from_millis(1500)).unwrap(),
            Interval::new(0, 0, 1_500_000)
        );
        assert_eq!(
            Interval::from_secs(i32::MAX).microseconds(),
            2_147_483_647_000_000
        );
        // Too long a duration is an error, never a clamped value.
        let err = Interval::try_from(std::time::Duration::MAX).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{err}");
    }
}
