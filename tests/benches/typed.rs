//! Typed SQL against the raw driver, in the same run: fetching 1 and 1000 rows into structs
//! (txova-db `select!` vs tokio-postgres with a prepared statement and hand-written
//! mapping), and building the seed's query (`select!` vs the dynamic builder vs sea-query).
//!
//! `cargo bench -p txova-db-tests --bench typed`

#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]

#[path = "interleave.rs"]
mod interleave;
#[path = "../typed_model.rs"]
mod model;

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use interleave::{arm, report};
use model::{DDL, User};
use txova_db::postgres::{self, ColumnExt, Config, FromRow, Pool};
use txova_db::select;
use txova_db::testing::TestDatabase;

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

const ONE: &str = "SELECT id, name, email, status, age, bio, created_at FROM users WHERE id = $1";
const MANY: &str =
    "SELECT id, name, email, status, age, bio, created_at FROM users ORDER BY id LIMIT 1000";
const ID: i64 = 500;

/// `n` fetches of one row on the pool's connection, through its raw client: a prepared
/// statement and hand-written mapping.
async fn raw_one(pool: &Pool, n: u64) -> Duration {
    let conn = pool.get().await.unwrap();
    let client = conn.client();
    let stmt = client.prepare(ONE).await.unwrap();
    let start = Instant::now();
    for _ in 0..n {
        let row = client.query_one(&stmt, &[&ID]).await.unwrap();
        black_box(map(&row));
    }
    start.elapsed()
}

/// `n` fetches of 1000 rows, as [`raw_one`] does them.
async fn raw_all(pool: &Pool, n: u64) -> Duration {
    let conn = pool.get().await.unwrap();
    let client = conn.client();
    let stmt = client.prepare(MANY).await.unwrap();
    let start = Instant::now();
    for _ in 0..n {
        let rows = client.query(&stmt, &[]).await.unwrap();
        black_box(rows.iter().map(map).collect::<Vec<User>>());
    }
    start.elapsed()
}

/// `n` fetches of one row with `select!`, on a connection taken once or, with `per_query`,
/// on the pool.
async fn typed_one(pool: &Pool, n: u64, per_query: bool) -> Duration {
    // With one connection in the pool, the pool contender must leave it there.
    let conn = if per_query {
        None
    } else {
        Some(pool.get().await.unwrap())
    };
    let start = Instant::now();
    for _ in 0..n {
        let id = ID;
        let q = select!(User where id = id);
        black_box(match &conn {
            Some(conn) => q.fetch_one(conn).await.unwrap(),
            None => q.fetch_one(pool).await.unwrap(),
        });
    }
    start.elapsed()
}

/// `n` fetches of 1000 rows with `select!`, as [`typed_one`] does them.
async fn typed_all(pool: &Pool, n: u64, per_query: bool) -> Duration {
    let conn = if per_query {
        None
    } else {
        Some(pool.get().await.unwrap())
    };
    let start = Instant::now();
    for _ in 0..n {
        let q = select!(User order by id limit 1000);
        black_box(match &conn {
            Some(conn) => q.fetch_all(conn).await.unwrap(),
            None => q.fetch_all(pool).await.unwrap(),
        });
    }
    start.elapsed()
}

fn fetch(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(TestDatabase::create("bench_typed")).unwrap();
    // One connection, shared by every contender: the raw client is the pooled connection's
    // own, so all of them talk to the same server process over the same socket.
    let url = format!("{}?sslmode=disable", db.url());
    let pool = rt
        .block_on(Pool::new(Config {
            max_connections: 1,
            ..Config::new(url)
        }))
        .unwrap();
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
    assert_eq!(select!(User where id = ID).sql(), ONE);
    assert_eq!(select!(User order by id limit 1000).sql(), MANY);

    let mut g = c.benchmark_group("fetch 1 row");
    g.bench_function("tokio-postgres prepared + hand mapping", |b| {
        b.to_async(&rt).iter_custom(|n| raw_one(&pool, n));
    });
    g.bench_function("txova-db select! on a connection", |b| {
        b.to_async(&rt).iter_custom(|n| typed_one(&pool, n, false));
    });
    g.bench_function("txova-db select! on the pool", |b| {
        b.to_async(&rt).iter_custom(|n| typed_one(&pool, n, true));
    });
    g.finish();

    let mut g = c.benchmark_group("fetch 1000 rows");
    g.bench_function("tokio-postgres prepared + hand mapping", |b| {
        b.to_async(&rt).iter_custom(|n| raw_all(&pool, n));
    });
    g.bench_function("txova-db select! on a connection", |b| {
        b.to_async(&rt).iter_custom(|n| typed_all(&pool, n, false));
    });
    g.bench_function("txova-db select! on the pool", |b| {
        b.to_async(&rt).iter_custom(|n| typed_all(&pool, n, true));
    });
    g.finish();

    report(
        &rt,
        "fetch 1 row into a struct, ratio to the raw client",
        &[
            arm("tokio-postgres prepared + hand mapping", |n| {
                raw_one(&pool, n.into())
            }),
            arm("the same again", |n| raw_one(&pool, n.into())),
            arm("txova-db select! on a connection", |n| {
                typed_one(&pool, n.into(), false)
            }),
            arm("txova-db select! on the pool", |n| {
                typed_one(&pool, n.into(), true)
            }),
        ],
        30,
        300,
    );
    report(
        &rt,
        "fetch 1000 rows into structs, ratio to the raw client",
        &[
            arm("tokio-postgres prepared + hand mapping", |n| {
                raw_all(&pool, n.into())
            }),
            arm("the same again", |n| raw_all(&pool, n.into())),
            arm("txova-db select! on a connection", |n| {
                typed_all(&pool, n.into(), false)
            }),
            arm("txova-db select! on the pool", |n| {
                typed_all(&pool, n.into(), true)
            }),
        ],
        30,
        20,
    );

    // The part of a fetch that is not the driver's: reading rows into structs. CPU only, so
    // it is steady even on a busy machine.
    let rows = rt
        .block_on(async { pool.get().await.unwrap().client().query(MANY, &[]).await })
        .unwrap();
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
    g.bench_function("hand mapping with Row::get", |b| b.iter(hand));
    g.bench_function("txova-db FromRow (derived)", |b| b.iter(derived));
    g.finish();
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
    g.bench_function("txova-db builder, the seed's strings", |b| {
        b.iter(|| {
            let q = postgres::select("users")
                .columns(["id", "name", "email"])
                .filter("status = ?", black_box(status))
                .filter("created_at > ?", black_box(cutoff))
                .order_by("created_at DESC")
                .limit(20)
                .offset(40);
            let (sql, params) = q.build().unwrap();
            black_box((sql, params.len()));
        });
    });
    g.bench_function("txova-db builder, typed handles", |b| {
        b.iter(|| {
            let q = postgres::select("users")
                .columns(["id", "name", "email"])
                .filter_by(User::status.eq(black_box(status)))
                .filter_by(User::created_at.gt(black_box(cutoff)))
                .order_by_key(User::created_at.desc())
                .limit(20)
                .offset(40);
            let (sql, params) = q.build().unwrap();
            black_box((sql, params.len()));
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
