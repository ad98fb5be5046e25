use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    pub id: i64,
    pub name: String,
}

#[derive(Table)]
#[table(name = "posts")]
pub struct Post {
    pub id: i64,
    pub user_id: i64,
    pub title: String,
}

#[derive(Table)]
#[table(name = "tags")]
pub struct Tag {
    pub id: i64,
    pub post_id: i64,
}

fn main() {
    // `Post` is never joined: its `id` would silently be read as `users.id`.
    let id = 1_i64;
    let _ = select!(name from User where Post::id = id);
    // With a join, the message lists the query's tables.
    let _ = select!(User::name, Tag::id from User join Post on Post::user_id = User::id);
    let _ = select!(Tag from User);
}
