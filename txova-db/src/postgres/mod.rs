//! PostgreSQL: the connection pool, transactions and the statement helpers.

mod config;
mod executor;
mod pool;
mod query;
mod schema;
mod tls;
mod tx;
mod verify;

pub use config::Config;
pub use executor::{Executor, Param, RowStream};
pub(crate) use pool::connect;
pub use pool::{Connection, Pool, PoolStatus};
pub use query::{FromRow, Query, Statement};
pub use schema::{Assignable, Column, ColumnInfo, Comparable, ComparableList, Table};
pub use tx::{
    IsolationLevel, Transaction, TxOptions, TxSource, with_tx, with_tx_opts, with_tx_retry,
};
pub use verify::{SchemaDifference, TableInfo, verify_schema, verify_tables};

pub use tokio_postgres::Row;
#[cfg(feature = "json")]
pub use tokio_postgres::types::Json;
pub use tokio_postgres::types::{FromSql, ToSql};
