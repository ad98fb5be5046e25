//! One-row prepared query through the pool (a connection taken and returned per query) and on
//! a held pooled connection, against the raw tokio-postgres client of that same connection
//! with a prepared statement.
//!
//! The pool has one connection, and the raw client is that connection's own: every contender
//! talks to the same server process over the same socket. Separate connections land on
//! server processes the OS schedules differently, which moves a loopback round trip by up to
//! three times, far more than the pool costs.
//!
//! The unnamed statement mode (for poolers in transaction mode) is measured the same way,
//! on a pool of its own, against the raw named prepared statement on that pool's connection.
//!
//! `cargo bench -p txova-db-tests --bench pool`

#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]

#[path = "interleave.rs"]
mod interleave;
#[path = "observed.rs"]
mod observed;

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use interleave::{arm, report};
use txova_db::postgres::{Config, Executor, Pool};
use txova_db::testing::TestDatabase;

const SQL: &str = "SELECT id, name FROM bench_users WHERE id = $1";

/// `n` runs of the query on the pool's connection, through its raw client.
async fn raw(pool: &Pool, n: u64) -> Duration {
    let conn = pool.get().await.unwrap();
    let client = conn.client();
    let stmt = client.prepare(SQL).await.unwrap();
    let start = Instant::now();
    for _ in 0..n {
        let row = client.query_one(&stmt, &[&7_i32]).await.unwrap();
        assert_eq!(row.get::<_, &str>(1).len(), 6);
    }
    start.elapsed()
}

/// `n` runs of the query on the pool's connection, through its raw client, as the unnamed
/// statement with the parameter's type given (tokio-postgres's `query_typed`): what the
/// unnamed statement mode costs the server, whoever sends it.
async fn raw_typed(pool: &Pool, n: u64) -> Duration {
    let conn = pool.get().await.unwrap();
    let client = conn.client();
    let start = Instant::now();
    for _ in 0..n {
        let rows = client
            .query_typed(SQL, &[(&7_i32, tokio_postgres::types::Type::INT4)])
            .await
            .unwrap();
        assert_eq!(rows[0].get::<_, &str>(1).len(), 6);
    }
    start.elapsed()
}

/// `n` runs through the pool, which takes and returns its connection each time.
async fn pooled(pool: &Pool, n: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        let row = pool.query_one(SQL, &[&7_i32]).await.unwrap();
        assert_eq!(row.get::<_, &str>(1).len(), 6);
    }
    start.elapsed()
}

/// `n` runs on a connection taken once.
async fn held(pool: &Pool, n: u64) -> Duration {
    let conn = pool.get().await.unwrap();
    let start = Instant::now();
    for _ in 0..n {
        let row = conn.query_one(SQL, &[&7_i32]).await.unwrap();
        assert_eq!(row.get::<_, &str>(1).len(), 6);
    }
    start.elapsed()
}

fn bench(c: &mut Criterion) {
    observed::install_if_asked();
    // One thread: the connection task and the benchmark share it, as in a small service, and
    // cross-thread wake-ups do not blur the comparison.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(TestDatabase::create("bench_pool")).unwrap();
    let url = format!("{}?sslmode=disable", db.url());
    let pool = rt
        .block_on(Pool::new(Config {
            max_connections: 1,
            ..Config::new(url)
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

    let mut group = c.benchmark_group("one_row_query");
    group.bench_function("raw_tokio_postgres", |b| {
        b.to_async(&rt).iter_custom(|n| raw(&pool, n));
    });
    group.bench_function("txova_pool", |b| {
        b.to_async(&rt).iter_custom(|n| pooled(&pool, n));
    });
    group.bench_function("txova_held_connection", |b| {
        b.to_async(&rt).iter_custom(|n| held(&pool, n));
    });
    group.finish();
    // The pool's own cost, with no statement: take a connection and give it back.
    c.bench_function("pool_checkout", |b| {
        b.to_async(&rt).iter(|| async {
            drop(pool.get().await.unwrap());
        });
    });

    report(
        &rt,
        "one-row prepared query, ratio to the raw client",
        &[
            arm("raw tokio-postgres", |n| raw(&pool, n.into())),
            // The same contender again: how far apart two identical runs land.
            arm("raw tokio-postgres, again", |n| raw(&pool, n.into())),
            arm("txova pool (checkout per query)", |n| {
                pooled(&pool, n.into())
            }),
            arm("txova held pooled connection", |n| held(&pool, n.into())),
        ],
        30,
        300,
    );

    // The unnamed statement mode: one round trip per statement, types declared from the
    // values, nothing prepared; against the raw client's named prepared statement.
    let unnamed = rt
        .block_on(Pool::new(Config {
            max_connections: 1,
            ..Config::new(format!(
                "{}?sslmode=disable&statement_mode=unnamed",
                db.url()
            ))
        }))
        .unwrap();
    let mut group = c.benchmark_group("one_row_query_unnamed");
    group.bench_function("raw_tokio_postgres_prepared", |b| {
        b.to_async(&rt).iter_custom(|n| raw(&unnamed, n));
    });
    group.bench_function("txova_pool_unnamed", |b| {
        b.to_async(&rt).iter_custom(|n| pooled(&unnamed, n));
    });
    group.finish();
    report(
        &rt,
        "one-row query in the unnamed statement mode, ratio to the raw prepared client",
        &[
            arm("raw tokio-postgres, prepared", |n| raw(&unnamed, n.into())),
            arm("raw tokio-postgres, prepared, again", |n| {
                raw(&unnamed, n.into())
            }),
            arm("raw tokio-postgres, query_typed (unnamed)", |n| {
                raw_typed(&unnamed, n.into())
            }),
            arm("txova pool, unnamed (checkout per query)", |n| {
                pooled(&unnamed, n.into())
            }),
            arm("txova held connection, unnamed", |n| {
                held(&unnamed, n.into())
            }),
        ],
        30,
        300,
    );
    rt.block_on(unnamed.close(Duration::from_secs(5))).unwrap();
    rt.block_on(pool.close(Duration::from_secs(5))).unwrap();
    drop(db);
}

criterion_group!(benches, bench);
criterion_main!(benches);
