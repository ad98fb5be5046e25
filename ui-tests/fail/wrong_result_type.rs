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
    let _: txova_db::postgres::Query<'_, (i64, i32), 0> = select!(id, name from User);
}
