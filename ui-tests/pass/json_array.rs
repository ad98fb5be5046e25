//! The jsonb and array operators in every statement and clause compile, with the strictest
//! warnings, and give the types they are read as.
#![deny(warnings)]

use serde_json::{Value, json};
use txova_db::postgres::{Executor, Json};
use txova_db::{Table, delete, insert, select, update};

#[derive(serde::Serialize, serde::Deserialize, Debug)]
pub struct Prefs {
    pub theme: String,
}

#[derive(Table, Debug)]
#[table(name = "rides")]
pub struct Ride {
    #[column(primary_key)]
    pub id: i64,
    pub rider: String,
    pub zone: i32,
    pub data: Value,
    pub extra: Option<Value>,
    pub prefs: Json<Prefs>,
    pub tags: Vec<String>,
    pub stops: Option<Vec<i32>>,
    pub code: uuid::Uuid,
}

type Row = (
    Option<String>,
    Option<Value>,
    Option<String>,
    bool,
    Option<bool>,
    bool,
    i32,
    Option<i32>,
    Option<bool>,
);

async fn run<E: Executor>(db: &E, ride: &Ride) -> txova_db::Result<()> {
    let (city, doc, path) = ("Maputo", json!({"vip": true}), vec!["address", "zip"]);
    let (ids, codes, wanted) = (vec![1_i64, 2], vec![uuid::Uuid::nil()], vec!["night"]);
    let rows: Vec<Row> = select!(data ->> "city", data -> "route" -> 0, data #>> path,
        data @> doc, extra ? "promo", prefs <@ doc, cardinality(tags), array_length(stops, 1),
        zone = any(stops) from Ride
        where data ->> "city" = city and id = any(ids) and code = any(codes) and tags && wanted
        order by data ->> "city")
    .fetch_all(db)
    .await?;
    let cities: Vec<(Option<String>, i64)> = select!(data ->> "city", count(*) from Ride
        group by data ->> "city" having count(*) > 1)
    .fetch_all(db)
    .await?;
    let riders: Vec<String> = select!(rider from Ride where not data ? "vip"
        and id <> all(ids) and (tags @> wanted or tags <@ wanted)
        and case when extra ? "promo" then true else false end = true)
    .fetch_all(db)
    .await?;
    insert!(into Ride values ride on conflict (id) do update
        set rider = coalesce(excluded.data ->> "name", ""), zone = cardinality(excluded.tags))
    .execute(db)
    .await?;
    let moved: Vec<Option<Value>> = update!(Ride set rider = coalesce(Ride::data ->> "name", Ride::rider)
        where data @> doc returning data -> "route")
    .fetch_all(db)
    .await?;
    let gone: Vec<i64> = delete!(from Ride where stops && vec![1] or extra @> doc returning id)
        .fetch_all(db)
        .await?;
    let _ = (rows, cities, riders, moved, gone);
    Ok(())
}

fn main() {
    let _ = run::<txova_db::postgres::Pool>;
}
