//! golang-migrate's advisory lock id, so that a Go and a Rust migrator exclude each other.

/// The salt golang-migrate multiplies the checksum by (taken from Rails' migrator).
const SALT: u32 = 1_486_364_155;

/// The id golang-migrate's PostgreSQL driver passes to `pg_advisory_lock`: CRC-32 (IEEE) of
/// the further names followed by the database name, joined by NUL bytes
/// (`schema\0table\0database`, as `GenerateAdvisoryLockId` joins `additionalNames` and then
/// `databaseName`), times [`SALT`] with 32-bit wraparound. The result is an unsigned 32-bit
/// number used as a `bigint`, never negative.
pub(crate) fn advisory_lock_id(database: &str, names: &[&str]) -> i64 {
    let mut hasher = crc32fast::Hasher::new();
    for name in names {
        hasher.update(name.as_bytes());
        hasher.update(&[0]);
    }
    hasher.update(database.as_bytes());
    i64::from(hasher.finalize().wrapping_mul(SALT))
}

#[cfg(test)]
mod tests {
    use super::advisory_lock_id;

    #[test]
    fn golang_migrate_vectors() {
        // The vectors of golang-migrate's own test of GenerateAdvisoryLockId.
        assert_eq!(advisory_lock_id("database_name", &[]), 1_764_327_054);
        assert_eq!(
            advisory_lock_id("database_name", &["schema_name_1"]),
            2_453_313_553
        );
        // The database name goes last: hashing it first (as golang-migrate's releases
        // before the names were reordered did) gives another id.
        assert_ne!(
            advisory_lock_id("database_name", &["schema_name_1"]),
            advisory_lock_id("schema_name_1", &["database_name"]),
        );
    }

    #[test]
    fn names_are_joined_by_nul_bytes_before_the_database() {
        let joined = crc32fast::hash(b"public\0schema_migrations\0/mydb");
        assert_eq!(
            advisory_lock_id("/mydb", &["public", "schema_migrations"]),
            i64::from(joined.wrapping_mul(1_486_364_155))
        );
    }

    #[test]
    fn url_path_and_current_database_differ() {
        assert_ne!(
            advisory_lock_id("/mydb", &["public", "schema_migrations"]),
            advisory_lock_id("mydb", &["public", "schema_migrations"])
        );
    }
}
