//! The tables the typed-SQL tests share, and the DDL that creates them.

#![allow(dead_code, reason = "each test file uses a part of the model")]

use chrono::{DateTime, Utc};
use txova_db::Table;
use txova_db::postgres::{Executor as _, Pool};
use txova_db::testing::TestDatabase;

/// A user.
#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key, default)]
    pub id: i64,
    pub name: String,
    pub email: String,
    pub status: String,
    pub age: i32,
    pub bio: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A post, written by a user.
#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "posts")]
pub struct Post {
    #[column(primary_key, default)]
    pub id: i64,
    pub user_id: i64,
    pub title: String,
    pub score: f64,
}

/// Creates the tables of the model.
pub const DDL: &str = "
CREATE TABLE users (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    email text NOT NULL UNIQUE,
    status text NOT NULL,
    age int4 NOT NULL,
    bio text,
    created_at timestamptz NOT NULL
);
CREATE TABLE posts (
    id bigserial PRIMARY KEY,
    user_id int8 NOT NULL REFERENCES users (id),
    title text NOT NULL,
    score float8 NOT NULL
);
";

/// A user to insert.
pub fn user(name: &str, status: &str, age: i32) -> User {
    User {
        id: 0,
        name: name.to_owned(),
        email: format!("{name}@example.com"),
        status: status.to_owned(),
        age,
        bio: None,
        created_at: Utc::now(),
    }
}

/// A database of its own named after `name`, with the model's tables, and a pool on it.
pub async fn database(name: &str) -> (TestDatabase, Pool) {
    let db = TestDatabase::create(name).await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.get().await.unwrap().batch_execute(DDL).await.unwrap();
    (db, pool)
}

/// Inserts the users Ann (30, active), Bob (40, active) and Cid (50, banned).
pub async fn ann_bob_cid(pool: &Pool) {
    let (ann, bob, cid) = (
        user("Ann", "active", 30),
        user("Bob", "active", 40),
        user("Cid", "banned", 50),
    );
    txova_db::insert!(into User values &ann, &bob, &cid)
        .execute(pool)
        .await
        .unwrap();
}

/// The rows of hand-written SQL, each read by `read`: what a typed statement's rows are
/// compared with.
pub async fn rows<T>(pool: &Pool, sql: &str, read: impl Fn(&tokio_postgres::Row) -> T) -> Vec<T> {
    pool.query(sql, &[])
        .await
        .unwrap()
        .iter()
        .map(read)
        .collect()
}
