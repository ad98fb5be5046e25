use txova_db::{Table, select, update};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key)]
    pub id: i64,
    pub name: String,
    pub age: i32,
    pub bio: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn main() {
    let (a, b) = ("x", "y");
    // `case` branches of different types.
    let _ = select!(id from User where case when bio is null then age else name end = 1);
    // A `case` whose branches are all Rust values, with nothing beside it to type them.
    let _ = select!(case when age > 1 then &a else &b end as label from User);
    // A `case` without `else`, which may be NULL, assigned to a non-null column.
    let _ = update!(User set name = case when age > 1 then User::name end where id = 1_i64);
    // A cast to a type the grammar does not know, and a cast PostgreSQL does not have.
    let _ = select!(cast(age as txt), cast(created_at as int4) from User);
    // `||` with a number.
    let _ = select!(name || age from User);
    // `nullif` over different types.
    let _ = select!(nullif(age, User::name) from User);
    // `like` on a number, and with a pattern that is not text.
    let _ = select!(id from User where length(name) like "1%" or lower(name) like 1);
    // `excluded` outside `on conflict do update`.
    let _ = update!(User set age = User::age + excluded.age where id = 1_i64);
    // `between` over an expression, with a bound of another type.
    let _ = select!(id from User where length(name) between "a" and 3);
}
