//! The driver's errors, classified from their types: a wrong parameter count or type is the
//! caller's mistake and keeps the connection, a value that cannot be encoded says why once,
//! rejected URLs and refused connections keep the driver's reason, and a failed call says
//! whether it is safe to run again.

use std::time::Duration;

use txova_db::postgres::{Config, Executor, Pool, with_tx};
use txova_db::testing::TestDatabase;
use txova_db::{Error, ErrorKind};
use txova_db_tests::pool_with;

/// The error's message and those of its causes, in order.
fn chain(e: &Error) -> Vec<String> {
    let mut out = vec![e.to_string()];
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        out.push(c.to_string());
        cause = c.source();
    }
    out
}

async fn pid(db: &impl Executor) -> i32 {
    db.query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_wrong_parameter_count_is_invalid_input_and_keeps_the_connection() {
    let db = TestDatabase::create("err_param_count").await.unwrap();
    for url in [
        db.url().to_owned(),
        format!("{}?statement_mode=unnamed", db.url()),
    ] {
        let pool = Pool::new(Config {
            max_connections: 1,
            ..Config::new(url.as_str())
        })
        .await
        .unwrap();
        let before = pid(&pool).await;
        let err = pool.execute("SELECT $1::int", &[]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{url}: {err}");
        assert_eq!(pool.status().size, 1, "{url}: the connection stays");
        assert_eq!(pid(&pool).await, before, "{url}: the same connection");
    }
}

#[tokio::test]
async fn a_value_of_the_wrong_type_says_why_once() {
    let db = TestDatabase::create("err_param_type").await.unwrap();
    let pool = pool_with(&db, |c| c.max_connections = 1).await;
    let before = pid(&pool).await;
    let err = pool
        .execute("SELECT $1::int", &[&"text"])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Encode, "{err}");
    assert!(err.is_safe_to_retry(), "nothing was sent");
    let all = chain(&err).join(" | ");
    assert!(all.contains("$1"), "{all}");
    assert!(
        all.contains("cannot convert between the Rust type `&str` and the Postgres type `int4`"),
        "{all}"
    );
    for (i, a) in chain(&err).iter().enumerate() {
        for b in chain(&err).iter().skip(i + 1) {
            assert!(!a.contains(b.as_str()), "a cause is said twice: {all}");
        }
    }
    assert_eq!(pid(&pool).await, before, "the connection stays");
}

async fn url_error(url: &str) -> String {
    let err = Pool::new(Config {
        connect_timeout: Duration::from_secs(2),
        ..Config::new(url)
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{url}: {err}");
    chain(&err).join(": ")
}

#[tokio::test]
async fn a_rejected_url_keeps_the_drivers_reason() {
    let port = url_error("postgres://h:notaport/db").await;
    assert!(port.contains("port"), "{port}");
    let option = url_error("postgres://root@127.0.0.1/db?foo=bar").await;
    assert!(option.contains("foo"), "{option}");
    let scheme = url_error("mysql://root@127.0.0.1/db").await;
    assert!(scheme.contains("scheme `mysql`"), "{scheme}");
}

#[tokio::test]
async fn a_refused_connection_says_what_happened() {
    let db = TestDatabase::create("err_refused").await.unwrap();
    // A role that needs a password, given none.
    let url = db.url().replace("postgres://root@", "postgres://txova_pw@");
    let err = Pool::new(Config::new(url)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    assert!(err.is_safe_to_retry());
    // Said by the message itself, not only somewhere down its causes.
    let text = err.to_string();
    assert!(text.contains("password missing"), "{text}");

    // TLS required of a server that offers none: PgBouncer here has no TLS configured.
    if tokio::net::TcpStream::connect("127.0.0.1:6432")
        .await
        .is_ok()
    {
        // The refusal comes before any login, so the database behind PgBouncer does not
        // matter (the test database may live on another server than the one it fronts).
        let url = "postgres://root@127.0.0.1:6432/postgres?sslmode=require";
        let err = Pool::new(Config::new(url)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
        let text = err.to_string();
        assert!(text.contains("server does not support TLS"), "{text}");
    } else {
        eprintln!("SKIPPED the sslmode=require part: PgBouncer is not running on 6432");
    }
}

#[tokio::test]
async fn a_failed_call_says_whether_it_is_safe_to_retry() {
    // No server: nothing was sent.
    let pool = Pool::new(Config {
        min_connections: 0,
        connect_timeout: Duration::from_secs(2),
        acquire_timeout: Duration::from_secs(3),
        ..Config::new("postgres://root@127.0.0.1:1/db?sslmode=disable")
    })
    .await
    .unwrap();
    let err = pool.execute("SELECT 1", &[]).await.unwrap_err();
    assert!(err.is_safe_to_retry(), "{err}");

    // The connection is lost while COMMIT is on its way: the outcome is unknown.
    let db = TestDatabase::create("err_lost_commit").await.unwrap();
    let pool = pool_with(&db, |c| c.max_connections = 2).await;
    pool.get()
        .await
        .unwrap()
        .batch_execute("CREATE TABLE t (id int)")
        .await
        .unwrap();
    let killer = pool.clone();
    let err = with_tx(&pool, async |tx| {
        tx.execute("INSERT INTO t VALUES (1)", &[]).await?;
        let me = pid(&*tx).await;
        killer
            .execute("SELECT pg_terminate_backend($1)", &[&me])
            .await?;
        Ok::<_, Error>(())
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    assert!(!err.is_safe_to_retry(), "a lost COMMIT may have committed");
    assert!(
        err.to_string().contains("may or may not have committed"),
        "{err}"
    );
}

#[tokio::test]
async fn a_value_the_driver_cannot_read_is_classified_from_its_type() {
    let db = TestDatabase::create("err_read").await.unwrap();
    let pool = pool_with(&db, |_| {}).await;
    let row = pool
        .query_one(
            "SELECT 'x'::text AS t, NULL::int4 AS n, 'infinity'::timestamptz AS far",
            &[],
        )
        .await
        .unwrap();
    // A column read as a type it is not, or a NULL read as a plain value: a decode error.
    let wrong_type = Error::from(row.try_get::<_, i32>("t").unwrap_err());
    assert_eq!(wrong_type.kind(), ErrorKind::Decode, "{wrong_type}");
    assert!(wrong_type.to_string().contains("column 0"), "{wrong_type}");
    let null = Error::from(row.try_get::<_, i32>("n").unwrap_err());
    assert_eq!(null.kind(), ErrorKind::Decode, "{null}");
    // A value the type's own reader refuses: a decode error too.
    let far = Error::from(
        row.try_get::<_, chrono::DateTime<chrono::Utc>>("far")
            .unwrap_err(),
    );
    assert_eq!(far.kind(), ErrorKind::Decode, "{far}");
    // A column that is not there is the caller's mistake.
    let missing = Error::from(row.try_get::<_, i32>("nope").unwrap_err());
    assert_eq!(missing.kind(), ErrorKind::InvalidInput, "{missing}");
    assert!(missing.to_string().contains("nope"), "{missing}");
    for e in [&wrong_type, &null, &far, &missing] {
        assert_eq!(
            chain(e).len(),
            1,
            "the cause is in the message, once: {e:?}"
        );
    }
}
