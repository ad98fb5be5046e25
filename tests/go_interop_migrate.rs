//! Migrations shared with Go: the real golang-migrate (v4.20.1), with both of its PostgreSQL
//! drivers (`database/postgres` over lib/pq, `database/pgx/v5`), and txova-db's `Migrator`
//! take turns on one database, race on a fresh one, leave each other dirty and clear it, and
//! take one advisory lock for every URL form golang-migrate accepts.
//!
//! Every migration writes a row in `public.interop_log` (its version, up or down, and the
//! `application_name` of the side that ran it), so the tests see who applied what, and how
//! often. Without `go` the tests say they are skipped (see `txova_db_tests::go`).

use std::time::{Duration, Instant};

use txova_db::postgres::{
    Applied, DbVersion, Direction, Executor, LockKey, MigrationState, Migrator, MigratorConfig,
    Pool,
};
use txova_db::testing::TestDatabase;
use txova_db::{ErrorKind, Timeout};
use txova_db_tests::go::{GoInterop, RUN_LIMIT, Run, go_interop};
use txova_db_tests::migrate::{TempDir, rows};
use txova_db_tests::with_option;

/// golang-migrate's PostgreSQL drivers, by the URL scheme that selects them.
const DRIVERS: [&str; 2] = ["postgres", "pgx5"];

/// golang-migrate's exit status for a dirty database.
const GO_DIRTY: i32 = 3;

/// The URL the Go side opens: `driver`'s scheme, and `application_name=go`.
fn go_url(db: &TestDatabase, driver: &str, option: Option<(&str, &str)>) -> String {
    let url = with_option(
        &with_option(db.url(), "sslmode", "disable"),
        "application_name",
        "go",
    );
    let url = option.map_or(url.clone(), |(k, v)| with_option(&url, k, v));
    let rest = url.split_once("://").expect("a postgres:// URL").1;
    format!("{driver}://{rest}")
}

/// The URL txova-db opens, with `application_name=rust`.
fn rust_url(db: &TestDatabase, option: Option<(&str, &str)>) -> String {
    let url = with_option(db.url(), "application_name", "rust");
    option.map_or(url.clone(), |(k, v)| with_option(&url, k, v))
}

fn migrator(url: String, dir: &TempDir) -> Migrator {
    Migrator::new(MigratorConfig::new(url, dir.url())).unwrap()
}

/// Migrations `1..=n`: each up creates table `t<v>`, each down drops it, and both log.
fn write_migrations(dir: &TempDir, n: u64) {
    for v in 1..=n {
        dir.write(&format!("{v:06}_step_{v}.up.sql"), &up_file(v, ""));
        dir.write(
            &format!("{v:06}_step_{v}.down.sql"),
            &format!(
                "DROP TABLE t{v};\n\
                 INSERT INTO public.interop_log (version, direction, app) \
                 VALUES ({v}, 'down', current_setting('application_name'));\n"
            ),
        );
    }
}

fn up_file(v: u64, first: &str) -> String {
    format!(
        "{first}CREATE TABLE t{v} (id int);\n\
         INSERT INTO public.interop_log (version, direction, app) \
         VALUES ({v}, 'up', current_setting('application_name'));\n"
    )
}

/// A fresh database with the log table.
async fn database(label: &str) -> (TestDatabase, Pool) {
    let db = TestDatabase::create(label).await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.execute(
        "CREATE TABLE interop_log (seq bigserial PRIMARY KEY, version int8 NOT NULL, \
         direction text NOT NULL, app text NOT NULL)",
        &[],
    )
    .await
    .unwrap();
    (db, pool)
}

/// The log: (version, direction, side), in order.
async fn log(pool: &Pool) -> Vec<(i64, String, String)> {
    pool.query(
        "SELECT version, direction, app FROM interop_log ORDER BY seq",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

fn entries(list: &[(i64, &str, &str)]) -> Vec<(i64, String, String)> {
    list.iter()
        .map(|(v, d, a)| (*v, (*d).to_owned(), (*a).to_owned()))
        .collect()
}

fn go_migrate(
    go: &GoInterop,
    url: &str,
    dir: &TempDir,
    args: &[&str],
) -> txova_db_tests::go::Output {
    let path = dir.path().display().to_string();
    let mut all = vec!["migrate", url, &path];
    all.extend_from_slice(args);
    go.run(&all)
}

fn versions(applied: &[Applied]) -> Vec<(u64, Direction)> {
    applied
        .iter()
        .map(|a| (a.step.version, a.step.direction))
        .collect()
}

/// Both sides and the catalog agree that the database is at `version` (of 1..=6), clean:
/// the version table's row, golang-migrate's `Version()`, txova-db's version and status, the
/// tables the migrations create; and txova-db's history says it applied exactly the versions
/// whose last `up` it ran.
async fn agree(pool: &Pool, m: &Migrator, go: &GoInterop, url: &str, dir: &TempDir, version: u64) {
    let v = i64::try_from(version).unwrap();
    assert_eq!(rows(pool).await, vec![(v, false)]);
    assert_eq!(
        go_migrate(go, url, dir, &["version"]).ok(),
        format!("version {version} dirty=false\n")
    );
    assert_eq!(
        m.version().await.unwrap(),
        Some(DbVersion {
            version: v,
            dirty: false
        })
    );
    let log = log(pool).await;
    let status = m.status().await.unwrap();
    assert_eq!(status.migrations.len(), 6);
    for s in &status.migrations {
        let applied = s.version <= version;
        let want = if applied {
            MigrationState::Applied
        } else {
            MigrationState::Pending
        };
        assert_eq!(s.state, want, "version {}", s.version);
        let table: bool = pool
            .query_one(
                "SELECT to_regclass('public.t' || $1) IS NOT NULL",
                &[&s.version.to_string()],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(table, applied, "table t{}", s.version);
        let last = log
            .iter()
            .rev()
            .find(|(lv, _, _)| u64::try_from(*lv).ok() == Some(s.version));
        let by_rust =
            applied && last.is_some_and(|(_, direction, app)| direction == "up" && app == "rust");
        assert_eq!(
            s.applied_at.is_some(),
            by_rust,
            "history of version {}: {last:?}",
            s.version
        );
        assert!(!s.changed, "version {}", s.version);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_and_rust_migrate_in_turn() {
    let Some(go) = go_interop("go_and_rust_migrate_in_turn") else {
        return;
    };
    for driver in DRIVERS {
        let (db, pool) = database(&format!("go_turn_{driver}")).await;
        let dir = TempDir::new("go_turn");
        write_migrations(&dir, 6);
        let url = go_url(&db, driver, None);
        let m = migrator(rust_url(&db, None), &dir);

        // Go applies 1-3.
        assert_eq!(
            go_migrate(&go, &url, &dir, &["steps", "3"]).ok(),
            "version 3 dirty=false\n"
        );
        agree(&pool, &m, &go, &url, &dir, 3).await;
        // txova-db applies 4-6.
        let up = Direction::Up;
        assert_eq!(
            versions(&m.up().await.unwrap()),
            [(4, up), (5, up), (6, up)]
        );
        agree(&pool, &m, &go, &url, &dir, 6).await;
        // txova-db goes down to 2.
        let down = Direction::Down;
        assert_eq!(
            versions(&m.goto(2).await.unwrap()),
            [(6, down), (5, down), (4, down), (3, down)]
        );
        agree(&pool, &m, &go, &url, &dir, 2).await;
        // Go goes up again.
        assert_eq!(
            go_migrate(&go, &url, &dir, &["up"]).ok(),
            "version 6 dirty=false\n"
        );
        agree(&pool, &m, &go, &url, &dir, 6).await;
        // And down one, so txova-db continues from a state Go left.
        assert_eq!(
            go_migrate(&go, &url, &dir, &["steps", "-1"]).ok(),
            "version 5 dirty=false\n"
        );
        assert_eq!(versions(&m.up().await.unwrap()), [(6, up)]);
        agree(&pool, &m, &go, &url, &dir, 6).await;

        assert_eq!(
            log(&pool).await,
            entries(&[
                (1, "up", "go"),
                (2, "up", "go"),
                (3, "up", "go"),
                (4, "up", "rust"),
                (5, "up", "rust"),
                (6, "up", "rust"),
                (6, "down", "rust"),
                (5, "down", "rust"),
                (4, "down", "rust"),
                (3, "down", "rust"),
                (3, "up", "go"),
                (4, "up", "go"),
                (5, "up", "go"),
                (6, "up", "go"),
                (6, "down", "go"),
                (6, "up", "rust"),
            ]),
            "driver {driver}"
        );
    }
}

/// Started together on a fresh database, golang-migrate and txova-db each wait for the
/// other's lock: every version is applied once, by one of them, and both end at the last.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_and_rust_started_together_apply_each_version_once() {
    let Some(go) = go_interop("go_and_rust_started_together_apply_each_version_once") else {
        return;
    };
    for round in 0..6 {
        let driver = DRIVERS[round % 2];
        let (db, pool) = database(&format!("go_race_{driver}")).await;
        let dir = TempDir::new("go_race");
        write_migrations(&dir, 6);
        // The first migration takes a moment, so whoever comes second finds the lock taken.
        dir.write(
            "000001_step_1.up.sql",
            &up_file(1, "SELECT pg_sleep(0.2);\n"),
        );
        let url = go_url(&db, driver, None);
        let path = dir.path().display().to_string();
        let m = migrator(rust_url(&db, None), &dir);

        let go_side = Run::start(&mut go.command(&["migrate", &url, &path, "up"]));
        let by_rust: Vec<i64> = m
            .up()
            .await
            .unwrap_or_else(|e| panic!("round {round} ({driver}): {e}"))
            .iter()
            .map(|a| i64::try_from(a.step.version).unwrap())
            .collect();
        let out = go_side.wait(RUN_LIMIT);
        assert_eq!(out.ok(), "version 6 dirty=false\n", "round {round}");

        let log = log(&pool).await;
        let mut applied: Vec<i64> = log.iter().map(|(v, _, _)| *v).collect();
        applied.sort_unstable();
        assert_eq!(applied, [1, 2, 3, 4, 5, 6], "round {round}: {log:?}");
        assert!(log.iter().all(|(_, d, _)| d == "up"), "{log:?}");
        let logged_rust: Vec<i64> = log
            .iter()
            .filter(|(_, _, app)| app == "rust")
            .map(|(v, _, _)| *v)
            .collect();
        assert_eq!(logged_rust, by_rust, "round {round}: {log:?}");
        assert_eq!(rows(&pool).await, vec![(6, false)]);
    }
}

/// A migration that fails under one side leaves the database dirty for the other, and
/// `force` from either side clears it for the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dirty_from_one_side_stops_the_other_until_forced() {
    let Some(go) = go_interop("dirty_from_one_side_stops_the_other_until_forced") else {
        return;
    };
    for driver in DRIVERS {
        let (db, pool) = database(&format!("go_dirty_{driver}")).await;
        let dir = TempDir::new("go_dirty");
        write_migrations(&dir, 2);
        let broken = "SELECT * FROM no_such_table;\n";
        dir.write("000003_broken.up.sql", broken);
        dir.write("000003_broken.down.sql", "");
        let url = go_url(&db, driver, None);
        let m = migrator(rust_url(&db, None), &dir);

        // Go fails on 3: dirty.
        let out = go_migrate(&go, &url, &dir, &["up"]);
        assert_eq!(out.code(), 1, "{out:?}");
        assert_eq!(rows(&pool).await, vec![(3, true)]);
        // txova-db refuses, naming the dirty version.
        let err = m.up().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Migration, "{err}");
        assert!(err.to_string().contains("dirty at version 3"), "{err}");
        assert_eq!(rows(&pool).await, vec![(3, true)]);
        // Go refuses too.
        let out = go_migrate(&go, &url, &dir, &["up"]);
        assert_eq!((out.code(), out.stdout.as_str()), (GO_DIRTY, "dirty 3\n"));
        // txova-db forces 2: Go sees it clean and goes on once the file is fixed.
        m.force(2).await.unwrap();
        assert_eq!(
            go_migrate(&go, &url, &dir, &["version"]).ok(),
            "version 2 dirty=false\n"
        );
        dir.write("000003_broken.up.sql", &up_file(3, ""));
        assert_eq!(
            go_migrate(&go, &url, &dir, &["up"]).ok(),
            "version 3 dirty=false\n"
        );

        // The reverse: txova-db fails on 4. (A migrator reads its folder when made.)
        dir.write("000004_broken.up.sql", broken);
        let m = migrator(rust_url(&db, None), &dir);
        let err = m.up().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Migration, "{err}");
        assert_eq!(rows(&pool).await, vec![(4, true)]);
        // Go refuses with golang-migrate's own dirty error.
        let out = go_migrate(&go, &url, &dir, &["up"]);
        assert_eq!((out.code(), out.stdout.as_str()), (GO_DIRTY, "dirty 4\n"));
        // Go forces 3: txova-db sees it clean and goes on once the file is fixed.
        assert_eq!(
            go_migrate(&go, &url, &dir, &["force", "3"]).ok(),
            "version 3 dirty=false\n"
        );
        assert_eq!(
            m.version().await.unwrap(),
            Some(DbVersion {
                version: 3,
                dirty: false
            })
        );
        dir.write("000004_broken.up.sql", &up_file(4, ""));
        let m = migrator(rust_url(&db, None), &dir);
        assert_eq!(versions(&m.up().await.unwrap()), [(4, Direction::Up)]);
        assert_eq!(
            go_migrate(&go, &url, &dir, &["version"]).ok(),
            "version 4 dirty=false\n"
        );
        assert_eq!(
            log(&pool).await,
            entries(&[
                (1, "up", "go"),
                (2, "up", "go"),
                (3, "up", "go"),
                (4, "up", "rust"),
            ])
        );
    }
}

/// The advisory locks granted in `pool`'s database, as the bigint keys they were taken with.
async fn advisory_keys(pool: &Pool) -> Vec<i64> {
    pool.query(
        "SELECT (classid::int8 << 32) | objid::int8 FROM pg_locks \
         WHERE locktype = 'advisory' AND objsubid = 1 AND granted \
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         ORDER BY 1",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// Polls (bounded) until `pool`'s database shows the migration lock, beside `except`.
async fn migration_lock(pool: &Pool, except: i64) -> i64 {
    let started = Instant::now();
    loop {
        let keys: Vec<i64> = advisory_keys(pool)
            .await
            .into_iter()
            .filter(|k| *k != except)
            .collect();
        if let [key] = keys[..] {
            return key;
        }
        assert!(keys.len() < 2, "more than one lock: {keys:?}");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no migration lock appeared"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// golang-migrate's id, computed independently: CRC-32 of `schema \0 table \0 /dbname`, times
/// 1486364155 with 32-bit wraparound.
fn golang_migrate_lock_id(database: &str, schema: &str, table: &str) -> i64 {
    let joined = [schema, table, database].join("\0");
    i64::from(crc32fast::hash(joined.as_bytes()).wrapping_mul(1_486_364_155))
}

/// One URL form golang-migrate accepts, and the version table it names.
struct UrlForm {
    label: &'static str,
    option: Option<(&'static str, &'static str)>,
    schema: &'static str,
    table: &'static str,
}

/// The lock the test holds so that a migration (waiting for it) keeps txova-db's migration
/// lock held for as long as the test wants.
const GATE: i64 = 42;

/// For the plain URL, `x-migrations-table` and a schema in `search_path`, golang-migrate
/// (both drivers) and txova-db take the same lock: read from `pg_locks` while each side holds
/// it, and each side queues for it while the other holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_url_form_gives_one_lock_on_both_sides() {
    let Some(go) = go_interop("every_url_form_gives_one_lock_on_both_sides") else {
        return;
    };
    let forms = [
        UrlForm {
            label: "plain",
            option: None,
            schema: "public",
            table: "schema_migrations",
        },
        UrlForm {
            label: "table",
            option: Some(("x-migrations-table", "interop_versions")),
            schema: "public",
            table: "interop_versions",
        },
        UrlForm {
            label: "schema",
            option: Some(("search_path", "interop")),
            schema: "interop",
            table: "schema_migrations",
        },
    ];
    let mut ids = Vec::new();
    for form in &forms {
        let (db, pool) = database(&format!("go_lock_{}", form.label)).await;
        pool.execute("CREATE SCHEMA interop", &[]).await.unwrap();
        let dir = TempDir::new("go_lock");
        write_migrations(&dir, 1);
        dir.write(
            "000001_step_1.up.sql",
            &up_file(1, &format!("SELECT pg_advisory_xact_lock({GATE});\n")),
        );
        let id = txova_holds_go_waits(&go, form, &db, &pool, &dir).await;
        let expected = golang_migrate_lock_id(&format!("/{}", db.name()), form.schema, form.table);
        assert_eq!(id, expected, "{}", form.label);
        go_holds_txova_waits(&go, form, &db, &pool, &dir, id).await;
        ids.push(id);
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3, "each form has its own lock");
}

/// txova-db holds its migration lock (its first migration waits at the gate) while Go, with
/// either driver, queues for that same key; then both finish. Returns the key.
async fn txova_holds_go_waits(
    go: &GoInterop,
    form: &UrlForm,
    db: &TestDatabase,
    pool: &Pool,
    dir: &TempDir,
) -> i64 {
    let label = form.label;
    let gate = pool.get().await.unwrap();
    gate.execute("SELECT pg_advisory_lock($1)", &[&GATE])
        .await
        .unwrap();
    let m = migrator(rust_url(db, form.option), dir);
    let rust_up = tokio::spawn(async move { m.up().await });
    let rust_id = migration_lock(pool, GATE).await;

    let path = dir.path().display().to_string();
    let waiting_go: Vec<Run> = DRIVERS
        .iter()
        .map(|driver| {
            let url = go_url(db, driver, form.option);
            Run::start(&mut go.command(&["migrate", &url, &path, "up"]))
        })
        .collect();
    let started = Instant::now();
    loop {
        let queued: i64 = pool
            .query_one(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND NOT l.granted \
                   AND (l.classid::int8 << 32) | l.objid::int8 = $1 \
                   AND a.application_name = 'go'",
                &[&rust_id],
            )
            .await
            .unwrap()
            .get(0);
        if queued == 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{label}: Go does not queue for txova-db's lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    gate.execute("SELECT pg_advisory_unlock($1)", &[&GATE])
        .await
        .unwrap();
    let applied = tokio::time::timeout(Duration::from_secs(60), rust_up)
        .await
        .expect("txova-db finishes once the gate opens")
        .unwrap()
        .unwrap();
    assert_eq!(applied.len(), 1);
    for run in waiting_go {
        assert_eq!(
            run.wait(RUN_LIMIT).ok(),
            "version 1 dirty=false\n",
            "{label}"
        );
    }
    assert_eq!(log(pool).await, entries(&[(1, "up", "rust")]));
    rust_id
}

/// Go, with each driver, holds golang-migrate's lock: it is key `id`, and txova-db waits
/// for it (until its lock timeout).
async fn go_holds_txova_waits(
    go: &GoInterop,
    form: &UrlForm,
    db: &TestDatabase,
    pool: &Pool,
    dir: &TempDir,
    id: i64,
) {
    let label = form.label;
    for driver in DRIVERS {
        let url = go_url(db, driver, form.option);
        let (holder, line) = Run::start_with_line(&mut go.command(&["hold-lock", &url]));
        assert_eq!(line, "locked", "{label} {driver}");
        assert_eq!(
            advisory_keys(pool).await,
            [id],
            "{label} {driver}: Go's lock is txova-db's"
        );
        let waiting = Migrator::new(MigratorConfig {
            lock_timeout: Duration::from_millis(300),
            ..MigratorConfig::new(rust_url(db, form.option), dir.url())
        })
        .unwrap();
        let err = waiting.up().await.unwrap_err();
        assert_eq!(
            err.timeout_kind(),
            Some(Timeout::Lock),
            "{label} {driver}: {err}"
        );
        assert_eq!(holder.wait(RUN_LIMIT).ok(), "");
    }
}

/// A Go service that opens its own `*sql.DB` and hands it to golang-migrate's `WithInstance`
/// (either driver) locks on `current_database()`, without the URL's slash:
/// `LockKey::CurrentDatabase` waits for it, the default `LockKey::UrlPath` does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_instance_takes_the_current_database_lock() {
    let Some(go) = go_interop("with_instance_takes_the_current_database_lock") else {
        return;
    };
    let (db, pool) = database("go_instance").await;
    let dir = TempDir::new("go_instance");
    write_migrations(&dir, 1);
    let expected = golang_migrate_lock_id(db.name(), "public", "schema_migrations");
    let url = with_option(db.url(), "sslmode", "disable");
    for driver in DRIVERS {
        let (holder, line) =
            Run::start_with_line(&mut go.command(&["hold-lock-instance", driver, &url]));
        assert_eq!(line, "locked", "{driver}");
        assert_eq!(advisory_keys(&pool).await, [expected], "{driver}");
        let current_database = Migrator::new(MigratorConfig {
            lock_timeout: Duration::from_millis(300),
            lock_key: LockKey::CurrentDatabase,
            ..MigratorConfig::new(rust_url(&db, None), dir.url())
        })
        .unwrap();
        let err = current_database.up().await.unwrap_err();
        assert_eq!(err.timeout_kind(), Some(Timeout::Lock), "{driver}: {err}");
        assert_eq!(holder.wait(RUN_LIMIT).ok(), "");
    }
    // The URL form's id is another one: it does not wait for a WithInstance holder.
    let url_path =
        golang_migrate_lock_id(&format!("/{}", db.name()), "public", "schema_migrations");
    assert_ne!(url_path, expected);
}
