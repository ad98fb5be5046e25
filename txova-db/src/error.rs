//! The one error type of the crate.
//!
//! Callers ask an [`Error`] questions ([`Error::kind`], [`Error::code`],
//! [`Error::constraint`], [`Error::is_retryable`], ...) instead of matching on its insides. The
//! message is complete on its own: when it already carries the cause (a server's message), the
//! cause is not returned again by [`std::error::Error::source`].

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use tokio_postgres::error::SqlState;

/// A specialised `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong, in the terms a caller acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A query that must return a row returned none.
    NotFound,
    /// A unique or primary-key constraint was violated (SQLSTATE 23505).
    Duplicate,
    /// A foreign-key constraint was violated (SQLSTATE 23503).
    ForeignKey,
    /// A check constraint was violated (SQLSTATE 23514).
    Check,
    /// A `NOT NULL` constraint was violated (SQLSTATE 23502).
    NotNull,
    /// A serialization failure or deadlock (SQLSTATE 40001 or 40P01): retry the transaction.
    Serialization,
    /// The server could not be reached, refused us, or the connection broke.
    Connection,
    /// Something took longer than allowed; [`Error::timeout_kind`] says what.
    Timeout,
    /// The pool was closed with [`crate::postgres::Pool::close`].
    PoolClosed,
    /// The configuration is wrong: a malformed URL, an impossible setting.
    Config,
    /// A value could not be converted from what the server or the cache returned.
    Decode,
    /// A value could not be converted into what the server or the cache accepts.
    Encode,
    /// An argument was invalid: an empty key, a zero limit, a wrong placeholder count.
    InvalidInput,
    /// Any other error reported by the PostgreSQL server; [`Error::code`] has its SQLSTATE.
    Database,
    /// An error reported by Redis that is not a connection or timeout problem.
    Redis,
    /// A migration could not be read or applied, or the database is dirty.
    Migration,
    /// A distributed lock was held by someone else, or was lost while the work ran.
    Lock,
    /// An error made by the application with [`Error::custom`], such as a business rule that
    /// aborts a transaction; [`Error::downcast_ref`] returns it.
    Custom,
    /// A computation that several callers of
    /// [`Cache::get_or_set`](crate::redis::Cache::get_or_set) shared (in this process or,
    /// with a lease, in another one) failed; the message says which key and why.
    ComputeFailed,
    /// The operating system's random generator failed; nothing that needs randomness (a
    /// session id, a lock token) can be made until it works again.
    RandomSource,
    /// A lock inside this process was poisoned: a thread panicked while holding it.
    Poisoned,
}

impl ErrorKind {
    fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not found",
            ErrorKind::Duplicate => "duplicate",
            ErrorKind::ForeignKey => "foreign key violation",
            ErrorKind::Check => "check violation",
            ErrorKind::NotNull => "not-null violation",
            ErrorKind::Serialization => "serialization failure",
            ErrorKind::Connection => "connection error",
            ErrorKind::Timeout => "timeout",
            ErrorKind::PoolClosed => "pool closed",
            ErrorKind::Config => "configuration error",
            ErrorKind::Decode => "decode error",
            ErrorKind::Encode => "encode error",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::Database => "database error",
            ErrorKind::Redis => "redis error",
            ErrorKind::Migration => "migration error",
            ErrorKind::Lock => "lock error",
            ErrorKind::Custom => "application error",
            ErrorKind::ComputeFailed => "shared computation failed",
            ErrorKind::RandomSource => "random source failure",
            ErrorKind::Poisoned => "poisoned lock",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which wait ran out, for an error of kind [`ErrorKind::Timeout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Timeout {
    /// Opening a connection took longer than the connect timeout.
    Connect,
    /// No pooled connection became free within the acquire timeout.
    Acquire,
    /// The server cancelled a statement at its `statement_timeout` (SQLSTATE 57014).
    Statement,
    /// A Redis command got no answer within the response timeout.
    Response,
    /// A lock (advisory or distributed) was not obtained within the wait allowed.
    Lock,
    /// Closing a pool took longer than allowed while connections were still in use.
    Close,
    /// A statement or transaction passed its client-side deadline
    /// ([`Config::query_timeout`](crate::postgres::Config::query_timeout)): the statement was
    /// cancelled on the server and its connection closed.
    Query,
}

/// The fields a PostgreSQL server attaches to an error it reports.
#[derive(Debug, Clone, Default)]
struct DbFields {
    code: String,
    schema: Option<String>,
    table: Option<String>,
    column: Option<String>,
    constraint: Option<String>,
    detail: Option<String>,
    position: Option<u32>,
}

/// The error of every fallible operation in `txova-db`.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: Cow<'static, str>,
    timeout: Option<Timeout>,
    db: Option<DbFields>,
    source: Option<BoxError>,
    /// Nothing of the statement reached the server, so running it again cannot run it twice.
    safe_to_retry: bool,
}

impl Error {
    /// An error of `kind` whose message says everything; it has no source.
    pub(crate) fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                timeout: None,
                db: None,
                source: None,
                safe_to_retry: false,
            }),
        }
    }

    /// An error of `kind` with our message and the underlying cause as its source.
    pub(crate) fn with_source(
        kind: ErrorKind,
        message: impl Into<Cow<'static, str>>,
        source: impl Into<BoxError>,
    ) -> Self {
        let mut e = Error::new(kind, message);
        e.inner.source = Some(source.into());
        e
    }

    /// A timeout error saying which wait ran out.
    pub(crate) fn timeout(which: Timeout, message: impl Into<Cow<'static, str>>) -> Self {
        let mut e = Error::new(ErrorKind::Timeout, message);
        e.inner.timeout = Some(which);
        e
    }

    /// A [`ErrorKind::NotFound`] error.
    pub(crate) fn not_found() -> Self {
        Error::new(ErrorKind::NotFound, "query returned no rows")
    }

    /// A [`ErrorKind::Config`] error.
    pub(crate) fn config(message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    /// An [`ErrorKind::RandomSource`] error: the OS generator failed.
    pub(crate) fn random_source(e: getrandom::Error) -> Self {
        Error::new(
            ErrorKind::RandomSource,
            format!("the operating system's random source failed: {e}"),
        )
    }

    /// An [`ErrorKind::Poisoned`] error about `what` (`"the cache's flight table"`).
    pub(crate) fn poisoned(what: &str) -> Self {
        Error::new(
            ErrorKind::Poisoned,
            format!("{what} is poisoned: a thread panicked while holding it"),
        )
    }

    /// An [`ErrorKind::InvalidInput`] error.
    pub(crate) fn invalid_input(message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::InvalidInput, message)
    }

    /// An error of the application's own, of kind [`ErrorKind::Custom`]: return it from the
    /// closure of [`with_tx`](crate::postgres::with_tx) to roll the transaction back for a
    /// business reason, and get it back with [`Error::downcast_ref`]. It is transparent: its
    /// message is the application error's own, and `source()` is that error's cause, so
    /// every layer that quotes it (a shared `get_or_set` failure, a log line) says why.
    ///
    /// ```
    /// use txova_db::{Error, ErrorKind};
    ///
    /// #[derive(Debug)]
    /// struct InsufficientBalance;
    ///
    /// impl std::fmt::Display for InsufficientBalance {
    ///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    ///         f.write_str("insufficient balance")
    ///     }
    /// }
    ///
    /// impl std::error::Error for InsufficientBalance {}
    ///
    /// let e = Error::custom(InsufficientBalance);
    /// assert_eq!(e.kind(), ErrorKind::Custom);
    /// assert_eq!(e.to_string(), "insufficient balance");
    /// assert!(e.downcast_ref::<InsufficientBalance>().is_some());
    /// ```
    pub fn custom(error: impl Into<BoxError>) -> Self {
        Error::with_source(ErrorKind::Custom, ErrorKind::Custom.as_str(), error)
    }

    /// The error's cause if it is an `E`: the application's error given to
    /// [`Error::custom`], or a driver's error.
    #[must_use]
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.inner
            .source
            .as_deref()
            .and_then(|s| s.downcast_ref::<E>())
    }

    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// For a [`ErrorKind::Timeout`], which wait ran out.
    #[must_use]
    pub fn timeout_kind(&self) -> Option<Timeout> {
        self.inner.timeout
    }

    /// Whether this is a [`ErrorKind::Timeout`].
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// Whether this is a [`ErrorKind::NotFound`].
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        self.inner.kind == ErrorKind::NotFound
    }

    /// Whether this is a [`ErrorKind::Connection`] error.
    #[must_use]
    pub fn is_connection(&self) -> bool {
        self.inner.kind == ErrorKind::Connection
    }

    /// Whether running the same transaction again may succeed: a serialization failure or a
    /// deadlock.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.inner.kind == ErrorKind::Serialization
    }

    /// Whether the failed call certainly did not run its statement on the server, so calling
    /// again cannot apply it twice (pgx's `SafeToRetry`): no connection could be had, the
    /// transaction never began, or a value was refused before anything was sent.
    ///
    /// `false` does not mean the statement ran: a [`ErrorKind::Connection`] error while a
    /// statement or a `COMMIT` was on its way leaves the outcome unknown, and only reading
    /// the data again tells. Errors the server reported are `false` too: the statement ran
    /// and failed (see [`Error::is_retryable`] for serialization failures).
    #[must_use]
    pub fn is_safe_to_retry(&self) -> bool {
        self.inner.safe_to_retry
    }

    /// Marks the error as raised before anything of the statement was sent.
    pub(crate) fn not_sent(mut self) -> Self {
        self.inner.safe_to_retry = true;
        self
    }

    /// The SQLSTATE code the PostgreSQL server reported, such as `"23505"`.
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        // Fields named by the client (a COPY's bad value) come without a SQLSTATE.
        self.inner
            .db
            .as_ref()
            .map(|d| d.code.as_str())
            .filter(|c| !c.is_empty())
    }

    /// The name of the violated constraint, as the server reported it.
    #[must_use]
    pub fn constraint(&self) -> Option<&str> {
        self.db_field(|d| d.constraint.as_deref())
    }

    /// The table the server's error concerns.
    #[must_use]
    pub fn table(&self) -> Option<&str> {
        self.db_field(|d| d.table.as_deref())
    }

    /// The column the server's error concerns.
    #[must_use]
    pub fn column(&self) -> Option<&str> {
        self.db_field(|d| d.column.as_deref())
    }

    /// The schema the server's error concerns.
    #[must_use]
    pub fn schema(&self) -> Option<&str> {
        self.db_field(|d| d.schema.as_deref())
    }

    /// The server's detail line, such as `Key (email)=(a@b.c) already exists.`
    #[must_use]
    pub fn detail(&self) -> Option<&str> {
        self.db_field(|d| d.detail.as_deref())
    }

    /// The 1-based character position in the statement where the server found the error.
    #[must_use]
    pub fn position(&self) -> Option<u32> {
        self.inner.db.as_ref().and_then(|d| d.position)
    }

    fn db_field<'a>(&'a self, f: impl FnOnce(&'a DbFields) -> Option<&'a str>) -> Option<&'a str> {
        self.inner.db.as_ref().and_then(f)
    }

    /// Replaces kind and message, keeping the server's fields and the source.
    pub(crate) fn reframe(
        mut self,
        kind: ErrorKind,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        if kind != ErrorKind::Timeout {
            self.inner.timeout = None;
        }
        self.inner.kind = kind;
        self.inner.message = message.into();
        self
    }

    /// Names the table and column the error concerns, as a server's error would.
    pub(crate) fn with_column(mut self, table: &str, column: &str) -> Self {
        let db = self.inner.db.get_or_insert_with(DbFields::default);
        db.table = Some(table.to_owned());
        db.column = Some(column.to_owned());
        self
    }

    /// A copy to hand to another caller: kind, message, timeout and server fields; the source,
    /// which cannot be copied, is folded into the message.
    pub(crate) fn echo(&self) -> Self {
        let message = match &self.inner.source {
            Some(source) => format!("{}: {source}", self.inner.message),
            None => self.inner.message.to_string(),
        };
        let mut e = Error::new(self.inner.kind, message);
        e.inner.timeout = self.inner.timeout;
        e.inner.db.clone_from(&self.inner.db);
        e
    }

    /// A copy for another caller that shares this outcome (a `get_or_set` flight): kind,
    /// message, timeout kind, server fields and retry safety; the source, which cannot be copied, is
    /// written into the message instead, so the cause is still shown once.
    pub(crate) fn share(&self) -> Self {
        let message = match &self.inner.source {
            Some(source) => Cow::Owned(format!("{}: {source}", self.inner.message)),
            None => self.inner.message.clone(),
        };
        Error {
            inner: Box::new(Inner {
                kind: self.inner.kind,
                message,
                timeout: self.inner.timeout,
                db: self.inner.db.clone(),
                source: None,
                safe_to_retry: self.inner.safe_to_retry,
            }),
        }
    }

    /// Prefixes the message with context, keeping kind, fields and source.
    pub(crate) fn context(mut self, context: impl fmt::Display) -> Self {
        self.inner.message = Cow::Owned(format!("{context}: {}", self.inner.message));
        self
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind)
            .field("message", &self.inner.message);
        if let Some(t) = self.inner.timeout {
            d.field("timeout", &t);
        }
        if let Some(db) = &self.inner.db {
            d.field("db", db);
        }
        if let Some(s) = &self.inner.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl Error {
    /// The application's error inside an [`ErrorKind::Custom`] one, which stands in its place.
    fn transparent(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match self.inner.kind {
            ErrorKind::Custom => self.inner.source.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.transparent() {
            Some(inner) => fmt::Display::fmt(inner, f),
            None => f.write_str(&self.inner.message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        if let Some(inner) = self.transparent() {
            return inner.source();
        }
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<BoxError> for Error {
    /// An application error: the same as [`Error::custom`].
    fn from(error: BoxError) -> Self {
        Error::custom(error)
    }
}

fn kind_for_sqlstate(code: &SqlState) -> ErrorKind {
    match *code {
        SqlState::UNIQUE_VIOLATION => ErrorKind::Duplicate,
        SqlState::FOREIGN_KEY_VIOLATION => ErrorKind::ForeignKey,
        SqlState::CHECK_VIOLATION => ErrorKind::Check,
        SqlState::NOT_NULL_VIOLATION => ErrorKind::NotNull,
        SqlState::T_R_SERIALIZATION_FAILURE | SqlState::T_R_DEADLOCK_DETECTED => {
            ErrorKind::Serialization
        }
        SqlState::QUERY_CANCELED => ErrorKind::Timeout,
        // The server could not read a parameter as the type it inferred for it.
        SqlState::INVALID_BINARY_REPRESENTATION => ErrorKind::Encode,
        SqlState::ADMIN_SHUTDOWN
        | SqlState::CRASH_SHUTDOWN
        | SqlState::CANNOT_CONNECT_NOW
        | SqlState::TOO_MANY_CONNECTIONS
        | SqlState::INVALID_PASSWORD
        | SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        | SqlState::INVALID_CATALOG_NAME => ErrorKind::Connection,
        ref c if c.code().starts_with("08") => ErrorKind::Connection,
        _ => ErrorKind::Database,
    }
}

/// The kind of a server's error, given its severity too: a protocol violation reported as a
/// plain `ERROR` (a `Bind` with the wrong number of values, say) leaves the connection usable
/// and is the caller's mistake; the same code as `FATAL` ends the connection.
fn kind_for_db_error(db: &tokio_postgres::error::DbError) -> ErrorKind {
    use tokio_postgres::error::Severity;
    if *db.code() == SqlState::PROTOCOL_VIOLATION && db.parsed_severity() == Some(Severity::Error) {
        return ErrorKind::InvalidInput;
    }
    kind_for_sqlstate(db.code())
}

/// An error and its causes on one line, each said once: the driver's errors often wrap a
/// cause whose text is their own again.
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut last = out.clone();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !text.is_empty() && text != last && !last.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        last = text;
        cause = c.source();
    }
    out
}

/// The first cause of type `T` in `e`'s chain, `e` included.
fn find<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(t) = c.downcast_ref::<T>() {
            return Some(t);
        }
        cause = c.source();
    }
    None
}

impl Error {
    /// The error of opening a connection: whatever the driver says (a refused TLS
    /// handshake, a missing password, an unreachable host), it is a [`ErrorKind::Connection`]
    /// (or a connect [`ErrorKind::Timeout`]) and its message keeps the driver's reason.
    /// Nothing of any statement was sent.
    pub(crate) fn connecting(e: tokio_postgres::Error) -> Self {
        let err = if e.as_db_error().is_some() {
            Error::from(e)
        } else if find::<std::io::Error>(&e)
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            Error::timeout(
                Timeout::Connect,
                format!("connect timed out: {}", chain(&e)),
            )
        } else {
            Error::new(ErrorKind::Connection, chain(&e))
        };
        let err = if err.kind() == ErrorKind::Timeout {
            err
        } else {
            err.context("could not connect")
        };
        err.not_sent()
    }
}

impl From<tokio_postgres::Error> for Error {
    /// Classifies the driver's error from its types: the server's SQLSTATE and severity, a
    /// closed connection, an I/O or TLS failure below it, a value the driver could not read;
    /// never from its text. The message says the driver's reason with each cause once.
    fn from(e: tokio_postgres::Error) -> Self {
        if let Some(db) = e.as_db_error() {
            let code = db.code();
            let kind = kind_for_db_error(db);
            let mut message = match kind {
                ErrorKind::Database => {
                    format!("{}: {}", db.severity().to_lowercase(), db.message())
                }
                _ => format!("{kind}: {}", db.message()),
            };
            if let Some(detail) = db.detail() {
                message.push_str(" (");
                message.push_str(detail);
                message.push(')');
            }
            if matches!(
                *code,
                SqlState::INVALID_SQL_STATEMENT_NAME | SqlState::DUPLICATE_PSTATEMENT
            ) {
                // The statements in question are this crate's own named ones.
                message.push_str(
                    "; a pooler in transaction mode (PgBouncer pool_mode=transaction) does not \
                     keep prepared statements: add statement_mode=unnamed to the url",
                );
            }
            let mut err = Error::new(kind, message);
            if kind == ErrorKind::Timeout {
                err.inner.timeout = Some(Timeout::Statement);
            }
            err.inner.db = Some(DbFields {
                code: code.code().to_owned(),
                schema: db.schema().map(str::to_owned),
                table: db.table().map(str::to_owned),
                column: db
                    .column()
                    .or_else(|| db.detail().and_then(key_columns))
                    .map(str::to_owned),
                constraint: db.constraint().map(str::to_owned),
                detail: db.detail().map(str::to_owned),
                position: match db.position() {
                    Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p),
                    _ => None,
                },
            });
            return err;
        }
        if e.is_closed() {
            return Error::new(ErrorKind::Connection, "connection closed");
        }
        if let Some(io) = find::<std::io::Error>(&e) {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return Error::timeout(Timeout::Connect, format!("timed out: {}", chain(&e)));
            }
            return Error::new(ErrorKind::Connection, chain(&e));
        }
        if find::<rustls::Error>(&e).is_some() {
            return Error::new(ErrorKind::Connection, chain(&e));
        }
        if find::<tokio_postgres::types::WrongType>(&e).is_some()
            || find::<tokio_postgres::types::WasNull>(&e).is_some()
        {
            return Error::new(ErrorKind::Decode, chain(&e));
        }
        // What is left has no cause below it (a column that does not exist, a row or column
        // count that does not fit: the caller's mistake, the connection is fine) or a cause
        // of the value's own (a `FromSql` implementation's error). Values are encoded, and
        // connections opened, on paths that classify their errors themselves.
        let kind = if std::error::Error::source(&e).is_some() {
            ErrorKind::Decode
        } else {
            ErrorKind::InvalidInput
        };
        Error::new(kind, chain(&e))
    }
}

/// The column list of a key violation's detail, `Key (a, b)=(1, 2) already exists.`: the
/// server names no column for unique and foreign-key violations, only this.
fn key_columns(detail: &str) -> Option<&str> {
    let rest = detail.strip_prefix("Key (")?;
    let end = rest.find(")=(")?;
    Some(&rest[..end])
}

impl From<redis::RedisError> for Error {
    fn from(e: redis::RedisError) -> Self {
        if e.is_timeout() {
            return Error::timeout(
                Timeout::Response,
                "redis did not answer within the response timeout",
            );
        }
        if e.is_connection_refusal() {
            return Error::with_source(ErrorKind::Connection, "redis refused the connection", e);
        }
        if e.is_io_error() || e.is_connection_dropped() {
            return Error::with_source(ErrorKind::Connection, "redis connection error", e);
        }
        match e.kind() {
            redis::ErrorKind::Server(redis::ServerErrorKind::ClusterDown) => Error::new(
                ErrorKind::Connection,
                "the redis cluster is down (clusterdown): a primary is unreachable and no replica took over",
            ),
            redis::ErrorKind::Server(redis::ServerErrorKind::MasterDown) => Error::new(
                ErrorKind::Connection,
                "the redis node's primary is down (masterdown)",
            ),
            redis::ErrorKind::Server(redis::ServerErrorKind::BusyLoading) => Error::new(
                ErrorKind::Connection,
                "redis is loading its data set (loading)",
            ),
            redis::ErrorKind::ClusterConnectionNotFound => Error::with_source(
                ErrorKind::Connection,
                "no connection to the redis cluster node that owns the key",
                e,
            ),
            redis::ErrorKind::AuthenticationFailed => Error::new(
                ErrorKind::Connection,
                "redis refused the credentials: the password (or user) is wrong or missing",
            ),
            redis::ErrorKind::InvalidClientConfig => {
                Error::with_source(ErrorKind::Config, "invalid redis configuration", e)
            }
            redis::ErrorKind::UnexpectedReturnType | redis::ErrorKind::Parse => {
                Error::with_source(ErrorKind::Decode, "unexpected reply from redis", e)
            }
            _ => Error::new(
                ErrorKind::Redis,
                format!("redis: {}", e.to_string().to_lowercase()),
            ),
        }
    }
}

/// Formats a duration for messages: `250ms`, `5s`.
pub(crate) fn fmt_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_copy_keeps_what_a_caller_asks_and_shows_the_cause_once() {
        use std::error::Error as _;
        let cause = std::io::Error::other("connection reset by peer");
        let e = Error::with_source(ErrorKind::Connection, "redis connection error", cause);
        let copy = e.share();
        assert_eq!(copy.kind(), ErrorKind::Connection);
        assert_eq!(
            copy.to_string(),
            "redis connection error: connection reset by peer"
        );
        assert!(copy.source().is_none());
        let t = Error::timeout(Timeout::Response, "redis did not answer within 1s");
        let copy = t.share();
        assert_eq!(copy.timeout_kind(), Some(Timeout::Response));
        assert_eq!(copy.to_string(), t.to_string());
    }

    #[test]
    fn sqlstate_kinds() {
        let kind = |c: &str| kind_for_sqlstate(&SqlState::from_code(c));
        assert_eq!(kind("23505"), ErrorKind::Duplicate);
        assert_eq!(kind("23503"), ErrorKind::ForeignKey);
        assert_eq!(kind("40P01"), ErrorKind::Serialization);
        assert_eq!(kind("08006"), ErrorKind::Connection);
        assert_eq!(kind("57P01"), ErrorKind::Connection);
        assert_eq!(kind("42P01"), ErrorKind::Database);
        assert_eq!(kind("22P03"), ErrorKind::Encode);
    }

    #[test]
    fn a_failed_random_source_and_a_poisoned_lock_have_their_own_kinds() {
        let e = Error::random_source(getrandom::Error::UNSUPPORTED);
        assert_eq!(e.kind(), ErrorKind::RandomSource);
        assert!(e.to_string().contains("random source failed"), "{e}");
        let e = Error::poisoned("the cache's flight table");
        assert_eq!(e.kind(), ErrorKind::Poisoned);
        assert_ne!(e.kind(), ErrorKind::Redis);
    }

    #[test]
    fn a_chain_says_each_cause_once() {
        #[derive(Debug)]
        struct Wrap(&'static str, Option<std::io::Error>);
        impl fmt::Display for Wrap {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for Wrap {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.1.as_ref().map(|e| e as _)
            }
        }
        let e = Wrap("could not read", Some(std::io::Error::other("disk gone")));
        assert_eq!(chain(&e), "could not read: disk gone");
        let e = Wrap("disk gone", Some(std::io::Error::other("disk gone")));
        assert_eq!(chain(&e), "disk gone");
    }

    #[test]
    fn a_custom_error_stands_in_for_the_applications_error() {
        #[derive(Debug)]
        struct Refused(std::io::Error);
        impl fmt::Display for Refused {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the payment was refused")
            }
        }
        impl std::error::Error for Refused {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = Error::custom(Refused(std::io::Error::other("card expired")));
        assert_eq!(e.kind(), ErrorKind::Custom);
        // The application's message, then its own cause, each once.
        assert_eq!(e.to_string(), "the payment was refused");
        assert_eq!(
            std::error::Error::source(&e).map(ToString::to_string),
            Some("card expired".to_owned())
        );
        assert!(e.downcast_ref::<Refused>().is_some());
        assert_eq!(
            Error::custom("rider cancelled").to_string(),
            "rider cancelled"
        );
    }

    #[test]
    fn message_and_source_are_not_repeated() {
        let io = std::io::Error::other("boom");
        let e = Error::with_source(ErrorKind::Connection, "could not connect", io);
        assert_eq!(e.to_string(), "could not connect");
        assert_eq!(std::error::Error::source(&e).unwrap().to_string(), "boom");
        let e = Error::new(ErrorKind::NotFound, "query returned no rows");
        assert!(std::error::Error::source(&e).is_none());
    }

    #[test]
    fn key_columns_come_from_the_detail() {
        assert_eq!(
            key_columns("Key (email)=(a@b.c) already exists."),
            Some("email")
        );
        assert_eq!(
            key_columns("Key (org_id, slug)=(1, x) is not present in table \"orgs\"."),
            Some("org_id, slug")
        );
        assert_eq!(key_columns("Failing row contains (1, null)."), None);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(fmt_duration(Duration::from_secs(5)), "5s");
        assert_eq!(fmt_duration(Duration::from_millis(250)), "250ms");
    }
    #[test]
    fn every_kind_reads_as_its_own_lowercase_words() {
        let kinds = [
            ErrorKind::NotFound,
            ErrorKind::Duplicate,
            ErrorKind::ForeignKey,
            ErrorKind::Check,
            ErrorKind::NotNull,
            ErrorKind::Serialization,
            ErrorKind::Connection,
            ErrorKind::Timeout,
            ErrorKind::PoolClosed,
            ErrorKind::Config,
            ErrorKind::Decode,
            ErrorKind::Encode,
            ErrorKind::InvalidInput,
            ErrorKind::Database,
            ErrorKind::Redis,
            ErrorKind::Migration,
            ErrorKind::Lock,
            ErrorKind::Custom,
            ErrorKind::ComputeFailed,
            ErrorKind::RandomSource,
            ErrorKind::Poisoned,
        ];
        let words: std::collections::HashSet<String> =
            kinds.iter().map(ToString::to_string).collect();
        assert_eq!(words.len(), kinds.len(), "two kinds read alike: {words:?}");
        for w in &words {
            assert!(!w.is_empty() && *w == w.to_lowercase(), "{w:?}");
        }
        assert_eq!(ErrorKind::PoolClosed.to_string(), "pool closed");
        assert_eq!(ErrorKind::Config.to_string(), "configuration error");
    }

    #[test]
    fn debug_shows_the_fields_a_caller_asks_for() {
        let e = Error::timeout(Timeout::Acquire, "no connection within 1s");
        let text = format!("{e:?}");
        assert!(
            text.contains("kind: Timeout") && text.contains("timeout: Acquire"),
            "{text}"
        );
        assert!(!text.contains("source"), "{text}");
        let e = Error::with_source(
            ErrorKind::Connection,
            "redis connection error",
            std::io::Error::other("reset by peer"),
        );
        let text = format!("{e:?}");
        assert!(
            text.contains("source") && text.contains("reset by peer"),
            "{text}"
        );
        let mut e = Error::new(ErrorKind::Duplicate, "duplicate: key exists");
        e.inner.db = Some(DbFields {
            code: "23505".to_owned(),
            constraint: Some("users_email_key".to_owned()),
            ..DbFields::default()
        });
        let text = format!("{e:?}");
        assert!(
            text.contains("db:") && text.contains("users_email_key"),
            "{text}"
        );
    }

    #[test]
    fn an_echo_keeps_kind_timeout_and_fields_and_says_the_cause_once() {
        use std::error::Error as _;
        let mut e = Error::with_source(
            ErrorKind::Connection,
            "could not connect",
            std::io::Error::other("connection refused"),
        );
        e.inner.db = Some(DbFields {
            code: "08006".to_owned(),
            ..DbFields::default()
        });
        let copy = e.echo();
        assert_eq!(copy.kind(), ErrorKind::Connection);
        assert_eq!(copy.to_string(), "could not connect: connection refused");
        assert!(copy.source().is_none());
        assert_eq!(copy.code(), Some("08006"));
        let t = Error::timeout(Timeout::Connect, "connect timed out").echo();
        assert_eq!(t.timeout_kind(), Some(Timeout::Connect));
        assert_eq!(t.to_string(), "connect timed out");
    }

    #[test]
    fn redis_client_side_failures_have_their_kinds() {
        let e = Error::from(redis::RedisError::from((
            redis::ErrorKind::UnexpectedReturnType,
            "response was of incompatible type",
        )));
        assert_eq!(e.kind(), ErrorKind::Decode);
        assert_eq!(e.to_string(), "unexpected reply from redis");
        assert!(std::error::Error::source(&e).is_some());
        let e = Error::from(redis::RedisError::from((
            redis::ErrorKind::ClusterConnectionNotFound,
            "no connection for slot",
        )));
        assert_eq!(e.kind(), ErrorKind::Connection);
    }
}
