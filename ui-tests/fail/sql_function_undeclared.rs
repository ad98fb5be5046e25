use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key)]
    pub id: i64,
    pub name: String,
}

fn main() {
    // `initials` is declared nowhere (nor `use`d).
    let _ = select!(initials(name) from User);
    let _ = select!(id from User where soundex(name) = "A");
}
