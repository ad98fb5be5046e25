//! Sessions: create, get, list, delete, update, rotate, lifetimes; on one node and on the
//! cluster.

use std::time::Duration;

use txova_db::ErrorKind;
use txova_db::redis::{SessionData, SessionStore};
use txova_db_tests::redis_env::targets;

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
        let store = SessionStore::new(client);
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
        let store = SessionStore::new(client);
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
        let store = SessionStore::new(client);
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
        let store = SessionStore::new(client);
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
        let idle = SessionStore::new(client.clone())
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

        let short = SessionStore::new(client)
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
        let store = SessionStore::new(client.clone());
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
            SessionStore::new(client)
                .lifetimes(Duration::ZERO, Duration::from_secs(1))
                .is_err()
        );
    }
}

#[tokio::test]
async fn a_racing_write_never_resurrects_a_deleted_session() {
    for (name, client) in targets("sess-race").await {
        let store = SessionStore::new(client);
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
