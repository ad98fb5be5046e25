//! Expressions in `select!` and `update!`: arithmetic, columns compared with columns, and the
//! typed functions. Each statement's SQL is checked, and its rows are compared with what the
//! same hand-written SQL returns.

#[path = "typed_model.rs"]
mod model;

use model::{User, rows, user};
use txova_db::postgres::{Executor as _, Pool};
use txova_db::testing::TestDatabase;
use txova_db::{insert, select, update};

async fn seeded(name: &str) -> (TestDatabase, Pool) {
    let (db, pool) = model::database(name).await;
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
    assert_eq!(
        update!(User set age = User::age + by * 2 where name = name returning age).sql(),
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

#[tokio::test]
async fn case_when_is_typed_with_its_nullability() {
    let (_db, pool) = seeded("typed_expr_case").await;
    let q = select!(name, case when age >= 35 then "senior" when bio is null then "quiet"
        else "other" end as label, case when bio is not null then User::age end from User
        order by id);
    assert_eq!(
        q.sql(),
        "SELECT name, CASE WHEN age >= $1 THEN $2::text WHEN bio IS NULL THEN $3::text \
         ELSE $4::text END AS label, \
         CASE WHEN bio IS NOT NULL THEN age END FROM users ORDER BY id"
    );
    // With `else` and non-null branches the result is not null; without `else` it may be.
    // Branches that are all values are cast, since the server cannot infer their type.
    let got: Vec<(String, String, Option<i32>)> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "SELECT name, CASE WHEN age >= 35 THEN 'senior' WHEN bio IS NULL THEN 'quiet' \
         ELSE 'other' END, CASE WHEN bio IS NOT NULL THEN age END FROM users ORDER BY id",
        |r| (r.get(0), r.get(1), r.get(2)),
    )
    .await;
    assert_eq!(got, want);
    assert_eq!(
        got,
        [
            ("Ann".to_owned(), "other".to_owned(), Some(30)),
            ("Bob".to_owned(), "senior".to_owned(), None)
        ]
    );
    // In `where` and in `set`, a branch taking the column's type from another branch.
    let names: Vec<String> =
        select!(name from User where case when bio is null then 0 else User::age end > 0)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(names, ["Ann"]);
    let label = "old";
    let q = update!(User set status = case when age > 35 then label else User::status end
        where all returning status);
    assert_eq!(
        q.sql(),
        "UPDATE users SET status = CASE WHEN age > $1 THEN $2 ELSE status END RETURNING status"
    );
    let mut statuses: Vec<String> = q.fetch_all(&pool).await.unwrap();
    statuses.sort();
    assert_eq!(statuses, ["active", "old"]);
}

type CastRow = (
    String,
    f64,
    Option<String>,
    Option<i32>,
    String,
    Option<String>,
);

#[tokio::test]
async fn casts_nullif_concatenation_and_between_over_expressions() {
    let (_db, pool) = seeded("typed_expr_cast").await;
    let q = select!(cast(age as text), cast(age as float8) / 4.0, nullif(bio, "Hi"),
        nullif(age, 30), name || " <" || email || ">", name || bio from User
        where length(name) between 3 and User::age and age + 1 not between 100 and 200
        and name || "!" = cast(User::name as text) || "!" order by id);
    assert_eq!(
        q.sql(),
        "SELECT CAST(age AS text), CAST(age AS float8) / $1, nullif(bio, $2), nullif(age, $3), \
         name || $4 || email || $5, name || bio FROM users \
         WHERE length(name) BETWEEN $6 AND age AND age + $7 NOT BETWEEN $8 AND $9 \
         AND name || $10 = CAST(name AS text) || $11 ORDER BY id"
    );
    let got: Vec<CastRow> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "SELECT CAST(age AS text), CAST(age AS float8) / 4.0, nullif(bio, 'Hi'), \
         nullif(age, 30), name || ' <' || email || '>', name || bio FROM users \
         WHERE length(name) BETWEEN 3 AND age AND age + 1 NOT BETWEEN 100 AND 200 \
         AND name || '!' = CAST(name AS text) || '!' ORDER BY id",
        |r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)),
    )
    .await;
    assert_eq!(got, want);
    assert_eq!(
        got[0],
        (
            "30".to_owned(),
            7.5,
            None,
            None,
            "Ann <Ann@example.com>".to_owned(),
            Some("AnnHi".to_owned())
        )
    );
    assert_eq!(got[1].2, None, "nullif of NULL is NULL");
    assert_eq!(got[1].3, Some(40));
    // A value cast to a type is bound as that type.
    let limit = 35_i64;
    let q = select!(name from User where cast(age as int8) > cast(limit as int8));
    assert_eq!(
        q.sql(),
        "SELECT name FROM users WHERE CAST(age AS int8) > CAST($1 AS int8)"
    );
    assert_eq!(q.fetch_all(&pool).await.unwrap(), ["Bob"]);
    // `between` over a column with expression bounds.
    let q = select!(name from User where age between User::age - 1 and length(User::name) * 20
        order by id);
    assert_eq!(
        q.sql(),
        "SELECT name FROM users WHERE age BETWEEN age - $1 AND length(name) * $2 ORDER BY id"
    );
    assert_eq!(q.fetch_all(&pool).await.unwrap(), ["Ann", "Bob"]);
    // An expression in parentheses starts a condition; `||` binds before the comparison.
    let q = select!(name from User where (age + 1) * 2 > 70 and (name || "!") = "Bob!"
        or name || "?" = "Ann?");
    assert_eq!(
        q.sql(),
        "SELECT name FROM users WHERE (age + $1) * $2 > $3 AND (name || $4) = $5 \
         OR name || $6 = $7"
    );
    let mut names = q.fetch_all(&pool).await.unwrap();
    names.sort();
    assert_eq!(names, ["Ann", "Bob"]);
}

#[tokio::test]
async fn expressions_are_tested_with_like_and_is_null() {
    let (_db, pool) = seeded("typed_expr_like").await;
    let q = select!(name from User where lower(name) like "a%" and nullif(bio, "Hi") is null
        and upper(email) not ilike "%bob%" and lower(bio) is not null order by name);
    assert_eq!(
        q.sql(),
        "SELECT name FROM users WHERE lower(name) LIKE $1 AND nullif(bio, $2) IS NULL \
         AND upper(email) NOT ILIKE $3 AND lower(bio) IS NOT NULL ORDER BY name"
    );
    let got: Vec<String> = q.fetch_all(&pool).await.unwrap();
    let want: Vec<String> = pool
        .query(
            "SELECT name FROM users WHERE lower(name) LIKE 'a%' AND nullif(bio, 'Hi') IS NULL \
             AND upper(email) NOT ILIKE '%bob%' AND lower(bio) IS NOT NULL \
             ORDER BY name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(got, want);
    assert_eq!(got, ["Ann"]);
}

#[tokio::test]
async fn on_conflict_sets_expressions_over_the_row_and_the_proposed_one() {
    let (_db, pool) = seeded("typed_expr_upsert").await;
    let mut ann = user("Ann", "active", 5);
    ann.bio = Some("again".to_owned());
    let q = insert!(into User values &ann on conflict (email) do update
        set age = User::age + excluded.age, bio = coalesce(User::bio, "") || excluded.bio
        returning age, bio);
    assert!(
        q.sql().ends_with(
            "ON CONFLICT (email) DO UPDATE SET age = users.age + EXCLUDED.age, \
             bio = coalesce(users.bio, $7) || EXCLUDED.bio RETURNING age, bio"
        ),
        "{}",
        q.sql()
    );
    let row: (i32, Option<String>) = q.fetch_one(&pool).await.unwrap();
    assert_eq!(row, (35, Some("Hiagain".to_owned())));
}
