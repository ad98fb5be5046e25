use txova_db::{FromRow, Table, select, update};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key)]
    pub id: i64,
    pub status: String,
    pub age: i32,
}

mod model {
    use txova_db::Table;

    #[derive(Table)]
    #[table(name = "rides")]
    pub struct Ride {
        #[column(primary_key)]
        pub id: i64,
        pub status: String,
        pub seq: i32,
    }
}

use model::Ride;

#[derive(FromRow)]
pub struct Counted {
    pub n: i32,
}

fn main() {
    // Two tables have a `status` column and an `id` column: messages still name each by
    // its table.
    let _ = select!(id from User where status = 42);
    let _ = select!(id from Ride where id = "x");
    let _ = update!(Ride set seq = lower(Ride::status) where id = 1_i64);
    // An aggregate into a field of another type.
    let _ = select!(Counted { count(*) as n } from Ride);
    // A value beside an expression, of another type.
    let _ = select!(id from User where age + 1 > "x");
}
