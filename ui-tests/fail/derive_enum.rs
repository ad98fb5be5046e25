use txova_db::Table;

#[derive(Table)]
pub enum Status {
    Active,
    Banned,
}

fn main() {}
