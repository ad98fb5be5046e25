//! One-row prepared query: through the pool (a connection taken and returned per query) and on
//! a held pooled connection, against a raw tokio-postgres client with a prepared statement.
//!
//! `cargo bench -p txova-db-tests --bench pool`

#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]

use criterion::{Criterion, criterion_group, criterion_main};
use txova_db::postgres::{Config, Executor, Pool};
use txova_db::testing::TestDatabase;

const SQL: &str = "SELECT id, name FROM bench_users WHERE id = $1";

fn bench(c: &mut Criterion) {
    // One thread: the connection tasks and the benchmark share it, as in a small service, and
    // cross-thread wake-ups do not blur the comparison.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(TestDatabase::create("bench_pool")).unwrap();
    let url = format!("{}?sslmode=disable", db.url());
    let pool = rt
        .block_on(Pool::new(Config {
            max_connections: 4,
            ..Config::new(url.clone())
        }))
        .unwrap();
    rt.block_on(async {
        pool.get()
            .await
            .unwrap()
            .batch_execute(
                "CREATE TABLE bench_users (id int4 PRIMARY KEY, name text NOT NULL);
                 INSERT INTO bench_users SELECT i, 'user ' || i FROM generate_series(1, 100) i;",
            )
            .await
            .unwrap();
    });
    let (raw, stmt) = rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        let stmt = client.prepare(SQL).await.unwrap();
        (client, stmt)
    });
    let held = rt.block_on(pool.get()).unwrap();

    let mut group = c.benchmark_group("one_row_query");
    group.bench_function("raw_tokio_postgres", |b| {
        b.to_async(&rt).iter(|| async {
            let row = raw.query_one(&stmt, &[&7_i32]).await.unwrap();
            let name: &str = row.get(1);
            assert_eq!(name.len(), 6);
        });
    });
    group.bench_function("txova_pool", |b| {
        b.to_async(&rt).iter(|| async {
            let row = pool.query_one(SQL, &[&7_i32]).await.unwrap();
            let name: &str = row.get(1);
            assert_eq!(name.len(), 6);
        });
    });
    group.bench_function("txova_held_connection", |b| {
        b.to_async(&rt).iter(|| async {
            let row = held.query_one(SQL, &[&7_i32]).await.unwrap();
            let name: &str = row.get(1);
            assert_eq!(name.len(), 6);
        });
    });
    group.finish();
    drop(held);
    drop(raw);
    rt.block_on(pool.close(std::time::Duration::from_secs(5)))
        .unwrap();
    drop(db);
}

criterion_group!(benches, bench);
criterion_main!(benches);
