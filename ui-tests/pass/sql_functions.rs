//! SQL functions declared with `sql_function!` are called in every place an expression goes,
//! typed by their declaration, with the workspace's strictest warnings.
#![deny(warnings)]

use txova_db::postgres::Executor;
use txova_db::{Table, select, sql_function, update};

#[derive(Table, Debug)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key, default)]
    pub id: i64,
    pub name: String,
    pub age: i32,
    pub bio: Option<String>,
}

mod sql {
    txova_db::sql_function! {
        /// The first letters of the words of a text.
        pub fn initials(name: String) -> String;
        /// `pg_trgm`'s similarity.
        pub fn similarity(a: String, b: String) -> f32;
        /// A function that may return NULL whatever its arguments.
        pub fn maybe_age(age: i32) -> Option<i32>;
    }
}

sql_function! {
    fn pi() -> f64;
    fn r#type(x: i32) -> i32;
}

use sql::{initials, maybe_age, similarity};

async fn run<E: Executor>(db: &E) -> txova_db::Result<()> {
    let query = String::from("ann");
    let rows: Vec<(String, Option<String>, f32, Option<i32>, f64, i32)> = select!(
        initials(name), initials(bio), similarity(name, "ann"), maybe_age(age), pi(),
        r#type(age) from User
        where initials(name) = "A" and similarity(name, "ann") > 0.5
        order by initials(name) desc)
    .fetch_all(db)
    .await?;
    let qualified: Vec<String> = select!(sql::initials(name) from User).fetch_all(db).await?;
    let grouped: Vec<(String, i64)> =
        select!(initials(name), count(*) from User group by initials(name))
            .fetch_all(db)
            .await?;
    let id = 1_i64;
    let changed: u64 = update!(User set name = initials(User::name) || "." where id = id)
        .execute(db)
        .await?;
    // Where a bare name is a value, a call with no column is a Rust call.
    let n: Vec<i64> = select!(id from User where name = rust_side(&query))
        .fetch_all(db)
        .await?;
    let _ = (rows, qualified, grouped, changed, n, sql::similarity);
    Ok(())
}

fn rust_side(s: &str) -> String {
    s.to_uppercase()
}

fn main() {
    let _ = run::<txova_db::postgres::Pool>;
}
