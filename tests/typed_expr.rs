//! Expressions in `select!` and `update!`: arithmetic, columns compared with columns, and the
//! typed functions. Each statement's SQL is checked, and its rows are compared with what the
//! same hand-written SQL returns.

#[path = "typed_model.rs"]
mod model;

use model::{DDL, User, user};
use txova_db::postgres::{Executor as _, Pool};
use txova_db::testing::TestDatabase;
use txova_db::{insert, select, update};

async fn seeded(name: &str) -> (TestDatabase, Pool) {
    let db = TestDatabase::create(name).await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.get().await.unwrap().batch_execute(DDL).await.unwrap();
    let mut ann = user("Ann", "active", 30);
    ann.bio = Some("Hi".to_owned());
    let bob = user("Bob", "active", 40);
    insert!(into User values &ann, &bob)
        .execute(&pool)
        .await
        .unwrap();
    (db, pool)
}

#[tokio::test]
async fn set_takes_arithmetic_over_the_row_s_own_columns() {
    let (_db, pool) = seeded("typed_expr_set").await;
    let by = 5_i32;
    let name = "Ann";
    // `by * 2` has no column: Rust computes it, and it is bound as one value.
    let q = update!(User set age = User::age + by where name = name returning age);
    assert_eq!(
        q.sql(),
        "UPDATE users SET age = age + $1 WHERE name = $2 RETURNING age"
    );
    let age: i32 = update!(User set age = User::age + by * 2 where name = name returning age)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(age, 40);
    let q = update!(User set bio = coalesce(User::bio, User::name) where all returning bio);
    assert_eq!(
        q.sql(),
        "UPDATE users SET bio = coalesce(bio, name) RETURNING bio"
    );
    let mut bios: Vec<Option<String>> = q.fetch_all(&pool).await.unwrap();
    bios.sort();
    assert_eq!(bios, [Some("Bob".to_owned()), Some("Hi".to_owned())]);
}

#[tokio::test]
async fn expressions_are_selected_and_compared() {
    let (_db, pool) = seeded("typed_expr_select").await;
    let q = select!(upper(name), coalesce(bio, name), length(email), (age * 2 + 1) from User
        where lower(name) != "nobody" and age < User::age + 1 and created_at <= now()
        order by id);
    assert_eq!(
        q.sql(),
        "SELECT upper(name), coalesce(bio, name), length(email), (age * $1 + $2) FROM users \
         WHERE lower(name) <> $3 AND age < age + $4 AND created_at <= now() ORDER BY id"
    );
    let rows: Vec<(String, String, i32, i32)> = q.fetch_all(&pool).await.unwrap();
    let expected: Vec<(String, String, i32, i32)> = pool
        .query(
            "SELECT upper(name), coalesce(bio, name), length(email), (age * 2 + 1) FROM users \
             WHERE lower(name) <> 'nobody' AND age < age + 1 AND created_at <= now() ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(rows, expected);
    assert_eq!(
        rows[0],
        ("ANN".to_owned(), "Hi".to_owned(), 15, 61),
        "coalesce of a nullable and a non-null column reads as non-null"
    );
    let names: Vec<String> = select!(name from User where lower(name) = "bob")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(names, ["Bob"]);
}

#[derive(Debug, PartialEq)]
struct Shout {
    shout: String,
    name: String,
}

#[tokio::test]
async fn an_expression_fills_the_field_named_with_as() {
    let (_db, pool) = seeded("typed_expr_alias").await;
    let q = select!(Shout { name, upper(name) as shout } from User order by name);
    assert_eq!(
        q.sql(),
        "SELECT name, upper(name) AS shout FROM users ORDER BY name"
    );
    let rows = q.fetch_all(&pool).await.unwrap();
    assert_eq!(
        rows[1],
        Shout {
            shout: "BOB".to_owned(),
            name: "Bob".to_owned()
        }
    );
}
