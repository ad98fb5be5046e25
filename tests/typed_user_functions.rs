//! SQL functions declared with `sql_function!`: the SQL of each statement is checked, and its
//! rows are compared with the same hand-written SQL's, in the select list, `where`, `order by`
//! and `update ... set`.

#[path = "typed_model.rs"]
mod model;

use model::{DDL, User, user};
use txova_db::postgres::{Executor as _, Pool};
use txova_db::testing::TestDatabase;
use txova_db::{insert, select, sql_function, update};

sql_function! {
    /// The first letter of a text, in capitals (strict: NULL for NULL).
    fn initials(name: String) -> String;
    /// The sum of two numbers.
    fn add_years(age: i32, years: i32) -> i32;
    /// The text, but NULL for `bob`: may be NULL whatever its argument.
    fn unless_bob(name: String) -> Option<String>;
}

const FUNCTIONS: &str = "
CREATE FUNCTION initials(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT upper(left($1, 1)) $$;
CREATE FUNCTION add_years(int4, int4) RETURNS int4 LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT $1 + $2 $$;
CREATE FUNCTION unless_bob(text) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN $1 = 'bob' THEN NULL ELSE $1 END $$;
";

/// Ann (30, a bio), Bob (40), Cid (50), with the functions created.
async fn seeded(name: &str) -> (TestDatabase, Pool) {
    let db = TestDatabase::create(name).await.unwrap();
    let pool = db.pool().await.unwrap();
    let client = pool.get().await.unwrap();
    client.batch_execute(DDL).await.unwrap();
    client.batch_execute(FUNCTIONS).await.unwrap();
    let mut ann = user("ann", "active", 30);
    ann.bio = Some("writes rust".to_owned());
    let (bob, cid) = (user("bob", "active", 40), user("cid", "banned", 50));
    insert!(into User values &ann, &bob, &cid)
        .execute(&pool)
        .await
        .unwrap();
    (db, pool)
}

type Row = (String, Option<String>, i32, Option<String>);

#[tokio::test]
async fn declared_functions_read_as_the_same_hand_written_sql() {
    let (_db, pool) = seeded("typed_user_fn_select").await;
    let older = 40;
    let q = select!(initials(name), initials(bio), add_years(age, 1), unless_bob(initials(name))
        from User where add_years(age, 5) > older and initials(name) != "Z"
        order by initials(name) desc);
    assert_eq!(
        q.sql(),
        "SELECT initials(name), initials(bio), add_years(age, $1), unless_bob(initials(name)) \
         FROM users WHERE add_years(age, $2) > $3 AND initials(name) <> $4 \
         ORDER BY initials(name) DESC"
    );
    let got: Vec<Row> = q.fetch_all(&pool).await.unwrap();
    let want: Vec<Row> = pool
        .query(
            "SELECT initials(name), initials(bio), add_years(age, 1), unless_bob(initials(name)) \
             FROM users WHERE add_years(age, 5) > 40 AND initials(name) <> 'Z' \
             ORDER BY initials(name) DESC",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        got,
        [
            ("C".to_owned(), None, 51, Some("C".to_owned())),
            ("B".to_owned(), None, 41, Some("B".to_owned())),
        ]
    );
    // `unless_bob` returns NULL for a non-null argument: its declared `Option` is read.
    let nulls: Vec<Option<String>> = select!(unless_bob(name) from User order by name)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        nulls,
        [Some("ann".to_owned()), None, Some("cid".to_owned())]
    );
}

#[tokio::test]
async fn declared_functions_set_columns_as_hand_written_sql_does() {
    let (_db, pool) = seeded("typed_user_fn_update").await;
    let name = "ann".to_owned();
    let q = update!(User set name = initials(User::name) || "!", age = add_years(User::age, 2)
        where name = name);
    assert_eq!(
        q.sql(),
        "UPDATE users SET name = initials(name) || $1, age = add_years(age, $2) WHERE name = $3"
    );
    assert_eq!(q.execute(&pool).await.unwrap(), 1);
    pool.execute(
        "UPDATE users SET name = initials(name) || '!', age = add_years(age, 2) WHERE name = 'bob'",
        &[],
    )
    .await
    .unwrap();
    let rows: Vec<(String, i32)> = select!(name, age from User order by age)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        rows,
        [
            ("A!".to_owned(), 32),
            ("B!".to_owned(), 42),
            ("cid".to_owned(), 50)
        ]
    );
}
