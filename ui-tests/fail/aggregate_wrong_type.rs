use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    pub id: i64,
    pub name: String,
    pub age: i32,
}

#[derive(txova_db::FromRow)]
pub struct Total {
    pub total: Option<i64>,
}

fn main() {
    // `sum` and `avg` need a number.
    let _ = select!(sum(name) from User);
    let _ = select!(avg(name) from User group by age);
    // Also in `having`, and read into a struct.
    let _ = select!(age, sum(name) from User group by age having sum(name) > 3_i64);
    let _ = select!(Total { sum(name) as total } from User);
    // `min` and `max` take any ordered type, text included.
    let _ = select!(min(name), max(name) from User);
}
