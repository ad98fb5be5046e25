//! Observability: a `tracing` subscriber shows the spans of a typed query, a cache miss and
//! hit, and a lock, with their OpenTelemetry attributes (never a value; keys as templates).

use std::time::Duration;

use tracing_subscriber::fmt::format::FmtSpan;
use txova_db::postgres::{self, Executor as _};
use txova_db::redis::{Cache, Client, Config, Locker};
use txova_db::{Table, select};

#[derive(Table, Debug)]
#[table(name = "tour_riders")]
struct Rider {
    #[column(primary_key)]
    id: i64,
    name: String,
}

txova_db::cache_keys! {
    /// A rider's rating.
    fn rider_rating(id: i64) -> f32 = "rider:rating:{id}";
}

pub async fn run(db: &txova_db::testing::TestDatabase) -> Result<(), Box<dyn std::error::Error>> {
    let pool = postgres::Pool::new(postgres::Config::new(db.url())).await?;
    pool.execute(
        "CREATE TABLE tour_riders (id int8 PRIMARY KEY, name text NOT NULL)",
        &[],
    )
    .await?;
    pool.execute(
        "INSERT INTO tour_riders (id, name) VALUES ($1, $2)",
        &[&1_i64, &"Ana"],
    )
    .await?;
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|e| e.to_string())?;
    let prefix = format!("tour:{:016x}:", u64::from_le_bytes(random));
    let client = Client::new(Config::new(&url).prefix(&prefix)).await?;
    let cache = Cache::new(client.clone());
    let locker = Locker::new(client.clone());

    // A subscriber that prints each span of txova-db when it closes, with its fields. It is
    // the default of this thread only while `_guard` lives (a service would install one for
    // the whole process, with an OpenTelemetry layer).
    let subscriber = tracing_subscriber::fmt()
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .without_time()
        .finish();
    println!("observability: the spans of a select!, a cache miss and hit, and a lock:");
    {
        let _guard = tracing::subscriber::set_default(subscriber);
        let id = 1_i64;
        let rider = select!(Rider where id = id).fetch_one(&pool).await?;
        let key = rider_rating(rider.id);
        let _miss = cache.get(&key).await?;
        cache.set(&key, &4.9, Duration::from_secs(60)).await?;
        let _hit = cache.get(&key).await?;
        locker
            .with_lock("rider:1:payout", Duration::from_secs(5), async |_| {
                Ok::<_, txova_db::Error>(())
            })
            .await?;
    }
    cache.delete(&rider_rating(1)).await?;
    let fence = client.prefixed("lock:{rider:1:payout}:fence");
    let _: i64 = client.query(::redis::cmd("DEL").arg(fence)).await?;
    pool.close(Duration::from_secs(5)).await?;
    Ok(())
}
