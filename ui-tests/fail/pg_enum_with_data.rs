use txova_db::PgEnum;

#[derive(PgEnum, Debug)]
#[pg_enum(name = "state", nmae = "x")]
pub enum State {
    Active,
    Paused(u32),
}

fn main() {}
