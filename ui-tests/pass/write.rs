//! `insert!`, `update!` and `delete!` in every form compile, with the strictest warnings.
#![deny(warnings)]

use txova_db::postgres::Executor;
use txova_db::{Table, delete, insert, update};

#[derive(Table, Debug)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key, default)]
    pub id: i64,
    pub name: String,
    pub email: String,
    pub bio: Option<String>,
}

async fn run<E: Executor>(db: &E, user: &User) -> txova_db::Result<()> {
    let name = "ann";
    insert!(into User values user).execute(db).await?;
    let id: i64 = insert!(into User values user on conflict (email) do update set name = excluded.name returning id)
        .fetch_one(db)
        .await?;
    insert!(into User (name, email, bio) values (name, "a@b", None), ("bob", "b@b", Some("hi")))
        .execute(db)
        .await?;
    insert!(into User (name, email, bio) values (name, "c@b", "plain value into a nullable column") on conflict do nothing)
        .execute(db)
        .await?;
    insert!(into User set name = name, email = "d@b", bio = None).execute(db).await?;
    let updated: Vec<User> = update!(User set name = name, bio = None where id = id returning *)
        .fetch_all(db)
        .await?;
    update!(User set bio = user.bio.as_deref() where all).execute(db).await?;
    let gone: Option<String> = delete!(from User where id = id returning name)
        .fetch_optional(db)
        .await?;
    delete!(from User where all).execute(db).await?;
    let _ = (updated, gone);
    Ok(())
}

fn main() {
    let _ = run::<txova_db::postgres::Pool>;
}
