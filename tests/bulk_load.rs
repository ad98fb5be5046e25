//! Typed bulk loads: a multi-row insert of a run-time slice (chunked under the parameter
//! limit, all or nothing, with `returning`) and a binary COPY whose bad values are named by
//! row and column, with nothing written.

use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use txova_db::postgres::{Executor as _, Pool, copy_in, copy_in_stream, insert_rows, with_tx};
use txova_db::testing::TestDatabase;
use txova_db::{Error, ErrorKind, PgEnum, Table};

#[derive(PgEnum, Debug, Clone, Copy, PartialEq)]
#[pg_enum(name = "trip_kind")]
enum Kind {
    Ride,
    Delivery,
}

#[derive(Table, Debug, Clone, PartialEq)]
#[table(name = "trips")]
struct Trip {
    #[column(primary_key, default)]
    id: i64,
    code: String,
    km: f64,
    note: Option<String>,
    kind: Kind,
    at: DateTime<Utc>,
}

const DDL: &str = "
CREATE TYPE trip_kind AS ENUM ('ride', 'delivery');
CREATE TABLE trips (
    id bigserial PRIMARY KEY, code varchar(8) NOT NULL UNIQUE, km float8 NOT NULL,
    note text, kind trip_kind NOT NULL, at timestamptz NOT NULL
)";

fn trip(n: u32) -> Trip {
    Trip {
        id: 0,
        code: format!("t{n}"),
        km: f64::from(n) / 2.0,
        note: n.is_multiple_of(2).then(|| format!("note {n}")),
        kind: if n.is_multiple_of(3) {
            Kind::Delivery
        } else {
            Kind::Ride
        },
        at: Utc.timestamp_opt(1_700_000_000 + i64::from(n), 0).unwrap(),
    }
}

async fn setup(label: &str) -> (TestDatabase, Pool) {
    let db = TestDatabase::create(label).await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.get().await.unwrap().batch_execute(DDL).await.unwrap();
    (db, pool)
}

async fn count(pool: &Pool) -> i64 {
    pool.query_one("SELECT count(*) FROM trips", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_run_time_slice_is_inserted_in_chunks_under_the_parameter_limit() {
    let (_db, pool) = setup("bulk_insert_rows").await;
    // 5 values a row: 20 000 rows are 100 000 values, more than one statement may bind.
    let rows: Vec<Trip> = (0..20_000).map(trip).collect();
    assert_eq!(insert_rows(&rows).execute(&pool).await.unwrap(), 20_000);
    assert_eq!(count(&pool).await, 20_000);
    let sum: f64 = pool
        .query_one("SELECT sum(km) FROM trips", &[])
        .await
        .unwrap()
        .get(0);
    assert!((sum - rows.iter().map(|t| t.km).sum::<f64>()).abs() < 1e-6);

    // `returning` gives one value a row, in the rows' order.
    let more: Vec<Trip> = (20_000..20_003).map(trip).collect();
    let ids = insert_rows(&more).returning(&pool, Trip::id).await.unwrap();
    assert_eq!(ids.len(), 3);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let last: Vec<Trip> = (20_003..20_005).map(trip).collect();
    let written = insert_rows(&last).returning_rows(&pool).await.unwrap();
    assert_eq!(written.len(), 2);
    assert_eq!(written[1].code, "t20004");
    assert_eq!(written[1].note, Some("note 20004".to_owned()));
    assert!(written[1].id > ids[2]);
    assert_eq!(insert_rows::<Trip>(&[]).execute(&pool).await.unwrap(), 0);
}

#[tokio::test]
async fn a_failing_chunk_leaves_nothing_written() {
    let (_db, pool) = setup("bulk_insert_atomic").await;
    let mut rows: Vec<Trip> = (0..20_000).map(trip).collect();
    // A duplicate in the last chunk, after earlier chunks succeeded.
    rows[19_999].code = "t0".to_owned();
    let err = insert_rows(&rows).execute(&pool).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Duplicate, "{err}");
    assert_eq!(count(&pool).await, 0);
}

#[tokio::test]
async fn copy_in_loads_typed_rows() {
    let (_db, pool) = setup("bulk_copy").await;
    let written = copy_in::<Trip, _>(&pool, (0..10_000).map(trip))
        .await
        .unwrap();
    assert_eq!(written, 10_000);
    let rows = txova_db::select!(Trip order by id)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(rows.len(), 10_000);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(Trip { id: 0, ..r.clone() }, trip(u32::try_from(i).unwrap()));
    }
    // Borrowed rows, in the caller's transaction: rolled back with it.
    let extra: Vec<Trip> = (10_000..10_010).map(trip).collect();
    let result: Result<(), Error> = with_tx(&pool, async |tx| {
        assert_eq!(copy_in::<Trip, _>(&mut *tx, &extra).await?, 10);
        let n: i64 = tx
            .query_one("SELECT count(*) FROM trips", &[])
            .await?
            .get(0);
        assert_eq!(n, 10_010);
        Err(Error::custom("changed my mind"))
    })
    .await;
    assert_eq!(result.unwrap_err().kind(), ErrorKind::Custom);
    assert_eq!(count(&pool).await, 10_000);
}

/// A struct that disagrees with the table: `km` as text, `note` required by the database.
#[derive(Table, Debug, Clone)]
#[table(name = "trips")]
struct LooseTrip {
    code: String,
    km: String,
    note: Option<String>,
    kind: Kind,
    at: DateTime<Utc>,
}

fn loose(n: u32) -> LooseTrip {
    let t = trip(n);
    LooseTrip {
        code: t.code,
        km: "1.5".to_owned(),
        note: t.note,
        kind: t.kind,
        at: t.at,
    }
}

#[tokio::test]
async fn bad_values_are_named_by_row_and_column_and_nothing_is_written() {
    let (_db, pool) = setup("bulk_copy_bad").await;

    // A value too long for `varchar(8)`, in row 3.
    let rows: Vec<Trip> = (0..6)
        .map(|n| {
            let mut t = trip(n);
            if n == 3 {
                t.code = "much too long".to_owned();
            }
            t
        })
        .collect();
    let err = copy_in::<Trip, _>(&pool, &rows).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(err.column(), Some("code"));
    let msg = err.to_string();
    assert!(
        msg.contains("row 3") && msg.contains("`code`") && msg.contains("too long"),
        "{msg}"
    );
    assert_eq!(count(&pool).await, 0);

    // A NULL in a NOT NULL column, in row 1.
    pool.get()
        .await
        .unwrap()
        .batch_execute("ALTER TABLE trips ALTER COLUMN note SET NOT NULL")
        .await
        .unwrap();
    let err = copy_in::<Trip, _>(&pool, (2..5).map(trip))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotNull, "{err}");
    assert_eq!(err.column(), Some("note"));
    assert!(err.to_string().contains("row 1"), "{err}");
    assert_eq!(count(&pool).await, 0);

    // A value of the wrong type: text for a float8 column, found in row 0.
    let err = copy_in::<LooseTrip, _>(&pool, (0..3).map(|n| loose(n * 2)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Encode, "{err}");
    assert_eq!(err.column(), Some("km"));
    assert!(err.to_string().contains("row 0"), "{err}");
    assert_eq!(count(&pool).await, 0);

    // Many rows before the bad one: chunks already sent are not kept either.
    let many = (0..50_000).map(|n| {
        let mut t = trip(n * 2);
        if n == 49_999 {
            t.note = None;
        }
        t
    });
    let err = copy_in::<Trip, _>(&pool, many).await.unwrap_err();
    assert!(err.to_string().contains("row 49999"), "{err}");
    assert_eq!(count(&pool).await, 0);
    // The pool is usable afterwards.
    assert_eq!(copy_in::<Trip, _>(&pool, [trip(0)]).await.unwrap(), 1);
}

#[tokio::test]
async fn a_copy_waiting_on_a_lock_ends_at_the_query_deadline_and_writes_nothing() {
    let (_db, pool) = setup("bulk_copy_deadline").await;
    // Another transaction holds a lock that a COPY waits on (SELECTs still pass).
    let mut holder = pool.get().await.unwrap();
    let tx = holder.begin().await.unwrap();
    tx.execute("LOCK TABLE trips IN SHARE MODE", &[])
        .await
        .unwrap();

    let hurried = pool.with_query_timeout(Some(Duration::from_millis(300)));
    let copy = copy_in::<Trip, _>(&hurried, (0..10).map(trip));
    let err = tokio::time::timeout(Duration::from_secs(30), copy)
        .await
        .expect("the COPY waited past its query deadline")
        .unwrap_err();
    assert_eq!(err.timeout_kind(), Some(txova_db::Timeout::Query), "{err}");

    // The COPY was cancelled on the server: nothing waits on the lock any more.
    let mut waiting = -1_i64;
    for _ in 0..100 {
        waiting = tx
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE relation = 'trips'::regclass AND NOT granted",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if waiting == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(waiting, 0, "the COPY still waits on the server");
    tx.rollback().await.unwrap();
    assert_eq!(count(&pool).await, 0);
}

#[tokio::test]
async fn copy_in_stream_loads_the_rows_a_stream_yields() {
    let (_db, pool) = setup("bulk_copy_stream").await;
    // Rows produced asynchronously, one at a time: several chunks' worth.
    let rows = futures_util::stream::unfold(0_u32, async |n| {
        if n == 30_000 {
            return None;
        }
        if n.is_multiple_of(1000) {
            tokio::task::yield_now().await;
        }
        Some((Ok::<_, std::io::Error>(trip(n)), n + 1))
    });
    let written = copy_in_stream::<Trip, _>(&pool, rows).await.unwrap();
    assert_eq!(written, 30_000);
    let rows = txova_db::select!(Trip order by id)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(rows.len(), 30_000);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(Trip { id: 0, ..r.clone() }, trip(u32::try_from(i).unwrap()));
    }
}

#[tokio::test]
async fn a_stream_that_fails_midway_leaves_nothing_written_and_names_the_row() {
    let (_db, pool) = setup("bulk_copy_stream_fail").await;
    // The failure comes after several chunks have reached the server.
    let rows = futures_util::stream::iter((0..30_000).map(|n| {
        if n == 20_000 {
            Err(std::io::Error::other("the upload was cut"))
        } else {
            Ok(trip(n))
        }
    }));
    let err = copy_in_stream::<Trip, _>(&pool, rows).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(
        err.to_string(),
        "copy into `trips`: row 20000: the rows' stream failed"
    );
    assert_eq!(
        err.downcast_ref::<std::io::Error>().unwrap().to_string(),
        "the upload was cut"
    );
    assert_eq!(count(&pool).await, 0);

    // A txova-db error from the stream keeps its kind: here the rows come from a query that
    // fails on its fourth row.
    let source = pool
        .query_stream("SELECT g, 10 / (3 - g) FROM generate_series(0, 5) g", &[])
        .await
        .unwrap();
    let rows = futures_util::TryStreamExt::map_ok(source, |r| {
        trip(u32::try_from(r.get::<_, i32>(0)).unwrap())
    });
    let err = copy_in_stream::<Trip, _>(&pool, rows).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Database, "{err}");
    assert_eq!(err.code(), Some("22012"), "{err}");
    assert!(
        err.to_string()
            .starts_with("copy into `trips`: row 3: the rows' stream failed: "),
        "{err}"
    );
    assert_eq!(count(&pool).await, 0);

    // In the caller's transaction, a failed stream rolls back only its own savepoint.
    let done: Result<u64, Error> = with_tx(&pool, async |tx| {
        copy_in::<Trip, _>(&mut *tx, (0..5).map(trip)).await?;
        let bad = futures_util::stream::iter([Ok(trip(10)), Err(Error::custom("no more rows"))]);
        let err = copy_in_stream::<Trip, _>(&mut *tx, bad).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "copy into `trips`: row 1: the rows' stream failed"
        );
        let cause = std::error::Error::source(&err).unwrap().to_string();
        assert_eq!(cause, "no more rows");
        let n: i64 = tx
            .query_one("SELECT count(*) FROM trips", &[])
            .await?
            .get(0);
        Ok(u64::try_from(n).unwrap())
    })
    .await;
    assert_eq!(done.unwrap(), 5);
    assert_eq!(count(&pool).await, 5);
}

/// A struct whose every field is left to the database.
#[derive(Table, Debug, Clone)]
#[allow(dead_code, reason = "only inserted, never read")]
#[table(name = "trips")]
struct Defaults {
    #[column(primary_key, default)]
    id: i64,
}

/// A struct that reads `id` as text, which the `bigserial` column is not.
#[derive(Table, Debug, Clone)]
#[allow(dead_code, reason = "only inserted, never read")]
#[table(name = "trips")]
struct TextId {
    #[column(primary_key, default)]
    id: String,
    code: String,
    km: f64,
    kind: Kind,
    at: DateTime<Utc>,
}

#[tokio::test]
async fn insert_rows_refuses_what_it_cannot_write_or_read_back() {
    let (_db, pool) = setup("bulk_insert_refusals").await;
    let rows = [trip(1), trip(2)];
    assert_eq!(
        format!("{:?}", insert_rows(&rows)),
        "InsertRows { rows: 2 }"
    );
    // Nothing to insert: nothing is sent, nothing comes back.
    let none = insert_rows::<Trip>(&[])
        .returning(&pool, Trip::id)
        .await
        .unwrap();
    assert!(none.is_empty());
    let err = insert_rows(&[Defaults { id: 0 }])
        .execute(&pool)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.to_string().contains("has no column to insert"), "{err}");
    // The returned column does not read as the struct says: a decode error, and the rows are
    // not kept, as the insert and its reading are one transaction.
    let text_id = TextId {
        id: String::new(),
        code: "t9".to_owned(),
        km: 1.0,
        kind: Kind::Ride,
        at: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
    };
    let err = insert_rows(&[text_id])
        .returning(&pool, TextId::id)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    assert_eq!(err.to_string(), "column `id` could not be read");
    assert_eq!(count(&pool).await, 0);
}
