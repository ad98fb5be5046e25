//! `with_tx` commits on `Ok`, rolls back on `Err` and on panic, nests with savepoints, takes
//! options, and the retrying variant survives serialization failures.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use txova_db::postgres::{
    Executor, IsolationLevel, Pool, TxOptions, with_tx, with_tx_opts, with_tx_retry,
};
use txova_db::{Error, ErrorKind};
use txova_db_tests::{database, pool_with};

async fn setup(pool: &Pool) {
    pool.get()
        .await
        .unwrap()
        .batch_execute("CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)")
        .await
        .unwrap();
}

async fn count(pool: &Pool) -> i64 {
    pool.query_one("SELECT count(*) FROM items", &[])
        .await
        .unwrap()
        .get(0)
}

/// Whether the connection the pool hands out next is inside a transaction.
async fn in_transaction(pool: &Pool) -> bool {
    let conn = pool.get().await.unwrap();
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS probe (x int)", &[])
        .await
        .unwrap();
    // A statement that cannot run inside a transaction block.
    match conn.client().simple_query("VACUUM probe").await {
        Ok(_) => false,
        Err(e) => {
            assert!(e.to_string().contains("transaction block"), "{e}");
            true
        }
    }
}

#[tokio::test]
async fn ok_commits() {
    let db = database("tx_commit").await;
    let pool = pool_with(&db, |_| {}).await;
    setup(&pool).await;
    let n = with_tx(&pool, async |tx| {
        tx.execute("INSERT INTO items (id) VALUES (1), (2)", &[])
            .await
    })
    .await
    .unwrap();
    assert_eq!(n, 2);
    assert_eq!(count(&pool).await, 2);
}

#[derive(Debug)]
enum AppError {
    Db(Error),
    Rejected,
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        AppError::Db(e)
    }
}

#[tokio::test]
async fn err_rolls_back_and_is_returned() {
    let db = database("tx_rollback").await;
    let pool = pool_with(&db, |c| c.max_connections = 1).await;
    setup(&pool).await;
    let result: Result<(), AppError> = with_tx(&pool, async |tx| {
        tx.execute("INSERT INTO items (id) VALUES (1)", &[]).await?;
        Err(AppError::Rejected)
    })
    .await;
    assert!(matches!(result, Err(AppError::Rejected)));
    assert_eq!(count(&pool).await, 0);
    assert!(!in_transaction(&pool).await);
    // A database error inside the closure is an `AppError::Db` through `?`.
    let result: Result<(), AppError> = with_tx(&pool, async |tx| {
        tx.execute("INSERT INTO items (id) VALUES (1), (1)", &[])
            .await?;
        Ok(())
    })
    .await;
    match result {
        Err(AppError::Db(e)) => assert_eq!(e.kind(), ErrorKind::Duplicate),
        other => panic!("expected a duplicate error, got {other:?}"),
    }
}

#[tokio::test]
async fn panic_rolls_back_then_goes_on() {
    let db = database("tx_panic").await;
    let pool = pool_with(&db, |c| c.max_connections = 1).await;
    setup(&pool).await;
    let task = {
        let pool = pool.clone();
        tokio::spawn(async move {
            with_tx(&pool, async |tx| {
                tx.execute("INSERT INTO items (id) VALUES (7)", &[]).await?;
                panic!("boom inside the transaction");
                #[allow(unreachable_code, reason = "gives the closure its type")]
                Ok::<(), Error>(())
            })
            .await
        })
    };
    let err = task.await.expect_err("the panic goes on");
    assert!(err.is_panic());
    assert_eq!(count(&pool).await, 0);
    // The only connection is back in the pool, outside any transaction.
    assert!(!in_transaction(&pool).await);
}

#[tokio::test]
async fn dropped_transaction_rolls_back() {
    let db = database("tx_drop").await;
    let pool = pool_with(&db, |c| c.max_connections = 1).await;
    setup(&pool).await;
    {
        let mut conn = pool.get().await.unwrap();
        let tx = conn.begin().await.unwrap();
        tx.execute("INSERT INTO items (id) VALUES (1)", &[])
            .await
            .unwrap();
        drop(tx);
    }
    assert_eq!(count(&pool).await, 0);
    assert!(!in_transaction(&pool).await);
}

#[tokio::test]
async fn nested_with_tx_uses_a_savepoint() {
    let db = database("tx_nested").await;
    let pool = pool_with(&db, |_| {}).await;
    setup(&pool).await;
    with_tx(&pool, async |tx| {
        tx.execute("INSERT INTO items (id) VALUES (1)", &[]).await?;
        let inner: Result<(), Error> = with_tx(&mut *tx, async |sp| {
            sp.execute("INSERT INTO items (id) VALUES (2)", &[]).await?;
            sp.execute("INSERT INTO items (id) VALUES (2)", &[]).await?;
            Ok(())
        })
        .await;
        assert_eq!(inner.unwrap_err().kind(), ErrorKind::Duplicate);
        // The outer transaction goes on after the savepoint's rollback.
        with_tx(&mut *tx, async |sp| {
            sp.execute("INSERT INTO items (id) VALUES (3)", &[]).await
        })
        .await?;
        Ok::<_, Error>(())
    })
    .await
    .unwrap();
    let ids: Vec<i32> = pool
        .query("SELECT id FROM items ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, [1, 3]);
}

#[tokio::test]
async fn options_set_isolation_and_read_only() {
    let db = database("tx_options").await;
    let pool = pool_with(&db, |_| {}).await;
    setup(&pool).await;
    let level: String = with_tx_opts(
        &pool,
        TxOptions::isolation(IsolationLevel::Serializable),
        async |tx| {
            let row = tx.query_one("SHOW transaction_isolation", &[]).await?;
            Ok::<_, Error>(row.get(0))
        },
    )
    .await
    .unwrap();
    assert_eq!(level, "serializable");
    let err = with_tx_opts(&pool, TxOptions::default().read_only(), async |tx| {
        tx.execute("INSERT INTO items (id) VALUES (1)", &[]).await
    })
    .await
    .unwrap_err();
    assert_eq!(err.code(), Some("25006"), "{err:?}");
}

#[tokio::test]
async fn retry_survives_a_serialization_failure() {
    let db = database("tx_retry").await;
    let pool = pool_with(&db, |_| {}).await;
    setup(&pool).await;
    pool.execute("INSERT INTO items (id, v) VALUES (1, 0)", &[])
        .await
        .unwrap();
    let attempts = Arc::new(AtomicU32::new(0));
    let opts = TxOptions::isolation(IsolationLevel::RepeatableRead);
    let v: i32 = with_tx_retry(&pool, opts, async |tx| {
        let attempt = attempts.fetch_add(1, Ordering::SeqCst) + 1;
        // Take the snapshot, then (first attempt only) let another session update the row.
        tx.query_one("SELECT v FROM items WHERE id = 1", &[])
            .await?;
        if attempt == 1 {
            pool.execute("UPDATE items SET v = v + 10 WHERE id = 1", &[])
                .await?;
        }
        let row = tx
            .query_one("UPDATE items SET v = v + 1 WHERE id = 1 RETURNING v", &[])
            .await?;
        Ok(row.get(0))
    })
    .await
    .unwrap();
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
    assert_eq!(v, 11);
}

#[tokio::test]
async fn retry_gives_up_after_max_attempts() {
    let db = database("tx_retry_max").await;
    let pool = pool_with(&db, |_| {}).await;
    setup(&pool).await;
    pool.execute("INSERT INTO items (id, v) VALUES (1, 0)", &[])
        .await
        .unwrap();
    let attempts = AtomicU32::new(0);
    let opts = TxOptions::isolation(IsolationLevel::RepeatableRead).max_attempts(3);
    let err = with_tx_retry(&pool, opts, async |tx| {
        attempts.fetch_add(1, Ordering::SeqCst);
        tx.query_one("SELECT v FROM items WHERE id = 1", &[])
            .await?;
        pool.execute("UPDATE items SET v = v + 10 WHERE id = 1", &[])
            .await?;
        tx.execute("UPDATE items SET v = v + 1 WHERE id = 1", &[])
            .await?;
        Ok(())
    })
    .await
    .unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.code(), Some("40001"));
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn retry_survives_a_deadlock() {
    let db = database("tx_deadlock").await;
    let pool = pool_with(&db, |_| {}).await;
    setup(&pool).await;
    pool.execute("INSERT INTO items (id, v) VALUES (1, 0), (2, 0)", &[])
        .await
        .unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let attempts = Arc::new(AtomicU32::new(0));
    // Each task locks one row, waits until the other holds its row, then asks for it: one of
    // them is chosen as the deadlock victim (40P01), rolled back and run again.
    let task = |first: i32, second: i32| {
        let (pool, barrier, attempts) = (pool.clone(), barrier.clone(), attempts.clone());
        async move {
            let mine = AtomicU32::new(0);
            with_tx_retry(&pool, TxOptions::default(), async |tx| {
                attempts.fetch_add(1, Ordering::SeqCst);
                let attempt = mine.fetch_add(1, Ordering::SeqCst) + 1;
                tx.execute("UPDATE items SET v = v + 1 WHERE id = $1", &[&first])
                    .await?;
                if attempt == 1 {
                    barrier.wait().await;
                }
                tx.execute("UPDATE items SET v = v + 1 WHERE id = $1", &[&second])
                    .await?;
                Ok::<_, Error>(())
            })
            .await
        }
    };
    let (a, b) = tokio::join!(task(1, 2), task(2, 1));
    a.unwrap();
    b.unwrap();
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        3,
        "one retry, for the victim"
    );
    let rows = pool
        .query("SELECT v FROM items ORDER BY id", &[])
        .await
        .unwrap();
    let v: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(v, [2, 2], "both transactions committed once");
}

#[tokio::test]
async fn deferrable_reaches_the_server() {
    let db = database("tx_deferrable").await;
    let pool = pool_with(&db, |_| {}).await;
    let opts = TxOptions::isolation(IsolationLevel::Serializable)
        .read_only()
        .deferrable();
    let (deferrable, read_only): (String, String) = with_tx_opts(&pool, opts, async |tx| {
        let d = tx.query_one("SHOW transaction_deferrable", &[]).await?;
        let r = tx.query_one("SHOW transaction_read_only", &[]).await?;
        Ok::<_, Error>((d.get(0), r.get(0)))
    })
    .await
    .unwrap();
    assert_eq!((deferrable.as_str(), read_only.as_str()), ("on", "on"));
}

#[tokio::test]
async fn a_connection_begins_at_each_isolation_level() {
    let db = database("tx_levels").await;
    let pool = pool_with(&db, |_| {}).await;
    setup(&pool).await;
    let mut conn = pool.get().await.unwrap();
    for (level, shown) in [
        (IsolationLevel::ReadUncommitted, "read uncommitted"),
        (IsolationLevel::ReadCommitted, "read committed"),
        (IsolationLevel::RepeatableRead, "repeatable read"),
        (IsolationLevel::Serializable, "serializable"),
    ] {
        let tx = conn.begin_with(TxOptions::isolation(level)).await.unwrap();
        assert_eq!(format!("{tx:?}"), "Transaction { .. }");
        let row = tx
            .query_one("SHOW transaction_isolation", &[])
            .await
            .unwrap();
        assert_eq!(row.get::<_, String>(0), shown);
        // A batch runs inside the transaction, and goes with it when it is dropped.
        tx.batch_execute("INSERT INTO items (id) VALUES (1); INSERT INTO items (id) VALUES (2)")
            .await
            .unwrap();
        let n: i64 = tx
            .query_one("SELECT count(*) FROM items", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 2);
        drop(tx);
        assert_eq!(count(&pool).await, 0);
    }
}

#[tokio::test]
async fn with_tx_on_a_connection_commits_and_rolls_back() {
    let db = database("tx_on_conn").await;
    let pool = pool_with(&db, |_| {}).await;
    setup(&pool).await;
    let mut conn = pool.get().await.unwrap();
    with_tx(&mut conn, async |tx| {
        tx.execute("INSERT INTO items (id) VALUES (1)", &[]).await
    })
    .await
    .unwrap();
    let err = with_tx(&mut conn, async |tx| {
        tx.execute("INSERT INTO items (id) VALUES (2)", &[]).await?;
        Err::<(), _>(Error::custom("the rider cancelled"))
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Custom);
    // The same connection goes on, outside any transaction.
    let ids: Vec<i32> = conn
        .query("SELECT id FROM items ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, [1]);
    // A savepoint needs a transaction block: none is left open.
    let err = conn.batch_execute("SAVEPOINT s").await.unwrap_err();
    assert_eq!(err.code(), Some("25P01"), "{err}");
}

#[tokio::test]
async fn a_statement_is_bounded_by_the_query_timeout_when_it_ends_before_the_transaction() {
    let db = database("tx_shorter_query").await;
    let pool = pool_with(&db, |c| {
        c.query_timeout = Some(std::time::Duration::from_millis(200));
    })
    .await;
    let opts = TxOptions {
        timeout: Some(std::time::Duration::from_secs(3600)),
        ..TxOptions::default()
    };
    let run = with_tx_opts(&pool, opts, async |tx| {
        tx.execute("SELECT pg_sleep(60)", &[]).await
    });
    let err = tokio::time::timeout(std::time::Duration::from_secs(50), run)
        .await
        .expect("the query timeout must end the statement")
        .unwrap_err();
    assert_eq!(err.timeout_kind(), Some(txova_db::Timeout::Query), "{err}");
    assert!(err.to_string().contains("query timeout of 200ms"), "{err}");
}

#[tokio::test]
async fn a_connection_whose_transaction_timed_out_is_not_reused() {
    let db = database("tx_conn_broken").await;
    let pool = pool_with(&db, |c| {
        c.max_connections = 1;
        c.query_timeout = Some(std::time::Duration::from_millis(200));
    })
    .await;
    let mut conn = pool.get().await.unwrap();
    let first: i32 = conn
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let run = with_tx(&mut conn, async |tx| {
        tx.execute("SELECT pg_sleep(60)", &[]).await
    });
    let err = tokio::time::timeout(std::time::Duration::from_secs(50), run)
        .await
        .expect("the query timeout must end the statement")
        .unwrap_err();
    assert_eq!(err.timeout_kind(), Some(txova_db::Timeout::Query), "{err}");
    // Its session may still hold the transaction: it is closed, not handed out again.
    drop(conn);
    let next: i32 = pool
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    assert_ne!(next, first);
}
