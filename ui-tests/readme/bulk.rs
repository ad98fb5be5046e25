//! block: use txova_db::postgres::{copy_in, copy_in_stream, insert_rows};
#![allow(unused, dead_code, unused_imports, unused_variables)]

use std::time::Duration;
use txova_db::postgres::*;
use txova_db::redis::*;
use txova_db::{Error, Table, select};
use uuid::Uuid;
use futures_util::TryStreamExt as _;
use serde::{Deserialize, Serialize};

#[derive(txova_db::PgEnum, Debug, Clone, Copy, PartialEq)]
#[pg_enum(name = "driver_state")]
enum State {
    Online,
    Offline,
}

#[derive(Table, Debug, Clone)]
#[table(name = "drivers")]
struct Driver {
    #[column(primary_key, default)]
    id: i64,
    name: String,
    state: State,
    rating: Option<i32>,
}

#[derive(Table, Debug, Clone)]
#[table(name = "trips")]
struct Trip {
    #[column(primary_key, default)]
    id: i64,
    code: String,
}

fn parse_trip(line: String) -> Trip {
    Trip { id: 0, code: line }
}

fn make_trip(i: i32) -> Trip {
    Trip { id: 0, code: i.to_string() }
}

async fn block(
    pool: Pool,
    drivers: Vec<Driver>,
    trips: Vec<Trip>,
    upload: impl futures_util::Stream<Item = Result<String, std::io::Error>> + Send,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
// README BLOCK
    Ok(())
}

fn main() {}
