use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    pub id: i64,
    pub name: String,
}

fn main() {
    let _ = select!(sum(name) from User);
}
