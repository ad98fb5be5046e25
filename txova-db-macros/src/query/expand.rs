//! The SQL assembler shared by the statements: parts joined at compile time, values bound in
//! order, result items read by position. Generation cannot fail.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Path;
use syn::spanned::Spanned as _;

use super::ast::{Agg, Assign, Bound, ColRef, Item, OrderKey, Returning, Selected};
use super::cond::Filter;
use super::expr::{self, Bare};
use super::scope::{Range, Scope};

/// The SQL and the values of one statement, built in order.
pub(crate) struct Sql {
    parts: Vec<TokenStream>,
    text: String,
    params: Vec<TokenStream>,
    /// Const expressions of type `()` that check types (nullability, join columns).
    checks: Vec<TokenStream>,
    /// A const expression added to every placeholder number (values before the ones bound
    /// here, such as rows inserted from structs).
    base: TokenStream,
    /// The tables the statement may name (its main one for bare column names).
    pub(crate) scope: Scope,
    /// Whether column names are written with their table (the statement has joins).
    pub(crate) qualify: bool,
    /// The tables brought in by `left join`, whose columns may be `NULL` whatever their type,
    /// by [`Range::name`].
    pub(crate) left_tables: Vec<String>,
    /// The expressions of the result items and of `group by`, as tokens, with the parts they
    /// were written as: an equal expression written again (a key of `group by` or `order by`)
    /// reuses those parts, placeholders included, so the server sees one expression.
    item_exprs: Vec<(String, Vec<TokenStream>)>,
    /// What may be written where the statement is being assembled.
    pub(crate) allow: Allow,
}

/// What may be written at a place of a statement.
#[derive(Clone, Copy, Default)]
pub(crate) struct Allow {
    /// `excluded.column` (`on conflict do update set`).
    pub(crate) excluded: bool,
    /// A window function (the select list and `order by` of a `select`).
    pub(crate) windows: bool,
}

/// What a subquery changes in the [`Sql`] it is written into, kept to be restored.
pub(crate) struct Outer {
    pub(crate) scope: Scope,
    qualify: bool,
    left_tables: Vec<String>,
    item_exprs: Vec<(String, Vec<TokenStream>)>,
}

pub(crate) fn p() -> TokenStream {
    quote!(::txova_db::__private)
}

impl Sql {
    /// A statement that may name the tables of `scope`.
    pub(crate) fn new(scope: Scope) -> Self {
        Sql {
            parts: Vec::new(),
            text: String::new(),
            params: Vec::new(),
            checks: Vec::new(),
            base: quote!(0usize),
            scope,
            qualify: false,
            left_tables: Vec::new(),
            item_exprs: Vec::new(),
            allow: Allow::default(),
        }
    }

    /// Starts a subquery (or a branch of a compound query) whose tables are `scope`: every
    /// column is written with its table.
    pub(crate) fn enter(&mut self, scope: Scope) -> Outer {
        Outer {
            scope: std::mem::replace(&mut self.scope, scope),
            qualify: std::mem::replace(&mut self.qualify, true),
            left_tables: self.left_tables.clone(),
            item_exprs: std::mem::take(&mut self.item_exprs),
        }
    }

    /// Ends a subquery.
    pub(crate) fn leave(&mut self, outer: Outer) {
        self.scope = outer.scope;
        self.qualify = outer.qualify;
        self.left_tables = outer.left_tables;
        self.item_exprs = outer.item_exprs;
    }

    /// The handle of a column of the statement (see [`Scope::handle`]).
    pub(crate) fn handle(&self, col: &ColRef) -> TokenStream {
        self.scope.handle(col)
    }

    /// Whether a column may be `NULL` whatever its type: its table is left-joined.
    pub(crate) fn left_joined(&self, col: &ColRef) -> bool {
        self.left_tables.contains(&self.scope.source(col))
    }

    /// Appends text.
    pub(crate) fn text(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// Appends a part computed at compile time.
    pub(crate) fn part(&mut self, part: TokenStream) {
        self.flush();
        self.parts.push(part);
    }

    fn flush(&mut self) {
        if !self.text.is_empty() {
            let p = p();
            let t = std::mem::take(&mut self.text);
            self.parts.push(quote!(#p::Part::Str(#t)));
        }
    }

    /// Appends a placeholder for a value and binds it.
    pub(crate) fn param(&mut self, bind: TokenStream) {
        let p = p();
        let base = &self.base;
        let n = self.params.len() + 1;
        self.part(quote!(#p::Part::Param(#base + #n)));
        self.params.push(bind);
    }

    /// Sets the number of values bound before the ones bound here.
    pub(crate) fn set_base(&mut self, base: TokenStream) {
        self.base = base;
    }

    /// Appends a table's SQL name.
    pub(crate) fn table(&mut self, table: &Path) {
        let p = p();
        self.part(quote!(#p::Part::Str(<#table as #p::Table>::SQL_NAME)));
    }

    /// Appends a table of `from` or `join`: its SQL name, and its alias.
    pub(crate) fn range(&mut self, range: &Range) {
        self.table(&range.table);
        if let Some(alias) = range.alias_sql() {
            self.text(" AS ");
            self.text(&alias);
        }
    }

    /// Appends a column's SQL name, with its table when the statement has joins.
    pub(crate) fn column(&mut self, col: &ColRef) {
        let p = p();
        let h = self.handle(col);
        if self.qualify {
            match self.scope.range(col).and_then(Range::alias_sql) {
                Some(alias) => self.text(&alias),
                None => self.part(quote!(#p::Part::Str(#p::col_table(&#h)))),
            }
            self.text(".");
        }
        self.part(quote!(#p::Part::Str(#p::col(&#h))));
    }

    /// Appends the column list of a table the statement reads (`User`, or an alias).
    pub(crate) fn all_columns(&mut self, table: &Path) {
        let p = p();
        let range = self
            .scope
            .lookup(table)
            .cloned()
            .unwrap_or_else(|| Range::new(table.clone(), None));
        let table = &range.table;
        if self.qualify {
            let qualifier = range.qualifier();
            self.part(quote!(#p::Part::QualifiedList(
                #qualifier,
                <#table as #p::Table>::COLUMNS
            )));
        } else {
            self.part(quote!(#p::Part::List(<#table as #p::Table>::COLUMNS)));
        }
    }

    /// Appends an expression, binding its values; returns its type's witness.
    pub(crate) fn expr(
        &mut self,
        e: &syn::Expr,
        bare: Bare,
        hint: Option<&TokenStream>,
    ) -> TokenStream {
        expr::emit(self, e, bare, hint)
    }

    /// Appends the right side of a comparison, which may be `any(array)` or `all(array)`;
    /// returns its type's witness.
    pub(crate) fn operand(&mut self, e: &syn::Expr, hint: Option<&TokenStream>) -> TokenStream {
        expr::emit(self, e, Bare::Value, hint)
    }

    /// Adds a type check, evaluated at compile time.
    pub(crate) fn checks_push(&mut self, check: TokenStream) {
        self.checks.push(check);
    }

    /// Appends an expression of `group by` or `order by`: the position of an equal result
    /// item, or else the expression.
    pub(crate) fn key_expr(&mut self, e: &syn::Expr) {
        let key = quote!(#e).to_string();
        self.flush();
        if let Some((_, parts)) = self.item_exprs.iter().find(|(k, _)| *k == key) {
            self.parts.extend(parts.iter().cloned());
        } else {
            // Its type is read nowhere else: the check makes the compiler work it out.
            let w = self.recorded_expr(e);
            let p = p();
            self.checks_push(quote_spanned!(e.span()=> #p::typed(#w)));
        }
    }

    /// Appends a result item's or a key's expression, and records the parts it is written
    /// as; returns its witness.
    fn recorded_expr(&mut self, e: &syn::Expr) -> TokenStream {
        self.flush();
        let start = self.parts.len();
        let w = self.expr(e, Bare::Column, None);
        self.flush();
        let parts = self.parts[start..].to_vec();
        self.item_exprs.push((quote!(#e).to_string(), parts));
        w
    }

    /// Appends a key of `order by` or `partition by`.
    pub(crate) fn key(&mut self, key: &Item) {
        match key {
            Item::Agg(agg, ident, arg) => {
                // Only the SQL is wanted here, not the reader.
                let _ = self.aggregate(*agg, ident, arg.as_ref(), &quote!(0usize));
            }
            Item::Column(c) => self.column(c),
            Item::Expr(e) => self.key_expr(e),
            Item::Table(_) => {}
        }
    }

    /// Appends `order by` and its keys.
    pub(crate) fn order(&mut self, keys: &[OrderKey]) {
        self.text(" ORDER BY ");
        self.order_keys(keys);
    }

    /// Appends the keys of an `order by`.
    pub(crate) fn order_keys(&mut self, keys: &[OrderKey]) {
        for (i, k) in keys.iter().enumerate() {
            if i > 0 {
                self.text(", ");
            }
            self.key(&k.key);
            if k.desc {
                self.text(" DESC");
            }
            match k.nulls {
                Some(true) => self.text(" NULLS FIRST"),
                Some(false) => self.text(" NULLS LAST"),
                None => {}
            }
        }
    }

    /// Appends a `limit` or `offset` bound.
    pub(crate) fn bound(&mut self, kw: &str, bound: &Bound) {
        let p = p();
        self.text(kw);
        match bound {
            Bound::Lit(l) => self.text(l.base10_digits()),
            Bound::Value(v) => {
                let v_ref = borrow(v);
                // Any integer: an `i64` is borrowed, another is converted in a temporary.
                self.param(quote_spanned!(v.span()=> #p::count_bound(&#p::count_slot(#v_ref))));
            }
        }
    }

    /// Appends `col = value, ...`.
    pub(crate) fn assigns(&mut self, assigns: &[Assign]) {
        let p = p();
        for (i, a) in assigns.iter().enumerate() {
            if i > 0 {
                self.text(", ");
            }
            let h = self.handle(&a.col);
            // The target of `set` is never qualified in PostgreSQL.
            self.part(quote!(#p::Part::Str(#p::col(&#h))));
            self.text(" = ");
            let v = &a.value;
            if expr::is_sql(v, Bare::Value) {
                // `excluded.col` too: the expression grammar refuses it outside `on conflict`
                // and checks its type like any other.
                let hint = quote!(#p::ty_col(&#h));
                let w = self.expr(v, Bare::Value, Some(&hint));
                let pp = super::ast::respan(p.clone(), v.span());
                self.checks_push(quote_spanned!(v.span()=> #pp::set_expr(&#h, #w)));
            } else {
                self.param(assign(&h, v));
            }
        }
    }

    /// Appends the result items and returns the row mapper's body reading them into a tuple
    /// (or the one value).
    pub(crate) fn items(&mut self, items: &[Selected], nullable_tables: &[String]) -> TokenStream {
        let p = p();
        let mut reads = self.item_reads(items, nullable_tables);
        if reads.len() == 1 {
            reads.swap_remove(0).0
        } else {
            let reads = reads
                .into_iter()
                .map(|(read, span)| unwrap_read(&read, span));
            quote!(#p::Ok((#(#reads),*)))
        }
    }

    /// Appends the result items and returns the row mapper's body reading them into the
    /// fields of `into` by name: each item fills the field named like its column or its alias.
    pub(crate) fn items_into(
        &mut self,
        into: &Path,
        items: &[Selected],
        nullable_tables: &[String],
    ) -> TokenStream {
        let p = p();
        let reads = self.item_reads(items, nullable_tables);
        let scope = self.scope.clone();
        let fields = items.iter().zip(reads).filter_map(|(item, (read, span))| {
            let field = item.field()?;
            // The field's type is learnt first, so a value of another type is reported in
            // the terms of what was selected (`users::age reads as i32 ...`).
            // An aggregate or an expression is read by a function of its own, whose message
            // names it in SQL (`count(...) reads as i64 ...`).
            let read_into = match &item.item {
                Item::Column(c) => {
                    let h = scope.handle(c);
                    quote!(#p::read_into(hint, &#h, #read))
                }
                Item::Agg(agg, ident, _) => {
                    let name = agg.marker();
                    let f = super::ast::respan(quote!(#p::what::#name), ident.span());
                    quote!(#f(hint, #read))
                }
                Item::Table(t) => {
                    let t = scope.table(t);
                    quote!(#p::read_into(hint, &::core::marker::PhantomData::<#t>, #read))
                }
                Item::Expr(_) => quote!(#p::what::expression(hint, #read)),
            };
            let read = quote_spanned!(span=> {
                let hint = #p::field_of(|s: &#into| &s.#field);
                #read_into
            });
            let read = unwrap_read(&read, span);
            Some(quote_spanned!(span=> #field: #read))
        });
        quote!(#p::Ok(#into { #(#fields),* }))
    }

    /// Appends the result items; returns each one's read, with the span it takes.
    ///
    /// Each read carries the span of its item, so a result type that does not fit points at
    /// the column whose type differs.
    fn item_reads(
        &mut self,
        items: &[Selected],
        nullable_tables: &[String],
    ) -> Vec<(TokenStream, proc_macro2::Span)> {
        let p = p();
        let mut reads = Vec::new();
        let mut at = quote!(0usize);
        for (i, selected) in items.iter().enumerate() {
            if i > 0 {
                self.text(", ");
            }
            match &selected.item {
                Item::Table(t) => {
                    self.all_columns(t);
                    let left = nullable_tables.contains(&path_key(t));
                    let span = t.span();
                    let t = &self.scope.table(t).clone();
                    // The read starts and ends on the item's span (so an error about its type
                    // points there); the position arithmetic inside stays the macro's.
                    let pp = super::ast::respan(p.clone(), span);
                    reads.push((
                        if left {
                            quote_spanned!(span=> #pp::get_table_opt::<#t>(row, #at))
                        } else {
                            quote_spanned!(span=> <#t as #pp::FromRow>::from_row_at(row, #at))
                        },
                        span,
                    ));
                    at = quote!(#at + <#t as #p::FromRow>::WIDTH);
                }
                Item::Column(c) => {
                    self.column(c);
                    let h = self.handle(c);
                    let left = nullable_tables.contains(&self.scope.source(c));
                    let span = c.ident().span();
                    let pp = super::ast::respan(p.clone(), span);
                    reads.push((
                        if left {
                            quote_spanned!(span=> #pp::get_opt(row, #at, &#h))
                        } else {
                            quote_spanned!(span=> #pp::get(row, #at, &#h))
                        },
                        span,
                    ));
                    at = quote!(#at + 1usize);
                }
                Item::Expr(e) => {
                    let w = self.recorded_expr(e);
                    let span = e.span();
                    reads.push((quote_spanned!(span=> #p::get_expr(row, #at, #w)), span));
                    at = quote!(#at + 1usize);
                }
                Item::Agg(agg, ident, arg) => {
                    reads.push((self.aggregate(*agg, ident, arg.as_ref(), &at), ident.span()));
                    at = quote!(#at + 1usize);
                }
            }
            if let Some(alias) = &selected.alias {
                self.text(" AS ");
                self.text(&crate::common::sql_ident(
                    alias.to_string().trim_start_matches("r#"),
                ));
            }
        }
        reads
    }

    pub(crate) fn aggregate(
        &mut self,
        agg: Agg,
        ident: &proc_macro2::Ident,
        arg: Option<&ColRef>,
        at: &TokenStream,
    ) -> TokenStream {
        let p = p();
        let span = ident.span();
        let count = quote_spanned!(span=> #p::get_as::<i64>(row, #at));
        let Some(col) = arg else {
            self.text("count(*)");
            return count;
        };
        let h = self.handle(col);
        let (name, read) = match agg {
            Agg::Count => ("count(", count),
            Agg::CountDistinct => ("count(DISTINCT ", count),
            Agg::Sum => (
                "sum(",
                quote_spanned!(span=> #p::get_sum(row, #at, #p::sum_info(&#h))),
            ),
            Agg::Avg => (
                "avg(",
                quote_spanned!(span=> #p::get_avg(row, #at, #p::avg_info(&#h))),
            ),
            Agg::Min => ("min(", quote_spanned!(span=> #p::get_opt(row, #at, &#h))),
            Agg::Max => ("max(", quote_spanned!(span=> #p::get_opt(row, #at, &#h))),
        };
        self.text(name);
        self.column(col);
        self.text(")");
        match agg {
            Agg::Sum => {
                self.part(quote_spanned!(ident.span()=> #p::Part::Str(#p::sum_info(&#h).cast())));
            }
            Agg::Avg => {
                self.part(quote_spanned!(ident.span()=> #p::Part::Str(#p::avg_info(&#h).cast())));
            }
            _ => {}
        }
        read
    }

    /// The `&'static str` of the SQL, computed in consts.
    pub(crate) fn sql_const(&mut self) -> TokenStream {
        self.flush();
        let p = p();
        let parts = &self.parts;
        let checks = &self.checks;
        quote!({
            #(const _: () = #checks;)*
            const PARTS: &[#p::Part] = &[#(#parts),*];
            const LEN: usize = #p::sql_len(PARTS);
            const BYTES: [u8; LEN] = #p::sql_bytes::<LEN>(PARTS);
            const SQL: &str = #p::sql_str(&BYTES);
            SQL
        })
    }

    /// The values, in placeholder order.
    pub(crate) fn params(&self) -> &[TokenStream] {
        &self.params
    }
}

/// The value of a read, or a return of its error: not `?`, whose conversion would make a value
/// of the wrong type read as "`?` operator has incompatible types" rather than as the column's
/// type against the result's.
fn unwrap_read(read: &TokenStream, span: proc_macro2::Span) -> TokenStream {
    let p = p();
    quote_spanned!(span=> match #read {
        #p::Ok(v) => v,
        #p::Err(e) => return #p::Err(e),
    })
}

/// A table path as a comparable string: its last segment, so that `Post` and `model::Post`
/// are the same table.
pub(crate) fn path_key(path: &Path) -> String {
    path.segments
        .last()
        .map_or_else(|| quote!(#path).to_string(), |s| s.ident.to_string())
}

/// Appends `returning` and wraps the statement as a `Query` (rows) or a `Statement`.
///
/// `params` replaces the array of the values bound here, when they are gathered otherwise.
pub(crate) fn finish(
    mut sql: Sql,
    table: &Path,
    returning: &Returning,
    params: Option<TokenStream>,
) -> TokenStream {
    let p = p();
    let read = match returning {
        Returning::Nothing => None,
        Returning::Star => {
            sql.text(" RETURNING ");
            let whole = Selected {
                item: Item::Table(table.clone()),
                alias: None,
            };
            Some(sql.items(&[whole], &[]))
        }
        Returning::Items(items) => {
            sql.text(" RETURNING ");
            Some(sql.items(items, &[]))
        }
    };
    let text = sql.sql_const();
    let params = params.unwrap_or_else(|| {
        let params = sql.params();
        quote!([#(#params),*])
    });
    if let Some(read) = read {
        quote! {
            #p::Query::__new(#text, #params, |row: &#p::PgRow| #read)
        }
    } else {
        quote! {
            #p::Statement::__new(#text, #params)
        }
    }
}

/// Appends the `where` of an `update!` or `delete!` (none for `where all`, or when it is
/// missing: a mistake the check stage reports) and finishes it.
pub(crate) fn filtered_statement(
    mut sql: Sql,
    table: &Path,
    filter: &Filter,
    returning: &Returning,
) -> TokenStream {
    if let Filter::Cond(c) = filter {
        sql.text(" WHERE ");
        sql.cond(c);
    }
    finish(sql, table, returning, None)
}

/// A reference to a value: the expression itself when it is already `&x`, else `&(x)`, so no
/// reference to a temporary reference is made.
pub(crate) fn borrow(v: &syn::Expr) -> TokenStream {
    match v {
        syn::Expr::Reference(r) if r.mutability.is_none() => quote!(#v),
        _ => quote_spanned!(v.span()=> &(#v)),
    }
}

/// Binds a value assigned to the column `h`: a bare `None` becomes a `NULL` of the column's
/// type, so it needs no annotation.
pub(crate) fn assign(h: &TokenStream, v: &syn::Expr) -> TokenStream {
    let p = p();
    if let syn::Expr::Path(path) = v
        && path.qself.is_none()
        && path.path.is_ident("None")
    {
        return quote_spanned!(v.span()=> #p::null(&#h));
    }
    let v_ref = borrow(v);
    quote_spanned!(v.span()=> #p::set(&#h, #v_ref))
}
