//! Redis targets for the integration tests: the shared single node and the test cluster,
//! each with a random key prefix, plus private servers a test may restart.

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use txova_db::redis::{Client, Config};

/// The single node tests use: `TXOVA_TEST_REDIS_URL`, else `redis://127.0.0.1:6379`.
#[must_use]
pub fn single_url() -> String {
    std::env::var("TXOVA_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A random key prefix for one test: `test:<label>:<16 hex>:`.
///
/// # Panics
/// If the operating system has no random source.
#[must_use]
pub fn random_prefix(label: &str) -> String {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("random bytes");
    format!("test:{label}:{:016x}:", u64::from_le_bytes(b))
}

/// A client on the single node and one on the cluster, each with its own random prefix,
/// labelled `"single"` and `"cluster"`.
///
/// # Panics
/// If a server cannot be reached.
pub async fn targets(label: &str) -> Vec<(&'static str, Client)> {
    let single = Client::new(Config::new(single_url()).prefix(random_prefix(label)))
        .await
        .expect("single node redis");
    let cluster =
        Client::new(Config::cluster(crate::cluster::seed_nodes()).prefix(random_prefix(label)))
            .await
            .expect("redis cluster");
    vec![("single", single), ("cluster", cluster)]
}

/// A `redis-server` of this test's own, on a free loopback port, without persistence.
/// Stopped when dropped.
#[derive(Debug)]
pub struct OwnServer {
    port: u16,
    /// Arguments for `redis-server` in place of `--port <port>`.
    listen: Vec<String>,
    /// Arguments `redis-cli` needs to talk to it (a password, TLS files).
    cli: Vec<String>,
}

impl OwnServer {
    /// Starts a server on a free port and waits until it answers.
    ///
    /// # Panics
    /// If it cannot be started.
    #[must_use]
    pub fn start() -> OwnServer {
        OwnServer::start_with(|port| (vec!["--port".into(), port.to_string()], Vec::new()))
    }

    /// Starts a server on a free port with the settings `f` gives for that port: the
    /// `redis-server` arguments that make it listen (and anything else it needs, such as
    /// `--requirepass`), and the `redis-cli` arguments that reach it.
    ///
    /// # Panics
    /// If it cannot be started.
    #[must_use]
    pub fn start_with(f: impl FnOnce(u16) -> (Vec<String>, Vec<String>)) -> OwnServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let (listen, cli) = f(port);
        let server = OwnServer { port, listen, cli };
        server.run();
        server
    }

    /// The server's port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's URL.
    #[must_use]
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stops the server (without saving).
    pub fn stop(&self) {
        let _ = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(&self.cli)
            .args(["shutdown", "nosave"])
            .output();
        for _ in 0..100 {
            if !self.answers() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts the server again on the same port.
    ///
    /// # Panics
    /// If it cannot be started.
    pub fn run(&self) {
        let status = Command::new("redis-server")
            .args(&self.listen)
            .args([
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--logfile",
                "/dev/null",
            ])
            .status()
            .expect("redis-server");
        assert!(status.success(), "redis-server did not start");
        for _ in 0..200 {
            if self.answers() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("redis-server on port {} did not answer", self.port);
    }

    fn answers(&self) -> bool {
        Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(&self.cli)
            .arg("ping")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "PONG")
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.stop();
    }
}
