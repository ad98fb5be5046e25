//! Template checks: the seed's key conventions, enforced at compile time.

use super::parse::{Decl, Decls};

/// A template split into what `expand` writes.
pub(crate) enum Piece {
    /// Fixed text, `:` separators included.
    Literal(String),
    /// The index of the parameter whose escaped value goes here.
    Param(usize),
}

/// Checks every declaration; returns the pieces of each template (empty for a broken one)
/// and every mistake found, each on its narrowest span.
pub(crate) fn check(decls: &Decls) -> (Vec<Vec<Piece>>, Vec<syn::Error>) {
    let mut errors = Vec::new();
    let templates = decls
        .decls
        .iter()
        .map(|d| check_decl(d, &mut errors))
        .collect();
    (templates, errors)
}

fn check_decl(decl: &Decl, errors: &mut Vec<syn::Error>) -> Vec<Piece> {
    let lit = &decl.template;
    let template = lit.value();
    let before = errors.len();
    let mut err = |msg: String| errors.push(syn::Error::new(lit.span(), msg));
    let mut used = vec![false; decl.params.len()];
    let mut pieces: Vec<Piece> = Vec::new();
    let mut literal = String::new();
    let segments: Vec<&str> = template.split(':').collect();
    if segments.len() < 2 {
        err(format!(
            "cache key template `{template}` needs at least two segments separated by `:`, like `service:entity:{{id}}`"
        ));
    }
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            literal.push(':');
        }
        if segment.is_empty() {
            err(format!(
                "cache key template `{template}` has an empty segment; remove the doubled, leading or trailing `:`"
            ));
        } else if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            if i == 0 {
                err(format!(
                    "cache key template `{template}` must start with a fixed service name, not `{{{name}}}`"
                ));
            }
            match decl.params.iter().position(|p| p.name == name) {
                Some(idx) => {
                    used[idx] = true;
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    pieces.push(Piece::Param(idx));
                }
                None => err(format!(
                    "`{{{name}}}` in cache key template `{template}` names no parameter of `{}`; add a parameter `{name}` or fix the name",
                    decl.name
                )),
            }
        } else if segment.contains(['{', '}']) {
            // The parameters it names count as used: one mistake, one error.
            for (idx, p) in decl.params.iter().enumerate() {
                if segment.contains(&format!("{{{}}}", p.name)) {
                    used[idx] = true;
                }
            }
            err(format!(
                "segment `{segment}` of cache key template `{template}` mixes text and a placeholder; a placeholder must be a whole segment, like `page:{{page}}`"
            ));
        } else if let Err(why) = txova_db_core::key::check_name(segment) {
            err(format!(
                "segment `{}` of cache key template `{}` is not a name: {why}",
                segment.escape_debug(),
                template.escape_debug()
            ));
        } else {
            literal.push_str(segment);
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    for (param, used) in decl.params.iter().zip(used) {
        if !used {
            errors.push(syn::Error::new(
                param.name.span(),
                format!(
                    "parameter `{}` is not used in cache key template `{template}`; add `{{{}}}` to it or remove the parameter",
                    param.name, param.name
                ),
            ));
        }
    }
    if errors.len() > before {
        Vec::new()
    } else {
        pieces
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors_of(src: &str) -> Vec<String> {
        let d: Decls = syn::parse_str(src).unwrap();
        check(&d).1.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn good_templates_pass() {
        assert!(errors_of(r#"fn a(id: u64) -> U = "user:profile:{id}";"#).is_empty());
        assert!(
            errors_of(r#"fn a(u: u64, p: u32) -> U = "ride:history:list:user:{u}:page:{p}";"#)
                .is_empty()
        );
        assert!(errors_of(r#"fn a() -> U = "pricing:config:maputo_2-x";"#).is_empty());
    }

    #[test]
    fn broken_templates_fail() {
        for (src, needle) in [
            (r#"fn a() -> U = "user";"#, "at least two segments"),
            (r#"fn a(id: u8) -> U = "user::{id}";"#, "empty segment"),
            (r#"fn a(id: u8) -> U = "{id}:x";"#, "fixed service name"),
            (
                r#"fn a(id: u8) -> U = "user:{idd}:{id}";"#,
                "names no parameter",
            ),
            (r#"fn a(id: u8) -> U = "user:p-{id}";"#, "whole segment"),
            (r#"fn a() -> U = "User:x";"#, "contains 'U'"),
            (r#"fn a(id: u8) -> U = "svc:a b:{id}";"#, "contains ' '"),
            (r#"fn a(id: u8) -> U = "svc:a\nb:{id}";"#, "contains '\\n'"),
            (r#"fn a(id: u8) -> U = "user:x";"#, "not used"),
        ] {
            let errors = errors_of(src);
            assert!(
                errors.iter().any(|e| e.contains(needle)),
                "{src}: {errors:?}"
            );
        }
    }
}
