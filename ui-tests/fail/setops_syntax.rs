use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    #[column(primary_key)]
    pub id: i64,
    pub name: String,
}

fn main() {
    // A branch other than the last ordered or limited outside parentheses.
    let _ = select!(id from User order by id limit 1 union select id from User);
    // No `select` after `union`.
    let _ = select!(id from User union id from User);
    // Clauses after the whole result's `limit`.
    let _ = select!(id from User union select id from User limit 1 where id = 1);
    // A compound subquery.
    let _ = select!(id from User where id in (select id from User union select id from User));
}
