//! `delete!`: grammar and expansion.
//!
//! ```text
//! delete!( from Table (where condition | where all) [returning * | items] )
//! ```

use proc_macro2::TokenStream;
use syn::Path;
use syn::parse::{Parse, ParseStream};

use super::ast::{self, Returning};
use super::check::Cx;
use super::cond::{Filter, parse_filter};
use super::expand::{Sql, filtered_statement};
use super::kw;
use super::scope::Scope;
use crate::common::Errors;

/// A parsed `delete!`.
pub(crate) struct Delete {
    table: Path,
    filter: Filter,
    returning: Returning,
}

impl Parse for Delete {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        kw::expect(input, "from", "first: `delete!(from User where ...)`")?;
        let table = Path::parse_mod_style(input)?;
        let filter = parse_filter(input)?;
        let returning = input.parse()?;
        ast::expect_end(input, "`where`, `returning` or the end of the statement")?;
        Ok(Delete {
            table,
            filter,
            returning,
        })
    }
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    super::run(input, |d: Delete| {
        let mut errors = Errors::default();
        let mut cx = Cx::new(&mut errors, Scope::of(&d.table));
        cx.filter(&d.filter, "delete", "delete", &d.table);
        cx.returning(&d.returning);
        let mut sql = Sql::new(Scope::of(&d.table));
        sql.text("DELETE FROM ");
        sql.table(&d.table);
        let statement = filtered_statement(sql, &d.table, &d.filter, &d.returning);
        super::with_errors(errors, statement)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deletes_parse() {
        let d: Delete = syn::parse_str("from User where id = 1 returning id").unwrap();
        assert!(matches!(d.filter, Filter::Cond(_)));
        assert!(matches!(d.returning, Returning::Items(_)));
        let err = syn::parse_str::<Delete>("User where id = 1").err().unwrap();
        assert!(err.to_string().contains("expected `from`"), "{err}");
    }
}
