//! Shared helpers of the integration tests.

use std::time::Duration;

use txova_db::postgres::{Config, Pool};
pub use txova_db::testing::{TestDatabase, server_url};

/// A fresh database for one test.
///
/// # Panics
/// When the test server is unreachable: the test cannot run.
pub async fn database(label: &str) -> TestDatabase {
    TestDatabase::create(label)
        .await
        .unwrap_or_else(|e| panic!("cannot create a test database: {e}"))
}

/// A pool on `db` with the given configuration changes applied.
///
/// # Panics
/// When the pool cannot be opened.
pub async fn pool_with(db: &TestDatabase, f: impl FnOnce(&mut Config)) -> Pool {
    let mut config = Config::new(db.url());
    config.acquire_timeout = Duration::from_secs(10);
    f(&mut config);
    Pool::new(config)
        .await
        .unwrap_or_else(|e| panic!("cannot open a pool: {e}"))
}
/// `url` (a `postgres://` URL) with its user and password replaced: the same server, database
/// and options, another role.
///
/// # Panics
/// When `url` is not a `scheme://` URL.
#[must_use]
pub fn with_credentials(url: &str, user: &str, password: Option<&str>) -> String {
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let host = rest.split_once('@').map_or(rest, |(_, host)| host);
    match password {
        Some(password) => format!("{scheme}://{user}:{password}@{host}"),
        None => format!("{scheme}://{user}@{host}"),
    }
}

/// `url` with one more query option `key=value`.
#[must_use]
pub fn with_option(url: &str, key: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{key}={value}")
}

pub mod cluster;
pub mod go;
pub mod migrate;
pub mod pg_server;
pub mod redis_env;
pub mod relay;

pub use pg_server::PgServer;
pub use relay::{Mode, Relay};

/// The bound of [`guarded`]: long enough that only a hung call reaches it.
pub const HANG_GUARD: Duration = Duration::from_secs(30);

/// Awaits `f`, failing the test if it is still pending after [`HANG_GUARD`]: a hang guard,
/// not a measure.
///
/// # Panics
/// When `f` hangs.
pub async fn guarded<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(HANG_GUARD, f)
        .await
        .unwrap_or_else(|_| panic!("{what} was still pending after {HANG_GUARD:?}"))
}
