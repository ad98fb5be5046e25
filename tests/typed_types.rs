//! Every supported field type round-trips through `insert!` and `select!`, and a value the
//! program cannot read is an error, never a panic.

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use serde::{Deserialize, Serialize};
use txova_db::postgres::Json;
use txova_db::testing::TestDatabase;
use txova_db::{ErrorKind, PgEnum, Table, insert, select};
use uuid::Uuid;

#[derive(PgEnum, Debug, Clone, Copy, PartialEq)]
#[pg_enum(name = "account_state")]
enum State {
    Active,
    #[pg_enum(rename = "on_hold")]
    Paused,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Prefs {
    theme: String,
    size: u32,
}

// `Json<T>` has no `PartialEq`, so rows are compared by their `Debug` text.
#[derive(Table, Debug, Clone)]
#[table(name = "accounts")]
struct Account {
    #[column(primary_key)]
    id: Uuid,
    flag: bool,
    small: i16,
    int: i32,
    big: i64,
    real: f32,
    double: f64,
    name: String,
    bytes: Vec<u8>,
    note: Option<String>,
    at: DateTime<Utc>,
    day: NaiveDate,
    doc: serde_json::Value,
    prefs: Json<Prefs>,
    tags: Vec<String>,
    state: State,
    #[column(name = "order")]
    position: i32,
}

const DDL: &str = r#"
CREATE TYPE account_state AS ENUM ('active', 'on_hold', 'closed');
CREATE TABLE accounts (
    id uuid PRIMARY KEY, flag bool NOT NULL, small int2 NOT NULL, int int4 NOT NULL,
    big int8 NOT NULL, real float4 NOT NULL, double float8 NOT NULL, name text NOT NULL,
    bytes bytea NOT NULL, note text, at timestamptz NOT NULL, day date NOT NULL,
    doc jsonb NOT NULL, prefs jsonb NOT NULL, tags text[] NOT NULL,
    state account_state NOT NULL, "order" int4 NOT NULL
);
"#;

fn account(n: u8, state: State) -> Account {
    Account {
        id: Uuid::from_bytes([n; 16]),
        flag: n.is_multiple_of(2),
        small: i16::from(n),
        int: -i32::from(n),
        big: i64::MAX - i64::from(n),
        real: 1.5,
        double: -2.25,
        name: format!("account {n}"),
        bytes: vec![0, n, 255],
        note: (n == 1).then(|| "first".to_owned()),
        at: Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap(),
        day: NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(),
        doc: serde_json::json!({"a": [1, 2, n]}),
        prefs: Json(Prefs {
            theme: "dark".to_owned(),
            size: u32::from(n),
        }),
        tags: vec!["x".to_owned(), format!("t{n}")],
        state,
        position: i32::from(n) * 10,
    }
}

#[tokio::test]
async fn every_field_type_round_trips() {
    let db = TestDatabase::create("typed_types").await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.get().await.unwrap().batch_execute(DDL).await.unwrap();
    // Enums, json, arrays and dates are recognised in the catalog too.
    let diffs = txova_db::postgres::verify_schema::<Account>(&pool)
        .await
        .unwrap();
    assert!(diffs.is_empty(), "{diffs:?}");
    let a = account(1, State::Active);
    let b = account(2, State::Paused);
    insert!(into Account values &a, &b)
        .execute(&pool)
        .await
        .unwrap();

    let rows = select!(Account order by position)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        format!("{rows:?}"),
        format!("{:?}", vec![a.clone(), b.clone()])
    );

    let paused: Vec<Uuid> = select!(id from Account where state = State::Paused)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(paused, vec![b.id]);
    let by_uuid: i32 = select!(position from Account where id = a.id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(by_uuid, 10);
    let tagged: Vec<String> =
        select!(name from Account where tags = vec!["x".to_owned(), "t2".to_owned()])
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(tagged, vec!["account 2".to_owned()]);
    let recent: i64 = select!(count(*) from Account where at >= a.at and day = a.day)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(recent, 2);
}

#[tokio::test]
async fn a_value_the_program_cannot_read_is_a_decode_error() {
    let db = TestDatabase::create("typed_types_decode").await.unwrap();
    let pool = db.pool().await.unwrap();
    let conn = pool.get().await.unwrap();
    conn.batch_execute(DDL).await.unwrap();
    let a = account(3, State::Active);
    insert!(into Account values &a)
        .execute(&pool)
        .await
        .unwrap();
    // A label added on the server that this program's enum does not know.
    conn.batch_execute("UPDATE accounts SET state = 'closed'")
        .await
        .unwrap();
    let err = select!(Account).fetch_one(&pool).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.to_string().contains("column `state`"), "{err}");
    assert!(err.to_string().contains("`closed` is not a label"), "{err}");

    // A NULL in a column the struct says is never NULL.
    conn.batch_execute(
        "ALTER TABLE accounts ALTER COLUMN name DROP NOT NULL; UPDATE accounts SET name = NULL",
    )
    .await
    .unwrap();
    let err = select!(name from Account)
        .fetch_one(&pool)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.to_string().contains("column `name`"), "{err}");
}

/// A type of the user's own, stored as `text` through tokio-postgres's traits.
#[derive(Debug, Clone, PartialEq)]
struct Email(String);

impl tokio_postgres::types::ToSql for Email {
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut tokio_postgres::types::private::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        self.0.to_sql(ty, out)
    }

    fn accepts(ty: &tokio_postgres::types::Type) -> bool {
        <String as tokio_postgres::types::ToSql>::accepts(ty)
    }

    tokio_postgres::types::to_sql_checked!();
}

impl<'a> tokio_postgres::types::FromSql<'a> for Email {
    fn from_sql(
        ty: &tokio_postgres::types::Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        String::from_sql(ty, raw).map(Email)
    }

    fn accepts(ty: &tokio_postgres::types::Type) -> bool {
        <String as tokio_postgres::types::FromSql>::accepts(ty)
    }
}

#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "contacts")]
struct Contact {
    #[column(primary_key)]
    id: i32,
    email: Email,
    backup: Option<Email>,
}

#[tokio::test]
async fn a_user_type_with_the_drivers_traits_is_a_column_type() {
    let db = TestDatabase::create("typed_user_type").await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE contacts (id int4 PRIMARY KEY, email text NOT NULL, backup text)",
        )
        .await
        .unwrap();
    let ann = Contact {
        id: 1,
        email: Email("ann@x".into()),
        backup: Some(Email("a2@x".into())),
    };
    insert!(into Contact values &ann)
        .execute(&pool)
        .await
        .unwrap();
    let wanted = Email("ann@x".into());
    let got = select!(Contact where email = wanted)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(got, ann);
}
