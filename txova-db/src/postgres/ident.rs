//! SQL identifiers given as strings at run time: checked, and quoted only when needed.

use std::borrow::Cow;

use crate::error::{Error, Result};

/// One identifier as SQL: bare when it can be, else double-quoted with `"` doubled.
pub(crate) fn quote(name: &str) -> Result<Cow<'_, str>> {
    if name.is_empty() {
        return Err(Error::invalid_input("an identifier cannot be empty"));
    }
    if name.contains('\0') {
        return Err(Error::invalid_input(format!(
            "identifier {name:?} contains a NUL character"
        )));
    }
    if name.len() > 63 {
        return Err(Error::invalid_input(format!(
            "identifier `{name}` is longer than PostgreSQL's 63 bytes"
        )));
    }
    // The macros quote with the same rule, so a name comes out the same from `select!` and
    // from the run-time builder.
    Ok(txova_db_core::ident::quote(name))
}

/// A possibly qualified name written as a string, `users` or `billing.invoices`, as SQL. Each
/// part is an identifier on its own; a part already in double quotes is kept as written.
pub(crate) fn qualified(name: &str) -> Result<String> {
    let bad = || {
        Error::invalid_input(format!(
            "`{name}` is not a name: write `column`, `table.column` or `\"Quoted Name\"`"
        ))
    };
    let mut out = String::with_capacity(name.len() + 2);
    let mut rest = name;
    let mut parts = 0;
    loop {
        if rest.starts_with('"') {
            // Find the closing quote, skipping doubled quotes.
            let bytes = rest.as_bytes();
            let mut i = 1;
            let end = loop {
                match bytes.get(i) {
                    Some(b'"') if bytes.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => break i,
                    Some(_) => i += 1,
                    None => return Err(bad()),
                }
            };
            if end == 1 {
                return Err(bad());
            }
            out.push_str(&rest[..=end]);
            rest = &rest[end + 1..];
        } else {
            let end = rest.find('.').unwrap_or(rest.len());
            let part = &rest[..end];
            if part.is_empty()
                || !part
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
                || part.starts_with(|c: char| c.is_ascii_digit())
            {
                return Err(bad());
            }
            out.push_str(&quote(part)?);
            rest = &rest[end..];
        }
        parts += 1;
        if rest.is_empty() {
            break;
        }
        rest = rest.strip_prefix('.').ok_or_else(bad)?;
        if parts >= 3 {
            return Err(bad());
        }
        out.push('.');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(quote("created_at").unwrap(), "created_at");
        assert_eq!(quote("order").unwrap(), "\"order\"");
        assert_eq!(quote("user").unwrap(), "\"user\"");
        assert_eq!(quote("userId").unwrap(), "\"userId\"");
        assert_eq!(quote("a\"b").unwrap(), "\"a\"\"b\"");
        assert_eq!(quote("9lives").unwrap(), "\"9lives\"");
        assert!(quote("").is_err());
        assert!(quote(&"x".repeat(64)).is_err());
    }

    #[test]
    fn qualified_names() {
        assert_eq!(qualified("billing.invoices").unwrap(), "billing.invoices");
        assert_eq!(qualified("public.user").unwrap(), "public.\"user\"");
        assert_eq!(qualified("\"My Table\".id").unwrap(), "\"My Table\".id");
        for bad in [
            "",
            "a b",
            "a;drop table x",
            "a..b",
            "a.",
            "\"open",
            "1a",
            "a.b.c.d",
            "f(x)",
        ] {
            assert!(qualified(bad).is_err(), "{bad:?} must be refused");
        }
    }
}
