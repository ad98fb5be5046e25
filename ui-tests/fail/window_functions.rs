use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key)]
    pub id: i64,
    pub name: String,
    pub status: String,
    pub age: i32,
}

fn main() {
    // A window function in `where`, and in `group by`.
    let _ = select!(id from User where row_number() over (order by id) = 1);
    let _ = select!(status, count(*) from User group by status, rank() over (order by status));
    // A function that is not a window function, and one with a wrong number of arguments.
    let _ = select!(lower(name) over (order by id), lag() over (order by id) from User);
    // An offset that is not an `int4`, a default of another type than the value.
    let _ = select!(lag(name, 1i64) over (order by id), lead(age, 1, "none") over (order by id) from User);
    // A bucket count that is a column of another type than `int4`.
    let _ = select!(ntile(id) over (order by id) from User);
    // A column that is neither grouped nor aggregated, inside a window over groups.
    let _ = select!(status, rank() over (order by age) from User group by status);
    // `count(distinct ...)` over a window, and a `range` frame with an offset.
    let _ = select!(count(distinct age) over (), sum(age) over (order by age range between 1 preceding and current row) from User);
}
