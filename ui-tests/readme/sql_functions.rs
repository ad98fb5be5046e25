//! block: // SQL functions of the database, typed: each becomes an item the queries call through.
#![allow(unused, dead_code)]

use txova_db::{PgEnum, Table, delete, insert, select, update};

#[derive(PgEnum, Debug, Clone, Copy, PartialEq)]
#[pg_enum(name = "user_status")]
enum Status {
    Active,
    Banned,
}

#[derive(Table, Debug)]
#[table(name = "users")]
struct User {
    #[column(primary_key, default)]
    id: i64,
    name: String,
    email: String,
    status: Status,
    age: i32,
    bio: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Table, Debug)]
#[table(name = "posts")]
struct Post {
    #[column(primary_key, default)]
    id: i64,
    user_id: i64,
    title: String,
}

async fn block(
    pool: txova_db::postgres::Pool,
    id: i64,
    pattern: &str,
    ids: Vec<i64>,
    page: i64,
    skip: i64,
    min_users: i64,
    ann: User,
    bob: User,
) -> Result<(), txova_db::Error> {
// README BLOCK
    Ok(())
}

fn main() {}
