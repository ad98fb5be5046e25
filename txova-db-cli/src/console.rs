//! The standard streams of one run: the process's own, or buffers a test reads back.

use std::io::{BufRead, Write};
use std::sync::{Arc, Mutex, PoisonError};

type Sink = Arc<Mutex<dyn Write + Send>>;
type Source = Arc<Mutex<dyn BufRead + Send>>;

/// Where a run reads its answers (the confirmation questions) and writes its output.
///
/// Cloning shares the streams: the migration progress callback writes through a clone.
#[derive(Clone)]
pub struct Console {
    stdout: Sink,
    stderr: Sink,
    stdin: Source,
    watch_interrupt: bool,
}

/// The output of a run on [`Console::captured`].
#[derive(Clone)]
pub struct Captured {
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Console {
    /// The process's standard streams; Ctrl-C stops a migration run after the running file.
    #[must_use]
    pub fn std() -> Self {
        Self {
            stdout: Arc::new(Mutex::new(std::io::stdout())),
            stderr: Arc::new(Mutex::new(std::io::stderr())),
            stdin: Arc::new(Mutex::new(std::io::BufReader::new(std::io::stdin()))),
            watch_interrupt: true,
        }
    }

    /// In-memory streams: `input` is what the user types; the output is read from the
    /// returned [`Captured`]. Ctrl-C is not watched (the process's signals stay its own).
    #[must_use]
    pub fn captured(input: &str) -> (Self, Captured) {
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let console = Self {
            stdout: stdout.clone(),
            stderr: stderr.clone(),
            stdin: Arc::new(Mutex::new(std::io::Cursor::new(input.as_bytes().to_vec()))),
            watch_interrupt: false,
        };
        (console, Captured { stdout, stderr })
    }

    pub(crate) fn watches_interrupt(&self) -> bool {
        self.watch_interrupt
    }

    /// Writes `text` to stdout and flushes it, so progress shows as it happens. A closed
    /// stdout (`txova-db ... | head`) does not stop the run.
    pub(crate) fn out(&self, text: &str) {
        write(&self.stdout, text);
    }

    /// Writes `text` to stderr.
    pub(crate) fn err(&self, text: &str) {
        write(&self.stderr, text);
    }

    /// Asks `question` on stderr; true only for a yes on stdin.
    pub(crate) fn confirm(&self, question: &str) -> bool {
        self.err(&format!("{question} "));
        let mut answer = String::new();
        let mut stdin = self.stdin.lock().unwrap_or_else(PoisonError::into_inner);
        if stdin.read_line(&mut answer).is_err() {
            return false;
        }
        matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES")
    }
}

fn write(sink: &Sink, text: &str) {
    let mut sink = sink.lock().unwrap_or_else(PoisonError::into_inner);
    let _ = sink.write_all(text.as_bytes());
    let _ = sink.flush();
}

impl Captured {
    /// Everything written to stdout so far.
    #[must_use]
    pub fn stdout(&self) -> String {
        text(&self.stdout)
    }

    /// Everything written to stderr so far.
    #[must_use]
    pub fn stderr(&self) -> String {
        text(&self.stderr)
    }
}

fn text(buffer: &Mutex<Vec<u8>>) -> String {
    String::from_utf8_lossy(&buffer.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
}
