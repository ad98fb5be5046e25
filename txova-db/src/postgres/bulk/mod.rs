//! Loading many rows at once: a multi-row `INSERT` of a run-time slice ([`insert_rows`]) and
//! a typed binary `COPY ... FROM STDIN` ([`copy_in`], [`copy_in_stream`]). Both run in one transaction (or a
//! savepoint of the caller's), so a failure leaves nothing half-written.

mod copy;
mod insert;

pub use copy::{copy_in, copy_in_stream};
pub use insert::{InsertRows, insert_rows};
