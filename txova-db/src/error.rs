//! The one error type of the crate.
//!
//! Callers ask an [`Error`] questions ([`Error::kind`], [`Error::code`],
//! [`Error::constraint`], [`Error::is_retryable`], ...) instead of matching on its insides. The
//! message is complete on its own: when it already carries the cause (a server's message), the
//! cause is not returned again by [`std::error::Error::source`].

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

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

    /// An [`ErrorKind::InvalidInput`] error.
    pub(crate) fn invalid_input(message: impl Into<Cow<'static, str>>) -> Self {
        Error::new(ErrorKind::InvalidInput, message)
    }

    /// An error of the application's own, of kind [`ErrorKind::Custom`]: return it from the
    /// closure of [`with_tx`](crate::postgres::with_tx) to roll the transaction back for a
    /// business reason, and get it back with [`Error::downcast_ref`].
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
    /// assert_eq!(e.to_string(), "application error");
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

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
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

fn kind_for_sqlstate(code: &str) -> ErrorKind {
    match code {
        "23505" => ErrorKind::Duplicate,
        "23503" => ErrorKind::ForeignKey,
        "23514" => ErrorKind::Check,
        "23502" => ErrorKind::NotNull,
        "40001" | "40P01" => ErrorKind::Serialization,
        "57014" => ErrorKind::Timeout,
        // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections,
        // invalid_password, invalid_authorization_specification, invalid_catalog_name
        "57P01" | "57P02" | "57P03" | "53300" | "28P01" | "28000" | "3D000" => {
            ErrorKind::Connection
        }
        c if c.starts_with("08") => ErrorKind::Connection,
        _ => ErrorKind::Database,
    }
}

impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Self {
        if let Some(db) = e.as_db_error() {
            let code = db.code().code();
            let kind = kind_for_sqlstate(code);
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
            let mut err = Error::new(kind, message);
            if kind == ErrorKind::Timeout {
                err.inner.timeout = Some(Timeout::Statement);
            }
            err.inner.db = Some(DbFields {
                code: code.to_owned(),
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
            return Error::with_source(ErrorKind::Connection, "connection closed", e);
        }
        let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&e);
        while let Some(c) = cause {
            if c.is::<std::io::Error>() {
                return Error::with_source(ErrorKind::Connection, "connection error", e);
            }
            cause = c.source();
        }
        let text = e.to_string();
        if text.starts_with("error serializing") || text.starts_with("error deserializing") {
            let kind = if text.starts_with("error serializing") {
                ErrorKind::Encode
            } else {
                ErrorKind::Decode
            };
            return Error::with_source(kind, text, e);
        }
        if text.contains("timeout") || text.contains("timed out") {
            let mut err = Error::with_source(ErrorKind::Timeout, "connect timed out", e);
            err.inner.timeout = Some(Timeout::Connect);
            return err;
        }
        Error::with_source(ErrorKind::Connection, "postgres error", e)
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
            redis::ErrorKind::ClusterConnectionNotFound
            | redis::ErrorKind::AuthenticationFailed
            | redis::ErrorKind::Server(
                redis::ServerErrorKind::ClusterDown
                | redis::ServerErrorKind::MasterDown
                | redis::ServerErrorKind::BusyLoading,
            ) => Error::with_source(ErrorKind::Connection, "redis is not available", e),
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
    fn sqlstate_kinds() {
        assert_eq!(kind_for_sqlstate("23505"), ErrorKind::Duplicate);
        assert_eq!(kind_for_sqlstate("23503"), ErrorKind::ForeignKey);
        assert_eq!(kind_for_sqlstate("40P01"), ErrorKind::Serialization);
        assert_eq!(kind_for_sqlstate("08006"), ErrorKind::Connection);
        assert_eq!(kind_for_sqlstate("42P01"), ErrorKind::Database);
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
}
