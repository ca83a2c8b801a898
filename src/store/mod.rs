//! Persistence: the only module that knows SQL (rusqlite).
pub mod bundle;
pub mod log;
