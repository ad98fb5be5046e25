#[txova_db::test]
fn not_async(_pool: txova_db::postgres::Pool) {}

#[txova_db::test(schema = "x")]
async fn unknown_argument(_pool: txova_db::postgres::Pool) {}

fn main() {}
