use chrono::{DateTime, NaiveDateTime, Utc};
use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "events")]
struct Event {
    id: i64,
    at: DateTime<Utc>,
}

fn main() {
    let cutoff = NaiveDateTime::default();
    let _ = select!(id from Event where at > cutoff);
}
