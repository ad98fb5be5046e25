txova_db::sql_function! {
    fn a(x: Option<String>) -> String;
    fn b<T>(x: T) -> T;
    fn c(x: i32);
    fn d(self) -> i32;
}

fn main() {}
