//! block: use txova_db::postgres::{ColumnExt as _, all_columns, count_all, select_table};
#![allow(unused, dead_code, unused_imports, unused_variables)]

use txova_db::Table;
use txova_db::postgres::Pool;

#[derive(Table, Debug, Clone)]
#[table(name = "users")]
struct User {
    #[column(primary_key, default)]
    id: i64,
    name: String,
    status: String,
    age: i32,
}

#[derive(Table, Debug, Clone)]
#[table(name = "posts")]
struct Post {
    #[column(primary_key, default)]
    id: i64,
    user_id: i64,
    title: String,
}

async fn block(pool: Pool, min_users: i64) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
// README BLOCK
    Ok(())
}

fn main() {}
