//! A fixed number of one-row fetches by one contender, for instruction counts under
//! callgrind, which are stable on a loaded machine where wall-clock ratios are not.
//!
//! Run each contender twice, with `N` and `2N` fetches, and divide the difference of the
//! instruction counts by `N`: what the set-up costs cancels out.
//!
//! ```text
//! cargo bench -p txova-db-tests --bench callgrind --no-run
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/deps/callgrind-* pool 2000
//! ```
//!
//! Contenders: `raw` (tokio-postgres, prepared, on the pool's connection), `pool` (the pool,
//! a connection taken per query), `held` (a connection taken once), `select-pool` and
//! `select-held` (`select!` into a struct), `raw-user` (the raw client with hand mapping into
//! the same struct), `checkout` (take a connection and give it back).

#![allow(missing_docs, reason = "a measurement binary")]

#[path = "../typed_model.rs"]
mod model;

use std::hint::black_box;

use model::{DDL, User};
use txova_db::postgres::{Config, Executor, Pool};
use txova_db::select;
use txova_db::testing::TestDatabase;

const ONE: &str = "SELECT id, name, email, status, age, bio, created_at FROM users WHERE id = $1";
const ID: i64 = 500;

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

async fn run(pool: &Pool, which: &str, n: u64) {
    match which {
        "raw" | "raw-user" => {
            let conn = pool.get().await.unwrap();
            let client = conn.client();
            let stmt = client.prepare(ONE).await.unwrap();
            for _ in 0..n {
                let row = client.query_one(&stmt, &[&ID]).await.unwrap();
                if which == "raw-user" {
                    black_box(map(&row));
                }
                black_box(row);
            }
        }
        "pool" => {
            for _ in 0..n {
                black_box(pool.query_one(ONE, &[&ID]).await.unwrap());
            }
        }
        "held" => {
            let conn = pool.get().await.unwrap();
            for _ in 0..n {
                black_box(conn.query_one(ONE, &[&ID]).await.unwrap());
            }
        }
        "select-pool" => {
            for _ in 0..n {
                let id = ID;
                black_box(select!(User where id = id).fetch_one(pool).await.unwrap());
            }
        }
        "select-held" => {
            let conn = pool.get().await.unwrap();
            for _ in 0..n {
                let id = ID;
                black_box(select!(User where id = id).fetch_one(&conn).await.unwrap());
            }
        }
        "checkout" => {
            for _ in 0..n {
                drop(black_box(pool.get().await.unwrap()));
            }
        }
        other => panic!("unknown contender {other}"),
    }
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let which = args.next().unwrap_or_else(|| "pool".to_owned());
    let n: u64 = args.next().map_or(1000, |n| n.parse().unwrap());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt
        .block_on(TestDatabase::create("bench_callgrind"))
        .unwrap();
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
    // Warm the statement caches outside the measured difference.
    rt.block_on(run(&pool, &which, 10));
    rt.block_on(run(&pool, &which, n));
    drop(pool);
    drop(db);
}
