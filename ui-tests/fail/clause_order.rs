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

fn main() {
    let _ = select!(User limit 1 order by id);
}
