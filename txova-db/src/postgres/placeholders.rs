//! `?` placeholders in hand-written SQL fragments, rewritten to PostgreSQL's `$n`.
//!
//! A `?` is a placeholder only in SQL proper: inside string literals (`'...'`, `E'...'`),
//! quoted identifiers (`"..."`), comments (`-- ...`, `/* ... */`, nested) and dollar-quoted
//! text (`$$...$$`, `$tag$...$tag$`) it is left alone. `??` stands for a literal `?`, for the
//! jsonb operators `?`, `?|` and `?&`.

use std::fmt::Write;

use crate::error::{Error, Result};

/// What a scan of one fragment found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Scanned {
    /// How many placeholders it holds.
    pub(crate) placeholders: usize,
    /// An `OR` outside parentheses, quotes and comments: the fragment needs parentheses
    /// before it is joined with `AND`.
    pub(crate) top_level_or: bool,
    /// The fragment ends inside a `--` comment: what follows must start on a new line.
    pub(crate) ends_in_line_comment: bool,
}

/// Appends `fragment` to `out` with each placeholder replaced by `$n`, numbering from `next`.
pub(crate) fn rewrite_into(out: &mut String, fragment: &str, next: usize) -> Result<Scanned> {
    scan(Some(out), fragment, next)
}

/// Checks `fragment` as [`rewrite_into`] does, writing nothing.
pub(crate) fn inspect(fragment: &str) -> Result<Scanned> {
    scan(None, fragment, 1)
}

/// Checks that `fragment` holds exactly `expected` placeholders.
pub(crate) fn check(fragment: &str, expected: usize) -> Result<()> {
    let found = inspect(fragment)?.placeholders;
    if found != expected {
        return Err(Error::invalid_input(format!(
            "SQL fragment `{fragment}` has {found} placeholder(s) but {expected} value(s) were given"
        )));
    }
    Ok(())
}

/// The one pass over a fragment behind [`rewrite_into`] and [`inspect`]; writes to `out` when
/// there is one.
fn scan(mut out: Option<&mut String>, fragment: &str, next: usize) -> Result<Scanned> {
    let bytes = fragment.as_bytes();
    let mut found = Scanned::default();
    let mut depth = 0_i32;
    let mut i = 0;
    // Start of the text not yet copied to `out`.
    let mut copied = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'?' => {
                let double = bytes.get(i + 1) == Some(&b'?');
                if let Some(out) = out.as_deref_mut() {
                    out.push_str(&fragment[copied..i]);
                    if double {
                        out.push('?');
                    } else {
                        let _ = write!(out, "${}", next + found.placeholders);
                    }
                }
                if double {
                    i += 2;
                } else {
                    found.placeholders += 1;
                    i += 1;
                }
                copied = i;
            }
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                depth -= 1;
                i += 1;
            }
            b'o' | b'O'
                if depth == 0
                    && bytes
                        .get(i + 1)
                        .is_some_and(|c| c.eq_ignore_ascii_case(&b'r'))
                    && (i == 0 || !is_ident_byte(bytes[i - 1]))
                    && bytes.get(i + 2).is_none_or(|c| !is_ident_byte(*c)) =>
            {
                found.top_level_or = true;
                i += 2;
            }
            b'\'' => {
                let escapes = i > 0
                    && matches!(bytes[i - 1], b'E' | b'e')
                    && (i < 2 || !is_ident_byte(bytes[i - 2]));
                i = skip_quoted(fragment, i, b'\'', escapes)?;
            }
            b'"' => i = skip_quoted(fragment, i, b'"', false)?,
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                if let Some(n) = fragment[i..].find('\n') {
                    i += n + 1;
                } else {
                    found.ends_in_line_comment = true;
                    i = bytes.len();
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = skip_block_comment(fragment, i)?,
            b'$' => i = skip_dollar(fragment, i)?,
            _ => i += 1,
        }
    }
    if let Some(out) = out {
        out.push_str(&fragment[copied..]);
    }
    Ok(found)
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn unterminated(what: &str, fragment: &str) -> Error {
    Error::invalid_input(format!("unterminated {what} in SQL fragment `{fragment}`"))
}

/// Skips a quoted run starting at `start`; a doubled quote stays inside, and so does a
/// backslash-escaped one when `escapes` is set.
fn skip_quoted(fragment: &str, start: usize, quote: u8, escapes: bool) -> Result<usize> {
    let bytes = fragment.as_bytes();
    let mut i = start + 1;
    while i < bytes.len() {
        let b = bytes[i];
        if escapes && b == b'\\' {
            i += 2;
        } else if b == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return Ok(i + 1);
            }
        } else {
            i += 1;
        }
    }
    Err(unterminated(
        if quote == b'"' {
            "quoted identifier"
        } else {
            "string literal"
        },
        fragment,
    ))
}

fn skip_block_comment(fragment: &str, start: usize) -> Result<usize> {
    let bytes = fragment.as_bytes();
    let mut depth = 0;
    let mut i = start;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Ok(i);
                }
            }
            _ => i += 1,
        }
    }
    Err(unterminated("comment", fragment))
}

/// At a `$`: a dollar-quoted run (`$$...$$`, `$tag$...$tag$`) is skipped whole; `$1` is
/// refused, since mixing numbered parameters with `?` would bind values to the wrong places.
fn skip_dollar(fragment: &str, start: usize) -> Result<usize> {
    let bytes = fragment.as_bytes();
    // `$` inside an identifier (`a$b`) is an ordinary character.
    if start > 0 && is_ident_byte(bytes[start - 1]) {
        return Ok(start + 1);
    }
    if bytes.get(start + 1).is_some_and(u8::is_ascii_digit) {
        return Err(Error::invalid_input(format!(
            "SQL fragment `{fragment}` uses a numbered parameter; write `?` and pass the value, \
             the numbers are assigned when the query is built"
        )));
    }
    let tag_end = bytes[start + 1..]
        .iter()
        .position(|b| !is_ident_byte(*b))
        .map(|n| start + 1 + n);
    match tag_end {
        Some(end) if bytes[end] == b'$' => {
            let tag = &fragment[start..=end];
            match fragment[end + 1..].find(tag) {
                Some(n) => Ok(end + 1 + n + tag.len()),
                None => Err(unterminated("dollar-quoted text", fragment)),
            }
        }
        _ => Ok(start + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(s: &str) -> Result<(String, usize)> {
        let mut out = String::new();
        let n = rewrite_into(&mut out, s, 1)?.placeholders;
        Ok((out, n))
    }

    #[test]
    fn numbers_placeholders_in_order() {
        assert_eq!(
            rewrite("a = ? AND b > ?").unwrap(),
            ("a = $1 AND b > $2".to_owned(), 2)
        );
        let mut out = String::new();
        assert_eq!(
            rewrite_into(&mut out, "x BETWEEN ? AND ?", 4)
                .unwrap()
                .placeholders,
            2
        );
        assert_eq!(out, "x BETWEEN $4 AND $5");
    }

    #[test]
    fn leaves_quoted_text_and_comments_alone() {
        let cases = [
            ("s = '?' AND t = ?", "s = '?' AND t = $1"),
            ("s = 'it''s ?' AND t = ?", "s = 'it''s ?' AND t = $1"),
            ("s = E'\\'?' AND t = ?", "s = E'\\'?' AND t = $1"),
            ("\"we?ird\" = ?", "\"we?ird\" = $1"),
            ("a = ? -- why?\n AND b = ?", "a = $1 -- why?\n AND b = $2"),
            (
                "a = ? /* what? /* nested? */ */ AND b = ?",
                "a = $1 /* what? /* nested? */ */ AND b = $2",
            ),
            ("f($$ ? $$) = ?", "f($$ ? $$) = $1"),
            (
                "f($body$ ? $x$ ? $body$) = ?",
                "f($body$ ? $x$ ? $body$) = $1",
            ),
            ("data ?? 'key' AND id = ?", "data ? 'key' AND id = $1"),
            ("a$b = ?", "a$b = $1"),
        ];
        for (input, want) in cases {
            assert_eq!(rewrite(input).unwrap().0, want, "{input}");
        }
    }

    #[test]
    fn refuses_numbered_parameters_and_unterminated_text() {
        for bad in [
            "a = $1",
            "a = 'open",
            "\"open = ?",
            "a = ? /* open",
            "$$ open",
        ] {
            let err = rewrite(bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn or_and_trailing_comments_are_found() {
        let or = |s: &str| inspect(s).unwrap().top_level_or;
        assert!(or("a = ? OR b = ?"));
        assert!(or("a = ? or b = ?"));
        assert!(!or("(a = ? OR b = ?)"));
        assert!(!or("name = ') OR x'"), "inside a literal");
        assert!(
            or("name = ')' OR id = ?"),
            "a quoted paren does not hide the OR"
        );
        assert!(!or("\"o r\" = ? AND color = ? AND order_id = ?"));
        assert!(!or("a = ? -- or b"));
        assert!(!or("a = ? /* or */"));
        assert!(!or("f($$ or $$) = ?"));
        let comment = |s: &str| inspect(s).unwrap().ends_in_line_comment;
        assert!(comment("a = ? -- why"));
        assert!(!comment("a = ? -- why\n"));
        assert!(!comment("a = '--' AND b = ?"));
    }

    #[test]
    fn count_must_match() {
        let err = check("a = ? AND b = ?", 1).unwrap_err();
        assert!(
            err.to_string().contains("2 placeholder(s) but 1 value(s)"),
            "{err}"
        );
        check("a = ? AND b = '?' AND c ?? 'k'", 1).unwrap();
        assert_eq!(inspect("a = ? AND b = ?").unwrap().placeholders, 2);
        assert!(
            inspect("a = '?").is_err(),
            "an unterminated literal is refused"
        );
    }
}
