//! The parsers of outside input that are not public API, reachable for the fuzz targets
//! (`fuzz/`) and the property tests (`tests/prop_*.rs`). Not a public API: it may change in
//! any release.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Result;

/// What a scan of a hand-written SQL fragment found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scanned {
    /// How many `?` placeholders it holds.
    pub placeholders: usize,
    /// An `OR` outside parentheses, quotes and comments.
    pub top_level_or: bool,
    /// The fragment ends inside a `--` comment.
    pub ends_in_line_comment: bool,
}

/// `fragment` with each `?` placeholder replaced by `$n` numbered from `next`, as the
/// dynamic builder writes it, and what the scan found.
pub fn rewrite_placeholders(fragment: &str, next: usize) -> Result<(String, Scanned)> {
    let mut out = String::new();
    let s = crate::postgres::placeholders::rewrite_into(&mut out, fragment, next)?;
    Ok((
        out,
        Scanned {
            placeholders: s.placeholders,
            top_level_or: s.top_level_or,
            ends_in_line_comment: s.ends_in_line_comment,
        },
    ))
}

/// Checks that `fragment` holds exactly `expected` placeholders, as the builder does before
/// it binds values.
pub fn check_placeholders(fragment: &str, expected: usize) -> Result<()> {
    crate::postgres::placeholders::check(fragment, expected)
}

/// Parses a golang-migrate file name: `Some((version, title, is_up))` for a migration,
/// `None` for another file.
pub fn parse_migration_name(name: &str) -> Result<Option<(u64, &str, bool)>> {
    Ok(
        crate::postgres::migrate::source::parse_name(name)?.map(|p| {
            (
                p.version,
                p.title,
                p.direction == crate::postgres::Direction::Up,
            )
        }),
    )
}

/// Parses a PostgreSQL connection string (URL or `key=value` pairs) with the library's
/// options, as `Pool::new` and `Migrator::new` do.
pub fn parse_conn_string(url: &str) -> Result<()> {
    crate::postgres::conn_string::ConnString::parse(url).map(drop)
}

/// The user tag part of a session id (the last 16 hex digits, masked), as every session
/// operation reads it from the id a client sends.
pub fn session_id_masked_tag(id: &str) -> Result<[u8; 8]> {
    crate::redis::session::split_id(id).map(|(_, masked)| masked)
}

/// `value` as the cache writes it: JSON as Go's `encoding/json` writes it.
pub fn go_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    crate::redis::codec::encode(value)
}

/// JSON read back as the cache reads it.
pub fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    crate::redis::codec::decode(bytes)
}
