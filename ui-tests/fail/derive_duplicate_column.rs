use txova_db::Table;

#[derive(Table)]
pub struct User {
    pub id: i64,
    #[column(name = "id")]
    pub other_id: i64,
}

fn main() {}
