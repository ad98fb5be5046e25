//! The `txova-db` command.

fn main() {
    eprintln!("txova-db: no command yet");
    std::process::exit(2);
}
