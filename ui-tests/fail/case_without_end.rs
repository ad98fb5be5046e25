use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key)]
    pub id: i64,
    pub age: i32,
}

fn main() {
    let _ = select!(case when age > 1 then 1 else 2 as n from User);
}
