//! Redis entries shared with Go: keys a Go service builds by txova-go-db's conventions (with
//! `fmt` and google/uuid) equal txova-db's typed keys, and cache values written by go-redis
//! with `encoding/json` and by txova-db's `Cache` are read by the other side. Without `go`
//! the tests say they are skipped (see `txova_db_tests::go`).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use txova_db::Table;
use txova_db::redis::{Cache, CacheEntity, CacheKey, Client, Config};
use txova_db_tests::go::go_interop;
use txova_db_tests::redis_env::{random_prefix, single_url};
use uuid::Uuid;

txova_db::cache_keys! {
    fn user_profile(id: Uuid) -> String = "user:profile:{id}";
    fn ride_detail(id: i64) -> String = "ride:detail:{id}";
    fn ride_history(user: Uuid, page: u32) -> Vec<String> =
        "ride:history:list:user:{user}:page:{page}";
    fn driver_nearby(city: &str, page: u32) -> Vec<String> =
        "driver:nearby:list:city:{city}:page:{page}";
    fn pricing(city: &str) -> u32 = "pricing:config:{city}";
}

/// A row cached under `user:profile:{id}`.
#[derive(Table, Debug, Clone)]
#[table(name = "users", cache = "user:profile")]
struct UserRow {
    #[column(primary_key)]
    id: Uuid,
}

/// A row cached under `ride:detail:{id}`.
#[derive(Table, Debug, Clone)]
#[table(name = "rides", cache = "ride:detail")]
struct RideRow {
    #[column(primary_key)]
    id: i64,
}

#[test]
fn keys_built_in_go_by_the_conventions_equal_the_typed_keys() {
    let Some(go) = go_interop("keys_built_in_go_by_the_conventions_equal_the_typed_keys") else {
        return;
    };
    let ids = [
        Uuid::nil(),
        Uuid::from_u128(0x6f96_19ff_8b86_d011_b42d_00c0_4fc9_64ff),
        Uuid::from_u128(u128::MAX),
    ];
    let numbers = [0, 7, -42, i64::MIN, i64::MAX];
    let pages = [0, 1, u32::MAX];
    let words = ["maputo", "beira-norte", "são_paulo", "zone_7"];
    for (i, id) in ids.iter().enumerate() {
        let number = numbers[i % numbers.len()];
        for (j, page) in pages.iter().enumerate() {
            let word = words[(i + j) % words.len()];
            // Go is handed the id in upper case: both sides write the canonical form.
            let upper = id.hyphenated().to_string().to_uppercase();
            let out = go.run(&["keys", &upper, &number.to_string(), &page.to_string(), word]);
            let go_keys: Vec<(String, String)> = out
                .ok()
                .lines()
                .map(|l| {
                    let (name, key) = l.split_once(' ').expect("`name key` lines");
                    (name.to_owned(), key.to_owned())
                })
                .collect();
            let rust_keys = [
                ("user_profile", user_profile(*id).into_string()),
                ("ride_detail", ride_detail(number).into_string()),
                ("ride_history", ride_history(*id, *page).into_string()),
                ("driver_nearby", driver_nearby(word, *page).into_string()),
                ("pricing", pricing(word).into_string()),
                ("user_entity", UserRow::cache_key(id).into_string()),
                ("ride_entity", RideRow::cache_key(&number).into_string()),
            ]
            .map(|(name, key)| (name.to_owned(), key));
            assert_eq!(go_keys, rust_keys);
            // And a key a Go service wrote parses as the typed key.
            for (_, key) in &go_keys {
                assert_eq!(
                    CacheKey::<String>::parse(key.clone()).unwrap().as_str(),
                    key
                );
            }
        }
    }
}

/// Go's `Inner`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Inner {
    name: String,
    score: f64,
}

/// Go's `Plain` (tests/go-interop/cache.go), in the documented Rust types: `*Inner` is an
/// `Option`, `map[string]any` a `BTreeMap` of JSON values, and `omitempty` is
/// `skip_serializing_if` with `default`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Plain {
    id: i64,
    title: String,
    zero: f64,
    neg_zero: f64,
    big: f64,
    small: f64,
    max: f64,
    third: f64,
    whole: f64,
    extra: BTreeMap<String, serde_json::Value>,
    inner: Inner,
    inner_ptr: Option<Inner>,
    nil_ptr: Option<Inner>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    note: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    count: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    maybe: Option<Inner>,
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// Go's `plainValue()`.
fn plain_value() -> Plain {
    Plain {
        id: -9_007_199_254_740_993,
        title: "Ana <a&b> \u{2028} \u{2029} é \"quoted\"\n\ttab".to_owned(),
        zero: 0.0,
        neg_zero: -0.0,
        big: 1e21,
        small: 1e-7,
        max: f64::MAX,
        third: 1.0 / 3.0,
        whole: 5.0,
        extra: [
            ("s", json!("x<y")),
            ("f", json!(1.5)),
            ("i", json!(42)),
            ("b", json!(true)),
            ("null", json!(null)),
            ("list", json!([1, "two", null])),
            ("obj", json!({"k": "v"})),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
        inner: Inner {
            name: "in".to_owned(),
            score: 0.1,
        },
        inner_ptr: Some(Inner {
            name: "ptr".to_owned(),
            score: -2.5,
        }),
        nil_ptr: None,
        note: "note".to_owned(),
        count: 3,
        tags: vec!["a".to_owned(), "b".to_owned()],
        maybe: Some(Inner {
            name: "maybe".to_owned(),
            score: 1e-7,
        }),
    }
}

/// Go's `plainEmpty()`: the `omitempty` fields empty, so neither side writes them.
fn plain_empty() -> Plain {
    Plain {
        id: 0,
        title: String::new(),
        zero: 0.0,
        neg_zero: 0.0,
        big: 0.0,
        small: 0.0,
        max: 0.0,
        third: 0.0,
        whole: 0.0,
        extra: BTreeMap::new(),
        inner: Inner {
            name: String::new(),
            score: 0.0,
        },
        inner_ptr: None,
        nil_ptr: None,
        note: String::new(),
        count: 0,
        tags: Vec::new(),
        maybe: None,
    }
}

/// A cache on the single node under a prefix of its own, and that prefix.
async fn cache(label: &str) -> (Cache, String) {
    let prefix = random_prefix(label);
    let client = Client::new(Config::new(single_url()).prefix(prefix.clone()))
        .await
        .expect("single node redis");
    (Cache::new(client), prefix)
}

/// The bytes stored under `key` (after the client's prefix).
async fn raw(cache: &Cache, key: &str) -> Vec<u8> {
    let full = cache.client().prefixed(key);
    let bytes: Option<Vec<u8>> = cache
        .client()
        .query(redis::cmd("GET").arg(&full))
        .await
        .unwrap();
    bytes.unwrap_or_else(|| panic!("no entry under {full}"))
}

fn key<T>(side: &str, name: &str) -> CacheKey<T> {
    CacheKey::parse(format!("interop:{side}:{name}")).unwrap()
}

/// Go writes with go-redis and `json.Marshal`; txova-db reads the same values. txova-db
/// writes; Go's `json.Unmarshal` reads the same values. And the bytes are the same both ways.
#[tokio::test]
async fn plain_values_cross_between_go_and_rust_byte_for_byte() {
    let Some(go) = go_interop("plain_values_cross_between_go_and_rust_byte_for_byte") else {
        return;
    };
    let (cache, prefix) = cache("go_cache_plain").await;
    assert_eq!(go.run(&["cache-write", &single_url(), &prefix]).ok(), "");

    for (name, want) in [("plain", plain_value()), ("plain_empty", plain_empty())] {
        // Go -> Rust.
        let got = cache.get(&key::<Plain>("go", name)).await.unwrap();
        let got = got.unwrap_or_else(|| panic!("{name}: no entry from Go"));
        assert_eq!(got, want, "{name}");
        assert_eq!(
            got.neg_zero.is_sign_negative(),
            want.neg_zero.is_sign_negative(),
            "{name}: the sign of zero"
        );
        // Rust -> Go: the same bytes as json.Marshal.
        cache
            .set(&key("rust", name), &want, Duration::from_secs(60))
            .await
            .unwrap();
        let go_bytes = raw(&cache, &format!("interop:go:{name}")).await;
        let rust_bytes = raw(&cache, &format!("interop:rust:{name}")).await;
        assert_eq!(
            String::from_utf8_lossy(&rust_bytes),
            String::from_utf8_lossy(&go_bytes),
            "{name}"
        );
    }
    let out = go.run(&["cache-read", &single_url(), &prefix, "plain", "plain_empty"]);
    assert_eq!(
        out.ok(),
        "plain equal=true bytes=true\nplain_empty equal=true bytes=true\n"
    );
}

/// Go's `Full`: `time.Time`, `[]byte`, `time.Duration` and `map[int]string`, in the
/// documented Rust types with txova-db's Go serde helpers.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Full {
    #[serde(with = "txova_db::redis::go::time")]
    at: DateTime<Utc>,
    #[serde(with = "txova_db::redis::go::time")]
    at_nano: DateTime<Utc>,
    #[serde(with = "txova_db::redis::go::time")]
    at_whole: DateTime<Utc>,
    #[serde(with = "txova_db::redis::go::bytes")]
    data: Vec<u8>,
    #[serde(with = "txova_db::redis::go::bytes::option")]
    nil_data: Option<Vec<u8>>,
    #[serde(with = "txova_db::redis::go::duration")]
    timeout: Duration,
    labels: BTreeMap<i64, String>,
    plain: Plain,
}

/// Go's `fullValue()`.
fn full_value() -> Full {
    let at = |y, mo, d, h, mi, s, nanos| {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .unwrap()
            .with_nanosecond(nanos)
            .unwrap()
    };
    Full {
        at: at(2024, 5, 1, 10, 20, 30, 123_400_000),
        at_nano: at(1999, 12, 31, 23, 59, 59, 999_999_999),
        at_whole: at(2024, 2, 29, 0, 0, 0, 0),
        data: vec![0, 1, 2, 250, 255],
        nil_data: None,
        timeout: Duration::from_millis(1500),
        labels: [(2, "two"), (10, "ten"), (-1, "minus one"), (100, "hundred")]
            .into_iter()
            .map(|(k, v)| (k, v.to_owned()))
            .collect(),
        plain: plain_value(),
    }
}

/// The same both ways for the Go types whose JSON differs from serde's defaults: times as
/// Go's RFC 3339 with trimmed fractions, bytes as base64, durations as nanoseconds, and
/// integer map keys as strings in Go's (text) order.
#[tokio::test]
async fn times_bytes_durations_and_integer_maps_cross_byte_for_byte() {
    let Some(go) = go_interop("times_bytes_durations_and_integer_maps_cross_byte_for_byte") else {
        return;
    };
    let (cache, prefix) = cache("go_cache_full").await;
    assert_eq!(go.run(&["cache-write", &single_url(), &prefix]).ok(), "");
    let want = full_value();
    let got = cache.get(&key::<Full>("go", "full")).await.unwrap();
    assert_eq!(got.as_ref(), Some(&want));
    cache
        .set(&key("rust", "full"), &want, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&raw(&cache, "interop:rust:full").await),
        String::from_utf8_lossy(&raw(&cache, "interop:go:full").await),
    );
    let out = go.run(&["cache-read", &single_url(), &prefix, "full"]);
    assert_eq!(out.ok(), "full equal=true bytes=true\n");
}
