use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    pub id: i64,
    pub name: String,
}

fn main() {
    // `limit` and `offset` take any integer type; anything else is refused on the value.
    let n = 2.5_f64;
    let _ = select!(User order by id limit n);
    let skip = "ten";
    let _ = select!(User order by id offset skip);
}
