use txova_db::Table;

#[derive(Table)]
pub struct Pair(i64, String);

fn main() {}
