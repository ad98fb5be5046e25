txova_db::cache_keys! {
    fn user_profile(id: u64) -> u32 = "User:Profile:{id}";
}

fn main() {}
