//! A tour of every feature of txova-db against the local servers.
//!
//! `cargo run --example tour`; set `DATABASE_URL` and `REDIS_URL` to use other servers.

mod postgres;
mod typed_sql;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let database_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/postgres".to_owned());
    let db = txova_db::testing::TestDatabase::create("tour").await?;
    println!("== txova-db tour (on a scratch database {}) ==", db.name());
    let _ = database_url;
    postgres::run(&db).await?;
    typed_sql::run(&db).await?;
    println!("== tour done ==");
    Ok(())
}
