struct Id;

txova_db::cache_keys! {
    fn user_profile(id: Id) -> u32 = "user:profile:{id}";
}

fn main() {}
