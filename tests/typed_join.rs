//! Joins, left joins (whose columns read as `Option`), aggregates and `group by`.

#[path = "typed_model.rs"]
mod model;

use model::{DDL, Post, User, user};
use txova_db::select;
use txova_db::testing::TestDatabase;

/// status, count, sum, avg and max of age.
type StatusRow = (String, i64, Option<i64>, Option<f64>, Option<i32>);

#[test]
fn joins_qualify_every_column() {
    let q = select!(User::name, Post::title from User
        left join Post on Post::user_id = User::id
        where User::status = "active" order by User::name, Post::title);
    assert_eq!(
        q.sql(),
        "SELECT users.name, posts.title FROM users LEFT JOIN posts ON posts.user_id = users.id \
         WHERE users.status = $1 ORDER BY users.name, posts.title"
    );
    let q = select!(User, Post from User join Post on Post::user_id = User::id);
    assert_eq!(
        q.sql(),
        "SELECT users.id, users.name, users.email, users.status, users.age, users.bio, \
         users.created_at, posts.id, posts.user_id, posts.title, posts.score \
         FROM users JOIN posts ON posts.user_id = users.id"
    );
    let q = select!(status, count(*), sum(age), avg(age), min(age), max(bio) from User
        group by status order by status);
    assert_eq!(
        q.sql(),
        "SELECT status, count(*), sum(age), avg(age)::float8, min(age), max(bio) FROM users \
         GROUP BY status ORDER BY status"
    );
    let q = select!(status, count(*) from User group by status order by count(*) desc, status);
    assert_eq!(
        q.sql(),
        "SELECT status, count(*) FROM users GROUP BY status ORDER BY count(*) DESC, status"
    );
    let q = select!(status from User group by status having count(*) > 1_i64 or not max(age) = 3);
    assert_eq!(
        q.sql(),
        "SELECT status FROM users GROUP BY status HAVING count(*) > $1 OR NOT max(age) = $2"
    );
}

#[tokio::test]
async fn a_module_path_names_the_same_joined_table() {
    let db = TestDatabase::create("typed_join_path").await.unwrap();
    let pool = db.pool().await.unwrap();
    let conn = pool.get().await.unwrap();
    conn.batch_execute(DDL).await.unwrap();
    conn.batch_execute(
        "INSERT INTO users (name, email, status, age, created_at) VALUES
           ('bob', 'b@x', 'active', 40, now())",
    )
    .await
    .unwrap();
    // `model::Post` is the joined `Post`: its column is still an `Option`, so bob's missing
    // post cannot fail to decode.
    let titles: Vec<Option<String>> = select!(model::Post::title from User
        left join Post on Post::user_id = User::id
        where User::name = "bob")
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(titles, [None]);
}

#[tokio::test]
async fn left_joined_columns_are_options_and_never_panic() {
    let db = TestDatabase::create("typed_join").await.unwrap();
    let pool = db.pool().await.unwrap();
    let conn = pool.get().await.unwrap();
    conn.batch_execute(DDL).await.unwrap();
    conn.batch_execute(
        "INSERT INTO users (name, email, status, age, created_at) VALUES
           ('ann', 'a@x', 'active', 30, now()), ('bob', 'b@x', 'active', 40, now()),
           ('cat', 'c@x', 'new', 20, now());
         INSERT INTO posts (user_id, title, score)
           SELECT id, 'hello', 1.5 FROM users WHERE name = 'ann';
         INSERT INTO posts (user_id, title, score)
           SELECT id, 'again', 2.5 FROM users WHERE name = 'ann';",
    )
    .await
    .unwrap();

    // bob has no post: his post columns are None.
    let rows: Vec<(String, Option<String>)> = select!(User::name, Post::title from User
        left join Post on Post::user_id = User::id
        where User::status = "active" order by User::name, Post::title)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            ("ann".to_owned(), Some("again".to_owned())),
            ("ann".to_owned(), Some("hello".to_owned())),
            ("bob".to_owned(), None),
        ]
    );

    let whole: Vec<(User, Option<Post>)> = select!(User, Post from User
        left join Post on Post::user_id = User::id
        where User::name = "bob" or Post::title = "hello" order by User::id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(whole.len(), 2);
    assert_eq!(whole[0].0.name, "ann");
    assert_eq!(whole[0].1.as_ref().map(|p| p.score), Some(1.5));
    assert_eq!(whole[1].0.name, "bob");
    assert!(whole[1].1.is_none());

    // The anti-join: users without posts. A left-joined column may be tested for NULL even
    // though its field is not an Option.
    let lonely: Vec<String> = select!(User::name from User
        left join Post on Post::user_id = User::id
        where Post::id is null order by User::name)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(lonely, ["bob", "cat"]);

    let inner: Vec<(String, f64)> = select!(User::name, Post::score from User
        join Post on Post::user_id = User::id order by Post::score desc)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        inner,
        vec![("ann".to_owned(), 2.5), ("ann".to_owned(), 1.5)]
    );

    let groups: Vec<StatusRow> = select!(status, count(*), sum(age), avg(age), max(age) from User
            group by status order by status)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        groups,
        vec![
            ("active".to_owned(), 2, Some(70), Some(35.0), Some(40)),
            ("new".to_owned(), 1, Some(20), Some(20.0), Some(20)),
        ]
    );
    let by_size: Vec<(String, i64)> =
        select!(status, count(*) from User group by status order by count(*) desc)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        by_size,
        vec![("active".to_owned(), 2), ("new".to_owned(), 1)]
    );

    let min_count = 2_i64;
    let busy: Vec<String> = select!(status from User group by status
        having count(*) >= min_count and sum(age) > 60_i64 and avg(age) < 50.0 and max(age) <= 40
        order by status)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(busy, ["active"]);

    let total: Option<f64> = select!(sum(score) from Post)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(total, Some(4.0));
    let none: Option<i64> = select!(sum(id) from Post where id < 0_i64)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(none, None);
    let _ = user;
}
