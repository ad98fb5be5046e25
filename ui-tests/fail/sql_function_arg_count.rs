use txova_db::{Table, select, sql_function};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key)]
    pub id: i64,
    pub name: String,
}

sql_function! {
    fn similarity(a: String, b: String) -> f32;
}

fn main() {
    let _ = select!(similarity(name) from User);
    let _ = select!(similarity(name, name, name) from User);
}
