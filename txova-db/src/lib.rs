//! Typed PostgreSQL and Redis for Txova services.
//!
//! `txova-db` is one layer over PostgreSQL and Redis: a connection pool and transactions,
//! SQL checked at compile time from `#[derive(Table)]` structs, migrations that interoperate
//! with golang-migrate, and a typed Redis cache with distributed locks, rate limits and
//! sessions.
//!
//! ```no_run
//! use txova_db::postgres::{self, Config, Executor, Pool};
//!
//! # async fn run() -> Result<(), txova_db::Error> {
//! let pool = Pool::new(Config::new("postgres://root@127.0.0.1/test")).await?;
//! pool.ping().await?;
//! let n: i64 = postgres::with_tx(&pool, async |tx| {
//!     let row = tx.query_one("SELECT $1::int8 + 1", &[&41_i64]).await?;
//!     Ok::<_, txova_db::Error>(row.get(0))
//! })
//! .await?;
//! assert_eq!(n, 42);
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod error;
pub mod postgres;
pub mod testing;

pub use error::{Error, ErrorKind, Result, Timeout};

/// Embeds the migration files of a folder (relative to the calling crate's `Cargo.toml`) in
/// the binary at compile time, as a [`postgres::EmbeddedMigrations`], which has an example.
pub use txova_db_macros::embed_migrations;
