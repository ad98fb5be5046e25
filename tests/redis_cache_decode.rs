//! Entries another client wrote that do not decode: a visible `Decode` error naming the key
//! by default, the entry left in place; or, when configured, a counted miss. On one node and
//! on the cluster.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use txova_db::redis::{Cache, Client, Lease, OnDecodeError};
use txova_db::{Error, ErrorKind};
use txova_db_tests::redis_env::targets;

/// A struct as a Rust service declares it, without Go's conventions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Blob {
    data: Vec<u8>,
}

/// The same struct with the helper that reads and writes bytes as Go does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct GoBlob {
    #[serde(with = "txova_db::redis::go::bytes")]
    data: Vec<u8>,
}

txova_db::cache_keys! {
    fn blob(id: u64) -> Blob = "file:blob:{id}";
    fn go_blob(id: u64) -> GoBlob = "file:blob:{id}";
}

const MIN: Duration = Duration::from_secs(60);

/// Writes `raw` under `key` as redis-cli would, bypassing the cache.
async fn write_raw(client: &Client, key: &str, raw: &[u8]) {
    let _: () = client
        .query(redis::cmd("SET").arg(client.prefixed(key)).arg(raw))
        .await
        .unwrap();
}

async fn read_raw(client: &Client, key: &str) -> Option<Vec<u8>> {
    client
        .query(redis::cmd("GET").arg(client.prefixed(key)))
        .await
        .unwrap()
}

#[tokio::test]
async fn an_entry_that_does_not_decode_is_an_error_and_stays() {
    for (name, client) in targets("cache-decode").await {
        let cache = Cache::new(client.clone());
        // What Go's json.Marshal writes for struct{ Data []byte `json:"data"` }.
        let go = br#"{"data":"AQID"}"#;
        write_raw(&client, "file:blob:1", go).await;
        let e = cache.get(&blob(1)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{name}: {e}");
        let text = e.to_string();
        assert!(text.contains("file:blob:1"), "{name}: {text}");
        assert!(
            text.contains("invalid type"),
            "{name}: the serde error: {text}"
        );
        assert_eq!(
            read_raw(&client, "file:blob:1").await.as_deref(),
            Some(&go[..])
        );

        // Other shapes and garbage, in one and many at once.
        for garbage in [&b"{not json"[..], br#"{"data":7}"#, b"\xff\xfe"] {
            write_raw(&client, "file:blob:2", garbage).await;
            let e = cache.get(&blob(2)).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Decode, "{name}: {e}");
            let e = cache.get_many(&[blob(3), blob(2)]).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Decode, "{name}: {e}");
            assert!(e.to_string().contains("file:blob:2"), "{name}: {e}");
            assert_eq!(
                read_raw(&client, "file:blob:2").await.as_deref(),
                Some(garbage),
                "{name}: the entry is left as it is"
            );
        }

        // get_or_set does not compute over a poison entry, however often it is called.
        let calls = AtomicUsize::new(0);
        for _ in 0..3 {
            let e = cache
                .get_or_set(&blob(1), MIN, async || {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, Error>(Blob { data: vec![9] })
                })
                .await
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Decode, "{name}: {e}");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 0, "{name}");
        // With a lease too.
        let leased = Cache::new(client.clone()).with_lease(Lease::default());
        let e = leased
            .get_or_set(&blob(1), MIN, async || {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok::<_, Error>(Blob { data: vec![9] })
            })
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{name}: {e}");
        assert_eq!(calls.load(Ordering::SeqCst), 0, "{name}");
        assert_eq!(
            read_raw(&client, "file:blob:1").await.as_deref(),
            Some(&go[..])
        );

        // Declared with Go's byte encoding, the same entry reads, and writes back unchanged.
        let got = cache.get(&go_blob(1)).await.unwrap().unwrap();
        assert_eq!(got.data, [1, 2, 3], "{name}");
        cache.set(&go_blob(4), &got, MIN).await.unwrap();
        assert_eq!(
            read_raw(&client, "file:blob:4").await.as_deref(),
            Some(&go[..])
        );
    }
}

#[tokio::test]
async fn as_a_miss_it_is_counted_and_computed_once() {
    for (name, client) in targets("cache-decode-miss").await {
        let cache = Cache::new(client.clone()).on_decode_error(OnDecodeError::Miss);
        write_raw(&client, "file:blob:1", br#"{"data":"AQID"}"#).await;
        assert_eq!(cache.get(&blob(1)).await.unwrap(), None, "{name}");
        assert_eq!(cache.decode_failures(), 1, "{name}");
        assert!(
            read_raw(&client, "file:blob:1").await.is_some(),
            "{name}: a miss does not delete"
        );
        assert_eq!(
            cache.get_many(&[blob(1), blob(2)]).await.unwrap(),
            vec![None, None]
        );
        assert_eq!(cache.decode_failures(), 2, "{name}");

        // get_or_set computes once and overwrites the entry; later calls hit.
        let calls = AtomicUsize::new(0);
        for _ in 0..3 {
            let v = cache
                .get_or_set(&blob(1), MIN, async || {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, Error>(Blob { data: vec![9] })
                })
                .await
                .unwrap();
            assert_eq!(v.data, [9], "{name}");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "{name}");
        // The counter is shared by clones of the cache.
        assert_eq!(cache.clone().decode_failures(), 3, "{name}");
    }
}
