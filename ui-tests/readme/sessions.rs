//! block: let sessions = SessionStore::new(client.clone(), &secret)?;
#![allow(unused, dead_code, unused_imports, unused_variables)]

use std::time::Duration;
use txova_db::postgres::*;
use txova_db::redis::*;
use txova_db::{Error, Table, select};
use uuid::Uuid;
use serde::{Deserialize, Serialize};



async fn block(client: Client, secret: Vec<u8>, user_id: String, device_id: String, device_info: String, ip_address: String, id: String, new_data: SessionData) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
// README BLOCK
    Ok(())
}

fn main() {}
