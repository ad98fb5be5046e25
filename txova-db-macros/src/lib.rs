//! Procedural macros for `txova-db`. Use them through the `txova_db` crate, which re-exports
//! them; the generated code refers to `::txova_db::__private`.
