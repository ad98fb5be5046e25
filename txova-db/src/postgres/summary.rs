//! The summary of a statement known at compile time (`select!`): its operation, main table
//! and `db.query.summary`, all `&'static str`, given to the statement span so that it does
//! not read them from the SQL. Without the `instrument` feature nothing is kept.

/// What `select!` knows about its statement at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fixed {
    /// `db.query.summary`, such as `SELECT users` (`SELECT users posts` with a join).
    pub(crate) summary: &'static str,
    /// `db.operation.name`.
    pub(crate) operation: &'static str,
    /// `db.collection.name`: the main table.
    pub(crate) collection: &'static str,
}

#[cfg(feature = "instrument")]
tokio::task_local! {
    static CURRENT: Fixed;
}

/// The summary of the statement being run, when its caller knew it at compile time.
#[cfg(feature = "instrument")]
pub(crate) fn current() -> Option<Fixed> {
    CURRENT.try_with(|f| *f).ok()
}

/// Runs `fut` (one statement) with its summary known.
#[cfg(feature = "instrument")]
pub(crate) async fn scoped<F: Future>(fixed: Option<Fixed>, fut: F) -> F::Output {
    match fixed {
        Some(f) => CURRENT.scope(f, fut).await,
        None => fut.await,
    }
}

/// Without the instrumentation the summary is not kept.
#[cfg(not(feature = "instrument"))]
#[inline]
pub(crate) async fn scoped<F: Future>(_: Option<Fixed>, fut: F) -> F::Output {
    fut.await
}
