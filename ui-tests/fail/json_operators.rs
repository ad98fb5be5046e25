use txova_db::postgres::Json;
use txova_db::{Table, select, update};

#[derive(serde::Serialize, serde::Deserialize, Debug)]
pub struct Prefs {
    pub theme: String,
}

#[derive(Table)]
#[table(name = "rides")]
pub struct Ride {
    #[column(primary_key)]
    pub id: i64,
    pub city: String,
    pub data: serde_json::Value,
    pub prefs: Json<Prefs>,
}

fn main() {
    // `->>` on a text column.
    let _ = select!(city ->> "name" from Ride);
    // A key that is not text.
    let n = 3_i64;
    let _ = select!(data ->> n from Ride);
    // `?` tests a key, never an index.
    let _ = select!(id from Ride where data ? 0);
    // A document that is not JSON.
    let _ = select!(id from Ride where prefs @> "dark");
    // A path that is not an array of text.
    let path = "a.b";
    let _ = select!(data #>> path from Ride);
    // The keys of `?|` are an array of text, not one key.
    let _ = select!(id from Ride where data ?| "vip");
    // The text of a field is nullable: a non-null column cannot take it.
    let _ = update!(Ride set city = Ride::data ->> "city" where id = 1);
}
