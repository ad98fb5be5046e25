//! `insert_into`, `update_table` and `delete_from`: writes whose columns and conditions are
//! chosen at run time, typed by the column handles, and refused without a condition unless
//! asked for.

use txova_db::postgres::{self, ColumnExt as _, Executor as _, Pool};
use txova_db::testing::TestDatabase;
use txova_db::{ErrorKind, PgEnum, Table};

#[derive(PgEnum, Debug, Clone, Copy, PartialEq)]
#[pg_enum(name = "driver_state")]
enum State {
    Online,
    Offline,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "drivers")]
struct Driver {
    #[column(primary_key, default)]
    id: i64,
    name: String,
    state: State,
    rating: Option<i32>,
}

async fn setup(label: &str) -> (TestDatabase, Pool) {
    let db = TestDatabase::create(label).await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "CREATE TYPE driver_state AS ENUM ('online', 'offline');
             CREATE TABLE drivers (id bigserial PRIMARY KEY, name text NOT NULL,
                 state driver_state NOT NULL DEFAULT 'offline', rating int4)",
        )
        .await
        .unwrap();
    (db, pool)
}

async fn count(pool: &Pool) -> i64 {
    pool.query_one("SELECT count(*) FROM drivers", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn columns_and_conditions_chosen_at_run_time() {
    let (_db, pool) = setup("builder_write").await;
    // Only the columns given: `state` takes its default.
    let ann = postgres::insert_into::<Driver>()
        .value(Driver::name, "ann")
        .value(Driver::rating, 5)
        .returning_row(&pool)
        .await
        .unwrap();
    assert_eq!(ann.state, State::Offline);
    assert_eq!(ann.rating, Some(5));
    for name in ["bob", "cid"] {
        postgres::insert_into::<Driver>()
            .value(Driver::name, name)
            .value(Driver::state, State::Online)
            .execute(&pool)
            .await
            .unwrap();
    }

    // An update whose assignments depend on the request.
    let new_rating: Option<i32> = None;
    let go_online = true;
    let mut q = postgres::update_table::<Driver>().set(Driver::rating, new_rating);
    if go_online {
        q = q.set(Driver::state, State::Online);
    }
    let changed = q
        .filter_by(Driver::name.eq("ann"))
        .returning_rows(&pool)
        .await
        .unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].rating, None);
    assert_eq!(changed[0].state, State::Online);

    // The seed's string form, with text bound to the enum column.
    let n = postgres::update_table::<Driver>()
        .set(Driver::rating, 4)
        .filter("state = ?", "online")
        .filter_by(Driver::name.ne("cid"))
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(n, 2);

    // No condition: refused, nothing changed; allowed with `all`.
    let err = postgres::update_table::<Driver>()
        .set(Driver::rating, 1)
        .execute(&pool)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("without a condition"), "{err}");
    let err = postgres::update_table::<Driver>()
        .filter_by(Driver::id.eq(1_i64))
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("sets no column"), "{err}");
    let rated: i64 = pool
        .query_one("SELECT count(*) FROM drivers WHERE rating = 4", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rated, 2);
    let n = postgres::update_table::<Driver>()
        .set(Driver::rating, None::<i32>)
        .all()
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(n, 3);

    let err = postgres::delete_from::<Driver>()
        .execute(&pool)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string()
            .contains("a delete from `drivers` without a condition removes every row"),
        "{err}"
    );
    // A fragment whose placeholders do not match its values is refused, even with `all`.
    let err = postgres::delete_from::<Driver>()
        .filter("name = ? OR name = ?", "ann")
        .all()
        .execute(&pool)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(count(&pool).await, 3);
    let n = postgres::delete_from::<Driver>()
        .filter_by(Driver::name.in_list(vec!["bob".to_owned(), "cid".to_owned()]))
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(n, 2);
    let n = postgres::delete_from::<Driver>()
        .all()
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(count(&pool).await, 0);
}
