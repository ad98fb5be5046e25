use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "rides")]
pub struct Ride {
    #[column(primary_key)]
    pub id: i64,
    pub name: String,
    pub tags: Vec<String>,
    pub stops: Option<Vec<i32>>,
}

fn main() {
    // An array of another element type given to `any`.
    let names = vec!["a".to_owned()];
    let _ = select!(name from Ride where id = any(names));
    // `any` over an array column of another element type.
    let _ = select!(name from Ride where id = any(Ride::tags));
    // `any` away from a comparison.
    let _ = select!(any(tags) from Ride);
    // Containment and overlap between arrays of different element types.
    let _ = select!(name from Ride where tags @> Ride::stops);
    let ids = vec![1_i64];
    let _ = select!(name from Ride where tags && ids);
    // `&&` written for `and`.
    let _ = select!(name from Ride where name && Ride::tags);
    // `cardinality` of text, `array_length` without its dimension.
    let _ = select!(cardinality(name), array_length(tags) from Ride);
}
