//! `#[txova_db::test]` hands each test a pool on a fresh, migrated database of its own.

use txova_db::postgres::{Executor, Pool};
use txova_db::testing::TestDatabase;

async fn insert_same_user(pool: &Pool) -> Result<(), txova_db::Error> {
    // The same unique email in every test: it only works if each has its own database.
    pool.execute(
        "INSERT INTO users (email, name) VALUES ('same@txova.test', 'same')",
        &[],
    )
    .await?;
    Ok(())
}

#[txova_db::test(migrations = "../migrations")]
async fn gets_a_migrated_database(pool: Pool) -> Result<(), txova_db::Error> {
    let version: i64 = pool
        .query_one("SELECT version FROM schema_migrations", &[])
        .await?
        .get(0);
    assert!(version >= 4, "the repository's migrations were applied");
    insert_same_user(&pool).await
}

#[txova_db::test(migrations = "../migrations")]
async fn each_test_has_its_own_database(pool: Pool) -> Result<(), txova_db::Error> {
    insert_same_user(&pool).await
}

#[txova_db::test(migrations = false)]
async fn migrations_can_be_left_out(pool: Pool) {
    let tables: i64 = pool
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 0);
}

#[txova_db::test]
async fn a_test_may_take_no_pool() {
    // This crate has no `migrations` folder of its own, so none are looked for; the body
    // still runs on the runtime the attribute builds.
    let answer = tokio::spawn(async { 42 }).await.unwrap();
    assert_eq!(answer, 42);
}

#[test]
#[should_panic(expected = "cannot migrate the test database")]
fn a_missing_migrations_folder_fails_the_test() {
    txova_db::testing::run(
        "missing_folder",
        txova_db::testing::Migrations::Path("/nonexistent/migrations"),
        |_pool| async {},
    );
}

#[tokio::test]
async fn the_database_is_dropped_afterwards() {
    let db = TestDatabase::create("dropped").await.unwrap();
    let name = db.name().to_owned();
    let admin = TestDatabase::create("dropped_admin").await.unwrap();
    let pool = admin.pool().await.unwrap();
    let exists = async |pool: &Pool| -> bool {
        pool.query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .await
        .unwrap()
        .get::<_, i64>(0)
            == 1
    };
    assert!(exists(&pool).await);
    drop(db);
    assert!(!exists(&pool).await);
}

/// What `#[txova_db::test]` expands to, with a body that panics: the database still goes.
#[test]
fn the_database_is_dropped_after_a_panicking_test() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    let slot = seen.clone();
    let outcome = std::panic::catch_unwind(move || {
        txova_db::testing::run(
            "panicking",
            txova_db::testing::Migrations::None,
            |pool| async move {
                let row = pool
                    .query_one("SELECT current_database()::text", &[])
                    .await
                    .unwrap();
                *slot.lock().unwrap() = Some(row.get(0));
                panic!("the test fails");
            },
        );
    });
    assert!(outcome.is_err(), "the panic reaches the test harness");
    let name = seen.lock().unwrap().clone().expect("the body ran");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let left: i64 = rt.block_on(async {
        let admin = TestDatabase::create("panicking_admin").await.unwrap();
        admin
            .pool()
            .await
            .unwrap()
            .query_one(
                "SELECT count(*) FROM pg_database WHERE datname = $1",
                &[&name],
            )
            .await
            .unwrap()
            .get(0)
    });
    assert_eq!(left, 0, "database {name} was left behind");
}
