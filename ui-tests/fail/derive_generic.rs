use txova_db::Table;

#[derive(Table)]
pub struct Wrapper<T> {
    pub id: i64,
    pub value: T,
}

fn main() {}
