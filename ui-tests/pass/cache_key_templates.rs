//! Every seed convention compiles, and a key reads back its own type.
#![deny(warnings, clippy::pedantic)]

use txova_db::redis::CacheKey;

/// A user.
pub struct User;
/// A ride.
pub struct Ride;

txova_db::cache_keys! {
    /// A user's profile: `{service}:{entity}:{id}`.
    pub fn user_profile(id: u64) -> User = "user:profile:{id}";
    /// A page of a user's rides: `{service}:{entity}:list:{params}`.
    pub fn ride_history(user: &str, page: u32) -> Vec<Ride> = "ride:history:list:user:{user}:page:{page}";
    pub fn pricing(city: String) -> u32 = "pricing:config:{city}";
    pub fn all_cities() -> Vec<String> = "pricing:config:cities_all-v2";
}

fn main() {
    let _: CacheKey<User> = user_profile(1);
    let _: CacheKey<Vec<Ride>> = ride_history("u", 2);
    let _: CacheKey<u32> = pricing("maputo".to_owned());
    let _: CacheKey<Vec<String>> = all_cities();
}
