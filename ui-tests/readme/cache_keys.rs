//! block: txova_db::cache_keys! {
#![allow(unused, dead_code, unused_imports, unused_variables)]

use std::time::Duration;
use txova_db::postgres::*;
use txova_db::redis::*;
use txova_db::{Error, Table, select};
use uuid::Uuid;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct User;
#[derive(Serialize, Deserialize)]
struct Ride;
#[derive(Serialize, Deserialize)]
struct Pricing;

async fn block(id: Uuid) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
// README BLOCK
    Ok(())
}

fn main() {}
