use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "users")]
pub struct User {
    pub id: i64,
    pub name: String,
    pub phone: String,
    pub email: String,
}

pub struct NamePhone {
    pub name: String,
    pub phone: String,
}

pub struct Counted {
    pub name: String,
    pub n: i64,
}

fn main() {
    // A field with no selected column.
    let _ = select!(NamePhone { phone } from User);
    // A column with no field.
    let _ = select!(NamePhone { phone, name, email } from User);
    // An aggregate needs the name of the field it fills.
    let _ = select!(Counted { name, count(*) } from User group by name);
    // A field filled twice.
    let _ = select!(NamePhone { phone, name, email as name } from User);
}
