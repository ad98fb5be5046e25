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
    // A column inside a selected expression, neither grouped nor aggregated.
    let _ = select!(age + 1, count(*) from User group by age + 2);
    // The same inside `case`, in `order by` and in `having`.
    let _ = select!(count(*) from User group by age > 5 order by case when age > 1 then 1 else 0 end);
    let _ = select!(count(*) from User having age * 2 > 1);
    // An expression of a wrong type in `group by`.
    let _ = select!(count(*) from User group by age || "x");
}
