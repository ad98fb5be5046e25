//! Migrations: the repository's `migrations/` folder applied to the scratch database, with a
//! dry run, the version, the status, one step down and back up.

use std::path::Path;

use txova_db::postgres::{Direction, Migrator, MigratorConfig, Progress, Target};

pub async fn run(db: &txova_db::testing::TestDatabase) -> Result<(), Box<dyn std::error::Error>> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("migrations");
    let migrator = Migrator::new(MigratorConfig::new(db.url(), folder.display().to_string()))?
        .on_progress(|p| {
            if let Progress::Finished(a) = p {
                let arrow = if a.step.direction == Direction::Up {
                    "up"
                } else {
                    "down"
                };
                println!(
                    "migrations:   {} {arrow} {} ({:.1} ms)",
                    a.step.version,
                    a.step.title,
                    a.duration.as_secs_f64() * 1000.0
                );
            }
        });

    let plan = migrator.plan(Target::Up(None)).await?;
    println!("migrations: dry run, {} would run:", plan.len());
    for step in &plan {
        println!(
            "migrations:   {} {}",
            step.version,
            step.file.as_deref().unwrap_or("(no file)")
        );
    }

    println!("migrations: up");
    migrator.up().await?;
    if let Some(v) = migrator.version().await? {
        println!("migrations: version {v}");
    }

    let status = migrator.status().await?;
    for m in &status.migrations {
        println!(
            "migrations: status {} {} {}{}",
            m.version,
            m.state,
            m.file.as_deref().unwrap_or("-"),
            if m.changed {
                " (changed since applied)"
            } else {
                ""
            }
        );
    }

    println!("migrations: down 1");
    migrator.down(1).await?;
    if let Some(v) = migrator.version().await? {
        println!("migrations: version {v}");
    }
    println!("migrations: up again");
    migrator.up().await?;
    let again = migrator.up().await?;
    println!(
        "migrations: up once more: {} (no change is not an error)",
        if again.is_empty() {
            "no change"
        } else {
            "applied"
        }
    );
    Ok(())
}
