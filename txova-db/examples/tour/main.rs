//! A tour of every feature of txova-db against the local servers.
//!
//! `cargo run --example tour`; set `DATABASE_URL` (a server where the user may create
//! databases) and `REDIS_URL` to use other servers. It works in a scratch database that it
//! drops at the end.

mod migrations;
mod observability;
mod postgres;
mod production;
mod redis;
mod typed_sql;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db = txova_db::testing::TestDatabase::create("tour").await?;
    println!("== txova-db tour (on a scratch database {}) ==", db.name());
    migrations::run(&db).await?;
    postgres::run(&db).await?;
    redis::run().await?;
    production::run(&db).await?;
    observability::run(&db).await?;
    // The typed-SQL part defines its own `users`, so it works in a scratch database of its own.
    let typed_db = txova_db::testing::TestDatabase::create("tour_typed").await?;
    typed_sql::run(&typed_db).await?;
    println!("== tour done ==");
    Ok(())
}
