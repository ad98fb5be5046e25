//! Configuration mistakes and unreachable servers give clear errors, within the connect timeout.

use std::time::{Duration, Instant};

use txova_db::ErrorKind;
use txova_db::postgres::{Config, Executor, Pool};
use txova_db_tests::{database, server_url, with_credentials, with_option};

async fn open(config: Config) -> txova_db::Error {
    Pool::new(config).await.expect_err("the pool must not open")
}

#[tokio::test]
async fn malformed_url_is_a_config_error() {
    let err = open(Config::new("postgres://root@127.0.0.1:notaport/db")).await;
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("invalid database url"), "{err}");
}

#[tokio::test]
async fn unknown_sslmode_is_a_config_error() {
    let err = open(Config::new(
        "postgres://root@127.0.0.1/test?sslmode=sometimes",
    ))
    .await;
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("sslmode"), "{err}");
}

#[tokio::test]
async fn impossible_sizes_are_config_errors() {
    let mut config = Config::new(server_url());
    config.max_connections = 2;
    config.min_connections = 3;
    assert_eq!(open(config).await.kind(), ErrorKind::Config);
    let mut config = Config::new(server_url());
    config.max_connections = 0;
    assert_eq!(open(config).await.kind(), ErrorKind::Config);
}

#[tokio::test]
async fn refused_port_is_a_connection_error() {
    // Bind then drop a listener so the port is known to be closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = open(Config::new(format!(
        "postgres://root@127.0.0.1:{port}/test"
    )))
    .await;
    assert_eq!(err.kind(), ErrorKind::Connection, "{err:?}");
}

#[tokio::test]
async fn silent_server_fails_within_the_connect_timeout() {
    // A listener that never answers: the TCP handshake completes, the startup never does.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut config = Config::new(format!(
        "postgres://root@127.0.0.1:{port}/test?sslmode=disable"
    ));
    config.connect_timeout = Duration::from_millis(300);
    let started = Instant::now();
    let err = open(config).await;
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert_eq!(err.timeout_kind(), Some(txova_db::Timeout::Connect));
    // Bounded, not measured: it must not hang far past the timeout.
    assert!(took < Duration::from_secs(10), "took {took:?}");
    drop(listener);
}

#[tokio::test]
async fn missing_database_is_a_connection_error() {
    let url = server_url().replace("/postgres", "/txova_no_such_database");
    let err = open(Config::new(url)).await;
    assert_eq!(err.kind(), ErrorKind::Connection, "{err:?}");
    assert_eq!(err.code(), Some("3D000"));
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[tokio::test]
async fn wrong_password_is_a_connection_error() {
    // `.ci/setup` creates the role `txova_pw` with password `right` and makes the server ask
    // for it over TCP, on every test server.
    let as_txova_pw = |password| {
        with_option(
            &with_credentials(&server_url(), "txova_pw", Some(password)),
            "sslmode",
            "disable",
        )
    };
    let err = open(Config::new(as_txova_pw("wrong"))).await;
    assert_eq!(err.kind(), ErrorKind::Connection, "{err:?}");
    assert_eq!(err.code(), Some("28P01"), "{err:?}");
    assert!(
        err.to_string().contains("password authentication failed"),
        "{err}"
    );
    let pool = Pool::new(Config::new(as_txova_pw("right")))
        .await
        .expect("the right password opens the pool");
    pool.ping().await.unwrap();
}

async fn uses_ssl(pool: &Pool) -> bool {
    pool.query_one(
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        &[],
    )
    .await
    .unwrap()
    .get(0)
}

#[tokio::test]
async fn sslmode_is_honoured() {
    let db = database("sslmode").await;
    let with = |mode: &str| format!("{}?sslmode={mode}", db.url());
    let plain = Pool::new(Config::new(with("disable"))).await.unwrap();
    assert!(!uses_ssl(&plain).await);
    let server_ssl: String = plain.query_one("SHOW ssl", &[]).await.unwrap().get(0);
    if server_ssl == "on" {
        let required = Pool::new(Config::new(with("require"))).await.unwrap();
        assert!(uses_ssl(&required).await);
        let preferred = Pool::new(Config::new(with("prefer"))).await.unwrap();
        assert!(uses_ssl(&preferred).await);
        // The server's certificate is self-signed: verification must refuse it.
        let err = open(Config::new(with("verify-full"))).await;
        assert_eq!(err.kind(), ErrorKind::Connection, "{err:?}");
        let err = open(Config::new(with("verify-ca"))).await;
        assert_eq!(err.kind(), ErrorKind::Connection, "{err:?}");
        // Trusting that certificate as the root, the chain checks out: `verify-ca` connects
        // over TLS, while `verify-full` still refuses, since the certificate does not name
        // the address 127.0.0.1.
        let cert: String = plain
            .query_one("SHOW ssl_cert_file", &[])
            .await
            .unwrap()
            .get(0);
        if std::fs::read(&cert).is_ok() {
            let trusting = |mode: &str| format!("{}&sslrootcert={cert}", with(mode));
            let verified = Pool::new(Config::new(trusting("verify-ca"))).await.unwrap();
            assert!(uses_ssl(&verified).await);
            let err = open(Config::new(trusting("verify-full"))).await;
            assert_eq!(err.kind(), ErrorKind::Connection, "{err:?}");
        }
    } else {
        let err = open(Config::new(with("require"))).await;
        assert_eq!(err.kind(), ErrorKind::Connection, "{err:?}");
        let preferred = Pool::new(Config::new(with("prefer"))).await.unwrap();
        assert!(!uses_ssl(&preferred).await);
    }
}

#[tokio::test]
async fn unreadable_root_certificate_is_a_config_error() {
    let err = open(Config::new(
        "postgres://root@127.0.0.1/test?sslmode=verify-full&sslrootcert=/nonexistent/root.pem",
    ))
    .await;
    assert_eq!(err.kind(), ErrorKind::Config, "{err:?}");
    assert!(err.to_string().contains("sslrootcert"), "{err}");
}

#[tokio::test]
async fn application_name_reaches_the_server() {
    let db = database("appname").await;
    let mut config = Config::new(db.url());
    config.application_name = Some("txova-tests".to_owned());
    let pool = Pool::new(config).await.unwrap();
    let name: String = pool
        .query_one("SHOW application_name", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(name, "txova-tests");
}

#[tokio::test]
async fn debug_shows_the_pools_state_and_not_the_url() {
    let db = database("pool_debug").await;
    let url = with_credentials(db.url(), "root", Some("s3cret-password"));
    let pool = Pool::new(Config {
        max_connections: 3,
        ..Config::new(url.as_str())
    })
    .await
    .unwrap();
    let mut conn = pool.get().await.unwrap();
    conn.set_query_timeout(Some(Duration::from_secs(7)));
    let text = format!("{pool:?}");
    assert!(
        text.contains("max_size: 3")
            && text.contains("in_use: 1")
            && text.contains("closed: false"),
        "{text}"
    );
    assert!(!text.contains("s3cret"), "{text}");
    assert_eq!(
        format!("{conn:?}"),
        "Connection { broken: false, query_timeout: Some(7s), .. }"
    );
    drop(conn);
    pool.close(Duration::from_secs(30)).await.unwrap();
    assert!(format!("{pool:?}").contains("closed: true"));
}
