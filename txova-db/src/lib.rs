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

#[doc(hidden)]
pub mod __private;
mod backoff;
mod error;
pub mod postgres;
pub mod redis;
pub mod testing;

pub use error::{Error, ErrorKind, Result, Timeout};

/// Declares functions that build typed Redis cache keys from checked templates; see
/// [`redis::CacheKey`].
pub use txova_db_macros::cache_keys;
/// Embeds the migration files of a folder (relative to the calling crate's `Cargo.toml`) in
/// the binary at compile time, as a [`postgres::EmbeddedMigrations`], which has an example.
pub use txova_db_macros::embed_migrations;
pub use txova_db_macros::{FromRow, PgEnum, Table, delete, insert, select, update};

/// Marks an `async fn` as a test that gets a [`postgres::Pool`] on a fresh database with the
/// migrations applied, dropped afterwards; see [`testing`].
///
/// ```ignore
/// #[txova_db::test]
/// async fn signs_up(pool: txova_db::postgres::Pool) -> Result<(), txova_db::Error> {
///     pool.execute("INSERT INTO users (name) VALUES ($1)", &[&"ana"]).await?;
///     Ok(())
/// }
/// ```
///
/// The migrations are those in the `migrations` folder beside the test crate's `Cargo.toml`
/// when there is one; `#[txova_db::test(migrations = "../migrations")]` names another folder,
/// `#[txova_db::test(migrations = false)]` applies none.
pub use txova_db_macros::test;
