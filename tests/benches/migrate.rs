//! Applying 200 small migrations to a fresh database: the migrator against psql running the
//! same files one by one (one `psql -f` per file, the practical floor of a shell loop), and
//! against tokio-postgres sending each file on one connection with no version bookkeeping.
//!
//! `cargo bench -p txova-db-tests --bench migrate`
#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use txova_db::postgres::{Migrator, MigratorConfig};
use txova_db::testing::TestDatabase;
use txova_db_tests::migrate::TempDir;

const MIGRATIONS: usize = 200;

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

fn up_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".up.sql"))
        .collect();
    files.sort();
    files
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
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
                    let db = TestDatabase::create("bench_mig").await.unwrap();
                    let m = Migrator::new(MigratorConfig::new(db.url(), url.clone())).unwrap();
                    let started = Instant::now();
                    let applied = m.up().await.unwrap();
                    total += started.elapsed();
                    assert_eq!(applied.len(), MIGRATIONS);
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
                    let db = TestDatabase::create("bench_psql").await.unwrap();
                    let url = db.url().to_owned();
                    let ups = ups.clone();
                    let took = tokio::task::spawn_blocking(move || {
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
                    .unwrap();
                    total += took;
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
                    total += started.elapsed();
                    drop(client);
                    let _ = task.await;
                }
                total
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
