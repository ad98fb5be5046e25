//! A failing migration: the error names file, line and column, the database is left dirty,
//! every move is refused until `force`, and then migrating continues.

use txova_db::ErrorKind;
use txova_db::postgres::{DbVersion, Migrator, MigratorConfig, Target};
use txova_db::testing::TestDatabase;
use txova_db_tests::migrate::{TempDir, rows, table_exists};

#[tokio::test]
async fn a_failing_file_leaves_dirty_until_forced() {
    let db = TestDatabase::create("mig_dirty").await.unwrap();
    let pool = db.pool().await.unwrap();
    let dir = TempDir::with_files(
        "dirty",
        &[
            ("1_ok.up.sql", "CREATE TABLE ok (id int);"),
            ("1_ok.down.sql", "DROP TABLE ok;"),
            (
                "2_broken.up.sql",
                "-- a comment\nCREATE TABLE fine (id int);\nSELECT *\n  FROM no_such_table;\n",
            ),
            ("3_later.up.sql", "CREATE TABLE later (id int);"),
        ],
    );
    let m = Migrator::new(MigratorConfig::new(db.url(), dir.url())).unwrap();
    let err = m.up().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Migration);
    assert_eq!(err.code(), Some("42P01"));
    let text = err.to_string();
    assert!(text.contains("2_broken.up.sql"), "{text}");
    assert!(text.contains("line 4, column 8"), "{text}");
    assert!(
        text.contains("relation \"no_such_table\" does not exist"),
        "{text}"
    );
    assert!(text.contains("SQLSTATE 42P01"), "{text}");
    assert!(text.contains("dirty at version 2"), "{text}");

    assert_eq!(rows(&pool).await, vec![(2, true)]);
    // The file is one batch, one implicit transaction: its first statement was undone too.
    assert!(!table_exists(&pool, "fine").await);
    assert!(table_exists(&pool, "ok").await);

    for target in [
        Target::Up(None),
        Target::Down(Some(1)),
        Target::Down(None),
        Target::Goto(1),
        Target::steps(1),
        Target::steps(-1),
    ] {
        let err = m.migrate(target).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Migration, "{target:?}");
        assert!(err.to_string().contains("dirty at version 2"), "{err}");
        assert!(err.to_string().contains("force"), "{err}");
        assert_eq!(
            rows(&pool).await,
            vec![(2, true)],
            "{target:?} changed nothing"
        );
    }
    // A dry run says the same.
    assert!(m.plan(Target::Up(None)).await.is_err());

    // The operator decides the failed file did nothing: back to 1, fix the file, go on.
    m.force(1).await.unwrap();
    assert_eq!(
        m.version().await.unwrap(),
        Some(DbVersion {
            version: 1,
            dirty: false
        })
    );
    dir.write("2_broken.up.sql", "CREATE TABLE fine (id int);\n");
    let m = Migrator::new(MigratorConfig::new(db.url(), dir.url())).unwrap();
    assert_eq!(m.up().await.unwrap().len(), 2);
    assert_eq!(rows(&pool).await, vec![(3, false)]);
}

#[tokio::test]
async fn a_failing_down_of_the_first_migration_is_recorded_like_golang_migrate() {
    let db = TestDatabase::create("mig_dirty_first").await.unwrap();
    let pool = db.pool().await.unwrap();
    let dir = TempDir::with_files(
        "dirty_first",
        &[
            ("1_a.up.sql", "CREATE TABLE a (id int);"),
            ("1_a.down.sql", "DROP TABLE not_there;"),
        ],
    );
    let m = Migrator::new(MigratorConfig::new(db.url(), dir.url())).unwrap();
    m.up().await.unwrap();
    let err = m.down(1).await.unwrap_err();
    assert!(err.to_string().contains("1_a.down.sql"), "{err}");
    assert_eq!(rows(&pool).await, vec![(-1, true)]);
    assert!(m.up().await.is_err());
    m.force(-1).await.unwrap();
    assert_eq!(rows(&pool).await, vec![]);
}

#[tokio::test]
async fn a_syntax_error_points_at_its_line_and_column() {
    let db = TestDatabase::create("mig_syntax").await.unwrap();
    let dir = TempDir::with_files(
        "syntax",
        &[(
            "7_typo.up.sql",
            "CREATE TABLE a (id int);\r\n\r\nCREATE TABLE b (\r\n  id int,\r\n  name txet\r\n);\r\n",
        )],
    );
    let m = Migrator::new(MigratorConfig::new(db.url(), dir.url())).unwrap();
    let err = m.up().await.unwrap_err();
    assert_eq!(err.code(), Some("42704"), "{err}");
    assert!(
        err.to_string()
            .contains("migration 7_typo.up.sql failed at line 5, column 8"),
        "{err}"
    );
    let err2 = {
        dir.write(
            "7_typo.up.sql",
            "CREATE TABLE a (id int);\nCREATE TABEL b (id int);\n",
        );
        m.force(-1).await.unwrap();
        let m = Migrator::new(MigratorConfig::new(db.url(), dir.url())).unwrap();
        m.up().await.unwrap_err()
    };
    assert_eq!(err2.code(), Some("42601"));
    assert!(err2.to_string().contains("at line 2, column 8"), "{err2}");
}

#[tokio::test]
async fn the_force_hint_names_the_version_the_database_is_really_at() {
    let db = TestDatabase::create("mig_force_hint").await.unwrap();
    let dir = TempDir::with_files(
        "force_hint",
        &[
            ("1_a.up.sql", "CREATE TABLE a (id int);"),
            ("2_b.up.sql", "CREATE TABLE b (id int);"),
            ("3_c.up.sql", "CREATE TABLE c (id int);"),
            // One batch, no transaction control: it fails as a whole, so the database stays
            // at 3 although it is marked dirty at 4.
            ("4_d.up.sql", "CREATE TABLE d (id int);\nSELECT 1 / 0;\n"),
        ],
    );
    let m = Migrator::new(MigratorConfig::new(db.url(), dir.url())).unwrap();
    let err = m.up().await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("really at version 3"), "{text}");
    assert!(text.contains("force 3"), "{text}");
    assert!(!text.contains("force 4"), "{text}");
    // The next run's refusal does not claim the database is at 4 either.
    let again = m.up().await.unwrap_err().to_string();
    assert!(again.contains("dirty at version 4"), "{again}");
    assert!(!again.contains("force 4"), "{again}");

    // A file that commits part way cannot be judged: both versions are named.
    m.force(3).await.unwrap();
    dir.write(
        "4_d.up.sql",
        "BEGIN; CREATE TABLE d (id int); COMMIT;\nSELECT 1 / 0;\n",
    );
    let m = Migrator::new(MigratorConfig::new(db.url(), dir.url())).unwrap();
    let text = m.up().await.unwrap_err().to_string();
    assert!(
        text.contains("3 if none of it was applied, 4 if all"),
        "{text}"
    );
}

#[tokio::test]
async fn a_failing_file_says_the_servers_detail_and_a_statement_timeout_is_a_timeout() {
    let db = TestDatabase::create("mig_dirty_detail").await.unwrap();
    let pool = db.pool().await.unwrap();
    let dir = TempDir::with_files(
        "dirty_detail",
        &[(
            "1_dup.up.sql",
            "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (1);",
        )],
    );
    let m = Migrator::new(MigratorConfig::new(db.url(), dir.url())).unwrap();
    let err = m.up().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Migration, "{err}");
    assert_eq!(err.code(), Some("23505"));
    let text = err.to_string();
    assert!(
        text.contains("(Key (id)=(1) already exists.) [SQLSTATE 23505]"),
        "{text}"
    );
    assert_eq!(rows(&pool).await, vec![(1, true)]);

    // The server's statement timeout stops a file: a timeout, and the database is dirty.
    let db = TestDatabase::create("mig_dirty_timeout").await.unwrap();
    let pool = db.pool().await.unwrap();
    let dir = TempDir::with_files(
        "dirty_timeout",
        &[("1_slow.up.sql", "SELECT pg_sleep(60);")],
    );
    let config = MigratorConfig {
        statement_timeout: Some(std::time::Duration::from_millis(100)),
        ..MigratorConfig::new(db.url(), dir.url())
    };
    let m = Migrator::new(config).unwrap();
    let err = tokio::time::timeout(std::time::Duration::from_secs(50), m.up())
        .await
        .expect("the statement timeout must stop the file")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(
        err.to_string()
            .contains("1_slow.up.sql ran longer than the statement timeout of 100ms"),
        "{err}"
    );
    assert_eq!(rows(&pool).await, vec![(1, true)]);
}
