use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "shifts")]
pub struct Shift {
    #[column(primary_key)]
    pub id: i64,
    pub day: chrono::NaiveDate,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn main() {
    let ttl = txova_db::postgres::Interval::from_days(1);
    // Two timestamps or two dates added, a date multiplied.
    let _ = select!(created_at + created_at, day + day, day * 2 from Shift);
    // An interval value beside a date: a value beside a date is a number of days.
    let _ = select!(id from Shift where day + &ttl > Shift::day);
}
