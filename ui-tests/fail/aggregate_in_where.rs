use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    pub id: i64,
    pub status: String,
}

fn main() {
    let _ = select!(status from User where count(*) > 1_i64 group by status);
}
