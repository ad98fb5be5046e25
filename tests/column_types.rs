//! Column types beyond the basics: `numeric` as `Decimal` (with its aggregates), the `time`
//! crate, instants of any chrono time zone against `timestamptz`, integer row counts, text
//! bound to an enum column by the run-time builder, enum arrays in `verify_schema`, an
//! application error that aborts a transaction, and domains written as their base types.

use std::str::FromStr as _;

use chrono::{DateTime, FixedOffset, Local, TimeZone as _, Utc};
use rust_decimal::Decimal;
use time::macros::{date, datetime, offset, time};
use txova_db::postgres::{self, ColumnExt as _, Executor as _, with_tx};
use txova_db::testing::TestDatabase;
use txova_db::{Error, ErrorKind, PgEnum, Table, insert, select};

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "payments")]
struct Payment {
    #[column(primary_key)]
    id: i32,
    amount: Decimal,
    fee: Option<Decimal>,
    at: DateTime<Utc>,
}

const PAYMENTS: &str = "CREATE TABLE payments (
    id int4 PRIMARY KEY, amount numeric(12, 2) NOT NULL, fee numeric, at timestamptz NOT NULL
)";

#[tokio::test]
async fn numeric_is_decimal_with_typed_aggregates() {
    let db = TestDatabase::create("types_decimal").await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.batch_execute_for_test(PAYMENTS).await;
    assert!(
        postgres::verify_schema::<Payment>(&pool)
            .await
            .unwrap()
            .is_empty()
    );
    let at = Utc.with_ymd_and_hms(2024, 5, 6, 7, 8, 9).unwrap();
    let rows = [
        Payment {
            id: 1,
            amount: dec("10.10"),
            fee: Some(dec("0.000001")),
            at,
        },
        Payment {
            id: 2,
            amount: dec("20.25"),
            fee: None,
            at,
        },
        Payment {
            id: 3,
            amount: dec("99999999.99"),
            fee: None,
            at,
        },
    ];
    insert!(into Payment values &rows[0], &rows[1], &rows[2])
        .execute(&pool)
        .await
        .unwrap();
    let back = select!(Payment order by id).fetch_all(&pool).await.unwrap();
    assert_eq!(back, rows);

    // Comparison keeps every digit: no float on the way.
    let limit = dec("20.25");
    let ids: Vec<i32> = select!(id from Payment where amount >= limit order by id)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(ids, vec![2, 3]);

    // `sum(numeric)` and `avg(numeric)` read as `Decimal`, exactly.
    let (sum, avg): (Option<Decimal>, Option<Decimal>) =
        select!(sum(amount), avg(amount) from Payment where id < 3)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(sum, Some(dec("30.35")));
    assert_eq!(avg.map(|a| a.round_dp(3)), Some(dec("15.175")));
    let big = dec("100000000");
    let many: Vec<i32> = select!(id from Payment group by id having sum(amount) < big order by id)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(many, vec![1, 2, 3]);

    // The run-time builder binds a `Decimal` too.
    let n = postgres::select_table::<Payment>()
        .filter_by(Payment::amount.gt(dec("10.10")))
        .fetch_all_as::<Payment>(&pool)
        .await
        .unwrap();
    assert_eq!(n.len(), 2);
}

#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "shifts")]
struct Shift {
    #[column(primary_key)]
    id: i32,
    day: time::Date,
    starts: time::Time,
    local: time::PrimitiveDateTime,
    at: time::OffsetDateTime,
    ended: Option<time::OffsetDateTime>,
}

#[tokio::test]
async fn the_time_crate_round_trips_and_compares() {
    let db = TestDatabase::create("types_time").await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.batch_execute_for_test(
        "CREATE TABLE shifts (id int4 PRIMARY KEY, day date NOT NULL, starts time NOT NULL,
         local timestamp NOT NULL, at timestamptz NOT NULL, ended timestamptz)",
    )
    .await;
    assert!(
        postgres::verify_schema::<Shift>(&pool)
            .await
            .unwrap()
            .is_empty()
    );
    let a = Shift {
        id: 1,
        day: date!(2024 - 02 - 29),
        starts: time!(08:30:15.123456),
        local: datetime!(2024-02-29 08:30:15.5),
        at: datetime!(2024-02-29 08:30:15.5 UTC),
        ended: None,
    };
    let b = Shift {
        id: 2,
        day: date!(2024 - 03 - 01),
        starts: time!(22:00),
        local: datetime!(2024-03-01 22:00),
        // An instant in another offset is the same instant once read back in UTC.
        at: datetime!(2024-03-01 22:00 +02:00),
        ended: Some(datetime!(2024-03-02 06:00 UTC)),
    };
    insert!(into Shift values &a, &b)
        .execute(&pool)
        .await
        .unwrap();
    let back = select!(Shift order by id).fetch_all(&pool).await.unwrap();
    assert_eq!(back[0], a);
    assert_eq!(back[1].at, b.at);
    assert_eq!(back[1].at.offset(), offset!(UTC));
    assert_eq!(back[1].ended, b.ended);

    let day = date!(2024 - 03 - 01);
    let cutoff = datetime!(2024-03-01 21:00 +01:00);
    let noon = time!(12:00);
    let ids: Vec<i32> = select!(id from Shift where day >= day and at >= cutoff and starts > noon)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(ids, vec![2]);
    let latest: Option<time::OffsetDateTime> =
        select!(max(at) from Shift).fetch_one(&pool).await.unwrap();
    assert_eq!(latest, Some(b.at));
}

#[tokio::test]
async fn instants_of_any_chrono_time_zone_compare_with_timestamptz() {
    let db = TestDatabase::create("types_tz").await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.batch_execute_for_test(PAYMENTS).await;
    let at = Utc.with_ymd_and_hms(2024, 5, 6, 7, 8, 9).unwrap();
    let p = Payment {
        id: 1,
        amount: dec("1"),
        fee: None,
        at,
    };
    insert!(into Payment values &p)
        .execute(&pool)
        .await
        .unwrap();

    let maputo: DateTime<FixedOffset> = at.with_timezone(&FixedOffset::east_opt(7200).unwrap());
    let local: DateTime<Local> = at.with_timezone(&Local);
    let same: Vec<i32> = select!(id from Payment where at = maputo and at = local)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(same, vec![1]);
    let later = maputo + chrono::Duration::seconds(1);
    let before: i64 = select!(count(*) from Payment where at < later)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(before, 1);
    // In the run-time builder, and stored from another zone.
    let n = postgres::select_table::<Payment>()
        .filter_by(Payment::at.eq(local))
        .fetch_all_as::<Payment>(&pool)
        .await
        .unwrap();
    assert_eq!(n.len(), 1);
    let q = txova_db::update!(Payment set at = later where id = 1);
    assert_eq!(q.execute(&pool).await.unwrap(), 1);
    let moved: DateTime<Utc> = select!(at from Payment).fetch_one(&pool).await.unwrap();
    assert_eq!(moved, at + chrono::Duration::seconds(1));
}

#[derive(PgEnum, Debug, Clone, Copy, PartialEq)]
#[pg_enum(name = "ride_status")]
enum RideStatus {
    Requested,
    Active,
    Done,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "rides")]
struct Ride {
    #[column(primary_key)]
    id: i32,
    status: RideStatus,
    history: Vec<RideStatus>,
    previous: Option<Vec<RideStatus>>,
}

async fn rides(label: &str) -> (TestDatabase, postgres::Pool) {
    let db = TestDatabase::create(label).await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.batch_execute_for_test(
        "CREATE TYPE ride_status AS ENUM ('requested', 'active', 'done');
         CREATE TABLE rides (id int4 PRIMARY KEY, status ride_status NOT NULL,
                             history ride_status[] NOT NULL, previous ride_status[])",
    )
    .await;
    let rows: Vec<Ride> = (1..=30)
        .map(|id| Ride {
            id,
            status: if id % 3 == 0 {
                RideStatus::Active
            } else {
                RideStatus::Done
            },
            history: vec![RideStatus::Requested, RideStatus::Active],
            previous: (id == 1).then(|| vec![RideStatus::Done]),
        })
        .collect();
    for r in &rows {
        insert!(into Ride values r).execute(&pool).await.unwrap();
    }
    (db, pool)
}

#[derive(Table)]
#[table(name = "rides")]
#[allow(dead_code, reason = "only its description is used")]
struct WrongRide {
    id: i32,
    status: RideStatus,
    history: Vec<String>,
    previous: Option<Vec<RideStatus>>,
}

#[tokio::test]
async fn verify_schema_accepts_an_enum_array() {
    let (_db, pool) = rides("types_enum_array").await;
    let diffs = postgres::verify_schema::<Ride>(&pool).await.unwrap();
    assert!(diffs.is_empty(), "{diffs:?}");
    let one = select!(Ride where id = 1).fetch_one(&pool).await.unwrap();
    assert_eq!(one.previous, Some(vec![RideStatus::Done]));
    // A real mismatch is still reported: an enum array read as text.
    let diffs = postgres::verify_schema::<WrongRide>(&pool).await.unwrap();
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(diffs[0].to_string().contains("history"), "{}", diffs[0]);
}

#[tokio::test]
async fn the_builder_binds_text_to_an_enum_column_and_takes_any_integer_count() {
    let (_db, pool) = rides("types_enum_text").await;
    // The seed's own form, with `status` an enum.
    let active = postgres::select("rides")
        .columns(["id"])
        .filter("status = ?", "active")
        .order_by("id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(active.len(), 10);
    let wanted = String::from("done");
    let done = postgres::select("rides")
        .filter("status = ?", wanted)
        .filter("status <> ?", "requested")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(done.len(), 20);
    // A label the enum does not have is the server's error, not a wrong result.
    let err = postgres::select("rides")
        .filter("status = ?", "lost")
        .fetch_all(&pool)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Database, "{err}");

    // `limit` and `offset` take i32, u32, usize and i64 alike.
    let page: usize = 4;
    let rows = postgres::select_table::<Ride>()
        .order_by("id")
        .limit(page)
        .offset(2_u32)
        .fetch_all_as::<Ride>(&pool)
        .await
        .unwrap();
    assert_eq!(
        rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![3, 4, 5, 6]
    );
    let rows = postgres::select("rides")
        .limit(3_i32)
        .offset(1_i64)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    for bad in [
        postgres::select("rides").limit(-1_i32),
        postgres::select("rides").offset(u64::MAX),
        postgres::select("rides").limit(usize::MAX),
    ] {
        let err = bad.fetch_all(&pool).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert!(err.to_string().contains("out of range"), "{err}");
    }
}

#[derive(Debug)]
struct InsufficientBalance {
    missing: Decimal,
}

impl std::fmt::Display for InsufficientBalance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "insufficient balance: {} missing", self.missing)
    }
}

impl std::error::Error for InsufficientBalance {}

#[tokio::test]
async fn an_application_error_aborts_with_tx() {
    let db = TestDatabase::create("types_custom_error").await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.batch_execute_for_test(PAYMENTS).await;
    let at = Utc::now();
    let result: Result<(), Error> = with_tx(&pool, async |tx| {
        let p = Payment {
            id: 1,
            amount: dec("5.00"),
            fee: None,
            at,
        };
        insert!(into Payment values &p).execute(&*tx).await?;
        let total: Option<Decimal> = select!(sum(amount) from Payment).fetch_one(&*tx).await?;
        if total < Some(dec("10")) {
            return Err(Error::custom(InsufficientBalance {
                missing: dec("5.00"),
            }));
        }
        Ok(())
    })
    .await;
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Custom);
    let why = err.downcast_ref::<InsufficientBalance>().unwrap();
    assert_eq!(why.missing, dec("5.00"));
    // Transparent: the application's message, said once (it has no cause of its own).
    assert_eq!(err.to_string(), "insufficient balance: 5.00 missing");
    assert!(std::error::Error::source(&err).is_none());
    // Rolled back.
    let n: i64 = select!(count(*) from Payment)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0);

    // A boxed error converts with `?` too.
    let result: Result<(), Error> = with_tx(&pool, async |_tx| {
        let parsed: Result<i32, Box<dyn std::error::Error + Send + Sync>> =
            "x".parse::<i32>().map_err(Into::into);
        parsed?;
        Ok(())
    })
    .await;
    assert_eq!(result.unwrap_err().kind(), ErrorKind::Custom);
}

/// Runs a test's setup statements.
trait Setup {
    async fn batch_execute_for_test(&self, sql: &str);
}

impl Setup for postgres::Pool {
    async fn batch_execute_for_test(&self, sql: &str) {
        self.get().await.unwrap().batch_execute(sql).await.unwrap();
    }
}

#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "contacts")]
struct Contact {
    #[column(primary_key)]
    id: i32,
    email: String,
    backup: Option<String>,
    score: i64,
}

/// A column whose type is a domain over a built-in type reads and writes as that type, and
/// the domain's own check is the server's error, not an encoding one.
#[tokio::test]
async fn domain_columns_take_their_base_types_values() {
    let db = TestDatabase::create("types_domain").await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.batch_execute_for_test(
        "CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');
         CREATE DOMAIN backup_email AS email;
         CREATE DOMAIN points AS int8 CHECK (VALUE >= 0);
         CREATE TABLE contacts (id int4 PRIMARY KEY, email email NOT NULL,
                                backup backup_email, score points NOT NULL)",
    )
    .await;
    let ann = Contact {
        id: 1,
        email: "ann@example.com".to_owned(),
        backup: Some("a@b".to_owned()),
        score: 7,
    };
    insert!(into Contact values &ann)
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("a domain column takes its base type's value: {e}"));
    pool.execute(
        "INSERT INTO contacts VALUES ($1, $2, $3, $4)",
        &[&2_i32, &"bob@example.com", &None::<String>, &0_i64],
    )
    .await
    .unwrap();
    let found = select!(Contact where email = "ann@example.com" and score >= 1_i64)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(found, [ann]);
    assert!(
        postgres::verify_schema::<Contact>(&pool)
            .await
            .unwrap()
            .is_empty()
    );
    // The bulk paths send the base type's encoding too.
    let more: Vec<Contact> = (10..13)
        .map(|id| Contact {
            id,
            email: format!("c{id}@example.com"),
            backup: None,
            score: i64::from(id),
        })
        .collect();
    assert_eq!(
        postgres::copy_in::<Contact, _>(&pool, &more).await.unwrap(),
        3
    );
    let copied = select!(Contact where id >= 10_i32 order by id)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(copied, more);
    // Without prepared statements (a pooler in transaction mode) the server types them.
    let unnamed = postgres::Pool::new(postgres::Config {
        statement_mode: postgres::StatementMode::Unnamed,
        ..postgres::Config::new(db.url())
    })
    .await
    .unwrap();
    let dan = Contact {
        id: 20,
        email: "dan@example.com".to_owned(),
        backup: Some("d@e".to_owned()),
        score: 2,
    };
    insert!(into Contact values &dan)
        .execute(&unnamed)
        .await
        .unwrap();
    let found = select!(Contact where email = "dan@example.com" and score = 2_i64)
        .fetch_one(&unnamed)
        .await
        .unwrap();
    assert_eq!(found, dan);
    // The domain's check is the server's to make.
    let err = pool
        .execute(
            "INSERT INTO contacts VALUES ($1, $2, NULL, $3)",
            &[&3_i32, &"not an address", &1_i64],
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Check, "{err:?}");
    assert_eq!(err.code(), Some("23514"), "{err}");
}
