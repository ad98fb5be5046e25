//! `std::time::Duration` as Go writes `time.Duration`: an integer number of nanoseconds
//! (`1500000000` for 1.5 s).
//!
//! Go's duration is a signed 64-bit count, so writing a duration longer than about 292 years
//! is an error, and so is reading a negative one (a `Duration` cannot be negative).

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

/// Writes `duration` as integer nanoseconds.
#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's `with` passes the field by reference"
)]
pub fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_i64(nanos::<S::Error>(*duration)?)
}

/// Reads integer nanoseconds.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    from_nanos(i64::deserialize(deserializer)?)
}

fn nanos<E: serde::ser::Error>(duration: Duration) -> Result<i64, E> {
    i64::try_from(duration.as_nanos()).map_err(|_| {
        E::custom(format_args!(
            "{}s does not fit in Go's time.Duration (at most about 292 years)",
            duration.as_secs()
        ))
    })
}

fn from_nanos<E: serde::de::Error>(nanos: i64) -> Result<Duration, E> {
    u64::try_from(nanos).map(Duration::from_nanos).map_err(|_| {
        E::custom(format_args!(
            "negative duration {nanos}ns; a Duration cannot be negative"
        ))
    })
}

/// `Option<Duration>` as Go writes a `*time.Duration`: `None` is `null`.
pub mod option {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `Some` as integer nanoseconds and `None` as `null`.
    #[allow(
        clippy::ref_option,
        reason = "serde's `with` passes the field by reference"
    )]
    pub fn serialize<S: Serializer>(
        duration: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match duration {
            Some(d) => serializer.serialize_i64(super::nanos::<S::Error>(*d)?),
            None => serializer.serialize_none(),
        }
    }

    /// Reads integer nanoseconds, or `null` as `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        Option::<i64>::deserialize(deserializer)?
            .map(super::from_nanos)
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct D {
        #[serde(with = "super")]
        d: Duration,
        #[serde(with = "super::option")]
        o: Option<Duration>,
    }

    #[test]
    fn as_go_writes_and_reads_it() {
        // What json.Marshal writes for struct{ D time.Duration; O *time.Duration }.
        for (d, o, json) in [
            (
                Duration::from_millis(1500),
                None,
                r#"{"d":1500000000,"o":null}"#,
            ),
            (
                Duration::ZERO,
                Some(Duration::from_nanos(1)),
                r#"{"d":0,"o":1}"#,
            ),
            (
                Duration::from_nanos(i64::MAX as u64),
                None,
                r#"{"d":9223372036854775807,"o":null}"#,
            ),
        ] {
            let v = D { d, o };
            assert_eq!(serde_json::to_string(&v).unwrap(), json);
            assert_eq!(serde_json::from_str::<D>(json).unwrap(), v);
        }
        for bad in [
            r#"{"d":-1,"o":null}"#,
            r#"{"d":9223372036854775808,"o":null}"#,
            r#"{"d":1.5,"o":null}"#,
            r#"{"d":"1s","o":null}"#,
            r#"{"d":1,"o":-5}"#,
        ] {
            assert!(serde_json::from_str::<D>(bad).is_err(), "{bad}");
        }
        let long = D {
            d: Duration::from_nanos(i64::MAX as u64 + 1),
            o: None,
        };
        assert!(serde_json::to_string(&long).is_err());
    }
}
