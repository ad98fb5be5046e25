//! The error of a migration file that failed: the file, where in it, and what to do.

use crate::error::{Error, ErrorKind};

/// The error of a failed file: its name, where the failing statement is, the server's
/// message and SQLSTATE, and what to do.
pub(crate) fn file_error(e: tokio_postgres::Error, name: &str, sql: &str, version: i64) -> Error {
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
    message.push_str("; the database is dirty at version ");
    message.push_str(&version.to_string());
    message.push_str(": fix it, then force the version");
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
