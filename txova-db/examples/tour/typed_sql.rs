//! Typed SQL: `#[derive(Table)]`, `select!`, `insert!`, `update!`, `delete!`, joins,
//! aggregates, expressions, window functions, subqueries, unions, table aliases, PostgreSQL
//! enums and `verify_schema`.

use txova_db::postgres::{self, verify_schema};
use txova_db::{FromRow, PgEnum, Table, delete, insert, select, update};

#[derive(PgEnum, Debug, Clone, Copy, PartialEq)]
#[pg_enum(name = "user_status")]
enum Status {
    Active,
    Banned,
}

#[derive(Table, Debug)]
#[table(name = "users")]
struct User {
    #[column(primary_key, default)]
    id: i64,
    name: String,
    email: String,
    status: Status,
    bio: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Table, Debug)]
#[table(name = "posts")]
struct Post {
    #[column(primary_key, default)]
    id: i64,
    user_id: i64,
    title: String,
}

#[derive(FromRow, Debug)]
struct PostCount {
    name: String,
    posts: i64,
}

const DDL: &str = "
CREATE TYPE user_status AS ENUM ('active', 'banned');
CREATE TABLE users (id bigserial PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE,
    status user_status NOT NULL, bio text, created_at timestamptz NOT NULL);
CREATE TABLE posts (id bigserial PRIMARY KEY, user_id int8 NOT NULL REFERENCES users (id),
    title text NOT NULL);
";

pub async fn run(db: &txova_db::testing::TestDatabase) -> Result<(), Box<dyn std::error::Error>> {
    let pool = db.pool().await?;
    pool.get().await?.batch_execute(DDL).await?;
    println!(
        "typed sql: schema differences: {:?}",
        verify_schema::<User>(&pool).await?
    );

    let now = chrono::Utc::now();
    let ann = User {
        id: 0,
        name: "ann".into(),
        email: "ann@example.com".into(),
        status: Status::Active,
        bio: None,
        created_at: now,
    };
    let bob = User {
        name: "bob".into(),
        email: "bob@example.com".into(),
        ..ann_clone(&ann)
    };
    let ids: Vec<i64> = insert!(into User values &ann, &bob returning id)
        .fetch_all(&pool)
        .await?;
    println!("typed sql: inserted users {ids:?}");
    insert!(into Post (user_id, title) values (ids[0], "hello"), (ids[0], "again"))
        .execute(&pool)
        .await?;

    let status = Status::Active;
    let cutoff = now - chrono::Duration::hours(1);
    let q = select!(id, name, email from User
        where status = status and created_at > cutoff
        order by created_at desc limit 20 offset 0);
    println!("typed sql: {}", q.sql());
    for (id, name, email) in q.fetch_all(&pool).await? {
        println!("typed sql:   {id} {name} <{email}>");
    }

    let rows: Vec<(String, Option<String>)> = select!(User::name, Post::title from User
        left join Post on Post::user_id = User::id order by User::name, Post::title)
    .fetch_all(&pool)
    .await?;
    println!("typed sql: left join (bob has no post): {rows:?}");

    let counts: Vec<PostCount> =
        select!(PostCount { User::name, count(Post::id) as posts } from User
        left join Post on Post::user_id = User::id group by User::name order by User::name)
        .fetch_all(&pool)
        .await?;
    for c in &counts {
        println!("typed sql: {} wrote {} posts", c.name, c.posts);
    }
    for p in select!(Post order by id).fetch_all(&pool).await? {
        println!(
            "typed sql: post {} by user {}: {}",
            p.id, p.user_id, p.title
        );
    }

    // Expressions, a window function, a scalar subquery and `any` over an array value.
    let ranked: Vec<(String, i64, i64)> = select!(upper(name) || "!",
        row_number() over (order by name),
        (select count(*) from Post where Post::user_id = User::id)
        from User where id = any(ids) order by name)
    .fetch_all(&pool)
    .await?;
    println!("typed sql: ranked {ranked:?}");
    // A union of two tables' texts, ordered as a whole.
    let texts: Vec<String> = select!(name from User union all select title from Post
        order by name desc)
    .fetch_all(&pool)
    .await?;
    println!("typed sql: union all {texts:?}");
    // An alias: the users with a namesake among the other users (none here), a subquery
    // over the outer query's own table.
    let namesakes: Vec<String> = select!(name from User as Me
        where exists (select id from User where name = Me::name and id != Me::id))
    .fetch_all(&pool)
    .await?;
    println!("typed sql: users with a namesake {namesakes:?}");

    let banned: Option<String> = postgres::with_tx(&pool, async |tx| {
        update!(User set status = Status::Banned, bio = "spam" where name = "bob" returning name)
            .fetch_optional(tx)
            .await
    })
    .await?;
    println!("typed sql: banned {banned:?} in a transaction");

    let gone = delete!(from Post where user_id = ids[0])
        .execute(&pool)
        .await?;
    println!("typed sql: deleted {gone} posts");
    Ok(())
}

fn ann_clone(u: &User) -> User {
    User {
        id: u.id,
        name: u.name.clone(),
        email: u.email.clone(),
        status: u.status,
        bio: u.bio.clone(),
        created_at: u.created_at,
    }
}
