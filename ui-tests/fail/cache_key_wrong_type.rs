struct User;
struct Ride;

txova_db::cache_keys! {
    fn user_profile(id: u64) -> User = "user:profile:{id}";
}

fn main() {
    let _: txova_db::redis::CacheKey<Ride> = user_profile(1);
}
