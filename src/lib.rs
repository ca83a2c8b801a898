//! scrutineer: ballot counting for party elections (党内选举计票).
pub mod count;
pub mod rules;
