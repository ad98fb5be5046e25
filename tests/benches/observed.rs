//! With `TXOVA_BENCH_OBSERVE=1`, installs for the whole process a `tracing-subscriber` fmt
//! subscriber (INFO, every span and event formatted, written to a sink) and a `metrics`
//! recorder (`metrics-util`'s debugging recorder, which keeps every value), so that a
//! benchmark measures the instrumentation's cost with both installed. Without it nothing is
//! installed.

/// Installs the subscriber and the recorder when `TXOVA_BENCH_OBSERVE=1`; says which.
pub fn install_if_asked() {
    if std::env::var("TXOVA_BENCH_OBSERVE").as_deref() != Ok("1") {
        println!("observability: nothing installed");
        return;
    }
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::sink)
        .with_max_level(tracing::Level::INFO)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("a subscriber");
    let recorder = metrics_util::debugging::DebuggingRecorder::new();
    metrics::set_global_recorder(recorder).expect("a recorder");
    println!("observability: fmt subscriber (to a sink) and debugging recorder installed");
}
