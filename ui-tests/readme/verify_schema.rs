//! block: let diffs = txova_db::postgres::verify_schema::<User>(&pool).await?;
#![allow(unused, dead_code)]

#[derive(txova_db::Table)]
#[table(name = "users")]
struct User {
    #[column(primary_key)]
    id: i64,
}

async fn block(pool: txova_db::postgres::Pool) -> Result<(), txova_db::Error> {
// README BLOCK
    Ok(())
}

fn main() {}
