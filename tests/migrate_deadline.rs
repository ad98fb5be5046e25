//! The migrator's own statements have a client-side deadline, a file with no time limit is
//! watched from a second connection, and a migrator call dropped by its caller cancels what
//! it was running on the server: a dead network never hangs a migration, and an abandoned one
//! leaves no statement running.
//!
//! The 30 s bounds below only keep a failing test from hanging; none of them is a measure.

use std::sync::Arc;
use std::time::Duration;

use txova_db::postgres::{Executor, Migrator, MigratorConfig, Pool, Progress};
use txova_db::testing::TestDatabase;
use txova_db::{ErrorKind, Timeout};
use txova_db_tests::migrate::{TempDir, rows};
use txova_db_tests::{Mode, Relay, guarded};

/// A migrator through `relay_url` with a three-second client deadline: long enough for a
/// loaded machine's `CREATE TABLE`, short enough to keep the tests under their hang guard.
fn migrator(relay_url: String, dir: &TempDir) -> Migrator {
    Migrator::new(MigratorConfig {
        query_timeout: Some(Duration::from_secs(3)),
        connect_timeout: Duration::from_secs(5),
        ..MigratorConfig::new(relay_url, dir.url())
    })
    .unwrap()
}

/// Active statements of this test's database whose text contains `marker`.
async fn running(direct: &Pool, marker: &str) -> i64 {
    direct
        .query_one(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND state = 'active' \
             AND pid <> pg_backend_pid() AND strpos(query, $1) > 0",
            &[&marker],
        )
        .await
        .unwrap()
        .get(0)
}

async fn wait_running(direct: &Pool, marker: &str) {
    guarded("the file to start on the server", async {
        while running(direct, marker).await == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_silent_network_during_the_version_bookkeeping_is_a_timeout() {
    let db = TestDatabase::create("mig_deadline_book").await.unwrap();
    let dir = TempDir::with_files("deadline_book", &[("1_a.up.sql", "SELECT 1;")]);
    let (relay, url) = Relay::for_url(db.url()).await;
    let relay = Arc::new(relay);
    let silence = relay.clone();
    // The network dies right before the dirty mark of the first migration is sent.
    let m = migrator(url, &dir).on_progress(move |p| {
        if let Progress::Started(_) = p {
            silence.silence_existing();
        }
    });
    let err = guarded("a migration over a silent network", m.up())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert_eq!(err.timeout_kind(), Some(Timeout::Query), "{err:?}");
    assert!(err.to_string().contains("query timeout of 3s"), "{err}");
}

#[tokio::test]
async fn a_file_whose_answer_is_lost_is_noticed_by_the_watch() {
    let db = TestDatabase::create("mig_deadline_lost").await.unwrap();
    let direct = db.pool().await.unwrap();
    let dir = TempDir::with_files(
        "deadline_lost",
        &[("1_slow.up.sql", "SELECT pg_sleep(8) /* lost_answer */;")],
    );
    let (relay, url) = Relay::for_url(db.url()).await;
    let m = migrator(url, &dir);
    let up = tokio::spawn(async move { m.up().await });
    // The file runs on the server; its answer never comes back, but new connections pass.
    wait_running(&direct, "lost_answer").await;
    relay.silence_existing();
    let err = guarded("a file whose answer is lost", up)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err:?}");
    let text = err.to_string();
    assert!(text.contains("1_slow.up.sql"), "{text}");
    assert!(text.contains("no longer running"), "{text}");
    assert!(text.contains("dirty at version 1"), "{text}");
    // The file's own transaction committed; only its answer was lost, so the mark stays.
    assert_eq!(rows(&direct).await, vec![(1, true)]);
}

#[tokio::test]
async fn a_file_on_a_dead_network_is_given_up_when_the_server_cannot_be_reached() {
    let db = TestDatabase::create("mig_deadline_dead").await.unwrap();
    let direct = db.pool().await.unwrap();
    let dir = TempDir::with_files(
        "deadline_dead",
        &[("1_slow.up.sql", "SELECT pg_sleep(600) /* dead_network */;")],
    );
    let (relay, url) = Relay::for_url(db.url()).await;
    let m = migrator(url, &dir);
    let up = tokio::spawn(async move { m.up().await });
    wait_running(&direct, "dead_network").await;
    relay.silence_existing();
    relay.set_mode(Mode::BlackHole);
    let err = guarded("a file on a dead network", up)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err:?}");
    let text = err.to_string();
    assert!(text.contains("cannot reach the server"), "{text}");
    assert!(text.contains("may still be running"), "{text}");
    // The server still runs it, as the error says: the migrator could not reach it to cancel.
    assert_eq!(running(&direct, "dead_network").await, 1);
    let cancelled = direct
        .execute(
            "SELECT pg_cancel_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND strpos(query, 'dead_network') > 0 \
             AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(cancelled, 1);
}

/// A statement of the migrator's own that the server does not finish in time (it waits for
/// a lock another session holds) times out and is cancelled on the server.
#[tokio::test]
async fn a_bookkeeping_statement_past_its_deadline_is_cancelled_on_the_server() {
    let db = TestDatabase::create("mig_deadline_cancel").await.unwrap();
    let direct = db.pool().await.unwrap();
    direct
        .execute(
            "CREATE TABLE schema_migrations (version bigint not null primary key, \
             dirty boolean not null)",
            &[],
        )
        .await
        .unwrap();
    let holder = direct.get().await.unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let dir = TempDir::with_files("deadline_cancel", &[("1_a.up.sql", "SELECT 1;")]);
    let m = Migrator::new(MigratorConfig {
        query_timeout: Some(Duration::from_secs(1)),
        ..MigratorConfig::new(db.url(), dir.url())
    })
    .unwrap();
    let err = guarded("a migration behind a held lock", m.up())
        .await
        .unwrap_err();
    assert_eq!(err.timeout_kind(), Some(Timeout::Query), "{err:?}");
    // Nothing of the migrator's is left waiting on the server.
    guarded("the cancel of the migrator's statement", async {
        while direct
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND state = 'active' AND wait_event_type = 'Lock'",
                &[],
            )
            .await
            .unwrap()
            .get::<_, i64>(0)
            > 0
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    holder.batch_execute("ROLLBACK").await.unwrap();
}

#[tokio::test]
async fn a_dropped_migration_cancels_its_file_on_the_server() {
    let db = TestDatabase::create("mig_deadline_drop").await.unwrap();
    let direct = db.pool().await.unwrap();
    let dir = TempDir::with_files(
        "deadline_drop",
        &[("1_slow.up.sql", "SELECT pg_sleep(600) /* dropped_call */;")],
    );
    let m = Migrator::new(MigratorConfig::new(db.url(), dir.url())).unwrap();
    {
        let up = m.up();
        tokio::pin!(up);
        tokio::select! {
            r = &mut up => panic!("the file cannot have finished: {r:?}"),
            () = wait_running(&direct, "dropped_call") => {}
        }
        // The caller gives up: the future is dropped mid-file.
    }
    guarded("the cancel of the abandoned file", async {
        while running(&direct, "dropped_call").await > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert_eq!(rows(&direct).await, vec![(1, true)]);
}

#[tokio::test]
async fn the_default_configuration_has_a_client_deadline() {
    let config = MigratorConfig::new("postgres://root@127.0.0.1/x", "file://migrations");
    assert_eq!(config.query_timeout, Some(Duration::from_secs(30)));
}
