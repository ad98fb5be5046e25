//! Compound queries and CTEs of every form compile, with the result types they read.

use std::marker::PhantomData;

use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key)]
    pub id: i64,
    pub name: String,
    pub bio: Option<String>,
    pub age: i32,
}

#[derive(Table)]
#[table(name = "admins")]
pub struct Admin {
    #[column(primary_key)]
    pub id: i64,
    pub name: String,
    pub level: i32,
}

#[derive(Table)]
pub struct Recent {
    pub id: i64,
    pub name: String,
    pub bio: Option<String>,
}

pub struct Named {
    pub name: String,
    pub bio: Option<String>,
}

/// The type of the rows a query reads.
fn reads<R, const N: usize>(_: &txova_db::postgres::Query<'_, R, N>) -> PhantomData<R> {
    PhantomData
}

fn main() {
    let (age, level, top) = (30, 2, 10_i64);
    // The result's second column is nullable because the second branch's is.
    let _: PhantomData<(i64, Option<String>)> = reads(&select!(id, name from User
        where age > age union all select id, bio from User where age < age order by name limit top));
    let _: PhantomData<Named> = reads(&select!(Named { name, bio } from User
        union select name, cast(level as text) from Admin where level = level
        intersect all select name, bio from User except select name, name from Admin));
    let _: PhantomData<User> = reads(&select!((select User order by age limit 1)
        union all (select User where age > age order by age desc limit 1)));
    let _: PhantomData<(String, Option<i64>)> = reads(&select!(name, count(*) as n from User
        group by name union select name, sum(level) from Admin group by name order by n desc));
    let _: PhantomData<(String, Option<String>)> = reads(&select!(
        with recursive Recent as (select id, name, bio from User where age > age
            union all select User::id, User::name, User::bio from User join Recent on Recent::id = User::id)
        select Recent::name, Recent::bio from Recent join User on User::id = Recent::id
        where Recent::id in (select id from Recent)));
    // A window function in a branch.
    let _: PhantomData<(String, i64)> = reads(&select!(name, row_number() over (order by id) as n
        from User union all select name, count(*) from Admin group by name order by n));
    // Nothing says what the rows are read into: the columns' own types.
    let q = select!(id, bio from User union select id, name from User);
    let _ = q.sql();
    let q = select!(name from User intersect select name from Admin);
    let _ = q.sql();
    // An aggregate over an expression in one branch, over a column in the other.
    let _: PhantomData<(String, Option<i64>)> = reads(&select!(name, sum(age * 2) as s from User
        group by name union all select name, sum(level) from Admin group by name));
}
