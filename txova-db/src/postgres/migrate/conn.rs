//! The migrator's one connection, and the bounds on everything sent through it.
//!
//! - Every statement of the migrator's own (the version table, the lock, the history) has
//!   the client-side deadline [`MigratorConfig::query_timeout`](super::MigratorConfig): when
//!   it passes, the statement is cancelled on the server and the connection sends nothing
//!   more.
//! - A migration file may rightly run for hours, so it has no deadline of its own beyond
//!   `statement_timeout`. Instead, each time the query timeout passes while it runs, a
//!   second connection asks the server whether this connection's backend is still running
//!   it. When the backend is no longer running it, its answer was lost on the way; when the
//!   server cannot be reached at all, the network is dead. Either way the wait ends.
//! - A call dropped by its caller mid-statement cancels the statement on the server, as a
//!   closed socket alone does not stop a running statement.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio_postgres::types::ToSql;
use tokio_postgres::{CancelToken, Client, Row};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::{Error, ErrorKind, Result, Timeout, fmt_duration};
use crate::postgres::conn_string::ConnString;

/// The migrator's connection: see the module documentation.
pub(super) struct Conn {
    client: Client,
    /// To open the watch's connections and to send cancel requests.
    target: ConnString,
    tls: MakeRustlsConnect,
    /// The server process serving this connection.
    pid: i32,
    query_timeout: Option<Duration>,
    connect_timeout: Duration,
    /// A statement passed its deadline or its answer was lost: nothing more is sent.
    broken: AtomicBool,
}

/// How a migration file's run ended.
pub(super) enum FileEnd {
    /// The server answered.
    Answered(std::result::Result<(), tokio_postgres::Error>),
    /// `statement_timeout` passed and the file was cancelled.
    TimedOut,
    /// The answer will never come: the watch found the backend done with it, or could not
    /// reach the server. The message says which.
    Lost(String),
}

impl Conn {
    /// Connects and learns which server process serves the connection.
    pub(super) async fn open(
        conn: &ConnString,
        connect_timeout: Duration,
        query_timeout: Option<Duration>,
    ) -> Result<Conn> {
        let client = crate::postgres::connect(conn, connect_timeout).await?;
        let mut this = Conn {
            client,
            target: conn.clone(),
            tls: conn.tls()?,
            pid: 0,
            query_timeout,
            connect_timeout,
            broken: AtomicBool::new(false),
        };
        this.pid = this.query_one("SELECT pg_backend_pid()", &[]).await?.get(0);
        Ok(this)
    }

    /// Runs one statement of the migrator's own within the query timeout.
    async fn bounded<T>(
        &self,
        statement: impl Future<Output = std::result::Result<T, tokio_postgres::Error>>,
    ) -> Result<T> {
        self.bounded_by(
            self.query_timeout,
            "the migrator's query timeout",
            statement,
        )
        .await
    }

    /// Runs one statement within `limit`, called `what` in the error.
    async fn bounded_by<T>(
        &self,
        limit: Option<Duration>,
        what: &str,
        statement: impl Future<Output = std::result::Result<T, tokio_postgres::Error>>,
    ) -> Result<T> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(Error::new(
                ErrorKind::Connection,
                "the migration connection was given up after an earlier statement got no answer",
            )
            .not_sent());
        }
        let mut guard = InFlight(Some(self));
        let r = match limit {
            None => statement.await,
            Some(limit) => {
                if let Ok(r) = tokio::time::timeout(limit, statement).await {
                    r
                } else {
                    // Dropping the guard armed cancels the statement.
                    drop(guard);
                    return Err(Error::timeout(
                        Timeout::Query,
                        format!(
                            "no answer within {what} of {}; the statement was cancelled",
                            fmt_duration(limit)
                        ),
                    ));
                }
            }
        };
        guard.0 = None;
        r.map_err(Error::from)
    }

    pub(super) async fn batch_execute(&self, sql: &str) -> Result<()> {
        self.bounded(self.client.batch_execute(sql)).await
    }

    /// Takes the advisory lock with `sql`, which waits up to `lock_timeout` on the server:
    /// the client's bound is that wait plus the query timeout.
    pub(super) async fn take_lock(&self, sql: &str, lock_timeout: Duration) -> Result<()> {
        let limit = self.query_timeout.map(|q| q + lock_timeout);
        self.bounded_by(limit, "the lock timeout plus the query timeout", async {
            self.client.batch_execute(sql).await
        })
        .await
    }

    pub(super) async fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        self.bounded(self.client.execute(sql, params)).await
    }

    pub(super) async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>> {
        self.bounded(self.client.query(sql, params)).await
    }

    pub(super) async fn query_one(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
        self.bounded(self.client.query_one(sql, params)).await
    }

    /// Sends a file as one simple-protocol batch, bounded by `limit` (`statement_timeout`)
    /// when given, and watched every query timeout whether or not it is.
    pub(super) async fn run_file(&self, sql: &str, limit: Option<Duration>) -> FileEnd {
        if self.broken.load(Ordering::SeqCst) {
            return FileEnd::Lost(
                "the migration connection was given up after an earlier statement got no \
                 answer"
                    .to_owned(),
            );
        }
        let mut guard = InFlight(Some(self));
        let run = self.client.batch_execute(sql);
        tokio::pin!(run);
        let end = match limit {
            None => self.watched(&mut run).await,
            Some(limit) => {
                if let Ok(r) = tokio::time::timeout(limit, &mut run).await {
                    FileEnd::Answered(r)
                } else {
                    // The server ends the batch with "canceling statement" (57014).
                    self.cancel_now().await;
                    match self.watched(&mut run).await {
                        FileEnd::Answered(Err(_)) => FileEnd::TimedOut,
                        end => end,
                    }
                }
            }
        };
        if !matches!(end, FileEnd::Lost(_)) {
            guard.0 = None;
        }
        end
    }

    /// Waits for `run`, asking the server after each query timeout whether it still runs it.
    async fn watched(
        &self,
        run: &mut (impl Future<Output = std::result::Result<(), tokio_postgres::Error>> + Unpin),
    ) -> FileEnd {
        let Some(period) = self.query_timeout else {
            return FileEnd::Answered(run.await);
        };
        loop {
            if let Ok(r) = tokio::time::timeout(period, &mut *run).await {
                return FileEnd::Answered(r);
            }
            match self.probe().await {
                Probe::Running => {}
                Probe::NotRunning => {
                    // It may have ended just now, its answer on the way: one more period.
                    if let Ok(r) = tokio::time::timeout(period, &mut *run).await {
                        return FileEnd::Answered(r);
                    }
                    return FileEnd::Lost(format!(
                        "its server process ({}) is no longer running it, but its answer \
                         never came: the network between lost it",
                        self.pid
                    ));
                }
                Probe::Unreachable(why) => {
                    return FileEnd::Lost(format!(
                        "no answer for {}, and the migrator cannot reach the server to learn \
                         whether it still runs ({why}); the file may still be running or have \
                         committed",
                        fmt_duration(period)
                    ));
                }
            }
        }
    }

    /// Asks the server, over a connection of its own, whether this connection's backend is
    /// running a statement.
    async fn probe(&self) -> Probe {
        let bound = self.connect_timeout + self.query_timeout.unwrap_or(self.connect_timeout);
        let asked = tokio::time::timeout(bound, async {
            let client = crate::postgres::connect(&self.target, self.connect_timeout).await?;
            let row = client
                .query_opt(
                    "SELECT state FROM pg_stat_activity WHERE pid = $1",
                    &[&self.pid],
                )
                .await
                .map_err(Error::from)?;
            Ok::<_, Error>(row.and_then(|r| r.get::<_, Option<String>>(0)))
        })
        .await;
        match asked {
            Ok(Ok(Some(state))) if state == "active" => Probe::Running,
            Ok(Ok(_)) => Probe::NotRunning,
            // The server answered, so it is reachable; it only refused (too many clients,
            // no permission): nothing is known, keep waiting.
            Ok(Err(e)) if e.code().is_some() => Probe::Running,
            Ok(Err(e)) => Probe::Unreachable(e.to_string()),
            Err(_) => Probe::Unreachable(format!(
                "no answer to a new connection within {}",
                fmt_duration(bound)
            )),
        }
    }

    /// Sends a cancel request and waits for it to be delivered, bounded by the connect
    /// timeout.
    async fn cancel_now(&self) {
        let token = self.client.cancel_token();
        let _ =
            tokio::time::timeout(self.connect_timeout, token.cancel_query(self.tls.clone())).await;
    }

    /// Gives the connection up and cancels, in the background, what it runs.
    fn abandon(&self) {
        self.broken.store(true, Ordering::SeqCst);
        cancel_in_background(
            self.client.cancel_token(),
            self.tls.clone(),
            self.connect_timeout,
        );
    }
}

/// What the watch learnt of the backend.
enum Probe {
    Running,
    NotRunning,
    Unreachable(String),
}

/// Armed while a statement is in flight: dropped armed (a deadline passed, the answer was
/// lost, or the caller dropped the call), it cancels the statement on the server.
struct InFlight<'a>(Option<&'a Conn>);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            conn.abandon();
        }
    }
}

fn cancel_in_background(token: CancelToken, tls: MakeRustlsConnect, bound: Duration) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        // Nobody waits for the outcome: the connection is not used again either way.
        let _ = tokio::time::timeout(bound, token.cancel_query(tls)).await;
    });
}
