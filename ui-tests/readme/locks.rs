//! block: let locker = Locker::new(client.clone());
#![allow(unused, dead_code, unused_imports, unused_variables)]

use std::time::Duration;
use txova_db::postgres::*;
use txova_db::redis::*;
use txova_db::{Error, Table, select};
use uuid::Uuid;
use serde::{Deserialize, Serialize};

#[derive(Debug)]
enum AssignError {
    LockLost,
    Lock(Error),
}
impl std::fmt::Display for AssignError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "assign")
    }
}
impl std::error::Error for AssignError {}
impl From<Error> for AssignError {
    fn from(e: Error) -> Self {
        AssignError::Lock(e)
    }
}
async fn assign_driver(_: i64, _: u64) -> Result<(), AssignError> {
    Ok(())
}

async fn block(client: Client, ride_id: i64, ttl: Duration) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
// README BLOCK
    Ok(())
}

fn main() {}
