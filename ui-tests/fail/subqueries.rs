use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key)]
    pub id: i64,
    pub name: String,
}

#[derive(Table)]
#[table(name = "posts")]
pub struct Post {
    #[column(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub title: String,
}

fn main() {
    // A subquery of another type than the column.
    let _ = select!(name from User where id in (select title from Post));
    // A subquery of two columns.
    let _ = select!(name from User where id in (select user_id, title from Post));
    // A value of the wrong type inside a subquery, and a column the subquery's table lacks.
    let _ = select!(name from User where exists (select id from Post where title = 1 and nme = "x"));
    // A subquery without `select`.
    let _ = select!(name from User where exists (id from Post));
    // A subquery used as a value, of two columns.
    let _ = select!(name, (select id, title from Post) as x from User);
}
