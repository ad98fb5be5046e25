//! The Go side of the interop tests: the program in `tests/go-interop` (golang-migrate with
//! both PostgreSQL drivers, go-redis, `encoding/json`, google/uuid), built once per test
//! process and run as a subprocess.
//!
//! Where `go` is not installed, [`go_interop`] says so on the terminal and the test returns
//! early, passing: the suite stays usable without Go. `TXOVA_REQUIRE_GO=1` (set by `.ci/run`)
//! turns a missing `go` into a failure.
#![allow(
    clippy::missing_panics_doc,
    reason = "test helpers fail the test by panicking"
)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long building the Go program may take: a cold module cache downloads and compiles
/// golang-migrate, pgx, lib/pq and go-redis, on a busy machine.
const BUILD_LIMIT: Duration = Duration::from_secs(900);
/// How long one run of the Go program may take before the test fails (a hang guard).
pub const RUN_LIMIT: Duration = Duration::from_secs(60);

/// The built Go program.
#[derive(Debug, Clone)]
pub struct GoInterop {
    bin: PathBuf,
}

/// The Go program, built on first use; `None` (after printing that `test` is skipped) when
/// `go` is not installed and `TXOVA_REQUIRE_GO` is not `1`.
///
/// # Panics
/// When `go` is missing but required, or the build fails.
#[must_use]
pub fn go_interop(test: &str) -> Option<GoInterop> {
    static BUILT: OnceLock<Option<GoInterop>> = OnceLock::new();
    let built = BUILT.get_or_init(build).clone();
    if built.is_none() {
        // Straight to the terminal: libtest hides what a passing test prints with `eprintln!`.
        let _ = writeln!(
            std::io::stderr(),
            "go interop: `{test}` SKIPPED: `go` is not installed (install Go 1.26 to run the \
             Go interop suite; TXOVA_REQUIRE_GO=1 makes this a failure)"
        );
    }
    built
}

fn build() -> Option<GoInterop> {
    let required = std::env::var("TXOVA_REQUIRE_GO").is_ok_and(|v| v == "1");
    match Command::new("go").arg("version").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`go version` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                !required,
                "TXOVA_REQUIRE_GO=1 but `go` is not installed: the Go interop suite cannot run"
            );
            return None;
        }
        Err(e) => panic!("cannot run `go`: {e}"),
    }
    let module = Path::new(env!("CARGO_MANIFEST_DIR")).join("go-interop");
    // Beside the test binaries (`target/<profile>/deps/..`): `target/<profile>/go-interop`.
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps")
        .join("go-interop");
    std::fs::create_dir_all(&dir).expect("create the Go build folder");
    // Built under a name of this process, then renamed: test processes running at the same
    // time never see a half-written program.
    let partial = dir.join(format!("go-interop.{}", std::process::id()));
    let bin = dir.join("go-interop");
    let out = Run::start(
        Command::new("go")
            .current_dir(&module)
            .args(["build", "-mod=readonly", "-buildvcs=false", "-o"])
            .arg(&partial)
            .arg("."),
    )
    .wait(BUILD_LIMIT);
    assert!(out.status.success(), "go build failed:\n{}", out.stderr);
    std::fs::rename(&partial, &bin).expect("move the Go program in place");
    Some(GoInterop { bin })
}

impl GoInterop {
    /// A command running the Go program with `args`.
    #[must_use]
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args);
        cmd
    }

    /// Runs the Go program with `args` to its end (bounded by [`RUN_LIMIT`]).
    #[must_use]
    pub fn run(&self, args: &[&str]) -> Output {
        Run::start(&mut self.command(args)).wait(RUN_LIMIT)
    }
}

/// What a finished run printed, and how it ended.
#[derive(Debug)]
pub struct Output {
    /// The exit status.
    pub status: ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Output {
    /// The exit code (`-1` when killed by a signal).
    #[must_use]
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    /// Standard output, after checking the run succeeded.
    #[must_use]
    pub fn ok(&self) -> &str {
        assert!(
            self.status.success(),
            "the Go program failed ({}):\nstdout: {}\nstderr: {}",
            self.status,
            self.stdout,
            self.stderr
        );
        &self.stdout
    }
}

/// A running subprocess whose output is collected on threads, so it never blocks on a full
/// pipe.
pub struct Run {
    child: Child,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
}

impl Run {
    /// Starts `cmd` with its standard output and error captured and its standard input
    /// piped (closing it is a signal [`Run::close_stdin`] can give).
    #[must_use]
    pub fn start(cmd: &mut Command) -> Run {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let read = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = pipe.read_to_string(&mut text);
                text
            })
        };
        let stdout = read(Box::new(child.stdout.take().expect("piped stdout")));
        let stderr = read(Box::new(child.stderr.take().expect("piped stderr")));
        Run {
            child,
            stdout: Some(stdout),
            stderr: Some(stderr),
        }
    }

    /// Reads one line of standard output as it comes (for a process that reports a state
    /// and keeps running). Takes standard output from the collector, so call it before
    /// anything was printed; bounded by [`RUN_LIMIT`].
    #[must_use]
    pub fn start_with_line(cmd: &mut Command) -> (Run, String) {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let mut out = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = std::thread::spawn(move || {
            let mut line = Vec::new();
            let mut byte = [0u8; 1];
            while let Ok(1) = out.read(&mut byte) {
                if byte[0] == b'\n' {
                    break;
                }
                line.push(byte[0]);
            }
            let _ = tx.send(String::from_utf8_lossy(&line).into_owned());
            let mut rest = String::new();
            let _ = out.read_to_string(&mut rest);
            rest
        });
        let mut err = child.stderr.take().expect("piped stderr");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        let mut run = Run {
            child,
            stdout: Some(stdout),
            stderr: Some(stderr),
        };
        if let Ok(line) = rx.recv_timeout(RUN_LIMIT) {
            (run, line)
        } else {
            let _ = run.child.kill();
            panic!("{cmd:?} printed no line within {RUN_LIMIT:?}");
        }
    }

    /// Closes the process's standard input.
    pub fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
    }

    /// Waits for the end (killing the process and failing after `limit`).
    #[must_use]
    pub fn wait(mut self, limit: Duration) -> Output {
        let collected =
            |h: Option<JoinHandle<String>>| h.and_then(|h| h.join().ok()).unwrap_or_default();
        self.close_stdin();
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for the Go program") {
                break status;
            }
            if started.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("the subprocess did not end within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Output {
            status,
            stdout: collected(self.stdout.take()),
            stderr: collected(self.stderr.take()),
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        // A test that failed half way leaves no process behind.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
