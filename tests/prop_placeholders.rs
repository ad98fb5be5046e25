//! Properties of the `?` placeholder scanner behind the builder's hand-written fragments,
//! against a reference model: fragments are generated as tokens (placeholders, words, `or`,
//! parentheses, string literals, `E''` strings, quoted identifiers, comments, dollar-quoted
//! text) whose meaning is known, so the expected rewrite, count and flags follow from the
//! tokens alone.

use proptest::prelude::*;
use txova_db::__private::entry::{Scanned, check_placeholders, rewrite_placeholders};

/// One token of a generated fragment; tokens are joined by a space.
#[derive(Debug, Clone)]
enum Tok {
    /// `?`: a placeholder.
    Placeholder,
    /// `??`: a literal `?` (jsonb operators).
    Literal,
    /// A word or operator with no special meaning.
    Word(&'static str),
    /// `or` in any case.
    Or(&'static str),
    Open,
    Close,
    /// Text that hides everything inside it: a string, identifier, comment or dollar quote.
    Opaque(String),
    /// A `--` comment running to the end of the fragment.
    TrailingComment(String),
}

fn join(units: &[&'static str], sep: &str) -> String {
    units.join(sep)
}

fn units(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(prop::sample::select(pool), 0..6)
}

/// Text inside which `?`, `or`, parentheses and other quotes mean nothing.
fn opaque() -> impl Strategy<Value = String> {
    prop_oneof![
        units(&[
            "a", "?", "''", "\\", "or", "(", ")", "\"", "$", "$1", "--", "/*", "é", "\n"
        ])
        .prop_map(|u| format!("'{}'", join(&u, ""))),
        units(&["a", "?", "''", "\\'", "\\\\", "or", ")", "\"", "$$", "é"])
            .prop_map(|u| format!("E'{}'", join(&u, ""))),
        units(&["a", "?", "\"\"", "'", "$", "or", "(", "--", "é"])
            .prop_map(|u| format!("\"{}\"", join(&u, ""))),
        units(&["a", "?", "'", "\"", "$$", "or", "(", "/*", "*", "/", "$1"])
            .prop_map(|u| format!("-- {}\n", join(&u, " "))),
        (
            units(&["a", "?", "'", "\"", "$$", "or", ")", "--", "*", "/", "$1"]),
            any::<bool>()
        )
            .prop_map(|(u, nested)| {
                let inner = if nested { " /* ? or ' */ " } else { " " };
                format!("/* {}{inner}*/", join(&u, " "))
            }),
        (
            prop::sample::select(&["", "t", "tag_1", "é"][..]),
            units(&["a", "?", "'", "\"", "$", "or", "(", "--", "/*", "$1", "$x$"])
        )
            .prop_map(|(tag, u)| format!("${tag}$ {} ${tag}$", join(&u, " "))),
    ]
}

fn token() -> impl Strategy<Value = Tok> {
    prop_oneof![
        4 => Just(Tok::Placeholder),
        1 => Just(Tok::Literal),
        4 => prop::sample::select(
            &["a", "x1", "nor", "ore", "order", "a$b", "E", "12", "=", "<>", "::", "||", "*", "-", "/", "->"][..]
        )
        .prop_map(Tok::Word),
        1 => prop::sample::select(&["or", "OR", "Or"][..]).prop_map(Tok::Or),
        1 => Just(Tok::Open),
        1 => Just(Tok::Close),
        3 => opaque().prop_map(Tok::Opaque),
    ]
}

fn fragment() -> impl Strategy<Value = Vec<Tok>> {
    (
        prop::collection::vec(token(), 0..24),
        prop::option::of(units(&["a", "?", "'", "or", "("]).prop_map(|u| join(&u, " "))),
    )
        .prop_map(|(mut toks, trailing)| {
            if let Some(t) = trailing {
                toks.push(Tok::TrailingComment(format!("-- {t}")));
            }
            toks
        })
}

/// The reference: the fragment's text, its rewrite numbered from `next`, and what a scan
/// must find.
fn model(toks: &[Tok], next: usize) -> (String, String, Scanned) {
    let mut text = Vec::new();
    let mut rewritten = Vec::new();
    let mut found = Scanned {
        placeholders: 0,
        top_level_or: false,
        ends_in_line_comment: false,
    };
    let mut depth = 0_i32;
    for t in toks {
        let (src, out) = match t {
            Tok::Placeholder => {
                let n = next + found.placeholders;
                found.placeholders += 1;
                ("?".to_owned(), format!("${n}"))
            }
            Tok::Literal => ("??".to_owned(), "?".to_owned()),
            Tok::Word(w) => ((*w).to_owned(), (*w).to_owned()),
            Tok::Or(w) => {
                found.top_level_or |= depth == 0;
                ((*w).to_owned(), (*w).to_owned())
            }
            Tok::Open => {
                depth += 1;
                ("(".to_owned(), "(".to_owned())
            }
            Tok::Close => {
                depth -= 1;
                (")".to_owned(), ")".to_owned())
            }
            Tok::Opaque(s) => (s.clone(), s.clone()),
            Tok::TrailingComment(s) => {
                found.ends_in_line_comment = true;
                (s.clone(), s.clone())
            }
        };
        text.push(src);
        rewritten.push(out);
    }
    (text.join(" "), rewritten.join(" "), found)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn the_scanner_agrees_with_the_token_model(toks in fragment(), next in 1usize..200) {
        let (text, want, found) = model(&toks, next);
        let (got, scanned) = rewrite_placeholders(&text, next)
            .map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        prop_assert_eq!(&got, &want, "fragment {:?}", text);
        prop_assert_eq!(scanned, found, "fragment {:?}", text);
        prop_assert!(check_placeholders(&text, found.placeholders).is_ok());
        prop_assert!(check_placeholders(&text, found.placeholders + 1).is_err());
    }

    #[test]
    fn unterminated_text_and_numbered_parameters_are_refused(
        toks in fragment(),
        bad in prop::sample::select(&["'abc", "E'a\\'", "\"col", "/* a /* b */", "$t$ a $$", "$$ a", "$1", "$12"][..]),
    ) {
        // Before any trailing comment, which would hide it.
        let toks: Vec<Tok> = toks.into_iter().filter(|t| !matches!(t, Tok::TrailingComment(_))).collect();
        let (text, _, _) = model(&toks, 1);
        let text = format!("{text} {bad}");
        prop_assert!(rewrite_placeholders(&text, 1).is_err(), "accepted {:?}", text);
        prop_assert!(check_placeholders(&text, 0).is_err());
    }

    #[test]
    fn any_text_is_scanned_without_panic_and_consistently(text in "\\PC{0,64}|[?'\"$()/*\\-eEor1 \n]{0,32}") {
        match rewrite_placeholders(&text, 1) {
            Ok((out, scanned)) => {
                prop_assert!(check_placeholders(&text, scanned.placeholders).is_ok());
                if !text.contains('?') {
                    prop_assert_eq!(out, text);
                }
            }
            Err(e) => prop_assert_eq!(e.kind(), txova_db::ErrorKind::InvalidInput),
        }
    }
}
