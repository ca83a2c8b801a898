//! scrutineer: ballot counting for party elections (党内选举计票).
pub mod cli;
pub mod count;
pub mod http;
pub mod log;
pub mod report;
pub mod rules;
pub mod service;
pub mod store;
