//! block: use txova_db::{PgEnum, Table, select, insert, update, delete};
#![allow(unused, dead_code)]

async fn block(
    pool: txova_db::postgres::Pool,
    cutoff: chrono::DateTime<chrono::Utc>,
) -> Result<(), txova_db::Error> {
    let status = Status::Active;
// README BLOCK
    Ok(())
}

fn main() {}
