//! Migrations that interoperate exactly with golang-migrate's PostgreSQL driver.
//!
//! Same files (`{version}_{title}.up.sql` / `.down.sql`), same version table
//! (`schema_migrations (version bigint not null primary key, dirty boolean not null)`), same
//! advisory lock id: a Go service and a Rust service can migrate one database in turn or at
//! once. Beyond golang-migrate, a history table beside the version table records each
//! applied file's checksum, so [`Migrator::status`] reports files changed after they ran.

mod checksum;
mod conn;
mod failure;
mod lock;
mod options;
mod plan;
pub(crate) mod source;
mod status;
mod table;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub use plan::{Step, Target};
pub use source::{Direction, EmbeddedMigrations, MigrationSource};
pub use status::{MigrationState, MigrationStatus, Status};
pub use table::DbVersion;

use self::conn::{Conn, FileEnd};
pub(crate) use self::options::UrlOptions;
use self::table::Tables;
use super::conn_string::ConnString;
use crate::error::{Error, ErrorKind, Result, Timeout, fmt_duration};

/// The version table golang-migrate uses unless told otherwise.
pub const DEFAULT_MIGRATIONS_TABLE: &str = "schema_migrations";

/// Which database name goes into the advisory lock id.
///
/// golang-migrate opened from a URL (its CLI, `migrate.New`) hashes the URL's path with its
/// leading `/` (`/mydb`); opened with `WithInstance` it hashes `current_database()` (`mydb`).
/// Pick the one the Go services sharing the database use, so the two exclude each other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum LockKey {
    /// The URL's path, `/mydb`, as golang-migrate's CLI and `migrate.New`. A URL without a
    /// path, or a `key=value` connection string, falls back to `current_database()`.
    #[default]
    UrlPath,
    /// `current_database()`, as golang-migrate's `WithInstance`.
    CurrentDatabase,
    /// This exact name.
    Name(String),
}

/// How to reach the database and where the migrations are.
///
/// The database URL may carry golang-migrate's options, which are taken out before
/// connecting: `x-migrations-table`, `x-migrations-table-quoted`, `x-statement-timeout`
/// (milliseconds), `x-no-lock`, and `search_path`.
///
/// ```
/// use std::time::Duration;
/// use txova_db::postgres::MigratorConfig;
///
/// let config = MigratorConfig {
///     lock_timeout: Duration::from_secs(30),
///     ..MigratorConfig::new("postgres://root@127.0.0.1/txova", "file://migrations")
/// };
/// assert_eq!(config.migrations_table, None);
/// ```
#[derive(Debug, Clone)]
pub struct MigratorConfig {
    /// A `postgres://` URL or a `key=value` connection string.
    pub database_url: String,
    /// The migrations folder, as golang-migrate writes it (`file://migrations`) or a plain
    /// path. Not read by [`Migrator::with_source`].
    pub migrations_path: String,
    /// The version table; `None` takes `x-migrations-table` from the URL, else
    /// `schema_migrations`. It lives in the current schema (the first of `search_path`).
    pub migrations_table: Option<String>,
    /// How long to wait for another migrator's lock. Default 15 s, as golang-migrate.
    pub lock_timeout: Duration,
    /// How long opening the connection may take. Default 10 s.
    pub connect_timeout: Duration,
    /// The longest one file may run; `None` takes `x-statement-timeout` from the URL, else
    /// no limit.
    pub statement_timeout: Option<Duration>,
    /// The client-side deadline of each statement of the migrator's own (the version table,
    /// the lock check, the history): when it passes, the call returns a
    /// [`Timeout::Query`] error and the statement is cancelled on the server. A file has no
    /// such deadline, as it may rightly run for hours; instead, each time this period passes
    /// while it runs, a second connection asks the server whether it still runs it, and the
    /// call fails with a [`Connection`](ErrorKind::Connection) error when its answer was
    /// lost or the server cannot be reached. Default 30 s; `None` waits as long as the
    /// network lets it.
    pub query_timeout: Option<Duration>,
    /// Which database name goes into the advisory lock id.
    pub lock_key: LockKey,
    /// Whether to keep the history table (`<table>_history`) of checksums. Default `true`.
    pub history: bool,
}

impl MigratorConfig {
    /// The defaults, for `database_url` and the migrations in `migrations_path`.
    pub fn new(database_url: impl Into<String>, migrations_path: impl Into<String>) -> Self {
        MigratorConfig {
            database_url: database_url.into(),
            migrations_path: migrations_path.into(),
            migrations_table: None,
            lock_timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(10),
            statement_timeout: None,
            query_timeout: Some(Duration::from_secs(30)),
            lock_key: LockKey::UrlPath,
            history: true,
        }
    }
}

impl Default for MigratorConfig {
    /// The defaults, with `postgres://localhost/postgres` and `file://migrations`.
    fn default() -> Self {
        MigratorConfig::new("postgres://localhost/postgres", "file://migrations")
    }
}

/// A migration that ran, and how long it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// What ran.
    pub step: Step,
    /// How long the file took, with the version updates around it.
    pub duration: Duration,
}

/// What a running migrator reports, through [`Migrator::on_progress`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// A migration is about to run.
    Started(&'a Step),
    /// A migration finished.
    Finished(&'a Applied),
}

/// Stops a running migrator after the migration it is running; see
/// [`Migrator::stop_handle`].
#[derive(Debug, Clone)]
pub struct StopHandle(Arc<AtomicBool>);

impl StopHandle {
    /// Asks the migrator to stop once the running migration is done. It stays stopped:
    /// later calls refuse to start.
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

type ProgressFn = dyn for<'a> Fn(Progress<'a>) + Send + Sync;

/// Applies and reverts migrations, with golang-migrate's version table and lock.
///
/// Each call opens one connection (the advisory lock belongs to a session), takes the lock,
/// does its work and closes the connection.
///
/// ```no_run
/// use txova_db::postgres::{Migrator, MigratorConfig};
///
/// # async fn run() -> Result<(), txova_db::Error> {
/// let migrator = Migrator::new(MigratorConfig::new(
///     "postgres://root@127.0.0.1/txova",
///     "file://migrations",
/// ))?
/// .on_progress(|p| {
///     if let txova_db::postgres::Progress::Finished(a) = p {
///         println!("{} {} in {:?}", a.step.version, a.step.direction, a.duration);
///     }
/// });
/// let applied = migrator.up().await?;
/// println!("{} migration(s) applied, now at {:?}", applied.len(), migrator.version().await?);
/// # Ok(())
/// # }
/// ```
pub struct Migrator {
    config: MigratorConfig,
    conn: ConnString,
    source: MigrationSource,
    stop: Arc<AtomicBool>,
    progress: Option<Arc<ProgressFn>>,
}

impl std::fmt::Debug for Migrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrator")
            .field("migrations_path", &self.config.migrations_path)
            .field("migrations", &self.source.len())
            .finish_non_exhaustive()
    }
}

/// One connection, with the names it works on.
struct Session {
    conn: Conn,
    tables: Tables,
    lock_id: i64,
}

/// Why migrations refuse to run through a pooler in transaction mode, and what to do.
const BEHIND_A_POOLER: &str = "migrations hold a session-level advisory lock so that two \
    migrators (Rust or golang-migrate) never run at once, and a pooler in transaction mode \
    hands each statement to any server connection, so the lock would exclude nothing; connect \
    directly to the PostgreSQL server (its own host and port, without statement_mode=unnamed) \
    to migrate";

impl Migrator {
    /// Reads and checks the migrations folder, and parses the database URL with its options.
    /// Nothing connects yet.
    pub fn new(config: MigratorConfig) -> Result<Migrator> {
        let folder = source::folder_of(&config.migrations_path)?;
        let source = MigrationSource::from_dir(folder)?;
        Migrator::with_source(config, source)
    }

    /// Uses `source` (for instance embedded migrations) instead of a folder.
    pub fn with_source(config: MigratorConfig, source: MigrationSource) -> Result<Migrator> {
        let conn = ConnString::parse(&config.database_url)?;
        if conn.statement_mode == Some(crate::postgres::StatementMode::Unnamed) {
            return Err(Error::config(format!(
                "the database url says statement_mode=unnamed, for a pooler in transaction \
                 mode: {BEHIND_A_POOLER}"
            )));
        }
        Ok(Migrator {
            config,
            conn,
            source,
            stop: Arc::new(AtomicBool::new(false)),
            progress: None,
        })
    }

    /// Calls `f` before and after each migration.
    #[must_use]
    pub fn on_progress(mut self, f: impl for<'a> Fn(Progress<'a>) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// A handle that stops this migrator after the running migration (for Ctrl-C).
    #[must_use]
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle(self.stop.clone())
    }

    /// The migrations this migrator knows.
    #[must_use]
    pub fn source(&self) -> &MigrationSource {
        &self.source
    }

    /// Applies every pending migration. An empty list means there was nothing to do.
    pub async fn up(&self) -> Result<Vec<Applied>> {
        self.migrate(Target::Up(None)).await
    }

    /// Reverts the last `n` migrations; refuses, running nothing, if fewer are applied.
    pub async fn down(&self, n: u64) -> Result<Vec<Applied>> {
        self.migrate(Target::Down(Some(n))).await
    }

    /// Reverts every applied migration.
    pub async fn down_all(&self) -> Result<Vec<Applied>> {
        self.migrate(Target::Down(None)).await
    }

    /// Moves `n` migrations up (`n > 0`) or down (`n < 0`); refuses, running nothing, if
    /// there are not that many.
    pub async fn steps(&self, n: i64) -> Result<Vec<Applied>> {
        self.migrate(Target::steps(n)).await
    }

    /// Moves up or down to exactly `version`, which must be one of the migrations.
    pub async fn goto(&self, version: u64) -> Result<Vec<Applied>> {
        self.migrate(Target::Goto(version)).await
    }

    /// Moves to `target`, one migration at a time, under the lock.
    ///
    /// A dirty database is refused. A failing file leaves the database dirty at its version,
    /// and the error names the file, the line and column (when the server gives a position),
    /// the server's message and SQLSTATE.
    pub async fn migrate(&self, target: Target) -> Result<Vec<Applied>> {
        self.check_stopped(0)?;
        let mut session = self.open().await?;
        self.locked(&mut session, async |this, s| this.run(s, target).await)
            .await
    }

    /// What [`Migrator::migrate`] would run, without running it (a dry run). Takes no lock
    /// and creates no table.
    pub async fn plan(&self, target: Target) -> Result<Vec<Step>> {
        let session = self.open().await?;
        let current = session.tables.version(&session.conn).await?;
        plan::plan(&self.source, clean(current)?, target)
    }

    /// Sets the version without running anything, clearing `dirty`: the way out after a
    /// failed migration was fixed by hand. `-1` empties the version table.
    pub async fn force(&self, version: i64) -> Result<()> {
        if version < -1 {
            return Err(Error::invalid_input(format!(
                "cannot force version {version}: it must be -1 or more"
            )));
        }
        let mut session = self.open().await?;
        self.locked(&mut session, async move |_, s| {
            s.tables.ensure_version_table(&s.conn).await?;
            s.conn
                .batch_execute(&s.tables.set_version_sql(version, false))
                .await
                .map_err(|e| e.context("cannot set the migration version"))
        })
        .await
    }

    /// The database's version, or `None` when no migration is applied (or the version table
    /// does not exist yet; it is not created).
    pub async fn version(&self) -> Result<Option<DbVersion>> {
        let session = self.open().await?;
        if !session.tables.version_table_exists(&session.conn).await? {
            return Ok(None);
        }
        session.tables.version(&session.conn).await
    }

    /// Drops every table of the current schema, the version table included, as
    /// golang-migrate's `drop` does. Views, functions and types stay.
    pub async fn drop(&self) -> Result<()> {
        let mut session = self.open().await?;
        self.locked(&mut session, async |_, s| {
            let rows = s
                .conn
                .query(
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = (SELECT current_schema()) AND table_type = 'BASE TABLE'",
                    &[],
                )
                .await?;
            for row in rows {
                let name: String = row.get(0);
                s.conn
                    .batch_execute(&format!(
                        "DROP TABLE IF EXISTS {} CASCADE",
                        table::quote_ident(&name)
                    ))
                    .await
                    .map_err(|e| e.context(format!("cannot drop table {name}")))?;
            }
            Ok(())
        })
        .await
    }

    /// Every migration: applied or pending, and whether its file changed since it was
    /// applied (from the history table).
    pub async fn status(&self) -> Result<Status> {
        let session = self.open().await?;
        let version = if session.tables.version_table_exists(&session.conn).await? {
            session.tables.version(&session.conn).await?
        } else {
            None
        };
        let history =
            if self.config.history && session.tables.history_table_exists(&session.conn).await? {
                session.tables.history(&session.conn).await?
            } else {
                Vec::new()
            };
        Ok(status::build(&self.source, version, &history))
    }

    fn check_stopped(&self, done: usize) -> Result<()> {
        if self.stop.load(Ordering::SeqCst) {
            return Err(Error::new(
                ErrorKind::Migration,
                format!("stopped on request after {done} migration(s); the database is clean"),
            ));
        }
        Ok(())
    }

    async fn open(&self) -> Result<Session> {
        let conn = Conn::open(
            &self.conn,
            self.config.connect_timeout,
            self.config.query_timeout,
        )
        .await?;
        if let Some(path) = &self.conn.migrate.search_path {
            conn.execute("SELECT set_config('search_path', $1, false)", &[path])
                .await
                .map_err(|e| e.context("cannot set search_path"))?;
        }
        let row = conn
            .query_one(
                "SELECT current_schema()::text, current_database()::text",
                &[],
            )
            .await?;
        let current_schema: Option<String> = row.get(0);
        let current_database: String = row.get(1);
        let (schema, table) = self.table_name()?;
        let Some(schema) = schema.or(current_schema) else {
            return Err(Error::config(
                "no current schema: search_path names no schema that exists",
            ));
        };
        let database = match &self.config.lock_key {
            LockKey::UrlPath => self.conn.migrate.path.clone().unwrap_or(current_database),
            LockKey::CurrentDatabase => current_database,
            LockKey::Name(name) => name.clone(),
        };
        let lock_id = lock::advisory_lock_id(&database, &[&schema, &table]);
        let history = format!("{table}_history");
        Ok(Session {
            conn,
            tables: Tables {
                schema,
                table,
                history,
            },
            lock_id,
        })
    }

    /// The version table's schema (if named) and name.
    fn table_name(&self) -> Result<(Option<String>, String)> {
        if let Some(t) = &self.config.migrations_table {
            if t.is_empty() {
                return Err(Error::config("migrations_table is empty"));
            }
            return Ok((None, t.clone()));
        }
        match &self.conn.migrate.table {
            Some(t) if self.conn.migrate.table_quoted => options::split_quoted(t),
            Some(t) => Ok((None, t.clone())),
            None => Ok((None, DEFAULT_MIGRATIONS_TABLE.to_owned())),
        }
    }

    /// Runs `work` holding the advisory lock, and releases it whatever happens.
    async fn locked<T>(
        &self,
        session: &mut Session,
        work: impl AsyncFnOnce(&Self, &mut Session) -> Result<T>,
    ) -> Result<T> {
        if self.conn.migrate.no_lock {
            return work(self, session).await;
        }
        self.lock(session).await?;
        let result = work(self, session).await;
        let unlocked = session
            .conn
            .execute("SELECT pg_advisory_unlock($1)", &[&session.lock_id])
            .await;
        // Closing the connection releases the lock anyway; an unlock failure only matters
        // when the work itself went well.
        match (result, unlocked) {
            (Ok(v), Ok(_)) => Ok(v),
            (Ok(_), Err(e)) => Err(e.context("cannot release the migration lock")),
            (Err(e), _) => Err(e),
        }
    }

    async fn lock(&self, session: &Session) -> Result<()> {
        let timeout = self.config.lock_timeout;
        let id = session.lock_id;
        let busy = || {
            Error::timeout(
                Timeout::Lock,
                format!(
                    "another migrator holds the migration lock ({id}); gave up after {}",
                    fmt_duration(timeout)
                ),
            )
        };
        if timeout.is_zero() {
            let row = session
                .conn
                .query_one("SELECT pg_try_advisory_lock($1)", &[&id])
                .await?;
            return if row.get::<_, bool>(0) {
                Ok(())
            } else {
                Err(busy())
            };
        }
        // The server's lock_timeout stops the wait on the server's side; one simple query is
        // one transaction, so the setting is rolled back if the wait fails and reset if not.
        // The server's limit is an int of milliseconds (about 24 days).
        let ms = timeout
            .as_millis()
            .clamp(1, u128::from(i32::MAX.unsigned_abs()));
        let sql =
            format!("SET lock_timeout = {ms}; SELECT pg_advisory_lock({id}); RESET lock_timeout");
        match session.conn.take_lock(&sql, timeout).await {
            Ok(()) => Ok(()),
            Err(e)
                if e.code() == Some(tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE.code()) =>
            {
                Err(busy())
            }
            Err(e) => Err(e.context("cannot take the migration lock")),
        }?;
        self.check_lock_is_ours(session).await
    }

    /// Checks that the lock just taken belongs to the server session that answers the next
    /// statement. Through a pooler in transaction mode it may belong to another, and then it
    /// excludes nothing.
    async fn check_lock_is_ours(&self, session: &Session) -> Result<()> {
        // A lock on one bigint key is stored as its high half in `classid`, its low half in
        // `objid` and 1 in `objsubid`; the id is never negative and fits 32 bits.
        let held: bool = session
            .conn
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted \
                 AND pid = pg_backend_pid() AND classid = 0 AND objid = $1::bigint::oid \
                 AND objsubid = 1)",
                &[&session.lock_id],
            )
            .await?
            .get(0);
        if held {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Migration,
                format!(
                    "the migration lock was taken by another server session than the one \
                     answering now, as happens through a pooler in transaction mode: \
                     {BEHIND_A_POOLER}"
                ),
            ))
        }
    }

    async fn run(&self, s: &mut Session, target: Target) -> Result<Vec<Applied>> {
        s.tables.ensure_version_table(&s.conn).await?;
        let current = s.tables.version(&s.conn).await?;
        let start = clean(current)?;
        let steps = plan::plan(&self.source, start, target)?;
        // The version before each step: where a failed file that applied nothing leaves it.
        let mut before = start.and_then(|v| i64::try_from(v).ok()).unwrap_or(-1);
        // Only when there is work, so a user without CREATE can run `up` to check that
        // nothing is pending.
        if self.config.history && !steps.is_empty() {
            s.tables.ensure_history_table(&s.conn).await?;
        }
        let mut applied = Vec::with_capacity(steps.len());
        for step in steps {
            self.check_stopped(applied.len())?;
            if let Some(progress) = &self.progress {
                progress(Progress::Started(&step));
            }
            #[cfg(feature = "instrument")]
            let span = crate::postgres::observe::migration_span(step.version, &step.direction);
            let step_run = async {
                let started = Instant::now();
                let file = self
                    .source
                    .migrations
                    .get(&step.version)
                    .and_then(|m| m.file(step.direction));
                // The dirty mark need not wait for its own disk flush: any later commit (the
                // file's, or the clean mark) flushes the log up to and past it, so the mark is
                // durable before anything the file does is, and a crash before then leaves the
                // previous clean version with none of the file applied.
                let dirty = format!(
                    "SET LOCAL synchronous_commit = off; {}",
                    s.tables.set_version_sql(step.target, true)
                );
                s.conn
                    .batch_execute(&dirty)
                    .await
                    .map_err(|e| e.context("cannot set the migration version"))?;
                if let Some(file) = file {
                    self.run_file(s, &step, before, &file.name, &file.sql)
                        .await?;
                }
                before = step.target;
                let took = started.elapsed();
                let mut done = s.tables.set_version_sql(step.target, false);
                if self.config.history {
                    done.push_str("; ");
                    done.push_str(&s.tables.history_sql(
                        &step,
                        file.map(|f| f.checksum.as_str()),
                        took,
                    ));
                }
                s.conn
                    .batch_execute(&done)
                    .await
                    .map_err(|e| e.context("cannot set the migration version"))?;
                Ok::<_, Error>(started)
            };
            #[cfg(feature = "instrument")]
            let step_run = tracing::Instrument::instrument(step_run, span.clone());
            let started = match step_run.await {
                Ok(started) => started,
                Err(e) => {
                    #[cfg(feature = "instrument")]
                    crate::postgres::observe::record_error(&span, &e);
                    return Err(e);
                }
            };
            let a = Applied {
                step,
                duration: started.elapsed(),
            };
            if let Some(progress) = &self.progress {
                progress(Progress::Finished(&a));
            }
            applied.push(a);
        }
        Ok(applied)
    }

    /// Sends a file as one simple-protocol batch, as golang-migrate does.
    async fn run_file(
        &self,
        s: &Session,
        step: &Step,
        before: i64,
        name: &str,
        sql: &str,
    ) -> Result<()> {
        if sql.trim().is_empty() {
            return Ok(());
        }
        let timeout = self
            .config
            .statement_timeout
            .or(self.conn.migrate.statement_timeout);
        match s.conn.run_file(sql, timeout).await {
            FileEnd::Answered(r) => {
                r.map_err(|e| failure::file_error(e, name, sql, before, step.target))
            }
            FileEnd::TimedOut => Err(Error::timeout(
                Timeout::Statement,
                format!(
                    "migration {name} ran longer than the statement timeout of {}{}",
                    fmt_duration(timeout.unwrap_or_default()),
                    failure::what_to_do(sql, before, step.target)
                ),
            )),
            FileEnd::Lost(why) => Err(Error::new(
                ErrorKind::Connection,
                format!(
                    "migration {name}: {why}; the database is marked dirty at version {}: \
                     check what the file applied, then force the version it is really at \
                     ({before} if none of it was applied, {} if all of it was)",
                    step.target, step.target
                ),
            )),
        }
    }
}

/// The clean version, or the refusal of a dirty database.
fn clean(current: Option<DbVersion>) -> Result<Option<u64>> {
    match current {
        None => Ok(None),
        Some(v) if v.dirty => Err(Error::new(
            ErrorKind::Migration,
            format!(
                "database is dirty at version {}: a migration failed; check what it applied, then force the version the database is really at (the version before it if none of it was applied, {} if all of it was)",
                v.version, v.version
            ),
        )),
        Some(v) => Ok(u64::try_from(v.version).ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirty_is_refused() {
        let e = clean(Some(DbVersion {
            version: 3,
            dirty: true,
        }))
        .unwrap_err();
        assert!(e.to_string().contains("dirty at version 3"), "{e}");
        assert!(e.to_string().contains("force"), "{e}");
        assert_eq!(clean(None).unwrap(), None);
    }
}
