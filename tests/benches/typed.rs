//! Typed SQL against the raw driver, in the same run: fetching 1 and 1000 rows into structs
//! (txova-db `select!` vs tokio-postgres with a prepared statement and hand-written
//! mapping), and building the seed's query (`select!` vs sea-query).
//!
//! `cargo bench -p txova-db-tests --bench typed`

#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]

#[path = "../typed_model.rs"]
mod model;

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use model::{DDL, User};
use txova_db::postgres::{Config, FromRow, Pool};
use txova_db::select;
use txova_db::testing::TestDatabase;

const COLUMNS: &str = "id, name, email, status, age, bio, created_at";

fn map(row: &tokio_postgres::Row) -> User {
    User {
        id: row.get(0),
        name: row.get(1),
        email: row.get(2),
        status: row.get(3),
        age: row.get(4),
        bio: row.get(5),
        created_at: row.get(6),
    }
}

#[allow(
    clippy::too_many_lines,
    reason = "the groups share one database, runtime and client set up here"
)]
fn fetch(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(TestDatabase::create("bench_typed")).unwrap();
    // The raw client below speaks without TLS; so does the pool, to compare like with like.
    let url = format!("{}?sslmode=disable", db.url());
    let pool = rt.block_on(Pool::new(Config::new(url.clone()))).unwrap();
    rt.block_on(async {
        let conn = pool.get().await.unwrap();
        conn.batch_execute(DDL).await.unwrap();
        conn.batch_execute(
            "INSERT INTO users (name, email, status, age, bio, created_at)
             SELECT 'user ' || i, 'user' || i || '@example.com', 'active', i % 90,
                    CASE WHEN i % 2 = 0 THEN 'bio ' || i END, now()
             FROM generate_series(1, 1000) AS i",
        )
        .await
        .unwrap();
    });
    let (client, connection) = rt
        .block_on(tokio_postgres::connect(&url, tokio_postgres::NoTls))
        .unwrap();
    rt.spawn(connection);
    let one = rt
        .block_on(client.prepare(&format!("SELECT {COLUMNS} FROM users WHERE id = $1")))
        .unwrap();
    let many = rt
        .block_on(client.prepare(&format!(
            "SELECT {COLUMNS} FROM users ORDER BY id LIMIT 1000"
        )))
        .unwrap();
    let held = rt.block_on(pool.get()).unwrap();
    let id = 500_i64;

    // The machine is shared, so each measurement alternates with its rival's (untimed)
    // run: both see the same load, and their ratio stays meaningful.
    let raw_one = || async {
        let row = client.query_one(&one, &[&id]).await.unwrap();
        black_box(map(&row))
    };
    let typed_one_conn =
        || async { black_box(select!(User where id = id).fetch_one(&held).await.unwrap()) };
    let typed_one_pool =
        || async { black_box(select!(User where id = id).fetch_one(&pool).await.unwrap()) };
    let raw_all = || async {
        let rows = client.query(&many, &[]).await.unwrap();
        black_box(rows.iter().map(map).collect::<Vec<User>>())
    };
    let typed_all_conn = || async {
        black_box(
            select!(User order by id limit 1000)
                .fetch_all(&held)
                .await
                .unwrap(),
        )
    };
    let typed_all_pool = || async {
        black_box(
            select!(User order by id limit 1000)
                .fetch_all(&pool)
                .await
                .unwrap(),
        )
    };

    let mut g = c.benchmark_group("fetch 1 row");
    g.bench_function("tokio-postgres prepared + hand mapping", |b| {
        b.to_async(&rt)
            .iter_custom(|n| alternate(n, raw_one, typed_one_conn));
    });
    g.bench_function("txova-db select! on a connection", |b| {
        b.to_async(&rt)
            .iter_custom(|n| alternate(n, typed_one_conn, raw_one));
    });
    g.bench_function("txova-db select! on the pool", |b| {
        b.to_async(&rt)
            .iter_custom(|n| alternate(n, typed_one_pool, raw_one));
    });
    g.finish();

    let mut g = c.benchmark_group("fetch 1000 rows");
    g.bench_function("tokio-postgres prepared + hand mapping", |b| {
        b.to_async(&rt)
            .iter_custom(|n| alternate(n, raw_all, typed_all_conn));
    });
    g.bench_function("txova-db select! on a connection", |b| {
        b.to_async(&rt)
            .iter_custom(|n| alternate(n, typed_all_conn, raw_all));
    });
    g.bench_function("txova-db select! on the pool", |b| {
        b.to_async(&rt)
            .iter_custom(|n| alternate(n, typed_all_pool, raw_all));
    });
    g.finish();

    // The part of a fetch that is not the driver's: reading rows into structs. CPU only, so
    // it is steady even on a busy machine.
    let rows = rt.block_on(client.query(&many, &[])).unwrap();
    let hand = || black_box(rows.iter().map(map).collect::<Vec<User>>());
    // As `Query::fetch_all` does it.
    let derived = || {
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(User::from_row(row).unwrap());
        }
        black_box(out)
    };
    let mut g = c.benchmark_group("read 1000 fetched rows into structs");
    g.bench_function("hand mapping with Row::get", |b| {
        b.iter_custom(|n| alternate_sync(n, hand, derived));
    });
    g.bench_function("txova-db FromRow (derived)", |b| {
        b.iter_custom(|n| alternate_sync(n, derived, hand));
    });
    g.finish();
    drop(held);
}

/// Times `n` runs of `timed`, each followed by an untimed run of `other`.
async fn alternate<T, O, FT, FO>(n: u64, timed: T, other: O) -> Duration
where
    T: Fn() -> FT,
    O: Fn() -> FO,
    FT: Future,
    FO: Future,
{
    let mut total = Duration::ZERO;
    for _ in 0..n {
        let start = Instant::now();
        black_box(timed().await);
        total += start.elapsed();
        black_box(other().await);
    }
    total
}

/// Times `n` runs of `timed`, each followed by an untimed run of `other`.
fn alternate_sync<A, B>(n: u64, timed: impl Fn() -> A, other: impl Fn() -> B) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..n {
        let start = Instant::now();
        black_box(timed());
        total += start.elapsed();
        black_box(other());
    }
    total
}

fn build(c: &mut Criterion) {
    use sea_query::{Expr, ExprTrait as _, Order, PostgresQueryBuilder, Query};

    let status = "active";
    let cutoff: DateTime<Utc> = Utc::now();
    let mut g = c.benchmark_group("build the seed's query");
    g.bench_function("txova-db select!", |b| {
        b.iter(|| {
            // Values are bound by reference, so they live in bindings.
            let (status, cutoff) = (black_box(status), black_box(cutoff));
            let q = select!(id, name, email from User
                where status = status and created_at > cutoff
                order by created_at desc limit 20 offset 40);
            black_box((q.sql(), q.params().len()));
        });
    });
    g.bench_function("sea-query", |b| {
        b.iter(|| {
            black_box(
                Query::select()
                    .columns(["id", "name", "email"])
                    .from("users")
                    .and_where(Expr::col("status").eq(black_box(status)))
                    .and_where(Expr::col("created_at").gt(black_box(cutoff)))
                    .order_by("created_at", Order::Desc)
                    .limit(20)
                    .offset(40)
                    .build(PostgresQueryBuilder),
            );
        });
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(40)
}

criterion_group! {
    name = benches;
    config = config();
    targets = fetch, build
}
criterion_main!(benches);
