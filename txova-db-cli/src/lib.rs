//! The `txova-db` command: golang-migrate compatible migrations.
//!
//! `txova-db migrate --database <URL> --path <DIR> <command>`; see `txova-db migrate --help`.
//! Exit status: 0 on success (including "no change"), 1 on an error, 2 on a usage error,
//! 130 when stopped by Ctrl-C after the running migration.
//!
//! The binary's `main` only calls [`run`] with the process's arguments and a [`Console`] on
//! the standard streams; tests call [`run`] or [`execute`] with a captured [`Console`].

mod console;
mod create;

use std::ffi::OsString;
use std::time::Duration;

pub use console::{Captured, Console};

use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};
use txova_db::postgres::{
    Applied, Direction, MigrationState, Migrator, MigratorConfig, Progress, Step, Target,
};

/// Exit status of a successful run, "no change" included.
pub const SUCCESS: u8 = 0;
/// Exit status of a run that failed: the reason is one line on stderr.
pub const FAILURE: u8 = 1;
/// Exit status of a usage mistake (unknown command, missing or malformed argument).
pub const USAGE: u8 = 2;
/// Exit status of an interrupted run, as a shell reports SIGINT.
pub const INTERRUPTED: u8 = 130;

/// Help and version go to stdout as clap renders them (help shown for a missing command is
/// exit status 2); a usage mistake is one line on stderr (clap's first line, which names the
/// mistake) and exit status 2.
fn usage_error(e: &clap::Error, console: &Console) -> u8 {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        console.out(&e.render().to_string());
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            USAGE
        } else {
            SUCCESS
        };
    }
    let text = e.to_string();
    let line = text.lines().next().unwrap_or("invalid arguments");
    let line = line.strip_prefix("error: ").unwrap_or(line);
    console.err(&format!("error: {line} (see `txova-db --help`)\n"));
    USAGE
}

fn cli() -> Command {
    Command::new("txova-db")
        .version(env!("CARGO_PKG_VERSION"))
        .about("PostgreSQL migrations that interoperate with golang-migrate")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("migrate")
                .about("Apply, revert and inspect migrations")
                .subcommand_required(true)
                .arg_required_else_help(true)
                .arg(
                    Arg::new("database")
                        .long("database")
                        .value_name("URL")
                        .env("DATABASE_URL")
                        .hide_env_values(true)
                        .global(true)
                        .help("PostgreSQL URL; golang-migrate's x-migrations-table, x-statement-timeout and search_path options are understood"),
                )
                .arg(
                    Arg::new("path")
                        .long("path")
                        .value_name("DIR")
                        .default_value("migrations")
                        .global(true)
                        .help("Folder of the migration files"),
                )
                .arg(
                    Arg::new("lock-timeout")
                        .long("lock-timeout")
                        .value_name("SECONDS")
                        .value_parser(value_parser!(u64))
                        .default_value("15")
                        .global(true)
                        .help("How long to wait for another migrator's lock"),
                )
                .arg(
                    Arg::new("dry-run")
                        .long("dry-run")
                        .action(ArgAction::SetTrue)
                        .global(true)
                        .help("List what would run, run nothing"),
                )
                .subcommands(commands()),
        )
}

/// The commands of `txova-db migrate`.
fn commands() -> Vec<Command> {
    let yes = Arg::new("yes")
        .short('y')
        .long("yes")
        .action(ArgAction::SetTrue)
        .help("Do not ask for confirmation");
    vec![
        Command::new("up")
            .about("Apply all or N pending migrations")
            .arg(Arg::new("N").value_parser(value_parser!(u64))),
        Command::new("down")
            .about("Revert N migrations, or all (asks first unless -y)")
            .arg(Arg::new("N").value_parser(value_parser!(u64)))
            .arg(
                Arg::new("all")
                    .long("all")
                    .action(ArgAction::SetTrue)
                    .conflicts_with("N")
                    .help("Revert every applied migration"),
            )
            .arg(yes.clone()),
        Command::new("goto")
            .about("Move up or down to version V")
            .arg(
                Arg::new("V")
                    .required(true)
                    .value_parser(value_parser!(u64)),
            ),
        Command::new("force")
            .about("Set version V (-1: none) without running anything, clearing dirty")
            .arg(
                Arg::new("V")
                    .required(true)
                    .allow_negative_numbers(true)
                    .value_parser(value_parser!(i64)),
            ),
        Command::new("version").about("Print the version: N or N (dirty)"),
        Command::new("status")
            .about("List every migration: applied, pending, changed since applied"),
        Command::new("drop")
            .about("Drop every table of the current schema (asks first unless -f)")
            .arg(
                Arg::new("force")
                    .short('f')
                    .long("force")
                    .action(ArgAction::SetTrue)
                    .help("Do not ask for confirmation"),
            ),
        Command::new("create")
            .about("Create an empty up and down file with a new version")
            .arg(
                Arg::new("seq")
                    .long("seq")
                    .action(ArgAction::SetTrue)
                    .help("Number sequentially instead of by timestamp"),
            )
            .arg(
                Arg::new("digits")
                    .long("digits")
                    .value_name("N")
                    .value_parser(value_parser!(u8).range(1..=19))
                    .default_value("6")
                    .help("Digits of a sequential version"),
            )
            .arg(
                Arg::new("ext")
                    .long("ext")
                    .default_value("sql")
                    .help("File extension"),
            )
            .arg(Arg::new("NAME").required(true)),
    ]
}

/// Runs the command line `args` (the program name first, as `std::env::args_os` gives it)
/// with `console` as its standard streams, and returns its exit status.
///
/// Starts its own runtime for the commands that talk to the database, so it must not be
/// called from inside a Tokio runtime; use [`execute`] there.
pub fn run<I, T>(args: I, console: &Console) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let matches = match cli().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => return usage_error(&e, console),
    };
    let Some(("migrate", m)) = matches.subcommand() else {
        return USAGE;
    };
    if let Some(("create", c)) = m.subcommand() {
        return report(create(m, c, console), console);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return report(Err(format!("cannot start the runtime: {e}")), console),
    };
    runtime.block_on(migrate(m, console))
}

/// [`run`] on the caller's Tokio runtime (multi-threaded, with I/O and time enabled).
pub async fn execute<I, T>(args: I, console: &Console) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let matches = match cli().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => return usage_error(&e, console),
    };
    let Some(("migrate", m)) = matches.subcommand() else {
        return USAGE;
    };
    if let Some(("create", c)) = m.subcommand() {
        return report(create(m, c, console), console);
    }
    migrate(m, console).await
}

fn report(result: Result<(), String>, console: &Console) -> u8 {
    match result {
        Ok(()) => SUCCESS,
        Err(e) => {
            console.err(&format!("error: {e}\n"));
            FAILURE
        }
    }
}

fn create(m: &ArgMatches, c: &ArgMatches, console: &Console) -> Result<(), String> {
    let dir = m
        .get_one::<String>("path")
        .map_or("migrations", String::as_str);
    let name = c.get_one::<String>("NAME").map_or("", String::as_str);
    let ext = c.get_one::<String>("ext").map_or("sql", String::as_str);
    let numbering = if c.get_flag("seq") {
        create::Numbering::Sequence {
            digits: usize::from(c.get_one::<u8>("digits").copied().unwrap_or(6)),
        }
    } else {
        create::Numbering::Timestamp
    };
    for path in create::create(std::path::Path::new(dir), name, ext, &numbering)? {
        console.out(&format!("{}\n", path.display()));
    }
    Ok(())
}

/// Error text with its causes, on one line.
fn one_line(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text.replace('\n', " ")
}

async fn migrate(m: &ArgMatches, console: &Console) -> u8 {
    let Some(database) = m.get_one::<String>("database").filter(|d| !d.is_empty()) else {
        return report(
            Err("no database: pass --database <URL> or set DATABASE_URL".to_owned()),
            console,
        );
    };
    let path = m
        .get_one::<String>("path")
        .map_or("migrations", String::as_str);
    let config = MigratorConfig {
        lock_timeout: Duration::from_secs(m.get_one::<u64>("lock-timeout").copied().unwrap_or(15)),
        ..MigratorConfig::new(database.clone(), path)
    };
    let migrator = match Migrator::new(config) {
        Ok(migrator) => {
            let out = console.clone();
            migrator.on_progress(move |p| print_progress(&p, &out))
        }
        Err(e) => return report(Err(one_line(&e)), console),
    };
    let dry_run = m.get_flag("dry-run");
    let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    if console.watches_interrupt()
        && let Err(e) = watch_interrupt(&migrator, &interrupted, console)
    {
        return report(Err(format!("cannot watch for Ctrl-C: {e}")), console);
    }
    let result = command(&migrator, m, dry_run, console).await;
    if interrupted.load(std::sync::atomic::Ordering::SeqCst) {
        if let Err(e) = result {
            console.err(&format!("error: {e}\n"));
        }
        return INTERRUPTED;
    }
    report(result, console)
}

/// Ctrl-C stops the migrator after the running migration; a second one exits at once.
/// Installed before any work starts, so an early Ctrl-C is not the default kill.
fn watch_interrupt(
    migrator: &Migrator,
    interrupted: &std::sync::Arc<std::sync::atomic::AtomicBool>,
    console: &Console,
) -> std::io::Result<()> {
    let stop = migrator.stop_handle();
    let flag = interrupted.clone();
    let console = console.clone();
    #[cfg(unix)]
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    tokio::spawn(async move {
        #[cfg(unix)]
        let first = sigint.recv().await.is_some();
        #[cfg(not(unix))]
        let first = tokio::signal::ctrl_c().await.is_ok();
        if first {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            stop.stop();
            console.err("stopping after the running migration (Ctrl-C again to abort)\n");
            #[cfg(unix)]
            let again = sigint.recv().await.is_some();
            #[cfg(not(unix))]
            let again = tokio::signal::ctrl_c().await.is_ok();
            if again {
                std::process::exit(i32::from(INTERRUPTED));
            }
        }
    });
    Ok(())
}
async fn command(
    migrator: &Migrator,
    m: &ArgMatches,
    dry_run: bool,
    console: &Console,
) -> Result<(), String> {
    let err = |e: txova_db::Error| one_line(&e);
    let Some((command, args)) = m.subcommand() else {
        return Err("no command".to_owned());
    };
    let target = match command {
        "up" => Some(
            args.get_one::<u64>("N")
                .map_or(Target::Up(None), |n| Target::Up(Some(*n))),
        ),
        "down" => {
            let n = args.get_one::<u64>("N").copied();
            if n.is_none()
                && !dry_run
                && !args.get_flag("yes")
                && !console.confirm("Are you sure you want to apply all down migrations? [y/N]")
            {
                return Err("not confirmed; nothing was run".to_owned());
            }
            Some(Target::Down(n))
        }
        "goto" => args.get_one::<u64>("V").map(|v| Target::Goto(*v)),
        _ => None,
    };
    if let Some(target) = target {
        if dry_run {
            let steps = migrator.plan(target).await.map_err(err)?;
            if steps.is_empty() {
                console.out("no change\n");
            }
            for step in &steps {
                console.out(&format!("would run {}\n", describe(step)));
            }
            return Ok(());
        }
        let applied = migrator.migrate(target).await.map_err(err)?;
        if applied.is_empty() {
            console.out("no change\n");
        }
        return Ok(());
    }
    if dry_run {
        // Never let a preview flag pass silently on a command that changes things.
        return Err(format!(
            "--dry-run works with up, down and goto, not with {command}"
        ));
    }
    match command {
        "force" => {
            let Some(v) = args.get_one::<i64>("V").copied() else {
                return Err("force needs a version".to_owned());
            };
            migrator.force(v).await.map_err(err)?;
        }
        "version" => match migrator.version().await.map_err(err)? {
            Some(v) => console.out(&format!("{v}\n")),
            None => console.out("no version\n"),
        },
        "status" => print_status(migrator, console).await?,
        "drop" => {
            if !args.get_flag("force")
                && !console
                    .confirm("Are you sure you want to drop the entire database schema? [y/N]")
            {
                return Err("not confirmed; nothing was dropped".to_owned());
            }
            migrator.drop().await.map_err(err)?;
            console.out("dropped every table of the current schema\n");
        }
        other => return Err(format!("unknown command `{other}`")),
    }
    Ok(())
}

/// `3/u create_rides (000003_create_rides.up.sql)`, golang-migrate's `3/u create_rides`.
fn describe(step: &Step) -> String {
    let arrow = match step.direction {
        Direction::Up => "u",
        Direction::Down => "d",
    };
    match &step.file {
        Some(file) => format!("{}/{arrow} {} ({file})", step.version, step.title),
        None => format!(
            "{}/{arrow} {} (no file, version only)",
            step.version, step.title
        ),
    }
}

fn print_progress(p: &Progress<'_>, console: &Console) {
    if let Progress::Finished(Applied { step, duration }) = p {
        let arrow = match step.direction {
            Direction::Up => "u",
            Direction::Down => "d",
        };
        console.out(&format!(
            "{}/{arrow} {} ({:.1}ms)\n",
            step.version,
            step.title,
            duration.as_secs_f64() * 1000.0
        ));
    }
}

async fn print_status(migrator: &Migrator, console: &Console) -> Result<(), String> {
    let status = migrator.status().await.map_err(|e| one_line(&e))?;
    match status.version {
        Some(v) => console.out(&format!("version: {v}\n")),
        None => console.out("version: none\n"),
    }
    console.out(&format!(
        "{:<16} {:<8} {:<22} file\n",
        "version", "state", "applied at"
    ));
    for s in &status.migrations {
        let at = match s.applied_at {
            Some(t) => chrono::DateTime::<chrono::Utc>::from(t)
                .format("%Y-%m-%d %H:%M:%SZ")
                .to_string(),
            None if s.state == MigrationState::Applied => "(not recorded)".to_owned(),
            None => String::new(),
        };
        let mut file = s.file.clone().unwrap_or_else(|| "-".to_owned());
        if s.changed {
            file.push_str("  CHANGED since applied");
        }
        console.out(&format!(
            "{:<16} {:<8} {:<22} {file}\n",
            s.version,
            s.state.to_string(),
            at
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        super::cli().debug_assert();
    }
}
