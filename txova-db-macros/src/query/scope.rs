//! The tables a statement reads, each under its name or an alias (`from User as Boss`), and
//! how a column written in the statement resolves to one of them.
//!
//! An alias is written like a table (`Boss`, `Boss::name`): it names one. Its column handles
//! are the table's (`User::name`), so a column of an alias has the table's type; its SQL is
//! the alias in snake case (`boss.name`). While a table is aliased, its own name does not
//! reach it, as in SQL: `User::name` then means another reading of `users` (an outer query's),
//! or nothing.

use proc_macro2::{Ident, TokenStream};
use quote::quote;
use syn::Path;

use super::ast::{ColRef, respan};
use super::expand::{p, path_key};

/// A table as a statement reads it: `User`, or `User as Boss`.
#[derive(Clone)]
pub(crate) struct Range {
    pub(crate) table: Path,
    pub(crate) alias: Option<Ident>,
}

impl Range {
    pub(crate) fn new(table: Path, alias: Option<Ident>) -> Self {
        Range { table, alias }
    }

    /// The name the statement knows it by: its alias, else its table's (by [`path_key`]).
    pub(crate) fn name(&self) -> String {
        self.alias
            .as_ref()
            .map_or_else(|| path_key(&self.table), ToString::to_string)
    }

    /// The alias's SQL: its name in snake case, quoted when it must be.
    pub(crate) fn alias_sql(&self) -> Option<String> {
        let alias = self.alias.as_ref()?;
        let name = alias.to_string();
        Some(crate::common::sql_ident(&crate::common::snake_case(
            name.trim_start_matches("r#"),
        )))
    }

    /// The part naming the range in SQL, before its columns: the alias, or the table's name.
    pub(crate) fn qualifier(&self) -> TokenStream {
        let p = p();
        let table = &self.table;
        self.alias_sql()
            .map_or_else(|| quote!(<#table as #p::Table>::SQL_NAME), |a| quote!(#a))
    }
}

/// The tables a statement may name: its own, then (in a subquery) the outer statements'.
#[derive(Clone)]
pub(crate) struct Scope {
    /// The statement's main table: bare columns are its.
    pub(crate) main: Range,
    /// Every range the statement may name, the innermost last (it hides an outer one of the
    /// same name).
    pub(crate) ranges: Vec<Range>,
    /// How many of `ranges` are an outer statement's.
    pub(crate) outer: usize,
    /// Whether `ranges` is complete (not when the joins could not be read).
    pub(crate) known: bool,
}

impl Scope {
    /// A statement reading `table` alone, under its own name.
    pub(crate) fn of(table: &Path) -> Self {
        Scope::new(Range::new(table.clone(), None))
    }

    pub(crate) fn new(main: Range) -> Self {
        Scope {
            ranges: vec![main.clone()],
            main,
            outer: 0,
            known: true,
        }
    }

    /// The scope of a subquery reading `main`, written in a statement of this scope: bare
    /// columns are its, and this scope's tables stay visible (correlated references).
    pub(crate) fn enter(&self, main: Range) -> Self {
        let mut ranges = self.ranges.clone();
        let outer = ranges.len();
        ranges.push(main.clone());
        Scope {
            main,
            ranges,
            outer,
            known: self.known,
        }
    }

    /// Whether a column belongs to an outer statement's table.
    pub(crate) fn is_outer(&self, col: &ColRef) -> bool {
        let ColRef::Qualified(t, _) = col else {
            return false;
        };
        let name = path_key(t);
        self.ranges
            .iter()
            .rposition(|r| r.name() == name)
            .is_some_and(|i| i < self.outer)
    }

    /// The range `path` names (`User`, or an alias `Boss`): the innermost one.
    pub(crate) fn lookup(&self, path: &Path) -> Option<&Range> {
        let name = path_key(path);
        self.ranges.iter().rev().find(|r| r.name() == name)
    }

    /// The range a column belongs to, when the statement names it.
    pub(crate) fn range(&self, col: &ColRef) -> Option<&Range> {
        match col {
            ColRef::Bare(_) => Some(&self.main),
            ColRef::Qualified(t, _) => self.lookup(t),
        }
    }

    /// The table `path` reads: an alias's table, else the path itself.
    pub(crate) fn table<'a>(&'a self, path: &'a Path) -> &'a Path {
        match self.lookup(path) {
            Some(r) if r.alias.is_some() => &r.table,
            _ => path,
        }
    }

    /// The table a column belongs to.
    pub(crate) fn col_table<'a>(&'a self, col: &'a ColRef) -> &'a Path {
        match col {
            ColRef::Bare(_) => &self.main.table,
            ColRef::Qualified(t, _) => self.table(t),
        }
    }

    /// The name of the range a column belongs to, as [`Range::name`] gives it: two columns
    /// are the same column of the same reading of a table when their sources and names are.
    pub(crate) fn source(&self, col: &ColRef) -> String {
        match col {
            ColRef::Bare(_) => self.main.name(),
            ColRef::Qualified(t, _) => path_key(t),
        }
    }

    /// The column's handle expression, `Table::column` (see [`ColRef::handle`]): an alias's
    /// column is its table's, spanned on the alias.
    pub(crate) fn handle(&self, col: &ColRef) -> TokenStream {
        match col {
            ColRef::Qualified(t, c) => match self.lookup(t) {
                Some(r) if r.alias.is_some() => {
                    let table = &r.table;
                    let table = respan(quote!(#table), syn::spanned::Spanned::span(t));
                    quote!(#table::#c)
                }
                _ => col.handle(&self.main.table),
            },
            ColRef::Bare(_) => col.handle(&self.main.table),
        }
    }

    /// Why `path` is not a table the statement may name, if it is not.
    pub(crate) fn unknown(&self, path: &Path) -> Option<String> {
        if !self.known || self.lookup(path).is_some() {
            return None;
        }
        let written = quote!(#path).to_string().replace(' ', "");
        let key = path_key(path);
        if let Some(r) = self.ranges.iter().rev().find(|r| path_key(&r.table) == key) {
            let alias = r.name();
            return Some(format!(
                "`{written}` is named `{alias}` in this query: write `{alias}::column`"
            ));
        }
        let names: Vec<String> = self
            .ranges
            .iter()
            .map(|r| format!("`{}`", r.name()))
            .collect();
        Some(if names.len() > 1 {
            format!(
                "`{written}` is not a table of this query; its tables are {}",
                names.join(", ")
            )
        } else {
            let main = self.main.name();
            format!(
                "`{written}` is not a table of this query, which reads `{main}`; join it first, \
                 or use a column of `{main}`"
            )
        })
    }
}
