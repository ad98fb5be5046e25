//! The `txova-db` command run in-process through `txova_db_cli::run` / `execute`, against
//! real PostgreSQL: the same behaviour as the binary (`cli.rs` runs that), output and exit
//! status included.

use txova_db::testing::TestDatabase;
use txova_db_cli::{Captured, Console, FAILURE, SUCCESS, USAGE, execute, run};
use txova_db_tests::migrate::{TempDir, repo_migrations, rows, table_exists};

/// Runs `txova-db migrate --database URL --path DIR ARGS` on the current runtime with `stdin`
/// as what the user types, expecting exit status `code`.
async fn migrate(
    db: &TestDatabase,
    dir: &TempDir,
    args: &[&str],
    stdin: &str,
    code: u8,
) -> Captured {
    let path = dir.path().display().to_string();
    let mut all = vec![
        "txova-db",
        "migrate",
        "--database",
        db.url(),
        "--path",
        &path,
    ];
    all.extend_from_slice(args);
    let (console, out) = Console::captured(stdin);
    let status = execute(all, &console).await;
    assert_eq!(
        status,
        code,
        "txova-db {args:?}\nstdout: {}\nstderr: {}",
        out.stdout(),
        out.stderr()
    );
    out
}

/// The error of a failed run: one line on stderr, starting with `error: `.
fn one_line(out: &Captured) -> String {
    let e = out.stderr();
    assert!(e.starts_with("error: "), "{e}");
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    e
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(
    clippy::too_many_lines,
    reason = "one scenario whose steps depend on the ones before"
)]
async fn every_command_in_process() {
    let db = TestDatabase::create("cli_inproc").await.unwrap();
    let pool = db.pool().await.unwrap();
    let dir = TempDir::new("cli_inproc");
    for entry in std::fs::read_dir(repo_migrations()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }

    assert_eq!(
        migrate(&db, &dir, &["version"], "", SUCCESS).await.stdout(),
        "no version\n"
    );
    let out = migrate(&db, &dir, &["up", "--dry-run"], "", SUCCESS).await;
    assert!(
        out.stdout()
            .starts_with("would run 1/u create_users (000001_create_users.up.sql)\n"),
        "{}",
        out.stdout()
    );
    assert!(!table_exists(&pool, "schema_migrations").await);

    // Progress is written through the migrator's callback, one line per file as it ends.
    let out = migrate(&db, &dir, &["up", "2"], "", SUCCESS).await.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("1/u create_users (") && lines[0].ends_with("ms)"),
        "{out}"
    );
    assert!(lines[1].starts_with("2/u create_profiles ("), "{out}");
    assert_eq!(rows(&pool).await, vec![(2, false)]);

    migrate(&db, &dir, &["up"], "", SUCCESS).await;
    assert_eq!(
        migrate(&db, &dir, &["up"], "", SUCCESS).await.stdout(),
        "no change\n"
    );
    assert_eq!(
        migrate(&db, &dir, &["goto", "4", "--dry-run"], "", SUCCESS)
            .await
            .stdout(),
        "no change\n"
    );
    assert_eq!(
        migrate(&db, &dir, &["version"], "", SUCCESS).await.stdout(),
        "4\n"
    );

    let status = migrate(&db, &dir, &["status"], "", SUCCESS).await.stdout();
    let mut lines = status.lines();
    assert_eq!(lines.next(), Some("version: 4"), "{status}");
    assert!(
        lines
            .next()
            .is_some_and(|h| h.starts_with("version ") && h.ends_with(" file"))
    );
    assert_eq!(
        lines.filter(|l| l.contains(" applied ")).count(),
        4,
        "{status}"
    );

    // A file changed after it was applied is flagged.
    let first = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("000001") && n.ends_with(".up.sql"))
        .unwrap();
    let text = std::fs::read_to_string(dir.path().join(&first)).unwrap();
    dir.write(&first, &format!("-- edited\n{text}"));
    let status = migrate(&db, &dir, &["status"], "", SUCCESS).await.stdout();
    assert!(status.contains("CHANGED since applied"), "{status}");

    // Reverting everything asks on stderr and reads the answer from stdin.
    let out = migrate(&db, &dir, &["down"], "n\n", FAILURE).await;
    assert!(
        out.stderr()
            .starts_with("Are you sure you want to apply all down migrations? [y/N] ")
    );
    assert!(
        out.stderr()
            .contains("error: not confirmed; nothing was run"),
        "{}",
        out.stderr()
    );
    assert_eq!(rows(&pool).await, vec![(4, false)]);
    let out = migrate(&db, &dir, &["down", "--dry-run"], "", SUCCESS)
        .await
        .stdout();
    assert_eq!(out.lines().count(), 4, "a preview asks nothing: {out}");
    assert!(out.lines().all(|l| l.starts_with("would run ")), "{out}");
    migrate(&db, &dir, &["down", "1"], "", SUCCESS).await;
    assert_eq!(rows(&pool).await, vec![(3, false)]);
    migrate(&db, &dir, &["down"], "yes\n", SUCCESS).await;
    assert_eq!(rows(&pool).await, vec![]);
    assert!(!table_exists(&pool, "users").await);

    migrate(&db, &dir, &["force", "3"], "", SUCCESS).await;
    assert_eq!(rows(&pool).await, vec![(3, false)]);
    migrate(&db, &dir, &["force", "-1"], "", SUCCESS).await;
    assert_eq!(
        migrate(&db, &dir, &["version"], "", SUCCESS).await.stdout(),
        "no version\n"
    );

    migrate(&db, &dir, &["up"], "", SUCCESS).await;
    let e = one_line(&migrate(&db, &dir, &["version", "--dry-run"], "", FAILURE).await);
    assert!(
        e.contains("--dry-run works with up, down and goto, not with version"),
        "{e}"
    );
    let out = migrate(&db, &dir, &["drop"], "\n", FAILURE).await;
    assert!(out.stderr().contains("not confirmed; nothing was dropped"));
    assert!(table_exists(&pool, "users").await);
    let out = migrate(&db, &dir, &["drop"], "y\n", SUCCESS).await;
    assert_eq!(out.stdout(), "dropped every table of the current schema\n");
    assert!(!table_exists(&pool, "users").await);
    assert!(!table_exists(&pool, "schema_migrations").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_one_line_and_exit_1_in_process() {
    let db = TestDatabase::create("cli_inproc_err").await.unwrap();
    let dir = TempDir::with_files(
        "cli_inproc_err",
        &[
            ("1_a.up.sql", "CREATE TABLE a (id int);"),
            (
                "2_bad.up.sql",
                "CREATE TABLE b (id int);\nSELECT * FROM missing;\n",
            ),
        ],
    );
    let e = one_line(&migrate(&db, &dir, &["up"], "", FAILURE).await);
    assert!(
        e.contains("2_bad.up.sql failed at line 2, column 15"),
        "{e}"
    );
    assert_eq!(
        migrate(&db, &dir, &["version"], "", SUCCESS).await.stdout(),
        "2 (dirty)\n"
    );
    let e = one_line(&migrate(&db, &dir, &["goto", "1"], "", FAILURE).await);
    assert!(e.contains("dirty at version 2"), "{e}");
    let e = one_line(&migrate(&db, &dir, &["up", "--dry-run"], "", FAILURE).await);
    assert!(e.contains("dirty"), "{e}");

    // An empty --database is no database (DATABASE_URL is only read when the flag is absent).
    let (console, out) = Console::captured("");
    let args = ["txova-db", "migrate", "--database=", "--path", "/tmp", "up"];
    assert_eq!(execute(args, &console).await, FAILURE);
    assert!(one_line(&out).contains("pass --database <URL> or set DATABASE_URL"));

    for url in [
        "postgres://root@127.0.0.1:notaport/x",
        "mysql://root@127.0.0.1/x",
    ] {
        let (console, out) = Console::captured("");
        let args = [
            "txova-db",
            "migrate",
            "--database",
            url,
            "--path",
            "/tmp",
            "version",
        ];
        assert_eq!(execute(args, &console).await, FAILURE, "{url}");
        one_line(&out);
        assert_eq!(out.stdout(), "", "{url}");
    }
}

/// Runs a command line that needs no database on a fresh runtime of its own.
fn offline(args: &[&str]) -> (u8, Captured) {
    let (console, out) = Console::captured("");
    let mut all = vec!["txova-db"];
    all.extend_from_slice(args);
    (run(all, &console), out)
}

#[test]
fn usage_help_and_version_in_process() {
    for args in [
        &["migrate", "goto"][..],
        &["migrate", "up", "x"],
        &["migrate", "frobnicate"],
        &["migrate", "down", "2", "--all"],
        &["migrate", "force", "abc"],
        &["migrate", "create", "--digits", "0", "x"],
    ] {
        let (code, out) = offline(args);
        assert_eq!(code, USAGE, "{args:?}");
        assert!(
            one_line(&out).ends_with("(see `txova-db --help`)\n"),
            "{args:?}"
        );
        assert_eq!(out.stdout(), "", "{args:?}");
    }
    let (code, out) = offline(&["--help"]);
    assert_eq!(code, SUCCESS);
    assert!(out.stdout().contains("Usage: txova-db"), "{}", out.stdout());
    assert_eq!(out.stderr(), "");
    let (code, out) = offline(&["--version"]);
    assert_eq!(code, SUCCESS);
    assert_eq!(
        out.stdout(),
        format!("txova-db {}\n", env!("CARGO_PKG_VERSION"))
    );
    // No command at all shows the help, as a usage mistake.
    let (code, out) = offline(&["migrate"]);
    assert_eq!(code, USAGE);
    assert!(
        out.stdout().contains("Usage: txova-db migrate"),
        "{}",
        out.stdout()
    );
}

#[test]
fn create_in_process() {
    let dir = TempDir::new("cli_inproc_create");
    let path = dir.path().join("new").display().to_string();
    let create = |args: &[&str]| {
        let mut all = vec!["migrate", "--path", &path, "create"];
        all.extend_from_slice(args);
        offline(&all)
    };
    let (code, out) = create(&["--seq", "create_users"]);
    assert_eq!(code, SUCCESS, "{}", out.stderr());
    assert_eq!(
        out.stdout(),
        format!("{path}/000001_create_users.up.sql\n{path}/000001_create_users.down.sql\n")
    );
    let (code, out) = create(&["--seq", "--digits", "2", "--ext", ".psql", "add_rides"]);
    assert_eq!(code, SUCCESS, "{}", out.stderr());
    assert!(
        out.stdout()
            .starts_with(&format!("{path}/02_add_rides.up.psql\n"))
    );
    for (args, reason) in [
        (&["bad/name"][..], "invalid migration name `bad/name`"),
        (&["--ext", "/", "x"], "invalid extension"),
    ] {
        let (code, out) = create(args);
        assert_eq!(code, FAILURE, "{args:?}");
        assert!(
            one_line(&out).contains(reason),
            "{args:?}: {}",
            out.stderr()
        );
    }
    // Three versions later, one digit is too few for the next one.
    for name in ["c", "d", "e", "f", "g", "h", "i"] {
        assert_eq!(
            create(&["--seq", "--digits", "1", name]).0,
            SUCCESS,
            "{name}"
        );
    }
    let (code, out) = create(&["--seq", "--digits", "1", "j"]);
    assert_eq!(code, FAILURE);
    assert!(
        one_line(&out).contains("longer than --digits 1"),
        "{}",
        out.stderr()
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("new")).unwrap().count(),
        18
    );
}
