use txova_db::{Table, select, sql_function, update};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key)]
    pub id: i64,
    pub name: String,
    pub age: i32,
}

sql_function! {
    fn initials(name: String) -> String;
    fn similarity(a: String, b: String) -> f32;
}

fn main() {
    // A number column where text is declared.
    let _ = select!(initials(age) from User);
    // A Rust value of another type than the declared one.
    let _ = select!(id from User where similarity(name, 5) > 0.5);
    // The result assigned to a column of another type.
    let _ = update!(User set age = initials(User::name) where id = 1);
}
