//! Run-time conditions built from the typed column handles of `#[derive(Table)]`.

#[path = "typed_model.rs"]
mod model;

use model::{DDL, User};
use txova_db::postgres::{ColumnExt, Executor, select_table};
use txova_db::testing::TestDatabase;

/// Filters as a search form would pass them: any of them may be absent.
#[derive(Default)]
struct Search {
    status: Option<&'static str>,
    name_like: Option<&'static str>,
    min_age: Option<i32>,
}

async fn search(pool: &txova_db::postgres::Pool, s: Search) -> Vec<String> {
    let users: Vec<User> = select_table::<User>()
        .filter_by(User::status.eq_opt(s.status))
        .filter_by(User::name.like_opt(s.name_like))
        .filter_by(s.min_age.map(|a| User::age.ge(a)))
        .order_by_key(User::name.asc())
        .fetch_all_as(pool)
        .await
        .unwrap();
    users.into_iter().map(|u| u.name).collect()
}

#[tokio::test]
async fn optional_typed_filters() {
    let db = TestDatabase::create("builder_typed").await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.get().await.unwrap().batch_execute(DDL).await.unwrap();
    pool.execute(
        "INSERT INTO users (name, email, status, age, bio, created_at) VALUES
           ('ann', 'a@x', 'active', 30, NULL, now()),
           ('andy', 'y@x', 'new', 17, 'hi', now()),
           ('bob', 'b@x', 'active', 40, 'yo', now())",
        &[],
    )
    .await
    .unwrap();

    assert_eq!(
        search(&pool, Search::default()).await,
        ["andy", "ann", "bob"]
    );
    let active = Search {
        status: Some("active"),
        ..Search::default()
    };
    assert_eq!(search(&pool, active).await, ["ann", "bob"]);
    let an_adults = Search {
        name_like: Some("an%"),
        min_age: Some(18),
        ..Search::default()
    };
    assert_eq!(search(&pool, an_adults).await, ["ann"]);

    let q = select_table::<User>()
        .filter_by(User::bio.is_null().or(User::age.between(35, 50)))
        .filter_by(User::id.in_list(vec![1_i64, 2, 3]))
        .order_by_key(User::age.desc());
    let (sql, args) = q.build().unwrap();
    assert_eq!(
        sql,
        "SELECT users.id, users.name, users.email, users.status, users.age, users.bio, \
         users.created_at FROM users WHERE ((users.bio IS NULL) OR (users.age BETWEEN $1 AND $2)) \
         AND users.id = ANY($3) ORDER BY users.age DESC"
    );
    assert_eq!(args.len(), 3);
    let names: Vec<String> = q
        .fetch_all_as::<User>(&pool)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(names, ["bob", "ann"]);
    let one: Option<User> = select_table::<User>()
        .filter_by(User::email.eq("nobody@x"))
        .fetch_optional_as(&pool)
        .await
        .unwrap();
    assert!(one.is_none());
}
