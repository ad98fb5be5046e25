use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key)]
    pub id: i64,
    pub name: String,
    pub status: String,
    pub age: i32,
    pub bio: Option<String>,
}

fn main() {
    // `sum` and `avg` of text expressions.
    let _ = select!(sum(lower(name)), avg(name || "x") from User);
    // An aggregate over an expression in `where`, and with two arguments.
    let _ = select!(id from User where sum(age * 2) > 1i64);
    let _ = select!(max(age, 1) from User);
    // `is null` on expressions that are never NULL.
    let _ = select!(id from User where lower(name) is null or age + 1 is not null);
    // A column inside a `case` condition, neither grouped nor aggregated.
    let _ = select!(status, case when lower(name) = "a" then 1 else 0 end from User group by status);
}
