//! Two migrators racing on one database: one applies, the other waits for the lock and then
//! finds nothing to do.

use txova_db::postgres::{Executor, Migrator, MigratorConfig};
use txova_db::testing::TestDatabase;
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
