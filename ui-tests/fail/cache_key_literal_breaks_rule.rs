txova_db::cache_keys! {
    fn a(id: u64) -> u32 = "svc:two words:{id}";
    fn b(id: u64) -> u32 = "svc:line\nbreak:{id}";
    fn c(id: u64) -> u32 = "svc:{id}:caf\u{e9}";
}

fn main() {}
