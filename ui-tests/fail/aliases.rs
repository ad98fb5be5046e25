use std::marker::PhantomData;

use txova_db::{Table, select};

#[derive(Table)]
#[table(name = "employees")]
pub struct Employee {
    #[column(primary_key)]
    pub id: i64,
    pub name: String,
    pub manager_id: Option<i64>,
}

/// The type of the rows a query reads.
fn reads<R, const N: usize>(_: &txova_db::postgres::Query<'_, R, N>) -> PhantomData<R> {
    PhantomData
}

fn main() {
    // An alias is written like a table.
    let _ = select!(name from Employee as e);
    // Once aliased, a table is reached by its alias only.
    let _ = select!(Employee::name from Employee as E);
    // One table read twice needs a name for one reading.
    let _ = select!(id from Employee join Employee on Employee::id = Employee::manager_id);
    // Two readings cannot share a name.
    let _ = select!(id from Employee as Boss join Employee as Boss on Boss::id = Boss::manager_id);
    // An alias the query does not declare.
    let _ = select!(Boss::name from Employee);
    // Each reading of a table is grouped on its own: `Employee::name` is not `Boss::name`.
    let _ = select!(Employee::name, count(*) from Employee
        join Employee as Boss on Boss::id = Employee::manager_id group by Boss::name);
    // The alias's column has the table's type.
    let _: PhantomData<(String, i32)> = reads(&select!(Employee::name, Boss::id from Employee
        join Employee as Boss on Boss::id = Employee::manager_id));
    // A left-joined alias is nullable; the other reading of the same table is not.
    let q = select!(Employee::id, Boss::manager_id from Employee
        left join Employee as Boss on Boss::id = Employee::manager_id where Boss::name is null
        and Employee::name is null);
    let _ = q;
}
