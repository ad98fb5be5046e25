use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    pub id: i64,
    pub name: String,
    pub age: i32,
    pub bio: Option<String>,
}

pub struct Person {
    pub name: String,
    pub age: i64,
    pub bio: String,
    pub n: i32,
}

fn main() {
    let _ = select!(Person { name, age, bio, count(*) as n } from User group by name, age, bio);
}
