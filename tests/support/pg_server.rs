//! A PostgreSQL server owned by one test: its own data directory and free port, started with
//! Debian's binaries (`/usr/lib/postgresql/*/bin`), stopped, restarted and killed by the test,
//! and removed when dropped. It never touches the shared server.
//!
//! `initdb` refuses to run as root, so when the tests run as root the server runs as the
//! `postgres` user (through `runuser`); the superuser is named `root` and trusted on loopback.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A running (or stopped) PostgreSQL instance.
pub struct PgServer {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

impl std::fmt::Debug for PgServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgServer")
            .field("dir", &self.dir)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl PgServer {
    /// Creates a cluster in a fresh directory and starts it on a free loopback port.
    ///
    /// # Panics
    /// When no PostgreSQL binaries are installed or the cluster cannot be created or started.
    pub async fn start() -> PgServer {
        blocking(|| {
            let bin = bin_dir();
            let port = free_port();
            let dir = std::env::temp_dir().join(format!("txova-pg-{}", suffix()));
            std::fs::create_dir_all(&dir).expect("a data directory");
            chown_to_postgres(&dir);
            let data = dir.join("data");
            let initdb = bin.join("initdb");
            let out = as_server_user(
                &initdb,
                &[
                    "-D",
                    path_str(&data),
                    "-U",
                    "root",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                    "--no-instructions",
                ],
            );
            assert!(
                out.status.success(),
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let server = PgServer { dir, bin, port };
            server.run_start();
            server
        })
        .await
    }

    /// The server's port on 127.0.0.1.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:port`.
    #[must_use]
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A URL to its `postgres` database as `root`, without TLS.
    #[must_use]
    pub fn url(&self) -> String {
        format!(
            "postgres://root@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }

    /// Stops the server cleanly (fast shutdown: sessions are terminated).
    ///
    /// # Panics
    /// When `pg_ctl stop` fails.
    pub async fn stop(&self) {
        let (bin, data) = (self.bin.clone(), self.data());
        blocking(move || {
            let out = as_server_user(
                &bin.join("pg_ctl"),
                &["-D", path_str(&data), "-m", "fast", "-w", "stop"],
            );
            assert!(
                out.status.success(),
                "pg_ctl stop failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        })
        .await;
    }

    /// Starts the server again on the same port.
    pub async fn start_again(&self) {
        let me = PgServer {
            dir: self.dir.clone(),
            bin: self.bin.clone(),
            port: self.port,
        };
        blocking(move || {
            me.run_start();
            // Not ours to remove: `self` owns the directory.
            std::mem::forget(me);
        })
        .await;
    }

    /// Stops and starts the server.
    pub async fn restart(&self) {
        self.stop().await;
        self.start_again().await;
    }

    /// Kills the postmaster with SIGKILL, as a crash would; its backends exit when they
    /// notice. Start it again with [`PgServer::start_again`].
    ///
    /// # Panics
    /// When the server is not running or cannot be signalled.
    pub async fn kill9(&self) {
        let data = self.data();
        blocking(move || {
            let pid = std::fs::read_to_string(data.join("postmaster.pid"))
                .expect("a running server has postmaster.pid");
            let pid = pid.lines().next().unwrap_or_default().trim().to_owned();
            let ok = Command::new("kill")
                .args(["-9", &pid])
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "cannot kill the postmaster {pid}");
        })
        .await;
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Starts the server, retrying for a while: after a `kill -9` the old backends hold the
    /// shared memory until they notice their postmaster is gone, and a new postmaster refuses
    /// to start until then.
    fn run_start(&self) {
        for _ in 0..100 {
            if self.try_start().is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        if let Err(why) = self.try_start() {
            panic!("pg_ctl start failed: {why}");
        }
    }

    fn try_start(&self) -> Result<(), String> {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            path_str(&self.dir)
        );
        let log = self.dir.join("log");
        let out = as_server_user(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                path_str(&self.data()),
                "-o",
                &opts,
                "-l",
                path_str(&log),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} {}",
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(&log).unwrap_or_default()
            ))
        }
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = as_server_user(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                path_str(&self.data()),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Runs a server binary, as `postgres` when we are root.
fn as_server_user(program: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

fn chown_to_postgres(dir: &Path) {
    if is_root() {
        let ok = Command::new("chown")
            .args(["postgres:postgres", path_str(dir)])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "cannot give {} to the postgres user", dir.display());
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin`.
fn bin_dir() -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let newest = std::fs::read_dir(root)
        .expect("PostgreSQL's server binaries in /usr/lib/postgresql (run .ci/setup)")
        .filter_map(|e| {
            let e = e.ok()?;
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            e.path().join("bin/initdb").exists().then_some(version)
        })
        .max()
        .expect("a PostgreSQL version in /usr/lib/postgresql with initdb");
    root.join(newest.to_string()).join("bin")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn suffix() -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("randomness for a directory name");
    bytes.iter().fold(String::new(), |mut s, b| {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
        s
    })
}
