//! Identifier quoting (`txova_db_core::ident::quote`, used for every table and column name
//! the derive writes) against PostgreSQL's own `quote_ident` on the server, for generated
//! names: keywords of every category, ASCII and non-ASCII names, quotes, `$`, case.
//!
//! The two agree except where the library deliberately leaves a name bare that `quote_ident`
//! quotes: keywords PostgreSQL accepts as column names (category `C`) and names with `$`
//! after the first character. Each such bare name, and every quoted one, is then read back on
//! the server as a column in the positions the library writes it (select list, qualified,
//! `WHERE`, `ORDER BY`) and must come back as the same name.

use std::collections::{BTreeSet, HashMap};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use txova_db::postgres::{Executor, Pool};
use txova_db_core::ident::quote;

fn names(keywords: Vec<String>) -> impl Strategy<Value = Vec<String>> {
    let name = prop_oneof![
        3 => prop::sample::select(keywords.clone()),
        1 => prop::sample::select(keywords).prop_map(|k| k.to_uppercase()),
        3 => "[a-z_][a-z0-9_$]{0,10}",
        2 => "[A-Za-z0-9_$\"' é.-]{1,12}",
        1 => "\\PC{1,8}",
    ]
    .prop_filter("a name PostgreSQL can hold", |n| {
        !n.is_empty() && n.len() <= 63 && !n.contains('\0')
    });
    prop::collection::vec(name, 1..40).prop_map(|v| {
        // One column per name in the read-back query: no duplicates.
        let mut seen = BTreeSet::new();
        v.into_iter().filter(|n| seen.insert(n.clone())).collect()
    })
}

async fn check(
    pool: &Pool,
    names: &[String],
    category: &HashMap<String, String>,
) -> Result<(), String> {
    let rows = pool
        .query(
            "SELECT quote_ident(n) FROM unnest($1::text[]) WITH ORDINALITY AS u(n, i) ORDER BY i",
            &[&names],
        )
        .await
        .map_err(|e| e.to_string())?;
    let mut select = Vec::new();
    let mut source = Vec::new();
    let mut filter = Vec::new();
    for (i, (name, row)) in names.iter().zip(&rows).enumerate() {
        let server: String = row.get(0);
        let ours = quote(name);
        if ours != server {
            let deliberate = ours == name.as_str()
                && (category.get(name).is_some_and(|c| c == "C") || name[1..].contains('$'));
            if !deliberate {
                return Err(format!("{name:?}: quote_ident {server}, ours {ours}"));
            }
        }
        select.push(if i % 2 == 0 {
            ours.to_string()
        } else {
            format!("t.{ours}")
        });
        source.push(format!("{i} AS {server}"));
        filter.push(format!("{ours} = {i}"));
    }
    let sql = format!(
        "SELECT {} FROM (SELECT {}) AS t WHERE {} ORDER BY {}",
        select.join(", "),
        source.join(", "),
        filter.join(" AND "),
        select.join(", ")
    );
    let row = pool
        .query_one(&sql, &[])
        .await
        .map_err(|e| format!("{sql}: {e}"))?;
    for (column, name) in row.columns().iter().zip(names) {
        if column.name() != name {
            return Err(format!("{name:?} read back as {:?}", column.name()));
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quoting_agrees_with_quote_ident_on_the_server() {
    let db = txova_db_tests::database("prop_ident").await;
    let pool = db.pool().await.unwrap();
    let rows = pool
        .query("SELECT word, catcode::text FROM pg_get_keywords()", &[])
        .await
        .unwrap();
    let category: HashMap<String, String> = rows
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
        .collect();
    let keywords: Vec<String> = category.keys().cloned().collect();
    assert!(keywords.len() > 400, "the server lists its keywords");

    let handle = tokio::runtime::Handle::current();
    let result = tokio::task::block_in_place(|| {
        let mut runner = TestRunner::new(Config {
            cases: 200,
            ..Config::default()
        });
        runner.run(&names(keywords), |names| {
            handle
                .block_on(check(&pool, &names, &category))
                .map_err(TestCaseError::fail)
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
