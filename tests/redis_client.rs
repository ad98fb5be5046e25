//! The Redis client: both topologies, timeouts, restarts, scripts and error mapping.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use txova_db::redis::{
    Cache, CacheKey, Client, Config, Locker, RateLimitConfig, RateLimiter, SessionData,
    SessionStore,
};
use txova_db::{ErrorKind, Timeout};
use txova_db_tests::cluster::OwnCluster;
use txova_db_tests::redis_env::{OwnServer, random_prefix, single_url, targets};

/// A bound that proves a call does not hang; not a speed assertion.
const NO_HANG: Duration = Duration::from_secs(30);

#[tokio::test]
async fn both_topologies_answer() {
    for (name, client) in targets("client").await {
        client
            .ping()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(client.is_cluster(), name == "cluster");
        assert!(client.prefix().starts_with("test:client:"));
    }
}

#[tokio::test]
async fn unreachable_server_is_a_connection_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = Config::new(format!("redis://127.0.0.1:{port}"))
        .connect_timeout(Duration::from_millis(500));
    let err = tokio::time::timeout(NO_HANG, Client::new(config))
        .await
        .expect("connect must give up")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    assert!(err.to_string().contains("could not connect"), "{err}");

    let config = Config::cluster([format!("redis://127.0.0.1:{port}")])
        .connect_timeout(Duration::from_millis(500));
    let err = tokio::time::timeout(NO_HANG, Client::new(config))
        .await
        .expect("connect must give up")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
}

#[tokio::test]
async fn bad_configuration_is_refused() {
    for config in [
        Config::new(single_url()).prefix("a{b}:"),
        Config::new(""),
        Config::new(single_url()).response_timeout(Duration::ZERO),
    ] {
        let err = Client::new(config).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    }
    let err = Client::new(Config::new("http://127.0.0.1"))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Config | ErrorKind::Connection),
        "{err}"
    );
}

#[tokio::test]
async fn calls_work_again_after_a_restart() {
    let server = OwnServer::start();
    let client = Client::new(
        Config::new(server.url())
            .prefix(random_prefix("restart"))
            .connect_timeout(Duration::from_millis(500))
            .response_timeout(Duration::from_millis(500)),
    )
    .await
    .unwrap();
    let cache = Cache::new(client.clone());
    let key = CacheKey::<u32>::parse("svc:restart:1").unwrap();
    cache.set(&key, &1, Duration::from_secs(60)).await.unwrap();

    server.stop();
    let err = cache.get(&key).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Connection | ErrorKind::Timeout),
        "{err:?}"
    );

    server.run();
    // The same client reconnects by itself; the data is gone (no persistence).
    let mut result = cache.get(&key).await;
    for _ in 0..100 {
        if result.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        result = cache.get(&key).await;
    }
    assert_eq!(result.unwrap(), None);
    cache.set(&key, &2, Duration::from_secs(60)).await.unwrap();
    assert_eq!(cache.get(&key).await.unwrap(), Some(2));
    // Scripts are loaded again after the restart emptied the script cache.
    let lock = Locker::new(client)
        .try_acquire("restart", Duration::from_secs(5))
        .await
        .unwrap()
        .expect("free lock");
    assert!(lock.release().await.unwrap());
}

#[tokio::test]
async fn a_silent_server_is_a_response_timeout() {
    let server = OwnServer::start();
    let client = Client::new(
        Config::new(server.url())
            .prefix(random_prefix("silent"))
            .response_timeout(Duration::from_millis(200)),
    )
    .await
    .unwrap();
    let admin = Client::new(Config::new(server.url())).await.unwrap();
    let _: () = admin
        .query(redis::cmd("CLIENT").arg("PAUSE").arg(3000).arg("ALL"))
        .await
        .unwrap();
    let cache = Cache::new(client);
    let key = CacheKey::<u32>::parse("svc:silent:1").unwrap();
    let err = tokio::time::timeout(NO_HANG, cache.get(&key))
        .await
        .expect("the response timeout must fire")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert_eq!(err.timeout_kind(), Some(Timeout::Response));
    // The pause ends by itself; the server is stopped when `server` is dropped.
}

#[tokio::test]
async fn scripts_reload_after_noscript_on_every_node() {
    // Servers of this test's own: emptying the script cache of shared ones would make a
    // parallel test see NOSCRIPT after it loaded its script.
    let server = OwnServer::start();
    let own = OwnCluster::start();
    let single = Client::new(Config::new(server.url()).prefix(random_prefix("noscript")))
        .await
        .unwrap();
    let cluster = Client::new(Config::cluster(own.seed_nodes()).prefix(random_prefix("noscript")))
        .await
        .unwrap();
    // At least twelve keys, on every node of the cluster.
    let all: HashSet<u16> = own.ports().into_iter().collect();
    let mut owners = HashSet::new();
    let mut keys = Vec::new();
    for i in 0..1000 {
        if keys.len() >= 12 && owners == all {
            break;
        }
        let key = format!("rl:noscript:{i}");
        owners.insert(own.port_of(&cluster.prefixed(&key)));
        keys.push(key);
    }
    assert_eq!(owners, all);

    for (name, client, nodes) in [
        ("single", single, vec![server.url()]),
        ("cluster", cluster, own.seed_nodes()),
    ] {
        let limiter = RateLimiter::new(client.clone());
        let config = RateLimitConfig::per_minute("rl:noscript", 10);
        assert!(limiter.allow(&config).await.unwrap().allowed, "{name}");
        // Empty the script cache of every node, as a restart or failover does.
        // (A plain connection: a `Client` refuses a cluster node behind a single-node
        // configuration.)
        for url in nodes {
            let mut node = redis::Client::open(url)
                .unwrap()
                .get_multiplexed_async_connection()
                .await
                .unwrap();
            let _: () = redis::cmd("SCRIPT")
                .arg("FLUSH")
                .query_async(&mut node)
                .await
                .unwrap();
        }
        // Each call must load the script on the node where it runs.
        for key in &keys {
            let config = RateLimitConfig {
                key: key.clone(),
                ..config.clone()
            };
            let r = limiter
                .allow(&config)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(r.allowed);
            assert_eq!(r.remaining, 9);
        }
    }
}

/// Runs `op` until it succeeds while a cluster settles, for at most [`NO_HANG`]. Every
/// failure meanwhile must be one a node coming back explains.
async fn eventually<T, F, Fut>(what: &str, mut op: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = txova_db::Result<T>>,
{
    let deadline = Instant::now() + NO_HANG;
    loop {
        let e = match tokio::time::timeout(NO_HANG, op())
            .await
            .unwrap_or_else(|_| panic!("{what}: a call must give up within its timeouts"))
        {
            Ok(value) => return value,
            Err(e) => e,
        };
        assert!(
            matches!(
                e.kind(),
                ErrorKind::Connection | ErrorKind::Timeout | ErrorKind::Redis
            ),
            "{what}: {e:?}"
        );
        assert!(Instant::now() < deadline, "{what} still fails: {e:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn cluster_calls_work_again_after_a_node_restarts() {
    let own = OwnCluster::start();
    let client = Client::new(
        Config::cluster(own.seed_nodes())
            .prefix(random_prefix("restart"))
            .connect_timeout(Duration::from_millis(500))
            .response_timeout(Duration::from_millis(500)),
    )
    .await
    .unwrap();
    let cache = Cache::new(client.clone());
    let key = CacheKey::<u32>::parse("svc:restart:1").unwrap();
    cache.set(&key, &1, Duration::from_secs(60)).await.unwrap();
    let port = own.port_of(&client.prefixed(key.as_str()));

    own.stop_node(port);
    let err = tokio::time::timeout(NO_HANG, cache.get(&key))
        .await
        .expect("a call to a stopped node must give up")
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Connection | ErrorKind::Timeout),
        "{err:?}"
    );

    // The same node comes back: same port, same nodes.conf, no data (no persistence). The
    // same client reconnects by itself once the cluster serves the node's slots again.
    own.start_node(port);
    assert_eq!(eventually("get", || cache.get(&key)).await, None);
    eventually("set", || cache.set(&key, &2, Duration::from_secs(60))).await;
    assert_eq!(eventually("get", || cache.get(&key)).await, Some(2));

    // Scripts run again on the node, whose script cache the restart emptied. Every attempt
    // takes a lock of its own on that node: one whose answer was lost may still be held.
    let mut names = (0..)
        .map(|i| format!("restart-{i}"))
        .filter(|n| own.port_of(&client.prefixed(&format!("lock:{{{n}}}"))) == port);
    let locker = Locker::new(client.clone());
    eventually("lock", || {
        let name = names.next().unwrap();
        let locker = locker.clone();
        async move {
            let lock = locker
                .try_acquire(&name, Duration::from_secs(5))
                .await?
                .expect("a lock nobody took is free");
            assert!(lock.release().await?, "the lock was ours");
            Ok(())
        }
    })
    .await;
}

#[tokio::test]
async fn a_silent_cluster_node_is_a_response_timeout() {
    let own = OwnCluster::start();
    let client = Client::new(
        Config::cluster(own.seed_nodes())
            .prefix(random_prefix("silent"))
            .response_timeout(Duration::from_millis(200)),
    )
    .await
    .unwrap();
    let cache = Cache::new(client.clone());
    let key = CacheKey::<u32>::parse("svc:silent:1").unwrap();
    cache.set(&key, &1, Duration::from_secs(60)).await.unwrap();
    let port = own.port_of(&client.prefixed(key.as_str()));

    // The node accepts connections but answers nothing until it is resumed (dropping `own`
    // resumes it too, should an assertion fail first).
    own.freeze_node(port);
    let err = tokio::time::timeout(NO_HANG, cache.get(&key))
        .await
        .expect("the response timeout must fire")
        .unwrap_err();
    own.resume_node(port);
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert_eq!(err.timeout_kind(), Some(Timeout::Response));

    // Once the node answers again, so do calls on its keys, with the same client.
    assert_eq!(eventually("get", || cache.get(&key)).await, Some(1));
}

#[tokio::test]
async fn wrong_type_at_a_key_is_a_redis_error() {
    for (name, client) in targets("wrongtype").await {
        let key = CacheKey::<String>::parse("svc:wrong:1").unwrap();
        let _: () = client
            .query(
                redis::cmd("HSET")
                    .arg(client.prefixed(key.as_str()))
                    .arg("f")
                    .arg("v"),
            )
            .await
            .unwrap();
        let err = Cache::new(client.clone()).get(&key).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Redis, "{name}: {err:?}");
        assert!(err.to_string().contains("wrongtype"), "{name}: {err}");
        // The value is left alone: it is not the cache's to delete.
        let t: String = client
            .query(redis::cmd("TYPE").arg(client.prefixed(key.as_str())))
            .await
            .unwrap();
        assert_eq!(t, "hash");
    }
}

#[tokio::test]
async fn wrong_type_under_a_script_is_a_redis_error() {
    for (name, client) in targets("wrongtype-script").await {
        let hset = |key: String| {
            let client = client.clone();
            async move {
                let _: () = client
                    .query(redis::cmd("HSET").arg(key).arg("f").arg("v"))
                    .await
                    .unwrap();
            }
        };
        hset(client.prefixed("ratelimit:wrong")).await;
        let err = RateLimiter::new(client.clone())
            .allow(&RateLimitConfig::per_minute("ratelimit:wrong", 5))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Redis, "{name}: {err:?}");

        // A lock key holding something else counts as held, and is left alone.
        hset(client.prefixed("lock:{wrong}")).await;
        let got = Locker::new(client.clone())
            .try_acquire("wrong", Duration::from_secs(5))
            .await
            .unwrap();
        assert!(got.is_none(), "{name}");
        let t: String = client
            .query(redis::cmd("TYPE").arg(client.prefixed("lock:{wrong}")))
            .await
            .unwrap();
        assert_eq!(t, "hash");

        // A session id whose user hash holds a string.
        let secret = [9u8; 32];
        let store = SessionStore::new(client.clone(), secret).unwrap();
        let s = store
            .create(SessionData {
                user_id: "wrong-type".into(),
                ..SessionData::default()
            })
            .await
            .unwrap();
        // The user's hash is named by HMAC-SHA256 of the user id under the secret.
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret);
        let tag = ring::hmac::sign(&key, b"user\0wrong-type");
        let tag = tag.as_ref()[..8]
            .iter()
            .fold(String::new(), |acc, b| acc + &format!("{b:02x}"));
        let hash = format!("session:{{{tag}}}");
        let _: () = client
            .query(redis::cmd("SET").arg(client.prefixed(&hash)).arg("x"))
            .await
            .unwrap();
        let err = store.get(&s.id).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Redis, "{name}: {err:?}");
    }
}

#[tokio::test]
async fn a_connection_uses_the_database_of_the_url() {
    use redis::aio::ConnectionLike as _;
    let url = format!("{}/5", single_url().trim_end_matches('/'));
    let prefix = random_prefix("client_db");
    let client = Client::new(Config::new(url).prefix(prefix.clone()))
        .await
        .unwrap();
    let text = format!("{client:?}");
    assert!(
        text.contains(&prefix) && text.contains("cluster: false"),
        "{text}"
    );
    let mut conn = client.connection();
    assert_eq!(conn.get_db(), 5);
    assert_eq!(format!("{conn:?}"), "Connection { .. }");
    let info: String = tokio::time::timeout(
        NO_HANG,
        redis::cmd("CLIENT").arg("INFO").query_async(&mut conn),
    )
    .await
    .expect("redis must answer")
    .unwrap();
    assert!(info.contains(" db=5 "), "{info}");
}
