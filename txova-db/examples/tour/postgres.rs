//! Pool, ping, transactions and errors.

pub async fn run(db: &txova_db::testing::TestDatabase) -> Result<(), Box<dyn std::error::Error>> {
    let pool = db.pool().await?;
    pool.ping().await?;
    println!("pool: ping ok, {:?}", pool.status());
    Ok(())
}
