//! The history table, status with changed files, dry runs, progress, stopping, and
//! embedded migrations.

use std::sync::{Arc, Mutex};

use txova_db::ErrorKind;
use txova_db::postgres::{
    Direction, EmbeddedMigrations, Executor, MigrationState, Migrator, MigratorConfig, Progress,
    Target,
};
use txova_db::testing::TestDatabase;
use txova_db_tests::migrate::{TempDir, repo_migrations, rows};

static EMBEDDED: EmbeddedMigrations = txova_db::embed_migrations!("../migrations");
static DUPLICATES: EmbeddedMigrations =
    EmbeddedMigrations::new(&[("1_a.up.sql", ""), ("01_b.up.sql", "")]);

#[tokio::test]
async fn status_reports_applied_pending_and_changed_files() {
    let db = TestDatabase::create("mig_status").await.unwrap();
    let pool = db.pool().await.unwrap();
    let dir = TempDir::with_files(
        "status",
        &[
            ("1_a.up.sql", "CREATE TABLE a (id int);\n"),
            ("2_b.up.sql", "CREATE TABLE b (id int);\n"),
            ("2_b.down.sql", "DROP TABLE b;\n"),
            ("3_c.up.sql", "CREATE TABLE c (id int);\n"),
        ],
    );
    let m = Migrator::new(MigratorConfig::new(db.url(), dir.url())).unwrap();
    m.steps(2).await.unwrap();
    let history: Vec<(i64, String, String, Option<String>)> = pool
        .query(
            "SELECT version, direction, file, checksum FROM schema_migrations_history ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].1, "up");
    assert_eq!(history[0].2, "1_a.up.sql");
    assert_eq!(history[0].3.as_deref().map(str::len), Some(8));

    // Line endings alone are not a change; an edit is.
    dir.write("1_a.up.sql", "CREATE TABLE a (id int);\r\n");
    dir.write("2_b.up.sql", "CREATE TABLE b (id bigint);\n");
    let m = Migrator::new(MigratorConfig::new(db.url(), dir.url())).unwrap();
    let status = m.status().await.unwrap();
    let seen: Vec<(u64, MigrationState, bool, bool)> = status
        .migrations
        .iter()
        .map(|s| (s.version, s.state, s.changed, s.applied_at.is_some()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, MigrationState::Applied, false, true),
            (2, MigrationState::Applied, true, true),
            (3, MigrationState::Pending, false, false),
        ]
    );

    // Going down and up again records the new file: no longer changed.
    m.down(1).await.unwrap();
    m.up().await.unwrap();
    let status = m.status().await.unwrap();
    assert!(status.migrations.iter().all(|s| !s.changed));
    assert!(
        status
            .migrations
            .iter()
            .all(|s| s.state == MigrationState::Applied)
    );
    let downs: i64 = pool
        .query_one(
            "SELECT count(*) FROM schema_migrations_history WHERE direction = 'down'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(downs, 1);

    // A version the folder no longer has.
    pool.execute("UPDATE schema_migrations SET version = 9", &[])
        .await
        .unwrap();
    let status = m.status().await.unwrap();
    let last = status.migrations.last().unwrap();
    assert_eq!((last.version, last.state), (9, MigrationState::Missing));

    // An applied file removed from below the current version is reported too.
    dir.remove("2_b.up.sql");
    dir.remove("2_b.down.sql");
    let m = Migrator::new(MigratorConfig::new(db.url(), dir.url())).unwrap();
    let status = m.status().await.unwrap();
    let seen: Vec<(u64, MigrationState)> = status
        .migrations
        .iter()
        .map(|s| (s.version, s.state))
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, MigrationState::Applied),
            (2, MigrationState::Missing),
            (3, MigrationState::Applied),
            (9, MigrationState::Missing),
        ]
    );
    let two = &status.migrations[1];
    assert!(two.applied_at.is_some(), "the history knows when it ran");
}

#[tokio::test]
async fn dry_runs_change_nothing_and_progress_is_reported() {
    let db = TestDatabase::create("mig_dryrun").await.unwrap();
    let pool = db.pool().await.unwrap();
    let config = MigratorConfig::new(db.url(), repo_migrations().display().to_string());
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let m = Migrator::new(config).unwrap().on_progress(move |p| {
        let line = match p {
            Progress::Started(s) => format!("start {} {}", s.version, s.direction),
            Progress::Finished(a) => format!("done {} {}", a.step.version, a.step.direction),
            _ => String::new(),
        };
        sink.lock().unwrap().push(line);
    });
    let plan = m.plan(Target::Up(None)).await.unwrap();
    assert_eq!(
        plan.iter()
            .map(|s| (s.version, s.file.clone().unwrap_or_default()))
            .collect::<Vec<_>>(),
        vec![
            (1, "000001_create_users.up.sql".to_owned()),
            (2, "000002_create_profiles.up.sql".to_owned()),
            (3, "000003_create_rides.up.sql".to_owned()),
            (4, "000004_rides_status_index.up.sql".to_owned()),
        ]
    );
    let exists: bool = pool
        .query_one(
            "SELECT to_regclass('public.schema_migrations') IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(!exists, "a dry run creates nothing");
    assert!(events.lock().unwrap().is_empty());

    m.up().await.unwrap();
    assert_eq!(
        events.lock().unwrap().clone(),
        vec![
            "start 1 up",
            "done 1 up",
            "start 2 up",
            "done 2 up",
            "start 3 up",
            "done 3 up",
            "start 4 up",
            "done 4 up"
        ]
    );
    let plan = m.plan(Target::Goto(2)).await.unwrap();
    assert_eq!(
        plan.iter()
            .map(|s| (s.version, s.direction, s.target))
            .collect::<Vec<_>>(),
        vec![(4, Direction::Down, 3), (3, Direction::Down, 2)]
    );
    assert_eq!(rows(&pool).await, vec![(4, false)]);
}

#[tokio::test]
async fn a_stopped_migrator_finishes_the_running_migration_only() {
    let db = TestDatabase::create("mig_stop").await.unwrap();
    let pool = db.pool().await.unwrap();
    let m = Migrator::new(MigratorConfig::new(
        db.url(),
        repo_migrations().display().to_string(),
    ))
    .unwrap();
    let stop = m.stop_handle();
    let m = m.on_progress(move |p| {
        if let Progress::Started(s) = p
            && s.version == 2
        {
            stop.stop();
        }
    });
    let err = m.up().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Migration);
    assert!(err.to_string().contains("stopped"), "{err}");
    assert_eq!(rows(&pool).await, vec![(2, false)], "2 finished, clean");
    assert!(m.up().await.is_err(), "it stays stopped");
}

#[tokio::test]
async fn embedded_migrations_match_the_folder() {
    let db = TestDatabase::create("mig_embedded").await.unwrap();
    let pool = db.pool().await.unwrap();
    let names: Vec<&str> = EMBEDDED.files().iter().map(|(n, _)| *n).collect();
    assert_eq!(names.len(), 8);
    assert!(names.contains(&"000004_rides_status_index.down.sql"));
    let m = Migrator::with_source(
        MigratorConfig::new(db.url(), "unused"),
        EMBEDDED.load().unwrap(),
    )
    .unwrap();
    assert_eq!(m.up().await.unwrap().len(), 4);
    // The folder-based migrator sees the same files, unchanged and applied.
    let folder = Migrator::new(MigratorConfig::new(
        db.url(),
        repo_migrations().display().to_string(),
    ))
    .unwrap();
    let status = folder.status().await.unwrap();
    assert!(
        status
            .migrations
            .iter()
            .all(|s| s.state == MigrationState::Applied && !s.changed)
    );
    assert!(folder.up().await.unwrap().is_empty());
    assert_eq!(rows(&pool).await, vec![(4, false)]);

    assert_eq!(DUPLICATES.load().unwrap_err().kind(), ErrorKind::Migration);
}
