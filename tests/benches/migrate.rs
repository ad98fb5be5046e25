//! Applying 200 small migrations to a fresh database: the migrator against psql running the
//! same files one by one (one `psql -f` per file, the practical floor of a shell loop), and
//! against tokio-postgres sending each file on one connection with no version bookkeeping.
//!
//! Criterion measures each way in turn; a paired pass at the end then runs the three ways
//! back to back, round after round, so that load from other processes on the machine falls
//! on all of them alike, and prints the median of each round's ratio.
//!
//! `cargo bench -p txova-db-tests --bench migrate`
#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use txova_db::postgres::{Migrator, MigratorConfig};
use txova_db::testing::TestDatabase;
use txova_db_tests::migrate::TempDir;

const MIGRATIONS: usize = 200;
const PAIRED_ROUNDS: usize = 5;

fn files() -> TempDir {
    let dir = TempDir::new("bench");
    for i in 1..=MIGRATIONS {
        dir.write(
            &format!("{i:06}_create_t{i}.up.sql"),
            &format!(
                "CREATE TABLE t{i} (\n    id bigint PRIMARY KEY,\n    name text NOT NULL,\n    created_at timestamptz NOT NULL DEFAULT now()\n);\nCREATE INDEX t{i}_name_idx ON t{i} (name);\n"
            ),
        );
        dir.write(
            &format!("{i:06}_create_t{i}.down.sql"),
            &format!("DROP TABLE t{i};\n"),
        );
    }
    dir
}

fn up_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".up.sql"))
        .collect();
    files.sort();
    files
}

/// `Migrator::up` on a fresh database; only the migrating is timed.
async fn migrator_once(source: String) -> Duration {
    let db = TestDatabase::create("bench_mig").await.unwrap();
    let m = Migrator::new(MigratorConfig::new(db.url(), source)).unwrap();
    let started = Instant::now();
    let applied = m.up().await.unwrap();
    let took = started.elapsed();
    assert_eq!(applied.len(), MIGRATIONS);
    took
}

/// `psql -f` once per file, in order, on a fresh database.
async fn psql_once(ups: Vec<PathBuf>) -> Duration {
    let db = TestDatabase::create("bench_psql").await.unwrap();
    let url = db.url().to_owned();
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        for file in &ups {
            let status = Command::new("psql")
                .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url, "-f"])
                .arg(file)
                .status()
                .unwrap();
            assert!(status.success());
        }
        started.elapsed()
    })
    .await
    .unwrap()
}

/// tokio-postgres: one connection, each file as one batch, nothing else.
async fn raw_once(ups: Vec<PathBuf>) -> Duration {
    let db = TestDatabase::create("bench_raw").await.unwrap();
    let texts: Vec<String> = ups
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let started = Instant::now();
    let (client, conn) = tokio_postgres::connect(db.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    let task = tokio::spawn(conn);
    for text in &texts {
        client.batch_execute(text).await.unwrap();
    }
    let took = started.elapsed();
    drop(client);
    let _ = task.await;
    took
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let dir = files();
    let ups = up_files(dir.path());
    assert_eq!(ups.len(), MIGRATIONS);
    let mut group = c.benchmark_group("apply_200_migrations");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    group.bench_function("txova_db_migrator", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let url = dir.url();
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += migrator_once(url.clone()).await;
                }
                total
            }
        });
    });
    group.bench_function("psql_file_by_file", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let ups = ups.clone();
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += psql_once(ups.clone()).await;
                }
                total
            }
        });
    });
    group.bench_function("tokio_postgres_one_connection", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let ups = ups.clone();
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += raw_once(ups.clone()).await;
                }
                total
            }
        });
    });
    group.finish();
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The three ways back to back, in a rotating order, `PAIRED_ROUNDS` times.
fn paired() {
    let rt = runtime();
    let dir = files();
    let ups = up_files(dir.path());
    let (mut ours, mut psql, mut raw) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..PAIRED_ROUNDS {
        for k in 0..3 {
            match (round + k) % 3 {
                0 => ours.push(rt.block_on(migrator_once(dir.url())).as_secs_f64()),
                1 => psql.push(rt.block_on(psql_once(ups.clone())).as_secs_f64()),
                _ => raw.push(rt.block_on(raw_once(ups.clone())).as_secs_f64()),
            }
        }
    }
    let vs_psql: Vec<f64> = ours.iter().zip(&psql).map(|(a, b)| a / b).collect();
    let vs_raw: Vec<f64> = ours.iter().zip(&raw).map(|(a, b)| a / b).collect();
    println!("paired rounds ({PAIRED_ROUNDS}), {MIGRATIONS} migrations each, seconds:");
    println!(
        "  txova_db_migrator             {ours:.3?}  median {:.3}",
        median(ours.clone())
    );
    println!(
        "  psql_file_by_file             {psql:.3?}  median {:.3}",
        median(psql.clone())
    );
    println!(
        "  tokio_postgres_one_connection {raw:.3?}  median {:.3}",
        median(raw.clone())
    );
    println!(
        "  ratio migrator / psql: median {:.2} (rounds {vs_psql:.2?})",
        median(vs_psql.clone())
    );
    println!(
        "  ratio migrator / tokio-postgres: median {:.2} (rounds {vs_raw:.2?})",
        median(vs_raw.clone())
    );
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo test --benches` runs this binary too; the paired pass is for `cargo bench`.
    if std::env::args().any(|a| a == "--bench") {
        paired();
    }
}
