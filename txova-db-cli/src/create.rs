//! `txova-db migrate create`: a new pair of empty up and down files.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use txova_db::postgres::MigrationSource;

/// How the new version is chosen.
pub(crate) enum Numbering {
    /// `YYYYMMDDhhmmss` in UTC, as golang-migrate does by default.
    Timestamp,
    /// The last version plus one, zero-padded to `digits`.
    Sequence { digits: usize },
}

/// Creates `{version}_{name}.up.{ext}` and `.down.{ext}` in `dir`, returning their paths.
pub(crate) fn create(
    dir: &Path,
    name: &str,
    ext: &str,
    numbering: &Numbering,
) -> Result<[PathBuf; 2], String> {
    if name.is_empty() || name.contains(['/', '\\']) {
        return Err(format!(
            "invalid migration name `{name}`: give a name without slashes, like create_users"
        ));
    }
    let ext = ext.trim_start_matches('.');
    if ext.is_empty() || ext.contains(['/', '\\']) {
        return Err(format!("invalid extension `{ext}`"));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the folder `{}`: {e}", dir.display()))?;
    let last = MigrationSource::from_dir(dir)
        .map_err(|e| e.to_string())?
        .versions()
        .last();
    let version = match numbering {
        Numbering::Sequence { digits } => {
            let next = last.map_or(Some(1), |v| v.checked_add(1));
            let next = next.ok_or("no version after the largest one")?;
            let text = format!("{next:0digits$}");
            if text.len() > *digits {
                return Err(format!(
                    "next sequence number {next} is longer than --digits {digits}"
                ));
            }
            text
        }
        Numbering::Timestamp => {
            let now: u64 = chrono::Utc::now()
                .format("%Y%m%d%H%M%S")
                .to_string()
                .parse()
                .map_err(|_| "cannot read the clock")?;
            // Never reuse a version: two creates in one second, or a clock behind the last
            // version, take the next number.
            let next = match last {
                Some(v) if v >= now => {
                    v.checked_add(1).ok_or("no version after the largest one")?
                }
                _ => now,
            };
            next.to_string()
        }
    };
    let up = dir.join(format!("{version}_{name}.up.{ext}"));
    let down = dir.join(format!("{version}_{name}.down.{ext}"));
    for path in [&up, &down] {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| format!("cannot create `{}`: {e}", path.display()))?;
    }
    Ok([up, down])
}
