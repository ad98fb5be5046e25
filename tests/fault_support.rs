//! The fault-injection support itself: a server owned by the test survives stop, start and
//! `kill -9`, and the relay passes, black-holes, delays, resets and counts connections.

use std::time::Duration;

use txova_db::postgres::{Config, Executor, Pool};
use txova_db_tests::{Mode, PgServer, Relay};

async fn pool(url: String) -> Pool {
    Pool::new(Config {
        max_connections: 2,
        connect_timeout: Duration::from_secs(2),
        acquire_timeout: Duration::from_secs(5),
        ..Config::new(url)
    })
    .await
    .unwrap()
}

async fn one(pool: &Pool) -> txova_db::Result<i32> {
    Ok(pool.query_one("SELECT 1", &[]).await?.get(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owned_server_stops_starts_and_survives_kill_9() {
    let server = PgServer::start().await;
    let pool = pool(server.url()).await;
    assert_eq!(one(&pool).await.unwrap(), 1);
    server.stop().await;
    assert!(one(&pool).await.is_err());
    server.start_again().await;
    server.kill9().await;
    server.start_again().await;
    let back = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Ok(v) = one(&pool).await {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the pool reconnects to the restarted server");
    assert_eq!(back, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_passes_delays_black_holes_and_resets() {
    let server = PgServer::start().await;
    let (relay, url) = Relay::for_url(&server.url()).await;
    let pool = pool(url).await;
    assert_eq!(one(&pool).await.unwrap(), 1);
    assert_eq!(relay.accepted(), 1);

    relay.set_mode(Mode::Delay(Duration::from_millis(20)));
    assert_eq!(one(&pool).await.unwrap(), 1);

    relay.set_mode(Mode::BlackHole);
    let held = tokio::spawn({
        let pool = pool.clone();
        async move { one(&pool).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!held.is_finished(), "a black hole forwards nothing");
    relay.set_mode(Mode::Pass);
    let v = tokio::time::timeout(Duration::from_secs(30), held)
        .await
        .expect("held bytes pass once the relay passes again");
    assert_eq!(v.unwrap().unwrap(), 1);

    relay.set_mode(Mode::Reset);
    let err = tokio::time::timeout(Duration::from_secs(30), one(&pool))
        .await
        .expect("a reset connection fails at once")
        .unwrap_err();
    assert!(err.is_connection() || err.is_timeout(), "{err:?}");
}
