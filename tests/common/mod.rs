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

/// Parse and decide a round file; the contract JSON of the result. The
/// same file is also run through the built binary (`scrutineer tally
/// --json`), which must print exactly this result: every table of
/// `tests/rules.rs` is checked through the library and through the binary.
pub fn tally_text(text: &str) -> Value {
    let f = roundfile::parse(text, None).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let r = rules::evaluate(&f.method, &f.round, &f.ballots);
    let lib: Value =
        serde_json::from_str(&report::json::to_string(&f.method, &f.round, &r)).unwrap();
    let (code, out, err) = tally_binary(text);
    assert_eq!(
        code, 0,
        "scrutineer tally refused what the library read: {err}\n{text}"
    );
    let bin: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(bin, lib, "the binary and the library differ on\n{text}");
    lib
}

/// `scrutineer tally --json` on `text` written to a scratch file: exit
/// code, stdout, stderr.
pub fn tally_binary(text: &str) -> (i32, String, String) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("scrutineer-tally-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.json", N.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&path, text).unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .args(["tally", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

/// A round file the library refuses is refused by the binary too (exit
/// 2, naming the same field): the library's message.
pub fn refused_text(text: &str) -> String {
    let e = roundfile::parse_any(text, None)
        .err()
        .unwrap_or_else(|| panic!("not refused:\n{text}"))
        .to_string();
    let (code, _, err) = tally_binary(text);
    assert_eq!(
        code, 2,
        "the binary read what the library refused ({e}):\n{text}"
    );
    // The library names the file `input`, the binary its path.
    let said = e.strip_prefix("input").unwrap_or(&e);
    assert!(err.contains(said), "binary: {err}\nlibrary: {e}");
    e
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
