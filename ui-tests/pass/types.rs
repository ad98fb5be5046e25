//! Every supported field type can be a column and be compared.
#![deny(warnings)]

use txova_db::postgres::{Executor, Json};
use txova_db::{PgEnum, Table, select};

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Prefs {
    pub theme: String,
}

#[derive(PgEnum, Debug, Clone, Copy)]
#[pg_enum(name = "mood")]
pub enum Mood {
    Happy,
    #[pg_enum(rename = "meh")]
    Neutral,
}

#[derive(Table, Debug)]
pub struct Everything {
    pub mood: Mood,
    pub flag: bool,
    pub small: i16,
    pub int: i32,
    pub big: i64,
    pub real: f32,
    pub double: f64,
    pub text: String,
    pub bytes: Vec<u8>,
    pub maybe: Option<i32>,
    pub id: uuid::Uuid,
    pub at: chrono::DateTime<chrono::Utc>,
    pub day: chrono::NaiveDate,
    pub doc: serde_json::Value,
    pub prefs: Json<Prefs>,
    pub list: Vec<i64>,
    pub r#type: String,
}

async fn run<E: Executor>(db: &E) -> txova_db::Result<()> {
    let id = uuid::Uuid::nil();
    let at = chrono::Utc::now();
    let rows: Vec<Everything> = select!(Everything where id = id and at < at and flag = true
        and r#type = "x" and mood = Mood::Neutral and bytes = vec![1_u8] and maybe = 3)
    .fetch_all(db)
    .await?;
    let _ = rows;
    Ok(())
}

fn main() {
    assert_eq!(
        select!(r#type from Everything).sql(),
        // `type` is not reserved in PostgreSQL, so it is not quoted.
        "SELECT type FROM everything"
    );
    let _ = run::<txova_db::postgres::Pool>;
}
