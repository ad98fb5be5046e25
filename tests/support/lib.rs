//! Shared helpers of the integration tests.

pub mod cluster;
pub mod redis_env;
