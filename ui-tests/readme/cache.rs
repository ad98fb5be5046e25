//! block: let cache = Cache::new(client.clone());
#![allow(unused, dead_code, unused_imports, unused_variables)]

use std::time::Duration;
use txova_db::postgres::*;
use txova_db::redis::*;
use txova_db::{Error, Table, select};
use uuid::Uuid;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone)]
struct User;
struct Repo;
impl Repo {
    async fn find(&self, _: Uuid) -> Result<User, Error> {
        Ok(User)
    }
}
txova_db::cache_keys! {
    fn user_profile(id: Uuid) -> User = "user:profile:{id}";
}

async fn block(client: Client, id: Uuid, user: User, a: Uuid, b: Uuid, ua: User, ub: User, ttl: Duration, repo: Repo) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
// README BLOCK
    Ok(())
}

fn main() {}
