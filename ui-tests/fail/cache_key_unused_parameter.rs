txova_db::cache_keys! {
    fn ride_page(user: u64, page: u32) -> u32 = "ride:history:list:user:{user}";
}

fn main() {}
