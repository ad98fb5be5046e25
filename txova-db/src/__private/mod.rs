//! Support for the code the macros generate. Not a public API: it may change in any release.

#![doc(hidden)]

mod bind;
mod check;
mod compound;
pub mod entry;
mod expr;
mod function;
mod ops;
mod pg_enum;
mod read;
mod sql;
mod window;

pub use bind::*;
pub use check::*;
pub use compound::*;
pub use expr::*;
pub use function::*;
pub use ops::*;
pub use pg_enum::*;
pub use read::*;
pub use sql::*;
pub use window::*;

use tokio_postgres::Row;
use tokio_postgres::types::{FromSqlOwned, Type};

pub use crate::postgres::{
    Assignable, Column, ColumnInfo, Comparable, ComparableList, FromRow, Param, Query, Statement,
    Table, ToSql,
};
pub use crate::{Error, Result};
pub use core::option::Option;
pub use core::result::Result::{Err, Ok};
pub use std::vec::Vec;
pub use tokio_postgres::Row as PgRow;
pub use tokio_postgres::types::Type as PgType;
