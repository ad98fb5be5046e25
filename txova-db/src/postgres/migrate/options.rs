//! golang-migrate's options in the database URL, taken out before the URL reaches
//! tokio-postgres (which rejects parameters it does not know).

use std::time::Duration;

use crate::error::{Error, Result};

/// What the URL says beyond the connection itself.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct UrlOptions {
    /// The URL without the options below.
    pub(crate) url: String,
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

/// Splits golang-migrate's options off a `postgres://` URL. A `key=value` connection string
/// is returned unchanged.
pub(crate) fn parse(url: &str) -> Result<UrlOptions> {
    let Some(scheme_len) = ["postgres://", "postgresql://"]
        .iter()
        .find(|s| url.starts_with(*s))
        .map(|s| s.len())
    else {
        return Ok(UrlOptions {
            url: url.to_owned(),
            ..UrlOptions::default()
        });
    };
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let path = base[scheme_len..]
        .find('/')
        .map(|i| percent_decode(&base[scheme_len + i..], false))
        .transpose()?
        .filter(|p| !p.is_empty());
    let mut out = UrlOptions {
        path,
        ..UrlOptions::default()
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(raw, true)?;
        match key {
            "x-migrations-table" => out.table = Some(value).filter(|v| !v.is_empty()),
            "x-migrations-table-quoted" => out.table_quoted = parse_bool(key, &value)?,
            "x-statement-timeout" => {
                let ms: u64 = value.parse().map_err(|_| {
                    Error::config(format!(
                        "invalid {key} `{value}`: expected a number of milliseconds"
                    ))
                })?;
                out.statement_timeout = (ms > 0).then(|| Duration::from_millis(ms));
            }
            "x-no-lock" => out.no_lock = parse_bool(key, &value)?,
            "x-multi-statement" => {
                if parse_bool(key, &value)? {
                    return Err(Error::config(
                        "x-multi-statement is not supported: each file is sent whole, as one batch",
                    ));
                }
            }
            // Only meaningful with x-multi-statement.
            "x-multi-statement-max-size" => {}
            "search_path" => out.search_path = Some(value).filter(|v| !v.is_empty()),
            other if other.starts_with("x-") => {
                return Err(Error::config(format!(
                    "unknown migration option `{other}` in the database url"
                )));
            }
            _ => kept.push(pair),
        }
    }
    if out.table_quoted
        && let Some(table) = &out.table
        && !(table.len() >= 2 && table.starts_with('"') && table.ends_with('"'))
    {
        return Err(Error::config(format!(
            "x-migrations-table must be quoted (for instance '\"migrate\".\"schema_migrations\"') when x-migrations-table-quoted is enabled, current value is: {table}"
        )));
    }
    out.url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(out)
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

fn percent_decode(s: &str, plus_is_space: bool) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        Error::config(format!("invalid percent-encoding in database url: `{s}`"))
                    })?;
                out.push(hex);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
        .map_err(|_| Error::config(format!("database url option is not UTF-8: `{s}`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_taken_out() {
        let o = parse(
            "postgres://u:p@h:5432/my%20db?sslmode=disable&x-migrations-table=mig&x-statement-timeout=1500&search_path=app,public&x-no-lock=true&application_name=a",
        )
        .unwrap();
        assert_eq!(
            o.url,
            "postgres://u:p@h:5432/my%20db?sslmode=disable&application_name=a"
        );
        assert_eq!(o.path.as_deref(), Some("/my db"));
        assert_eq!(o.table.as_deref(), Some("mig"));
        assert_eq!(o.statement_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(o.search_path.as_deref(), Some("app,public"));
        assert!(o.no_lock);
        let o = parse("postgres://h").unwrap();
        assert_eq!((o.url.as_str(), o.path), ("postgres://h", None));
        let o = parse("host=h dbname=x").unwrap();
        assert_eq!((o.url.as_str(), o.path), ("host=h dbname=x", None));
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
