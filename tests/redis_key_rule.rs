//! One rule for key segments everywhere: `cache_keys!` parameter values, `CacheKey::parse`,
//! lock keys, rate-limit keys and session user ids refuse the same strings with
//! `InvalidInput`, before anything is sent; on one node and on the cluster.

use std::time::Duration;

use txova_db::ErrorKind;
use txova_db::redis::{Cache, CacheKey, Locker, RateLimitConfig, RateLimiter, SessionStore};
use txova_db_tests::redis_env::targets;

txova_db::cache_keys! {
    fn two(a: &str, b: &str) -> u32 = "eval:two:{a}:{b}";
}

const MIN: Duration = Duration::from_secs(60);

/// Segments every key refuses.
const BAD: [&str; 6] = ["", " ", "a b", "c\nd", "tab\there", "nul\u{0}"];

fn assert_invalid<T: std::fmt::Debug>(what: &str, r: Result<T, txova_db::Error>) {
    let e = r.expect_err(what);
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{what}: {e}");
}

#[tokio::test]
async fn every_key_follows_one_segment_rule() {
    for (name, client) in targets("key-rule").await {
        let cache = Cache::new(client.clone());
        let locks = Locker::new(client.clone());
        let limits = RateLimiter::new(client.clone());
        let sessions = SessionStore::new(client.clone(), b"0123456789abcdef0123456789abcdef")
            .expect("a 32-byte secret");
        for bad in BAD {
            let what = format!("{name}: {bad:?}");
            // A key function's parameters: every cache operation refuses the key.
            let key = two(bad, "x");
            assert_invalid(&what, key.check());
            assert!(
                key.check()
                    .unwrap_err()
                    .to_string()
                    .contains("parameter `a`"),
                "{what}"
            );
            assert_invalid(&what, cache.get(&key).await);
            assert_invalid(&what, cache.set(&key, &1, MIN).await);
            assert_invalid(&what, cache.exists(&key).await);
            assert_invalid(&what, cache.delete(&key).await);
            assert_invalid(&what, cache.get_many(&[two("ok", "ok"), key.clone()]).await);
            assert_invalid(&what, cache.set_many(&[(key.clone(), 1)], MIN).await);
            assert_invalid(
                &what,
                cache
                    .get_or_set(&key, MIN, async || Ok::<_, txova_db::Error>(1))
                    .await,
            );
            // The same text written by hand.
            assert_invalid(&what, CacheKey::<u32>::parse(format!("eval:two:{bad}:x")));
            // Locks, rate limits and sessions.
            assert_invalid(&what, locks.try_acquire(&format!("order:{bad}"), MIN).await);
            assert_invalid(&what, locks.try_acquire(bad, MIN).await);
            let limit = RateLimitConfig {
                key: format!("ratelimit:api:{bad}"),
                limit: 10,
                window: MIN,
                burst: None,
            };
            assert_invalid(&what, limits.allow(&limit).await);
            assert_invalid(&what, sessions.list_by_user(bad).await);
            assert_invalid(&what, sessions.delete_all_for_user(bad).await);
        }
        // Nothing was written under the refused keys.
        assert!(!cache.exists(&two("ok", "x")).await.unwrap(), "{name}");
        // What the rule allows: escaped separators and tags, any other character.
        let key = two("a:b{c}", "é@x.com");
        assert_eq!(key.as_str(), "eval:two:a%3Ab%7Bc%7D:é@x.com");
        cache.set(&key, &7, MIN).await.unwrap();
        assert_eq!(cache.get(&key).await.unwrap(), Some(7), "{name}");
        let guard = locks.try_acquire("order:42", MIN).await.unwrap();
        assert!(guard.is_some(), "{name}");
    }
}
