//! Pool configuration.

use std::time::Duration;

use super::StatementMode;

/// How to open and keep PostgreSQL connections; the seed's `Config` plus the limits a
/// production pool needs. Every wait is bounded by default.
///
/// ```
/// use std::time::Duration;
/// use txova_db::postgres::Config;
///
/// let config = Config {
///     max_connections: 25,
///     min_connections: 5,
///     connect_timeout: Duration::from_secs(5),
///     ..Config::new("postgres://user:pass@localhost/txova")
/// };
/// assert_eq!(config.acquire_timeout, Duration::from_secs(30));
/// assert_eq!(config.query_timeout, Some(Duration::from_secs(30)));
/// ```
///
/// Fields are public so a configuration reads like the seed's; build one with struct update
/// syntax over [`Config::new`] so that fields added later take their defaults.
#[derive(Debug, Clone)]
pub struct Config {
    /// A `postgres://` URL or a `key=value` connection string. `sslmode` may be `disable`,
    /// `prefer` (the default), `require`, `verify-ca` or `verify-full`; `sslrootcert` names a
    /// PEM file of trusted roots for the verifying modes (the Mozilla roots otherwise).
    pub url: String,
    /// The most connections the pool opens. Default 10.
    pub max_connections: usize,
    /// Connections opened when the pool is created and kept open. Default 1, so a wrong URL
    /// or a dead server is reported by [`Pool::new`](super::Pool::new).
    pub min_connections: usize,
    /// How long opening one connection may take. Default 5 s.
    pub connect_timeout: Duration,
    /// How long [`Pool::get`](super::Pool::get) may take in all: waiting for a free
    /// connection, checking an idle one and opening a new one. Default 30 s.
    pub acquire_timeout: Duration,
    /// The server's `statement_timeout` for every statement; `None` keeps the server's.
    /// The server enforces it, so it cannot help when the network between is dead: that is
    /// what [`Config::query_timeout`] is for.
    pub statement_timeout: Option<Duration>,
    /// The client-side deadline of every statement: when it passes, the call returns a
    /// [`Timeout::Query`](crate::Timeout::Query) error at once, a cancel request is sent to
    /// the server and the connection is closed rather than reused. Transactions have one
    /// per statement, and may add one for the whole transaction
    /// ([`TxOptions::timeout`](super::TxOptions::timeout)). Default 30 s; `None` lets a
    /// statement wait as long as the network lets it. Override it for a scope with
    /// [`Pool::with_query_timeout`](super::Pool::with_query_timeout) or
    /// [`Connection::set_query_timeout`](super::Connection::set_query_timeout).
    pub query_timeout: Option<Duration>,
    /// TCP keepalive on every connection, so a peer that vanished is noticed even while
    /// idle. Default: first probe after 30 s idle, then every 10 s, dead after 3 unanswered;
    /// `None` turns keepalive off. The URL's `keepalives`, `keepalives_idle`,
    /// `keepalives_interval` and `keepalives_count` (libpq's names, in seconds) win over it.
    pub keepalive: Option<Keepalive>,
    /// How long sent data may stay unacknowledged before the OS closes the connection
    /// (`TCP_USER_TIMEOUT`, Linux). Default 30 s; `None` keeps the OS default. The URL's
    /// `tcp_user_timeout` (libpq's name, in milliseconds; 0 for the OS default) wins over it.
    pub tcp_user_timeout: Option<Duration>,
    /// Connections older than this are closed and replaced; each connection's limit is
    /// shortened by up to a tenth at random so they do not all expire at once.
    /// Default 30 min; `None` keeps connections forever.
    pub max_lifetime: Option<Duration>,
    /// Idle connections above `min_connections` are closed after this long. Default 10 min.
    pub idle_timeout: Option<Duration>,
    /// A connection idle for longer than this is checked with an empty query before it is
    /// handed out; one that does not answer within `connect_timeout` is closed and another
    /// is handed out. Default 30 s.
    pub health_check_period: Duration,
    /// Sent to the server as `application_name`, visible in `pg_stat_activity`.
    pub application_name: Option<String>,
    /// Whether named prepared statements go through each connection's cache (in
    /// [`StatementMode::Prepared`]). Default `true`.
    pub statement_cache: bool,
    /// How statements are sent. Default [`StatementMode::Prepared`]; behind a pooler in
    /// transaction mode (`PgBouncer` with `pool_mode = transaction`) use
    /// [`StatementMode::Unnamed`]. `statement_mode=unnamed` (or `prepared`) in the URL takes
    /// precedence over this field.
    ///
    /// In [`StatementMode::Unnamed`], `statement_timeout` is not sent when connecting (a
    /// pooler refuses startup options); it is set with `SET LOCAL` at the start of each
    /// transaction instead. Statements outside a transaction are then bounded by
    /// [`query_timeout`](Config::query_timeout) and by what the role or database sets
    /// (`ALTER ROLE app SET statement_timeout = '5s'`).
    pub statement_mode: StatementMode,
    /// Statements that take at least this long are logged at `warn` (target
    /// `txova_db::postgres::slow`) with their parameterized SQL, duration and rows; `None`
    /// logs none. Default 1 s. Needs the `instrument` feature.
    pub slow_statement_threshold: Option<Duration>,
    /// The `db.client.connection.pool.name` of the pool's metrics. Default
    /// `{host}:{port}/{database}`.
    pub pool_name: Option<String>,
}

impl Config {
    /// The defaults, connecting to `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Config {
            url: url.into(),
            max_connections: 10,
            min_connections: 1,
            connect_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(30),
            statement_timeout: None,
            query_timeout: Some(Duration::from_secs(30)),
            keepalive: Some(Keepalive::default()),
            tcp_user_timeout: Some(Duration::from_secs(30)),
            max_lifetime: Some(Duration::from_secs(30 * 60)),
            idle_timeout: Some(Duration::from_secs(10 * 60)),
            health_check_period: Duration::from_secs(30),
            application_name: None,
            statement_cache: true,
            statement_mode: StatementMode::Prepared,
            slow_statement_threshold: Some(Duration::from_secs(1)),
            pool_name: None,
        }
    }
}

/// TCP keepalive settings: see [`Config::keepalive`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    /// Idle time before the first probe. Default 30 s.
    pub idle: Duration,
    /// Time between probes. Default 10 s.
    pub interval: Duration,
    /// Unanswered probes before the connection is declared dead. Default 3.
    pub retries: u32,
}

impl Default for Keepalive {
    fn default() -> Self {
        Keepalive {
            idle: Duration::from_secs(30),
            interval: Duration::from_secs(10),
            retries: 3,
        }
    }
}

impl Default for Config {
    /// The defaults, connecting to `postgres://localhost/postgres`.
    fn default() -> Self {
        Config::new("postgres://localhost/postgres")
    }
}
