//! Every form of `select!` compiles, with the workspace's strictest warnings.
#![deny(warnings)]

use txova_db::postgres::{Executor, Query};
use txova_db::{Table, select};

#[derive(Table, Debug)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key, default)]
    pub id: i64,
    pub name: String,
    pub status: String,
    pub age: i32,
    pub bio: Option<String>,
    pub tags: Vec<String>,
}

#[derive(Table, Debug)]
#[table(name = "posts", schema = "blog")]
pub struct Post {
    pub id: i64,
    pub user_id: i64,
    #[column(name = "order")]
    pub position: i16,
    pub title: String,
}

async fn run<E: Executor>(db: &E) -> txova_db::Result<()> {
    let status = String::from("active");
    let ids = vec![1_i64, 2, 3];
    let slice: &[i64] = &ids;
    let limit = 10_i64;
    let users: Vec<User> = select!(User where status = status and age >= 18
        and (bio is null or bio like "%rust%") and not name ilike "x%"
        and id in (1, 2) and id not in slice and age between 18 and 65
        order by age desc nulls last, name asc limit limit offset 0)
    .fetch_all(db)
    .await?;
    let one: Option<(i64, String)> = select!(id, name from User where id = ids[0])
        .fetch_optional(db)
        .await?;
    let n: i64 = select!(count(*) from User where status = "active")
        .fetch_one(db)
        .await?;
    let joined: Vec<(String, Option<String>, Option<i16>)> =
        select!(User::name, Post::title, Post::position from User
            left join Post on Post::user_id = User::id
            where User::status = &status)
        .fetch_all(db)
        .await?;
    let pairs: Vec<(User, Option<Post>)> =
        select!(User, Post from User left join Post on Post::user_id = User::id)
            .fetch_all(db)
            .await?;
    let stats: Vec<(String, i64, Option<i64>, Option<f64>, Option<i32>)> =
        select!(status, count(id), sum(age), avg(age), min(age) from User group by status)
            .fetch_all(db)
            .await?;
    let tagged: Vec<User> = select!(User where tags = vec!["a".to_owned()])
        .fetch_all(db)
        .await?;
    let statuses: Vec<String> = select!(distinct status from User).fetch_all(db).await?;
    let lonely: Vec<String> = select!(User::name from User
        left join Post on Post::user_id = User::id where Post::id is null)
    .fetch_all(db)
    .await?;
    // Aliases: a self-join, whole rows of an alias, a subquery over the outer query's own
    // table.
    let peers: Vec<(String, Option<String>)> = select!(U::name, Peer::name from User as U
        left join User as Peer on Peer::age = U::age and Peer::status = U::status
        where U::id != Peer::id)
    .fetch_all(db)
    .await?;
    let posts: Vec<(Post, String)> =
        select!(P, U::name from Post as P join User as U on U::id = P::user_id)
            .fetch_all(db)
            .await?;
    let eldest: Vec<User> =
        select!(User as U where not exists (select id from User where age > U::age))
            .fetch_all(db)
            .await?;
    let _ = (users, one, n, joined, pairs, stats, tagged, statuses, lonely);
    let _ = (peers, posts, eldest);
    Ok(())
}

fn main() {
    let q: Query<'_, User, 0> = select!(User);
    assert_eq!(q.sql(), "SELECT id, name, status, age, bio, tags FROM users");
    let q = select!(Post::title from Post where Post::position > 1_i16);
    assert_eq!(q.sql(), "SELECT title FROM blog.posts WHERE \"order\" > $1");
    let q = select!(P::title from Post as P where P::position > 1_i16);
    assert_eq!(q.sql(), "SELECT title FROM blog.posts AS p WHERE \"order\" > $1");
    let _ = run::<txova_db::postgres::Pool>;
}
