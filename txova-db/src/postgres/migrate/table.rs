//! golang-migrate's version table, and the history table kept beside it.

use std::time::{Duration, SystemTime};

use super::conn::Conn;
use super::plan::Step;
use crate::error::{Error, ErrorKind, Result};

/// The version recorded in the database: the last migration applied, and whether it failed
/// part way (`dirty`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DbVersion {
    /// The version. `-1` only with `dirty`, when reverting the first migration failed.
    pub version: i64,
    /// Whether the migration to `version` started but did not finish.
    pub dirty: bool,
}

impl std::fmt::Display for DbVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.dirty {
            write!(f, "{} (dirty)", self.version)
        } else {
            write!(f, "{}", self.version)
        }
    }
}

/// One row of the history table for a version: what was last done to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HistoryRow {
    pub(crate) version: i64,
    pub(crate) direction: String,
    pub(crate) checksum: Option<String>,
    pub(crate) applied_at: SystemTime,
    pub(crate) duration: Duration,
}

/// The names of the tables a migrator uses.
#[derive(Debug, Clone)]
pub(crate) struct Tables {
    pub(crate) schema: String,
    pub(crate) table: String,
    pub(crate) history: String,
}

/// `"name"`, doubling embedded quotes, as `pq.QuoteIdentifier` does.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A string literal safe whatever `standard_conforming_strings` says.
fn quote_literal(text: &str) -> String {
    format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

impl Tables {
    pub(crate) fn version_table(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.table))
    }

    pub(crate) fn history_table(&self) -> String {
        format!(
            "{}.{}",
            quote_ident(&self.schema),
            quote_ident(&self.history)
        )
    }

    async fn exists(&self, client: &Conn, name: &str) -> Result<bool> {
        // information_schema first, so a user without CREATE can still read the version.
        let row = client
            .query_one(
                "SELECT COUNT(1) FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2",
                &[&self.schema, &name],
            )
            .await?;
        Ok(row.get::<_, i64>(0) > 0)
    }

    pub(crate) async fn version_table_exists(&self, client: &Conn) -> Result<bool> {
        self.exists(client, &self.table).await
    }

    pub(crate) async fn history_table_exists(&self, client: &Conn) -> Result<bool> {
        self.exists(client, &self.history).await
    }

    /// Creates the version table if missing, with golang-migrate's exact definition.
    pub(crate) async fn ensure_version_table(&self, client: &Conn) -> Result<()> {
        if self.version_table_exists(client).await? {
            return Ok(());
        }
        client
            .batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {} (version bigint not null primary key, dirty boolean not null)",
                self.version_table()
            ))
            .await
            .map_err(|e| {
                e.context(format!(
                    "cannot create the version table {}",
                    self.version_table()
                ))
            })
    }

    /// Creates the history table if missing.
    pub(crate) async fn ensure_history_table(&self, client: &Conn) -> Result<()> {
        if self.history_table_exists(client).await? {
            return Ok(());
        }
        client
            .batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {} (\
                 id bigserial PRIMARY KEY, \
                 version bigint NOT NULL, \
                 direction text NOT NULL CHECK (direction IN ('up', 'down')), \
                 file text, \
                 checksum text, \
                 applied_at timestamptz NOT NULL DEFAULT now(), \
                 duration_ms double precision NOT NULL)",
                self.history_table()
            ))
            .await
            .map_err(|e| {
                e.context(format!(
                    "cannot create the history table {}",
                    self.history_table()
                ))
            })
    }

    /// Reads the version; `None` when the table is missing or empty.
    pub(crate) async fn version(&self, client: &Conn) -> Result<Option<DbVersion>> {
        let rows = match client
            .query(
                &format!(
                    "SELECT version, dirty FROM {} LIMIT 1",
                    self.version_table()
                ),
                &[],
            )
            .await
        {
            Ok(rows) => rows,
            Err(e) if e.code() == Some(tokio_postgres::error::SqlState::UNDEFINED_TABLE.code()) => {
                return Ok(None);
            }
            Err(e) => return Err(e.context("cannot read the migration version")),
        };
        Ok(rows.first().and_then(|row| {
            let version: i64 = row.get(0);
            let dirty: bool = row.get(1);
            (version >= 0 || dirty).then_some(DbVersion { version, dirty })
        }))
    }

    /// golang-migrate's `SetVersion`: TRUNCATE then INSERT, in one transaction (one simple
    /// query is one implicit transaction). `-1` clean leaves the table empty.
    pub(crate) fn set_version_sql(&self, version: i64, dirty: bool) -> String {
        let table = self.version_table();
        let mut sql = format!("TRUNCATE {table}");
        if version >= 0 || dirty {
            use std::fmt::Write;
            let _ = write!(
                sql,
                "; INSERT INTO {table} (version, dirty) VALUES ({version}, {dirty})"
            );
        }
        sql
    }

    pub(crate) fn history_sql(
        &self,
        step: &Step,
        checksum: Option<&str>,
        took: Duration,
    ) -> String {
        format!(
            "INSERT INTO {} (version, direction, file, checksum, duration_ms) VALUES ({}, '{}', {}, {}, {})",
            self.history_table(),
            step.version,
            step.direction.as_str(),
            step.file
                .as_deref()
                .map_or_else(|| "NULL".to_owned(), quote_literal),
            checksum.map_or_else(|| "NULL".to_owned(), quote_literal),
            took.as_secs_f64() * 1000.0,
        )
    }

    /// The last history row of every version.
    pub(crate) async fn history(&self, client: &Conn) -> Result<Vec<HistoryRow>> {
        let rows = client
            .query(
                &format!(
                    "SELECT DISTINCT ON (version) version, direction, checksum, applied_at, duration_ms \
                     FROM {} ORDER BY version, id DESC",
                    self.history_table()
                ),
                &[],
            )
            .await
            .map_err(|e| e.context("cannot read the migration history"))?;
        rows.iter()
            .map(|row| {
                let ms: f64 = row.try_get(4)?;
                Ok(HistoryRow {
                    version: row.try_get(0)?,
                    direction: row.try_get(1)?,
                    checksum: row.try_get(2)?,
                    applied_at: row.try_get(3)?,
                    duration: Duration::try_from_secs_f64(ms / 1000.0).unwrap_or_default(),
                })
            })
            .collect::<std::result::Result<_, tokio_postgres::Error>>()
            .map_err(|e| {
                Error::with_source(
                    ErrorKind::Migration,
                    "the migration history table has an unexpected shape",
                    e,
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_literals_are_quoted() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's a\\b"), "E'it''s a\\\\b'");
        let t = Tables {
            schema: "public".into(),
            table: "schema_migrations".into(),
            history: "schema_migrations_history".into(),
        };
        assert_eq!(
            t.set_version_sql(3, true),
            "TRUNCATE \"public\".\"schema_migrations\"; INSERT INTO \"public\".\"schema_migrations\" (version, dirty) VALUES (3, true)"
        );
        assert_eq!(
            t.set_version_sql(-1, false),
            "TRUNCATE \"public\".\"schema_migrations\""
        );
        assert!(t.set_version_sql(-1, true).ends_with("VALUES (-1, true)"));
    }
}
