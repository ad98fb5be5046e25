//! The error of a migration file that failed: the file, where in it, and what to do.

use crate::error::{Error, ErrorKind};

/// Where a failed migration left the database, and what to do: the version to force.
///
/// `before` is the version the database was at before the file ran and `version` the one
/// marked dirty. A file sent as one batch without transaction control runs as one implicit
/// transaction, so when it fails none of it stays: the database is really at `before`.
pub(crate) fn what_to_do(sql: &str, before: i64, version: i64) -> String {
    if runs_as_one_transaction(sql) {
        format!(
            "; the database is marked dirty at version {version}, but the file ran as one \
             transaction and none of it was applied, so it is really at version {before}: fix \
             the file, then force {before} and migrate again"
        )
    } else {
        format!(
            "; the database is dirty at version {version}: the file commits on its own, so \
             check what it applied, then force the version it is really at ({before} if none \
             of it was applied, {version} if all of it was)"
        )
    }
}

/// Whether a file fails as a whole: no word in it could end a transaction part way
/// (`COMMIT`, `END`) or do work outside one (`CONCURRENTLY`). Comments and strings are not
/// told apart, which can only make the answer "no", the cautious one.
fn runs_as_one_transaction(sql: &str) -> bool {
    !sql.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| {
            w.eq_ignore_ascii_case("commit")
                || w.eq_ignore_ascii_case("end")
                || w.eq_ignore_ascii_case("concurrently")
        })
}

/// The error of a failed file: its name, where the failing statement is, the server's
/// message and SQLSTATE, and what to do.
pub(crate) fn file_error(
    e: tokio_postgres::Error,
    name: &str,
    sql: &str,
    before: i64,
    version: i64,
) -> Error {
    let Some(db) = e.as_db_error() else {
        return Error::from(e).context(format!(
            "migration {name} failed; the database is dirty at version {version}"
        ));
    };
    let mut message = format!("migration {name} failed");
    if let Some(tokio_postgres::error::ErrorPosition::Original(pos)) = db.position()
        && let Some((line, column)) = line_column(sql, *pos)
    {
        use std::fmt::Write;
        let _ = write!(message, " at line {line}, column {column}");
    }
    message.push_str(": ");
    message.push_str(db.message());
    if let Some(detail) = db.detail() {
        message.push_str(" (");
        message.push_str(detail);
        message.push(')');
    }
    message.push_str(" [SQLSTATE ");
    message.push_str(db.code().code());
    message.push(']');
    message.push_str(&what_to_do(sql, before, version));
    let err = Error::from(e);
    let kind = if err.kind() == ErrorKind::Timeout {
        ErrorKind::Timeout
    } else {
        ErrorKind::Migration
    };
    err.reframe(kind, message)
}

/// The 1-based line and column of the server's 1-based character position in the text as
/// sent (where a `\r` counts), with `\r\n`, `\n` and a lone `\r` each one line break.
fn line_column(sql: &str, position: u32) -> Option<(usize, usize)> {
    let index = usize::try_from(position).ok()?.checked_sub(1)?;
    let mut line = 1;
    let mut column = 1;
    let mut chars = sql.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        if i == index {
            return Some((line, column));
        }
        match c {
            '\r' if chars.peek().is_some_and(|(_, n)| *n == '\n') => {}
            '\n' | '\r' => {
                line += 1;
                column = 1;
            }
            _ => column += 1,
        }
    }
    (index == sql.chars().count()).then_some((line, column))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_transaction_control_fails_as_a_whole() {
        assert!(runs_as_one_transaction(
            "CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);"
        ));
        assert!(!runs_as_one_transaction(
            "BEGIN; CREATE TABLE a (id int); COMMIT;"
        ));
        assert!(!runs_as_one_transaction(
            "CREATE INDEX CONCURRENTLY i ON a (id)"
        ));
        // Cautious: an END in a CASE makes it "maybe not".
        assert!(!runs_as_one_transaction("SELECT CASE WHEN true THEN 1 END"));
        assert!(what_to_do("SELECT 1", 3, 4).contains("force 3"));
        let unsure = what_to_do("COMMIT", 3, 4);
        assert!(
            unsure.contains("3 if none") && unsure.contains("4 if all"),
            "{unsure}"
        );
    }

    #[test]
    fn positions_become_lines_and_columns() {
        let sql = "CREATE TABLE a (id int);\r\nSELEC 1;\nx";
        // The server counts the \r: "SELEC" is character 27.
        assert_eq!(line_column(sql, 27), Some((2, 1)));
        assert_eq!(line_column(sql, 36), Some((3, 1)));
        assert_eq!(line_column(sql, 1), Some((1, 1)));
        assert_eq!(line_column("é\nab", 4), Some((2, 2)));
        assert_eq!(line_column("ab", 0), None);
        assert_eq!(line_column("ab", 9), None);
    }
}
