//! block: // union / union all / intersect / except [all]: each branch selects the first branch's
#![allow(unused, dead_code)]

use txova_db::{PgEnum, Table, select};

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

#[derive(Table, Debug)]
#[table(name = "admins")]
struct Admin {
    #[column(primary_key, default)]
    id: i64,
    name: String,
    nickname: Option<String>,
    level: i32,
}

async fn block(
    pool: txova_db::postgres::Pool,
    status: Status,
    min_posts: i64,
) -> Result<(), txova_db::Error> {
// README BLOCK
    Ok(())
}

fn main() {}
