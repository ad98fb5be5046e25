//! Commands per cache operation, counted by the server itself (`INFO commandstats`) on a
//! private `redis-server`, so no other test's traffic is counted.

use std::collections::BTreeMap;
use std::time::Duration;

use txova_db::Error;
use txova_db::redis::{Cache, Client, Config};
use txova_db_tests::redis_env::OwnServer;

txova_db::cache_keys! {
    fn profile(id: u64) -> String = "user:profile:{id}";
}

const MIN: Duration = Duration::from_secs(60);

/// Calls per command since the last reset, from `INFO commandstats`.
async fn command_counts(client: &Client) -> BTreeMap<String, u64> {
    let info: String = client
        .query(redis::cmd("INFO").arg("commandstats"))
        .await
        .unwrap();
    info.lines()
        .filter_map(|line| {
            let (name, stats) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = stats.split(',').find_map(|s| s.strip_prefix("calls="))?;
            Some((name.to_owned(), calls.parse().ok()?))
        })
        .collect()
}

/// The commands `op` sends, by name (the `INFO` and `CONFIG` of the counting left out).
async fn counted(client: &Client, op: impl AsyncFnOnce()) -> BTreeMap<String, u64> {
    let _: () = client
        .query(redis::cmd("CONFIG").arg("RESETSTAT"))
        .await
        .unwrap();
    op().await;
    let mut counts = command_counts(client).await;
    counts.remove("info");
    counts.retain(|name, _| !name.starts_with("config"));
    counts
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

#[tokio::test]
async fn get_or_set_miss_is_one_get_then_one_set() {
    let server = OwnServer::start();
    let client = Client::new(Config::new(server.url())).await.unwrap();
    let cache = Cache::new(client.clone());
    let got = counted(&client, async || {
        let v = cache
            .get_or_set(&profile(1), MIN, async || Ok::<_, Error>("Ana".to_owned()))
            .await
            .unwrap();
        assert_eq!(v, "Ana");
    })
    .await;
    assert_eq!(got, counts(&[("get", 1), ("set", 1)]), "a miss");
    let got = counted(&client, async || {
        let v = cache
            .get_or_set(&profile(1), MIN, async || Ok::<_, Error>("Bea".to_owned()))
            .await
            .unwrap();
        assert_eq!(v, "Ana");
    })
    .await;
    assert_eq!(got, counts(&[("get", 1)]), "a hit");
}
