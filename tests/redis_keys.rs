//! Typed cache keys from `cache_keys!` and `CacheEntity`, against a real server.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use txova_db::redis::{Cache, CacheEntity, CacheKey};
use txova_db::{Table, select};
use txova_db_tests::database;
use txova_db_tests::redis_env::targets;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Ride {
    km: u32,
}

txova_db::cache_keys! {
    /// A user's profile.
    fn user_profile(id: &str) -> User = "user:profile:{id}";
    fn ride_history(user: &str, page: u32) -> Vec<Ride> = "ride:history:list:user:{user}:page:{page}";
    fn pricing(city: String) -> u32 = "pricing:config:{city}";
    fn user_by_uuid(id: uuid::Uuid) -> User = "user:profile:{id}";
    fn surge(zone: i64, factor: f64) -> u32 = "pricing:surge:{zone}:{factor}";
}

impl CacheEntity for Ride {
    type Key = u64;
    const CACHE_PREFIX: &'static str = "ride:ride";
}

/// A table whose rows are cached under `fleet:driver:{id}`.
#[derive(Table, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[table(name = "drivers", cache = "fleet:driver")]
struct Driver {
    #[column(primary_key)]
    id: i64,
    name: String,
}

/// With a bare `cache`, the prefix is the table's name, after its schema.
#[derive(Table, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[table(name = "vehicles", schema = "fleet", cache)]
struct Vehicle {
    #[column(primary_key)]
    plate: String,
}

#[test]
fn a_table_derives_its_cache_key_from_its_primary_key() {
    let key: CacheKey<Driver> = Driver::cache_key(&42);
    assert_eq!(key.as_str(), "fleet:driver:42");
    assert_eq!(
        Vehicle::cache_key(&"AB:12".to_owned()).as_str(),
        "fleet:vehicles:AB%3A12"
    );
}

#[tokio::test]
async fn a_row_is_cached_under_its_derived_key() {
    let db = database("cache_entity").await;
    let pool = db.pool().await.unwrap();
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE drivers (id int8 PRIMARY KEY, name text NOT NULL);
             INSERT INTO drivers VALUES (7, 'Ana')",
        )
        .await
        .unwrap();
    for (name, client) in targets("entity").await {
        let cache = Cache::new(client);
        let id = 7_i64;
        let key = Driver::cache_key(&id);
        cache.delete(&key).await.unwrap();
        let loaded = cache
            .get_or_set(&key, Duration::from_secs(60), async || {
                select!(Driver where id = id).fetch_one(&pool).await
            })
            .await
            .unwrap();
        assert_eq!(loaded.name, "Ana", "{name}");
        // The key alone says what comes back.
        let cached = cache.get(&key).await.unwrap();
        assert_eq!(cached, Some(loaded), "{name}");
    }
}

#[test]
fn templates_build_the_seed_conventions() {
    assert_eq!(user_profile("42").as_str(), "user:profile:42");
    assert_eq!(
        ride_history("u1", 3).as_str(),
        "ride:history:list:user:u1:page:3"
    );
    assert_eq!(
        ride_history("u1", 3).list_prefix(),
        Some("ride:history:list:")
    );
    assert_eq!(
        pricing("maputo".to_owned()).as_str(),
        "pricing:config:maputo"
    );
    assert_eq!(Ride::cache_key(&9).as_str(), "ride:ride:9");
}

#[test]
fn uuids_and_numbers_are_written_as_go_writes_them() {
    // Go: fmt.Sprintf("user:profile:%s", id) with github.com/google/uuid, and %d / %v.
    let id = uuid::Uuid::parse_str("6F1C2A4E-8B3D-4C5E-9F60-718293A4B5C6").unwrap();
    assert_eq!(
        user_by_uuid(id).as_str(),
        "user:profile:6f1c2a4e-8b3d-4c5e-9f60-718293a4b5c6"
    );
    assert_eq!(surge(-3, 1.5).as_str(), "pricing:surge:-3:1.5");
    assert_eq!(surge(7, 2.0).as_str(), "pricing:surge:7:2");
}

#[test]
fn values_never_alias_another_key() {
    // Without escaping, user "a:page:1" on page 2 would read like another user's page.
    let tricky = ride_history("a:page:1", 2);
    let plain = ride_history("a", 1);
    assert_ne!(tricky, plain);
    assert_eq!(
        tricky.as_str(),
        "ride:history:list:user:a%3Apage%3A1:page:2"
    );
    assert_eq!(user_profile("{tag}").as_str(), "user:profile:%7Btag%7D");
    assert_ne!(user_profile("%3A"), user_profile(":"));
}

#[tokio::test]
async fn a_typed_key_reads_its_own_type() {
    for (name, client) in targets("keys").await {
        let cache = Cache::new(client);
        let key = user_profile("7");
        let ann = User { name: "Ana".into() };
        cache
            .set(&key, &ann, Duration::from_secs(60))
            .await
            .unwrap();
        // No annotation: the key says what comes back.
        let got = cache.get(&key).await.unwrap();
        assert_eq!(got, Some(ann), "{name}");
        let rides = CacheKey::<Vec<Ride>>::parse("ride:history:list:user:7").unwrap();
        cache
            .set(&rides, &vec![Ride { km: 3 }], Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(cache.get(&rides).await.unwrap().unwrap()[0].km, 3);
    }
}
