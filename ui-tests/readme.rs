//! Every Rust code block of the README compiles as written: each is spliced into its template
//! in `readme/` (the imports, tables and variables it assumes), found by a line of the block
//! that the template quotes (`//! block: ...`), and built as a program.

use std::fs;
use std::path::Path;

/// The line of a template the block replaces.
const SPLICE: &str = "// README BLOCK";

/// The Rust blocks of `readme`: each one's first line and text.
fn blocks(readme: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in readme.lines() {
        match &mut current {
            None if line.starts_with("```rust") => current = Some(Vec::new()),
            None => {}
            Some(_) if line.starts_with("```") => {
                let lines = current.take().unwrap_or_default();
                let first = lines.first().copied().unwrap_or_default().trim().to_owned();
                out.push((first, lines.join("\n")));
            }
            Some(lines) => lines.push(line),
        }
    }
    out
}

#[test]
fn readme_blocks_compile() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = fs::read_to_string(root.join("../README.md")).expect("README.md");
    let mut templates = Vec::new();
    for entry in fs::read_dir(root.join("readme")).expect("readme/") {
        let path = entry.expect("entry").path();
        let text = fs::read_to_string(&path).expect("template");
        let first = text
            .lines()
            .find_map(|l| l.strip_prefix("//! block: "))
            .unwrap_or_else(|| panic!("{} has no `//! block: ` line", path.display()))
            .trim()
            .to_owned();
        templates.push((path, first, text));
    }
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("readme-blocks");
    let _ = fs::remove_dir_all(&out);
    fs::create_dir_all(&out).expect("output directory");
    let mut missing = Vec::new();
    for (i, (first, block)) in blocks(&readme).iter().enumerate() {
        let matching: Vec<_> = templates
            .iter()
            .filter(|(_, key, _)| block.contains(key.as_str()))
            .collect();
        let [(path, _, text)] = matching.as_slice() else {
            missing.push(format!("{first} ({} templates match)", matching.len()));
            continue;
        };
        assert!(
            text.contains(SPLICE),
            "{} has no `{SPLICE}` line",
            path.display()
        );
        let program = text.replace(SPLICE, block);
        fs::write(out.join(format!("block_{i:02}.rs")), program).expect("write");
    }
    assert!(
        missing.is_empty(),
        "README blocks without a template in ui-tests/readme/ (`//! block: <a line of the block>`): {missing:#?}"
    );
    // `embed_migrations!("migrations")` reads the folder beside the Cargo.toml of the project
    // the blocks are built in.
    let project = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("../tests/trybuild")
        .join(env!("CARGO_PKG_NAME"))
        .join("migrations");
    fs::create_dir_all(&project).expect("migrations folder");
    for entry in fs::read_dir(root.join("../migrations")).expect("migrations/") {
        let path = entry.expect("entry").path();
        if let Some(name) = path.file_name() {
            fs::copy(&path, project.join(name)).expect("copy a migration");
        }
    }
    trybuild::TestCases::new().pass(out.join("*.rs"));
}
