//! Which files run, in which order, to go from the database's version to a target.

use super::source::{Direction, MigrationSource};
use crate::error::{Error, ErrorKind, Result};

/// One migration to run: a version's file in one direction and the version it leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The migration's version.
    pub version: u64,
    /// The title from its file name (`create_users` in `000001_create_users.up.sql`).
    pub title: String,
    /// Up or down.
    pub direction: Direction,
    /// The file that runs, or `None` for an empty migration (a version with no file in this
    /// direction), which only moves the version.
    pub file: Option<String>,
    /// The version recorded once this step is done: its own version going up, the version
    /// before it going down (`-1`, an empty table, below the first).
    pub target: i64,
}

/// Where [`Migrator::migrate`](super::Migrator::migrate) moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Apply pending migrations: all, or the next `n`.
    Up(Option<u64>),
    /// Revert applied migrations: all, or the last `n`.
    Down(Option<u64>),
    /// Move up or down to exactly this version.
    Goto(u64),
}

impl Target {
    /// `n` migrations up (`n > 0`) or down (`n < 0`), as golang-migrate's `Steps`.
    #[must_use]
    pub fn steps(n: i64) -> Target {
        if n >= 0 {
            Target::Up(Some(n.unsigned_abs()))
        } else {
            Target::Down(Some(n.unsigned_abs()))
        }
    }
}

/// The steps from the clean version `current` (`None`: nothing applied) to `target`.
pub(crate) fn plan(
    source: &MigrationSource,
    current: Option<u64>,
    target: Target,
) -> Result<Vec<Step>> {
    if let Some(c) = current
        && !source.migrations.contains_key(&c)
    {
        return Err(Error::new(
            ErrorKind::Migration,
            format!(
                "no migration found for version {c}: the database is at a version the migrations do not have"
            ),
        ));
    }
    let step = |version: u64, direction: Direction| -> Step {
        let m = &source.migrations[&version];
        let target = match direction {
            Direction::Up => to_i64(version),
            Direction::Down => source
                .migrations
                .range(..version)
                .next_back()
                .map_or(-1, |(v, _)| to_i64(*v)),
        };
        Step {
            version,
            title: m.title.clone(),
            direction,
            file: m.file(direction).map(|f| f.name.clone()),
            target,
        }
    };
    let pending = || {
        source
            .migrations
            .keys()
            .copied()
            .filter(move |v| current.is_none_or(|c| *v > c))
    };
    let applied = || {
        source
            .migrations
            .keys()
            .rev()
            .copied()
            .filter(move |v| current.is_some_and(|c| *v <= c))
    };
    let take = |available: Vec<u64>, limit: Option<u64>, direction: Direction| {
        let count = available.len();
        let wanted = match limit {
            None => count,
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        };
        if wanted > count {
            let (what, word) = match direction {
                Direction::Up => ("pending", "up"),
                Direction::Down => ("applied", "down"),
            };
            return Err(Error::new(
                ErrorKind::Migration,
                format!(
                    "cannot apply {wanted} {word} migration(s): only {count} {} {what}; nothing was run",
                    if count == 1 { "is" } else { "are" }
                ),
            ));
        }
        Ok(available
            .into_iter()
            .take(wanted)
            .map(|v| step(v, direction))
            .collect())
    };
    match target {
        Target::Up(limit) => take(pending().collect(), limit, Direction::Up),
        Target::Down(limit) => take(applied().collect(), limit, Direction::Down),
        Target::Goto(v) => {
            if !source.migrations.contains_key(&v) {
                return Err(Error::new(
                    ErrorKind::Migration,
                    format!("no migration found for version {v}"),
                ));
            }
            match current {
                Some(c) if v < c => Ok(applied()
                    .take_while(|w| *w > v)
                    .map(|w| step(w, Direction::Down))
                    .collect()),
                Some(c) if v == c => Ok(Vec::new()),
                _ => Ok(pending()
                    .take_while(|w| *w <= v)
                    .map(|w| step(w, Direction::Up))
                    .collect()),
            }
        }
    }
}

/// Versions are checked to fit in a `bigint` when files are read.
fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> MigrationSource {
        MigrationSource::from_files([
            ("001_a.up.sql", "A"),
            ("001_a.down.sql", "a"),
            ("3_b.up.sql", "B"),
            ("10_c.up.sql", "C"),
            ("10_c.down.sql", "c"),
        ])
        .unwrap()
    }

    fn show(steps: &[Step]) -> Vec<(u64, Direction, i64, bool)> {
        steps
            .iter()
            .map(|s| (s.version, s.direction, s.target, s.file.is_some()))
            .collect()
    }

    #[test]
    fn up_and_down() {
        use Direction::{Down, Up};
        let s = source();
        assert_eq!(
            show(&plan(&s, None, Target::Up(None)).unwrap()),
            vec![(1, Up, 1, true), (3, Up, 3, true), (10, Up, 10, true)]
        );
        assert_eq!(
            show(&plan(&s, Some(1), Target::Up(Some(1))).unwrap()),
            vec![(3, Up, 3, true)]
        );
        assert_eq!(
            show(&plan(&s, Some(10), Target::Down(None)).unwrap()),
            vec![
                (10, Down, 3, true),
                (3, Down, 1, false),
                (1, Down, -1, true)
            ]
        );
        assert!(plan(&s, Some(10), Target::Up(None)).unwrap().is_empty());
        assert!(plan(&s, None, Target::Down(None)).unwrap().is_empty());
    }

    #[test]
    fn goto_and_steps() {
        use Direction::{Down, Up};
        let s = source();
        assert_eq!(
            show(&plan(&s, Some(10), Target::Goto(1)).unwrap()),
            vec![(10, Down, 3, true), (3, Down, 1, false)]
        );
        assert_eq!(
            show(&plan(&s, None, Target::Goto(3)).unwrap()),
            vec![(1, Up, 1, true), (3, Up, 3, true)]
        );
        assert!(plan(&s, Some(3), Target::Goto(3)).unwrap().is_empty());
        assert!(plan(&s, Some(3), Target::Goto(2)).is_err());
        assert_eq!(
            show(&plan(&s, Some(3), Target::steps(-2)).unwrap()),
            vec![(3, Down, 1, false), (1, Down, -1, true)]
        );
        assert!(plan(&s, Some(3), Target::steps(0)).unwrap().is_empty());
    }

    #[test]
    fn refusals_run_nothing() {
        let s = source();
        let e = plan(&s, Some(3), Target::steps(2)).unwrap_err();
        assert!(e.to_string().contains("only 1 is pending"), "{e}");
        let e = plan(&s, Some(3), Target::steps(-3)).unwrap_err();
        assert!(e.to_string().contains("only 2 are applied"), "{e}");
        let e = plan(&s, Some(4), Target::Up(None)).unwrap_err();
        assert!(
            e.to_string().contains("no migration found for version 4"),
            "{e}"
        );
    }
}
