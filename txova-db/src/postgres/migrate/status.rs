//! What [`Migrator::status`](super::Migrator::status) reports.

use std::time::{Duration, SystemTime};

use super::source::MigrationSource;
use super::table::{DbVersion, HistoryRow};

/// Where one migration stands, in [`Status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MigrationState {
    /// At or below the database's version.
    Applied,
    /// Above the database's version.
    Pending,
    /// The database's version, dirty: this migration failed part way.
    Dirty,
    /// Applied according to the database, but no file of this version is present.
    Missing,
}

impl std::fmt::Display for MigrationState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MigrationState::Applied => "applied",
            MigrationState::Pending => "pending",
            MigrationState::Dirty => "dirty",
            MigrationState::Missing => "missing",
        })
    }
}

/// One migration in [`Status`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MigrationStatus {
    /// The version.
    pub version: u64,
    /// The title from the file name (empty when the file is missing).
    pub title: String,
    /// Applied, pending, dirty or missing.
    pub state: MigrationState,
    /// The up file, if there is one.
    pub file: Option<String>,
    /// When the history table recorded it applied (`None`: applied by another tool, such as
    /// golang-migrate, or not applied).
    pub applied_at: Option<SystemTime>,
    /// How long it took, from the history table.
    pub duration: Option<Duration>,
    /// Whether the up file differs from the one that was applied (by checksum).
    pub changed: bool,
}

/// The database's version and every migration's state.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Status {
    /// The version table's row.
    pub version: Option<DbVersion>,
    /// Every migration of the source, plus applied versions whose files are missing.
    pub migrations: Vec<MigrationStatus>,
}

pub(crate) fn build(
    source: &MigrationSource,
    version: Option<DbVersion>,
    history: &[HistoryRow],
) -> Status {
    let recorded = |v: u64| {
        history
            .iter()
            .find(|h| u64::try_from(h.version).ok() == Some(v) && h.direction == "up")
    };
    let mut migrations: Vec<MigrationStatus> = source
        .migrations
        .iter()
        .map(|(v, m)| {
            let state = match version {
                Some(d) if d.dirty && u64::try_from(d.version).ok() == Some(*v) => {
                    MigrationState::Dirty
                }
                Some(d) if i64::try_from(*v).is_ok_and(|v| v <= d.version) => {
                    MigrationState::Applied
                }
                _ => MigrationState::Pending,
            };
            let rec = (state == MigrationState::Applied)
                .then(|| recorded(*v))
                .flatten();
            let changed = rec.is_some_and(|r| {
                r.checksum.as_deref() != m.up.as_ref().map(|f| f.checksum.as_str())
            });
            MigrationStatus {
                version: *v,
                title: m.title.clone(),
                state,
                file: m.up.as_ref().map(|f| f.name.clone()),
                applied_at: rec.map(|r| r.applied_at),
                duration: rec.map(|r| r.duration),
                changed,
            }
        })
        .collect();
    // Applied versions without a file: the database's version, and any version below it whose
    // latest record in the history is an up migration (rows come newest first per version).
    let mut missing: Vec<u64> = Vec::new();
    if let Some(d) = version {
        if let Ok(v) = u64::try_from(d.version) {
            missing.push(v);
        }
        let mut last = None;
        for h in history {
            if last == Some(h.version) {
                continue;
            }
            last = Some(h.version);
            if h.direction == "up"
                && h.version < d.version
                && let Ok(v) = u64::try_from(h.version)
            {
                missing.push(v);
            }
        }
    }
    for v in missing {
        if source.migrations.contains_key(&v) || migrations.iter().any(|m| m.version == v) {
            continue;
        }
        let rec = recorded(v);
        migrations.push(MigrationStatus {
            version: v,
            title: String::new(),
            state: MigrationState::Missing,
            file: None,
            applied_at: rec.map(|r| r.applied_at),
            duration: rec.map(|r| r.duration),
            changed: false,
        });
    }
    migrations.sort_by_key(|m| m.version);
    Status {
        version,
        migrations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_as_golang_migrate_words() {
        let words: Vec<String> = [
            MigrationState::Applied,
            MigrationState::Pending,
            MigrationState::Dirty,
            MigrationState::Missing,
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(words, ["applied", "pending", "dirty", "missing"]);
    }
}
