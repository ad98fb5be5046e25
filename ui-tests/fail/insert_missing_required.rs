use txova_db::{Table, insert};

#[derive(Table)]
#[table(name = "rides")]
pub struct Ride {
    #[column(primary_key, default)]
    pub id: i64,
    pub rider_id: i64,
    pub status: String,
    pub pickup: String,
    pub fare: i32,
    pub note: Option<String>,
}

fn main() {
    let uid = 1_i64;
    let s = "requested";
    let _ = insert!(into Ride set rider_id = uid, status = s);
    let _ = insert!(into Ride (rider_id, status, pickup) values (uid, s, "here"));
}
