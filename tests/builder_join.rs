//! The run-time builder's joins, `group by`, `having` and aggregates, read as typed rows: each
//! built query returns what the same hand-written SQL returns.

#[path = "typed_model.rs"]
mod model;

use model::{DDL, Post, User};
use txova_db::postgres::{
    self, ColumnExt as _, Executor as _, Pool, all_columns, count_all, select_table,
};
use txova_db::testing::TestDatabase;
use txova_db::{ErrorKind, Table};

async fn setup(label: &str) -> (TestDatabase, Pool) {
    let db = TestDatabase::create(label).await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.get().await.unwrap().batch_execute(DDL).await.unwrap();
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "INSERT INTO users (name, email, status, age, bio, created_at) VALUES
               ('ann', 'a@x', 'active', 30, NULL, now()),
               ('bob', 'b@x', 'active', 40, 'yo', now()),
               ('cid', 'c@x', 'new', 17, 'hi', now()),
               ('dee', 'd@x', 'new', 25, NULL, now());
             INSERT INTO posts (user_id, title, score) VALUES
               (1, 'a1', 1.5), (1, 'a2', 2.5), (2, 'b1', 4.0), (4, 'd1', 0.5);",
        )
        .await
        .unwrap();
    (db, pool)
}

#[tokio::test]
async fn an_inner_join_returns_what_the_hand_written_join_returns() {
    let (_db, pool) = setup("builder_join_inner").await;
    let q = select_table::<User>()
        .join::<Post>(Post::user_id.eq_col(User::id))
        .filter_by(User::status.eq("active"))
        .order_by_key(Post::title.asc())
        .select((User::name, Post::title, Post::score));
    let (sql, args) = q.build().unwrap();
    assert_eq!(
        sql,
        "SELECT users.name, posts.title, posts.score FROM users \
         JOIN posts ON posts.user_id = users.id WHERE users.status = $1 ORDER BY posts.title"
    );
    assert_eq!(args.len(), 1);
    let built: Vec<(String, String, f64)> = q.fetch_all(&pool).await.unwrap();
    let hand: Vec<(String, String, f64)> = pool
        .query(
            "SELECT u.name, p.title, p.score FROM users u JOIN posts p ON p.user_id = u.id \
             WHERE u.status = 'active' ORDER BY p.title",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(built, hand);
    assert_eq!(built.len(), 3);

    // Whole tables, each read as its struct.
    let pairs: Vec<(User, Post)> = select_table::<User>()
        .join::<Post>(Post::user_id.eq_col(User::id))
        .order_by_key(Post::id.asc())
        .select((all_columns::<User>(), all_columns::<Post>()))
        .fetch_all(&pool)
        .await
        .unwrap();
    let titles: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(u, p)| (u.name.as_str(), p.title.as_str()))
        .collect();
    assert_eq!(
        titles,
        [("ann", "a1"), ("ann", "a2"), ("bob", "b1"), ("dee", "d1")]
    );
}

#[tokio::test]
async fn left_joined_columns_are_read_as_options() {
    let (_db, pool) = setup("builder_join_left").await;
    let built: Vec<(String, Option<String>)> = select_table::<User>()
        .left_join::<Post>(Post::user_id.eq_col(User::id))
        .order_by_key(User::name.asc())
        .order_by_key(Post::title.asc())
        .select((User::name, Post::title.nullable()))
        .fetch_all(&pool)
        .await
        .unwrap();
    let hand: Vec<(String, Option<String>)> = pool
        .query(
            "SELECT u.name, p.title FROM users u LEFT JOIN posts p ON p.user_id = u.id \
             ORDER BY u.name, p.title",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(built, hand);
    assert!(built.contains(&("cid".to_owned(), None)), "{built:?}");

    // A left-joined table read whole is `None` where nothing matched.
    let pairs: Vec<(User, Option<Post>)> = select_table::<User>()
        .left_join::<Post>(Post::user_id.eq_col(User::id))
        .filter_by(User::name.in_list(vec!["bob", "cid"]))
        .order_by_key(User::name.asc())
        .select((all_columns::<User>(), all_columns::<Post>().nullable()))
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(pairs.len(), 2);
    assert_eq!(pairs[0].1.as_ref().map(|p| p.title.as_str()), Some("b1"));
    assert_eq!(pairs[1].0.name, "cid");
    assert!(pairs[1].1.is_none());
}

#[tokio::test]
async fn a_left_joined_column_read_as_a_plain_value_is_refused_before_it_runs() {
    let (_db, pool) = setup("builder_join_refused").await;
    let q = select_table::<User>()
        .left_join::<Post>(Post::user_id.eq_col(User::id))
        .select((User::name, Post::title));
    let err = q.build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(
        err.to_string().contains("`posts.title` may be NULL")
            && err.to_string().contains("left-joined"),
        "{err}"
    );
    // The fetch methods refuse it too: nothing is sent.
    let err = q.fetch_all(&pool).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let err = select_table::<User>()
        .left_join::<Post>(Post::user_id.eq_col(User::id))
        .select(all_columns::<Post>())
        .fetch_all(&pool)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    // The same column after an inner join is fine.
    let n = select_table::<User>()
        .join::<Post>(Post::user_id.eq_col(User::id))
        .select((User::name, Post::title))
        .fetch_all(&pool)
        .await
        .unwrap()
        .len();
    assert_eq!(n, 4);
}

#[tokio::test]
async fn bad_joins_and_columns_are_clear_errors() {
    // A column of a table the query does not use.
    let err = select_table::<User>()
        .select((User::name, Post::title))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string()
            .contains("reads table `posts`, which is not in this query"),
        "{err}"
    );
    // A table joined twice would need aliases.
    let err = select_table::<User>()
        .join::<Post>(Post::user_id.eq_col(User::id))
        .left_join::<Post>(Post::user_id.eq_col(User::id))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("already in this query"), "{err}");
    let err = select_table::<User>()
        .join::<User>(User::id.eq_col(User::id))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("already in this query"), "{err}");
    // A join condition whose placeholders do not match its values.
    let err = select_table::<User>()
        .join::<Post>(postgres::Condition::sql("posts.user_id = ?", vec![]))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    // A group-by name that is not an identifier.
    let err = postgres::select("users")
        .group_by_names("status; DROP TABLE users")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

/// One row of the per-status statistics.
type Stats = (
    String,
    i64,
    Option<i64>,
    Option<f64>,
    Option<i32>,
    Option<i32>,
);

#[tokio::test]
async fn group_by_and_having_return_what_the_hand_written_query_returns() {
    let (_db, pool) = setup("builder_join_group").await;
    let q = select_table::<User>()
        .group_by(User::status)
        .having(count_all().gt(1_i64))
        .having(User::age.max().ge(18))
        .order_by_key(User::status.asc())
        .select((
            User::status,
            count_all(),
            User::age.sum(),
            User::age.avg(),
            User::age.min(),
            User::age.max(),
        ));
    let (sql, args) = q.build().unwrap();
    assert_eq!(
        sql,
        "SELECT users.status, count(*), sum(users.age), avg(users.age)::float8, min(users.age), \
         max(users.age) FROM users GROUP BY users.status HAVING count(*) > $1 \
         AND max(users.age) >= $2 ORDER BY users.status"
    );
    assert_eq!(args.len(), 2);
    let built: Vec<Stats> = q.fetch_all(&pool).await.unwrap();
    let hand: Vec<Stats> = pool
        .query(
            "SELECT status, count(*), sum(age), avg(age)::float8, min(age), max(age) FROM users \
             GROUP BY status HAVING count(*) > 1 AND max(age) >= 18 ORDER BY status",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect();
    assert_eq!(built, hand);
    assert_eq!(
        built,
        [
            (
                "active".to_owned(),
                2,
                Some(70),
                Some(35.0),
                Some(30),
                Some(40)
            ),
            (
                "new".to_owned(),
                2,
                Some(42),
                Some(21.0),
                Some(17),
                Some(25)
            ),
        ]
    );
}

#[tokio::test]
async fn a_grouped_left_join_with_values_in_every_clause_binds_them_all() {
    let (_db, pool) = setup("builder_join_grouped").await;
    let q = select_table::<User>()
        .left_join::<Post>(Post::user_id.eq_col(User::id).and(Post::score.gt(1.0)))
        .filter_by(User::age.ge(18))
        .group_by(User::id)
        .group_by(User::name)
        .having(Post::id.count().lt(5_i64))
        .order_by_key(Post::score.sum().desc())
        .order_by_key(User::name.asc())
        .select((
            User::name,
            Post::id.count(),
            Post::score.sum(),
            Post::score.max(),
        ));
    let (sql, args) = q.build().unwrap();
    // Placeholders are numbered in the order they appear: `ON`, then `WHERE`, then `HAVING`.
    assert_eq!(
        sql,
        "SELECT users.name, count(posts.id), sum(posts.score), max(posts.score) FROM users \
         LEFT JOIN posts ON (posts.user_id = users.id) AND (posts.score > $1) \
         WHERE users.age >= $2 GROUP BY users.id, users.name HAVING count(posts.id) < $3 \
         ORDER BY sum(posts.score) DESC, users.name"
    );
    assert_eq!(args.len(), 3);
    let built: Vec<(String, i64, Option<f64>, Option<f64>)> = q.fetch_all(&pool).await.unwrap();
    let hand: Vec<(String, i64, Option<f64>, Option<f64>)> = pool
        .query(
            "SELECT u.name, count(p.id), sum(p.score), max(p.score) FROM users u \
             LEFT JOIN posts p ON p.user_id = u.id AND p.score > $1 WHERE u.age >= $2 \
             GROUP BY u.id, u.name HAVING count(p.id) < $3 \
             ORDER BY sum(p.score) DESC, u.name",
            &[&1.0_f64, &18_i32, &5_i64],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(built, hand);
    // dee's only post scores 0.5, below the join's condition: no match, a NULL sum, which a
    // descending order puts first.
    assert_eq!(
        built,
        [
            ("dee".to_owned(), 0, None, None),
            ("ann".to_owned(), 2, Some(4.0), Some(2.5)),
            ("bob".to_owned(), 1, Some(4.0), Some(4.0)),
        ]
    );
}

/// A table and a column whose names are reserved words.
#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "order")]
struct Order {
    #[column(primary_key)]
    id: i64,
    #[column(name = "user")]
    user_id: i64,
}

#[tokio::test]
async fn reserved_names_are_quoted_in_joins_and_groups() {
    let (_db, pool) = setup("builder_join_quoted").await;
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE \"order\" (id int8 PRIMARY KEY, \"user\" int8 NOT NULL);
             INSERT INTO \"order\" VALUES (1, 1), (2, 1), (3, 3);",
        )
        .await
        .unwrap();
    let q = select_table::<User>()
        .join::<Order>(Order::user_id.eq_col(User::id))
        .group_by(User::name)
        .order_by_key(User::name.asc())
        .select((User::name, Order::id.count()));
    let (sql, _) = q.build().unwrap();
    assert_eq!(
        sql,
        "SELECT users.name, count(\"order\".id) FROM users \
         JOIN \"order\" ON \"order\".\"user\" = users.id GROUP BY users.name ORDER BY users.name"
    );
    let rows: Vec<(String, i64)> = q.fetch_all(&pool).await.unwrap();
    assert_eq!(rows, [("ann".to_owned(), 2), ("cid".to_owned(), 1)]);
}

#[tokio::test]
async fn every_aggregate_comparison_and_single_item_reads_run() {
    let (_db, pool) = setup("builder_join_more").await;
    let q = select_table::<User>()
        .group_by_names("status")
        .having(count_all().eq(2_i64))
        .having(User::age.min().ne(0))
        .having(User::age.max().le(40))
        .order_by_key(User::age.max().asc())
        .select((User::status, count_all()));
    let (sql, args) = q.build().unwrap();
    assert_eq!(
        sql,
        "SELECT users.status, count(*) FROM users GROUP BY status HAVING count(*) = $1 \
         AND min(users.age) <> $2 AND max(users.age) <= $3 ORDER BY max(users.age)"
    );
    assert_eq!(args.len(), 3);
    let rows: Vec<(String, i64)> = q.fetch_all(&pool).await.unwrap();
    assert_eq!(rows, [("new".to_owned(), 2), ("active".to_owned(), 2)]);

    // One item, not a tuple, is read as its own type.
    let n: i64 = select_table::<User>()
        .select(count_all())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 4);
    let minor = select_table::<User>()
        .filter_by(User::age.lt(18))
        .select(User::name)
        .fetch_optional(&pool)
        .await
        .unwrap();
    assert_eq!(minor.as_deref(), Some("cid"));
    let nobody = select_table::<User>()
        .filter_by(User::age.le(0))
        .select(User::name)
        .fetch_optional(&pool)
        .await
        .unwrap();
    assert_eq!(nobody, None);
    let err = select_table::<User>()
        .filter_by(User::age.le(0))
        .select(all_columns::<User>())
        .fetch_one(&pool)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");

    // ILIKE ignores case where LIKE does not; NULLS FIRST puts the users without a bio first.
    let case_sensitive: Vec<String> = select_table::<User>()
        .filter_by(User::name.like("B%"))
        .select(User::name)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(case_sensitive.is_empty());
    let case_insensitive: Vec<String> = select_table::<User>()
        .filter_by(User::name.ilike("B%"))
        .select(User::name)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(case_insensitive, ["bob"]);
    let by_bio: Vec<(String, Option<String>)> = select_table::<User>()
        .order_by_key(User::bio.asc().nulls_first())
        .order_by_key(User::name.asc())
        .select((User::name, User::bio.nullable()))
        .fetch_all(&pool)
        .await
        .unwrap();
    let names: Vec<&str> = by_bio.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["ann", "dee", "cid", "bob"]);
}

#[tokio::test]
async fn debug_output_shows_the_sql_and_never_a_value() {
    let condition = User::email.eq("ann@secret.example".to_owned());
    let text = format!("{condition:?}");
    assert_eq!(text, r#"Condition { sql: "users.email = ?", values: 1 }"#);
    let q = select_table::<User>()
        .filter_by(condition)
        .select(all_columns::<User>());
    let text = format!("{q:?}");
    assert!(
        text.contains("WHERE users.email = $1") && !text.contains("secret"),
        "{text}"
    );
    assert_eq!(format!("{:?}", all_columns::<User>()), "AllColumns");
    assert_eq!(
        format!("{:?}", all_columns::<Post>().nullable()),
        "NullableColumns"
    );
    let sum = Post::score.sum::<f64>();
    assert_eq!(
        format!("{:?}", sum.clone()),
        r#"Aggregate("sum(posts.score)")"#
    );
    assert_eq!(format!("{sum:?}"), r#"Aggregate("sum(posts.score)")"#);
}

#[tokio::test]
async fn bad_group_names_having_fragments_and_sort_keys_are_refused_when_built() {
    for (q, what) in [
        (
            select_table::<User>().group_by_names("status, 1bad"),
            "group by column",
        ),
        (
            select_table::<User>().having(txova_db::postgres::Condition::sql(
                "count(*) > ? AND count(*) < ?",
                vec![Box::new(1_i64)],
            )),
            "",
        ),
        (
            select_table::<User>().order_by("name ASC NULLS"),
            "is not a sort key",
        ),
        (
            select_table::<User>().order_by("name ASC NULLS LAST LATER"),
            "is not a sort key",
        ),
    ] {
        let err = q.build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert!(err.to_string().contains(what), "{err}");
    }
}
