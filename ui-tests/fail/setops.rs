use std::marker::PhantomData;

use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key)]
    pub id: i64,
    pub name: String,
    pub age: i32,
}

#[derive(Table)]
#[table(name = "admins")]
pub struct Admin {
    #[column(primary_key)]
    pub id: i64,
    pub name: String,
    pub nickname: Option<String>,
    pub level: i32,
}

pub struct NameAge {
    pub name: String,
    pub age: i32,
}

pub struct Named {
    pub id: i64,
    pub name: String,
}

/// The type of the rows a query reads.
fn reads<R, const N: usize>(_: &txova_db::postgres::Query<'_, R, N>) -> PhantomData<R> {
    PhantomData
}

fn main() {
    // The 2nd column of the second branch is text where the first branch's is a bigint.
    let _ = select!(id, name from User union all select name, name from Admin);
    // A column of another type further down, in a third branch.
    let _ = select!(id, name, age from User union select id, name, level from Admin
        except select id, name, name from Admin);
    // Another number of columns.
    let _ = select!(id, name from User union select id from Admin);
    // `order by` on a column that is not in the result, and on an expression.
    let _ = select!(id, name from User union select id, name from Admin order by age);
    let _ = select!(id, name from User union select id, name from Admin order by upper(name));
    // A whole table where the first branch selects another, or a column.
    let _ = select!(User union select Admin);
    let _ = select!(User union select id from Admin);
    // Only the first branch names the result's struct.
    let _ = select!(name, age from User union select NameAge { name, level as age } from Admin);
    // A branch's column that may be NULL makes the result's column an `Option`: a field or a
    // tuple of the first branch's types does not read it.
    let _ = select!(Named { id, name } from User union select id, nickname from Admin);
    let _: PhantomData<(i64, String)> = reads(&select!(id, name from User
        union select id, nickname from Admin));
}
