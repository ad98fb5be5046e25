//! `union`, `union all`, `intersect` and `except` in `select!`, and CTEs (`with`). Each
//! statement's SQL is checked, and its rows are compared with the same hand-written SQL's.

#[path = "typed_model.rs"]
mod model;

use model::{Post, User, rows};
use txova_db::postgres::Pool;
use txova_db::testing::TestDatabase;
use txova_db::{Table, select};

/// An administrator: another table whose columns have the users' types.
#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "admins")]
struct Admin {
    #[column(primary_key, default)]
    id: i64,
    name: String,
    nickname: Option<String>,
    level: i32,
}

/// Ann (30) with two posts, Bob (40) with one, Cid (50, banned) with none; the admins Ann
/// (level 1, nicknamed) and Dee (level 2).
async fn seeded(name: &str) -> (TestDatabase, Pool) {
    let (db, pool) = model::database(name).await;
    model::ann_bob_cid(&pool).await;
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE admins (id bigserial PRIMARY KEY, name text NOT NULL, \
             nickname text, level int4 NOT NULL); \
             INSERT INTO admins (name, nickname, level) VALUES ('Ann', 'annie', 1), \
             ('Dee', NULL, 2); \
             INSERT INTO posts (user_id, title, score) SELECT id, 'a', 1.5 FROM users \
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

#[tokio::test]
async fn union_all_orders_and_limits_the_whole_result() {
    let (_db, pool) = seeded("typed_setops_union_all").await;
    let (status, level) = ("active", 0);
    let q = select!(User::id, User::name from User where status = status
        union all select Admin::id, Admin::name from Admin where level > level
        order by name desc, id limit 10);
    assert_eq!(
        q.sql(),
        "SELECT id, name FROM users WHERE status = $1 UNION ALL SELECT id, name FROM admins \
         WHERE level > $2 ORDER BY name DESC, id LIMIT 10"
    );
    let got: Vec<(i64, String)> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "SELECT id, name FROM users WHERE status = 'active' UNION ALL SELECT id, name \
         FROM admins WHERE level > 0 ORDER BY name DESC, id LIMIT 10",
        |r| (r.get(0), r.get(1)),
    )
    .await;
    assert_eq!(got, want);
    let names: Vec<&str> = got.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(names, ["Dee", "Bob", "Ann", "Ann"]);
}

/// A name and a nickname, filled by name from the first branch's columns.
#[derive(Debug, PartialEq)]
struct Person {
    name: String,
    nick: Option<String>,
}

#[tokio::test]
async fn union_intersect_and_except_check_types_and_nullability() {
    let (_db, pool) = seeded("typed_setops_ops").await;
    // `union` removes duplicates; `bio` (nullable) makes the result's second column nullable
    // although the first branch's is not.
    let q = select!(name, upper(name) from User union select name, nickname from Admin
        order by name);
    assert_eq!(
        q.sql(),
        "SELECT name, upper(name) FROM users UNION SELECT name, nickname FROM admins ORDER BY name"
    );
    let got: Vec<(String, Option<String>)> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "SELECT name, upper(name) FROM users UNION SELECT name, nickname FROM admins \
         ORDER BY name, 2",
        |r| (r.get(0), r.get(1)),
    )
    .await;
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(sorted, want);
    assert!(got.contains(&("Dee".to_owned(), None)), "{got:?}");
    // A struct filled by name; the later branch matches by position, as in SQL.
    let q = select!(Person { name, bio as nick } from User where age < 45
        intersect select name, nickname from Admin);
    assert_eq!(
        q.sql(),
        "SELECT name, bio AS nick FROM users WHERE age < $1 INTERSECT SELECT name, nickname \
         FROM admins"
    );
    let got: Vec<Person> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "SELECT name, bio AS nick FROM users WHERE age < 45 INTERSECT SELECT name, nickname \
         FROM admins",
        |r| Person {
            name: r.get(0),
            nick: r.get(1),
        },
    )
    .await;
    assert_eq!(got, want);
    // Ann's bio is NULL and her nickname is not: no row is in both.
    assert!(got.is_empty());
    let q = select!(name from User except select name from Admin order by name);
    assert_eq!(
        q.sql(),
        "SELECT name FROM users EXCEPT SELECT name FROM admins ORDER BY name"
    );
    let got: Vec<String> = q.fetch_all(&pool).await.unwrap();
    assert_eq!(
        got,
        rows(
            &pool,
            "SELECT name FROM users EXCEPT SELECT name FROM admins ORDER BY name",
            |r| r.get::<_, String>(0)
        )
        .await
    );
    assert_eq!(got, ["Bob", "Cid"]);
    let q = select!(name from User intersect all select name from Admin
        except all select name from Admin where level > 1);
    assert_eq!(
        q.sql(),
        "SELECT name FROM users INTERSECT ALL SELECT name FROM admins EXCEPT ALL \
         SELECT name FROM admins WHERE level > $1"
    );
    let got: Vec<String> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "SELECT name FROM users INTERSECT ALL SELECT name FROM admins EXCEPT ALL \
         SELECT name FROM admins WHERE level > 1",
        |r| r.get::<_, String>(0),
    )
    .await;
    assert_eq!(got, want);
    assert_eq!(got, ["Ann"]);
}

#[tokio::test]
async fn branches_group_join_compute_and_bind_values_in_order() {
    let (_db, pool) = seeded("typed_setops_branches").await;
    let (min_posts, extra, top) = (1_i64, 100_i32, 2_i64);
    // An aggregate grouped in one branch, a join and an expression in another; the
    // placeholders run across the branches, then the whole result's `limit`.
    let q = select!(distinct User::name, count(Post::id) as n from User
        join Post on Post::user_id = User::id group by User::name having count(Post::id) >= min_posts
        union all select name, cast(level + &extra as int8) from Admin
        order by n desc, name limit top);
    assert_eq!(
        q.sql(),
        "SELECT DISTINCT users.name, count(posts.id) AS n FROM users JOIN posts \
         ON posts.user_id = users.id GROUP BY users.name HAVING count(posts.id) >= $1 \
         UNION ALL SELECT name, CAST(level + $2 AS int8) FROM admins ORDER BY n DESC, name \
         LIMIT $3"
    );
    let got: Vec<(String, i64)> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "SELECT DISTINCT users.name, count(posts.id) AS n FROM users JOIN posts \
         ON posts.user_id = users.id GROUP BY users.name HAVING count(posts.id) >= 1 \
         UNION ALL SELECT name, CAST(level + 100 AS int8) FROM admins ORDER BY n DESC, name \
         LIMIT 2",
        |r| (r.get(0), r.get(1)),
    )
    .await;
    assert_eq!(got, want);
    assert_eq!(got, [("Dee".to_owned(), 102), ("Ann".to_owned(), 101)]);
    // Branches in parentheses keep their own order and limit; whole rows of one table.
    let q = select!((select User where status = "active" order by age desc limit 1)
        union all (select User where status = "banned" limit 1) order by age);
    assert_eq!(
        q.sql(),
        "(SELECT id, name, email, status, age, bio, created_at FROM users WHERE status = $1 \
         ORDER BY age DESC LIMIT 1) UNION ALL (SELECT id, name, email, status, age, bio, \
         created_at FROM users WHERE status = $2 LIMIT 1) ORDER BY age"
    );
    let got: Vec<User> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "(SELECT name FROM users WHERE status = 'active' ORDER BY age DESC LIMIT 1) \
         UNION ALL (SELECT name FROM users WHERE status = 'banned' LIMIT 1) ORDER BY 1",
        |r| r.get::<_, String>(0),
    )
    .await;
    let names: Vec<&str> = got.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, want);
    assert_eq!(names, ["Bob", "Cid"]);
}

/// The CTE of the users of one status: their id, name and number of posts.
#[derive(Table, Debug, PartialEq)]
#[table(name = "active")]
struct Active {
    id: i64,
    name: String,
    posts: i64,
}

/// The CTE of each author's best score.
#[derive(Table, Debug, PartialEq)]
struct Best {
    user_id: i64,
    best: Option<f64>,
}

#[tokio::test]
async fn ctes_name_their_columns_and_bind_their_values_first() {
    let (_db, pool) = seeded("typed_setops_cte").await;
    let (status, min_posts) = ("active", 1_i64);
    let q = select!(with Active as (select User::id, User::name, count(Post::id) as posts
            from User left join Post on Post::user_id = User::id where User::status = status
            group by User::id)
        select name, posts from Active where posts >= min_posts order by name);
    assert_eq!(
        q.sql(),
        "WITH active (id, name, posts) AS (SELECT users.id, users.name, count(posts.id) AS posts \
         FROM users LEFT JOIN posts ON posts.user_id = users.id WHERE users.status = $1 \
         GROUP BY users.id) SELECT name, posts FROM active WHERE posts >= $2 ORDER BY name"
    );
    let got: Vec<(String, i64)> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "WITH active AS (SELECT users.id, users.name, count(posts.id) AS posts FROM users \
         LEFT JOIN posts ON posts.user_id = users.id WHERE users.status = 'active' \
         GROUP BY users.id) SELECT name, posts FROM active WHERE posts >= 1 ORDER BY name",
        |r| (r.get(0), r.get(1)),
    )
    .await;
    assert_eq!(got, want);
    assert_eq!(got, [("Ann".to_owned(), 2), ("Bob".to_owned(), 1)]);
    // Two CTEs, the second's columns in another order than its struct's fields, joined, and
    // one read again in a subquery; the whole struct of a CTE as the result.
    let q = select!(with Best as (select max(score) as best, user_id from Post group by user_id),
            Active as (select id, name, cast(age as int8) as posts from User where status = status)
        select Active, Best::best from Active join Best on Best::user_id = Active::id
        where Active::id in (select user_id from Best where best > 1.0) order by Active::name);
    assert_eq!(
        q.sql(),
        "WITH best (best, user_id) AS (SELECT max(score) AS best, user_id FROM posts \
         GROUP BY user_id), active (id, name, posts) AS (SELECT id, name, CAST(age AS int8) AS posts \
         FROM users WHERE status = $1) SELECT active.id, active.name, active.posts, best.best \
         FROM active JOIN best ON best.user_id = active.id WHERE active.id IN \
         (SELECT best.user_id FROM best WHERE best.best > $2) ORDER BY active.name"
    );
    let got: Vec<(Active, Option<f64>)> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "WITH best AS (SELECT max(score) AS best, user_id FROM posts GROUP BY user_id), \
         active AS (SELECT id, name, CAST(age AS int8) AS posts FROM users \
         WHERE status = 'active') SELECT active.id, active.name, active.posts, best.best \
         FROM active JOIN best ON best.user_id = active.id WHERE active.id IN \
         (SELECT best.user_id FROM best WHERE best.best > 1.0) ORDER BY active.name",
        |r| {
            (
                Active {
                    id: r.get(0),
                    name: r.get(1),
                    posts: r.get(2),
                },
                r.get(3),
            )
        },
    )
    .await;
    assert_eq!(got, want);
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].0.name.as_str(), got[0].0.posts, got[0].1),
        ("Ann", 30, Some(2.5))
    );
}

/// A node of a tree.
#[derive(Table, Debug, PartialEq)]
#[table(name = "nodes")]
struct Node {
    #[column(primary_key)]
    id: i64,
    parent_id: Option<i64>,
    label: String,
}

/// The CTE of a walk down the tree: a node and its depth.
#[derive(Table, Debug, PartialEq)]
struct Walk {
    id: i64,
    label: String,
    depth: i32,
}

#[tokio::test]
async fn a_recursive_cte_walks_a_tree() {
    let (_db, pool) = seeded("typed_setops_recursive").await;
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE nodes (id int8 PRIMARY KEY, parent_id int8 REFERENCES nodes (id), \
             label text NOT NULL); \
             INSERT INTO nodes VALUES (1, NULL, 'root'), (2, 1, 'a'), (3, 1, 'b'), \
             (4, 2, 'a1'), (5, NULL, 'other');",
        )
        .await
        .unwrap();
    let (root, deepest) = ("root", 5_i32);
    let q = select!(with recursive Walk as (
            select id, label, cast(0 as int4) as depth from Node where label = root
            union all select Node::id, Node::label, Walk::depth + 1 from Node
            join Walk on Walk::id = Node::parent_id where Walk::depth < deepest)
        select label, depth from Walk order by depth, label);
    assert_eq!(
        q.sql(),
        "WITH RECURSIVE walk (id, label, depth) AS (SELECT id, label, CAST($1 AS int4) AS depth \
         FROM nodes WHERE label = $2 UNION ALL SELECT nodes.id, nodes.label, walk.depth + $3 \
         FROM nodes JOIN walk ON walk.id = nodes.parent_id WHERE walk.depth < $4) \
         SELECT label, depth FROM walk ORDER BY depth, label"
    );
    let got: Vec<(String, i32)> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "WITH RECURSIVE walk (id, label, depth) AS (SELECT id, label, 0 FROM nodes \
         WHERE label = 'root' UNION ALL SELECT nodes.id, nodes.label, walk.depth + 1 \
         FROM nodes JOIN walk ON walk.id = nodes.parent_id WHERE walk.depth < 5) \
         SELECT label, depth FROM walk ORDER BY depth, label",
        |r| (r.get(0), r.get(1)),
    )
    .await;
    assert_eq!(got, want);
    let labels: Vec<&str> = got.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(labels, ["root", "a", "b", "a1"]);
}

/// A name, its largest and summed numbers, their average, and a left-joined title.
type AggRow = (
    String,
    Option<i32>,
    Option<i64>,
    Option<f64>,
    Option<String>,
);

#[tokio::test]
async fn aggregates_and_left_joins_read_with_every_branch_nullability() {
    let (_db, pool) = seeded("typed_setops_aggregates").await;
    // `max`, `sum` and `avg` are NULL over no rows; a left-joined title is NULL without a
    // post. Each result column takes the type every branch agrees on.
    let q = select!(User::name, max(User::age) as top, sum(User::age), avg(User::age), max(Post::title)
        from User left join Post on Post::user_id = User::id group by User::name
        union all select name, max(level), sum(level), avg(level), max(nickname) from Admin
        group by name order by name, top);
    assert_eq!(
        q.sql(),
        "SELECT users.name, max(users.age) AS top, sum(users.age), avg(users.age)::float8, \
         max(posts.title) FROM users LEFT JOIN posts ON posts.user_id = users.id \
         GROUP BY users.name UNION ALL SELECT name, max(level), sum(level), avg(level)::float8, \
         max(nickname) FROM admins GROUP BY name ORDER BY name, top"
    );
    let got: Vec<AggRow> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "SELECT users.name, max(users.age) AS top, sum(users.age), avg(users.age)::float8, \
         max(posts.title) FROM users LEFT JOIN posts ON posts.user_id = users.id \
         GROUP BY users.name UNION ALL SELECT name, max(level), sum(level), avg(level)::float8, \
         max(nickname) FROM admins GROUP BY name ORDER BY name, top",
        |r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)),
    )
    .await;
    assert_eq!(got, want);
    assert_eq!(got.len(), 5);
    assert_eq!(
        got[0],
        (
            "Ann".to_owned(),
            Some(1),
            Some(1),
            Some(1.0),
            Some("annie".to_owned())
        )
    );
    assert_eq!(got[3].4, None, "Cid has no post");
}
