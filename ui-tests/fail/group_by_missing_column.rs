use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "rides")]
pub struct Ride {
    #[column(primary_key)]
    pub id: i64,
    pub rider_id: i64,
    pub status: String,
    pub pickup: String,
}

#[derive(Table)]
#[table(name = "drivers")]
pub struct Driver {
    pub name: String,
    pub city: String,
}

fn main() {
    // A selected column neither grouped nor aggregated.
    let _ = select!(status, pickup, count(*) from Ride group by status);
    // `having` without `group by` groups all rows into one.
    let _ = select!(status from Ride having count(*) > 1_i64);
    // An aggregate beside a plain column, no `group by`.
    let _ = select!(status, count(*) from Ride);
    // Ordering by a column that is not grouped.
    let _ = select!(status, count(*) from Ride group by status order by pickup);
    // Grouping by a column that is not the primary key does not cover the others.
    let _ = select!(name, city, count(*) from Driver group by name);
}
