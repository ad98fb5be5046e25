//! The pool keeps its floor of connections, retires old and idle ones, drops broken ones and
//! closes cleanly.

use std::time::Duration;

use txova_db::ErrorKind;
use txova_db::postgres::{Config, Executor, Pool};
use txova_db_tests::{Relay, database, pool_with};

async fn backend_pid(conn: &impl Executor) -> i32 {
    conn.query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0)
}

/// Polls `cond` every 20 ms for at most 10 s.
async fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    for _ in 0..500 {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn min_connections_are_opened_at_start() {
    let db = database("min_conns").await;
    let pool = pool_with(&db, |c| {
        c.min_connections = 3;
        c.max_connections = 5;
    })
    .await;
    let s = pool.status();
    assert_eq!((s.size, s.idle, s.in_use, s.max_size), (3, 3, 0, 5));
}

#[tokio::test]
async fn idle_connections_above_the_floor_are_retired() {
    let db = database("idle").await;
    let pool = pool_with(&db, |c| {
        c.min_connections = 1;
        c.max_connections = 4;
        c.idle_timeout = Some(Duration::from_millis(200));
    })
    .await;
    let held: Vec<_> = futures_util::future::join_all((0..4).map(|_| pool.get())).await;
    assert_eq!(pool.status().size, 4);
    drop(held);
    assert!(
        eventually(|| pool.status().size == 1).await,
        "status stayed {:?}",
        pool.status()
    );
}

#[tokio::test]
async fn expired_connections_are_replaced() {
    let db = database("lifetime").await;
    let pool = pool_with(&db, |c| {
        c.min_connections = 1;
        c.max_connections = 1;
        c.max_lifetime = Some(Duration::from_millis(300));
    })
    .await;
    let first = backend_pid(&pool.get().await.unwrap()).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let second = backend_pid(&pool.get().await.unwrap()).await;
    assert_ne!(first, second, "an expired connection was handed out again");
    // The floor is kept: the retired connection is replaced in the background.
    assert!(eventually(|| pool.status().size == 1).await);
}

#[tokio::test]
async fn the_floor_is_restored_when_an_idle_connection_dies() {
    let db = database("floor").await;
    let pool = pool_with(&db, |c| {
        c.min_connections = 3;
        c.max_connections = 5;
        c.health_check_period = Duration::from_millis(100);
    })
    .await;
    let pids = futures_util::future::join_all((0..3).map(|_| async {
        let conn = pool.get().await.unwrap();
        let pid = backend_pid(&conn).await;
        (conn, pid)
    }))
    .await;
    let victim = pids[0].1;
    drop(pids);
    assert_eq!(pool.status().idle, 3);
    // End one idle connection from outside the pool; two stay idle.
    let admin = pool_with(&db, |c| c.max_connections = 1).await;
    let terminated: bool = admin
        .query_one("SELECT pg_terminate_backend($1)", &[&victim])
        .await
        .unwrap()
        .get(0);
    assert!(terminated);
    // The maintenance task drops the dead one and opens a new one, although two others are
    // idle: the server sees three live connections of the pool again. The victim is listed
    // until its process has exited (the terminate only signals it), so it is not counted and
    // must be gone: until then the pool may not have seen the connection close.
    let mut live_backends = 0;
    for _ in 0..500 {
        let row = admin
            .query_one(
                "SELECT count(*) FILTER (WHERE pid <> $1), count(*) FILTER (WHERE pid = $1) \
                 FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[&victim],
            )
            .await
            .unwrap();
        live_backends = row.get::<_, i64>(0);
        let victim_listed = row.get::<_, i64>(1);
        if live_backends == 3 && victim_listed == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(live_backends, 3, "status {:?}", pool.status());
    assert_eq!(pool.status().size, 3);
    let live = futures_util::future::join_all((0..3).map(|_| async {
        let conn = pool.get().await.unwrap();
        let pid = backend_pid(&conn).await;
        (conn, pid)
    }))
    .await;
    assert!(live.iter().all(|(_, pid)| *pid != victim));
}

#[tokio::test]
async fn status_counts_waiting_callers() {
    let db = database("waiting").await;
    let pool = pool_with(&db, |c| c.max_connections = 1).await;
    let held = pool.get().await.unwrap();
    let waiter = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.get().await.map(drop) })
    };
    assert!(
        eventually(|| pool.status().waiting == 1).await,
        "status stayed {:?}",
        pool.status()
    );
    let s = pool.status();
    assert_eq!((s.size, s.in_use, s.idle), (1, 1, 0));
    drop(held);
    waiter.await.unwrap().unwrap();
    assert_eq!(pool.status().waiting, 0);
}

#[tokio::test]
async fn killed_connection_fails_its_query_and_is_never_reused() {
    let db = database("killed").await;
    let pool = pool_with(&db, |c| {
        c.min_connections = 1;
        c.max_connections = 2;
    })
    .await;
    let victim = pool.get().await.unwrap();
    let pid = backend_pid(&victim).await;
    let killer = pool.get().await.unwrap();
    let terminated: bool = killer
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .unwrap()
        .get(0);
    assert!(terminated);
    drop(killer);
    let err = victim
        .query_one("SELECT 1", &[])
        .await
        .expect_err("the connection is gone");
    assert_eq!(err.kind(), ErrorKind::Connection, "{err:?}");
    drop(victim);
    // Every later acquire gets a live connection, never the killed one.
    for _ in 0..4 {
        let conn = pool.get().await.unwrap();
        assert_ne!(backend_pid(&conn).await, pid);
    }
}

#[tokio::test]
async fn a_connection_error_retires_the_connection_even_if_its_socket_looks_open() {
    let db = database("flagged").await;
    let pool = pool_with(&db, |c| c.max_connections = 1).await;
    let conn = pool.get().await.unwrap();
    let pid = backend_pid(&conn).await;
    // A connection-class SQLSTATE on a connection that stays open: only the failure says it
    // is unusable, as when a killed backend's error arrives before its socket closes.
    let err = conn
        .execute(
            "DO $$ BEGIN RAISE EXCEPTION 'gone' USING ERRCODE = '08006'; END $$",
            &[],
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err:?}");
    drop(conn);
    let next = pool.get().await.unwrap();
    assert_ne!(
        backend_pid(&next).await,
        pid,
        "the flagged connection came back"
    );
}

#[tokio::test]
async fn close_refuses_new_work_and_waits_for_checked_out_connections() {
    let db = database("close").await;
    let pool = pool_with(&db, |c| c.min_connections = 2).await;
    let held = pool.get().await.unwrap();
    let closing = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.close(Duration::from_secs(10)).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let err = pool.get().await.expect_err("the pool is closed");
    assert_eq!(err.kind(), ErrorKind::PoolClosed);
    assert!(
        !closing.is_finished(),
        "close must wait for the held connection"
    );
    // Work on the checked-out connection still completes.
    held.query_one("SELECT 1", &[]).await.unwrap();
    drop(held);
    closing.await.unwrap().unwrap();
    assert_eq!(pool.status().size, 0);
    assert_eq!(pool.ping().await.unwrap_err().kind(), ErrorKind::PoolClosed);
}

#[tokio::test]
async fn close_is_bounded_when_a_connection_is_never_returned() {
    let db = database("close_timeout").await;
    let pool = pool_with(&db, |_| {}).await;
    let held = pool.get().await.unwrap();
    let err = pool
        .close(Duration::from_millis(100))
        .await
        .expect_err("a connection is still out");
    assert_eq!(err.timeout_kind(), Some(txova_db::Timeout::Close));
    assert!(
        err.to_string().contains("1 connection(s) still in use"),
        "{err}"
    );
    drop(held);
    assert!(eventually(|| pool.status().size == 0).await);
}

#[tokio::test]
async fn statements_go_through_the_prepared_statement_cache() {
    let db = database("stmt_cache").await;
    let pool = pool_with(&db, |c| c.max_connections = 1).await;
    let conn = pool.get().await.unwrap();
    for i in 0..3_i32 {
        conn.query_one("SELECT $1::int4 + 1", &[&i]).await.unwrap();
    }
    let named: i64 = conn
        .query_one(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement = 'SELECT $1::int4 + 1'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(named, 1, "one statement prepared once and reused");
    drop(conn);

    let uncached = pool_with(&db, |c| c.statement_cache = false).await;
    let conn = uncached.get().await.unwrap();
    conn.query_one("SELECT $1::int4 + 2", &[&1_i32])
        .await
        .unwrap();
    // Counted with the simple protocol, which prepares nothing itself.
    let rows = conn
        .client()
        .simple_query("SELECT count(*) FROM pg_prepared_statements")
        .await
        .unwrap();
    let count = rows.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
        _ => None,
    });
    assert_eq!(
        count.as_deref(),
        Some("0"),
        "nothing stays prepared with the cache off"
    );
}

#[tokio::test]
async fn connection_killed_mid_query_fails_that_query() {
    let db = database("killed_mid").await;
    let pool = pool_with(&db, |c| c.max_connections = 2).await;
    let victim = pool.get().await.unwrap();
    let pid = backend_pid(&victim).await;
    let running = tokio::spawn(async move {
        let result = victim.execute("SELECT pg_sleep(30)", &[]).await;
        drop(victim);
        result
    });
    // Wait until the statement is running, then end its backend.
    let killer = pool.get().await.unwrap();
    let mut active = false;
    for _ in 0..500 {
        let state: Option<String> = killer
            .query_one("SELECT state FROM pg_stat_activity WHERE pid = $1", &[&pid])
            .await
            .unwrap()
            .get(0);
        if state.as_deref() == Some("active") {
            active = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(active, "the statement never started");
    killer
        .execute("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .unwrap();
    drop(killer);
    let err = running
        .await
        .unwrap()
        .expect_err("the backend was terminated");
    assert_eq!(err.kind(), ErrorKind::Connection, "{err:?}");
    for _ in 0..3 {
        let conn = pool.get().await.unwrap();
        assert_ne!(backend_pid(&conn).await, pid);
    }
}

#[tokio::test]
async fn the_health_check_replaces_a_connection_whose_network_died() {
    let db = database("health").await;
    let (relay, relayed) = Relay::for_url(db.url()).await;
    let pool = Pool::new(Config {
        max_connections: 2,
        min_connections: 1,
        connect_timeout: Duration::from_secs(1),
        acquire_timeout: Duration::from_secs(10),
        // Check every connection before it is handed out.
        health_check_period: Duration::ZERO,
        ..Config::new(relayed)
    })
    .await
    .unwrap();
    let first = backend_pid(&pool.get().await.unwrap()).await;
    relay.silence_existing();
    // The idle connection still looks open. The check finds it silent within the connect
    // timeout and a new connection is handed out instead; the 30 s bound only keeps a
    // failing test from hanging.
    let fresh = tokio::time::timeout(Duration::from_secs(30), async {
        let conn = pool.get().await.unwrap();
        backend_pid(&conn).await
    })
    .await
    .expect("a silent connection was handed out");
    assert_ne!(fresh, first);
}

#[tokio::test]
async fn a_caller_waiting_when_the_pool_closes_is_told_it_closed() {
    let db = database("close_waiting").await;
    let pool = pool_with(&db, |c| {
        c.max_connections = 1;
        c.acquire_timeout = Duration::from_secs(60);
    })
    .await;
    let held = pool.get().await.unwrap();
    let waiter = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.get().await.map(drop) })
    };
    assert!(
        eventually(|| pool.status().waiting == 1).await,
        "status stayed {:?}",
        pool.status()
    );
    let closing = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.close(Duration::from_secs(30)).await })
    };
    let err = tokio::time::timeout(Duration::from_secs(30), waiter)
        .await
        .expect("the waiter must be let go")
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PoolClosed, "{err}");
    drop(held);
    closing.await.unwrap().unwrap();
}
