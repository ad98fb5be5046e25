//! Spans and metrics seen by a real `tracing` subscriber and a real `metrics` recorder, both
//! installed for the test's thread only (the tests run on a current-thread runtime, so the
//! pool's own tasks see them too).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use txova_db::postgres::{Executor, TxOptions, with_tx_retry};
use txova_db::{ErrorKind, Timeout};
use txova_db_tests::{database, pool_with};

/// A span or event as the subscriber saw it: its name and every field.
#[derive(Debug, Clone, Default)]
struct Seen {
    name: String,
    fields: HashMap<String, String>,
}

impl Seen {
    fn get(&self, k: &str) -> Option<&str> {
        self.fields.get(k).map(String::as_str)
    }
}

impl Visit for Seen {
    fn record_debug(&mut self, f: &Field, v: &dyn std::fmt::Debug) {
        self.fields.insert(f.name().to_owned(), format!("{v:?}"));
    }
    fn record_str(&mut self, f: &Field, v: &str) {
        self.fields.insert(f.name().to_owned(), v.to_owned());
    }
}

#[derive(Default, Clone)]
struct Capture {
    open: Arc<Mutex<HashMap<u64, Seen>>>,
    closed: Arc<Mutex<Vec<Seen>>>,
    events: Arc<Mutex<Vec<Seen>>>,
}

impl Capture {
    fn spans(&self, name: &str) -> Vec<Seen> {
        let closed = self.closed.lock().unwrap();
        closed.iter().filter(|s| s.name == name).cloned().collect()
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut seen = Seen {
            name: attrs.metadata().name().to_owned(),
            ..Seen::default()
        };
        attrs.record(&mut seen);
        self.open.lock().unwrap().insert(id.into_u64(), seen);
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        if let Some(seen) = self.open.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(seen);
        }
    }
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut seen = Seen {
            name: event.metadata().target().to_owned(),
            ..Seen::default()
        };
        event.record(&mut seen);
        self.events.lock().unwrap().push(seen);
    }
    fn on_close(&self, id: Id, _: Context<'_, S>) {
        if let Some(seen) = self.open.lock().unwrap().remove(&id.into_u64()) {
            self.closed.lock().unwrap().push(seen);
        }
    }
}

/// Runs `f` on a current-thread runtime with the capturing subscriber and a debugging
/// recorder installed for this thread.
fn observed<F: Future<Output = ()>>(f: impl FnOnce() -> F) -> (Capture, Snapshotter) {
    let capture = Capture::default();
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let _span_guard = tracing::subscriber::set_default(subscriber);
    let _metric_guard = metrics::set_default_local_recorder(&recorder);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            tokio::time::timeout(Duration::from_secs(60), f())
                .await
                .expect("hang guard");
        });
    (capture, snapshotter)
}

type Metric = (String, Vec<(String, String)>, DebugValue);

fn metrics_of(s: &Snapshotter) -> Vec<Metric> {
    s.snapshot()
        .into_vec()
        .into_iter()
        .map(|(k, _, _, v)| {
            let key = k.key();
            let labels = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            (key.name().to_owned(), labels, v)
        })
        .collect()
}

fn has(labels: &[(String, String)], k: &str, v: &str) -> bool {
    labels.iter().any(|(lk, lv)| lk == k && lv == v)
}

fn histogram_count(m: &[Metric], name: &str, label: (&str, &str)) -> usize {
    m.iter()
        .filter(|(n, l, _)| n == name && has(l, label.0, label.1))
        .map(|(_, _, v)| match v {
            DebugValue::Histogram(h) => h.len(),
            _ => 0,
        })
        .sum()
}

fn counter(m: &[Metric], name: &str) -> u64 {
    m.iter()
        .filter(|(n, _, _)| n == name)
        .map(|(_, _, v)| match v {
            DebugValue::Counter(c) => *c,
            _ => 0,
        })
        .sum()
}

/// The port of the server the tests run against (`TXOVA_TEST_DATABASE_URL`, else 5432).
fn server_port() -> String {
    std::env::var("TXOVA_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .ok()
        .and_then(|url| url.parse::<tokio_postgres::Config>().ok())
        .and_then(|config| config.get_ports().first().copied())
        .unwrap_or(5432)
        .to_string()
}

#[test]
fn statements_get_convention_spans_and_durations_without_values() {
    let (capture, snap) = observed(|| async {
        let db = database("obs_statements").await;
        let pool = pool_with(&db, |c| {
            c.slow_statement_threshold = Some(Duration::ZERO);
            c.pool_name = Some("main".into());
        })
        .await;
        pool.execute("CREATE TABLE obs_t (a int)", &[])
            .await
            .unwrap();
        pool.execute("INSERT INTO obs_t (a) VALUES ($1)", &[&424_242_i32])
            .await
            .unwrap();
        let rows = pool.query("SELECT a FROM obs_t", &[]).await.unwrap();
        assert_eq!(rows.len(), 1);
        let err = pool.query("SELECT 1 / 0", &[]).await.unwrap_err();
        assert_eq!(err.code(), Some("22012"));
        let mut conn = pool.get().await.unwrap();
        conn.set_query_timeout(Some(Duration::from_millis(100)));
        let err = conn.query("SELECT pg_sleep(10)", &[]).await.unwrap_err();
        assert_eq!(err.timeout_kind(), Some(Timeout::Query));
    });

    let spans = capture.spans("db.statement");
    let texts: Vec<_> = spans
        .iter()
        .filter_map(|s| s.get("db.query.text"))
        .collect();
    for s in &spans {
        assert_eq!(s.get("db.system.name"), Some("postgresql"));
        assert_eq!(s.get("server.address"), Some("127.0.0.1"), "{s:?}");
        assert_eq!(s.get("server.port"), Some(server_port().as_str()), "{s:?}");
        assert!(
            s.get("db.namespace")
                .is_some_and(|n| n.contains("obs_statements")),
            "{s:?}"
        );
        for v in s.fields.values() {
            assert!(!v.contains("424242"), "a value reached a span: {s:?}");
        }
    }
    let insert = spans
        .iter()
        .find(|s| s.get("db.query.text") == Some("INSERT INTO obs_t (a) VALUES ($1)"))
        .unwrap_or_else(|| panic!("no insert span in {texts:?}"));
    assert_eq!(insert.get("db.operation.name"), Some("INSERT"));
    assert_eq!(insert.get("db.collection.name"), Some("obs_t"));
    assert_eq!(insert.get("otel.name"), Some("INSERT obs_t"));
    let select = spans
        .iter()
        .find(|s| s.get("db.query.text") == Some("SELECT a FROM obs_t"))
        .unwrap();
    assert_eq!(select.get("db.query.summary"), Some("SELECT obs_t"));
    assert_eq!(select.get("db.response.returned_rows"), Some("1"));
    assert_eq!(select.get("error.type"), None);
    let failed = spans
        .iter()
        .find(|s| s.get("db.query.text") == Some("SELECT 1 / 0"))
        .unwrap();
    assert_eq!(failed.get("db.response.status_code"), Some("22012"));
    assert_eq!(failed.get("error.type"), Some("22012"));
    let timed_out = spans
        .iter()
        .find(|s| s.get("db.query.text") == Some("SELECT pg_sleep(10)"))
        .unwrap();
    assert_eq!(timed_out.get("error.type"), Some("Timeout"));
    assert_eq!(timed_out.get("db.response.status_code"), None);

    // With a zero threshold every statement is slow: the log has SQL, duration and rows.
    let events = capture.events.lock().unwrap();
    let slow: Vec<_> = events
        .iter()
        .filter(|e| e.name == "txova_db::postgres::slow")
        .collect();
    assert!(
        slow.iter()
            .any(|e| e.get("sql") == Some("SELECT a FROM obs_t")
                && e.get("rows") == Some("1")
                && e.get("duration_ms").is_some()),
        "{slow:?}"
    );
    assert!(
        slow.iter()
            .all(|e| e.fields.values().all(|v| !v.contains("424242")))
    );

    let m = metrics_of(&snap);
    let d = "db.client.operation.duration";
    assert_eq!(
        histogram_count(&m, d, ("db.collection.name", "obs_t")),
        2,
        "{m:?}"
    );
    assert_eq!(histogram_count(&m, d, ("db.operation.name", "SELECT")), 3);
    assert_eq!(histogram_count(&m, d, ("error.type", "22012")), 1);
    assert_eq!(histogram_count(&m, d, ("error.type", "Timeout")), 1);
    assert_eq!(histogram_count(&m, d, ("db.system.name", "postgresql")), 5);
    assert!(m.iter().any(|(n, l, _)| n == "db.client.connection.max"
        && has(l, "db.client.connection.pool.name", "main")));
}

#[test]
fn pool_acquires_timeouts_and_counters() {
    let stats = Arc::new(Mutex::new(None));
    let out = Arc::clone(&stats);
    let (capture, snap) = observed(|| async move {
        let db = database("obs_pool").await;
        let pool = pool_with(&db, |c| {
            c.max_connections = 1;
            c.min_connections = 0;
            c.acquire_timeout = Duration::from_millis(200);
            c.pool_name = Some("p".into());
        })
        .await;
        for _ in 0..3 {
            pool.query("SELECT 1", &[]).await.unwrap();
        }
        let held = pool.get().await.unwrap();
        let err = pool.get().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout);
        held.discard();
        // Abandoned while it waits for the only connection.
        let held = pool.get().await.unwrap();
        drop(tokio::time::timeout(Duration::from_millis(20), pool.get()).await);
        drop(held);
        *out.lock().unwrap() = Some(pool.stats());
    });
    let stats = stats.lock().unwrap().unwrap();
    assert_eq!(stats.acquire_count, 5, "{stats:?}");
    assert_eq!(stats.timeout_acquire_count, 1, "{stats:?}");
    assert_eq!(stats.canceled_acquire_count, 1, "{stats:?}");
    assert_eq!(stats.created_count, 2, "{stats:?}");
    assert_eq!(stats.closed_broken_count, 1, "{stats:?}");
    // The first acquire (nothing open yet), the timed-out one, the one after the discard and
    // the abandoned one found no idle connection.
    assert_eq!(stats.empty_acquire_count, 4, "{stats:?}");
    assert!(stats.acquire_duration > Duration::ZERO);

    let acquires = capture.spans("db.pool.acquire");
    assert_eq!(acquires.len(), 7, "{acquires:?}");
    assert!(
        acquires
            .iter()
            .all(|s| s.get("db.client.connection.pool.name") == Some("p"))
    );
    assert_eq!(
        acquires
            .iter()
            .filter(|s| s.get("error.type") == Some("timeout"))
            .count(),
        1
    );
    let m = metrics_of(&snap);
    assert_eq!(counter(&m, "db.client.connection.timeouts"), 1);
    let pool = ("db.client.connection.pool.name", "p");
    assert_eq!(
        histogram_count(&m, "db.client.connection.wait_time", pool),
        6,
        "{m:?}"
    );
    assert_eq!(
        histogram_count(&m, "db.client.connection.create_time", pool),
        2
    );
    assert_eq!(
        histogram_count(&m, "db.client.connection.use_time", pool),
        5
    );
    let gauge = |state: &str| {
        m.iter()
            .find(|(n, l, _)| {
                n == "db.client.connection.count" && has(l, "db.client.connection.state", state)
            })
            .map(|(_, _, v)| v)
    };
    assert!(
        matches!(gauge("idle"), Some(DebugValue::Gauge(v)) if (v.0 - 1.0).abs() < 1e-9),
        "{m:?}"
    );
    assert!(
        matches!(gauge("used"), Some(DebugValue::Gauge(v)) if v.0.abs() < 1e-9),
        "{m:?}"
    );
}

#[test]
fn transactions_carry_their_attempt() {
    let (capture, _) = observed(|| async {
        let db = database("obs_tx").await;
        let pool = pool_with(&db, |_| {}).await;
        let mut runs = 0;
        let n = with_tx_retry(&pool, TxOptions::default(), async |tx| {
            runs += 1;
            if runs < 2 {
                // A serialization failure raised by the server: retried.
                tx.execute(
                    "DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40001'; END $$",
                    &[],
                )
                .await?;
            }
            tx.query("SELECT 1", &[]).await.map(|r| r.len())
        })
        .await
        .unwrap();
        assert_eq!(n, 1);
    });
    let txs = capture.spans("db.transaction");
    let attempts: Vec<_> = txs.iter().filter_map(|s| s.get("attempt")).collect();
    assert_eq!(attempts, ["1", "2"], "{txs:?}");
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Profile {
    name: String,
}

txova_db::cache_keys! {
    fn profile(id: u64) -> Profile = "user:profile:{id}";
}

#[test]
fn cache_hits_misses_decode_failures_and_joins() {
    let (capture, snap) = observed(|| async {
        use txova_db_tests::redis_env::{random_prefix, single_url};
        let client = txova_db::redis::Client::new(
            txova_db::redis::Config::new(single_url()).prefix(random_prefix("obs-cache")),
        )
        .await
        .unwrap();
        let cache = txova_db::redis::Cache::new(client.clone());
        let ana = Profile { name: "Ana".into() };
        cache
            .set(&profile(1), &ana, Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(cache.get(&profile(1)).await.unwrap(), Some(ana.clone()));
        assert_eq!(cache.get(&profile(1)).await.unwrap(), Some(ana.clone()));
        assert_eq!(cache.get(&profile(2)).await.unwrap(), None);
        let raw = client.prefixed(profile(3).as_str());
        let _: () = client
            .query(redis::cmd("SET").arg(&raw).arg("not json"))
            .await
            .unwrap();
        let err = cache.get(&profile(3)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        // The second caller joins the first one's flight while it computes.
        let slow = async || {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok::<_, txova_db::Error>(Profile { name: "Bo".into() })
        };
        let key = profile(4);
        let (a, b) = tokio::join!(
            cache.get_or_set(&key, Duration::from_secs(60), slow),
            cache.get_or_set(&key, Duration::from_secs(60), slow),
        );
        assert_eq!(a.unwrap(), b.unwrap());
    });
    let m = metrics_of(&snap);
    assert_eq!(counter(&m, "txova_db.cache.hits"), 2, "{m:?}");
    // profile(2), and the flight's own read of profile(4).
    assert_eq!(counter(&m, "txova_db.cache.misses"), 2, "{m:?}");
    assert_eq!(counter(&m, "txova_db.cache.decode_failures"), 1, "{m:?}");
    assert_eq!(counter(&m, "txova_db.cache.flight_joins"), 1, "{m:?}");

    let spans = capture.spans("cache");
    let gets: Vec<_> = spans
        .iter()
        .filter(|s| s.get("db.operation.name") == Some("GET"))
        .collect();
    assert_eq!(gets.len(), 5, "{spans:?}");
    assert!(
        gets.iter()
            .all(|s| s.get("db.system.name") == Some("redis"))
    );
    assert_eq!(
        gets.iter()
            .filter(|s| s.get("cache.hit") == Some("true"))
            .count(),
        2
    );
    assert_eq!(
        gets.iter()
            .filter(|s| s.get("cache.hit") == Some("false"))
            .count(),
        2
    );
    assert_eq!(
        gets.iter()
            .filter(|s| s.get("error.type") == Some("Decode"))
            .count(),
        1
    );
    let flights: Vec<_> = spans
        .iter()
        .filter(|s| s.get("db.operation.name") == Some("get_or_set"))
        .collect();
    assert_eq!(flights.len(), 2);
    assert_eq!(
        flights
            .iter()
            .filter(|s| s.get("cache.joined") == Some("true"))
            .count(),
        1
    );
    for s in &spans {
        assert!(
            s.fields.values().all(|v| !v.contains("user:profile")),
            "a key reached a span: {s:?}"
        );
    }
}

#[test]
fn migration_steps_get_a_span_each() {
    let (capture, _) = observed(|| async {
        use txova_db::postgres::{Migrator, MigratorConfig};
        use txova_db_tests::migrate::TempDir;
        let db = database("obs_migrate").await;
        let dir = TempDir::with_files(
            "obs",
            &[
                ("1_a.up.sql", "CREATE TABLE a (id int);\n"),
                ("2_b.up.sql", "SELEC broken;\n"),
            ],
        );
        let m = Migrator::new(MigratorConfig::new(db.url(), dir.url())).unwrap();
        m.up().await.unwrap_err();
    });
    let steps = capture.spans("db.migration");
    let seen: Vec<_> = steps
        .iter()
        .map(|s| (s.get("version"), s.get("direction"), s.get("error.type")))
        .collect();
    assert_eq!(
        seen,
        [
            (Some("1"), Some("up"), None),
            (Some("2"), Some("up"), Some("42601"))
        ],
        "{steps:?}"
    );
}
