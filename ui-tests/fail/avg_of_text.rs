use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
struct User {
    id: i64,
    name: String,
}

fn main() {
    let _ = select!(avg(name) from User);
}
