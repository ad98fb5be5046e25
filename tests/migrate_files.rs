//! What folders may hold: leading zeros, gaps, missing down or up files, comment-only files,
//! CREATE INDEX CONCURRENTLY, `$$` bodies; and the bad inputs that must be clear errors.

use std::time::Duration;

use txova_db::postgres::{Executor, MigrationSource, Migrator, MigratorConfig};
use txova_db::testing::TestDatabase;
use txova_db::{ErrorKind, Timeout};
use txova_db_tests::migrate::{TempDir, rows, table_exists};

#[tokio::test]
async fn folders_as_golang_migrate_reads_them() {
    let db = TestDatabase::create("mig_files").await.unwrap();
    let pool = db.pool().await.unwrap();
    let dir = TempDir::with_files(
        "files",
        &[
            ("0001_a.up.sql", "CREATE TABLE a (id int);"),
            ("0001_a.down.sql", "DROP TABLE a;"),
            // A gap, and no down file: reverting 5 only moves the version.
            ("5_b.up.sql", "CREATE TABLE b (id int);"),
            // Comments only, in both directions.
            ("00010_noop.up.sql", "-- nothing to do yet\n/* really */\n"),
            ("10_noop.down.sql", "   \n"),
            // A down file without an up file.
            ("12_only_down.down.sql", "DROP TABLE IF EXISTS never;"),
            // Alone, so it runs outside a transaction block.
            (
                "20_idx.up.sql",
                "CREATE INDEX CONCURRENTLY a_id_idx ON a (id);",
            ),
            ("20_idx.down.sql", "DROP INDEX CONCURRENTLY a_id_idx;"),
            (
                "30_fn.up.sql",
                "CREATE FUNCTION add_one(x int) RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN x + 1; -- a semicolon inside\nEND;\n$$;\nCREATE FUNCTION shout(t text) RETURNS text LANGUAGE sql AS $body$ SELECT upper(t) || '!'; $body$;",
            ),
            (
                "30_fn.down.sql",
                "DROP FUNCTION add_one(int); DROP FUNCTION shout(text);",
            ),
            ("README.md", "not a migration"),
            ("notes_1.up.sql", "not a migration either"),
        ],
    );
    std::fs::create_dir(dir.path().join("99_dir.up.sql")).unwrap();
    let m = Migrator::new(MigratorConfig::new(db.url(), dir.url())).unwrap();
    assert_eq!(
        m.source().versions().collect::<Vec<_>>(),
        vec![1, 5, 10, 12, 20, 30]
    );
    let applied = m.up().await.unwrap();
    assert_eq!(
        applied
            .iter()
            .map(|a| (a.step.version, a.step.file.is_some()))
            .collect::<Vec<_>>(),
        vec![
            (1, true),
            (5, true),
            (10, true),
            (12, false),
            (20, true),
            (30, true)
        ]
    );
    assert_eq!(rows(&pool).await, vec![(30, false)]);
    let two: i32 = pool
        .query_one("SELECT add_one(1)", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(two, 2);
    let valid: bool = pool
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'a_id_idx'::regclass",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(valid);

    m.goto(5).await.unwrap();
    assert_eq!(rows(&pool).await, vec![(5, false)]);
    assert!(table_exists(&pool, "b").await);
    m.down(1).await.unwrap();
    assert_eq!(rows(&pool).await, vec![(1, false)]);
    assert!(table_exists(&pool, "b").await, "5 has no down file");
}

#[tokio::test]
async fn duplicate_versions_are_refused_before_anything_runs() {
    let dir = TempDir::with_files(
        "dup",
        &[
            ("1_a.up.sql", "CREATE TABLE a (id int);"),
            ("2_b.up.sql", "CREATE TABLE b (id int);"),
            ("002_c.up.sql", "CREATE TABLE c (id int);"),
        ],
    );
    let err =
        Migrator::new(MigratorConfig::new("postgres://127.0.0.1/none", dir.url())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Migration);
    let text = err.to_string();
    assert!(
        text.contains("duplicate migration version 2 (up)"),
        "{text}"
    );
    assert!(
        text.contains("002_c.up.sql") && text.contains("2_b.up.sql"),
        "{text}"
    );
    let err = MigrationSource::from_dir(dir.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Migration);
}

#[tokio::test]
async fn bad_inputs_are_clear_errors() {
    // A missing folder.
    let err = Migrator::new(MigratorConfig::new(
        "postgres://127.0.0.1/x",
        "file:///no/such/folder",
    ))
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Migration);
    assert!(err.to_string().contains("/no/such/folder"), "{err}");

    // A file that is not UTF-8.
    let dir = TempDir::new("utf8");
    std::fs::write(dir.path().join("1_bin.up.sql"), [0xff, 0xfe, 0x00]).unwrap();
    let err = Migrator::new(MigratorConfig::new("postgres://127.0.0.1/x", dir.url())).unwrap_err();
    assert!(
        err.to_string().contains("1_bin.up.sql") && err.to_string().contains("UTF-8"),
        "{err}"
    );

    // A version beyond bigint.
    let dir = TempDir::with_files("big", &[("99999999999999999999_x.up.sql", "")]);
    let err = Migrator::new(MigratorConfig::new("postgres://127.0.0.1/x", dir.url())).unwrap_err();
    assert!(
        err.to_string().contains("larger than the largest bigint"),
        "{err}"
    );

    // A source scheme that does not exist here.
    let err = Migrator::new(MigratorConfig::new(
        "postgres://127.0.0.1/x",
        "s3://bucket/m",
    ))
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);

    let dir = TempDir::with_files("ok", &[("1_a.up.sql", "SELECT 1")]);
    // A malformed URL: parsed once, up front.
    let err = Migrator::new(MigratorConfig::new(
        "postgres://root@127.0.0.1:notaport/x",
        dir.url(),
    ))
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    // A server that is not there.
    let m = Migrator::new(MigratorConfig {
        connect_timeout: Duration::from_secs(2),
        ..MigratorConfig::new("postgres://root@127.0.0.1:1/x?sslmode=disable", dir.url())
    })
    .unwrap();
    let err = m.up().await.unwrap_err();
    assert!(
        err.is_connection() || err.timeout_kind() == Some(Timeout::Connect),
        "{err:?}"
    );
    assert!(m.version().await.is_err());
    // A database that does not exist.
    let db = TestDatabase::create("mig_bad").await.unwrap();
    let url = db.url().replace(db.name(), "txova_no_such_database");
    let m = Migrator::new(MigratorConfig::new(url, dir.url())).unwrap();
    let err = m.status().await.unwrap_err();
    assert!(err.is_connection(), "{err:?}");
    // The database's version has no file in the folder.
    let pool = db.pool().await.unwrap();
    pool.execute(
        "CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null)",
        &[],
    )
    .await
    .unwrap();
    pool.execute("INSERT INTO schema_migrations VALUES (7, false)", &[])
        .await
        .unwrap();
    let m = Migrator::new(MigratorConfig::new(db.url(), dir.url())).unwrap();
    let err = m.up().await.unwrap_err();
    assert!(
        err.to_string().contains("no migration found for version 7"),
        "{err}"
    );
    let err = m.goto(3).await.unwrap_err();
    assert!(err.to_string().contains("no migration found"), "{err}");
}

#[tokio::test]
async fn a_version_table_that_cannot_be_made_or_read_is_a_clear_error() {
    let dir = TempDir::with_files("tables", &[("1_a.up.sql", "CREATE TABLE a (id int)")]);
    // The table's schema does not exist: it cannot be created.
    let db = TestDatabase::create("mig_no_schema").await.unwrap();
    let url = txova_db_tests::with_option(db.url(), "x-migrations-table", "\"nosuch\".\"mig\"");
    let url = txova_db_tests::with_option(&url, "x-migrations-table-quoted", "1");
    let err = Migrator::new(MigratorConfig::new(url, dir.url()))
        .unwrap()
        .up()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("3F000"), "{err}");
    assert!(
        err.to_string()
            .starts_with("cannot create the version table \"nosuch\".\"mig\""),
        "{err}"
    );
    // A table of that name that is not a version table: its version cannot be read.
    let db = TestDatabase::create("mig_other_table").await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.execute("CREATE TABLE schema_migrations (id int)", &[])
        .await
        .unwrap();
    let m = Migrator::new(MigratorConfig::new(db.url(), dir.url())).unwrap();
    let err = m.up().await.unwrap_err();
    assert_eq!(err.code(), Some("42703"), "{err}");
    assert!(
        err.to_string()
            .starts_with("cannot read the migration version"),
        "{err}"
    );
    assert!(!table_exists(&pool, "a").await, "nothing ran");
}
