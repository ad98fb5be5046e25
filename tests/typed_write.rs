//! `insert!`, `update!` and `delete!`: rows written, `returning`, `on conflict`, and errors
//! that leave nothing half-written.

#[path = "typed_model.rs"]
mod model;

use model::{DDL, User, user};
use txova_db::postgres::{self, Executor as _, Pool};
use txova_db::testing::TestDatabase;
use txova_db::{ErrorKind, delete, insert, select, update};

async fn setup(label: &str) -> (TestDatabase, Pool) {
    let db = TestDatabase::create(label).await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.get().await.unwrap().batch_execute(DDL).await.unwrap();
    (db, pool)
}

#[test]
fn statements_are_written_as_sql() {
    let ann = user("ann", "active", 30);
    let (n, e) = ("x", "x@y");
    let at = ann.created_at;
    assert_eq!(
        insert!(into User values &ann, &ann).sql(),
        "INSERT INTO users (name, email, status, age, bio, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6), ($7, $8, $9, $10, $11, $12)"
    );
    assert_eq!(
        insert!(into User values &ann on conflict (email) do update set name = n returning id)
            .sql(),
        "INSERT INTO users (name, email, status, age, bio, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (email) DO UPDATE SET name = $7 RETURNING id"
    );
    assert_eq!(
        insert!(into User (name, email, status, age, created_at)
            values (n, e, n, 1, at), (e, n, e, 2, at) on conflict do nothing)
        .sql(),
        "INSERT INTO users (name, email, status, age, created_at) \
         VALUES ($1, $2, $3, $4, $5), ($6, $7, $8, $9, $10) ON CONFLICT DO NOTHING"
    );
    assert_eq!(
        insert!(into User set name = n, email = e, status = n, age = 3, created_at = at,
            bio = None returning id)
        .sql(),
        "INSERT INTO users (name, email, status, age, created_at, bio) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
    );
    assert_eq!(
        update!(User set name = n, bio = None where email = e returning *).sql(),
        "UPDATE users SET name = $1, bio = $2 WHERE email = $3 \
         RETURNING id, name, email, status, age, bio, created_at"
    );
    assert_eq!(
        update!(User set status = "gone" where all).sql(),
        "UPDATE users SET status = $1"
    );
    assert_eq!(
        delete!(from User where id = 1_i64 returning id, name).sql(),
        "DELETE FROM users WHERE id = $1 RETURNING id, name"
    );
    assert_eq!(delete!(from User where all).sql(), "DELETE FROM users");
}

#[tokio::test]
async fn rows_are_inserted_updated_and_deleted() {
    let (_db, pool) = setup("typed_write").await;
    let ann = user("ann", "active", 30);
    let bob = user("bob", "active", 40);
    let n = insert!(into User values &ann, bob)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(n, 2);

    let cat: User = insert!(into User (name, email, status, age, created_at)
        values ("cat", "cat@example.com", "new", 7, ann.created_at)
        returning *)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (cat.name.as_str(), cat.age, cat.bio.as_deref()),
        ("cat", 7, None)
    );

    let dan: i64 = insert!(into User set name = "dan", email = "dan@example.com",
        status = "new", age = 9, created_at = ann.created_at returning id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        delete!(from User where id = dan)
            .execute(&pool)
            .await
            .unwrap(),
        1
    );

    let bio = "likes tea";
    let (id, new_bio): (i64, Option<String>) =
        update!(User set bio = bio, age = 8 where name = "cat" returning id, bio)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((id, new_bio.as_deref()), (cat.id, Some("likes tea")));

    let changed = update!(User set bio = None::<String> where bio is not null)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(changed, 1);

    let upserted: String = insert!(into User values &ann
        on conflict (email) do update set name = excluded.name, age = 31
        returning name)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(upserted, "ann");
    let age: i32 = select!(age from User where email = "ann@example.com")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(age, 31);
    let skipped = insert!(into User values &ann on conflict do nothing)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(skipped, 0);

    let gone: Vec<String> = delete!(from User where age > 35 returning name)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(gone, ["bob"]);
    let everyone = update!(User set status = "archived" where all)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(everyone, 2);
    assert_eq!(
        delete!(from User where all).execute(&pool).await.unwrap(),
        2
    );
}

#[tokio::test]
async fn a_failed_insert_writes_nothing_and_says_why() {
    let (_db, pool) = setup("typed_write_dup").await;
    let ann = user("ann", "active", 30);
    let twin = user("ann", "active", 31);
    // One statement: the second row violates the unique email, so neither row is kept.
    let err = insert!(into User values &ann, &twin)
        .execute(&pool)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Duplicate);
    assert_eq!(err.constraint(), Some("users_email_key"));
    let n: i64 = select!(count(*) from User).fetch_one(&pool).await.unwrap();
    assert_eq!(n, 0);

    // A transaction that fails after a typed insert keeps nothing either.
    let res: Result<(), txova_db::Error> = postgres::with_tx(&pool, async |tx| {
        insert!(into User values &ann).execute(tx).await?;
        insert!(into User values &ann).execute(tx).await?;
        Ok(())
    })
    .await;
    assert_eq!(res.unwrap_err().kind(), ErrorKind::Duplicate);
    let n: i64 = select!(count(*) from User).fetch_one(&pool).await.unwrap();
    assert_eq!(n, 0);

    // A missing NOT NULL value is reported by the server as such (`insert!` refuses to leave
    // out a required column at compile time, so the statement is written by hand).
    let err = pool
        .execute("INSERT INTO users (name) VALUES ($1)", &[&"x"])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotNull);
}

#[tokio::test]
async fn debug_output_shows_the_sql_and_never_a_value() {
    let (_db, pool) = setup("typed_write_debug").await;
    let mut ann = user("ann", "active", 30);
    ann.email = "ann@secret.example".to_owned();
    insert!(into User values &ann).execute(&pool).await.unwrap();
    let e = "ann@secret.example";
    let statement = update!(User set status = "gone" where email = e);
    assert_eq!(statement.params().len(), 2);
    let text = format!("{statement:?}");
    assert!(
        text.contains("UPDATE users SET status = $1 WHERE email = $2")
            && text.contains("params: 2"),
        "{text}"
    );
    let query = update!(User set status = "back" where email = e returning id);
    let text = format!("{query:?}");
    assert!(
        text.contains("RETURNING id") && text.contains("params: 2"),
        "{text}"
    );
    let found = select!(id from User where email = e);
    for text in [
        format!("{statement:?}"),
        format!("{query:?}"),
        format!("{found:?}"),
    ] {
        assert!(!text.contains("secret") && !text.contains("gone"), "{text}");
    }
    // A query that returns rows also runs for its count alone.
    assert_eq!(statement.execute(&pool).await.unwrap(), 1);
    // `None` is bound as a NULL of the column's type, and reads as one when printed.
    let bio = Some("likes jazz".to_owned());
    update!(User set bio = bio where email = e)
        .execute(&pool)
        .await
        .unwrap();
    let clear = update!(User set bio = None where email = e);
    assert_eq!(format!("{:?}", clear.params()[0]), "NULL");
    assert_eq!(clear.execute(&pool).await.unwrap(), 1);
    let bio: Option<String> = select!(bio from User where email = e)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(bio, None);
    assert_eq!(query.execute(&pool).await.unwrap(), 1);
    assert_eq!(found.fetch_all(&pool).await.unwrap().len(), 1);
}
