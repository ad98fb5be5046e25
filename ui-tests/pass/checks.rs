//! Grouping, mapping by name and required columns: the forms that pass.
#![deny(warnings)]

use txova_db::postgres::Executor;
use txova_db::{FromRow, Table, insert, select};

#[derive(Table, Debug)]
#[table(name = "rides")]
pub struct Ride {
    #[column(primary_key, default)]
    pub id: i64,
    pub rider_id: i64,
    pub status: String,
    pub pickup: String,
    pub note: Option<String>,
    #[column(default)]
    pub fare: i32,
}

#[derive(Debug)]
pub struct StatusCount {
    pub status: String,
    pub n: i64,
}

// A `FromRow` struct may still be filled by name.
#[derive(FromRow, Debug)]
pub struct PickupStatus {
    pub status: String,
    pub pickup: String,
}

async fn run<E: Executor>(db: &E) -> txova_db::Result<()> {
    // Grouped by the primary key: every other column of the table depends on it.
    let _: Vec<(i64, String, i64)> =
        select!(id, pickup, count(*) from Ride group by id order by status)
            .fetch_all(db)
            .await?;
    let _: Vec<(Ride, i64)> = select!(Ride, count(*) from Ride group by id)
        .fetch_all(db)
        .await?;
    // Only aggregates: one group, no `group by` needed.
    let _: (i64, Option<i64>) = select!(count(*), sum(fare) from Ride having count(*) > 1_i64)
        .fetch_one(db)
        .await?;
    // Fields filled by name, in any order; aggregates and renamed columns by `as`.
    let _: Vec<StatusCount> = select!(StatusCount { count(*) as n, status } from Ride
        group by status order by status)
    .fetch_all(db)
    .await?;
    let _: Vec<PickupStatus> = select!(PickupStatus { pickup, status } from Ride where note is null)
        .fetch_all(db)
        .await?;
    // Every required column given; `note` (nullable) and `id`, `fare` (defaults) left out.
    insert!(into Ride set rider_id = 1_i64, status = "requested", pickup = "here")
        .execute(db)
        .await?;
    insert!(into Ride (rider_id, status, pickup, fare) values (1_i64, "s", "p", 3))
        .execute(db)
        .await?;
    Ok(())
}

fn main() {
    let _ = run::<txova_db::postgres::Pool>;
}
