//! What a caller sees when Redis is misconfigured or down: a cluster with a primary down,
//! and mistakes found at connect time (the wrong topology, a wrong password, a database that
//! does not exist).

use std::time::Duration;

use txova_db::ErrorKind;
use txova_db::redis::{Client, Config};
use txova_db_tests::cluster::{OwnCluster, seed_nodes};
use txova_db_tests::redis_env::{OwnServer, single_url};

#[tokio::test]
async fn a_cluster_with_a_primary_down_is_a_connection_error_at_once() {
    let cluster = OwnCluster::start();
    for p in cluster.ports() {
        // Fail over (here: declare the cluster down) quickly.
        let _ = cluster.cli(p, &["config", "set", "cluster-node-timeout", "1000"]);
    }
    // The default response timeout (1 s): a client that waits out the server's CLUSTERDOWN
    // replies returns a `Timeout` instead of the server's answer.
    let client = Client::new(Config::cluster(cluster.seed_nodes()))
        .await
        .unwrap();
    // One key on a node that stays up, one on the node that goes down.
    let dead = cluster.port_of("k-dead");
    let live_key = (0..1000)
        .map(|i| format!("k-live-{i}"))
        .find(|k| cluster.port_of(k) != dead)
        .unwrap();
    let _: () = client
        .query(redis::cmd("SET").arg(&live_key).arg("1"))
        .await
        .unwrap();
    cluster.stop_node(dead);
    // Wait (bounded) until the surviving nodes declare the cluster down.
    let live = cluster.ports().into_iter().find(|&p| p != dead).unwrap();
    let mut down = false;
    for _ in 0..600 {
        if cluster
            .cli(live, &["cluster", "info"])
            .contains("cluster_state:fail")
        {
            down = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(down, "the cluster never noticed its primary was down");
    for key in [live_key.as_str(), "k-dead"] {
        let e = client
            .query::<Option<String>>(redis::cmd("GET").arg(key))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Connection, "{key}: {e}");
        assert!(!e.is_timeout(), "{key}: {e}");
        if key != "k-dead" {
            assert!(e.to_string().contains("cluster is down"), "{key}: {e}");
        }
    }
}

#[tokio::test]
async fn a_cluster_config_on_a_single_node_says_so() {
    let e = Client::new(Config::cluster([single_url()]))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    assert!(e.to_string().contains("is not a redis cluster node"), "{e}");
}

#[tokio::test]
async fn a_single_node_config_on_a_cluster_node_says_so() {
    let e = Client::new(Config::new(seed_nodes()[0].clone()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    assert!(e.to_string().contains("is a redis cluster node"), "{e}");
}

#[tokio::test]
async fn a_wrong_password_says_so() {
    let server = OwnServer::start_with(|port| {
        (
            ["--port", &port.to_string(), "--requirepass", "right"]
                .map(String::from)
                .to_vec(),
            ["-a", "right", "--no-auth-warning"]
                .map(String::from)
                .to_vec(),
        )
    });
    let url = |pass: &str| format!("redis://:{pass}@127.0.0.1:{}", server.port());
    let ok = Client::new(Config::new(url("right"))).await.unwrap();
    ok.ping().await.unwrap();
    for config in [
        Config::new(url("s3cr3t-nope")),
        Config::new(format!("redis://127.0.0.1:{}", server.port())),
    ] {
        let e = Client::new(config).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{e}");
        assert!(e.to_string().contains("password"), "{e}");
        // The password never shows.
        assert!(!format!("{e} {e:?}").contains("s3cr3t"), "{e:?}");
    }
}

#[tokio::test]
async fn a_database_that_does_not_exist_says_so() {
    let e = Client::new(Config::new(format!("{}/99", single_url())))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    assert!(e.to_string().contains("database 99"), "{e}");
}

#[tokio::test]
async fn a_user_without_info_still_connects() {
    let server = OwnServer::start();
    let out = std::process::Command::new("redis-cli")
        .args(["-p", &server.port().to_string()])
        .args([
            "ACL",
            "SETUSER",
            "app",
            "on",
            ">app-pass",
            "~*",
            "&*",
            "+@all",
            "-info",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "OK");
    let client = Client::new(Config::new(format!(
        "redis://app:app-pass@127.0.0.1:{}",
        server.port()
    )))
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    client.ping().await.unwrap();
}
