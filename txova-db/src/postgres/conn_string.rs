//! The connection string, parsed once into typed parts: what tokio-postgres understands, the
//! TLS settings, libpq's network settings that tokio-postgres names or scales differently,
//! and golang-migrate's options.
//!
//! Both forms are read: a `postgres://` URL (options in its query) and a libpq `key=value`
//! string. Options this crate reads are taken out; the rest goes to tokio-postgres, whose
//! own reason is kept when it rejects the string.

use std::time::Duration;

use tokio_postgres_rustls::MakeRustlsConnect;

use super::StatementMode;
use super::config::Config;
use super::migrate::UrlOptions;
use super::tls::{self, SslMode};
use crate::error::{Error, Result};

/// A connection string, parsed.
#[derive(Clone)]
pub(crate) struct ConnString {
    /// Everything tokio-postgres reads, with the network settings below applied.
    pub(crate) pg: tokio_postgres::Config,
    pub(crate) ssl_mode: SslMode,
    pub(crate) ssl_root: Option<String>,
    pub(crate) network: Network,
    /// golang-migrate's options and the URL's path, for migrations.
    pub(crate) migrate: UrlOptions,
    /// `statement_mode`, when the string names one.
    pub(crate) statement_mode: Option<StatementMode>,
}

/// libpq's keepalive and `TCP_USER_TIMEOUT` settings, when the string sets them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Network {
    /// `keepalives`: 0 turns keepalive off.
    pub(crate) keepalives: Option<bool>,
    /// `keepalives_idle`, in seconds.
    pub(crate) idle: Option<Duration>,
    /// `keepalives_interval`, in seconds.
    pub(crate) interval: Option<Duration>,
    /// `keepalives_count`.
    pub(crate) count: Option<u32>,
    /// `tcp_user_timeout`, in milliseconds; zero for the OS default.
    pub(crate) tcp_user_timeout: Option<Duration>,
}

impl ConnString {
    /// Parses `url`.
    pub(crate) fn parse(url: &str) -> Result<ConnString> {
        // tokio-postgres reads anything that is not a postgres URL as `key=value` pairs, and
        // reports another scheme's URL as a truncated one.
        if let Some((scheme, _)) = url.split_once("://")
            && !matches!(scheme, "postgres" | "postgresql")
        {
            return Err(Error::config(format!(
                "invalid database url: unsupported scheme `{scheme}`, expected postgres:// or postgresql://"
            )));
        }
        let mut ours = Ours::default();
        let rest = if let Some(scheme_len) = ["postgres://", "postgresql://"]
            .iter()
            .find(|s| url.starts_with(*s))
            .map(|s| s.len())
        {
            let (base, query) = url.split_once('?').unwrap_or((url, ""));
            ours.migrate.path = base[scheme_len..]
                .find('/')
                .map(|i| percent_decode(&base[scheme_len + i..], false))
                .transpose()?
                .filter(|p| !p.is_empty());
            let mut kept = Vec::new();
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
                if !ours.take(key, &percent_decode(raw, true)?)? {
                    kept.push(pair);
                }
            }
            if kept.is_empty() {
                base.to_owned()
            } else {
                format!("{base}?{}", kept.join("&"))
            }
        } else {
            let mut kept = Vec::new();
            for word in url.split_whitespace() {
                let consumed = match word.split_once('=') {
                    Some((k, v)) => ours.take(k.trim(), v.trim_matches('\''))?,
                    None => false,
                };
                if !consumed {
                    kept.push(word);
                }
            }
            kept.join(" ")
        };
        ours.migrate.check()?;
        let mut pg: tokio_postgres::Config = rest.parse().map_err(|e: tokio_postgres::Error| {
            Error::config(format!("invalid database url: {}", crate::error::chain(&e)))
        })?;
        pg.ssl_mode(ours.ssl_mode.driver_mode());
        Ok(ConnString {
            pg,
            ssl_mode: ours.ssl_mode,
            ssl_root: ours.ssl_root,
            network: ours.network,
            migrate: ours.migrate,
            statement_mode: ours.statement_mode,
        })
    }

    /// The TLS connector for this string's `sslmode` and `sslrootcert`.
    pub(crate) fn tls(&self) -> Result<MakeRustlsConnect> {
        tls::connector(self.ssl_mode, self.ssl_root.as_deref())
    }

    /// The driver's configuration with the pool's connect timeout, keepalive and
    /// `TCP_USER_TIMEOUT`; what the string itself says about the last two wins.
    pub(crate) fn configured(&self, config: &Config) -> tokio_postgres::Config {
        let mut pg = self.pg.clone();
        pg.connect_timeout(config.connect_timeout);
        let n = self.network;
        let base = config.keepalive;
        pg.keepalives(n.keepalives.unwrap_or(base.is_some()));
        if let Some(idle) = n.idle.or(base.map(|k| k.idle)) {
            pg.keepalives_idle(idle);
        }
        if let Some(interval) = n.interval.or(base.map(|k| k.interval)) {
            pg.keepalives_interval(interval);
        }
        if let Some(count) = n.count.or(base.map(|k| k.retries)) {
            pg.keepalives_retries(count);
        }
        match n.tcp_user_timeout.or(config.tcp_user_timeout) {
            Some(t) if !t.is_zero() => {
                pg.tcp_user_timeout(t);
            }
            _ => {}
        }
        pg
    }
}

#[derive(Default)]
struct Ours {
    ssl_mode: SslMode,
    ssl_root: Option<String>,
    network: Network,
    migrate: UrlOptions,
    statement_mode: Option<StatementMode>,
}

impl Ours {
    /// Takes `key` if it is ours; `false` leaves it to tokio-postgres.
    fn take(&mut self, key: &str, value: &str) -> Result<bool> {
        let n = &mut self.network;
        match key {
            "sslmode" => self.ssl_mode = SslMode::parse(value)?,
            "sslrootcert" => self.ssl_root = Some(value.to_owned()),
            "statement_mode" => self.statement_mode = Some(value.parse()?),
            "keepalives" => n.keepalives = Some(number::<u32>(key, value, "0 or 1")? != 0),
            "keepalives_idle" => n.idle = Some(seconds(key, value)?),
            "keepalives_interval" => n.interval = Some(seconds(key, value)?),
            "keepalives_count" => n.count = Some(number(key, value, "a number of probes")?),
            "tcp_user_timeout" => {
                let ms: u64 = number(key, value, "a number of milliseconds")?;
                n.tcp_user_timeout = Some(Duration::from_millis(ms));
            }
            _ => return self.migrate.take(key, value),
        }
        Ok(true)
    }
}

fn number<T: std::str::FromStr>(key: &str, value: &str, expected: &str) -> Result<T> {
    value
        .parse()
        .map_err(|_| Error::config(format!("invalid {key} `{value}`: expected {expected}")))
}

fn seconds(key: &str, value: &str) -> Result<Duration> {
    let s: u64 = number(key, value, "a positive number of seconds")?;
    if s == 0 {
        return Err(Error::config(format!(
            "invalid {key} `0`: expected a positive number of seconds"
        )));
    }
    Ok(Duration::from_secs(s))
}

/// Decodes `%XX` (and `+` as a space in a query).
pub(crate) fn percent_decode(s: &str, plus_is_space: bool) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        Error::config(format!("invalid percent-encoding in database url: `{s}`"))
                    })?;
                out.push(hex);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
        .map_err(|_| Error::config(format!("database url option is not UTF-8: `{s}`")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::postgres::Keepalive;

    fn parse(url: &str) -> ConnString {
        ConnString::parse(url).unwrap()
    }

    #[test]
    fn the_statement_mode_is_taken_out_and_other_schemes_refused() {
        let c = parse("postgres://u@h/db?statement_mode=unnamed&application_name=x");
        assert_eq!(c.statement_mode, Some(StatementMode::Unnamed));
        let c = parse("host=h user=u statement_mode=prepared");
        assert_eq!(c.statement_mode, Some(StatementMode::Prepared));
        assert_eq!(parse("postgres://u@h/db").statement_mode, None);
        let err = ConnString::parse("postgres://h/db?statement_mode=named")
            .err()
            .map(|e| e.kind());
        assert_eq!(err, Some(crate::ErrorKind::Config));
        let err = ConnString::parse("mysql://u@h/db")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("scheme `mysql`")));
    }

    #[test]
    fn tls_params_are_taken_out() {
        let c =
            parse("postgres://u@h/db?sslmode=verify-full&application_name=x&sslrootcert=/r.pem");
        assert_eq!(c.ssl_mode, SslMode::VerifyFull);
        assert_eq!(c.ssl_root.as_deref(), Some("/r.pem"));
        assert_eq!(c.pg.get_application_name(), Some("x"));
        let c = parse("host=h user=u sslmode=require");
        assert_eq!(c.ssl_mode, SslMode::Require);
        assert_eq!(c.pg.get_user(), Some("u"));
        let err = ConnString::parse("postgres://h/db?sslmode=sometimes")
            .err()
            .unwrap();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
        assert!(err.to_string().contains("sometimes"));
    }

    #[test]
    fn network_settings_use_libpq_names_and_units_and_win_over_the_config() {
        let c = parse(
            "postgres://h/db?keepalives_idle=7&keepalives_interval=3&keepalives_count=4&tcp_user_timeout=1500",
        )
        .configured(&Config::default());
        assert!(c.get_keepalives());
        assert_eq!(c.get_keepalives_idle(), Duration::from_secs(7));
        assert_eq!(c.get_keepalives_interval(), Some(Duration::from_secs(3)));
        assert_eq!(c.get_keepalives_retries(), Some(4));
        assert_eq!(c.get_tcp_user_timeout(), Some(&Duration::from_millis(1500)));

        let c = parse("host=h keepalives=0 tcp_user_timeout=0").configured(&Config::default());
        assert!(!c.get_keepalives());
        assert_eq!(c.get_tcp_user_timeout(), None);
    }

    #[test]
    fn the_config_sets_network_defaults() {
        let c = parse("postgres://h/db").configured(&Config::default());
        let k = Keepalive::default();
        assert!(c.get_keepalives());
        assert_eq!(c.get_keepalives_idle(), k.idle);
        assert_eq!(c.get_keepalives_interval(), Some(k.interval));
        assert_eq!(c.get_keepalives_retries(), Some(k.retries));
        assert_eq!(c.get_tcp_user_timeout(), Some(&Duration::from_secs(30)));
        let c = parse("postgres://h/db").configured(&Config {
            keepalive: None,
            tcp_user_timeout: None,
            ..Config::default()
        });
        assert!(!c.get_keepalives());
        assert_eq!(c.get_tcp_user_timeout(), None);
    }

    #[test]
    fn bad_network_values_are_config_errors() {
        for url in [
            "postgres://h/db?keepalives_idle=soon",
            "postgres://h/db?keepalives_idle=0",
            "postgres://h/db?keepalives_count=-1",
            "postgres://h/db?tcp_user_timeout=1s",
            "host=h keepalives=yes",
        ] {
            let err = ConnString::parse(url).err().unwrap();
            assert_eq!(err.kind(), crate::ErrorKind::Config, "{url}");
            assert!(err.to_string().starts_with("invalid "), "{err}");
        }
    }

    #[test]
    fn migration_options_and_path_are_taken_out() {
        let c = parse(
            "postgres://u:p@h:5432/my%20db?sslmode=disable&x-migrations-table=mig&x-statement-timeout=1500&search_path=app,public&x-no-lock=true&application_name=a",
        );
        assert_eq!(c.migrate.path.as_deref(), Some("/my db"));
        assert_eq!(c.migrate.table.as_deref(), Some("mig"));
        assert_eq!(
            c.migrate.statement_timeout,
            Some(Duration::from_millis(1500))
        );
        assert_eq!(c.migrate.search_path.as_deref(), Some("app,public"));
        assert!(c.migrate.no_lock);
        assert_eq!(c.pg.get_dbname(), Some("my db"));
        assert_eq!(c.pg.get_application_name(), Some("a"));
        assert_eq!(parse("postgres://h").migrate.path, None);
        assert_eq!(parse("host=h dbname=x").migrate.path, None);
    }
}
