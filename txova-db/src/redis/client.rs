//! The one Redis handle every feature takes: a single node behind a reconnecting multiplexed
//! connection, or a Redis Cluster reached from seed nodes.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, FromRedisValue, RedisFuture, Value};

use super::observe::{self, Op};
use crate::error::{Error, ErrorKind, Result, fmt_duration};

/// How to reach Redis, with the waits every command is bounded by.
///
/// ```
/// use std::time::Duration;
/// use txova_db::redis::Config;
///
/// let single = Config::new("redis://127.0.0.1:6379")
///     .prefix("rides:")
///     .response_timeout(Duration::from_millis(500));
/// let cluster = Config::cluster(["redis://10.0.0.1:6379", "redis://10.0.0.2:6379"]);
/// assert_eq!(single.get_prefix(), "rides:");
/// assert!(cluster.is_cluster());
/// ```
#[derive(Clone)]
pub struct Config {
    nodes: Vec<String>,
    cluster: bool,
    prefix: String,
    connect_timeout: Duration,
    response_timeout: Duration,
    tls_root_cert: Option<PathBuf>,
    record_full_keys: bool,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("nodes", &redacted(&self.nodes))
            .field("cluster", &self.cluster)
            .field("prefix", &self.prefix)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("tls_root_cert", &self.tls_root_cert)
            .field("record_full_keys", &self.record_full_keys)
            .finish()
    }
}

impl Config {
    /// One Redis server at `url` (`redis://[user:pass@]host:port[/db]`, or `rediss://...`
    /// for TLS).
    pub fn new(url: impl Into<String>) -> Config {
        Config {
            nodes: vec![url.into()],
            cluster: false,
            prefix: String::new(),
            connect_timeout: Duration::from_secs(2),
            response_timeout: Duration::from_secs(1),
            tls_root_cert: None,
            record_full_keys: false,
        }
    }

    /// A Redis Cluster, discovered from one or more of its nodes.
    pub fn cluster<I, S>(seed_nodes: I) -> Config
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Config {
            nodes: seed_nodes.into_iter().map(Into::into).collect(),
            cluster: true,
            ..Config::new(String::new())
        }
    }

    /// A namespace put in front of every key this client's features write, such as
    /// `"rides:"`. It may not contain `{` or `}`, which would change the cluster slot of keys.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Config {
        self.prefix = prefix.into();
        self
    }

    /// How long opening a connection may take. Default 2 s. An unreachable server is a
    /// [`ErrorKind::Connection`] error within this time.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Config {
        self.connect_timeout = timeout;
        self
    }

    /// How long any one command may wait for its answer. Default 1 s. Running out is a
    /// [`ErrorKind::Timeout`] error with [`Timeout::Response`](crate::Timeout::Response).
    #[must_use]
    pub fn response_timeout(mut self, timeout: Duration) -> Config {
        self.response_timeout = timeout;
        self
    }

    /// For `rediss://` urls: trust the certificate authorities in this PEM file instead of
    /// the Mozilla roots (webpki-roots) trusted by default, as `sslrootcert` does on the
    /// PostgreSQL side. The server's certificate is always checked, host name included. A
    /// file that cannot be read or holds no certificate is an [`ErrorKind::Config`] error at
    /// connect.
    #[must_use]
    pub fn tls_root_cert(mut self, pem_file: impl Into<PathBuf>) -> Config {
        self.tls_root_cert = Some(pem_file.into());
        self
    }

    /// Whether spans and logs (with the `instrument` feature) record whole keys. Default
    /// `false`: a key is recorded only as its template (`user:profile:{}`), because its
    /// parameters may identify someone; keys without a template (a lock or rate-limit key,
    /// a key from [`CacheKey::parse`](super::CacheKey::parse)) are then not recorded at all.
    #[must_use]
    pub fn record_full_keys(mut self, record: bool) -> Config {
        self.record_full_keys = record;
        self
    }

    /// The key prefix.
    #[must_use]
    pub fn get_prefix(&self) -> &str {
        &self.prefix
    }

    /// Whether this configures a Redis Cluster.
    #[must_use]
    pub fn is_cluster(&self) -> bool {
        self.cluster
    }
}

/// A handle on Redis, single node or cluster. Cloning it is cheap and shares the connection.
///
/// After the server restarts, commands work again without rebuilding the client; commands
/// sent while it is down fail with a [`ErrorKind::Connection`] or
/// [`ErrorKind::Timeout`] error.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    conn: Conn,
    config: Config,
    meta: observe::Meta,
}

#[derive(Clone)]
enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("nodes", &redacted(&self.inner.config.nodes))
            .field("cluster", &self.inner.config.cluster)
            .field("prefix", &self.inner.config.prefix)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Connects, so that a wrong URL or an unreachable server is reported here, within the
    /// connect timeout.
    pub async fn new(config: Config) -> Result<Client> {
        if config.prefix.contains(['{', '}']) {
            return Err(Error::config(
                "the key prefix may not contain `{` or `}`, which would move keys to other cluster slots",
            ));
        }
        if config.nodes.is_empty() || config.nodes.iter().any(String::is_empty) {
            return Err(Error::config("a redis url is empty"));
        }
        if config.connect_timeout.is_zero() || config.response_timeout.is_zero() {
            return Err(Error::config("redis timeouts must be longer than zero"));
        }
        let target = redacted(&config.nodes);
        let certs = tls_certificates(&config)?;
        let connect = async {
            if config.cluster {
                let mut builder = ClusterClientBuilder::new(config.nodes.clone());
                if let Some(certs) = certs {
                    builder = builder.certs(certs);
                }
                let client = builder
                    .connection_timeout(config.connect_timeout)
                    .response_timeout(config.response_timeout)
                    .retries(2)
                    // The crate waits 1.28 s or more before retrying a CLUSTERDOWN or
                    // TRYAGAIN reply, longer than the response timeout: the caller would get a
                    // timeout instead of the server's answer. Short waits let it through.
                    .min_retry_wait(CLUSTER_MIN_RETRY_WAIT_MS)
                    .max_retry_wait(CLUSTER_MAX_RETRY_WAIT_MS)
                    .retry_wait_formula(CLUSTER_MIN_RETRY_WAIT_MS, 2)
                    .build()?;
                Ok::<_, redis::RedisError>(Conn::Cluster(client.get_async_connection().await?))
            } else {
                let client = match certs {
                    Some(certs) => redis::Client::build_with_tls(config.nodes[0].as_str(), certs)?,
                    None => redis::Client::open(config.nodes[0].as_str())?,
                };
                let manager = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(config.connect_timeout))
                    .set_response_timeout(Some(config.response_timeout))
                    .set_number_of_retries(2)
                    .set_max_delay(config.connect_timeout);
                Ok(Conn::Single(
                    ConnectionManager::new_with_config(client, manager).await?,
                ))
            }
        };
        let conn = match tokio::time::timeout(config.connect_timeout, connect).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return Err(connect_error(&config, &target, e).await),
            Err(_) => {
                return Err(Error::new(
                    ErrorKind::Connection,
                    format!(
                        "could not connect to {target} within the connect timeout of {}",
                        fmt_duration(config.connect_timeout)
                    ),
                ));
            }
        };
        if let Conn::Single(c) = &conn {
            // A cluster node behind a single-node configuration would connect and then answer
            // MOVED for most keys: say so now.
            let info = tokio::time::timeout(
                config.response_timeout,
                redis::cmd("INFO")
                    .arg("cluster")
                    .query_async::<String>(&mut c.clone()),
            )
            .await
            .map_err(|_| {
                Error::timeout(
                    crate::Timeout::Response,
                    format!("{target} did not answer INFO within the response timeout"),
                )
            })?;
            let info = match info {
                Ok(info) => info,
                // A user whose ACL does not allow INFO: the check is skipped.
                Err(e) if e.code() == Some("NOPERM") => String::new(),
                Err(e) => return Err(connected_error(&target, e)),
            };
            if info_field(&info, "cluster_enabled") == Some("1") {
                return Err(Error::config(format!(
                    "{target} is a redis cluster node; use Config::cluster to reach the cluster"
                )));
            }
        }
        let meta = observe::Meta::new(&config.nodes[0], config.record_full_keys);
        Ok(Client {
            inner: Arc::new(Inner { conn, config, meta }),
        })
    }

    /// The configuration this client was built from.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Whether this client talks to a Redis Cluster.
    #[must_use]
    pub fn is_cluster(&self) -> bool {
        matches!(self.inner.conn, Conn::Cluster(_))
    }

    /// The key prefix of this client.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.inner.config.prefix
    }

    /// `key` with this client's prefix in front.
    #[must_use]
    pub fn prefixed(&self, key: &str) -> String {
        let prefix = self.prefix();
        let mut out = String::with_capacity(prefix.len() + key.len());
        out.push_str(prefix);
        out.push_str(key);
        out
    }

    /// Checks that the server (every primary, on a cluster) answers.
    pub async fn ping(&self) -> Result<()> {
        let cmd = redis::cmd("PING");
        if let Conn::Cluster(_) = self.inner.conn {
            for (host, port) in self.primaries().await? {
                let _: Value = self
                    .route(
                        &cmd,
                        RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress { host, port }),
                    )
                    .await?;
            }
            return Ok(());
        }
        let _: String = self.query(&cmd).await?;
        Ok(())
    }

    /// Runs any command; keys in it are taken as written (no prefix is added). On a cluster
    /// the `redis` crate routes it by its keys (multi-key commands such as `MGET` are split
    /// by slot); a command without keys goes to any node.
    pub async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T> {
        self.command(cmd, Op::Cmd(cmd), None).await
    }

    /// Runs `cmd` in the span of `op`, `key` being what the span may show of its key.
    pub(crate) async fn command<T: FromRedisValue>(
        &self,
        cmd: &Cmd,
        op: Op<'_>,
        key: Option<&(dyn std::fmt::Display + Sync)>,
    ) -> Result<T> {
        let fut = async {
            let mut conn = self.connection();
            cmd.query_async::<T>(&mut conn).await
        };
        self.observed(op, key, fut).await
    }

    /// Whether spans and logs record whole keys (see [`Config::record_full_keys`]).
    pub(crate) fn full_keys(&self) -> bool {
        self.inner.meta.full_keys
    }

    /// A key given at run time as spans and logs may show it: only when full keys are
    /// recorded.
    #[cfg_attr(
        not(feature = "instrument"),
        allow(dead_code, reason = "read by the instrumentation only")
    )]
    pub(crate) fn runtime_key<'k>(&self, key: &'k str) -> Option<&'k str> {
        self.full_keys().then_some(key)
    }

    /// Finishes a call of the `redis` crate in the span of `op`, with its duration recorded
    /// and its error mapped.
    ///
    /// Every call is already bounded without a timer of ours (a second timer per command
    /// costs measurable throughput): the connection times out each request after the
    /// response timeout; a single node's reconnect is at most three attempts of at most
    /// the connect timeout each, with pauses of at most the connect timeout; a cluster
    /// bounds a whole request, retries and redirects included, by the response timeout.
    pub(crate) async fn observed<T>(
        &self,
        op: Op<'_>,
        key: Option<&(dyn std::fmt::Display + Sync)>,
        fut: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T> {
        observe::command(&self.inner.meta, op, key, fut).await
    }

    /// A connection usable with the `redis` crate's own API (`redis::cmd(..).query_async`,
    /// `redis::Script`, pipelines), sharing this client's connection.
    #[must_use]
    pub fn connection(&self) -> Connection {
        Connection {
            conn: self.inner.conn.clone(),
        }
    }

    /// Sends `cmd` to the node chosen by `routing` (cluster only; a single node gets it
    /// directly).
    pub(crate) async fn route<T: FromRedisValue>(
        &self,
        cmd: &Cmd,
        routing: RoutingInfo,
    ) -> Result<T> {
        let value = match &self.inner.conn {
            Conn::Single(c) => {
                let mut c = c.clone();
                self.observed(Op::Cmd(cmd), None, c.send_packed_command(cmd))
                    .await?
            }
            Conn::Cluster(c) => {
                let mut c = c.clone();
                self.observed(Op::Cmd(cmd), None, c.route_command(cmd.clone(), routing))
                    .await?
            }
        };
        redis::from_redis_value(value).map_err(|e| Error::from(redis::RedisError::from(e)))
    }

    /// The `(host, port)` of every primary of the cluster; for a single node, nothing.
    pub(crate) async fn primaries(&self) -> Result<Vec<(String, u16)>> {
        if !self.is_cluster() {
            return Ok(Vec::new());
        }
        let nodes: String = self
            .route(
                &redis::cmd("CLUSTER").arg("NODES").clone(),
                RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random),
            )
            .await?;
        let out = parse_primaries(&nodes);
        if out.is_empty() {
            return Err(Error::new(
                ErrorKind::Redis,
                "the cluster reported no reachable primary",
            ));
        }
        Ok(out)
    }

    /// Runs a script by its SHA, loading it after a NOSCRIPT reply (on a cluster, `SCRIPT
    /// LOAD` goes to every node).
    pub(crate) async fn run_script<T: FromRedisValue>(
        &self,
        script: &Script,
        keys: &[&str],
        args: &[&[u8]],
    ) -> Result<T> {
        let mut inv = script.inner.prepare_invoke();
        for k in keys {
            inv.key(*k);
        }
        for a in args {
            inv.arg(*a);
        }
        let fut = async {
            let mut conn = self.connection();
            inv.invoke_async::<T>(&mut conn).await
        };
        self.observed(Op::Script(script.name()), None, fut).await
    }
}

/// The shortest and longest pause of the cluster connection before it retries a request that
/// got `CLUSTERDOWN`, `TRYAGAIN` or found no connection, in milliseconds.
const CLUSTER_MIN_RETRY_WAIT_MS: u64 = 10;
const CLUSTER_MAX_RETRY_WAIT_MS: u64 = 100;

/// The TLS settings for the `redis` crate: `None` for plain `redis://` urls (and for
/// `rediss://` urls trusting the default roots); the root file's certificates otherwise.
fn tls_certificates(config: &Config) -> Result<Option<redis::TlsCertificates>> {
    let tls = config
        .nodes
        .iter()
        .filter(|u| u.starts_with("rediss://"))
        .count();
    if tls != 0 && tls != config.nodes.len() {
        return Err(Error::config(
            "mixed redis:// and rediss:// urls: use rediss:// for every node or for none",
        ));
    }
    if tls != 0 {
        // The `redis` crate builds its rustls configuration with the process's default
        // crypto provider; make it the one this crate's rustls is built with (ring) unless
        // the application chose one.
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
    }
    let Some(path) = &config.tls_root_cert else {
        return Ok(None);
    };
    if tls == 0 {
        return Err(Error::config(
            "tls_root_cert is set but the redis urls are not rediss:// (tls)",
        ));
    }
    let pem = std::fs::read(path).map_err(|e| {
        Error::with_source(
            ErrorKind::Config,
            format!(
                "cannot read the tls root certificate file {}",
                path.display()
            ),
            e,
        )
    })?;
    let found = rustls::pki_types::pem::PemObject::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<rustls::pki_types::CertificateDer<'_>>, _>>()
        .map_err(|e| {
            Error::with_source(
                ErrorKind::Config,
                format!("invalid certificate in {}", path.display()),
                e,
            )
        })?;
    if found.is_empty() {
        return Err(Error::config(format!(
            "{} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(Some(redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(pem),
    }))
}

/// The urls, with any password replaced by `***`, for messages and `Debug`.
fn redacted(urls: &[String]) -> String {
    urls.iter()
        .map(|url| {
            let Some((scheme, rest)) = url.split_once("://") else {
                return url.clone();
            };
            let Some((userinfo, host)) = rest.rsplit_once('@') else {
                return url.clone();
            };
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
                None => format!("{scheme}://***@{host}"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A field of an `INFO` reply, such as `cluster_enabled`.
fn info_field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':').map(str::trim))
}

/// The rustls error somewhere in `e`'s causes (a certificate refused, a handshake that
/// failed), read from the error types.
fn tls_error(e: &redis::RedisError) -> Option<&rustls::Error> {
    type Shared = Arc<dyn std::error::Error + Send + Sync>;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(mut c) = cause {
        // The `redis` crate gives its inner error as the `Arc` holding it, whose own
        // `source()` skips the inner error: look inside.
        if let Some(shared) = c.downcast_ref::<Shared>() {
            c = shared.as_ref();
        }
        if let Some(tls) = c.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(tls) = c
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(tls);
        }
        cause = c.source();
    }
    None
}

/// Whether the server refused a connection's credentials (`AUTH` failed, or a command was
/// refused with `NOAUTH` or `WRONGPASS`).
fn is_auth_error(e: &redis::RedisError) -> bool {
    e.kind() == redis::ErrorKind::AuthenticationFailed
        || matches!(e.code(), Some("NOAUTH" | "WRONGPASS"))
}

fn auth_error(target: &str) -> Error {
    Error::config(format!(
        "{target} refused the credentials: the password (or user) in the url is wrong or missing"
    ))
}

/// The error of a command on a connection just opened.
fn connected_error(target: &str, e: redis::RedisError) -> Error {
    if is_auth_error(&e) {
        return auth_error(target);
    }
    Error::from(e).context(format_args!("{target}"))
}

/// Says what went wrong when connecting failed: the credentials, the database index, a
/// single server behind a cluster configuration; else the connection error with its cause.
async fn connect_error(config: &Config, target: &str, e: redis::RedisError) -> Error {
    if is_auth_error(&e) {
        return auth_error(target);
    }
    if e.kind() == redis::ErrorKind::InvalidClientConfig {
        return Error::from(e).context(format_args!("{target}"));
    }
    if let Some(tls) = tls_error(&e) {
        return Error::config(format!(
            "the tls handshake with {target} failed: {tls} (for a private certificate authority, set Config::tls_root_cert)"
        ));
    }
    if config.cluster {
        // A single server answers the cluster discovery with an error; ask it what it is.
        for url in &config.nodes {
            let probe = async {
                let client = redis::Client::open(url.as_str())?;
                let mut c = client.get_multiplexed_async_connection().await?;
                redis::cmd("INFO")
                    .arg("cluster")
                    .query_async::<String>(&mut c)
                    .await
            };
            if let Ok(Ok(info)) = tokio::time::timeout(config.connect_timeout, probe).await
                && info_field(&info, "cluster_enabled") == Some("0")
            {
                return Error::config(format!(
                    "{} is not a redis cluster node (its cluster support is disabled); use Config::new for a single server",
                    redacted(std::slice::from_ref(url))
                ));
            }
        }
    } else if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ResponseError) {
        // The server refused the connection's setup; past the credentials that is the
        // database index.
        let db = redis::IntoConnectionInfo::into_connection_info(config.nodes[0].as_str())
            .map(|info| info.redis_settings().db())
            .unwrap_or_default();
        if db != 0 {
            return Error::with_source(
                ErrorKind::Config,
                format!("{target} has no database {db} (the number at the end of the url)"),
                e,
            );
        }
    }
    let err = Error::from(e);
    match err.kind() {
        ErrorKind::Timeout | ErrorKind::Redis | ErrorKind::Connection => Error::with_source(
            ErrorKind::Connection,
            format!("could not connect to {target}"),
            err,
        ),
        _ => err.context(format_args!("could not connect to {target}")),
    }
}

/// Reads `CLUSTER NODES`: the address of every primary that is not marked failed.
fn parse_primaries(nodes: &str) -> Vec<(String, u16)> {
    let mut out = Vec::new();
    for line in nodes.lines() {
        let mut fields = line.split(' ');
        let (Some(_id), Some(addr), Some(flags)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let flags: Vec<&str> = flags.split(',').collect();
        if !flags.contains(&"master") || flags.iter().any(|f| f.starts_with("fail")) {
            continue;
        }
        let addr = addr.split('@').next().unwrap_or(addr);
        let Some((host, port)) = addr.rsplit_once(':') else {
            continue;
        };
        let Ok(port) = port.parse::<u16>() else {
            continue;
        };
        if host.is_empty() {
            continue;
        }
        out.push((host.to_owned(), port));
    }
    out
}

/// A connection of a [`Client`] for the `redis` crate's API: it implements
/// [`redis::aio::ConnectionLike`]. Commands sent through it are not prefixed and are bounded
/// only by the connection's response timeout.
#[derive(Clone)]
pub struct Connection {
    conn: Conn,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match &mut self.conn {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match &mut self.conn {
            Conn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match &self.conn {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

/// A Lua script run by SHA. The text is hashed once; the server loads it on first use.
pub(crate) struct Script {
    inner: redis::Script,
    name: &'static str,
}

impl Script {
    pub(crate) fn new(name: &'static str, code: &str) -> Script {
        Script {
            inner: redis::Script::new(code),
            name,
        }
    }

    /// The script's SHA-1, as `EVALSHA` takes it.
    #[cfg_attr(not(test), allow(dead_code, reason = "used by unit tests"))]
    pub(crate) fn sha(&self) -> &str {
        self.inner.get_hash()
    }

    pub(crate) fn name(&self) -> &'static str {
        self.name
    }
}

/// Builds the message of an error from a script's reply that has an unexpected shape.
pub(crate) fn bad_reply(script: &Script) -> Error {
    Error::new(
        ErrorKind::Decode,
        Cow::Owned(format!(
            "unexpected reply from the {} script",
            script.name()
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primaries_are_read_from_cluster_nodes() {
        let text = "a 127.0.0.1:7100@17100 myself,master - 0 0 1 connected 0-5460\n\
                    b 127.0.0.1:7101@17101 master - 0 0 2 connected 5461-10922\n\
                    c 127.0.0.1:7103@17103 slave b 0 0 2 connected\n\
                    d 127.0.0.1:7102@17102 master,fail - 0 0 3 connected\n";
        assert_eq!(
            parse_primaries(text),
            vec![
                ("127.0.0.1".to_owned(), 7100),
                ("127.0.0.1".to_owned(), 7101)
            ]
        );
    }

    #[test]
    fn passwords_are_redacted() {
        let urls = [
            "redis://:s3cret@h:6379/2".to_owned(),
            "rediss://ana:s3cret@h".to_owned(),
            "redis://h:6379".to_owned(),
        ];
        assert_eq!(
            redacted(&urls),
            "redis://:***@h:6379/2, rediss://ana:***@h, redis://h:6379"
        );
    }

    #[test]
    fn urls_without_a_password_or_a_scheme_are_shown_as_given() {
        let urls = [
            "redis://token@h:6379".to_owned(),
            "h:6379".to_owned(),
            "unix:///run/redis.sock".to_owned(),
        ];
        assert_eq!(
            redacted(&urls),
            "redis://***@h:6379, h:6379, unix:///run/redis.sock"
        );
    }

    #[test]
    fn a_config_reads_back_and_its_debug_hides_the_password() {
        let config = Config::new("redis://ana:s3cret@h:6379/1")
            .prefix("rides:")
            .record_full_keys(true);
        assert_eq!(config.get_prefix(), "rides:");
        assert!(!config.is_cluster());
        let text = format!("{config:?}");
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("redis://ana:***@h:6379/1"), "{text}");
        assert!(text.contains(r#"prefix: "rides:""#), "{text}");
        assert!(text.contains("record_full_keys: true"), "{text}");
        let cluster = Config::cluster(["redis://:pw@a:7000", "redis://:pw@b:7001"]);
        assert!(cluster.is_cluster());
        let text = format!("{cluster:?}");
        assert!(!text.contains("pw@"), "{text}");
        assert!(text.contains("cluster: true"), "{text}");
    }

    #[test]
    fn info_fields_are_read() {
        let info = "# Cluster\r\ncluster_enabled:1\r\n";
        assert_eq!(info_field(info, "cluster_enabled"), Some("1"));
        assert_eq!(info_field(info, "cluster"), None);
    }

    #[test]
    fn script_sha_is_sha1_of_the_text() {
        let s = Script::new("t", "return 1");
        assert_eq!(s.sha(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    }
}
