use txova_db::{Table, select, update};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key)]
    pub id: i64,
    pub name: String,
    pub age: i32,
    pub bio: Option<String>,
}

fn main() {
    // Text assigned to a number.
    let _ = update!(User set age = lower(User::name) where id = 1_i64);
    // Arithmetic on text.
    let _ = update!(User set name = User::name + 1 where id = 1_i64);
    // A nullable expression assigned to a non-null column.
    let _ = update!(User set name = coalesce(User::bio, User::bio) where id = 1_i64);
    // `lower` of a number.
    let _ = select!(id from User where lower(age) = "x");
    // A function with the wrong number of arguments.
    let _ = select!(coalesce(bio) from User);
}
