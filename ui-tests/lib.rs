//! Compile-pass and compile-fail cases of the txova-db macros, run by `ui.rs`.
