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
pub mod redis_env;
