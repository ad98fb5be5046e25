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
    fn record_u64(&mut self, f: &Field, v: u64) {
        self.fields.insert(f.name().to_owned(), v.to_string());
    }
    fn record_i64(&mut self, f: &Field, v: i64) {
        self.fields.insert(f.name().to_owned(), v.to_string());
    }
    fn record_bool(&mut self, f: &Field, v: bool) {
        self.fields.insert(f.name().to_owned(), v.to_string());
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

    fn all(&self) -> Vec<Seen> {
        self.closed.lock().unwrap().clone()
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
    // Keys are recorded as their template only.
    assert!(
        gets.iter()
            .all(|s| s.get("txova_db.key") == Some("user:profile:{}")),
        "{gets:?}"
    );
    for s in capture.all() {
        assert!(
            s.fields
                .values()
                .all(|v| !v.contains("user:profile:1") && !v.contains("user:profile:3")),
            "a key reached a span: {s:?}"
        );
    }
    let events = capture.events.lock().unwrap();
    assert!(
        events
            .iter()
            .all(|e| e.fields.values().all(|v| !v.contains("user:profile:3"))),
        "{events:?}"
    );
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

/// A table for `select!`.
#[derive(txova_db::Table, Debug, Clone, PartialEq)]
#[table(name = "obs_users")]
struct ObsUser {
    #[column(primary_key)]
    id: i64,
    name: String,
}

/// The value of the counter `name` with the label `label`.
fn counter_with(m: &[Metric], name: &str, label: (&str, &str)) -> u64 {
    m.iter()
        .filter(|(n, l, _)| n == name && has(l, label.0, label.1))
        .map(|(_, _, v)| match v {
            DebugValue::Counter(c) => *c,
            _ => 0,
        })
        .sum()
}

/// The known sequence: 3 queries, 1 timeout, 2 cache hits, 1 miss and a lost lock
/// (plus a lock that times out), then every kind of span and metric it gives.
#[test]
fn the_known_sequence_gives_known_spans_and_metrics() {
    let (capture, snap) = observed(|| async {
        use txova_db::redis::{Cache, Client, Config, Locker};
        use txova_db_tests::redis_env::{random_prefix, single_url};
        let db = database("obs_sequence").await;
        let pool = pool_with(&db, |_| {}).await;
        pool.execute(
            "CREATE TABLE obs_users (id int8 PRIMARY KEY, name text NOT NULL)",
            &[],
        )
        .await
        .unwrap();
        pool.execute(
            "INSERT INTO obs_users (id, name) VALUES ($1, $2), ($3, $4)",
            &[&1_i64, &"ana-4242", &2_i64, &"bo"],
        )
        .await
        .unwrap();
        // 3 queries.
        let id = 1_i64;
        let one = txova_db::select!(ObsUser where id = id)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(one.name, "ana-4242");
        let all = txova_db::select!(ObsUser).fetch_all(&pool).await.unwrap();
        assert_eq!(all.len(), 2);
        let none = txova_db::select!(name from ObsUser where id = 99_i64)
            .fetch_optional(&pool)
            .await
            .unwrap();
        assert_eq!(none, None);
        // 1 timeout.
        let err = pool
            .with_query_timeout(Some(Duration::from_millis(100)))
            .query("SELECT pg_sleep(10)", &[])
            .await
            .unwrap_err();
        assert_eq!(err.timeout_kind(), Some(Timeout::Query));

        let prefix = random_prefix("obs-seq");
        let client = Client::new(Config::new(single_url()).prefix(&*prefix))
            .await
            .unwrap();
        let cache = Cache::new(client.clone());
        let ana = Profile { name: "Ana".into() };
        cache
            .set(&profile(1), &ana, Duration::from_secs(60))
            .await
            .unwrap();
        // 2 hits, 1 miss.
        assert_eq!(cache.get(&profile(1)).await.unwrap(), Some(ana.clone()));
        assert_eq!(cache.get(&profile(1)).await.unwrap(), Some(ana.clone()));
        assert_eq!(cache.get(&profile(2)).await.unwrap(), None);

        // A lost lock: the work finds another owner holding it when it ends.
        let locker = Locker::new(client.clone());
        let lock_key = format!("{prefix}lock:{{ride:7}}");
        let stolen = locker
            .with_lock("ride:7", Duration::from_secs(30), async |guard| {
                // A second taker times out while the lock is held.
                let err = locker
                    .acquire("ride:7", Duration::from_secs(30), Duration::ZERO)
                    .await
                    .unwrap_err();
                assert_eq!(err.timeout_kind(), Some(Timeout::Lock));
                let _: () = client
                    .query(redis::cmd("SET").arg(&lock_key).arg("someone-else"))
                    .await
                    .unwrap();
                assert!(!guard.extend(Duration::from_secs(30)).await.unwrap());
                Ok::<_, txova_db::Error>(())
            })
            .await
            .unwrap_err();
        assert_eq!(stolen.kind(), ErrorKind::Lock);
    });
    let m = metrics_of(&snap);
    sequence_statements(&capture, &m);
    sequence_cache_and_commands(&capture, &m);
    sequence_locks(&capture, &m);
}

/// The statements of the known sequence.
fn sequence_statements(capture: &Capture, m: &[Metric]) {
    let d = "db.client.operation.duration";

    // PostgreSQL: the three select! statements carry their compile-time summary.
    let statements = capture.spans("db.statement");
    let selects: Vec<_> = statements
        .iter()
        .filter(|s| s.get("db.collection.name") == Some("obs_users"))
        .filter(|s| s.get("db.operation.name") == Some("SELECT"))
        .collect();
    assert_eq!(selects.len(), 3, "{statements:?}");
    for s in &selects {
        assert_eq!(s.get("db.query.summary"), Some("SELECT obs_users"), "{s:?}");
        assert_eq!(s.get("otel.name"), Some("SELECT obs_users"), "{s:?}");
        assert_eq!(s.get("db.system.name"), Some("postgresql"));
        assert_eq!(s.get("error.type"), None);
    }
    let rows: Vec<_> = selects
        .iter()
        .filter_map(|s| s.get("db.response.returned_rows"))
        .collect();
    assert_eq!(rows, ["1", "2", "0"], "{selects:?}");
    let timed_out: Vec<_> = statements
        .iter()
        .filter(|s| s.get("error.type") == Some("Timeout"))
        .collect();
    assert_eq!(timed_out.len(), 1, "{statements:?}");
    assert_eq!(
        timed_out[0].get("db.query.text"),
        Some("SELECT pg_sleep(10)")
    );
    // The three selects and the insert.
    assert_eq!(
        histogram_count(m, d, ("db.collection.name", "obs_users")),
        4,
        "{m:?}"
    );
    assert_eq!(histogram_count(m, d, ("error.type", "Timeout")), 1);
    for s in capture.all() {
        assert!(
            s.fields.values().all(|v| !v.contains("ana-4242")),
            "a value reached a span: {s:?}"
        );
    }
}

/// The cache operations and Redis commands of the known sequence.
fn sequence_cache_and_commands(capture: &Capture, m: &[Metric]) {
    let d = "db.client.operation.duration";
    // Cache: 2 hits and 1 miss, each GET span with the template of its key.
    assert_eq!(counter(m, "txova_db.cache.hits"), 2, "{m:?}");
    assert_eq!(counter(m, "txova_db.cache.misses"), 1, "{m:?}");
    let cache_gets: Vec<_> = capture
        .spans("cache")
        .into_iter()
        .filter(|s| s.get("db.operation.name") == Some("GET"))
        .collect();
    assert_eq!(cache_gets.len(), 3);
    assert_eq!(
        cache_gets
            .iter()
            .map(|s| s.get("cache.hit").unwrap_or("?"))
            .collect::<Vec<_>>(),
        ["true", "true", "false"]
    );

    // Redis commands: one span per command and script, with the conventions' attributes.
    let commands = capture.spans("redis.command");
    let gets: Vec<_> = commands
        .iter()
        .filter(|s| s.get("db.operation.name") == Some("GET"))
        .collect();
    assert_eq!(gets.len(), 3, "{commands:?}");
    for s in &commands {
        assert_eq!(s.get("db.system.name"), Some("redis"), "{s:?}");
        assert_eq!(s.get("db.namespace"), Some("0"), "{s:?}");
        assert_eq!(s.get("server.address"), Some("127.0.0.1"), "{s:?}");
        assert!(s.get("server.port").is_some(), "{s:?}");
        assert_eq!(s.get("otel.kind"), Some("client"), "{s:?}");
    }
    for s in &gets {
        assert_eq!(
            s.get("db.query.summary"),
            Some("GET user:profile:{}"),
            "{s:?}"
        );
        assert_eq!(s.get("otel.name"), Some("GET user:profile:{}"), "{s:?}");
    }
    let sets: Vec<_> = commands
        .iter()
        .filter(|s| s.get("db.operation.name") == Some("SET"))
        .collect();
    // The cache's SET (with its template) and the test's own raw SET (no key recorded).
    assert_eq!(sets.len(), 2, "{commands:?}");
    assert!(
        sets.iter()
            .any(|s| s.get("db.query.summary") == Some("SET user:profile:{}"))
    );
    assert!(sets.iter().any(|s| s.get("db.query.summary").is_none()));
    let scripts: Vec<_> = commands
        .iter()
        .filter(|s| s.get("db.operation.name") == Some("EVALSHA"))
        .filter_map(|s| s.get("db.stored_procedure.name"))
        .collect();
    // with_lock's acquire, the second taker's one attempt, the extend, the release.
    assert_eq!(
        scripts,
        [
            "lock acquire",
            "lock acquire",
            "lock extend",
            "compare_and_delete"
        ],
        "{commands:?}"
    );
    for s in &commands {
        assert!(
            s.fields
                .values()
                .all(|v| !v.contains("ride:7") && !v.contains("profile:1")),
            "a key reached a span: {s:?}"
        );
    }
    assert_eq!(
        histogram_count(m, d, ("db.system.name", "redis")),
        commands.len(),
        "{m:?}"
    );
    assert_eq!(histogram_count(m, d, ("db.operation.name", "GET")), 3);
    assert_eq!(histogram_count(m, d, ("db.operation.name", "EVALSHA")), 4);
}

/// The locks of the known sequence.
fn sequence_locks(capture: &Capture, m: &[Metric]) {
    // Locks: one acquired, then lost; one timed out.
    assert_eq!(counter(m, "txova_db.lock.acquired"), 1, "{m:?}");
    assert_eq!(counter(m, "txova_db.lock.lost"), 1, "{m:?}");
    assert_eq!(counter(m, "txova_db.lock.timed_out"), 1, "{m:?}");
    assert_eq!(
        counter_with(m, "txova_db.lock.lost", ("db.system.name", "redis")),
        1
    );
    let acquires = capture.spans("lock.acquire");
    assert_eq!(acquires.len(), 2, "{acquires:?}");
    let taken: Vec<_> = acquires
        .iter()
        .filter(|s| s.get("lock.acquired") == Some("true"))
        .collect();
    let refused: Vec<_> = acquires
        .iter()
        .filter(|s| s.get("lock.acquired") == Some("false"))
        .collect();
    assert_eq!((taken.len(), refused.len()), (1, 1), "{acquires:?}");
    assert_eq!(
        refused[0].get("error.type"),
        Some("Timeout"),
        "{acquires:?}"
    );
    assert_eq!(taken[0].get("lock.attempts"), Some("1"), "{acquires:?}");
    assert_eq!(taken[0].get("error.type"), None, "{acquires:?}");
    assert!(acquires.iter().all(|s| s.get("txova_db.key").is_none()));
    let holds = capture.spans("lock.hold");
    assert_eq!(holds.len(), 1, "{holds:?}");
    assert_eq!(holds[0].get("lock.lost"), Some("true"));
    assert!(holds[0].get("lock.fencing_token").is_some());
}

/// Rate-limit decisions and session operations: their spans and counters; a server error's
/// code on the command span; full keys only when the client opts in.
#[test]
fn rate_limits_sessions_errors_and_full_keys() {
    let (capture, snap) = observed(|| async {
        use txova_db::redis::{
            Cache, Client, Config, RateLimitConfig, RateLimiter, SessionData, SessionStore,
        };
        use txova_db_tests::redis_env::{random_prefix, single_url};
        let prefix = random_prefix("obs-rl");
        let client = Client::new(
            Config::new(single_url())
                .prefix(&*prefix)
                .record_full_keys(true),
        )
        .await
        .unwrap();
        let limiter = RateLimiter::new(client.clone());
        let limit = RateLimitConfig::new("api:user:9", 2, Duration::from_secs(3600));
        let mut allowed = 0;
        for _ in 0..3 {
            allowed += u32::from(limiter.allow(&limit).await.unwrap().allowed);
        }
        assert_eq!(allowed, 2);
        assert!(!limiter.peek(&limit, 1).await.unwrap().allowed);

        let sessions = SessionStore::new(client.clone(), [7u8; 32]).unwrap();
        let data = SessionData {
            user_id: "user-obs".into(),
            device_id: "d".into(),
            device_info: "i".into(),
            ip_address: "198.51.100.7".into(),
        };
        let a = sessions.create(data.clone()).await.unwrap();
        let b = sessions.create(data).await.unwrap();
        assert!(sessions.get(&a.id).await.unwrap().is_some());
        // Session `b` last seen at the epoch: past its idle lifetime, while the user's hash
        // lives on with `a`.
        let hashes: Vec<String> = client
            .query(redis::cmd("KEYS").arg(format!("{prefix}session:*")))
            .await
            .unwrap();
        assert_eq!(hashes.len(), 1, "{hashes:?}");
        let stored: String = client
            .query(redis::cmd("HGET").arg(&hashes[0]).arg(&b.id))
            .await
            .unwrap();
        let (_, rest) = stored.split_once(':').unwrap();
        let _: i64 = client
            .query(
                redis::cmd("HSET")
                    .arg(&hashes[0])
                    .arg(&b.id)
                    .arg(format!("0:{rest}")),
            )
            .await
            .unwrap();
        assert!(sessions.get(&b.id).await.unwrap().is_none());
        assert!(sessions.delete(&a.id).await.unwrap());

        // A server error: the cache's GET on a hash.
        let cache = Cache::new(client.clone());
        let _: i64 = client
            .query(
                redis::cmd("HSET")
                    .arg(client.prefixed(profile(5).as_str()))
                    .arg("f")
                    .arg("v"),
            )
            .await
            .unwrap();
        let err = cache.get(&profile(5)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Redis, "{err}");
    });
    let m = metrics_of(&snap);
    assert_eq!(counter(&m, "txova_db.rate_limit.allowed"), 2, "{m:?}");
    assert_eq!(counter(&m, "txova_db.rate_limit.denied"), 1, "{m:?}");
    assert_eq!(counter(&m, "txova_db.session.created"), 2, "{m:?}");
    assert_eq!(counter(&m, "txova_db.session.expired"), 1, "{m:?}");

    rate_limit_spans(&capture);
    let ops: Vec<_> = capture
        .spans("session")
        .iter()
        .map(|s| {
            (
                s.get("db.operation.name").unwrap_or("?").to_owned(),
                s.get("session.found").unwrap_or("-").to_owned(),
                s.get("session.expired").unwrap_or("-").to_owned(),
            )
        })
        .collect();
    let op = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        ops,
        [
            op("create", "-", "-"),
            op("create", "-", "-"),
            op("get", "true", "-"),
            op("get", "false", "true"),
            op("delete", "-", "-"),
        ]
    );
    for s in capture.spans("session") {
        assert!(
            s.fields.values().all(|v| !v.contains("user-obs")),
            "a user id reached a span: {s:?}"
        );
    }
    failed_command(&capture, &m);
}

/// The rate-limit decisions: three allows against a limit of 2, then a peek.
fn rate_limit_spans(capture: &Capture) {
    let decisions = capture.spans("rate_limit");
    assert_eq!(decisions.len(), 4, "{decisions:?}");
    assert_eq!(
        decisions
            .iter()
            .map(|s| (
                s.get("db.operation.name").unwrap_or("?"),
                s.get("rate_limit.allowed").unwrap_or("?")
            ))
            .collect::<Vec<_>>(),
        [
            ("allow", "true"),
            ("allow", "true"),
            ("allow", "false"),
            ("peek", "false")
        ]
    );
    // Opted in: the whole key.
    assert!(
        decisions
            .iter()
            .all(|s| s.get("txova_db.key") == Some("api:user:9")),
        "{decisions:?}"
    );
    assert_eq!(decisions[1].get("rate_limit.remaining"), Some("0"));
}

/// The command that failed with a server error, recorded with its full key (opted in).
fn failed_command(capture: &Capture, m: &[Metric]) {
    let failed: Vec<_> = capture
        .spans("redis.command")
        .into_iter()
        .filter(|s| s.get("error.type").is_some())
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].get("db.response.status_code"), Some("WRONGTYPE"));
    assert_eq!(failed[0].get("error.type"), Some("WRONGTYPE"));
    // Opted in: the summary names the whole key.
    assert!(
        failed[0]
            .get("db.query.summary")
            .is_some_and(|s| s.starts_with("GET user:profile:5")),
        "{failed:?}"
    );
    let d = "db.client.operation.duration";
    assert_eq!(
        histogram_count(m, d, ("error.type", "WRONGTYPE")),
        1,
        "{m:?}"
    );
}
