//! Queries of the expression grammar that must compile: values in `having` and in a `case`
//! condition are not taken for columns by the grouping rule; aggregates over expressions;
//! window functions.

use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key)]
    pub id: i64,
    pub name: String,
    pub status: String,
    pub age: i32,
    pub bio: Option<String>,
}

fn main() {
    let s = String::from("active");
    let t = String::from("a");
    // `s` and `t` are Rust values, not columns to group by.
    let _ = select!(status, count(*) from User group by status having status = s);
    let _ = select!(status, count(*) from User group by status
        having lower(status) = s and max(case when lower(name) = t then 1 else 0 end) = 1);
    let _ = select!(status, sum(case when bio is null then 1 else 0 end) from User
        group by status having sum(age * 2) > 10i64);
    // Aggregates over expressions, typed: `sum` of an `i32` expression is an `i64`.
    let _: Option<(String, Option<i64>, Option<f64>, i64, Option<String>)> = None;
    let q = select!(status, sum(age * 2), avg(age + 1), count(lower(name)), min(lower(name))
        from User group by status);
    let _ = q;
    // `is null` on an expression that may be NULL.
    let _ = select!(id from User where coalesce(bio, bio) is null and lower(bio) is not null);
    // Windows, with an aggregate over an expression.
    let _ = select!(name, sum(age * 2) over (partition by status),
        row_number() over (order by lower(name)) from User order by rank() over (order by age));
}
