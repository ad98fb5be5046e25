//! Serde helpers that read and write values as Go's `encoding/json` does, for the types
//! whose default serde form differs from Go's. Use them with `#[serde(with = "...")]` on a
//! field; each module has an `option` module for `Option` fields, where `None` is `null` as
//! Go writes a nil slice or pointer.
//!
//! ```
//! use std::time::Duration;
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Upload {
//!     /// Go: `Data []byte` (base64).
//!     #[serde(with = "txova_db::redis::go::bytes")]
//!     data: Vec<u8>,
//!     /// Go: `Timeout time.Duration` (integer nanoseconds).
//!     #[serde(with = "txova_db::redis::go::duration")]
//!     timeout: Duration,
//!     /// Go: `Thumb []byte`, nil when absent.
//!     #[serde(with = "txova_db::redis::go::bytes::option")]
//!     thumb: Option<Vec<u8>>,
//! }
//!
//! let u = Upload { data: vec![1, 2, 3], timeout: Duration::from_millis(1500), thumb: None };
//! assert_eq!(
//!     serde_json::to_string(&u).unwrap(),
//!     r#"{"data":"AQID","timeout":1500000000,"thumb":null}"#
//! );
//! ```

pub mod bytes;
pub mod duration;
#[cfg(feature = "chrono")]
pub mod time;
