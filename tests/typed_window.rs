//! Window functions in `select!`: ranking, value and aggregate functions over `partition by`,
//! `order by` and frames. Each statement's SQL is checked, and its rows are compared with the
//! same hand-written SQL's.

#[path = "typed_model.rs"]
mod model;

use model::{Post, User, user};
use txova_db::postgres::{Executor as _, Pool};
use txova_db::select;
use txova_db::testing::TestDatabase;

/// Ann (30) and Bob (40) active, Cid (50) and Dan (50) banned, Eve (20) active; Ann has two
/// posts, Bob one.
async fn seeded(name: &str) -> (TestDatabase, Pool) {
    let (db, pool) = model::database(name).await;
    let mut bob = user("Bob", "active", 40);
    bob.bio = Some("hi".to_owned());
    let users = [
        user("Ann", "active", 30),
        bob,
        user("Cid", "banned", 50),
        user("Dan", "banned", 50),
        user("Eve", "active", 20),
    ];
    for u in &users {
        txova_db::insert!(into User values u)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "INSERT INTO posts (user_id, title, score) SELECT id, 'a', 1.5 FROM users \
             WHERE name = 'Ann'; \
             INSERT INTO posts (user_id, title, score) SELECT id, 'b', 2.5 FROM users \
             WHERE name = 'Ann'; \
             INSERT INTO posts (user_id, title, score) SELECT id, 'c', 0.5 FROM users \
             WHERE name = 'Bob';",
        )
        .await
        .unwrap();
    (db, pool)
}

type RankRow = (String, i64, i64, i64, f64, f64, i32);

#[tokio::test]
async fn ranking_functions_match_hand_written_sql() {
    let (_db, pool) = seeded("typed_window_rank").await;
    let q = select!(name,
        row_number() over (partition by status order by age desc, name),
        rank() over (order by age desc),
        dense_rank() over (order by age desc),
        percent_rank() over (order by age),
        cume_dist() over (order by age),
        ntile(2) over (order by name)
        from User order by name);
    assert_eq!(
        q.sql(),
        "SELECT name, row_number() OVER (PARTITION BY status ORDER BY age DESC, name), \
         rank() OVER (ORDER BY age DESC), dense_rank() OVER (ORDER BY age DESC), \
         percent_rank() OVER (ORDER BY age), cume_dist() OVER (ORDER BY age), \
         ntile($1) OVER (ORDER BY name) FROM users ORDER BY name"
    );
    let got: Vec<RankRow> = q.fetch_all(&pool).await.unwrap();
    let want: Vec<RankRow> = pool
        .query(
            "SELECT name, row_number() OVER (PARTITION BY status ORDER BY age DESC, name), \
             rank() OVER (ORDER BY age DESC), dense_rank() OVER (ORDER BY age DESC), \
             percent_rank() OVER (ORDER BY age), cume_dist() OVER (ORDER BY age), \
             ntile(2) OVER (ORDER BY name) FROM users ORDER BY name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
                r.get(6),
            )
        })
        .collect();
    assert_eq!(got, want);
    // Cid and Dan tie at 50: both rank 1, and Bob follows at 3 (2 for `dense_rank`).
    let bob = got.iter().find(|r| r.0 == "Bob").unwrap();
    assert_eq!((bob.1, bob.2, bob.3), (1, 3, 2));
}

type ValueRow = (
    String,
    Option<String>,
    Option<i32>,
    i32,
    String,
    Option<String>,
    Option<i32>,
    Option<String>,
);

#[tokio::test]
async fn value_functions_are_nullable_where_their_row_may_not_exist() {
    let (_db, pool) = seeded("typed_window_value").await;
    let q = select!(name,
        lag(name) over (order by name),
        lead(age, 2) over (order by name),
        lag(age, 1, 0) over (order by name),
        first_value(name) over (partition by status order by name),
        last_value(name) over (order by name rows between 1 following and unbounded following),
        nth_value(age, 2) over (order by name rows between unbounded preceding and unbounded following),
        lag(bio) over (order by name)
        from User order by name);
    assert_eq!(
        q.sql(),
        "SELECT name, lag(name) OVER (ORDER BY name), lead(age, $1) OVER (ORDER BY name), \
         lag(age, $2, $3) OVER (ORDER BY name), \
         first_value(name) OVER (PARTITION BY status ORDER BY name), \
         last_value(name) OVER (ORDER BY name ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), \
         nth_value(age, $4) OVER (ORDER BY name ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING), \
         lag(bio) OVER (ORDER BY name) FROM users ORDER BY name"
    );
    let got: Vec<ValueRow> = q.fetch_all(&pool).await.unwrap();
    let want: Vec<ValueRow> = pool
        .query(
            "SELECT name, lag(name) OVER (ORDER BY name), lead(age, 2) OVER (ORDER BY name), \
             lag(age, 1, 0) OVER (ORDER BY name), \
             first_value(name) OVER (PARTITION BY status ORDER BY name), \
             last_value(name) OVER (ORDER BY name ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), \
             nth_value(age, 2) OVER (ORDER BY name ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING), \
             lag(bio) OVER (ORDER BY name) FROM users ORDER BY name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
                r.get(6),
                r.get(7),
            )
        })
        .collect();
    assert_eq!(got, want);
    // The first row has no previous one, the last no following one.
    assert_eq!((got[0].1.as_deref(), got[0].3), (None, 0));
    assert_eq!(got[4].5, None);
    assert_eq!(got[3].2, None);
}

type AggRow = (
    String,
    i64,
    Option<i64>,
    Option<f64>,
    Option<i32>,
    Option<String>,
    i64,
);

#[tokio::test]
async fn aggregates_over_windows_and_frames_match_hand_written_sql() {
    let (_db, pool) = seeded("typed_window_agg").await;
    let first = 1i64;
    let q = select!(name,
        count(*) over (partition by status),
        sum(age) over (partition by status order by name),
        avg(age) over (order by name rows between first preceding and 1 following),
        max(age) over (partition by status),
        string_agg(name, "+") over (partition by status order by name groups between unbounded preceding and current row),
        row_number() over (order by age * 2 desc, name) * 10
        from User order by name);
    assert_eq!(
        q.sql(),
        "SELECT name, count(*) OVER (PARTITION BY status), \
         sum(age) OVER (PARTITION BY status ORDER BY name), \
         avg(age) OVER (ORDER BY name ROWS BETWEEN $1 PRECEDING AND 1 FOLLOWING)::float8, \
         max(age) OVER (PARTITION BY status), \
         string_agg(name, $2) OVER (PARTITION BY status ORDER BY name GROUPS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), \
         row_number() OVER (ORDER BY age * $3 DESC, name) * $4 FROM users ORDER BY name"
    );
    let got: Vec<AggRow> = q.fetch_all(&pool).await.unwrap();
    let want: Vec<AggRow> = pool
        .query(
            "SELECT name, count(*) OVER (PARTITION BY status), \
             sum(age) OVER (PARTITION BY status ORDER BY name)::int8, \
             avg(age) OVER (ORDER BY name ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)::float8, \
             max(age) OVER (PARTITION BY status), \
             string_agg(name, '+') OVER (PARTITION BY status ORDER BY name GROUPS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), \
             row_number() OVER (ORDER BY age * 2 DESC, name) * 10 FROM users ORDER BY name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6)))
        .collect();
    assert_eq!(got, want);
    assert_eq!(got[0].5.as_deref(), Some("Ann"));
    assert_eq!(got[1].5.as_deref(), Some("Ann+Bob"));
}

#[tokio::test]
async fn windows_over_grouped_rows_joins_and_subqueries() {
    let (_db, pool) = seeded("typed_window_grouped").await;
    // A window over the groups: each status's share of the users, ranked.
    let q = select!(status, count(*), rank() over (order by status)
        from User group by status order by rank() over (order by status));
    assert_eq!(
        q.sql(),
        "SELECT status, count(*), rank() OVER (ORDER BY status) FROM users GROUP BY status \
         ORDER BY rank() OVER (ORDER BY status)"
    );
    let got: Vec<(String, i64, i64)> = q.fetch_all(&pool).await.unwrap();
    assert_eq!(
        got,
        vec![("active".to_owned(), 3, 1), ("banned".to_owned(), 2, 2)]
    );
    // Over a join, the window's columns written with their tables.
    let q = select!(User::name, Post::title,
        row_number() over (partition by User::id order by Post::score desc)
        from User join Post on Post::user_id = User::id order by User::name, Post::title);
    assert_eq!(
        q.sql(),
        "SELECT users.name, posts.title, row_number() OVER (PARTITION BY users.id ORDER BY \
         posts.score DESC) FROM users JOIN posts ON posts.user_id = users.id ORDER BY \
         users.name, posts.title"
    );
    let got: Vec<(String, String, i64)> = q.fetch_all(&pool).await.unwrap();
    let want: Vec<(String, String, i64)> = pool
        .query(
            "SELECT users.name, posts.title, row_number() OVER (PARTITION BY users.id ORDER BY \
             posts.score DESC) FROM users JOIN posts ON posts.user_id = users.id ORDER BY \
             users.name, posts.title",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(got, want);
    // A window after a scalar subquery in the select list.
    let q = select!(name, (select max(Post::score) from Post where Post::user_id = User::id),
        row_number() over (order by name) from User order by name);
    let got: Vec<(String, Option<f64>, i64)> = q.fetch_all(&pool).await.unwrap();
    assert_eq!(got[0], ("Ann".to_owned(), Some(2.5), 1));
    assert_eq!(got[4], ("Eve".to_owned(), None, 5));
}
