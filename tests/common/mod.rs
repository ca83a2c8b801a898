//! Shared helpers for the integration tests: build a round file as JSON,
//! run it through the parser and the rule engine, and return the contract
//! result as JSON.
#![allow(dead_code)]

pub mod bundle;
pub mod http;
pub mod meeting;
pub mod server;
pub mod signing;
pub mod stage;
pub mod webdriver;

use serde_json::{json, Value};

use scrutineer::report;
use scrutineer::rules::{self, roundfile};

/// A round file under `preset` with `overrides`, a `round` object and ballots.
pub fn file(preset: &str, overrides: Value, round: Value, ballots: Value) -> String {
    json!({
        "method": { "preset": preset, "overrides": overrides },
        "round": round,
        "ballots": ballots,
    })
    .to_string()
}

/// Parse and decide a round file; the contract JSON of the result.
pub fn tally_text(text: &str) -> Value {
    let f = roundfile::parse(text, None).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let r = rules::evaluate(&f.method, &f.round, &f.ballots);
    serde_json::from_str(&report::json::to_string(&f.method, &f.round, &r)).unwrap()
}

pub fn tally(preset: &str, overrides: Value, round: Value, ballots: Value) -> Value {
    tally_text(&file(preset, overrides, round, ballots))
}

/// `n` copies of one ballot.
pub fn times(n: usize, ballot: &str) -> Vec<Value> {
    vec![Value::String(ballot.to_string()); n]
}

/// Ballots from (count, marks) pairs.
pub fn ballots(groups: &[(usize, &str)]) -> Value {
    Value::Array(groups.iter().flat_map(|(n, b)| times(*n, b)).collect())
}

pub fn names(v: &Value) -> Vec<String> {
    let mut n: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    n.sort();
    n
}

pub fn for_votes(v: &Value, name: &str) -> u64 {
    v["tally"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["name"] == name))
        .and_then(|r| r["for"].as_u64())
        .unwrap_or_else(|| panic!("no row {name} in {v}"))
}
