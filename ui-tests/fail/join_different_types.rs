use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub age: i32,
    pub bio: Option<String>,
}

#[derive(Table)]
#[table(name = "posts")]
pub struct Post {
    pub id: i64,
    pub user_name: String,
}

fn main() {
    let _ = select!(User, Post from User join Post on Post::user_name = User::id);
}
