//! The checks `select!` and `insert!` make at compile time, seen from a running database:
//! results filled by name, grouping by the primary key, inserts that name every required
//! column. Each generated statement returns what the same hand-written SQL returns.

#[path = "typed_model.rs"]
mod model;

use model::{User, user};
use txova_db::postgres::{Executor as _, Pool};
use txova_db::testing::TestDatabase;
use txova_db::{insert, select};

#[derive(Debug, PartialEq)]
struct NameEmail {
    name: String,
    email: String,
}

#[derive(Debug, PartialEq)]
struct StatusCount {
    status: String,
    n: i64,
}

async fn seeded(name: &str) -> (TestDatabase, Pool) {
    let (db, pool) = model::database(name).await;
    let (a, b, c) = (
        user("ann", "active", 30),
        user("bob", "active", 40),
        user("cy", "banned", 50),
    );
    insert!(into User values &a, &b, &c)
        .execute(&pool)
        .await
        .unwrap();
    (db, pool)
}

#[tokio::test]
async fn struct_fields_are_filled_by_name_whatever_the_order() {
    let (_db, pool) = seeded("typed_checks_by_name").await;
    // The fields are declared name, email; the columns are selected email, name.
    let q = select!(NameEmail { email, name } from User order by name);
    assert_eq!(q.sql(), "SELECT email, name FROM users ORDER BY name");
    let rows = q.fetch_all(&pool).await.unwrap();
    let expected: Vec<NameEmail> = pool
        .query("SELECT name, email FROM users ORDER BY name", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| NameEmail {
            name: r.get(0),
            email: r.get(1),
        })
        .collect();
    assert_eq!(rows, expected);
    assert_eq!(rows[0].name, "ann");
    assert_eq!(rows[0].email, "ann@example.com");

    let counts = select!(StatusCount { count(*) as n, status } from User
        group by status order by status)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        counts,
        [
            StatusCount {
                status: "active".to_owned(),
                n: 2
            },
            StatusCount {
                status: "banned".to_owned(),
                n: 1
            }
        ]
    );
}

#[tokio::test]
async fn grouping_by_the_primary_key_covers_the_other_columns() {
    let (_db, pool) = seeded("typed_checks_group_key").await;
    let q = select!(id, name, count(*) from User group by id order by name);
    assert_eq!(
        q.sql(),
        "SELECT id, name, count(*) FROM users GROUP BY id ORDER BY name"
    );
    let rows: Vec<(i64, String, i64)> = q.fetch_all(&pool).await.unwrap();
    let expected: Vec<(i64, String, i64)> = pool
        .query(
            "SELECT id, name, count(*) FROM users GROUP BY id ORDER BY name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(rows, expected);
    assert_eq!(rows.len(), 3);
    let (n, total): (i64, Option<i64>) =
        select!(count(*), sum(age) from User having count(*) > 1_i64)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((n, total), (3, Some(120)));
}

#[tokio::test]
async fn an_insert_naming_every_required_column_succeeds() {
    let (_db, pool) = seeded("typed_checks_insert").await;
    let now = chrono::Utc::now();
    let id: i64 = insert!(into User set name = "dee", email = "dee@example.com",
        status = "active", age = 20, created_at = now returning id)
    .fetch_one(&pool)
    .await
    .unwrap();
    let bio: Option<String> = select!(bio from User where id = id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(bio, None);
}
