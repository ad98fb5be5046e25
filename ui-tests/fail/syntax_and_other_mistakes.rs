use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    pub id: i64,
    pub name: String,
    pub age: i32,
}

fn main() {
    // A syntax mistake does not hide the mistakes in the clauses after it: three errors.
    let _ = select!(User where id == 1 order by nme desc limit "ten");
}
