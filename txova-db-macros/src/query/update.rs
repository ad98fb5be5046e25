//! `update!`: grammar and expansion.
//!
//! ```text
//! update!( Table set col = value, ... (where condition | where all) [returning * | items] )
//! ```

use proc_macro2::TokenStream;
use syn::Path;
use syn::parse::{Parse, ParseStream};

use super::ast::{self, Assign, Returning};
use super::check::Cx;
use super::cond::{Filter, parse_filter};
use super::expand::{Sql, filtered_statement};
use super::kw;
use super::scope::Scope;
use crate::common::Errors;

/// A parsed `update!`.
pub(crate) struct Update {
    table: Path,
    assigns: Vec<Assign>,
    filter: Filter,
    returning: Returning,
}

impl Parse for Update {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let table = Path::parse_mod_style(input)?;
        kw::expect(
            input,
            "set",
            "after the table: `update!(User set column = value where ...)`",
        )?;
        let assigns = ast::parse_assigns(input)?;
        let filter = parse_filter(input)?;
        let returning = input.parse()?;
        ast::expect_end(input, "`where`, `returning` or the end of the statement")?;
        Ok(Update {
            table,
            assigns,
            filter,
            returning,
        })
    }
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    super::run(input, |u: Update| {
        let mut errors = Errors::default();
        let mut cx = Cx::new(&mut errors, Scope::of(&u.table));
        cx.assigns(&u.assigns);
        cx.filter(&u.filter, "update", "change", &u.table);
        cx.returning(&u.returning);
        let mut sql = Sql::new(Scope::of(&u.table));
        sql.text("UPDATE ");
        sql.table(&u.table);
        sql.text(" SET ");
        sql.assigns(&u.assigns);
        let statement = filtered_statement(sql, &u.table, &u.filter, &u.returning);
        super::with_errors(errors, statement)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_parse() {
        let u: Update =
            syn::parse_str("User set name = n, age = 3 where id = i returning *").unwrap();
        assert_eq!(u.assigns.len(), 2);
        assert!(matches!(u.filter, Filter::Cond(_)));
        assert!(matches!(u.returning, Returning::Star));
        let u: Update = syn::parse_str("User set active = false where all").unwrap();
        assert!(matches!(u.filter, Filter::All));
        let u: Update = syn::parse_str("User set active = false").unwrap();
        assert!(matches!(u.filter, Filter::Missing));
    }
}
