//! block: // jsonb: a field as jsonb (->) or text (->>), an array element by index, a value at a path
#![allow(unused, dead_code)]

use txova_db::{Table, select, update};

#[derive(Table, Debug)]
#[table(name = "rides")]
struct Ride {
    #[column(primary_key)]
    id: i64,
    zone: i32,
    data: serde_json::Value,
    tags: Vec<String>,
    stops: Option<Vec<i32>>,
}

async fn block(pool: txova_db::postgres::Pool) -> Result<(), txova_db::Error> {
// README BLOCK
    Ok(())
}

fn main() {}
