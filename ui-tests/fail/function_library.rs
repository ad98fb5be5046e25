use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key)]
    pub id: i64,
    pub name: String,
    pub age: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn main() {
    // `string_agg` of a number, `bool_and` of a number.
    let _ = select!(string_agg(age, ","), bool_and(age) from User);
    // `date_trunc` of text, `extract` of a field that does not exist and from text.
    let _ = select!(date_trunc("day", name), extract(yaer from created_at), extract(year from name) from User);
    // A timestamp plus a number, a timestamp times an interval.
    let _ = select!(id from User where created_at + 1 > now() and created_at * User::age > now());
    // A column selected beside an aggregate of the library, without `group by`.
    let _ = select!(name, string_agg(name, ",") from User);
    // An aggregate of the library in `where`.
    let _ = select!(id from User where string_agg(name, ",") = "a");
    // `==` inside an expression.
    let _ = select!(bool_or(age == 1) from User);
}
