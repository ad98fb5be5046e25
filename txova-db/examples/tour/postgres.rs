//! Pool, ping, transactions, errors and the run-time builder.

use std::time::Duration;

use txova_db::postgres::{
    self, Config, Executor, IsolationLevel, Pool, TxOptions, with_tx, with_tx_retry,
};
use txova_db::testing::TestDatabase;
use txova_db::{Error, ErrorKind};

pub async fn run(db: &TestDatabase) -> Result<(), Box<dyn std::error::Error>> {
    println!("\n-- PostgreSQL pool --");
    let pool = Pool::new(Config {
        max_connections: 5,
        min_connections: 2,
        connect_timeout: Duration::from_secs(5),
        statement_timeout: Some(Duration::from_secs(2)),
        application_name: Some("txova-tour".to_owned()),
        ..Config::new(db.url())
    })
    .await?;
    pool.ping().await?;
    println!("pool opened and pinged: {:?}", pool.status());

    pool.get()
        .await?
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS tour_accounts (
                 id int PRIMARY KEY, owner text NOT NULL UNIQUE, balance int8 NOT NULL CHECK (balance >= 0));
             INSERT INTO tour_accounts VALUES (1, 'ana', 100), (2, 'ben', 50) ON CONFLICT DO NOTHING;",
        )
        .await?;

    transactions(&pool).await?;
    errors(&pool).await?;
    builder(&pool).await?;

    pool.close(Duration::from_secs(5)).await?;
    println!(
        "pool closed: {:?}",
        pool.get().await.map(|_| ()).unwrap_err().kind()
    );
    Ok(())
}

async fn transactions(pool: &Pool) -> Result<(), Box<dyn std::error::Error>> {
    println!("\n-- Transactions --");
    let moved = with_tx(pool, async |tx| {
        tx.execute(
            "UPDATE tour_accounts SET balance = balance - $1 WHERE id = 1",
            &[&30_i64],
        )
        .await?;
        tx.execute(
            "UPDATE tour_accounts SET balance = balance + $1 WHERE id = 2",
            &[&30_i64],
        )
        .await?;
        Ok::<_, Error>(30)
    })
    .await?;
    println!("with_tx committed a transfer of {moved}");

    let failed = with_tx(pool, async |tx| {
        tx.execute(
            "UPDATE tour_accounts SET balance = balance - 1000 WHERE id = 1",
            &[],
        )
        .await
    })
    .await;
    let err = failed.expect_err("the check constraint refuses a negative balance");
    println!(
        "with_tx rolled back on error: kind={:?} constraint={:?} -> {err}",
        err.kind(),
        err.constraint()
    );

    let balance: i64 = with_tx(pool, async |tx| {
        let inner = with_tx(&mut *tx, async |sp| {
            sp.execute("UPDATE tour_accounts SET balance = 0 WHERE id = 1", &[])
                .await?;
            // id 1 exists: this fails, and the savepoint is rolled back.
            sp.execute("INSERT INTO tour_accounts VALUES (1, 'dup', 0)", &[])
                .await
        })
        .await;
        println!("nested with_tx failed: {:?}", inner.map_err(|e| e.kind()));
        let row = tx
            .query_one("SELECT balance FROM tour_accounts WHERE id = 1", &[])
            .await?;
        Ok::<_, Error>(row.get(0))
    })
    .await?;
    println!("a failed savepoint was rolled back alone; ana still has {balance}");

    let total: i64 = with_tx_retry(
        pool,
        TxOptions::isolation(IsolationLevel::Serializable),
        async |tx| {
            let row = tx
                .query_one("SELECT sum(balance)::int8 FROM tour_accounts", &[])
                .await?;
            Ok(row.get(0))
        },
    )
    .await?;
    println!("with_tx_retry (serializable) read a total of {total}");

    Ok(())
}

async fn errors(pool: &Pool) -> Result<(), Box<dyn std::error::Error>> {
    println!("\n-- Errors --");
    let err = pool
        .execute("INSERT INTO tour_accounts VALUES (3, 'ana', 0)", &[])
        .await
        .expect_err("owner is unique");
    println!(
        "duplicate: kind={:?} code={:?} table={:?} column={:?} constraint={:?}",
        err.kind(),
        err.code(),
        err.table(),
        err.column(),
        err.constraint()
    );
    let err = pool
        .query_one("SELECT owner FROM tour_accounts WHERE id = $1", &[&99_i32])
        .await
        .expect_err("no such row");
    println!("query_one on no rows: {:?}", err.kind());
    let err = pool
        .execute("SELECT pg_sleep(3)", &[])
        .await
        .expect_err("statement timeout is 2 s");
    println!(
        "statement timeout: {:?} {:?}",
        err.kind(),
        err.timeout_kind()
    );
    assert_eq!(err.kind(), ErrorKind::Timeout);

    Ok(())
}

async fn builder(pool: &Pool) -> Result<(), Box<dyn std::error::Error>> {
    println!("\n-- Run-time query builder --");
    let query = postgres::select("tour_accounts")
        .columns(["id", "owner", "balance"])
        .filter("balance > ?", 10_i64)
        .order_by("balance DESC")
        .limit(10);
    let (sql, args) = query.build()?;
    println!("{sql}   ({} value)", args.len());
    for row in query.fetch_all(pool).await? {
        let (id, owner, balance): (i32, String, i64) = (row.get(0), row.get(1), row.get(2));
        println!("  {id} {owner} {balance}");
    }
    let err = postgres::select("tour_accounts")
        .filter("id = ? AND owner = ?", 1_i32)
        .build()
        .expect_err("two placeholders, one value");
    println!("wrong placeholder count: {err}");

    Ok(())
}
