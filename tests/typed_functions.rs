//! The typed function library of `select!`: `count(distinct ...)`, `string_agg`,
//! `array_agg`, `bool_and` / `bool_or`, `date_trunc`, `extract` and interval arithmetic. Each
//! statement's SQL is checked, and its rows are compared with the same hand-written SQL's.

#[path = "typed_model.rs"]
mod model;

use chrono::{DateTime, Duration, Utc};
use model::{Post, User, user};
use rust_decimal::Decimal;
use txova_db::postgres::{Executor as _, Interval, Pool};
use txova_db::testing::TestDatabase;
use txova_db::{insert, select, update};

/// Ann (30, a day old) with two posts, Bob (40, ten days old) with one, Cid (50) with none.
async fn seeded(name: &str) -> (TestDatabase, Pool) {
    let (db, pool) = model::database(name).await;
    let now = Utc::now();
    let mut ann = user("Ann", "active", 30);
    ann.created_at = now - Duration::days(1);
    let mut bob = user("Bob", "active", 40);
    bob.created_at = now - Duration::days(10);
    let mut cid = user("Cid", "banned", 50);
    cid.created_at = now - Duration::days(100);
    insert!(into User values &ann, &bob, &cid)
        .execute(&pool)
        .await
        .unwrap();
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "INSERT INTO posts (user_id, title, score) SELECT id, 'a', 1.5 FROM users \
             WHERE name = 'Ann'; \
             INSERT INTO posts (user_id, title, score) SELECT id, 'b', 2.5 FROM users \
             WHERE name = 'Ann'; \
             INSERT INTO posts (user_id, title, score) SELECT id, 'c', 0.5 FROM users \
             WHERE name = 'Bob';",
        )
        .await
        .unwrap();
    (db, pool)
}

/// A status, its distinct ages, its names, its ages, whether all are over 35, whether any
/// has no bio.
type StatusRow = (
    String,
    i64,
    Option<String>,
    Option<Vec<i32>>,
    Option<bool>,
    Option<bool>,
);

/// A user's name, the titles of its posts (NULL for a user without posts), their count.
type TitlesRow = (String, Option<Vec<Option<String>>>, i64);

#[tokio::test]
async fn aggregates_of_the_library_group_and_read_typed() {
    let (_db, pool) = seeded("typed_fn_aggregates").await;
    let q = select!(status, count(distinct age), string_agg(name, ", "), array_agg(age),
        bool_and(age > 35), bool_or(coalesce(bio, "") = "") from User group by status order by status);
    assert_eq!(
        q.sql(),
        "SELECT status, count(DISTINCT age), string_agg(name, $1), array_agg(age), \
         bool_and(age > $2), bool_or(coalesce(bio, $3) = $4) FROM users GROUP BY status \
         ORDER BY status"
    );
    let got: Vec<StatusRow> = q.fetch_all(&pool).await.unwrap();
    let want = pool
        .query(
            "SELECT status, count(DISTINCT age), string_agg(name, ', ' ORDER BY name), \
             array_agg(age ORDER BY age), bool_and(age > 35), bool_or(coalesce(bio, '') = '') FROM users \
             GROUP BY status ORDER BY status",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect::<Vec<StatusRow>>();
    // The server's order inside an aggregate is not fixed: compare sorted.
    let sorted = |mut rows: Vec<StatusRow>| {
        for r in &mut rows {
            if let Some(names) = &r.2 {
                let mut v: Vec<&str> = names.split(", ").collect();
                v.sort_unstable();
                r.2 = Some(v.join(", "));
            }
            if let Some(ages) = &mut r.3 {
                ages.sort_unstable();
            }
        }
        rows
    };
    let got = sorted(got);
    assert_eq!(got, sorted(want));
    assert_eq!(
        got[0],
        (
            "active".to_owned(),
            2,
            Some("Ann, Bob".to_owned()),
            Some(vec![30, 40]),
            Some(false),
            Some(true)
        )
    );
    // An aggregate of the library in `having`, and a nullable column in `array_agg`.
    let q = select!(User::name, array_agg(Post::title), count(distinct Post::id) from User
        left join Post on Post::user_id = User::id group by User::name
        having string_agg(Post::title, "") != "c" order by User::name);
    let rows: Vec<TitlesRow> = q.fetch_all(&pool).await.unwrap();
    let want: Vec<TitlesRow> = pool
        .query(
            "SELECT users.name, array_agg(posts.title ORDER BY posts.title), \
             count(DISTINCT posts.id) FROM users LEFT JOIN posts ON posts.user_id = users.id \
             GROUP BY users.name HAVING string_agg(posts.title, '') <> 'c' ORDER BY users.name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let mut rows = rows;
    for r in &mut rows {
        if let Some(t) = &mut r.1 {
            t.sort();
        }
    }
    assert_eq!(rows, want);
    assert_eq!(
        rows.len(),
        1,
        "Bob's only title is `c`; Cid has none (NULL <> 'c' is NULL)"
    );
}

#[tokio::test]
async fn dates_are_truncated_extracted_and_compared_with_intervals() {
    let (_db, pool) = seeded("typed_fn_dates").await;
    let ttl = Interval::from_days(7);
    let q = select!(name, date_trunc("day", created_at), extract(year from created_at),
        now() - created_at from User where created_at > now() - ttl order by name);
    assert_eq!(
        q.sql(),
        "SELECT name, date_trunc($1, created_at), EXTRACT(year FROM created_at), \
         now() - created_at FROM users WHERE created_at > now() - $2::interval ORDER BY name"
    );
    let got: Vec<(String, DateTime<Utc>, Decimal, Interval)> = q.fetch_all(&pool).await.unwrap();
    let want: Vec<(String, DateTime<Utc>, Decimal)> = pool
        .query(
            "SELECT name, date_trunc('day', created_at), EXTRACT(year FROM created_at) \
             FROM users WHERE created_at > now() - interval '7 days' ORDER BY name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        got.iter()
            .map(|r| (r.0.clone(), r.1, r.2))
            .collect::<Vec<_>>(),
        want
    );
    assert_eq!(got.len(), 1, "only Ann was created in the last seven days");
    // `now() - created_at` reads as an interval: a day and the moments since the insert.
    let age = got[0].3;
    assert_eq!((age.months(), age.days()), (0, 1), "{age:?}");
    assert!((0..60_000_000).contains(&age.microseconds()), "{age:?}");
    // An interval value on the left, and a timestamp value against a column.
    let since = Utc::now() - Duration::days(50);
    let names: Vec<String> = select!(name from User
        where created_at + Interval::from_days(30) > since order by name)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(names, ["Ann", "Bob"]);
    // In `set` a bare name is a value: an interval plus a timestamp column.
    let shift = Interval::from_days(100);
    let q = update!(User set created_at = shift + User::created_at where name = "Cid"
        returning created_at);
    assert_eq!(
        q.sql(),
        "UPDATE users SET created_at = $1::interval + created_at WHERE name = $2 \
         RETURNING created_at"
    );
    let moved: DateTime<Utc> = q.fetch_one(&pool).await.unwrap();
    assert!((Utc::now() - moved).num_hours().abs() < 2, "{moved}");
    // An interval round-trips through the server as written.
    let odd = Interval::new(14, -3, 1_234_567);
    let back: Interval = pool
        .query_one("SELECT $1::interval", &[&odd])
        .await
        .unwrap()
        .get(0);
    assert_eq!(back, odd);
}

#[tokio::test]
async fn expressions_group_order_and_return() {
    let (_db, pool) = seeded("typed_fn_keys").await;
    // A key equal to a selected expression reuses its placeholders, so the server sees one
    // expression.
    let q = select!(age / 20, count(*) from User group by age / 20 order by age / 20 desc);
    assert_eq!(
        q.sql(),
        "SELECT age / $1, count(*) FROM users GROUP BY age / $1 ORDER BY age / $1 DESC"
    );
    let got: Vec<(i32, i64)> = q.fetch_all(&pool).await.unwrap();
    let want: Vec<(i32, i64)> = pool
        .query(
            "SELECT age / 20, count(*) FROM users GROUP BY age / 20 ORDER BY age / 20 DESC",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(got, want);
    assert_eq!(got, [(2, 2), (1, 1)]);
    // Keys that are not selected, the `order by` one reusing the `group by` one's values.
    let q = select!(count(*) from User group by lower(status), age > 35
        order by lower(status), age > 35);
    assert_eq!(
        q.sql(),
        "SELECT count(*) FROM users GROUP BY lower(status), age > $1 \
         ORDER BY lower(status), age > $1"
    );
    let counts: Vec<i64> = q.fetch_all(&pool).await.unwrap();
    assert_eq!(counts, [1, 1, 1]);
    // `order by` an expression in a query that does not group.
    let q = select!(name from User order by length(name) * -1, age - 100);
    assert_eq!(
        q.sql(),
        "SELECT name FROM users ORDER BY length(name) * $1, age - $2"
    );
    assert_eq!(q.fetch_all(&pool).await.unwrap(), ["Ann", "Bob", "Cid"]);
    let names: Vec<String> =
        select!(name from User order by case when status = "banned" then 0 else 1 end, name)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(names, ["Cid", "Ann", "Bob"]);
    // `returning` expressions.
    let q = update!(User set age = User::age + 1 where name = "Ann"
        returning upper(name) || "!", age * 2, cast(age as text) as label);
    assert_eq!(
        q.sql(),
        "UPDATE users SET age = age + $1 WHERE name = $2 \
         RETURNING upper(name) || $3, age * $4, CAST(age AS text) AS label"
    );
    let row: (String, i32, String) = q.fetch_one(&pool).await.unwrap();
    assert_eq!(row, ("ANN!".to_owned(), 62, "31".to_owned()));
}

#[tokio::test]
async fn exists_and_in_subqueries_with_correlated_references() {
    let (_db, pool) = seeded("typed_fn_subqueries").await;
    let q = select!(name from User
        where exists (select Post::id from Post where Post::user_id = User::id and score > 1.0)
        order by name);
    assert_eq!(
        q.sql(),
        "SELECT name FROM users WHERE EXISTS (SELECT posts.id FROM posts \
         WHERE posts.user_id = users.id AND posts.score > $1) ORDER BY name"
    );
    let got: Vec<String> = q.fetch_all(&pool).await.unwrap();
    let want: Vec<String> = pool
        .query(
            "SELECT name FROM users WHERE EXISTS (SELECT posts.id FROM posts \
             WHERE posts.user_id = users.id AND posts.score > 1.0) ORDER BY name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(got, want);
    assert_eq!(got, ["Ann"]);
    let q = select!(name from User where not exists (select Post::id from Post
        where Post::user_id = User::id) order by name);
    assert_eq!(q.fetch_all(&pool).await.unwrap(), ["Cid"]);
    // `in` and `not in` over a subquery of the column's type, with its own values.
    let title = "c";
    let q = select!(name from User where id in (select user_id from Post where title != title)
        and id not in (select user_id from Post where score < 0.0) order by name);
    assert_eq!(
        q.sql(),
        "SELECT name FROM users WHERE id IN (SELECT posts.user_id FROM posts \
         WHERE posts.title <> $1) AND id NOT IN (SELECT posts.user_id FROM posts \
         WHERE posts.score < $2) ORDER BY name"
    );
    let got: Vec<String> = q.fetch_all(&pool).await.unwrap();
    let want: Vec<String> = pool
        .query(
            "SELECT name FROM users WHERE id IN (SELECT posts.user_id FROM posts \
             WHERE posts.title <> 'c') AND id NOT IN (SELECT posts.user_id FROM posts \
             WHERE posts.score < 0.0) ORDER BY name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(got, want);
    assert_eq!(got, ["Ann"]);
}

#[tokio::test]
async fn scalar_subqueries_are_nullable_values() {
    let (_db, pool) = seeded("typed_fn_scalar").await;
    let q = select!(name,
        (select max(Post::score) from Post where Post::user_id = User::id) as best,
        (select count(*) from Post where Post::user_id = User::id)
        from User where (select count(*) from Post where Post::user_id = User::id) < 2
        order by name);
    assert_eq!(
        q.sql(),
        "SELECT name, (SELECT max(posts.score) FROM posts WHERE posts.user_id = users.id) AS best, \
         (SELECT count(*) FROM posts WHERE posts.user_id = users.id) FROM users \
         WHERE (SELECT count(*) FROM posts WHERE posts.user_id = users.id) < $1 ORDER BY name"
    );
    // `count` over a subquery without `group by` always returns one row: never NULL.
    let got: Vec<(String, Option<f64>, i64)> = q.fetch_all(&pool).await.unwrap();
    let want: Vec<(String, Option<f64>, i64)> = pool
        .query(
            "SELECT name, (SELECT max(posts.score) FROM posts WHERE posts.user_id = users.id), \
             (SELECT count(*) FROM posts WHERE posts.user_id = users.id) FROM users \
             WHERE (SELECT count(*) FROM posts WHERE posts.user_id = users.id) < 2 \
             ORDER BY name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        got,
        [
            ("Bob".to_owned(), Some(0.5), 1),
            ("Cid".to_owned(), None, 0)
        ]
    );
}

#[tokio::test]
async fn the_grouping_rule_reads_inside_expressions() {
    let (_db, pool) = seeded("typed_fn_grouping").await;
    // `name` inside an expression, grouped through the primary key (functional dependency),
    // and `age` inside an expression written like a key of `group by`.
    let q = select!(upper(User::name) || "!", User::age / 10, count(Post::id) from User
        left join Post on Post::user_id = User::id group by User::id, User::age / 10
        order by upper(User::name) || "!");
    let got: Vec<(String, i32, i64)> = q.fetch_all(&pool).await.unwrap();
    let want: Vec<(String, i32, i64)> = pool
        .query(
            "SELECT upper(users.name) || '!', users.age / 10, count(posts.id) FROM users \
             LEFT JOIN posts ON posts.user_id = users.id GROUP BY users.id, users.age / 10 \
             ORDER BY upper(users.name) || '!'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(got, want);
    assert_eq!(got[0], ("ANN!".to_owned(), 3, 2));
}

#[tokio::test]
async fn string_agg_and_array_agg_order_their_values() {
    let (_db, pool) = seeded("typed_fn_agg_order").await;
    let q = select!(status, string_agg(name, ", " order by age desc, name),
        array_agg(age order by age) from User group by status order by status);
    assert_eq!(
        q.sql(),
        "SELECT status, string_agg(name, $1 ORDER BY age DESC, name), \
         array_agg(age ORDER BY age) FROM users GROUP BY status ORDER BY status"
    );
    let got: Vec<(String, Option<String>, Option<Vec<i32>>)> = q.fetch_all(&pool).await.unwrap();
    let want: Vec<(String, Option<String>, Option<Vec<i32>>)> = pool
        .query(
            "SELECT status, string_agg(name, ', ' ORDER BY age DESC, name), \
             array_agg(age ORDER BY age) FROM users GROUP BY status ORDER BY status",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(got, want);
    assert_eq!(got[0].1.as_deref(), Some("Bob, Ann"));
    assert_eq!(got[0].2, Some(vec![30, 40]));
    // The order of a joined table's column, with the aggregate inside `having`.
    let q = select!(User::name, string_agg(Post::title, "" order by Post::score desc) from User
        join Post on Post::user_id = User::id group by User::name
        having string_agg(Post::title, "" order by Post::title) = "ab");
    assert_eq!(
        q.sql(),
        "SELECT users.name, string_agg(posts.title, $1 ORDER BY posts.score DESC) FROM users \
         JOIN posts ON posts.user_id = users.id GROUP BY users.name \
         HAVING string_agg(posts.title, $2 ORDER BY posts.title) = $3"
    );
    let got: Vec<(String, Option<String>)> = q.fetch_all(&pool).await.unwrap();
    assert_eq!(got, vec![("Ann".to_owned(), Some("ba".to_owned()))]);
}

type ExprAggRow = (
    String,
    Option<f64>,
    Option<f64>,
    i64,
    Option<String>,
    Option<i64>,
);

#[tokio::test]
async fn aggregates_over_expressions_match_hand_written_sql() {
    let (_db, pool) = seeded("typed_fn_agg_expr").await;
    let q = select!(User::status, sum(Post::score * 2.0), avg(Post::score + 1.0),
        count(lower(Post::title)), max(upper(Post::title)),
        sum(case when Post::score > 1.0 then 1i64 else 0i64 end)
        from User left join Post on Post::user_id = User::id group by User::status
        having min(User::age + 0) >= 30 order by User::status);
    assert_eq!(
        q.sql(),
        "SELECT users.status, sum(posts.score * $1), avg(posts.score + $2), \
         count(lower(posts.title)), max(upper(posts.title)), \
         sum(CASE WHEN posts.score > $3 THEN $4::int8 ELSE $5::int8 END)::int8 FROM users \
         LEFT JOIN posts ON posts.user_id = users.id GROUP BY users.status \
         HAVING min(users.age + $6) >= $7 ORDER BY users.status"
    );
    let got: Vec<ExprAggRow> = q.fetch_all(&pool).await.unwrap();
    let want: Vec<ExprAggRow> = pool
        .query(
            "SELECT users.status, sum(posts.score * 2.0), avg(posts.score + 1.0), \
             count(lower(posts.title)), max(upper(posts.title)), \
             sum(CASE WHEN posts.score > 1.0 THEN 1 ELSE 0 END)::int8 FROM users \
             LEFT JOIN posts ON posts.user_id = users.id GROUP BY users.status \
             HAVING min(users.age + 0) >= 30 ORDER BY users.status",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect();
    assert_eq!(got, want);
    // Active: Ann's posts (1.5, 2.5) and Bob's (0.5); Cid is banned and has none.
    assert_eq!(
        got,
        [
            (
                "active".to_owned(),
                Some(9.0),
                Some(2.5),
                3,
                Some("C".to_owned()),
                Some(2)
            ),
            ("banned".to_owned(), None, None, 0, None, Some(0)),
        ]
    );
    // `is null` over an expression that may be NULL.
    let q = select!(name from User where coalesce(bio, bio) is null and age + 0 > 35 order by name);
    let got: Vec<String> = q.fetch_all(&pool).await.unwrap();
    assert_eq!(got, ["Bob", "Cid"]);
}

/// A shift's id, its day a week later, its end a day earlier, its length in days, and the
/// next day's midnight.
type DateRow = (
    i64,
    chrono::NaiveDate,
    chrono::NaiveDate,
    i32,
    chrono::NaiveDateTime,
);

/// A work shift: the days it starts and ends, for date arithmetic.
#[derive(txova_db::Table, Debug)]
#[table(name = "shifts")]
struct Shift {
    #[column(primary_key)]
    id: i64,
    day: chrono::NaiveDate,
    until: chrono::NaiveDate,
}

#[tokio::test]
async fn dates_take_days_and_give_days() {
    let db = TestDatabase::create("typed_fn_dates").await.unwrap();
    let pool = db.pool().await.unwrap();
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE shifts (id int8 PRIMARY KEY, day date NOT NULL, until date NOT NULL);
             INSERT INTO shifts VALUES (1, '2026-01-30', '2026-02-02'), (2, '2026-03-01', '2026-03-01');",
        )
        .await
        .unwrap();
    let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let after = d(2026, 2, 1);
    let one_day = Interval::from_days(1);
    let q = select!(id, day + 7, until - 1, until - day, cast(day as timestamp) + &one_day
        from Shift where day + 2 > after or until - day = 0 order by id);
    assert_eq!(
        q.sql(),
        "SELECT id, day + $1::int4, until - $2::int4, until - day, \
         CAST(day AS timestamp) + $3::interval FROM shifts \
         WHERE day + $4::int4 > $5 OR until - day = $6 ORDER BY id"
    );
    let got: Vec<DateRow> = q.fetch_all(&pool).await.unwrap();
    let want: Vec<DateRow> = pool
        .query(
            "SELECT id, day + 7, until - 1, until - day, CAST(day AS timestamp) + interval '1 day' \
             FROM shifts WHERE day + 2 > '2026-02-01'::date OR until - day = 0 ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    assert_eq!(got, want);
    // The first shift ends three days after it starts and starts too early; the second
    // starts and ends on one day.
    assert_eq!(
        got,
        [(
            2,
            d(2026, 3, 8),
            d(2026, 2, 28),
            0,
            d(2026, 3, 2).and_hms_opt(0, 0, 0).unwrap()
        )]
    );
}
