//! PostgreSQL: the connection pool, transactions and the statement helpers.

mod builder;
mod bulk;
mod config;
pub(crate) mod conn_string;
mod connection;
mod executor;
mod gate;
mod ident;
mod interval;
pub(crate) mod migrate;
pub(crate) mod observe;
pub(crate) mod placeholders;
mod pool;
mod query;
mod schema;
mod statement;
mod summary;
mod tls;
mod tx;
mod verify;

pub use builder::{
    Aggregate, AllColumns, ColumnExt, Condition, Delete, Insert, Nullable, NullableColumn,
    NullableColumns, Picked, Select, SelectItem, Selection, SortKey, TypedSelect, Update, Value,
    all_columns, count_all, delete_from, insert_into, select, select_table, update_table,
};
pub use bulk::{InsertRows, copy_in, copy_in_stream, insert_rows};
pub use config::{Config, Keepalive};
pub use connection::Connection;
pub use executor::{Executor, Param, RowStream};
pub use interval::Interval;
pub use migrate::{
    Applied, DEFAULT_MIGRATIONS_TABLE, DbVersion, Direction, EmbeddedMigrations, LockKey,
    MigrationSource, MigrationState, MigrationStatus, Migrator, MigratorConfig, Progress, Status,
    Step, StopHandle, Target,
};
pub use observe::PoolStats;
pub use pool::{Pool, PoolStatus};
pub(crate) use pool::{connect, connect_url};
pub use query::{FromRow, Query, Statement};
pub use schema::{Assignable, Column, ColumnInfo, Comparable, ComparableList, Insertable, Table};
pub use statement::StatementMode;
pub use tx::{
    IsolationLevel, Transaction, TxOptions, TxSource, with_tx, with_tx_opts, with_tx_retry,
};
pub use verify::{SchemaDifference, TableInfo, verify_schema, verify_tables};

pub use tokio_postgres::Row;
#[cfg(feature = "json")]
pub use tokio_postgres::types::Json;
pub use tokio_postgres::types::{FromSql, ToSql};
