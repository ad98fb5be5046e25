//! `select!` with CTEs: `with [recursive] Name as (select ...), ... select ...`.
//!
//! A CTE's columns are a `#[derive(Table)]` struct's (its name and its column handles): the
//! body's items fill its fields by name (a column's name, or `as`) and type, checked by the
//! type system (`__private::cte_column`), and every field is filled. The SQL lists the
//! columns in the body's order, `WITH recent (id, name) AS (SELECT ...)`, and the CTEs' values
//! are bound before the main query's.

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned as _;
use syn::{Path, Token};

use super::ast;
use super::compound::{Compound, compound_read, items, paren_select, peek_paren_select};
use super::expand::{Sql, p, path_key};
use super::{check, kw};
use crate::common::Errors;

/// A whole `select!`: CTEs, then a compound query.
pub(crate) struct Query {
    with: Option<With>,
    body: Compound,
}

/// `with [recursive] A as (...), B as (...)`.
struct With {
    recursive: bool,
    ctes: Vec<Cte>,
}

/// One CTE: the struct that names its columns, and its body.
struct Cte {
    name: Path,
    body: Compound,
}

impl Parse for Query {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let with = if kw::peek(input, "with")
            && input
                .cursor()
                .ident()
                .is_some_and(|(_, rest)| rest.ident().is_some())
            // A column named `with`: `select!(with from T)`, `select!(with as w from T)`.
            && !kw::peek2(input, "from")
            && !kw::peek2(input, "as")
        {
            kw::eat(input, "with")?;
            let recursive = kw::eat(input, "recursive")?.is_some();
            let mut ctes = Vec::new();
            loop {
                let name = Path::parse_mod_style(input)?;
                kw::expect(
                    input,
                    "as",
                    "after the CTE's struct: `with Recent as (select ...)`",
                )?;
                if !peek_paren_select(input) {
                    return Err(input.error("expected the CTE's body: `(select ...)`"));
                }
                let body = paren_select(input, Compound::parse)?;
                ctes.push(Cte { name, body });
                if input.peek(Token![,]) {
                    input.parse::<Token![,]>()?;
                } else {
                    break;
                }
            }
            kw::expect(
                input,
                "select",
                "after the CTEs: `with Recent as (select ...) select ... from Recent`",
            )?;
            Some(With { recursive, ctes })
        } else {
            None
        };
        let body = input.parse()?;
        Ok(Query { with, body })
    }
}

impl Cte {
    /// Appends `name (columns) AS (body)`, and the checks that the body's items fill the
    /// struct's columns.
    /// The check stage of a CTE: its body's mistakes, items that name no column.
    fn check(&self, errors: &mut Errors) {
        check::fields(&items(&self.body.first.select), errors);
        self.body.check(errors);
    }

    fn emit(&self, sql: &mut Sql) {
        let p = p();
        let name = &self.name;
        let first = items(&self.body.first.select);
        let named = check::fields(&first, &mut Errors::default());
        sql.table(name);
        let ns = name.span();
        sql.checks_push(quote_spanned!(ns=> ::core::assert!(
            #p::cte_unqualified::<#name>(),
            "a CTE's struct cannot name a schema: a CTE is named by its table name alone"
        )));
        sql.text(" (");
        let mut handles = Vec::new();
        for (i, s) in first.iter().enumerate() {
            let Some(field) = s.field() else { continue };
            if i > 0 {
                sql.text(", ");
            }
            let t = ast::respan(quote!(#name), field.span());
            let h = quote_spanned!(field.span()=> #t::#field);
            sql.part(quote_spanned!(field.span()=> #p::Part::Str(#p::col(&#h))));
            handles.push((i, h));
        }
        sql.text(") AS (");
        let (_, shapes) = self.body.emit(sql);
        sql.text(")");
        if !named {
            return;
        }
        for (i, h) in &handles {
            if let Some(w) = &shapes[*i].witness {
                let span = shapes[*i].span;
                let pp = ast::respan(p.clone(), span);
                let item = Ident::new("item", span);
                sql.checks_push(quote_spanned!(span=> {
                    let #item = #w;
                    #pp::cte_column(&#h, #item)
                }));
            }
        }
        let given = handles.iter().map(|(_, h)| quote!(#p::col_name(&#h)));
        sql.checks_push(quote_spanned!(ns=> {
            const GIVEN: &[&str] = &[#(#given),*];
            const LEN: usize = #p::cte_missing_len::<#name>(GIVEN);
            const LIST: [u8; LEN] = #p::cte_missing::<#name, LEN>(GIVEN);
            const MSG_PARTS: &[#p::Part] = &[
                #p::Part::Str("the CTE's body leaves out "),
                #p::Part::Str(#p::sql_str(&LIST)),
                #p::Part::Str(": it selects every column of the struct, each named like its field (`as name`)"),
            ];
            const MSG_LEN: usize = #p::sql_len(MSG_PARTS);
            const MSG: [u8; MSG_LEN] = #p::sql_bytes::<MSG_LEN>(MSG_PARTS);
            if LEN != 0 {
                ::core::panic!("{}", #p::sql_str(&MSG));
            }
        }));
    }
}

impl Query {
    /// The check stage of the whole query: its CTEs, its branches.
    pub(crate) fn check(&self, errors: &mut Errors) {
        if self.is_one_select() {
            let s = &self.body.first.select;
            check::Cx::new(errors, s.scope_in(None)).select(s);
            return;
        }
        for cte in self.with.iter().flat_map(|w| &w.ctes) {
            cte.check(errors);
        }
        self.body.check(errors);
    }

    /// Whether the query is one `select`, without CTEs.
    fn is_one_select(&self) -> bool {
        self.with.is_none() && self.body.rest.is_empty()
    }

    pub(crate) fn expand(self) -> TokenStream {
        let mut errors = Errors::default();
        self.check(&mut errors);
        if self.is_one_select() {
            // One `select`: the statement as it always was.
            return self.body.first.select.expand(errors);
        }
        let Query { with, body } = self;
        let first = &body.first.select;
        let mut sql = Sql::new(first.scope_in(None));
        if let Some(with) = &with {
            sql.text(if with.recursive {
                "WITH RECURSIVE "
            } else {
                "WITH "
            });
            for (i, cte) in with.ctes.iter().enumerate() {
                if i > 0 {
                    sql.text(", ");
                }
                cte.emit(&mut sql);
            }
            sql.text(" ");
        }
        let (read, shapes) = body.emit(&mut sql);
        let read = if body.rest.is_empty() {
            read
        } else {
            compound_read(first, &shapes)
        };
        let text = sql.sql_const();
        let params = sql.params();
        let query = summarized(with.as_ref(), &body, &text, params, &read);
        super::with_errors(errors, query)
    }
}

/// The tables a compound query reads (each branch's, in order, once each), but `ctes`.
fn tables<'a>(body: &'a Compound, ctes: &[String], out: &mut Vec<&'a Path>) {
    let branches = std::iter::once(&body.first).chain(body.rest.iter().map(|(_, b)| b));
    for b in branches {
        let s = &b.select;
        for t in std::iter::once(&s.from).chain(s.joins.iter().map(|j| &j.table)) {
            let key = path_key(t);
            if !ctes.contains(&key) && !out.iter().any(|o| path_key(o) == key) {
                out.push(t);
            }
        }
    }
}

/// The `Query`, with its summary (`SELECT users admins`: the tables read, the CTEs' included,
/// not the CTEs themselves) and its first table, for its span.
fn summarized(
    with: Option<&With>,
    body: &Compound,
    text: &TokenStream,
    params: &[TokenStream],
    read: &TokenStream,
) -> TokenStream {
    let p = p();
    let ctes: Vec<String> = with
        .iter()
        .flat_map(|w| w.ctes.iter().map(|c| path_key(&c.name)))
        .collect();
    let mut read_tables = Vec::new();
    for cte in with.iter().flat_map(|w| &w.ctes) {
        tables(&cte.body, &ctes, &mut read_tables);
    }
    tables(body, &ctes, &mut read_tables);
    let first = read_tables
        .first()
        .copied()
        .unwrap_or(&body.first.select.from);
    let rest = read_tables.iter().skip(1);
    quote! {
        #p::Query::__new_summarized(
            #text,
            [#(#params),*],
            |row: &#p::PgRow| #read,
            {
                const SUMMARY_PARTS: &[#p::Part] = &[
                    #p::Part::Str("SELECT "),
                    #p::Part::Str(<#first as #p::Table>::NAME),
                    #(#p::Part::Str(" "), #p::Part::Str(<#rest as #p::Table>::NAME),)*
                ];
                const LEN: usize = #p::sql_len(SUMMARY_PARTS);
                const BYTES: [u8; LEN] = #p::sql_bytes::<LEN>(SUMMARY_PARTS);
                const SUMMARY: &str = #p::sql_str(&BYTES);
                SUMMARY
            },
            <#first as #p::Table>::NAME,
        )
    }
}
