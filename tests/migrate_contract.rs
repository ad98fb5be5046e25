//! The contract shared with golang-migrate: the version table's exact shape and contents
//! after each command, the lock id, the URL options, and continuing a state golang-migrate
//! wrote.

use std::time::{Duration, Instant};

use txova_db::postgres::{DbVersion, Executor, LockKey, Migrator, MigratorConfig};
use txova_db::testing::TestDatabase;
use txova_db::{ErrorKind, Timeout};
use txova_db_tests::migrate::{TempDir, repo_migrations, rows, table_exists};
use txova_db_tests::with_credentials;

fn migrator(db: &TestDatabase) -> Migrator {
    Migrator::new(MigratorConfig::new(
        db.url(),
        repo_migrations().display().to_string(),
    ))
    .unwrap()
}

/// golang-migrate's id, computed here independently of the library, as its
/// `GenerateAdvisoryLockId(databaseName, schema, table)` does: the names joined by NUL bytes,
/// the database name last.
fn golang_migrate_lock_id(database: &str, schema: &str, table: &str) -> i64 {
    let joined = [schema, table, database].join("\0");
    i64::from(crc32fast::hash(joined.as_bytes()).wrapping_mul(1_486_364_155))
}

#[tokio::test]
async fn version_table_has_golang_migrates_exact_shape() {
    let db = TestDatabase::create("mig_shape").await.unwrap();
    let pool = db.pool().await.unwrap();
    migrator(&db).up().await.unwrap();

    let columns: Vec<(String, String, String)> = pool
        .query(
            "SELECT column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = 'schema_migrations' ORDER BY ordinal_position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        columns,
        vec![
            ("version".into(), "bigint".into(), "NO".into()),
            ("dirty".into(), "boolean".into(), "NO".into()),
        ]
    );
    let indexes: Vec<(String, bool, String)> = pool
        .query(
            "SELECT c.relname::text, i.indisprimary, pg_get_indexdef(i.indexrelid) FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE i.indrelid = 'public.schema_migrations'::regclass",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        indexes,
        vec![(
            "schema_migrations_pkey".into(),
            true,
            "CREATE UNIQUE INDEX schema_migrations_pkey ON public.schema_migrations USING btree (version)"
                .into()
        )]
    );
    // No default, no other constraint: exactly the driver's CREATE TABLE. From PostgreSQL 18
    // on, the catalog records each `NOT NULL` as a constraint of its own (contype `n`).
    let actual = constraints(&pool, "public.schema_migrations").await;
    let server: i32 = pool
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .await
        .unwrap()
        .get(0);
    let mut expected = vec![(
        "p".to_owned(),
        "schema_migrations_pkey".to_owned(),
        vec!["version".to_owned()],
    )];
    if server >= 180_000 {
        expected.extend([
            (
                "n".to_owned(),
                "schema_migrations_dirty_not_null".to_owned(),
                vec!["dirty".to_owned()],
            ),
            (
                "n".to_owned(),
                "schema_migrations_version_not_null".to_owned(),
                vec!["version".to_owned()],
            ),
        ]);
        expected.sort();
    }
    assert_eq!(actual, expected, "PostgreSQL {server}");
    // And the same as golang-migrate's own statement gives on this server, whatever its
    // version.
    for statement in [
        "CREATE SCHEMA reference",
        "CREATE TABLE IF NOT EXISTS reference.schema_migrations \
         (version bigint not null primary key, dirty boolean not null)",
    ] {
        pool.execute(statement, &[]).await.unwrap();
    }
    assert_eq!(
        actual,
        constraints(&pool, "reference.schema_migrations").await
    );
}

/// The constraints of `table`: kind, name and columns, sorted.
async fn constraints(pool: &impl Executor, table: &str) -> Vec<(String, String, Vec<String>)> {
    pool.query(
        "SELECT k.contype::text, k.conname::text, \
                array(SELECT a.attname::text FROM unnest(k.conkey) AS c(n) \
                      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = c.n \
                      ORDER BY a.attname) \
         FROM pg_constraint k WHERE k.conrelid = $1::text::regclass ORDER BY 1, 2",
        &[&table],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

#[tokio::test]
async fn table_contents_after_each_command() {
    let db = TestDatabase::create("mig_contents").await.unwrap();
    let pool = db.pool().await.unwrap();
    let m = migrator(&db);
    assert_eq!(m.version().await.unwrap(), None);
    // Reading the version creates nothing, so a read-only user can run it.
    assert!(!table_exists(&pool, "schema_migrations").await);

    assert_eq!(m.up().await.unwrap().len(), 4);
    assert_eq!(rows(&pool).await, vec![(4, false)]);
    assert!(table_exists(&pool, "rides").await);
    assert!(m.up().await.unwrap().is_empty(), "no change");
    assert_eq!(rows(&pool).await, vec![(4, false)]);

    m.down(1).await.unwrap();
    assert_eq!(rows(&pool).await, vec![(3, false)]);
    m.steps(-2).await.unwrap();
    assert_eq!(rows(&pool).await, vec![(1, false)]);
    assert!(!table_exists(&pool, "profiles").await);
    m.goto(3).await.unwrap();
    assert_eq!(rows(&pool).await, vec![(3, false)]);
    m.steps(1).await.unwrap();
    assert_eq!(
        m.version().await.unwrap(),
        Some(DbVersion {
            version: 4,
            dirty: false
        })
    );
    assert_eq!(m.down_all().await.unwrap().len(), 4);
    assert_eq!(rows(&pool).await, vec![], "all down empties the table");
    assert!(!table_exists(&pool, "users").await);
    assert_eq!(m.version().await.unwrap(), None);

    m.force(2).await.unwrap();
    assert_eq!(rows(&pool).await, vec![(2, false)]);
    m.force(-1).await.unwrap();
    assert_eq!(rows(&pool).await, vec![]);
    let err = m.force(-2).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);

    m.up().await.unwrap();
    m.drop().await.unwrap();
    for table in ["users", "profiles", "rides", "schema_migrations"] {
        assert!(!table_exists(&pool, table).await, "{table} dropped");
    }
    assert_eq!(m.version().await.unwrap(), None);
    // And the database can be migrated again from nothing.
    assert_eq!(m.up().await.unwrap().len(), 4);
}

#[tokio::test]
async fn continues_a_state_written_by_golang_migrate() {
    let db = TestDatabase::create("mig_gostate").await.unwrap();
    let pool = db.pool().await.unwrap();
    // What golang-migrate leaves after `migrate up 2`: its table, the first two files run.
    let conn = pool.get().await.unwrap();
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS \"public\".\"schema_migrations\" (version bigint not null primary key, dirty boolean not null)",
    )
    .await
    .unwrap();
    for file in [
        "000001_create_users.up.sql",
        "000002_create_profiles.up.sql",
    ] {
        let sql = std::fs::read_to_string(repo_migrations().join(file)).unwrap();
        conn.batch_execute(&sql).await.unwrap();
    }
    conn.batch_execute(
        "TRUNCATE \"public\".\"schema_migrations\"; INSERT INTO \"public\".\"schema_migrations\" (version, dirty) VALUES (2, false)",
    )
    .await
    .unwrap();

    let m = migrator(&db);
    let status = m.status().await.unwrap();
    assert_eq!(
        status.version,
        Some(DbVersion {
            version: 2,
            dirty: false
        })
    );
    assert!(
        status.migrations[0].applied_at.is_none(),
        "applied by another tool"
    );
    let applied = m.up().await.unwrap();
    assert_eq!(
        applied.iter().map(|a| a.step.version).collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert_eq!(rows(&pool).await, vec![(4, false)]);

    // golang-migrate crashed during 4's down: version 3, dirty.
    conn.batch_execute(
        "TRUNCATE schema_migrations; INSERT INTO schema_migrations VALUES (3, true)",
    )
    .await
    .unwrap();
    assert_eq!(
        m.version().await.unwrap(),
        Some(DbVersion {
            version: 3,
            dirty: true
        })
    );
    let err = m.up().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Migration);
    assert!(err.to_string().contains("dirty at version 3"), "{err}");
    m.force(3).await.unwrap();
    assert_eq!(rows(&pool).await, vec![(3, false)]);
    m.up().await.unwrap();
    assert_eq!(rows(&pool).await, vec![(4, false)]);

    // A failed down of the first migration leaves golang-migrate's (-1, dirty) row.
    conn.batch_execute(
        "TRUNCATE schema_migrations; INSERT INTO schema_migrations VALUES (-1, true)",
    )
    .await
    .unwrap();
    assert_eq!(
        m.version().await.unwrap(),
        Some(DbVersion {
            version: -1,
            dirty: true
        })
    );
    assert!(m.down_all().await.is_err());
    m.force(-1).await.unwrap();
    assert_eq!(rows(&pool).await, vec![]);
}

#[tokio::test]
async fn the_lock_is_golang_migrates() {
    let db = TestDatabase::create("mig_lockid").await.unwrap();
    let pool = db.pool().await.unwrap();
    let holder = pool.get().await.unwrap();
    let config = MigratorConfig {
        lock_timeout: Duration::from_millis(500),
        ..MigratorConfig::new(db.url(), repo_migrations().display().to_string())
    };

    // golang-migrate opened from the URL hashes the path with its slash.
    let by_url = golang_migrate_lock_id(&format!("/{}", db.name()), "public", "schema_migrations");
    holder
        .execute("SELECT pg_advisory_lock($1)", &[&by_url])
        .await
        .unwrap();
    let started = Instant::now();
    let err = Migrator::new(config.clone())
        .unwrap()
        .up()
        .await
        .unwrap_err();
    assert_eq!(err.timeout_kind(), Some(Timeout::Lock), "{err}");
    assert!(err.to_string().contains(&by_url.to_string()), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "the wait stops");
    // The server stopped waiting too: no request for that lock is left queued.
    let queued: i64 = pool
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(queued, 0, "a lock request is still queued on the server");
    assert!(
        !table_exists(&pool, "schema_migrations").await,
        "nothing ran"
    );

    // WithInstance hashes current_database(): a different id, free.
    let with_instance = Migrator::new(MigratorConfig {
        lock_key: LockKey::CurrentDatabase,
        ..config.clone()
    })
    .unwrap();
    let by_name = golang_migrate_lock_id(db.name(), "public", "schema_migrations");
    assert_ne!(by_url, by_name);
    holder
        .execute("SELECT pg_advisory_unlock($1)", &[&by_url])
        .await
        .unwrap();
    holder
        .execute("SELECT pg_advisory_lock($1)", &[&by_name])
        .await
        .unwrap();
    let err = with_instance.up().await.unwrap_err();
    assert_eq!(err.timeout_kind(), Some(Timeout::Lock), "{err}");
    // The URL form is free now.
    assert_eq!(Migrator::new(config).unwrap().up().await.unwrap().len(), 4);
    holder
        .execute("SELECT pg_advisory_unlock($1)", &[&by_name])
        .await
        .unwrap();
    assert!(with_instance.up().await.unwrap().is_empty());
    // The lock is released after each call.
    let held: i64 = pool
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(held, 0);
}

#[tokio::test]
async fn url_options_choose_table_schema_and_timeout() {
    let db = TestDatabase::create("mig_options").await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.execute("CREATE SCHEMA app", &[]).await.unwrap();
    pool.execute("CREATE SCHEMA meta", &[]).await.unwrap();
    let dir = TempDir::with_files(
        "options",
        &[
            ("1_t.up.sql", "CREATE TABLE t (id int);"),
            ("2_slow.up.sql", "SELECT pg_sleep(30);"),
        ],
    );
    let sep = if db.url().contains('?') { '&' } else { '?' };

    let url = format!(
        "{}{sep}x-migrations-table=app_versions&search_path=app",
        db.url()
    );
    let m = Migrator::new(MigratorConfig::new(url, dir.url())).unwrap();
    m.steps(1).await.unwrap();
    let v: (i64, bool) = pool
        .query_one("SELECT version, dirty FROM app.app_versions", &[])
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!(v, (1, false));
    assert!(!table_exists(&pool, "schema_migrations").await);
    assert!(
        !table_exists(&pool, "t").await,
        "t went to app, by search_path"
    );

    let url = format!(
        "{}{sep}x-migrations-table=%22meta%22.%22versions%22&x-migrations-table-quoted=true&x-statement-timeout=300",
        db.url()
    );
    let m = Migrator::new(MigratorConfig::new(url, dir.url())).unwrap();
    let started = Instant::now();
    let err = m.up().await.unwrap_err();
    assert_eq!(err.timeout_kind(), Some(Timeout::Statement), "{err}");
    assert!(err.to_string().contains("2_slow.up.sql"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "cancelled at its limit"
    );
    let v: (i64, bool) = pool
        .query_one("SELECT version, dirty FROM meta.versions", &[])
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!(v, (2, true));

    // The lock id follows the table and schema the options chose, and x-no-lock skips it.
    let holder = pool.get().await.unwrap();
    let id = golang_migrate_lock_id(&format!("/{}", db.name()), "app", "app_versions");
    holder
        .execute("SELECT pg_advisory_lock($1)", &[&id])
        .await
        .unwrap();
    dir.write("2_slow.up.sql", "CREATE TABLE t2 (id int);");
    let url = format!(
        "{}{sep}x-migrations-table=app_versions&search_path=app",
        db.url()
    );
    let m = Migrator::new(MigratorConfig {
        lock_timeout: Duration::from_millis(300),
        ..MigratorConfig::new(url.clone(), dir.url())
    })
    .unwrap();
    let err = m.up().await.unwrap_err();
    assert_eq!(err.timeout_kind(), Some(Timeout::Lock), "{err}");
    let m = Migrator::new(MigratorConfig::new(
        format!("{url}&x-no-lock=true"),
        dir.url(),
    ))
    .unwrap();
    assert_eq!(m.up().await.unwrap().len(), 1);

    let bad = format!("{}{sep}x-no-such-option=1", db.url());
    let err = Migrator::new(MigratorConfig::new(bad, dir.url())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("x-no-such-option"), "{err}");
}

#[tokio::test]
async fn a_user_without_create_can_read_and_find_no_change() {
    let db = TestDatabase::create("mig_readonly").await.unwrap();
    let pool = db.pool().await.unwrap();
    migrator(&db).up().await.unwrap();
    // PostgreSQL 15 gives PUBLIC no CREATE on schema public: this role can only read.
    let role = format!("{}_ro", db.name());
    // With a password: the test servers trust only `root` without one.
    pool.execute(
        &format!("CREATE ROLE \"{role}\" LOGIN PASSWORD 'read-only'"),
        &[],
    )
    .await
    .unwrap();
    pool.execute(
        &format!("GRANT SELECT ON schema_migrations, schema_migrations_history TO \"{role}\""),
        &[],
    )
    .await
    .unwrap();
    let m = Migrator::new(MigratorConfig::new(
        with_credentials(db.url(), &role, Some("read-only")),
        repo_migrations().display().to_string(),
    ))
    .unwrap();
    assert_eq!(
        m.version().await.unwrap(),
        Some(DbVersion {
            version: 4,
            dirty: false
        })
    );
    assert_eq!(m.status().await.unwrap().migrations.len(), 4);
    assert!(
        m.up().await.unwrap().is_empty(),
        "no change, nothing created"
    );
    // Work it may not do is a clear error.
    let err = m.down(1).await.unwrap_err();
    assert_eq!(err.code(), Some("42501"), "{err}");
    pool.execute(
        &format!("REVOKE ALL ON schema_migrations, schema_migrations_history FROM \"{role}\""),
        &[],
    )
    .await
    .unwrap();
    pool.execute(&format!("DROP ROLE \"{role}\""), &[])
        .await
        .unwrap();
}
