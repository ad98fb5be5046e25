use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key)]
    pub id: i64,
    pub age: i32,
}

fn main() {
    // A table in `group by`.
    let _ = select!(count(*) from User group by User);
    // An aggregate in `group by`.
    let _ = select!(count(*) from User group by max(age));
    // An expression of a wrong type in `group by`.
    let _ = select!(count(*) from User group by age || "x");
}
