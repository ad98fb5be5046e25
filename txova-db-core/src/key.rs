//! The one rule for the segments of Redis keys: cache keys (the templates of `cache_keys!`,
//! their parameter values, `CacheKey::parse`), lock keys, rate-limit keys and session user
//! ids.
//!
//! A key is segments separated by `:`. A segment is not empty and holds no `:`, `{` or `}`
//! (a key's hash tag is the library's to choose), no whitespace and no control character.
//! The fixed segments of a key template, its service and entity names, are moreover
//! [names](check_name): lowercase ASCII letters, digits, `_` and `-`. A value the library
//! escapes into a segment (a template parameter, a session's user id) has `%`, `:`, `{` and
//! `}` escaped, so it only has to [be non-empty and free of whitespace and control
//! characters](check_value): after escaping, it is a valid segment.

use std::fmt;

/// Why a segment or a key breaks the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// The key or a segment is empty (a doubled, leading or trailing `:`).
    Empty,
    /// A character a segment may not hold.
    Forbidden(char),
    /// A character outside a name's lowercase letters, digits, `_` and `-`.
    NotName(char),
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Empty => f.write_str("it has an empty segment"),
            Violation::Forbidden(c @ ('{' | '}')) => {
                write!(f, "it contains {c:?}; hash tags are not allowed")
            }
            Violation::Forbidden(':') => f.write_str("it contains ':', the segment separator"),
            Violation::Forbidden(c) => write!(
                f,
                "it contains {c:?}; whitespace and control characters are not allowed"
            ),
            Violation::NotName(c) => write!(
                f,
                "it contains {c:?}; names use lowercase letters, digits, `_` and `-`"
            ),
        }
    }
}

impl std::error::Error for Violation {}

/// Whether `c` may stand in a segment.
#[must_use]
pub fn is_segment_char(c: char) -> bool {
    !matches!(c, ':' | '{' | '}') && !c.is_whitespace() && !c.is_control()
}

/// Whether `c` may stand in a name (a fixed segment of a template): lowercase ASCII letters,
/// digits, `_` and `-`.
#[must_use]
pub const fn is_name_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'
}

/// Checks one segment.
pub fn check_segment(segment: &str) -> Result<(), Violation> {
    if segment.is_empty() {
        return Err(Violation::Empty);
    }
    match segment.chars().find(|c| !is_segment_char(*c)) {
        Some(c) => Err(Violation::Forbidden(c)),
        None => Ok(()),
    }
}

/// Checks a value that the library escapes into one segment (a `cache_keys!` parameter, a
/// session's user id): `%`, `:`, `{` and `}` are escaped, so the value only has to be
/// non-empty and free of whitespace and control characters.
pub fn check_value(value: &str) -> Result<(), Violation> {
    if value.is_empty() {
        return Err(Violation::Empty);
    }
    match value.chars().find(|c| c.is_whitespace() || c.is_control()) {
        Some(c) => Err(Violation::Forbidden(c)),
        None => Ok(()),
    }
}

/// Checks a name: a segment of only lowercase letters, digits, `_` and `-`.
pub fn check_name(name: &str) -> Result<(), Violation> {
    check_segment(name)?;
    match name.chars().find(|c| !is_name_char(*c)) {
        Some(c) => Err(Violation::NotName(c)),
        None => Ok(()),
    }
}

/// Checks a whole key: one or more segments separated by single `:`.
pub fn check_key(key: &str) -> Result<(), Violation> {
    key.split(':').try_for_each(check_segment)
}

/// Whether `prefix` is one or more [names](check_name) separated by single `:`. A `const
/// fn`, so generated code can check a prefix at compile time.
#[must_use]
pub const fn is_valid_name_prefix(prefix: &str) -> bool {
    let b = prefix.as_bytes();
    if b.is_empty() || b[0] == b':' || b[b.len() - 1] == b':' {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b':' {
            if b[i - 1] == b':' {
                return false;
            }
        } else if !is_name_char(c as char) {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments() {
        for good in ["a", "42", "Ana", "a%3Ab", "é", "user@example.com", "-_."] {
            assert_eq!(check_segment(good), Ok(()), "{good}");
        }
        assert_eq!(check_segment(""), Err(Violation::Empty));
        for (bad, c) in [
            ("a b", ' '),
            ("a\nb", '\n'),
            ("a\tb", '\t'),
            ("a:b", ':'),
            ("{a}", '{'),
            ("a}", '}'),
            ("a\u{0}", '\u{0}'),
            ("a\u{a0}", '\u{a0}'),
        ] {
            assert_eq!(check_segment(bad), Err(Violation::Forbidden(c)), "{bad:?}");
        }
    }

    #[test]
    fn values() {
        for good in ["a", "a:b{c}%", "é@x.com", "ana<&>\"é:{x}"] {
            assert_eq!(check_value(good), Ok(()), "{good}");
        }
        assert_eq!(check_value(""), Err(Violation::Empty));
        for bad in [" ", "a b", "c\nd", "\u{2028}", "\u{7f}"] {
            assert!(
                matches!(check_value(bad), Err(Violation::Forbidden(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn keys() {
        for good in ["a", "user:profile:42", "ratelimit:api:user123"] {
            assert_eq!(check_key(good), Ok(()), "{good}");
        }
        for bad in ["", ":", "a:", ":a", "a::b", "a:b c", "a:{b}", "a\n"] {
            assert!(check_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(check_name("user_2-x"), Ok(()));
        assert_eq!(check_name("User"), Err(Violation::NotName('U')));
        assert_eq!(check_name("a b"), Err(Violation::Forbidden(' ')));
        assert_eq!(check_name(""), Err(Violation::Empty));
        assert!(is_valid_name_prefix("user:profile"));
        assert!(is_valid_name_prefix("user_2:pro-file"));
        for bad in ["", ":a", "a:", "a::b", "User", "a b", "a{b}", "é"] {
            assert!(!is_valid_name_prefix(bad), "{bad}");
        }
        // The const and the run-time forms agree.
        for p in ["a:b", "a:B", "a::b", "a b", "x"] {
            assert_eq!(
                is_valid_name_prefix(p),
                p.split(':').all(|s| check_name(s).is_ok()),
                "{p}"
            );
        }
    }

    #[test]
    fn violations_read_as_sentences() {
        assert_eq!(Violation::Empty.to_string(), "it has an empty segment");
        assert_eq!(
            Violation::Forbidden('\n').to_string(),
            "it contains '\\n'; whitespace and control characters are not allowed"
        );
    }
}
