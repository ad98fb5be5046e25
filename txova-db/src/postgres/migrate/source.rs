//! Where migrations come from: a folder read at run time, or files embedded at compile time.
//!
//! File names follow golang-migrate: `{version}_{title}.{up|down}.{ext}`, the version an
//! unsigned decimal with leading zeros allowed. Other names are skipped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::checksum::checksum;
use crate::error::{Error, ErrorKind, Result};

/// Which way a migration moves the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Applies the migration (its `.up.` file).
    Up,
    /// Reverts the migration (its `.down.` file).
    Down,
}

impl Direction {
    /// `"up"` or `"down"`, as in file names and in the history table.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One migration file's name, text and checksum.
#[derive(Debug, Clone)]
pub(crate) struct File {
    pub(crate) name: String,
    pub(crate) sql: Arc<str>,
    pub(crate) checksum: String,
}

/// One version: its title and its up and down files, either of which may be missing (an
/// empty migration that only moves the version).
#[derive(Debug, Clone)]
pub(crate) struct Migration {
    pub(crate) title: String,
    pub(crate) up: Option<File>,
    pub(crate) down: Option<File>,
}

impl Migration {
    pub(crate) fn file(&self, direction: Direction) -> Option<&File> {
        match direction {
            Direction::Up => self.up.as_ref(),
            Direction::Down => self.down.as_ref(),
        }
    }
}

/// A checked set of migrations, by version.
///
/// Built from a folder ([`MigrationSource::from_dir`]), from files in memory
/// ([`MigrationSource::from_files`]) or from files embedded with
/// [`embed_migrations!`](crate::embed_migrations) ([`EmbeddedMigrations::load`]). Building it
/// checks every name, so a duplicate version is reported before anything runs.
#[derive(Debug, Clone, Default)]
pub struct MigrationSource {
    pub(crate) migrations: BTreeMap<u64, Migration>,
}

/// A parsed migration file name.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ParsedName<'a> {
    pub(crate) version: u64,
    pub(crate) title: &'a str,
    pub(crate) direction: Direction,
}

/// Parses a golang-migrate file name: `^([0-9]+)_(.*)\.(down|up)\.(.*)$`, the title taking
/// as much as it can (so the last `.up.` or `.down.` decides). `Ok(None)` for a name that is
/// not a migration; an error for a migration name whose version does not fit in a `bigint`.
pub(crate) fn parse_name(name: &str) -> Result<Option<ParsedName<'_>>> {
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || name.as_bytes().get(digits) != Some(&b'_') {
        return Ok(None);
    }
    let rest = &name[digits + 1..];
    let up = rest.rfind(".up.").map(|i| (i, Direction::Up, 4));
    let down = rest.rfind(".down.").map(|i| (i, Direction::Down, 6));
    let Some((at, direction, _)) = [up, down].into_iter().flatten().max_by_key(|(i, _, _)| *i)
    else {
        return Ok(None);
    };
    let version = name[..digits]
        .parse::<u64>()
        .ok()
        .filter(|v| i64::try_from(*v).is_ok())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Migration,
                format!(
                    "migration file `{name}`: version {} is larger than the largest bigint ({})",
                    &name[..digits],
                    i64::MAX
                ),
            )
        })?;
    Ok(Some(ParsedName {
        version,
        title: &rest[..at],
        direction,
    }))
}

impl MigrationSource {
    /// Reads the migrations of a folder (not its subfolders). `file://` in front of the path
    /// is accepted, as golang-migrate writes it.
    pub fn from_dir(path: impl AsRef<Path>) -> Result<MigrationSource> {
        let path = path.as_ref();
        let entries = std::fs::read_dir(path).map_err(|e| {
            Error::with_source(
                ErrorKind::Migration,
                format!("cannot read the migrations folder `{}`", path.display()),
                e,
            )
        })?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| {
                Error::with_source(
                    ErrorKind::Migration,
                    format!("cannot list the migrations folder `{}`", path.display()),
                    e,
                )
            })?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if parse_name(&name)?.is_none() {
                continue;
            }
            let file_path: PathBuf = entry.path();
            if !file_path.is_file() {
                continue;
            }
            let text = std::fs::read(&file_path).map_err(|e| {
                Error::with_source(
                    ErrorKind::Migration,
                    format!("cannot read migration file `{}`", file_path.display()),
                    e,
                )
            })?;
            let text = String::from_utf8(text).map_err(|e| {
                Error::new(
                    ErrorKind::Migration,
                    format!(
                        "migration file `{}` is not valid UTF-8 (at byte {})",
                        file_path.display(),
                        e.utf8_error().valid_up_to()
                    ),
                )
            })?;
            files.push((name, text));
        }
        MigrationSource::from_files(files)
    }

    /// Builds a source from `(file name, text)` pairs; names that are not migrations are
    /// skipped.
    pub fn from_files<N, T>(files: impl IntoIterator<Item = (N, T)>) -> Result<MigrationSource>
    where
        N: Into<String>,
        T: Into<Arc<str>>,
    {
        let mut source = MigrationSource::default();
        let mut files: Vec<(String, Arc<str>)> = files
            .into_iter()
            .map(|(n, t)| (n.into(), t.into()))
            .collect();
        // A stable order makes the duplicate error name the same files on every system.
        files.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, sql) in files {
            let Some(parsed) = parse_name(&name)? else {
                continue;
            };
            let entry = source
                .migrations
                .entry(parsed.version)
                .or_insert_with(|| Migration {
                    title: parsed.title.to_owned(),
                    up: None,
                    down: None,
                });
            let slot = match parsed.direction {
                Direction::Up => &mut entry.up,
                Direction::Down => &mut entry.down,
            };
            if let Some(existing) = slot {
                return Err(Error::new(
                    ErrorKind::Migration,
                    format!(
                        "duplicate migration version {} ({}): `{}` and `{name}`",
                        parsed.version, parsed.direction, existing.name
                    ),
                ));
            }
            let checksum = checksum(&sql);
            *slot = Some(File {
                name: name.clone(),
                sql,
                checksum,
            });
        }
        Ok(source)
    }

    /// The versions, in order.
    pub fn versions(&self) -> impl Iterator<Item = u64> + '_ {
        self.migrations.keys().copied()
    }

    /// How many versions there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.migrations.len()
    }

    /// Whether there are no migrations.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.migrations.is_empty()
    }
}

/// Migration files embedded in the binary by [`embed_migrations!`](crate::embed_migrations).
///
/// ```
/// use txova_db::postgres::EmbeddedMigrations;
///
/// // The folder is relative to the `Cargo.toml` of the crate that calls the macro; usually
/// // `embed_migrations!("migrations")`.
/// static MIGRATIONS: EmbeddedMigrations = txova_db::embed_migrations!("../migrations");
///
/// # fn main() -> Result<(), txova_db::Error> {
/// let source = MIGRATIONS.load()?;
/// assert!(source.versions().next().is_some());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedMigrations {
    files: &'static [(&'static str, &'static str)],
}

impl EmbeddedMigrations {
    /// Wraps `(file name, text)` pairs; the macro calls this.
    #[must_use]
    pub const fn new(files: &'static [(&'static str, &'static str)]) -> Self {
        EmbeddedMigrations { files }
    }

    /// The embedded `(file name, text)` pairs.
    #[must_use]
    pub const fn files(&self) -> &'static [(&'static str, &'static str)] {
        self.files
    }

    /// Checks the embedded files and builds a [`MigrationSource`] from them.
    pub fn load(&self) -> Result<MigrationSource> {
        MigrationSource::from_files(self.files.iter().map(|(n, t)| (*n, *t)))
    }
}

/// Turns golang-migrate's source URL (`file://migrations`, `file:///abs/path`) or a plain
/// path into a folder path.
pub(crate) fn folder_of(path: &str) -> Result<PathBuf> {
    if let Some(rest) = path.strip_prefix("file://") {
        return Ok(PathBuf::from(rest));
    }
    if let Some((scheme, _)) = path.split_once("://") {
        return Err(Error::config(format!(
            "migrations source `{scheme}://` is not supported: use a folder (`file://path`) or embed_migrations!"
        )));
    }
    Ok(PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_like_golang_migrate() {
        let p = parse_name("000001_create_users.up.sql").unwrap().unwrap();
        assert_eq!(
            p,
            ParsedName {
                version: 1,
                title: "create_users",
                direction: Direction::Up
            }
        );
        let p = parse_name("20240101120000_x.down.sql").unwrap().unwrap();
        assert_eq!(p.version, 20_240_101_120_000);
        assert_eq!(p.direction, Direction::Down);
        // The last direction marker wins, as with golang-migrate's greedy pattern.
        let p = parse_name("3_a.up.b.down.sql").unwrap().unwrap();
        assert_eq!((p.title, p.direction), ("a.up.b", Direction::Down));
        // An empty title and any extension are accepted.
        assert_eq!(parse_name("7_.up.psql").unwrap().unwrap().version, 7);
        for skipped in [
            "README.md",
            "1.up.sql",
            "_1_a.up.sql",
            "1_a.sql",
            "a1_x.up.sql",
            "1_a.upx.sql",
        ] {
            assert!(parse_name(skipped).unwrap().is_none(), "{skipped}");
        }
    }

    #[test]
    fn versions_beyond_bigint_are_an_error() {
        let err = parse_name("99999999999999999999_x.up.sql").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Migration);
        assert!(err.to_string().contains("99999999999999999999_x.up.sql"));
        assert!(parse_name("9223372036854775808_x.up.sql").is_err());
        assert!(
            parse_name("9223372036854775807_x.up.sql")
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn duplicates_are_reported_with_both_files() {
        let err =
            MigrationSource::from_files([("001_a.up.sql", "SELECT 1"), ("1_b.up.sql", "SELECT 2")])
                .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("duplicate migration version 1 (up)"),
            "{text}"
        );
        assert!(
            text.contains("001_a.up.sql") && text.contains("1_b.up.sql"),
            "{text}"
        );
        // The same version in both directions is one migration.
        let s = MigrationSource::from_files([
            ("001_a.up.sql", "SELECT 1"),
            ("001_a.down.sql", "SELECT 2"),
            ("5_c.up.sql", ""),
            ("notes.txt", "x"),
        ])
        .unwrap();
        assert_eq!(s.versions().collect::<Vec<_>>(), vec![1, 5]);
        assert!(s.migrations[&5].down.is_none());
    }

    /// A fresh folder of this test's own, removed when dropped.
    struct Folder(PathBuf);

    impl Folder {
        fn new(label: &str) -> Folder {
            let path = std::env::temp_dir().join(format!(
                "txova-migrate-{label}-{}-{:?}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default()
            ));
            std::fs::create_dir_all(&path).unwrap();
            Folder(path)
        }
    }

    impl Drop for Folder {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn a_folder_gives_its_migration_files_only() {
        let dir = Folder::new("only");
        std::fs::write(dir.0.join("1_a.up.sql"), "SELECT 1").unwrap();
        std::fs::write(dir.0.join("1_a.down.sql"), "SELECT 2").unwrap();
        std::fs::write(dir.0.join("README.md"), "notes").unwrap();
        // A folder named like a migration is not one.
        std::fs::create_dir(dir.0.join("2_b.up.sql")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt as _;
            let name = std::ffi::OsStr::from_bytes(b"3_\xff.up.sql");
            std::fs::write(dir.0.join(name), "SELECT 3").unwrap();
        }
        let source = MigrationSource::from_dir(&dir.0).unwrap();
        assert_eq!(source.versions().collect::<Vec<_>>(), [1]);
        assert_eq!(source.len(), 1);
        assert!(!source.is_empty());
        let empty = Folder::new("empty");
        let source = MigrationSource::from_dir(&empty.0).unwrap();
        assert_eq!(source.len(), 0);
        assert!(source.is_empty());
    }

    #[test]
    fn unreadable_folders_and_files_are_migration_errors() {
        let dir = Folder::new("bad");
        let missing = dir.0.join("nope");
        let err = MigrationSource::from_dir(&missing).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Migration);
        assert!(
            err.to_string()
                .contains("cannot read the migrations folder"),
            "{err}"
        );
        std::fs::write(dir.0.join("1_a.up.sql"), b"SELECT '\xe9t\xe9'").unwrap();
        let err = MigrationSource::from_dir(&dir.0).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Migration);
        assert!(
            err.to_string()
                .ends_with("1_a.up.sql` is not valid UTF-8 (at byte 8)"),
            "{err}"
        );
    }

    #[test]
    fn embedded_files_load_as_a_folder_would() {
        static FILES: EmbeddedMigrations = EmbeddedMigrations::new(&[
            ("2_b.up.sql", "SELECT 2"),
            ("1_a.up.sql", "SELECT 1"),
            ("notes.txt", "x"),
        ]);
        assert_eq!(FILES.files().len(), 3);
        let source = FILES.load().unwrap();
        assert_eq!(source.versions().collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn source_urls() {
        assert_eq!(
            folder_of("file://migrations").unwrap(),
            PathBuf::from("migrations")
        );
        assert_eq!(folder_of("file:///a/b").unwrap(), PathBuf::from("/a/b"));
        assert_eq!(folder_of("db/m").unwrap(), PathBuf::from("db/m"));
        assert!(folder_of("github://x/y").is_err());
    }
}
