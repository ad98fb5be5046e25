//! Rules that `txova-db` and `txova-db-macros` both apply, written once so that a key or a
//! name is judged the same at compile time and at run time. No dependencies.
//!
//! ```
//! use txova_db_core::{ident, key};
//!
//! assert!(key::check_key("user:profile:42").is_ok());
//! assert_eq!(
//!     key::check_segment("a b").unwrap_err().to_string(),
//!     "it contains ' '; whitespace and control characters are not allowed"
//! );
//! assert_eq!(ident::quote("order"), "\"order\"");
//! assert_eq!(ident::snake_case("UserProfile"), "user_profile");
//! ```

#![forbid(unsafe_code)]

pub mod ident;
pub mod key;
