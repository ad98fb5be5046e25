use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    pub id: i64,
    pub age: i32,
}

fn main() {
    let _ = select!(sum(*) from User);
    let _ = select!(median(age) from User);
}
