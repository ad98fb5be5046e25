//! block: struct InsufficientBalance;
#![allow(unused, dead_code, unused_imports, unused_variables)]

use std::time::Duration;
use txova_db::postgres::*;
use txova_db::redis::*;
use rust_decimal::Decimal;
use txova_db::{Error, Table, insert, select};
use uuid::Uuid;
use serde::{Deserialize, Serialize};

#[derive(Table)]
#[table(name = "payments")]
struct Payment {
    #[column(primary_key)]
    id: i64,
    amount: rust_decimal::Decimal,
}

async fn block(pool: Pool, price: rust_decimal::Decimal, charge: Payment) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
// README BLOCK
    Ok(())
}

fn main() {}
