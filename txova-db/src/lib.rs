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

/// Declares SQL functions of the database (built-in ones outside the grammar's library, or
/// your own `CREATE FUNCTION`s) so that `select!`, `insert!`, `update!` and `delete!` can call
/// them, typed.
///
/// ```ignore
/// txova_db::sql_function! {
///     /// `pg_trgm`'s similarity of two texts.
///     pub fn similarity(a: String, b: String) -> f32;
/// }
/// let close: Vec<String> = select!(name from User where similarity(name, query) > 0.4)
///     .fetch_all(&pool).await?;
/// ```
///
/// Each declaration defines a unit struct named like the function, which the query macros
/// call through: a call must see the declaration in scope (`use` it like any item), an
/// undeclared name is "cannot find value" at the call, and each argument is checked against
/// its declared type. The SQL is `name(arg, ...)` with the declared name (quoted where needed);
/// Rust values given as arguments are bound parameters of the declared type.
///
/// Argument types are declared without `Option`. The function is taken as strict (as
/// PostgreSQL's `STRICT`, and most built-in functions): a nullable argument makes the result
/// nullable. A result declared `Option<T>` is nullable whatever the arguments.
pub use txova_db_macros::sql_function;

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
