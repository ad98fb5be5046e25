//! block: let query = postgres::select("users")
#![allow(unused, dead_code, unused_imports, unused_variables)]

use std::time::Duration;
use txova_db::postgres::*;
use txova_db::redis::*;
use txova_db::{Error, Table, select};
use uuid::Uuid;
use serde::{Deserialize, Serialize};



async fn block(pool: Pool, cutoff: chrono::DateTime<chrono::Utc>) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
// README BLOCK
    Ok(())
}

fn main() {}
