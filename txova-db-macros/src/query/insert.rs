//! `insert!`: grammar and expansion.
//!
//! ```text
//! insert!( into Table values row, ...                      -- rows are structs (or references)
//!        | into Table (col, ...) values (value, ...), ...  -- rows are values
//!        | into Table set col = value, ...                 -- one row, named values
//!          [on conflict [(col, ...)] do nothing | do update set col = value|excluded.col, ...]
//!          [returning * | items] )
//! ```

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Expr, Path, Token, parenthesized};

use super::ast::{self, Assign, ColRef, Returning};
use super::check::Cx;
use super::expand::{Sql, finish, p};
use super::kw;
use super::scope::Scope;
use crate::common::Errors;

/// A parsed `insert!`.
pub(crate) struct Insert {
    table: Path,
    rows: Rows,
    conflict: Option<Conflict>,
    returning: Returning,
}

enum Rows {
    /// Whole structs: every column but the `#[column(default)]` ones.
    Structs(Vec<Expr>),
    /// Named columns and their values, row by row.
    Values(Vec<ColRef>, Vec<(proc_macro2::Span, Vec<Expr>)>),
}

struct Conflict {
    target: Vec<ColRef>,
    /// `None` for `do nothing`.
    update: Option<Vec<Assign>>,
}

impl Parse for Insert {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        kw::expect(input, "into", "first: `insert!(into User values row)`")?;
        let table = Path::parse_mod_style(input)?;
        let rows = if kw::eat(input, "set")?.is_some() {
            // `set col = value, ...`: one row of named values.
            let start = input.span();
            let assigns = ast::parse_assigns(input)?;
            let mut cols = Vec::new();
            let mut values = Vec::new();
            for a in assigns {
                if let Some(c) = super::expr::excluded(&a.value) {
                    return Err(syn::Error::new_spanned(
                        c,
                        "`excluded.column` only means something in `on conflict do update set`",
                    ));
                }
                values.push(a.value);
                cols.push(a.col);
            }
            Rows::Values(cols, vec![(start, values)])
        } else if input.peek(syn::token::Paren) {
            let content;
            parenthesized!(content in input);
            let cols = Punctuated::<ColRef, Token![,]>::parse_terminated(&content)?;
            kw::expect(input, "values", "after the columns")?;
            let mut rows = Vec::new();
            loop {
                if !input.peek(syn::token::Paren) {
                    return Err(input.error("expected a row of values in parentheses: `(a, b)`"));
                }
                let content;
                let paren = parenthesized!(content in input);
                let values = Punctuated::<Expr, Token![,]>::parse_terminated(&content)?;
                rows.push((paren.span.join(), values.into_iter().collect()));
                if input.peek(Token![,]) {
                    input.parse::<Token![,]>()?;
                } else {
                    break;
                }
            }
            Rows::Values(cols.into_iter().collect(), rows)
        } else {
            kw::expect(
                input,
                "values",
                "after the table: `values row`, `(col, ...) values (value, ...)` or `set col = value, ...`",
            )?;
            let mut rows = vec![Expr::parse_without_eager_brace(input)?];
            while input.peek(Token![,]) {
                input.parse::<Token![,]>()?;
                rows.push(Expr::parse_without_eager_brace(input)?);
            }
            Rows::Structs(rows)
        };
        let conflict = if kw::eat(input, "on")?.is_some() {
            kw::expect(input, "conflict", "after `on`")?;
            let mut target = Vec::new();
            if input.peek(syn::token::Paren) {
                let content;
                parenthesized!(content in input);
                target = Punctuated::<ColRef, Token![,]>::parse_terminated(&content)?
                    .into_iter()
                    .collect();
            }
            kw::expect(
                input,
                "do",
                "after `on conflict`: `do nothing` or `do update set ...`",
            )?;
            let update = if kw::eat(input, "nothing")?.is_some() {
                None
            } else {
                kw::expect(input, "update", "or `nothing` after `do`")?;
                kw::expect(input, "set", "after `do update`")?;
                if target.is_empty() {
                    return Err(input.error(
                        "`do update` needs the conflicting columns: `on conflict (email) do update set ...`",
                    ));
                }
                Some(ast::parse_assigns(input)?)
            };
            Some(Conflict { target, update })
        } else {
            None
        };
        let returning = input.parse()?;
        ast::expect_end(
            input,
            "`on conflict`, `returning` or the end of the statement",
        )?;
        Ok(Insert {
            table,
            rows,
            conflict,
            returning,
        })
    }
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    super::run(input, |i: Insert| i.expand())
}

impl Insert {
    /// The check stage: rows of the wrong width, and the mistakes of `on conflict do update
    /// set` (where `excluded.col` may be written) and of `returning`.
    fn check(&self, errors: &mut Errors) {
        let mut cx = Cx::new(errors, Scope::of(&self.table));
        if let Some(assigns) = self.conflict.as_ref().and_then(|c| c.update.as_ref()) {
            cx.allow.excluded = true;
            cx.assigns(assigns);
            cx.allow.excluded = false;
        }
        cx.returning(&self.returning);
        if let Rows::Values(cols, rows) = &self.rows {
            for (span, values) in rows {
                if values.len() != cols.len() {
                    errors.push(syn::Error::new(
                        *span,
                        format!(
                            "this row has {} value{} for {} column{}",
                            values.len(),
                            if values.len() == 1 { "" } else { "s" },
                            cols.len(),
                            if cols.len() == 1 { "" } else { "s" },
                        ),
                    ));
                }
            }
        }
    }

    fn expand(self) -> TokenStream {
        let p = p();
        let mut errors = Errors::default();
        self.check(&mut errors);
        let t = &self.table;
        let mut sql = Sql::new(Scope::of(t));
        sql.text("INSERT INTO ");
        sql.table(t);
        let mut struct_rows = None;
        match &self.rows {
            Rows::Structs(rows) => {
                let n = rows.len();
                sql.text(" (");
                sql.part(quote!(#p::Part::List(<#t as #p::Insert>::INSERT_COLUMNS)));
                sql.text(") VALUES ");
                sql.part(quote!(#p::Part::Rows {
                    first: 1,
                    width: <#t as #p::Insert>::INSERT_WIDTH,
                    count: #n,
                }));
                sql.set_base(quote!(<#t as #p::Insert>::INSERT_WIDTH * #n));
                struct_rows = Some(rows);
            }
            Rows::Values(cols, rows) => {
                sql.checks_push(required(t, cols));
                sql.text(" (");
                for (i, c) in cols.iter().enumerate() {
                    if i > 0 {
                        sql.text(", ");
                    }
                    let h = c.handle(t);
                    sql.part(quote!(#p::Part::Str(#p::col(&#h))));
                }
                sql.text(") VALUES ");
                for (r, (_, values)) in rows.iter().enumerate() {
                    sql.text(if r == 0 { "(" } else { ", (" });
                    for (i, (c, v)) in cols.iter().zip(values).enumerate() {
                        if i > 0 {
                            sql.text(", ");
                        }
                        let h = c.handle(t);
                        sql.param(super::expand::assign(&h, v));
                    }
                    sql.text(")");
                }
            }
        }
        if let Some(conflict) = &self.conflict {
            sql.text(" ON CONFLICT");
            if !conflict.target.is_empty() {
                sql.text(" (");
                for (i, c) in conflict.target.iter().enumerate() {
                    if i > 0 {
                        sql.text(", ");
                    }
                    let h = c.handle(t);
                    sql.part(quote!(#p::Part::Str(#p::col(&#h))));
                }
                sql.text(")");
            }
            match &conflict.update {
                None => sql.text(" DO NOTHING"),
                Some(assigns) => {
                    sql.text(" DO UPDATE SET ");
                    // Beside `excluded`, a bare column name would be ambiguous: the values
                    // write the table's columns with its name.
                    sql.allow.excluded = true;
                    sql.qualify = true;
                    sql.assigns(assigns);
                    sql.qualify = false;
                    sql.allow.excluded = false;
                }
            }
        }
        let params = struct_rows.map(|rows| {
            // The statement's values are the rows' fields followed by the other values; how
            // many fields a row has is known only from the struct, so they are gathered here.
            let n = rows.len();
            let extra = sql.params().len();
            let others = sql.params();
            let refs = rows.iter().map(|r| {
                let r_ref = super::expand::borrow(r);
                quote_spanned!(r.span()=> #p::RowRef::<#t>::row(#r_ref))
            });
            quote!({
                let __txova_extra: [#p::Param<'_>; #extra] = [#(#others),*];
                #p::insert_params::<#t, { <#t as #p::Insert>::INSERT_WIDTH * #n + #extra }>(
                    &[#(#refs),*],
                    &__txova_extra,
                )
            })
        });
        super::with_errors(errors, finish(sql, t, &self.returning, params))
    }
}

/// A const check that `cols` hold every required column of `t` (not `Option`, no
/// `#[column(default)]`); the message names the ones left out.
fn required(t: &Path, cols: &[ColRef]) -> TokenStream {
    let p = p();
    let names = cols.iter().map(|c| {
        let h = c.handle(t);
        quote!(#p::col_name(&#h))
    });
    quote_spanned!(t.span()=> {
        const GIVEN: &[&str] = &[#(#names),*];
        const LEN: usize = #p::missing_len::<#t>(GIVEN);
        const LIST: [u8; LEN] = #p::missing_required::<#t, LEN>(GIVEN);
        const MSG_PARTS: &[#p::Part] = &[
            #p::Part::Str("`insert!` leaves out "),
            #p::Part::Str(#p::sql_str(&LIST)),
            #p::Part::Str(", which must be set: not an `Option`, and no `#[column(default)]`"),
        ];
        const MSG_LEN: usize = #p::sql_len(MSG_PARTS);
        const MSG: [u8; MSG_LEN] = #p::sql_bytes::<MSG_LEN>(MSG_PARTS);
        if LEN != 0 {
            ::core::panic!("{}", #p::sql_str(&MSG));
        }
    })
}
