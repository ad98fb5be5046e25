//! Loading 100 000 rows: the multi-row `INSERT` of `insert_rows`, tokio-postgres's raw binary
//! COPY (`BinaryCopyInWriter` with hand-written values) and the typed `copy_in`, each in one
//! transaction on the same single connection, in the same run.
//!
//! `cargo bench -p txova-db-tests --bench bulk -- --warm-up-time 1 --measurement-time 3`

#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]

#[path = "interleave.rs"]
mod interleave;

use std::pin::pin;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone as _, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use interleave::{arm, report};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use txova_db::Table;
use txova_db::postgres::{Config, Pool, copy_in, insert_rows};
use txova_db::testing::TestDatabase;

const ROWS: u32 = 100_000;

#[derive(Table, Debug, Clone)]
#[table(name = "trips")]
struct Trip {
    id: i64,
    code: String,
    km: f64,
    note: Option<String>,
    at: DateTime<Utc>,
}

const DDL: &str = "CREATE TABLE trips (
    id int8 NOT NULL, code text NOT NULL, km float8 NOT NULL, note text,
    at timestamptz NOT NULL
)";

fn rows() -> Vec<Trip> {
    (0..ROWS)
        .map(|n| Trip {
            id: i64::from(n),
            code: format!("trip-{n}"),
            km: f64::from(n) / 3.0,
            note: n.is_multiple_of(2).then(|| format!("note {n}")),
            at: Utc.timestamp_opt(1_700_000_000 + i64::from(n), 0).unwrap(),
        })
        .collect()
}

async fn truncate(pool: &Pool) {
    pool.get()
        .await
        .unwrap()
        .batch_execute("TRUNCATE trips")
        .await
        .unwrap();
}

async fn multi_row_insert(pool: &Pool, rows: &[Trip], n: u32) -> Duration {
    let mut took = Duration::ZERO;
    for _ in 0..n {
        truncate(pool).await;
        let start = Instant::now();
        assert_eq!(
            insert_rows(rows).execute(pool).await.unwrap(),
            u64::from(ROWS)
        );
        took += start.elapsed();
    }
    took
}

async fn raw_copy(pool: &Pool, rows: &[Trip], n: u32) -> Duration {
    let mut took = Duration::ZERO;
    for _ in 0..n {
        truncate(pool).await;
        let conn = pool.get().await.unwrap();
        let client = conn.client();
        let start = Instant::now();
        client.batch_execute("BEGIN").await.unwrap();
        let sink = client
            .copy_in("COPY trips (id, code, km, note, at) FROM STDIN (FORMAT binary)")
            .await
            .unwrap();
        let types = [
            Type::INT8,
            Type::TEXT,
            Type::FLOAT8,
            Type::TEXT,
            Type::TIMESTAMPTZ,
        ];
        let mut writer = pin!(BinaryCopyInWriter::new(sink, &types));
        for r in rows {
            let values: [&(dyn ToSql + Sync); 5] = [&r.id, &r.code, &r.km, &r.note, &r.at];
            writer.as_mut().write(&values).await.unwrap();
        }
        assert_eq!(writer.finish().await.unwrap(), u64::from(ROWS));
        client.batch_execute("COMMIT").await.unwrap();
        took += start.elapsed();
    }
    took
}

async fn typed_copy(pool: &Pool, rows: &[Trip], n: u32) -> Duration {
    let mut took = Duration::ZERO;
    for _ in 0..n {
        truncate(pool).await;
        let start = Instant::now();
        assert_eq!(
            copy_in::<Trip, _>(pool, rows).await.unwrap(),
            u64::from(ROWS)
        );
        took += start.elapsed();
    }
    took
}

fn bulk(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(TestDatabase::create("bench_bulk")).unwrap();
    let url = format!("{}?sslmode=disable", db.url());
    let pool = rt
        .block_on(Pool::new(Config {
            max_connections: 1,
            ..Config::new(url)
        }))
        .unwrap();
    rt.block_on(async {
        pool.get().await.unwrap().batch_execute(DDL).await.unwrap();
    });
    let rows = rows();

    let mut g = c.benchmark_group("load 100 000 rows");
    g.bench_function("multi-row INSERT (insert_rows)", |b| {
        b.iter_custom(|n| rt.block_on(multi_row_insert(&pool, &rows, n.try_into().unwrap())));
    });
    g.bench_function("raw binary COPY (tokio-postgres)", |b| {
        b.iter_custom(|n| rt.block_on(raw_copy(&pool, &rows, n.try_into().unwrap())));
    });
    g.bench_function("typed binary COPY (copy_in)", |b| {
        b.iter_custom(|n| rt.block_on(typed_copy(&pool, &rows, n.try_into().unwrap())));
    });
    g.finish();

    report(
        &rt,
        "load 100 000 rows, interleaved (ratio to raw COPY)",
        &[
            arm("raw binary COPY (tokio-postgres)", |n| {
                raw_copy(&pool, &rows, n)
            }),
            arm("raw binary COPY again (noise floor)", |n| {
                raw_copy(&pool, &rows, n)
            }),
            arm("typed binary COPY (copy_in)", |n| {
                typed_copy(&pool, &rows, n)
            }),
            arm("multi-row INSERT (insert_rows)", |n| {
                multi_row_insert(&pool, &rows, n)
            }),
        ],
        5,
        1,
    );
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(10)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bulk
}
criterion_main!(benches);
