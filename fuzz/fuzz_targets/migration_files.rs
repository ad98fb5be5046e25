//! Migration file names and sources: names parse or are skipped, a set of files loads or is
//! refused with an error, never a panic. Input: lines alternating file name and file text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use txova_db::__private::entry::parse_migration_name;
use txova_db::postgres::MigrationSource;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for line in text.lines() {
        if let Ok(Some((version, title, _))) = parse_migration_name(line) {
            assert!(i64::try_from(version).is_ok());
            assert!(line.contains(title));
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    let files: Vec<(String, String)> = lines
        .chunks(2)
        .map(|pair| {
            (
                pair[0].to_owned(),
                pair.get(1).copied().unwrap_or("").to_owned(),
            )
        })
        .collect();
    if let Ok(source) = MigrationSource::from_files(files) {
        let versions: Vec<u64> = source.versions().collect();
        assert!(
            versions.windows(2).all(|w| w[0] < w[1]),
            "versions sorted and unique"
        );
        assert_eq!(versions.len(), source.len());
    }
});
