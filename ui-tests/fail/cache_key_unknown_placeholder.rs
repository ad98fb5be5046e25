txova_db::cache_keys! {
    fn user_profile(id: u64) -> u32 = "user:profile:{user_id}";
}

fn main() {}
