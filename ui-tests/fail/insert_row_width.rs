use txova_db::{Table, insert};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    pub id: i64,
    pub name: String,
}

fn main() {
    let _ = insert!(into User (id, name) values (1, "a"), (2));
}
