//! Sessions: create, get, list, delete, update, rotate, lifetimes; on one node and on the
//! cluster.

use std::time::Duration;

use txova_db::ErrorKind;
use txova_db::redis::{Client, Config};
use txova_db::redis::{SessionData, SessionStore};
use txova_db_tests::redis_env::{OwnServer, targets};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

fn data(user: &str, device: &str) -> SessionData {
    SessionData {
        user_id: user.to_owned(),
        device_id: device.to_owned(),
        device_info: "iPhone 15, iOS 18".to_owned(),
        ip_address: "198.51.100.7".to_owned(),
    }
}

#[tokio::test]
async fn create_get_list_delete() {
    for (name, client) in targets("sess-basic").await {
        let store = SessionStore::new(client, SECRET).unwrap();
        let a = store.create(data("u1", "d1")).await.unwrap();
        let b = store.create(data("u1", "d2")).await.unwrap();
        let other = store.create(data("u2", "d3")).await.unwrap();
        assert_eq!(a.id.len(), 48, "{name}");
        assert!(a.id.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.id[..32], b.id[..32]);
        let got = store.get(&a.id).await.unwrap().unwrap();
        assert_eq!(got.data, data("u1", "d1"));
        assert!(got.last_seen_at >= a.last_seen_at);
        let list = store.list_by_user("u1").await.unwrap();
        let ids: Vec<_> = list.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(list.len(), 2, "{name}");
        assert!(ids.contains(&a.id.as_str()) && ids.contains(&b.id.as_str()));
        assert!(store.delete(&a.id).await.unwrap());
        assert!(!store.delete(&a.id).await.unwrap());
        assert_eq!(store.get(&a.id).await.unwrap(), None);
        assert_eq!(store.list_by_user("u1").await.unwrap().len(), 1);
        assert_eq!(store.delete_all_for_user("u1").await.unwrap(), 1);
        assert!(store.list_by_user("u1").await.unwrap().is_empty());
        assert_eq!(store.get(&b.id).await.unwrap(), None);
        // Other users are untouched.
        assert!(store.get(&other.id).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn user_ids_are_matched_exactly() {
    for (name, client) in targets("sess-users").await {
        let store = SessionStore::new(client, SECRET).unwrap();
        // Characters JSON escapes (Go-style `\u003c`), non-ASCII, quotes and separators
        // (whitespace, U+2028 included, breaks the key rule: see redis_key_rule.rs).
        let tricky = "ana<&>\"é:{x}";
        let s = store.create(data(tricky, "d1")).await.unwrap();
        let _other = store.create(data("ana", "d2")).await.unwrap();
        let list = store.list_by_user(tricky).await.unwrap();
        assert_eq!(list.len(), 1, "{name}");
        assert_eq!(list[0].id, s.id);
        assert_eq!(list[0].data.user_id, tricky);
        assert_eq!(store.list_by_user("ana").await.unwrap().len(), 1);
        assert_eq!(store.delete_all_for_user(tricky).await.unwrap(), 1);
        assert_eq!(store.list_by_user("ana").await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn a_deleted_session_never_comes_back() {
    for (name, client) in targets("sess-dead").await {
        let store = SessionStore::new(client, SECRET).unwrap();
        let s = store.create(data("u1", "d1")).await.unwrap();
        assert!(store.delete(&s.id).await.unwrap());
        // Late writes from a request that read the session before the delete.
        assert!(
            !store.update(&s.id, &data("u1", "d9")).await.unwrap(),
            "{name}"
        );
        assert_eq!(store.rotate(&s.id).await.unwrap(), None);
        assert_eq!(store.get(&s.id).await.unwrap(), None);
        assert!(store.list_by_user("u1").await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn update_and_rotate() {
    for (name, client) in targets("sess-update").await {
        let store = SessionStore::new(client, SECRET).unwrap();
        let s = store.create(data("u1", "d1")).await.unwrap();
        let mut new = data("u1", "d1");
        new.ip_address = "203.0.113.9".into();
        assert!(store.update(&s.id, &new).await.unwrap(), "{name}");
        assert_eq!(store.get(&s.id).await.unwrap().unwrap().data, new);
        let e = store.update(&s.id, &data("u2", "d1")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        let rotated = store.rotate(&s.id).await.unwrap().unwrap();
        assert_ne!(rotated.id, s.id);
        assert_eq!(rotated.data, new);
        assert_eq!(rotated.absolute_expires_at, s.absolute_expires_at);
        assert_eq!(store.get(&s.id).await.unwrap(), None);
        assert!(store.get(&rotated.id).await.unwrap().is_some());
        assert_eq!(store.list_by_user("u1").await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn idle_and_absolute_lifetimes() {
    for (name, client) in targets("sess-life").await {
        let idle = SessionStore::new(client.clone(), SECRET)
            .unwrap()
            .lifetimes(Duration::from_secs(1), Duration::from_secs(60))
            .unwrap();
        let s = idle.create(data("u1", "d1")).await.unwrap();
        let kept = idle.create(data("u1", "d2")).await.unwrap();
        // Using a session pushes its idle expiry back.
        for _ in 0..7 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            assert!(idle.get(&kept.id).await.unwrap().is_some(), "{name}");
        }
        assert_eq!(idle.get(&s.id).await.unwrap(), None, "{name}: idle expiry");
        let list = idle.list_by_user("u1").await.unwrap();
        assert_eq!(list.len(), 1, "{name}: expired sessions drop out");
        assert_eq!(list[0].id, kept.id);

        let short = SessionStore::new(client, SECRET)
            .unwrap()
            .lifetimes(Duration::from_secs(60), Duration::from_millis(1500))
            .unwrap();
        let s = short.create(data("u3", "d1")).await.unwrap();
        for _ in 0..2 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            assert!(short.get(&s.id).await.unwrap().is_some());
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            short.get(&s.id).await.unwrap(),
            None,
            "{name}: absolute expiry"
        );
        assert!(short.list_by_user("u3").await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn bad_input_is_refused() {
    for (_, client) in targets("sess-bad").await {
        let store = SessionStore::new(client.clone(), SECRET).unwrap();
        for id in ["", "abc", &"Z".repeat(48), &"a".repeat(49)] {
            let e = store.get(id).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{id:?}");
            assert_eq!(
                store.delete(id).await.unwrap_err().kind(),
                ErrorKind::InvalidInput
            );
        }
        // Well-formed but unknown.
        assert_eq!(store.get(&"0".repeat(48)).await.unwrap(), None);
        let e = store.create(data("", "d")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(
            SessionStore::new(client, SECRET)
                .unwrap()
                .lifetimes(Duration::ZERO, Duration::from_secs(1))
                .is_err()
        );
    }
}

#[tokio::test]
async fn a_racing_write_never_resurrects_a_deleted_session() {
    for (name, client) in targets("sess-race").await {
        let store = SessionStore::new(client, SECRET).unwrap();
        for round in 0..50 {
            let user = format!("racer-{round}");
            let s = store.create(data(&user, "d1")).await.unwrap();
            let newer = data(&user, "d2");
            // The delete and the writes reach the server in any order.
            let (deleted, updated, read, updated_again) = tokio::join!(
                store.delete(&s.id),
                store.update(&s.id, &newer),
                store.get(&s.id),
                store.update(&s.id, &newer),
            );
            assert!(deleted.unwrap(), "{name}: the delete found the session");
            let (_, _, _) = (updated.unwrap(), read.unwrap(), updated_again.unwrap());
            assert_eq!(
                store.get(&s.id).await.unwrap(),
                None,
                "{name} round {round}"
            );
            assert!(
                store.list_by_user(&user).await.unwrap().is_empty(),
                "{name} round {round}: the user's list kept the deleted session"
            );
        }
    }
}

/// FNV-1a (64 bits) as 16 hex digits: what ids used to end with.
fn fnv(user: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in user.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[tokio::test]
async fn an_id_does_not_reveal_its_user() {
    for (name, client) in targets("sess-opaque").await {
        let store = SessionStore::new(client, SECRET).unwrap();
        let s = store.create(data("user-583920", "d1")).await.unwrap();
        // Without the server's secret, trying a million candidate users finds none.
        let found = (0..1_000_000)
            .map(|i| format!("user-{i}"))
            .find(|u| s.id.contains(&fnv(u)));
        assert_eq!(found, None, "{name}: the user was recovered from the id");
    }
}

#[tokio::test]
async fn ids_of_one_user_share_no_part() {
    for (name, client) in targets("sess-link").await {
        let store = SessionStore::new(client, SECRET).unwrap();
        let a = store.create(data("u1", "d1")).await.unwrap();
        let b = store.create(data("u1", "d2")).await.unwrap();
        let rotated = store.rotate(&b.id).await.unwrap().unwrap();
        // No run of 8 hex digits at the same place in two ids of one user (chance of one by
        // accident: about 1 in 10^8).
        for (x, y) in [(&a.id, &b.id), (&a.id, &rotated.id), (&b.id, &rotated.id)] {
            for i in 0..x.len() - 8 {
                assert_ne!(x[i..i + 8], y[i..i + 8], "{name}: {x} and {y} share a part");
            }
        }
    }
}

#[tokio::test]
async fn a_logout_after_a_rotation_ends_the_session() {
    for (name, client) in targets("sess-rot-del").await {
        let store = SessionStore::new(client, SECRET).unwrap();
        let s = store.create(data("u1", "d1")).await.unwrap();
        let rotated = store.rotate(&s.id).await.unwrap().unwrap();
        // A client still holding the old id logs out.
        assert!(store.delete(&s.id).await.unwrap(), "{name}");
        assert_eq!(store.get(&rotated.id).await.unwrap(), None, "{name}");
        assert!(store.list_by_user("u1").await.unwrap().is_empty(), "{name}");
    }
}

#[tokio::test]
async fn a_logout_racing_a_rotation_ends_the_session() {
    for (name, client) in targets("sess-rot-race").await {
        // Two connections, so the two commands reach the server in either order.
        let other = txova_db::redis::Client::new(client.config().clone())
            .await
            .unwrap();
        let store = SessionStore::new(client, SECRET).unwrap();
        let logout = SessionStore::new(other, SECRET).unwrap();
        let mut alive = 0;
        for round in 0..100 {
            let user = format!("rot-{round}");
            let s = store.create(data(&user, "d1")).await.unwrap();
            let (rotated, deleted) = tokio::join!(
                tokio::spawn({
                    let store = store.clone();
                    let id = s.id.clone();
                    async move { store.rotate(&id).await }
                }),
                tokio::spawn({
                    let logout = logout.clone();
                    let id = s.id.clone();
                    async move { logout.delete(&id).await }
                }),
            );
            // Whichever ran first, the logout ended a live session.
            // Whichever ran first, the logout ended a live session.
            assert!(deleted.unwrap().unwrap(), "{name} round {round}");
            if let Some(new) = rotated.unwrap().unwrap()
                && store.get(&new.id).await.unwrap().is_some()
            {
                alive += 1;
            }
            if !store.list_by_user(&user).await.unwrap().is_empty() {
                alive += 1;
            }
        }
        assert_eq!(alive, 0, "{name}: sessions left alive after a logout");
    }
}

/// The calls of each command since the last `CONFIG RESETSTAT`, from `INFO commandstats`.
async fn command_calls(client: &Client) -> Vec<(String, u64)> {
    let info: String = client
        .query(&redis::cmd("INFO").arg("commandstats").clone())
        .await
        .unwrap();
    info.lines()
        .filter_map(|l| {
            let (name, rest) = l.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = rest
                .strip_prefix("calls=")?
                .split(',')
                .next()?
                .parse()
                .ok()?;
            Some((name.to_owned(), calls))
        })
        .filter(|(name, _)| name != "info" && name != "config|resetstat")
        .collect()
}

#[tokio::test]
async fn a_read_soon_after_the_last_writes_nothing() {
    let server = OwnServer::start();
    let client = Client::new(Config::new(server.url())).await.unwrap();
    // Idle lifetime 1 hour: reads within 6 minutes of the last mark write nothing.
    let store = SessionStore::new(client.clone(), SECRET)
        .unwrap()
        .lifetimes(Duration::from_secs(3600), Duration::from_secs(7200))
        .unwrap();
    let s = store.create(data("u1", "d1")).await.unwrap();
    // Loads the script.
    store.get(&s.id).await.unwrap().unwrap();
    let _: () = client
        .query(&redis::cmd("CONFIG").arg("RESETSTAT").clone())
        .await
        .unwrap();
    for _ in 0..10 {
        let got = store.get(&s.id).await.unwrap().unwrap();
        assert_eq!(got.last_seen_at, s.last_seen_at);
    }
    let mut calls = command_calls(&client).await;
    calls.sort();
    let expected: Vec<(String, u64)> = [("evalsha", 10), ("hget", 10), ("time", 10)]
        .into_iter()
        .map(|(n, c)| (n.to_owned(), c))
        .collect();
    assert_eq!(calls, expected, "one script per read, and no write");
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Web {
    user: String,
    roles: Vec<String>,
}

impl txova_db::redis::SessionUser for Web {
    fn user_id(&self) -> &str {
        &self.user
    }
}

#[tokio::test]
async fn session_data_of_your_own_type() {
    for (name, client) in targets("sess-typed").await {
        let store: SessionStore<Web> = SessionStore::new(client.clone(), SECRET)
            .unwrap()
            .with_data();
        let web = Web {
            user: "u1".into(),
            roles: vec!["admin".into()],
        };
        let s = store.create(web.clone()).await.unwrap();
        assert_eq!(s.user_id, "u1", "{name}");
        assert_eq!(store.get(&s.id).await.unwrap().unwrap().data, web);
        assert_eq!(store.list_by_user("u1").await.unwrap().len(), 1);
        // Read as another shape: a decode error, not a miss.
        let plain = SessionStore::new(client, SECRET).unwrap();
        let e = plain.get(&s.id).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{name}: {e}");
    }
}

#[tokio::test]
async fn the_secret_is_required_and_must_match() {
    for (name, client) in targets("sess-secret").await {
        let e = SessionStore::new(client.clone(), [1u8; 31]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{name}: {e}");
        let store = SessionStore::new(client.clone(), SECRET).unwrap();
        let other = SessionStore::new(client, [2u8; 32]).unwrap();
        let s = store.create(data("u1", "d1")).await.unwrap();
        assert_eq!(other.get(&s.id).await.unwrap(), None, "{name}");
        assert!(other.list_by_user("u1").await.unwrap().is_empty());
        assert!(store.get(&s.id).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn debug_shows_the_lifetimes_and_not_the_secret() {
    let (_, client) = targets("sess-debug").await.swap_remove(0);
    let store = SessionStore::new(client, SECRET)
        .unwrap()
        .lifetimes(Duration::from_secs(60), Duration::from_secs(3600))
        .unwrap();
    let text = format!("{store:?}");
    assert!(
        text.starts_with("SessionStore { client: Client {"),
        "{text}"
    );
    assert!(
        text.contains("idle: 60s") && text.contains("absolute: 3600s"),
        "{text}"
    );
    assert!(!text.contains("0123456789abcdef"), "{text}");
}
