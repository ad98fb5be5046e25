//! Helpers of the migration tests: scratch folders of migration files, and reading the
//! version table the way golang-migrate leaves it. They panic on failure, as test code may.
#![allow(
    clippy::missing_panics_doc,
    reason = "test helpers fail the test by panicking"
)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use txova_db::postgres::{Executor, Pool};

/// A folder under the system's temp dir, removed when dropped.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// A new empty folder, unique to this process and call.
    #[must_use]
    pub fn new(label: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "txova-migrate-{label}-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    /// A folder holding `files` (name, text).
    #[must_use]
    pub fn with_files(label: &str, files: &[(&str, &str)]) -> TempDir {
        let dir = TempDir::new(label);
        for (name, text) in files {
            dir.write(name, text);
        }
        dir
    }

    /// Writes (or overwrites) one file.
    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path.join(name), text).expect("write migration file");
    }

    /// Removes one file.
    pub fn remove(&self, name: &str) {
        std::fs::remove_file(self.path.join(name)).expect("remove migration file");
    }

    /// The folder.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder as a `file://` source URL.
    #[must_use]
    pub fn url(&self) -> String {
        format!("file://{}", self.path.display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The repository's `migrations/` folder.
#[must_use]
pub fn repo_migrations() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("migrations")
}

/// Every row of `public.schema_migrations`, as `(version, dirty)`.
pub async fn rows(pool: &Pool) -> Vec<(i64, bool)> {
    pool.query(
        "SELECT version, dirty FROM public.schema_migrations ORDER BY version",
        &[],
    )
    .await
    .expect("read schema_migrations")
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

/// Whether a table exists in `public`.
pub async fn table_exists(pool: &Pool, name: &str) -> bool {
    pool.query_one("SELECT to_regclass('public.' || $1) IS NOT NULL", &[&name])
        .await
        .expect("to_regclass")
        .get(0)
}
