//! The checksum recorded for each applied file.
//!
//! CRC-32 (IEEE) of the file's text with every line ending turned into `\n`, so a checkout
//! with Windows line endings does not read as a changed file. It detects edits, not tampering.

/// The checksum of a migration file's text, as eight lowercase hex digits.
pub(crate) fn checksum(text: &str) -> String {
    let mut hasher = crc32fast::Hasher::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' {
            hasher.update(&bytes[start..i]);
            hasher.update(b"\n");
            if bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            start = i + 1;
        }
        i += 1;
    }
    hasher.update(&bytes[start..]);
    format!("{:08x}", hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::checksum;

    #[test]
    fn line_endings_do_not_change_the_checksum() {
        let unix = "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n";
        assert_eq!(checksum(unix), checksum(&unix.replace('\n', "\r\n")));
        assert_eq!(checksum(unix), checksum(&unix.replace('\n', "\r")));
        assert_eq!(checksum(unix).len(), 8);
    }

    #[test]
    fn an_edit_changes_the_checksum() {
        assert_ne!(
            checksum("CREATE TABLE a (id int);\n"),
            checksum("CREATE TABLE a (id bigint);\n")
        );
        // CRC-32 (IEEE) of "123456789" is the standard check value.
        assert_eq!(checksum("123456789"), "cbf43926");
    }
}
