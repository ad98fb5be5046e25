//! block: // INSERT INTO drivers (name, rating) VALUES
#![allow(unused, dead_code, unused_imports, unused_variables)]

use std::time::Duration;
use txova_db::postgres::{self, *};
use txova_db::redis::*;
use txova_db::{Error, Table, select};
use uuid::Uuid;
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

struct Params {
    rating: Option<i32>,
    go_online: bool,
}

async fn block(pool: Pool, name: &'static str, params: Params) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
// README BLOCK
    Ok(())
}

fn main() {}
