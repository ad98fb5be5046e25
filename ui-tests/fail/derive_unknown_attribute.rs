use txova_db::Table;

#[derive(Table)]
#[table(name = "users", schmea = "public")]
pub struct User {
    #[column(primary_key, nmae = "user_id")]
    pub id: i64,
}

fn main() {
    // The rest of the derive still works: no cascade of errors.
    let _ = User::id;
}
