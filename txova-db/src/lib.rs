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
pub mod redis;
pub mod testing;

pub use error::{Error, ErrorKind, Result, Timeout};

/// Declares functions that build typed Redis cache keys from checked templates; see
/// [`redis::CacheKey`].
pub use txova_db_macros::cache_keys;
/// Embeds the migration files of a folder in the binary at compile time; see
/// [`postgres::EmbeddedMigrations`].
///
/// ```ignore
/// static MIGRATIONS: txova_db::postgres::EmbeddedMigrations =
///     txova_db::embed_migrations!("migrations");
/// ```
pub use txova_db_macros::embed_migrations;
