use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key)]
    pub id: i64,
    pub name: String,
    pub bio: Option<String>,
    pub age: i32,
}

/// The CTE's columns.
#[derive(Table)]
#[table(name = "recent")]
pub struct Recent {
    pub id: i64,
    pub name: String,
}

/// A CTE's struct that names a schema.
#[derive(Table)]
#[table(name = "elsewhere", schema = "app")]
pub struct Elsewhere {
    pub id: i64,
}

fn main() {
    // An item of another type than its field.
    let _ = select!(with Recent as (select age as id, name from User) select name from Recent);
    // A nullable item for a field that is not an `Option`.
    let _ = select!(with Recent as (select id, bio as name from User) select name from Recent);
    // A column of the struct left out.
    let _ = select!(with Recent as (select id from User) select id from Recent);
    // A name the struct does not have.
    let _ = select!(with Recent as (select id, name, age from User) select id from Recent);
    // An expression without a name.
    let _ = select!(with Recent as (select id, upper(name) from User) select id from Recent);
    // A struct with a schema.
    let _ = select!(with Elsewhere as (select id from User) select id from Elsewhere);
    // No `select` after the CTEs.
    let _ = select!(with Recent as (select id, name from User) name from Recent);
    // A body that is not a `select` in parentheses.
    let _ = select!(with Recent as User select name from Recent);
}
