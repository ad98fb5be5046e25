//! The `txova-db` command: golang-migrate compatible migrations. The logic is in the
//! library, so tests run it in-process as well.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(txova_db_cli::run(
        std::env::args_os(),
        &txova_db_cli::Console::std(),
    ))
}
