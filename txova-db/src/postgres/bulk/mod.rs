//! Loading many rows at once: a multi-row `INSERT` of a run-time slice ([`insert_rows`]) and
//! a typed binary `COPY ... FROM STDIN` ([`copy_in`]). Both run in one transaction (or a
//! savepoint of the caller's), so a failure leaves nothing half-written.

mod copy;
mod insert;

pub use copy::copy_in;
pub use insert::{InsertRows, insert_rows};
