use txova_db::Table;
use txova_db::postgres::{ColumnExt, select_table};

#[derive(Table)]
#[table(name = "users")]
struct User {
    id: i64,
    status: String,
}

fn main() {
    let _ = select_table::<User>().filter_by(User::status.is_null());
}
