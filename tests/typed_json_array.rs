//! The jsonb operators (`->`, `->>`, `#>`, `#>>`, `?`, `@>`, `<@`) on `serde_json::Value` and
//! `Json<T>` columns, and the array ones (`= any(...)`, `<> all(...)`, `@>`, `<@`, `&&`,
//! `cardinality`, `array_length`) on `Vec<T>` columns and values, in every statement. Each
//! statement's SQL is checked, and its rows are compared with the same hand-written SQL's.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use txova_db::postgres::{Executor as _, Json, Pool};
use txova_db::testing::TestDatabase;
use txova_db::{Table, delete, insert, select, update};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Prefs {
    theme: String,
    seats: u32,
}

#[derive(Table, Debug, Clone)]
#[table(name = "rides")]
struct Ride {
    #[column(primary_key)]
    id: i64,
    rider: String,
    zone: i32,
    data: Value,
    extra: Option<Value>,
    prefs: Json<Prefs>,
    tags: Vec<String>,
    stops: Option<Vec<i32>>,
}

const DDL: &str = "CREATE TABLE rides (
    id int8 PRIMARY KEY, rider text NOT NULL, zone int4 NOT NULL, data jsonb NOT NULL,
    extra jsonb, prefs jsonb NOT NULL, tags text[] NOT NULL, stops int4[]
);";

fn ride(id: i64, rider: &str, zone: i32, data: Value, extra: Option<Value>) -> Ride {
    Ride {
        id,
        rider: rider.to_owned(),
        zone,
        data,
        extra,
        prefs: Json(Prefs {
            theme: if id == 1 { "dark" } else { "light" }.to_owned(),
            seats: u32::try_from(id).unwrap_or(0),
        }),
        tags: Vec::new(),
        stops: None,
    }
}

/// Ann (Maputo, a vip, to the airport at night, stops 1 2 3), Bob (Beira, at night, a promo,
/// no stops), Cid (Maputo, no tags, no stops, a promo that is JSON null).
async fn seeded(name: &str) -> (TestDatabase, Pool) {
    let db = TestDatabase::create(name).await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.get().await.unwrap().batch_execute(DDL).await.unwrap();
    let mut ann = ride(
        1,
        "Ann",
        2,
        json!({"city": "Maputo", "fare": 120, "vip": true, "route": ["a", "b"],
               "address": {"zip": "1100"}}),
        None,
    );
    ann.tags = vec!["airport".to_owned(), "night".to_owned()];
    ann.stops = Some(vec![1, 2, 3]);
    let mut bob = ride(
        2,
        "Bob",
        5,
        json!({"city": "Beira", "fare": 80, "route": ["c"]}),
        Some(json!({"promo": "X"})),
    );
    bob.tags = vec!["night".to_owned()];
    let mut cid = ride(
        3,
        "Cid",
        0,
        json!({"city": "Maputo", "fare": 60}),
        Some(json!({"promo": null})),
    );
    cid.stops = Some(Vec::new());
    insert!(into Ride values &ann, &bob, &cid)
        .execute(&pool)
        .await
        .unwrap();
    (db, pool)
}

/// Runs hand-written SQL and reads each row with `f`.
async fn rows<T>(pool: &Pool, sql: &str, f: impl Fn(&tokio_postgres::Row) -> T) -> Vec<T> {
    pool.query(sql, &[]).await.unwrap().iter().map(f).collect()
}

type Fields = (
    String,
    Option<String>,
    Option<Value>,
    Option<String>,
    Option<String>,
    Option<String>,
);

#[tokio::test]
async fn json_fields_and_paths_read_typed_values() {
    let (_db, pool) = seeded("typed_json_fields").await;
    let city = "Maputo";
    let path = vec!["address", "zip"];
    let q = select!(rider, data ->> "city", data -> "fare", data -> "route" ->> 0,
        data #>> path, extra ->> "promo" from Ride where data ->> "city" = city order by rider);
    assert_eq!(
        q.sql(),
        "SELECT rider, (data ->> $1), (data -> $2), (data -> $3 ->> $4::int4), (data #>> $5), \
         (extra ->> $6) FROM rides WHERE (data ->> $7) = $8 ORDER BY rider"
    );
    let got: Vec<Fields> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "SELECT rider, data ->> 'city', data -> 'fare', data -> 'route' ->> 0, \
         data #>> '{address,zip}', extra ->> 'promo' FROM rides \
         WHERE data ->> 'city' = 'Maputo' ORDER BY rider",
        |r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)),
    )
    .await;
    assert_eq!(got, want);
    assert_eq!(
        got,
        [
            (
                "Ann".to_owned(),
                Some("Maputo".to_owned()),
                Some(json!(120)),
                Some("a".to_owned()),
                Some("1100".to_owned()),
                None
            ),
            // A key whose value is JSON null reads as NULL with `->>`.
            (
                "Cid".to_owned(),
                Some("Maputo".to_owned()),
                Some(json!(60)),
                None,
                None,
                None
            ),
        ]
    );
    // A key in a variable, an index in a cast, and `#>` giving jsonb.
    let key = String::from("route");
    let i = 1;
    let address = vec!["address"];
    let q = select!(rider, data -> key ->> cast(i as int4), data #> address
        from Ride where Ride::id = 1);
    let got: (String, Option<String>, Option<Value>) = q.fetch_one(&pool).await.unwrap();
    assert_eq!(
        got,
        (
            "Ann".to_owned(),
            Some("b".to_owned()),
            Some(json!({"zip": "1100"}))
        )
    );
}

#[tokio::test]
async fn json_tests_stand_alone_as_conditions_and_read_as_booleans() {
    let (_db, pool) = seeded("typed_json_tests").await;
    let filter = json!({"city": "Maputo"});
    let q = select!(rider from Ride where data @> filter and not data ? "vip" order by rider);
    assert_eq!(
        q.sql(),
        "SELECT rider FROM rides WHERE (data @> $1) AND NOT (data ? $2) ORDER BY rider"
    );
    let got: Vec<String> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "SELECT rider FROM rides WHERE data @> '{\"city\": \"Maputo\"}' AND NOT data ? 'vip' \
         ORDER BY rider",
        |r| r.get::<_, String>(0),
    )
    .await;
    assert_eq!(got, want);
    assert_eq!(got, ["Cid"]);
    // A `Json<T>` column, `<@` with the document on the right, a nullable column.
    let wide = json!({"city": "Beira", "fare": 80, "route": ["c"], "more": 1});
    let dark = json!({"theme": "dark"});
    let q = select!(rider, prefs @> dark, data <@ wide, extra ? "promo",
        case when data ? "vip" then "vip" else "plain" end from Ride order by rider);
    assert_eq!(
        q.sql(),
        "SELECT rider, (prefs @> $1), (data <@ $2), (extra ? $3), \
         CASE WHEN (data ? $4) THEN $5::text ELSE $6::text END FROM rides ORDER BY rider"
    );
    let got: Vec<Tests> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "SELECT rider, prefs @> '{\"theme\": \"dark\"}', \
         data <@ '{\"city\": \"Beira\", \"fare\": 80, \"route\": [\"c\"], \"more\": 1}', \
         extra ? 'promo', CASE WHEN data ? 'vip' THEN 'vip' ELSE 'plain' END \
         FROM rides ORDER BY rider",
        |r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)),
    )
    .await;
    assert_eq!(got, want);
    assert_eq!(
        got.iter().map(|r| (r.1, r.2, r.3)).collect::<Vec<_>>(),
        [
            (true, false, None),
            (false, true, Some(true)),
            (false, false, Some(true))
        ]
    );
}

#[tokio::test]
async fn json_text_is_cast_matched_and_tested_for_null_and_keys_in_lists() {
    let (_db, pool) = seeded("typed_json_text").await;
    let (any_of, all_of) = (vec!["vip", "nothing"], vec!["city", "route"]);
    let q = select!(rider, data ?| any_of, data ?& all_of from Ride
        where cast(data ->> "fare" as int4) > 70 and data ->> "city" like "%a%"
        and data -> "vip" is null order by data ->> "fare" desc nulls last);
    assert_eq!(
        q.sql(),
        "SELECT rider, (data ?| $1), (data ?& $2) FROM rides WHERE CAST((data ->> $3) AS int4) \
         > $4 AND (data ->> $5) LIKE $6 AND (data -> $7) IS NULL ORDER BY (data ->> $8) DESC \
         NULLS LAST"
    );
    let got: Vec<(String, bool, bool)> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "SELECT rider, data ?| '{vip,nothing}', data ?& '{city,route}' FROM rides \
         WHERE CAST(data ->> 'fare' AS int4) > 70 AND data ->> 'city' LIKE '%a%' \
         AND data -> 'vip' IS NULL ORDER BY data ->> 'fare' DESC NULLS LAST",
        |r| (r.get(0), r.get(1), r.get(2)),
    )
    .await;
    assert_eq!(got, want);
    // Ann's fare is above 70 but she is a vip; Cid's is below.
    assert_eq!(got, [("Bob".to_owned(), false, true)]);
    let q = select!(rider from Ride where data ?& all_of and not data ?| any_of);
    assert_eq!(
        q.fetch_all(&pool).await.unwrap(),
        ["Bob"],
        "Ann and Bob have a city and a route, and Ann is a vip"
    );
}

#[tokio::test]
async fn json_fields_group_order_and_filter_groups() {
    let (_db, pool) = seeded("typed_json_group").await;
    let q = select!(data ->> "city" as city, count(*) from Ride group by data ->> "city"
        having count(*) > 1 order by data ->> "city");
    // The key written again is the item's expression, placeholder included.
    assert_eq!(
        q.sql(),
        "SELECT (data ->> $1) AS city, count(*) FROM rides GROUP BY (data ->> $1) \
         HAVING count(*) > $2 ORDER BY (data ->> $1)"
    );
    let got: Vec<(Option<String>, i64)> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "SELECT data ->> 'city', count(*) FROM rides GROUP BY data ->> 'city' \
         HAVING count(*) > 1 ORDER BY data ->> 'city'",
        |r| (r.get(0), r.get(1)),
    )
    .await;
    assert_eq!(got, want);
    assert_eq!(got, [(Some("Maputo".to_owned()), 2)]);
}

/// A rider, the containment and key tests, and a `case` over a key test.
type Tests = (String, bool, bool, Option<bool>, String);

/// A rider, `zone = any(stops)`, `cardinality(tags)`, `array_length(stops, 1)`, `tags @> ...`.
type Arrays = (String, Option<bool>, i32, Option<i32>, bool);

#[tokio::test]
async fn arrays_are_searched_with_any_and_compared_by_containment() {
    let (_db, pool) = seeded("typed_array_any").await;
    // `= any(values)` binds one array parameter, whatever its length.
    let ids: &[i64] = &[1, 3, 99];
    let q = select!(rider from Ride where id = any(ids) order by rider);
    assert_eq!(
        q.sql(),
        "SELECT rider FROM rides WHERE id = ANY($1) ORDER BY rider"
    );
    assert_eq!(q.fetch_all(&pool).await.unwrap(), ["Ann", "Cid"]);
    let names = vec!["Ann", "Bob"];
    let two = vec![2_i64];
    let q = select!(rider from Ride where rider <> all(names) or Ride::id = any(two));
    assert_eq!(
        q.sql(),
        "SELECT rider FROM rides WHERE rider <> ALL($1) OR id = ANY($2)"
    );
    let mut got: Vec<String> = q.fetch_all(&pool).await.unwrap();
    got.sort();
    assert_eq!(got, ["Bob", "Cid"]);
    // Containment and overlap with a Rust value, and `any` over an array column.
    let wanted = vec!["night".to_owned(), "day".to_owned()];
    let (night, none) = (vec!["night"], Vec::<String>::new());
    let q = select!(rider, zone = any(stops), cardinality(tags), array_length(stops, 1),
        tags @> night from Ride where tags && wanted or tags <@ none order by rider);
    assert_eq!(
        q.sql(),
        "SELECT rider, zone = ANY(stops), cardinality(tags), array_length(stops, $1), \
         (tags @> $2) FROM rides WHERE (tags && $3) OR (tags <@ $4) ORDER BY rider"
    );
    let got: Vec<Arrays> = q.fetch_all(&pool).await.unwrap();
    let want = rows(
        &pool,
        "SELECT rider, zone = ANY(stops), cardinality(tags), array_length(stops, 1), \
         tags @> '{night}' FROM rides WHERE tags && '{night,day}' OR tags <@ '{}' \
         ORDER BY rider",
        |r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)),
    )
    .await;
    assert_eq!(got, want);
    assert_eq!(
        got,
        [
            ("Ann".to_owned(), Some(true), 2, Some(3), true),
            // No stops: NULL; an empty array's length is NULL, its cardinality 0.
            ("Bob".to_owned(), None, 1, None, true),
            ("Cid".to_owned(), Some(false), 0, None, false),
        ]
    );
    // `any` over a column array in a condition, an array compared with an array column.
    let q = select!(rider from Ride where zone = any(Ride::stops) and stops @> Ride::stops);
    assert_eq!(q.fetch_all(&pool).await.unwrap(), ["Ann"]);
}

#[tokio::test]
async fn writes_use_the_operators_in_set_where_and_returning() {
    let (_db, pool) = seeded("typed_json_writes").await;
    let ids = vec![1_i64, 2];
    let q = update!(Ride set rider = coalesce(Ride::data ->> "city", Ride::rider),
        zone = cardinality(Ride::tags) where id = any(ids) and data ? "route" returning id, rider, data -> "route" -> 0);
    assert_eq!(
        q.sql(),
        "UPDATE rides SET rider = coalesce((data ->> $1), rider), zone = cardinality(tags) \
         WHERE id = ANY($2) AND (data ? $3) RETURNING id, rider, (data -> $4 -> $5::int4)"
    );
    let mut got: Vec<(i64, String, Option<Value>)> = q.fetch_all(&pool).await.unwrap();
    got.sort_by_key(|r| r.0);
    assert_eq!(
        got,
        [
            (1, "Maputo".to_owned(), Some(json!("a"))),
            (2, "Beira".to_owned(), Some(json!("c")))
        ]
    );
    let want = rows(
        &pool,
        "SELECT id, rider, zone FROM rides ORDER BY id",
        |r| {
            (
                r.get::<_, i64>(0),
                r.get::<_, String>(1),
                r.get::<_, i32>(2),
            )
        },
    )
    .await;
    assert_eq!(
        want,
        [
            (1, "Maputo".to_owned(), 2),
            (2, "Beira".to_owned(), 1),
            (3, "Cid".to_owned(), 0)
        ]
    );
    // An upsert whose `do update set` reads the proposed row with the operators.
    let mut again = ride(3, "Cid", 0, json!({"city": "Nampula"}), None);
    again.tags = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
    let q = insert!(into Ride values &again on conflict (id) do update
        set rider = coalesce(excluded.data ->> "city", ""), zone = cardinality(excluded.tags)
        returning rider, zone);
    assert!(
        q.sql().ends_with(
            "ON CONFLICT (id) DO UPDATE SET rider = coalesce((EXCLUDED.data ->> $9), $10), \
             zone = cardinality(EXCLUDED.tags) RETURNING rider, zone"
        ),
        "{}",
        q.sql()
    );
    let row: (String, i32) = q.fetch_one(&pool).await.unwrap();
    assert_eq!(row, ("Nampula".to_owned(), 3));
    // A jsonb function declared with its types, its path and value bound.
    txova_db::sql_function! {
        fn jsonb_set(target: Value, path: Vec<String>, value: Value) -> Value;
    }
    let (path, fare) = (vec!["fare".to_owned()], json!(99));
    let q = update!(Ride set data = jsonb_set(Ride::data, path, fare) where data ? "vip"
        returning cast(data ->> "fare" as int4));
    assert_eq!(
        q.sql(),
        "UPDATE rides SET data = jsonb_set(data, $1, $2) WHERE (data ? $3) \
         RETURNING CAST((data ->> $4) AS int4)"
    );
    assert_eq!(q.fetch_all(&pool).await.unwrap(), [Some(99)]);
    let gone = vec!["airport"];
    let promo = json!({"promo": "X"});
    let q = delete!(from Ride where tags && gone or extra @> promo returning id);
    assert_eq!(
        q.sql(),
        "DELETE FROM rides WHERE (tags && $1) OR (extra @> $2) RETURNING id"
    );
    let mut got: Vec<i64> = q.fetch_all(&pool).await.unwrap();
    got.sort_unstable();
    assert_eq!(got, [1, 2]);
    let left = rows(&pool, "SELECT id FROM rides", |r| r.get::<_, i64>(0)).await;
    assert_eq!(left, [3]);
}
