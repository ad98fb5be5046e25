//! SQL identifiers: PostgreSQL's reserved words, when a name must be quoted, and the
//! `snake_case` form of a Rust name.

use std::borrow::Cow;

/// Words PostgreSQL reserves, plus those it allows as function or type names only, plus
/// `between` and `system_user` (reserved from PostgreSQL 16): as a column or table name they
/// are quoted. Sorted, for binary search.
pub const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// Whether `name` is in [`RESERVED`]: the words of its first letter, found by a binary search
/// on that byte alone, are compared whole, so most names cost no `memcmp`.
#[must_use]
pub fn is_reserved(name: &str) -> bool {
    let Some(&first) = name.as_bytes().first() else {
        return false;
    };
    let start = RESERVED.partition_point(|w| w.as_bytes()[0] < first);
    RESERVED[start..]
        .iter()
        .take_while(|w| w.as_bytes()[0] == first)
        .any(|w| *w == name)
}

/// Whether PostgreSQL reads `name` back unchanged without quotes: a lowercase letter or `_`,
/// then lowercase letters, digits, `_` or `$`, and not a reserved word.
#[must_use]
pub fn is_bare(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_lowercase() || first == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !is_reserved(name)
}

/// `name` as written in SQL: as is when it [`is_bare`], else in double quotes with `"`
/// doubled. Checking that it is a usable name (not empty, no NUL, at most 63 bytes) is the
/// caller's.
#[must_use]
pub fn quote(name: &str) -> Cow<'_, str> {
    if is_bare(name) {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("\"{}\"", name.replace('"', "\"\"")))
    }
}

/// `name` in `snake_case`: `UserProfile` -> `user_profile`.
#[must_use]
pub fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_list_is_sorted() {
        assert!(RESERVED.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn reserved_lookup_finds_every_word_and_nothing_else() {
        for w in RESERVED {
            assert!(is_reserved(w), "{w}");
            assert!(!is_reserved(&format!("{w}s")), "{w}s");
            assert!(!is_reserved(&w[..w.len() - 1]) || RESERVED.contains(&&w[..w.len() - 1]));
        }
        for name in ["", "id", "users", "created_at", "zebra", "_x"] {
            assert!(!is_reserved(name), "{name}");
        }
    }

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        assert_eq!(quote("users"), "users");
        assert_eq!(quote("created_at"), "created_at");
        assert_eq!(quote("order"), "\"order\"");
        assert_eq!(quote("between"), "\"between\"");
        assert_eq!(quote("userName"), "\"userName\"");
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote("1abc"), "\"1abc\"");
        assert_eq!(quote(""), "\"\"");
    }

    #[test]
    fn names_convert() {
        assert_eq!(snake_case("UserProfile"), "user_profile");
        assert_eq!(snake_case("User"), "user");
        assert_eq!(snake_case("user_id"), "user_id");
    }
}
