use txova_db::Table;

pub struct Money(i64);

#[derive(Table)]
pub struct Account {
    pub id: i64,
    pub name: &'static str,
    pub balance: Money,
}

fn main() {}
