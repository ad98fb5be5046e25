use txova_db::{FromRow, Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    pub id: i64,
    pub name: String,
    pub age: i32,
}

#[derive(FromRow)]
pub struct NameAge {
    pub name: String,
    pub age: i64,
}

fn main() {
    let _ = select!(NameAge { name, age } from User);
}
