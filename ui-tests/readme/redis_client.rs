//! block: let cluster = Client::new
#![allow(unused, dead_code, unused_imports, unused_variables)]

use std::time::Duration;
use txova_db::postgres::*;
use txova_db::redis::*;
use txova_db::{Error, Table, select};



async fn block() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
// README BLOCK
    Ok(())
}

fn main() {}
