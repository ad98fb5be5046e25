//! Isolated databases for tests: each test gets a fresh database, dropped afterwards.
//!
//! `#[txova_db::test]` uses this; it is public so other harnesses can too.
//!
//! The server is taken from `TXOVA_TEST_DATABASE_URL`, else `DATABASE_URL`, else
//! `postgres://root@127.0.0.1:5432/postgres`; the user needs the `CREATEDB` privilege.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::postgres::{Config, Migrator, MigratorConfig, Pool};

/// The server tests run against.
#[must_use]
pub fn server_url() -> String {
    std::env::var("TXOVA_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/postgres".to_owned())
}

/// A database created for one test, dropped (with its connections) when this is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
    admin_url: String,
}

impl TestDatabase {
    /// Creates a database named after `label` plus a random suffix, so tests run in
    /// parallel and can be rerun without cleanup.
    pub async fn create(label: &str) -> Result<TestDatabase> {
        let admin_url = server_url();
        let name = format!("txova_test_{}_{}", sanitize(label), random_suffix()?);
        let admin = crate::postgres::connect_url(&admin_url, Duration::from_secs(10)).await?;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        let url = with_database(&admin_url, &name)?;
        Ok(TestDatabase {
            name,
            url,
            admin_url,
        })
    }

    /// The database's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A URL that connects to this database.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Applies migrations to this database: those of `migrations`, which `#[txova_db::test]`
    /// fills in from its arguments.
    pub async fn migrate(&self, migrations: Migrations) -> Result<()> {
        let dir = match migrations {
            Migrations::None => return Ok(()),
            Migrations::Default(manifest_dir) => {
                let dir = std::path::Path::new(manifest_dir).join("migrations");
                if !dir.is_dir() {
                    return Ok(());
                }
                dir
            }
            Migrations::Path(path) => std::path::PathBuf::from(path),
        };
        let config = MigratorConfig::new(self.url(), dir.to_string_lossy().into_owned());
        Migrator::new(config)?.up().await?;
        Ok(())
    }

    /// A pool on this database with small limits fit for a test.
    pub async fn pool(&self) -> Result<Pool> {
        Pool::new(Config {
            max_connections: 4,
            acquire_timeout: Duration::from_secs(10),
            ..Config::new(self.url.clone())
        })
        .await
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on; a thread with its
        // own runtime drops the database and is waited for, so nothing is left behind.
        let handle = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(admin) =
                    crate::postgres::connect_url(&admin_url, Duration::from_secs(10)).await
                {
                    let _ = admin
                        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .await;
                }
            });
        });
        let _ = handle.join();
    }
}

fn sanitize(label: &str) -> String {
    let mut s: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    s.truncate(30);
    s
}

fn random_suffix() -> Result<String> {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).map_err(Error::random_source)?;
    Ok(bytes.iter().fold(String::new(), |mut s, b| {
        use std::fmt::Write;
        let _ = write!(s, "{b:02x}");
        s
    }))
}

/// Replaces the database of a `postgres://` URL (or adds `dbname=` to a key-value string).
fn with_database(url: &str, db: &str) -> Result<String> {
    if let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    {
        let (main, query) = match rest.split_once('?') {
            Some((m, q)) => (m, Some(q)),
            None => (rest, None),
        };
        let authority = main.split_once('/').map_or(main, |(a, _)| a);
        let mut out = format!("postgres://{authority}/{db}");
        if let Some(q) = query {
            out.push('?');
            out.push_str(q);
        }
        Ok(out)
    } else if url.contains('=') {
        Ok(format!("{url} dbname={db}"))
    } else {
        Err(Error::config(format!(
            "cannot derive a test database url from `{url}`"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_is_replaced_in_urls() {
        assert_eq!(
            with_database(
                "postgres://root@127.0.0.1:5432/postgres?sslmode=disable",
                "t1"
            )
            .unwrap(),
            "postgres://root@127.0.0.1:5432/t1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://root@h", "t1").unwrap(),
            "postgres://root@h/t1"
        );
        assert_eq!(with_database("host=h", "t1").unwrap(), "host=h dbname=t1");
    }
}

/// Which migrations `#[txova_db::test]` applies to a test's database.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Migrations {
    /// The `migrations` folder beside the given `Cargo.toml` folder, if there is one.
    Default(&'static str),
    /// The folder at this path.
    Path(&'static str),
    /// None.
    None,
}

/// The body of a `#[txova_db::test]`: a runtime, a fresh database with the migrations applied,
/// the test, then the database dropped (also when the test panics).
///
/// # Panics
///
/// When the database cannot be created or migrated: the test fails with the reason.
#[doc(hidden)]
pub fn run<F, Fut, R>(label: &str, migrations: Migrations, test: F) -> R
where
    F: FnOnce(Pool) -> Fut,
    Fut: std::future::Future<Output = R>,
{
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("#[txova_db::test] cannot start a runtime: {e}"),
    };
    let label = label.rsplit("::").next().unwrap_or(label);
    rt.block_on(async move {
        let db = match TestDatabase::create(label).await {
            Ok(db) => db,
            Err(e) => panic!("#[txova_db::test] cannot create a test database: {e}"),
        };
        if let Err(e) = db.migrate(migrations).await {
            panic!("#[txova_db::test] cannot migrate the test database: {e}");
        }
        let pool = match db.pool().await {
            Ok(pool) => pool,
            Err(e) => panic!("#[txova_db::test] cannot open a pool on the test database: {e}"),
        };
        let result = test(pool.clone()).await;
        let _ = pool.close(Duration::from_secs(5)).await;
        drop(db);
        result
    })
}
