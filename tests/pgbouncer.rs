//! Through a real PgBouncer in transaction mode (127.0.0.1:6432, started by `.ci/setup`):
//! the unnamed statement mode carries a heavy load, plain statements, `select!` and streams
//! without a single error, also after a client using named prepared statements went through
//! the same PgBouncer; the default mode's failures say what the cause is; `statement_timeout`
//! applies per transaction; migrations refuse to run through it.
//!
//! When PgBouncer is not running, each test says so on stderr and passes without checking
//! anything: run `.ci/setup` (as `.ci/run` does) to run them.

#[path = "typed_model.rs"]
mod model;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::TryStreamExt as _;
use model::{DDL, User, user};
use txova_db::postgres::{
    Config, Executor, Migrator, MigratorConfig, Pool, TxOptions, with_tx, with_tx_retry,
};
use txova_db::testing::TestDatabase;
use txova_db::{ErrorKind, Timeout, insert, select};
use txova_db_tests::database;

const BOUNCER: &str = "127.0.0.1:6432";

#[derive(txova_db::PgEnum, Debug, Clone, Copy, PartialEq)]
#[pg_enum(name = "mood")]
enum Mood {
    Happy,
    Sad,
}

/// The test database's URL through PgBouncer, or `None` (with a message) when PgBouncer is
/// not running.
async fn through_bouncer(db: &TestDatabase, test: &str) -> Option<String> {
    let connect = tokio::net::TcpStream::connect(BOUNCER);
    if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(5), connect).await {
        Some(db.url().replace("127.0.0.1:5432", BOUNCER))
    } else {
        eprintln!(
            "SKIPPED {test}: PgBouncer is not running on {BOUNCER}; run .ci/setup to start it"
        );
        None
    }
}

async fn pool(url: &str, max: usize) -> Pool {
    Pool::new(Config {
        max_connections: max,
        acquire_timeout: Duration::from_secs(60),
        ..Config::new(url)
    })
    .await
    .unwrap_or_else(|e| panic!("cannot open a pool through PgBouncer: {e}"))
}

fn unnamed(url: &str) -> String {
    format!("{url}?statement_mode=unnamed")
}

/// 200 tasks × 50 transfers between 10 accounts, each in a transaction; then the same tasks
/// with plain statements. Returns the errors seen.
async fn load(pool: &Pool) -> Vec<String> {
    let errors = Arc::new(std::sync::Mutex::new(Vec::new()));
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for t in 0..200_i64 {
        let pool = pool.clone();
        let errors = errors.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..50_i64 {
                let (from, to) = ((t + i) % 10, (t + i + 1) % 10);
                let amount = 1 + i % 3;
                // Rows are updated in id order, so transfers never deadlock.
                let (first, second, sign) = if from < to {
                    (from, to, -1)
                } else {
                    (to, from, 1)
                };
                let r = with_tx(&pool, async |tx| {
                    tx.execute(
                        "UPDATE balances SET amount = amount + $1 WHERE id = $2",
                        &[&(sign * amount), &first],
                    )
                    .await?;
                    tx.execute(
                        "UPDATE balances SET amount = amount - $1 WHERE id = $2",
                        &[&(sign * amount), &second],
                    )
                    .await?;
                    Ok::<_, txova_db::Error>(())
                })
                .await;
                let plain = pool
                    .query_one("SELECT amount FROM balances WHERE id = $1", &[&from])
                    .await;
                for e in [r.err(), plain.err()].into_iter().flatten() {
                    if let Ok(mut errors) = errors.lock() {
                        errors.push(format!("{:?}: {e}", e.kind()));
                    }
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.expect("a load task panicked");
    }
    assert_eq!(done.load(Ordering::Relaxed), 200 * 50);
    errors.lock().map(|e| e.clone()).unwrap_or_default()
}

async fn balances(db: &TestDatabase) -> Pool {
    let direct = db.pool().await.unwrap();
    direct
        .get()
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE balances (id int8 PRIMARY KEY, amount int8 NOT NULL);
             INSERT INTO balances SELECT g, 1000 FROM generate_series(0, 9) g;",
        )
        .await
        .unwrap();
    direct
}

async fn total(direct: &Pool) -> i64 {
    direct
        .query_one("SELECT sum(amount)::int8 FROM balances", &[])
        .await
        .unwrap()
        .get(0)
}

/// Named prepared statements, from a pool that believes it has the server to itself: some
/// statement fails (26000 or 42P05) and the error says what to do.
async fn prepared_client_runs(url: &str) -> Vec<txova_db::Error> {
    let pool = pool(url, 20).await;
    let mut failures = Vec::new();
    for round in 0..20_i64 {
        let calls = (0..20_i64).map(|i| {
            let pool = pool.clone();
            async move {
                pool.query_one("SELECT $1::int8 + $2::int8", &[&round, &i])
                    .await
                    .map(|_| ())
            }
        });
        for r in futures_util::future::join_all(calls).await {
            if let Err(e) = r {
                failures.push(e);
            }
        }
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_mode_fails_through_pgbouncer_and_says_why() {
    let db = database("bouncer_default").await;
    let Some(url) =
        through_bouncer(&db, "the_default_mode_fails_through_pgbouncer_and_says_why").await
    else {
        return;
    };
    let failures = prepared_client_runs(&url).await;
    assert!(
        !failures.is_empty(),
        "named prepared statements never failed through PgBouncer in transaction mode"
    );
    for e in &failures {
        assert!(
            matches!(e.code(), Some("26000" | "42P05")),
            "{:?}: {e}",
            e.code()
        );
        assert!(e.to_string().contains("statement_mode=unnamed"), "{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heavy_load_passes_in_the_unnamed_mode_after_a_prepared_client() {
    let db = database("bouncer_load").await;
    let Some(url) = through_bouncer(
        &db,
        "a_heavy_load_passes_in_the_unnamed_mode_after_a_prepared_client",
    )
    .await
    else {
        return;
    };
    let direct = balances(&db).await;
    // A client with the statement cache on leaves named statements (s0, s1, ...) on the
    // server connections PgBouncer shares.
    let _ = prepared_client_runs(&url).await;

    let pool = pool(&unnamed(&url), 20).await;
    let errors = load(&pool).await;
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    assert_eq!(
        total(&direct).await,
        10 * 1000,
        "no money appeared or vanished"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_queries_and_streams_pass_in_the_unnamed_mode() {
    let db = database("bouncer_typed").await;
    let Some(url) =
        through_bouncer(&db, "typed_queries_and_streams_pass_in_the_unnamed_mode").await
    else {
        return;
    };
    db.pool()
        .await
        .unwrap()
        .get()
        .await
        .unwrap()
        .batch_execute(DDL)
        .await
        .unwrap();
    let _ = prepared_client_runs(&url).await;
    let pool = pool(&unnamed(&url), 8).await;
    for i in 0..50 {
        let row = user(&format!("u{i}"), "active", i);
        insert!(into User values row).execute(&pool).await.unwrap();
    }
    let mut tasks = Vec::new();
    for t in 0..50_i32 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..10 {
                let min = t % 10;
                let names: Vec<String> = select!(name from User where age >= min order by name)
                    .fetch_all(&pool)
                    .await?;
                assert_eq!(names.len(), usize::try_from(50 - min).unwrap());
                let streamed: Vec<(i64, String)> =
                    select!(id, name from User where status = "active" order by id)
                        .fetch_stream(&pool)
                        .await?
                        .try_collect()
                        .await?;
                assert_eq!(streamed.len(), 50);
                let n = with_tx(&pool, async |tx| {
                    let rows: Vec<(i64, String)> = select!(id, name from User order by id)
                        .fetch_stream(&*tx)
                        .await?
                        .try_collect()
                        .await?;
                    Ok::<_, txova_db::Error>(rows.len())
                })
                .await?;
                assert_eq!(n, 50);
            }
            Ok::<_, txova_db::Error>(())
        }));
    }
    for task in tasks {
        task.await.expect("a task panicked").unwrap();
    }
    let retried = with_tx_retry(&pool, TxOptions::default(), async |tx| {
        tx.query_one("SELECT count(*) FROM users", &[]).await
    })
    .await
    .unwrap();
    assert_eq!(retried.get::<_, i64>(0), 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_timeout_applies_per_transaction_through_pgbouncer() {
    let db = database("bouncer_timeout").await;
    let Some(url) = through_bouncer(
        &db,
        "statement_timeout_applies_per_transaction_through_pgbouncer",
    )
    .await
    else {
        return;
    };
    let pool = Pool::new(Config {
        statement_timeout: Some(Duration::from_millis(300)),
        ..Config::new(unnamed(&url))
    })
    .await
    .unwrap_or_else(|e| panic!("a statement timeout must not fail the connect: {e}"));
    let err = with_tx(&pool, async |tx| {
        tx.execute("SELECT pg_sleep(5)", &[]).await?;
        Ok::<_, txova_db::Error>(())
    })
    .await
    .expect_err("the server stops the statement at its timeout");
    assert_eq!(err.timeout_kind(), Some(Timeout::Statement), "{err}");
    // Set with SET LOCAL: nothing leaks onto the server connection after the transaction.
    let outside: String = pool
        .query_one("SELECT current_setting('statement_timeout')", &[])
        .await
        .unwrap()
        .get(0);
    assert_ne!(outside, "300ms");
    let inside: String = with_tx(&pool, async |tx| {
        Ok::<_, txova_db::Error>(
            tx.query_one("SELECT current_setting('statement_timeout')", &[])
                .await?
                .get(0),
        )
    })
    .await
    .unwrap();
    assert_eq!(inside, "300ms");
}

#[tokio::test]
async fn migrations_refuse_to_run_through_a_transaction_mode_pooler() {
    let db = database("bouncer_migrate").await;
    let Some(url) = through_bouncer(
        &db,
        "migrations_refuse_to_run_through_a_transaction_mode_pooler",
    )
    .await
    else {
        return;
    };
    let dir = txova_db_tests::migrate::repo_migrations();
    let Err(err) = Migrator::new(MigratorConfig::new(
        unnamed(&url),
        dir.to_string_lossy().into_owned(),
    )) else {
        panic!("a migrator through a transaction-mode pooler is refused");
    };
    assert_eq!(err.kind(), ErrorKind::Config);
    let text = err.to_string();
    assert!(text.contains("advisory lock"), "{text}");
    assert!(text.contains("connect directly"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enum_columns_read_through_pgbouncer_in_the_unnamed_mode() {
    let db = database("bouncer_enum").await;
    let Some(url) = through_bouncer(
        &db,
        "enum_columns_read_through_pgbouncer_in_the_unnamed_mode",
    )
    .await
    else {
        return;
    };
    db.pool()
        .await
        .unwrap()
        .get()
        .await
        .unwrap()
        .batch_execute(
            "CREATE TYPE mood AS ENUM ('happy', 'sad');
             CREATE TABLE moods (id int8 PRIMARY KEY, mood mood NOT NULL);
             INSERT INTO moods SELECT g, 'sad' FROM generate_series(1, 10) g;",
        )
        .await
        .unwrap();
    let _ = prepared_client_runs(&url).await;
    let mut errors = Vec::new();
    for _ in 0..10 {
        // New client connections each time: each looks the enum type up once.
        let pool = pool(&unnamed(&url), 10).await;
        let reads = (0..10_i64).map(|i| {
            let pool = pool.clone();
            async move {
                let row = pool
                    .query_one("SELECT mood FROM moods WHERE id = $1", &[&(i + 1)])
                    .await?;
                let _: tokio_postgres::types::Type = row.columns()[0].type_().clone();
                // An array of labels, declared as the database's own `mood[]`: no cast.
                let sad = pool
                    .query(
                        "SELECT id FROM moods WHERE id = $1 AND mood = ANY($2)",
                        &[&(i + 1), &vec![Mood::Sad]],
                    )
                    .await?;
                assert_eq!(sad.len(), 1);
                Ok::<_, txova_db::Error>(())
            }
        });
        for r in futures_util::future::join_all(reads).await {
            if let Err(e) = r {
                errors.push(e.to_string());
            }
        }
    }
    assert!(
        errors.is_empty(),
        "{} errors: {:?}",
        errors.len(),
        errors.first()
    );
}
