//! block: record_full_keys(true)
#![allow(unused, dead_code, unused_imports, unused_variables)]

use std::time::Duration;
use txova_db::postgres::*;
use txova_db::redis::*;
use txova_db::{Error, Table, select};
use uuid::Uuid;
use serde::{Deserialize, Serialize};



async fn block() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
// README BLOCK
    Ok(())
}

fn main() {}
