use txova_db::Table;
use txova_db::postgres::update_table;

#[derive(Table)]
#[table(name = "users")]
struct User {
    id: i64,
    age: i32,
}

fn main() {
    let _ = update_table::<User>().set(User::age, "forty").all();
}
