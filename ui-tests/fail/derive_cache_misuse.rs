use txova_db::Table;

// Two primary key columns: which one would the key be built from?
#[derive(Table)]
#[table(name = "memberships", cache)]
pub struct Membership {
    #[column(primary_key)]
    pub user_id: i64,
    #[column(primary_key)]
    pub group_id: i64,
}

// A prefix that breaks the key conventions.
#[derive(Table)]
#[table(name = "drivers", cache = "Fleet::driver")]
pub struct Driver {
    #[column(primary_key)]
    pub id: i64,
}

// The table's name is not a valid prefix, and none is given.
#[derive(Table)]
#[table(name = "Vehicles", cache)]
pub struct Vehicle {
    #[column(primary_key)]
    pub plate: String,
}

// A key type that cannot be written into a key.
#[derive(Table)]
#[table(name = "cars", cache)]
pub struct Car {
    #[column(primary_key)]
    pub plate: Vec<u8>,
}

fn main() {}
