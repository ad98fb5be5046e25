//! Table aliases in `select!`: self-joins, and subqueries correlated with the outer query's
//! own table. Each statement's SQL is checked, and its rows are compared with the same
//! hand-written SQL's.

#[path = "typed_model.rs"]
mod model;

use model::{User, rows};
use txova_db::postgres::Pool;
use txova_db::testing::TestDatabase;
use txova_db::{Table, delete, select};

/// An employee, who may report to another.
#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "employees")]
struct Employee {
    #[column(primary_key, default)]
    id: i64,
    name: String,
    manager_id: Option<i64>,
}

/// The users Ann (30, active), Bob (40, active), Cid (50, banned); the employees Ada (no
/// manager), Ben and Cy (managed by Ada) and Dot (managed by Ben).
async fn seeded(name: &str) -> (TestDatabase, Pool) {
    let (db, pool) = model::database(name).await;
    model::ann_bob_cid(&pool).await;
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE employees (id bigserial PRIMARY KEY, name text NOT NULL, \
             manager_id int8 REFERENCES employees (id)); \
             INSERT INTO employees (id, name, manager_id) VALUES (1, 'Ada', NULL), \
             (2, 'Ben', 1), (3, 'Cy', 1), (4, 'Dot', 2);",
        )
        .await
        .unwrap();
    (db, pool)
}

#[tokio::test]
async fn a_self_join_reads_each_row_with_its_manager() {
    let (_db, pool) = seeded("typed_aliases_self_join").await;
    let q = select!(Employee::name, Boss::name from Employee
        join Employee as Boss on Boss::id = Employee::manager_id order by Employee::name);
    assert_eq!(
        q.sql(),
        "SELECT employees.name, boss.name FROM employees JOIN employees AS boss \
         ON boss.id = employees.manager_id ORDER BY employees.name"
    );
    let got: Vec<(String, String)> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "SELECT e.name, m.name FROM employees e JOIN employees m ON m.id = e.manager_id \
         ORDER BY e.name",
        |r| (r.get(0), r.get(1)),
    )
    .await;
    assert_eq!(got, want);
    assert_eq!(got.len(), 3);
}

#[tokio::test]
async fn a_left_joined_alias_is_nullable_and_the_other_reading_is_not() {
    let (_db, pool) = seeded("typed_aliases_left").await;
    // Both readings are of one table: only the left-joined one may be NULL.
    let q = select!(E::name, Boss::name as boss from Employee as E
        left join Employee as Boss on Boss::id = E::manager_id order by name);
    assert_eq!(
        q.sql(),
        "SELECT e.name, boss.name AS boss FROM employees AS e LEFT JOIN employees AS boss \
         ON boss.id = e.manager_id ORDER BY e.name"
    );
    let got: Vec<(String, Option<String>)> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "SELECT e.name, m.name FROM employees e LEFT JOIN employees m ON m.id = e.manager_id \
         ORDER BY e.name",
        |r| (r.get(0), r.get(1)),
    )
    .await;
    assert_eq!(got, want);
    assert_eq!(got[0], ("Ada".to_owned(), None));

    // Whole rows: the left-joined alias reads as an `Option` of the table's struct.
    let q = select!(Employee, Boss from Employee left join Employee as Boss
        on Boss::id = Employee::manager_id order by Employee::id);
    let got: Vec<(Employee, Option<Employee>)> = q.fetch_all(&pool).await.unwrap();
    let names: Vec<(String, Option<String>)> = got
        .into_iter()
        .map(|(e, m)| (e.name, m.map(|m| m.name)))
        .collect();
    let want = rows(
        &pool,
        "SELECT e.name, m.name FROM employees e LEFT JOIN employees m ON m.id = e.manager_id \
         ORDER BY e.id",
        |r| (r.get(0), r.get(1)),
    )
    .await;
    assert_eq!(names, want);
}

#[tokio::test]
async fn grouping_tells_the_readings_of_one_table_apart() {
    let (_db, pool) = seeded("typed_aliases_group").await;
    let q = select!(Boss::name, count(*) from Employee
        join Employee as Boss on Boss::id = Employee::manager_id
        group by Boss::name order by Boss::name);
    let got: Vec<(String, i64)> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "SELECT m.name, count(*) FROM employees e JOIN employees m ON m.id = e.manager_id \
         GROUP BY m.name ORDER BY m.name",
        |r| (r.get(0), r.get(1)),
    )
    .await;
    assert_eq!(got, want);
    assert_eq!(got, [("Ada".to_owned(), 2), ("Ben".to_owned(), 1)]);

    // The alias's primary key grouped: its whole row may be selected.
    let q = select!(Boss, count(*) from Employee
        join Employee as Boss on Boss::id = Employee::manager_id
        group by Boss::id order by Boss::id);
    let got: Vec<(Employee, i64)> = q.fetch_all(&pool).await.unwrap();
    let got: Vec<(String, i64)> = got.into_iter().map(|(m, n)| (m.name, n)).collect();
    assert_eq!(got, want);
}

#[tokio::test]
async fn a_subquery_reads_the_outer_querys_own_table() {
    let (_db, pool) = seeded("typed_aliases_correlated").await;
    // The outer reading aliased: the subquery's `User` is its own.
    let q = select!(name from User as U
        where exists (select id from User where status = U::status and age > U::age)
        order by name);
    assert_eq!(
        q.sql(),
        "SELECT name FROM users AS u WHERE EXISTS (SELECT users.id FROM users \
         WHERE users.status = u.status AND users.age > u.age) ORDER BY name"
    );
    let got: Vec<String> = q.fetch_all(&pool).await.unwrap();
    let want: Vec<String> = rows(
        &pool,
        "SELECT name FROM users o WHERE EXISTS (SELECT 1 FROM users i \
         WHERE i.status = o.status AND i.age > o.age) ORDER BY name",
        |r| r.get(0),
    )
    .await;
    assert_eq!(got, want);
    assert_eq!(got, ["Ann"]);

    // The subquery's reading aliased: `User` inside it is the outer query's.
    let q = select!(name from User
        where not exists (select Older::id from User as Older
            where Older::status = User::status and Older::age > User::age)
        order by name);
    assert_eq!(
        q.sql(),
        "SELECT name FROM users WHERE NOT EXISTS (SELECT older.id FROM users AS older \
         WHERE older.status = users.status AND older.age > users.age) ORDER BY name"
    );
    let got: Vec<String> = q.fetch_all(&pool).await.unwrap();
    let want: Vec<String> = rows(
        &pool,
        "SELECT name FROM users o WHERE NOT EXISTS (SELECT 1 FROM users i \
         WHERE i.status = o.status AND i.age > o.age) ORDER BY name",
        |r| r.get(0),
    )
    .await;
    assert_eq!(got, want);
    assert_eq!(got, ["Bob", "Cid"]);
}

#[tokio::test]
async fn a_scalar_subquery_counts_the_rows_like_the_outer_one() {
    let (_db, pool) = seeded("typed_aliases_scalar").await;
    let q = select!(U::name,
        (select count(*) from User where status = U::status) as peers
        from User as U order by name);
    let got: Vec<(String, i64)> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "SELECT o.name, (SELECT count(*) FROM users i WHERE i.status = o.status) \
         FROM users o ORDER BY o.name",
        |r| (r.get(0), r.get(1)),
    )
    .await;
    assert_eq!(got, want);
    assert_eq!(
        got,
        [
            ("Ann".to_owned(), 2),
            ("Bob".to_owned(), 2),
            ("Cid".to_owned(), 1)
        ]
    );
}

#[tokio::test]
async fn a_whole_row_select_may_name_its_table() {
    let (_db, pool) = seeded("typed_aliases_whole").await;
    let min_age = 35;
    let q = select!(User as Elder where age > min_age
        and not exists (select id from User where age > Elder::age) order by name);
    assert_eq!(
        q.sql(),
        "SELECT id, name, email, status, age, bio, created_at FROM users AS elder \
         WHERE age > $1 AND NOT EXISTS (SELECT users.id FROM users WHERE users.age > elder.age) \
         ORDER BY name"
    );
    let got: Vec<User> = q.fetch_all(&pool).await.unwrap();
    let names: Vec<&str> = got.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["Cid"]);
}

#[tokio::test]
async fn a_delete_keeps_one_row_of_each_name_through_an_aliased_subquery() {
    let (_db, pool) = seeded("typed_aliases_delete").await;
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "INSERT INTO employees (id, name, manager_id) VALUES (5, 'Ben', 1), (6, 'Ben', 2), \
             (7, 'Cy', NULL);",
        )
        .await
        .unwrap();
    // Every employee but the first of each name: `Employee` inside the subquery is the row
    // being deleted, since the subquery's own reading is aliased.
    let q = delete!(from Employee where exists (select Earlier::id from Employee as Earlier
        where Earlier::name = Employee::name and Earlier::id < Employee::id));
    assert_eq!(
        q.sql(),
        "DELETE FROM employees WHERE EXISTS (SELECT earlier.id FROM employees AS earlier \
         WHERE earlier.name = employees.name AND earlier.id < employees.id)"
    );
    // The later Ben (5, 6) and Cy (7) go; no one reports to them.
    let gone = q.execute(&pool).await.unwrap();
    assert_eq!(gone, 3);
    let left: Vec<(i64, String)> = select!(id, name from Employee order by id)
        .fetch_all(&pool)
        .await
        .unwrap();
    let names: Vec<&str> = left.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["Ada", "Ben", "Cy", "Dot"]);
}
