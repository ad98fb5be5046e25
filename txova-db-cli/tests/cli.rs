//! The `txova-db` command end to end, against real PostgreSQL: every command, its output and
//! its exit status.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use txova_db::postgres::Executor;
use txova_db::testing::TestDatabase;
use txova_db_tests::migrate::{TempDir, repo_migrations, rows, table_exists};

/// Runs `txova-db` with `args`, `stdin` as its input, and no `DATABASE_URL` unless given.
fn txova(args: &[&str], database_url: Option<&str>, stdin: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_txova-db"));
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    let mut child = cmd.spawn().expect("run txova-db");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A copy of the repository's migrations, so tests may add files.
fn copy_of_repo_migrations(label: &str) -> TempDir {
    let dir = TempDir::new(label);
    for entry in std::fs::read_dir(repo_migrations()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

/// Runs a migrate command on `db` with the folder `dir`, expecting `code`.
fn migrate(db: &TestDatabase, dir: &TempDir, args: &[&str], stdin: &str, code: i32) -> Output {
    let path = dir.path().display().to_string();
    let mut all = vec!["migrate", "--database", db.url(), "--path", &path];
    all.extend_from_slice(args);
    let out = txova(&all, None, stdin);
    assert_eq!(
        out.status.code(),
        Some(code),
        "txova-db {args:?}\nstdout: {}\nstderr: {}",
        stdout(&out),
        stderr(&out)
    );
    out
}

#[tokio::test]
async fn every_command_end_to_end() {
    let db = TestDatabase::create("cli_e2e").await.unwrap();
    let pool = db.pool().await.unwrap();
    let dir = copy_of_repo_migrations("cli_e2e");

    assert_eq!(
        stdout(&migrate(&db, &dir, &["version"], "", 0)),
        "no version\n"
    );
    let out = migrate(&db, &dir, &["up", "--dry-run"], "", 0);
    assert!(stdout(&out).contains("would run 1/u create_users (000001_create_users.up.sql)"));
    assert!(!table_exists(&pool, "schema_migrations").await);

    let out = migrate(&db, &dir, &["up", "2"], "", 0);
    let lines: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "one line per migration: {lines:?}");
    assert!(lines[0].starts_with("1/u create_users (") && lines[0].ends_with("ms)"));
    assert!(lines[1].starts_with("2/u create_profiles ("));
    assert_eq!(stdout(&migrate(&db, &dir, &["version"], "", 0)), "2\n");
    assert_eq!(rows(&pool).await, vec![(2, false)]);

    migrate(&db, &dir, &["up"], "", 0);
    assert_eq!(stdout(&migrate(&db, &dir, &["up"], "", 0)), "no change\n");
    assert_eq!(rows(&pool).await, vec![(4, false)]);

    let status = stdout(&migrate(&db, &dir, &["status"], "", 0));
    assert!(status.starts_with("version: 4\n"), "{status}");
    let applied = status
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some("applied"))
        .count();
    assert_eq!(applied, 4, "{status}");

    migrate(&db, &dir, &["down", "1"], "", 0);
    assert_eq!(rows(&pool).await, vec![(3, false)]);
    migrate(&db, &dir, &["goto", "1"], "", 0);
    assert_eq!(rows(&pool).await, vec![(1, false)]);

    // Reverting everything asks first.
    let out = migrate(&db, &dir, &["down"], "n\n", 1);
    assert!(stderr(&out).contains("not confirmed"), "{}", stderr(&out));
    assert_eq!(rows(&pool).await, vec![(1, false)]);
    migrate(&db, &dir, &["down"], "y\n", 0);
    assert_eq!(rows(&pool).await, vec![]);
    migrate(&db, &dir, &["up"], "", 0);
    migrate(&db, &dir, &["down", "--all"], "", 1);
    migrate(&db, &dir, &["down", "--all", "-y"], "", 0);
    assert_eq!(rows(&pool).await, vec![]);
    assert!(!table_exists(&pool, "users").await);

    migrate(&db, &dir, &["force", "3"], "", 0);
    assert_eq!(rows(&pool).await, vec![(3, false)]);
    migrate(&db, &dir, &["force", "-1"], "", 0);
    assert_eq!(rows(&pool).await, vec![]);

    migrate(&db, &dir, &["up"], "", 0);
    // A preview flag never passes silently on a command that changes things.
    let out = migrate(&db, &dir, &["drop", "-f", "--dry-run"], "", 1);
    assert!(stderr(&out).contains("--dry-run works with up, down and goto"));
    migrate(&db, &dir, &["force", "1", "--dry-run"], "", 1);
    assert_eq!(rows(&pool).await, vec![(4, false)]);
    migrate(&db, &dir, &["drop"], "", 1);
    assert!(
        table_exists(&pool, "users").await,
        "not confirmed, not dropped"
    );
    migrate(&db, &dir, &["drop", "-f"], "", 0);
    assert!(!table_exists(&pool, "users").await);
    assert!(!table_exists(&pool, "schema_migrations").await);

    // DATABASE_URL when --database is absent.
    let path = dir.path().display().to_string();
    let out = txova(&["migrate", "--path", &path, "up"], Some(db.url()), "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(rows(&pool).await, vec![(4, false)]);
}

#[tokio::test]
async fn errors_exit_non_zero_with_one_line() {
    let db = TestDatabase::create("cli_errors").await.unwrap();
    let pool = db.pool().await.unwrap();
    let dir = TempDir::with_files(
        "cli_errors",
        &[
            ("1_a.up.sql", "CREATE TABLE a (id int);"),
            (
                "2_bad.up.sql",
                "CREATE TABLE b (id int);\nSELECT * FROM missing;\n",
            ),
        ],
    );
    let one_line = |o: &Output| {
        let e = stderr(o);
        assert!(e.starts_with("error: "), "{e}");
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
        e
    };

    let out = migrate(&db, &dir, &["up"], "", 1);
    let e = one_line(&out);
    assert!(
        e.contains("2_bad.up.sql failed at line 2, column 15"),
        "{e}"
    );
    assert!(e.contains("SQLSTATE 42P01"), "{e}");
    assert_eq!(
        stdout(&migrate(&db, &dir, &["version"], "", 0)),
        "2 (dirty)\n"
    );
    let e = one_line(&migrate(&db, &dir, &["up"], "", 1));
    assert!(
        e.contains("dirty at version 2") && e.contains("force"),
        "{e}"
    );
    migrate(&db, &dir, &["force", "1"], "", 0);
    dir.write("2_bad.up.sql", "CREATE TABLE b (id int);\n");
    migrate(&db, &dir, &["up"], "", 0);
    assert_eq!(rows(&pool).await, vec![(2, false)]);
    // Asking for more than there is runs nothing.
    let e = one_line(&migrate(&db, &dir, &["down", "3"], "", 1));
    assert!(e.contains("only 2 are applied"), "{e}");
    assert_eq!(rows(&pool).await, vec![(2, false)]);

    // A missing folder, a duplicate version, a bad URL, a dead server, no database at all.
    let missing = txova(
        &[
            "migrate",
            "--database",
            db.url(),
            "--path",
            "/no/such/dir",
            "up",
        ],
        None,
        "",
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(one_line(&missing).contains("/no/such/dir"));
    dir.write("02_dup.up.sql", "SELECT 1;");
    let e = one_line(&migrate(&db, &dir, &["up"], "", 1));
    assert!(e.contains("duplicate migration version 2"), "{e}");
    let path = dir.path().display().to_string();
    for url in [
        "postgres://root@127.0.0.1:notaport/x",
        "postgres://root@127.0.0.1:1/x?sslmode=disable",
        "mysql://root@127.0.0.1/x",
    ] {
        let out = txova(
            &["migrate", "--database", url, "--path", "/tmp", "version"],
            None,
            "",
        );
        assert_eq!(out.status.code(), Some(1), "{url}: {}", stderr(&out));
        one_line(&out);
    }
    let out = txova(&["migrate", "--path", &path, "up"], None, "");
    assert_eq!(out.status.code(), Some(1));
    assert!(one_line(&out).contains("DATABASE_URL"));

    // Usage errors.
    for args in [
        &["migrate", "goto"][..],
        &["migrate", "up", "x"],
        &["migrate", "frobnicate"],
        &["migrate", "down", "2", "--all"],
        &["migrate", "force", "abc"],
    ] {
        let out = txova(args, Some(db.url()), "");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(one_line(&out).contains("--help"), "{args:?}");
    }
    // Help is not an error.
    let out = txova(&["--help"], None, "");
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("Usage"));
}

#[tokio::test]
async fn create_numbers_files_and_never_reuses_a_version() {
    let dir = TempDir::new("cli_create");
    let path = dir.path().join("new").display().to_string();
    let run = |args: &[&str], code: i32| {
        let mut all = vec!["migrate", "--path", &path, "create"];
        all.extend_from_slice(args);
        let out = txova(&all, None, "");
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    let out = run(&["--seq", "create_users"], 0);
    assert!(out.contains("000001_create_users.up.sql"), "{out}");
    assert!(out.contains("000001_create_users.down.sql"), "{out}");
    let out = run(&["--seq", "--digits", "3", "--ext", "psql", "add_rides"], 0);
    assert!(out.contains("002_add_rides.up.psql"), "{out}");

    // Timestamps: two in the same second still get two versions.
    let a = run(&["first"], 0);
    let b = run(&["second"], 0);
    let version = |s: &str| -> u64 {
        let name = std::path::Path::new(s.lines().next().unwrap())
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        name.split('_').next().unwrap().parse().unwrap()
    };
    let (va, vb) = (version(&a), version(&b));
    assert_eq!(va.to_string().len(), 14, "{a}");
    assert!(vb > va, "{a} {b}");
    let count = std::fs::read_dir(dir.path().join("new")).unwrap().count();
    assert_eq!(count, 8);
    // A sequence after timestamps continues from the largest version.
    // so three digits are too few now.
    assert!(run(&["--seq", "--digits", "3", "next"], 1).is_empty());
    run(&["bad/name"], 1);
    run(&[], 2);
}

#[tokio::test]
async fn ctrl_c_stops_after_the_running_migration() {
    let db = TestDatabase::create("cli_ctrlc").await.unwrap();
    let pool = db.pool().await.unwrap();
    let dir = TempDir::with_files(
        "cli_ctrlc",
        &[
            (
                "1_slow.up.sql",
                "SELECT pg_sleep(1.5); CREATE TABLE slow (id int);",
            ),
            ("2_next.up.sql", "CREATE TABLE next (id int);"),
        ],
    );
    let path = dir.path().display().to_string();
    let child = Command::new(env!("CARGO_BIN_EXE_txova-db"))
        .args(["migrate", "--database", db.url(), "--path", &path, "up"])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first file is running on the server, then interrupt.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let running: i64 = pool
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep(1.5)%'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if running > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the migration never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(stderr(&out).contains("stopping after the running migration"));
    assert_eq!(
        rows(&pool).await,
        vec![(1, false)],
        "1 finished, 2 never started"
    );
    assert!(table_exists(&pool, "slow").await);
    assert!(!table_exists(&pool, "next").await);
    // Rerunning finishes the job.
    migrate(&db, &dir, &["up"], "", 0);
    assert_eq!(rows(&pool).await, vec![(2, false)]);
    let _ = pool.execute("SELECT 1", &[]).await;
}
