txova_db::cache_keys! {
    fn a(id: u64) -> u32 = "user::{id}";
    fn b(id: u64) -> u32 = "{id}:profile";
    fn c(id: u64) -> u32 = "user:page-{id}";
    fn d() -> u32 = "user";
}

fn main() {}
