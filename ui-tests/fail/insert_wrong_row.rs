use txova_db::{Table, insert};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    pub id: i64,
    pub name: String,
}

fn main() {
    let not_a_user = (1_i64, "ann");
    let _ = insert!(into User values &not_a_user);
}
