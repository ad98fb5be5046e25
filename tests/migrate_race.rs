//! Two migrators racing on one database: one applies, the other waits for the lock and then
//! finds nothing to do, or gives up at once (or after a short lock timeout) when told to.

use std::time::Duration;

use txova_db::postgres::{Executor, LockKey, Migrator, MigratorConfig};
use txova_db::testing::TestDatabase;
use txova_db::{ErrorKind, Timeout};
use txova_db_tests::migrate::{TempDir, rows};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_migrators_apply_each_migration_once() {
    let db = TestDatabase::create("mig_race").await.unwrap();
    let pool = db.pool().await.unwrap();
    // Counts how often each file runs; the sleep keeps the first migrator inside the lock
    // while the second arrives.
    pool.execute("CREATE TABLE runs (version int)", &[])
        .await
        .unwrap();
    let dir = TempDir::with_files(
        "race",
        &[
            (
                "1_a.up.sql",
                "SELECT pg_sleep(0.3); INSERT INTO runs VALUES (1); CREATE TABLE a (id int);",
            ),
            (
                "2_b.up.sql",
                "INSERT INTO runs VALUES (2); CREATE TABLE b (id int);",
            ),
            (
                "3_c.up.sql",
                "INSERT INTO runs VALUES (3); CREATE TABLE c (id int);",
            ),
        ],
    );
    let make = || Migrator::new(MigratorConfig::new(db.url(), dir.url())).unwrap();
    let (first, second) = (make(), make());
    let (a, b) = tokio::join!(
        tokio::spawn(async move { first.up().await }),
        tokio::spawn(async move { second.up().await })
    );
    let (a, b) = (a.unwrap().unwrap(), b.unwrap().unwrap());
    let mut counts = [a.len(), b.len()];
    counts.sort_unstable();
    assert_eq!(counts, [0, 3], "one applies all, the other finds no change");

    let runs: Vec<i32> = pool
        .query("SELECT version FROM runs ORDER BY version", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(runs, vec![1, 2, 3], "each file ran exactly once");
    assert_eq!(rows(&pool).await, vec![(3, false)]);
    let history: i64 = pool
        .query_one("SELECT count(*) FROM schema_migrations_history", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(history, 3);
}

/// A bound that proves a wait ends; not a speed assertion.
const NO_HANG: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_lock_is_reported_without_waiting_or_after_the_lock_timeout() {
    let db = TestDatabase::create("mig_busy").await.unwrap();
    let pool = db.pool().await.unwrap();
    // The first migrator's migration waits for a lock the test holds, so the first migrator
    // holds the migration lock until the test lets it go.
    let gate = pool.get().await.unwrap();
    gate.execute("SELECT pg_advisory_lock(4242)", &[])
        .await
        .unwrap();
    let dir = TempDir::with_files(
        "busy",
        &[(
            "1_a.up.sql",
            "SELECT pg_advisory_lock(4242); SELECT pg_advisory_unlock(4242); CREATE TABLE a (id int);",
        )],
    );
    let first = Migrator::new(MigratorConfig::new(db.url(), dir.url())).unwrap();
    let running = tokio::spawn(async move { first.up().await });
    // Until the first migrator waits on the gate (so it holds the migration lock).
    let waiting = async {
        loop {
            let n: i64 = pool
                .query_one(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            if n > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(NO_HANG, waiting)
        .await
        .expect("the first migrator must reach its migration");

    // No wait at all: one try.
    let config = MigratorConfig {
        lock_timeout: Duration::ZERO,
        ..MigratorConfig::new(db.url(), dir.url())
    };
    let err = Migrator::new(config).unwrap().up().await.unwrap_err();
    assert_eq!(err.timeout_kind(), Some(Timeout::Lock), "{err}");
    assert!(
        err.to_string()
            .contains("another migrator holds the migration lock"),
        "{err}"
    );
    // A lock named as the url's path (`/name`, as golang-migrate's CLI hashes it) is the
    // same lock, and a short wait gives up.
    let config = MigratorConfig {
        lock_timeout: Duration::from_millis(200),
        lock_key: LockKey::Name(format!("/{}", db.name())),
        ..MigratorConfig::new(db.url(), dir.url())
    };
    let err = tokio::time::timeout(NO_HANG, Migrator::new(config).unwrap().up())
        .await
        .expect("the wait must end")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.timeout_kind(), Some(Timeout::Lock), "{err}");

    gate.execute("SELECT pg_advisory_unlock(4242)", &[])
        .await
        .unwrap();
    let applied = tokio::time::timeout(NO_HANG, running)
        .await
        .expect("the first migrator must finish")
        .unwrap()
        .unwrap();
    assert_eq!(applied.len(), 1);
    assert_eq!(rows(&pool).await, vec![(1, false)]);
}

#[test]
fn a_migrator_says_what_it_runs() {
    let config = MigratorConfig::default();
    assert_eq!(config.database_url, "postgres://localhost/postgres");
    assert_eq!(config.migrations_path, "file://migrations");
    assert_eq!(config.lock_key, LockKey::UrlPath);
    let dir = TempDir::with_files("debug", &[("1_a.up.sql", "SELECT 1"), ("2_b.up.sql", "")]);
    let migrator = Migrator::new(MigratorConfig::new("postgres://h/db", dir.url())).unwrap();
    assert_eq!(
        format!("{migrator:?}"),
        format!(
            "Migrator {{ migrations_path: {:?}, migrations: 2, .. }}",
            dir.url()
        )
    );
}

#[tokio::test]
async fn an_empty_migrations_table_is_a_config_error() {
    let db = TestDatabase::create("mig_empty_table").await.unwrap();
    let dir = TempDir::with_files("empty_table", &[("1_a.up.sql", "SELECT 1")]);
    let config = MigratorConfig {
        migrations_table: Some(String::new()),
        ..MigratorConfig::new(db.url(), dir.url())
    };
    let err = Migrator::new(config).unwrap().up().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(
        err.to_string().contains("migrations_table is empty"),
        "{err}"
    );
}
