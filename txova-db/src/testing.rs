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

/// The URL of database `db` on the server `admin` names, rendered from the parsed connection
/// string: its user, password, hosts and ports, TLS settings, `options`, `application_name`
/// and statement mode are kept; its database, wherever it was given (the path or a
/// `dbname` option), is replaced.
fn with_database(admin: &str, db: &str) -> Result<String> {
    use crate::postgres::conn_string::ConnString;
    use tokio_postgres::config::Host;

    let conn = ConnString::parse(admin)?;
    let pg = &conn.pg;
    let mut url = String::from("postgres://");
    if let Some(user) = pg.get_user() {
        url.push_str(&encode(user));
        if let Some(password) = pg.get_password() {
            let password = std::str::from_utf8(password).map_err(|_| {
                Error::config("the test server's password is not UTF-8; set it in a URL")
            })?;
            url.push(':');
            url.push_str(&encode(password));
        }
        url.push('@');
    }
    let mut query: Vec<(&str, String)> = Vec::new();
    let hosts = pg.get_hosts();
    let ports = pg.get_ports();
    let port_of = |i: usize| ports.get(i).or(ports.first()).copied();
    if hosts.iter().all(|h| matches!(h, Host::Tcp(_))) {
        let authority: Vec<String> = hosts
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let name = match h {
                    Host::Tcp(name) => name.as_str(),
                    Host::Unix(_) => "",
                };
                let name = if name.contains(':') {
                    format!("[{name}]")
                } else {
                    encode(name)
                };
                match port_of(i) {
                    Some(port) => format!("{name}:{port}"),
                    None => name,
                }
            })
            .collect();
        url.push_str(&authority.join(","));
    } else {
        // One `host` option each: the driver reads a `host` option that starts with `/` as
        // one socket folder, so a joined list would become a single path.
        for h in hosts {
            query.push((
                "host",
                match h {
                    Host::Tcp(name) => name.clone(),
                    Host::Unix(path) => path.display().to_string(),
                },
            ));
        }
        let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
        if !ports.is_empty() {
            query.push(("port", ports.join(",")));
        }
    }
    url.push('/');
    url.push_str(&encode(db));
    if let Some(mode) = conn.ssl_mode.name_unless_default() {
        query.push(("sslmode", mode.to_owned()));
    }
    if let Some(root) = &conn.ssl_root {
        query.push(("sslrootcert", root.clone()));
    }
    if let Some(options) = pg.get_options() {
        query.push(("options", options.to_owned()));
    }
    if let Some(name) = pg.get_application_name() {
        query.push(("application_name", name.to_owned()));
    }
    if let Some(mode) = conn.statement_mode {
        query.push(("statement_mode", mode.as_str().to_owned()));
    }
    for (i, (key, value)) in query.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(key);
        url.push('=');
        url.push_str(&encode(value));
    }
    Ok(url)
}

/// Percent-encodes all but the unreserved characters of RFC 3986.
fn encode(s: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::postgres::conn_string::ConnString;

    fn parsed(url: &str) -> tokio_postgres::Config {
        match ConnString::parse(url) {
            Ok(c) => c.pg,
            Err(e) => panic!("{url}: {e}"),
        }
    }

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
            "postgres://root@h:5432/t1"
        );
        let kv = parsed(&with_database("host=h user=u", "t1").unwrap());
        assert_eq!(kv.get_dbname(), Some("t1"));
        assert_eq!(kv.get_user(), Some("u"));
    }

    #[test]
    fn a_database_named_in_the_options_is_replaced_too() {
        // The database given as an option wins over the path: editing only the path left
        // the tests on the server's own database.
        let url = with_database(
            "postgres://root@127.0.0.1:5432/postgres?dbname=postgres",
            "t1",
        )
        .unwrap();
        assert_eq!(parsed(&url).get_dbname(), Some("t1"), "{url}");
        let url = with_database("host=127.0.0.1 dbname=postgres user=root", "t1").unwrap();
        assert_eq!(parsed(&url).get_dbname(), Some("t1"), "{url}");
    }

    #[test]
    fn credentials_hosts_and_settings_survive() {
        let url = with_database(
            "postgres://u%40x:p%2Fw%3F@h1:5433,h2:5434/postgres?application_name=a%20b&statement_mode=unnamed",
            "t1",
        )
        .unwrap();
        let pg = parsed(&url);
        assert_eq!(pg.get_user(), Some("u@x"));
        assert_eq!(pg.get_password(), Some(&b"p/w?"[..]));
        assert_eq!(pg.get_ports(), &[5433, 5434]);
        assert_eq!(pg.get_application_name(), Some("a b"));
        assert_eq!(pg.get_dbname(), Some("t1"));
        assert_eq!(
            ConnString::parse(&url).unwrap().statement_mode,
            Some(crate::postgres::StatementMode::Unnamed)
        );
        let url = with_database("host=/var/run/postgresql port=5433 user=root", "t1").unwrap();
        let pg = parsed(&url);
        assert_eq!(pg.get_ports(), &[5433]);
        assert_eq!(pg.get_dbname(), Some("t1"));
        assert!(matches!(
            pg.get_hosts(),
            [tokio_postgres::config::Host::Unix(p)] if p.to_str() == Some("/var/run/postgresql")
        ));
    }

    #[test]
    fn ipv6_hosts_mixed_hosts_tls_roots_and_options_survive() {
        let url = with_database(
            "postgres://root@[::1]:5433/postgres?sslmode=verify-full&sslrootcert=/etc/ca.pem&options=-c%20search_path%3Dapp",
            "t1",
        )
        .unwrap();
        let conn = ConnString::parse(&url).unwrap();
        assert!(matches!(
            conn.pg.get_hosts(),
            [tokio_postgres::config::Host::Tcp(h)] if h == "::1"
        ));
        assert_eq!(conn.pg.get_ports(), &[5433]);
        assert_eq!(conn.ssl_root.as_deref(), Some("/etc/ca.pem"));
        assert_eq!(conn.pg.get_options(), Some("-c search_path=app"));
        assert_eq!(conn.pg.get_dbname(), Some("t1"));
        let url = with_database("host=/tmp,db.internal port=5432,6432 user=root", "t1").unwrap();
        let pg = parsed(&url);
        assert!(matches!(
            pg.get_hosts(),
            [
                tokio_postgres::config::Host::Unix(p),
                tokio_postgres::config::Host::Tcp(h)
            ] if p.to_str() == Some("/tmp") && h == "db.internal"
        ));
        assert_eq!(pg.get_ports(), &[5432, 6432]);
        assert_eq!(pg.get_dbname(), Some("t1"));
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
