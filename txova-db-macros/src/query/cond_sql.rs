//! Conditions (`where`, `having`, `on`, `case when`) appended to a statement's SQL, their
//! values bound and their types checked.

use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;

use super::ast::Agg;
use super::cond::{Cond, Pred};
use super::expand::{Sql, borrow, p};
use super::expr::{self, Bare};

impl Sql {
    /// Appends a condition, binding its values.
    pub(crate) fn cond(&mut self, cond: &Cond) {
        match cond {
            Cond::And(a, b) => {
                self.cond(a);
                self.text(" AND ");
                self.cond(b);
            }
            Cond::Or(a, b) => {
                self.cond(a);
                self.text(" OR ");
                self.cond(b);
            }
            Cond::Not(c) => {
                self.text("NOT ");
                self.cond(c);
            }
            Cond::Paren(c) => {
                self.text("(");
                self.cond(c);
                self.text(")");
            }
            Cond::Pred(pred) => self.pred(pred),
        }
    }

    /// Appends one test on a column (or an aggregate), binding its values.
    #[allow(
        clippy::too_many_lines,
        reason = "one arm per predicate of the grammar reads best side by side"
    )]
    fn pred(&mut self, pred: &Pred) {
        let p = p();
        match pred {
            Pred::Cmp(col, op, v) if expr::is_sql(v, Bare::Value) => {
                self.column(col);
                self.text(op.sql());
                let h = self.handle(col);
                let hint = quote!(#p::ty_col(&#h));
                let w = self.operand(v, Some(&hint));
                let pp = super::ast::respan(p.clone(), v.span());
                self.checks_push(quote_spanned!(v.span()=> #pp::cmp_expr(&#h, #w)));
            }
            Pred::Expr(l, op, r) => {
                let wr = expr::witness(self, r, Bare::Value, None);
                let wl = self.expr(l, Bare::Column, Some(&wr));
                self.text(op.sql());
                let wr = self.operand(r, Some(&wl));
                let pp = super::ast::respan(p.clone(), r.span());
                self.checks_push(quote_spanned!(r.span()=> #pp::cmp_exprs(#wl, #wr)));
            }
            Pred::Cmp(col, op, v) => {
                self.column(col);
                self.text(op.sql());
                let h = self.handle(col);
                let v_ref = borrow(v);
                self.param(quote_spanned!(v.span()=> #p::cmp(&#h, #v_ref)));
            }
            Pred::Null(col, not, is) => {
                let h = self.handle(col);
                self.column(col);
                self.text(if *not { " IS NOT NULL" } else { " IS NULL" });
                // A left-joined column is NULL when no row matched, whatever its type.
                if !self.left_joined(col) {
                    self.checks_push(quote_spanned!(is.span()=> #p::nullable(&#h)));
                }
            }
            Pred::In(col, not, list) => {
                let h = self.handle(col);
                self.column(col);
                self.text(if *not { " NOT IN (" } else { " IN (" });
                for (i, v) in list.iter().enumerate() {
                    if i > 0 {
                        self.text(", ");
                    }
                    let v_ref = borrow(v);
                    self.param(quote_spanned!(v.span()=> #p::cmp(&#h, #v_ref)));
                }
                self.text(")");
            }
            Pred::InSlice(col, not, v) => {
                let h = self.handle(col);
                if *not {
                    self.text("NOT (");
                }
                self.column(col);
                self.text(" = ANY(");
                let v_ref = borrow(v);
                self.param(quote_spanned!(v.span()=> #p::cmp_any(&#h, #v_ref)));
                self.text(")");
                if *not {
                    self.text(")");
                }
            }
            Pred::Like(col, not, ilike, v) => {
                let h = self.handle(col);
                self.column(col);
                self.text(match (*not, *ilike) {
                    (false, false) => " LIKE ",
                    (true, false) => " NOT LIKE ",
                    (false, true) => " ILIKE ",
                    (true, true) => " NOT ILIKE ",
                });
                let v_ref = borrow(v);
                self.param(quote_spanned!(v.span()=> #p::pattern(&#h, #v_ref)));
            }
            Pred::Agg(agg, ident, arg, op, v) => {
                // Only the SQL is wanted here, not the reader.
                let _ = self.aggregate(*agg, ident, arg.as_ref(), &quote!(0usize));
                self.text(op.sql());
                let v_ref = borrow(v);
                let bind = match (agg, arg) {
                    (Agg::Sum, Some(c)) => {
                        let h = self.handle(c);
                        // All on the `sum`, like its other uses, so that a column that cannot
                        // be summed is one error; a wrong value still points at the value.
                        quote_spanned!(ident.span()=> #p::sum_info(&#h).bind(&#h, #v_ref))
                    }
                    (Agg::Min | Agg::Max, Some(c)) => {
                        let h = self.handle(c);
                        quote_spanned!(v.span()=> #p::cmp(&#h, #v_ref))
                    }
                    (Agg::Avg, Some(c)) => {
                        let h = self.handle(c);
                        quote_spanned!(ident.span()=> #p::avg_info(&#h).bind(&#h, #v_ref))
                    }
                    (Agg::Avg, None) => quote_spanned!(v.span()=> #p::avg_value(#v_ref)),
                    _ => quote_spanned!(v.span()=> #p::count(#v_ref)),
                };
                self.param(bind);
            }
            Pred::Exists(select) => {
                self.text("EXISTS (");
                let _ = select.subquery(self);
                self.text(")");
            }
            Pred::InSelect(col, not, select) => {
                let h = self.handle(col);
                self.column(col);
                self.text(if *not { " NOT IN (" } else { " IN (" });
                let w = select.subquery(self);
                self.text(")");
                // Without one value, a mistake the check stage reports.
                if let Some(w) = w {
                    self.checks_push(quote_spanned!(col.ident().span()=>
                        #p::in_select(&#h, #w)
                    ));
                }
            }
            Pred::Test(e) => {
                let w = self.expr(e, Bare::Column, None);
                self.checks_push(quote_spanned!(e.span()=> #p::typed(#w)));
            }
            Pred::NullExpr(e, not) => {
                let w = self.expr(e, Bare::Column, None);
                self.text(if *not { " IS NOT NULL" } else { " IS NULL" });
                // An expression that is never NULL makes the test constant.
                let w = expr::at(e.span(), w);
                let pp = super::ast::respan(p.clone(), e.span());
                self.checks_push(quote_spanned!(e.span()=> #pp::nullable_expr(#w)));
            }
            Pred::LikeExpr(e, not, ilike, v) => {
                let w = self.expr(e, Bare::Column, None);
                self.text(match (*not, *ilike) {
                    (false, false) => " LIKE ",
                    (true, false) => " NOT LIKE ",
                    (false, true) => " ILIKE ",
                    (true, true) => " NOT ILIKE ",
                });
                self.expr(
                    v,
                    Bare::Value,
                    Some(&quote!(#p::ty::<::std::string::String>())),
                );
                let pp = super::ast::respan(p.clone(), e.span());
                self.checks_push(quote_spanned!(e.span()=> #pp::typed(#pp::text_fn(#w))));
            }
            Pred::BetweenExpr(e, not, lo, hi) => {
                let wlo = expr::witness(self, lo, Bare::Value, None);
                let we = self.expr(e, Bare::Column, Some(&wlo));
                self.text(if *not { " NOT BETWEEN " } else { " BETWEEN " });
                for (i, bound) in [lo, hi].into_iter().enumerate() {
                    if i > 0 {
                        self.text(" AND ");
                    }
                    let w = self.expr(bound, Bare::Value, Some(&we));
                    let pp = super::ast::respan(p.clone(), bound.span());
                    self.checks_push(quote_spanned!(bound.span()=> #pp::cmp_exprs(#we, #w)));
                }
            }
            Pred::Between(col, not, lo, hi)
                if expr::is_sql(lo, Bare::Value) || expr::is_sql(hi, Bare::Value) =>
            {
                let h = self.handle(col);
                self.column(col);
                self.text(if *not { " NOT BETWEEN " } else { " BETWEEN " });
                let hint = quote!(#p::ty_col(&#h));
                for (i, bound) in [lo, hi].into_iter().enumerate() {
                    if i > 0 {
                        self.text(" AND ");
                    }
                    let w = self.expr(bound, Bare::Value, Some(&hint));
                    let pp = super::ast::respan(p.clone(), bound.span());
                    self.checks_push(quote_spanned!(bound.span()=> #pp::cmp_expr(&#h, #w)));
                }
            }
            Pred::Between(col, not, lo, hi) => {
                let h = self.handle(col);
                self.column(col);
                self.text(if *not { " NOT BETWEEN " } else { " BETWEEN " });
                let lo_ref = borrow(lo);
                self.param(quote_spanned!(lo.span()=> #p::cmp(&#h, #lo_ref)));
                self.text(" AND ");
                let hi_ref = borrow(hi);
                self.param(quote_spanned!(hi.span()=> #p::cmp(&#h, #hi_ref)));
            }
        }
    }
}
