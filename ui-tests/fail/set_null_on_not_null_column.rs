use txova_db::{Table, update};

#[derive(Table)]
#[table(name = "rides")]
pub struct Ride {
    #[column(primary_key)]
    pub id: i64,
    pub pickup: String,
}

fn main() {
    let _ = update!(Ride set pickup = None where id = 1_i64);
}
