//! golang-migrate's options in the database URL, taken out before the URL reaches
//! tokio-postgres (which rejects parameters it does not know).

use std::time::Duration;

use crate::error::{Error, Result};

/// What the URL says beyond the connection itself: golang-migrate's options, read by the
/// one connection-string parser (`conn_string`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct UrlOptions {
    /// The URL's path with its leading `/` (`/mydb`), as golang-migrate opened by URL hashes
    /// it into the lock id; `None` for a `key=value` string or a URL without a path.
    pub(crate) path: Option<String>,
    /// `x-migrations-table`.
    pub(crate) table: Option<String>,
    /// `x-migrations-table-quoted`.
    pub(crate) table_quoted: bool,
    /// `x-statement-timeout`, in milliseconds in the URL.
    pub(crate) statement_timeout: Option<Duration>,
    /// `x-no-lock`.
    pub(crate) no_lock: bool,
    /// `search_path`, set on the session after connecting.
    pub(crate) search_path: Option<String>,
}

impl UrlOptions {
    /// Takes `key` (with its decoded `value`) if it is a migration option.
    pub(crate) fn take(&mut self, key: &str, value: &str) -> Result<bool> {
        let value = value.to_owned();
        match key {
            "x-migrations-table" => self.table = Some(value).filter(|v| !v.is_empty()),
            "x-migrations-table-quoted" => self.table_quoted = parse_bool(key, &value)?,
            "x-statement-timeout" => {
                let ms: u64 = value.parse().map_err(|_| {
                    Error::config(format!(
                        "invalid {key} `{value}`: expected a number of milliseconds"
                    ))
                })?;
                self.statement_timeout = (ms > 0).then(|| Duration::from_millis(ms));
            }
            "x-no-lock" => self.no_lock = parse_bool(key, &value)?,
            "x-multi-statement" => {
                if parse_bool(key, &value)? {
                    return Err(Error::config(
                        "x-multi-statement is not supported: each file is sent whole, as one batch",
                    ));
                }
            }
            // Only meaningful with x-multi-statement.
            "x-multi-statement-max-size" => {}
            "search_path" => self.search_path = Some(value).filter(|v| !v.is_empty()),
            other if other.starts_with("x-") => {
                return Err(Error::config(format!(
                    "unknown migration option `{other}` in the database url"
                )));
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Checks the options together, once all are read.
    pub(crate) fn check(&self) -> Result<()> {
        if self.table_quoted
            && let Some(table) = &self.table
            && !(table.len() >= 2 && table.starts_with('"') && table.ends_with('"'))
        {
            return Err(Error::config(format!(
                "x-migrations-table must be quoted (for instance '\"migrate\".\"schema_migrations\"') when x-migrations-table-quoted is enabled, current value is: {table}"
            )));
        }
        Ok(())
    }
}

/// Splits `"schema"."table"` (or `"table"`) as golang-migrate does with
/// `x-migrations-table-quoted`.
pub(crate) fn split_quoted(table: &str) -> Result<(Option<String>, String)> {
    let mut parts = Vec::new();
    let mut rest = table;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else { break };
        parts.push(after[..end].to_owned());
        rest = &after[end + 1..];
    }
    match parts.len() {
        1 => Ok((None, parts.remove(0))),
        2 => {
            let table = parts.remove(1);
            Ok((Some(parts.remove(0)), table))
        }
        0 => Err(Error::config(format!(
            "x-migrations-table `{table}` holds no quoted name"
        ))),
        _ => Err(Error::config(format!(
            "\"{table}\" MigrationsTable contains too many dot characters"
        ))),
    }
}

/// Go's `strconv.ParseBool`.
fn parse_bool(key: &str, value: &str) -> Result<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(Error::config(format!(
            "invalid {key} `{value}`: expected true or false"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<UrlOptions> {
        crate::postgres::conn_string::ConnString::parse(url).map(|c| c.migrate)
    }

    #[test]
    fn bad_options_are_errors() {
        for url in [
            "postgres://h/d?x-statement-timeout=abc",
            "postgres://h/d?x-migrations-table-quoted=maybe",
            "postgres://h/d?x-migrations-table-quoted=1&x-migrations-table=plain",
            "postgres://h/d?x-multi-statement=true",
            "postgres://h/d?x-unknown=1",
            "postgres://h/d?search_path=%zz",
        ] {
            let err = parse(url).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Config, "{url}");
        }
    }

    #[test]
    fn quoted_tables_split_like_golang_migrate() {
        assert_eq!(
            split_quoted("\"migrate\".\"schema_migrations\"").unwrap(),
            (Some("migrate".to_owned()), "schema_migrations".to_owned())
        );
        assert_eq!(split_quoted("\"a.b\"").unwrap(), (None, "a.b".to_owned()));
        assert!(split_quoted("\"a\".\"b\".\"c\"").is_err());
        let o = parse(
            "postgres://h/d?x-migrations-table=%22s%22.%22t%22&x-migrations-table-quoted=true",
        )
        .unwrap();
        assert_eq!(o.table.as_deref(), Some("\"s\".\"t\""));
        assert!(o.table_quoted);
    }
}
