//! The exported audit bundle, read and checked the way an auditor would:
//! with the library's zip reader and verifier (`bundle_io`,
//! `log::verify`, the same code as `scrutineer verify`), with the real
//! `scrutineer verify` binary, and by recounting every round through
//! `scrutineer tally` (an independent path through the CLI).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::{json, Map, Value};

use scrutineer::bundle_io::bundle_from_zip;
use scrutineer::log::bundle::Bundle;
use scrutineer::log::entry::Entry;
use scrutineer::log::event::{self, Event};
use scrutineer::log::verify::{verify, Step, VerifyReport};
use scrutineer::rules::Ballot;

/// The bundle in an exported zip.
pub fn read(zip: &[u8]) -> Bundle {
    bundle_from_zip(zip).unwrap_or_else(|e| panic!("the exported zip does not read: {e}"))
}

/// Verifies `bundle` with the library; panics with every failure if it
/// does not verify.
pub fn verified(bundle: &Bundle) -> VerifyReport {
    let r = verify(bundle);
    assert!(
        r.is_verified(),
        "the bundle does not verify:\n{}",
        r.failures()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    r
}

/// The events of the bundle's entries, in log order.
pub fn events(bundle: &Bundle) -> Vec<Event> {
    bundle
        .parts()
        .entries
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            let entry = Entry::decode(bytes).unwrap_or_else(|e| panic!("entry {i}: {e}"));
            event::decode(entry.payload()).unwrap_or_else(|e| panic!("entry {i}: {e}"))
        })
        .collect()
}

/// Runs the real `scrutineer verify` on `zip` written to a file in `dir`:
/// exit 0, every step passed, and every name of `cosigners` printed.
/// Returns its stdout.
pub fn verify_with_cli(dir: &Path, zip: &[u8], cosigners: &[&str]) -> String {
    let path = dir.join("bundle.zip");
    std::fs::write(&path, zip).expect("write the bundle");
    let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .arg("verify")
        .arg(&path)
        .output()
        .expect("run scrutineer verify");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "scrutineer verify: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in Step::ALL {
        let line = format!("✓ {}. {}", step.number(), step.zh());
        assert!(stdout.contains(&line), "no {line:?} in:\n{stdout}");
    }
    for name in cosigners {
        assert!(
            stdout.contains(name),
            "cosigner {name} not named in:\n{stdout}"
        );
    }
    assert!(stdout.contains("核验通过"), "{stdout}");
    stdout
}

fn ballot_json(b: &Ballot) -> Value {
    match b {
        Ballot::Void { reason } => json!({ "void": reason }),
        Ballot::Marked {
            marks,
            write_ins,
            names,
        } => {
            let m: String = marks.iter().map(|m| m.as_char()).collect();
            if write_ins.is_empty() && names.is_empty() {
                return Value::String(m);
            }
            let mut o = Map::new();
            o.insert("marks".into(), Value::String(m));
            if !write_ins.is_empty() {
                let ins: Map<String, Value> = write_ins
                    .iter()
                    .map(|(l, n)| (l.to_string(), Value::String(n.clone())))
                    .collect();
                o.insert("write_ins".into(), Value::Object(ins));
            }
            if !names.is_empty() {
                o.insert("names".into(), json!(names));
            }
            Value::Object(o)
        }
    }
}

/// For every tallied round of the log: the round file an auditor would
/// rebuild from the events (method, facts, reconciled ballots, returned)
/// and the result record the service signed (as JSON).
pub fn round_files(events: &[Event]) -> Vec<(String, Value, Value)> {
    let mut method = json!(null);
    let mut opened: BTreeMap<String, Value> = BTreeMap::new();
    let mut ballots: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut returned: BTreeMap<String, u64> = BTreeMap::new();
    let mut out = Vec::new();
    for e in events {
        match e {
            Event::MethodAdopted {
                preset, overrides, ..
            } => method = json!({ "preset": preset, "overrides": overrides }),
            Event::RoundOpened { round, .. } => {
                let facts = event::round_of(e, None).expect("a round_opened event");
                opened.insert(round.clone(), json!(facts));
            }
            Event::BallotBatch {
                round, ballots: b, ..
            } => ballots.entry(round.clone()).or_default().extend(
                b.to_ballots()
                    .expect("decodable batch")
                    .iter()
                    .map(ballot_json),
            ),
            Event::RoundClosed {
                round, returned: r, ..
            } => {
                returned.insert(round.clone(), *r);
            }
            Event::TallyPublished { round, record } => {
                let mut facts = opened.get(round).cloned().expect("opened before tallied");
                facts["returned"] = json!(returned.get(round).copied().unwrap_or(0));
                let counted = scrutineer::log::record::counted(record);
                let result = serde_json::to_value(record).expect("a record");
                let file = json!({
                    "method": method,
                    "round": facts,
                    "ballots": if counted { ballots.get(round).cloned().unwrap_or_default() } else { Vec::new() },
                });
                out.push((round.clone(), file, result.clone()));
            }
            _ => {}
        }
    }
    out
}

/// The signed record of a round file's tally, after checking that
/// `scrutineer tally FILE --json` prints the contract result the library
/// renders for it (the CLI's output is the contract; the log signs the
/// record of the same decision).
pub fn record_with_cli(dir: &Path, name: &str, round_file: &Value) -> Value {
    let printed = tally_with_cli(dir, name, round_file);
    let file =
        scrutineer::rules::roundfile::parse(&round_file.to_string(), None).expect("a round file");
    let result = scrutineer::rules::evaluate(&file.method, &file.round, &file.ballots);
    let doc = serde_json::to_value(scrutineer::report::json::document(
        &file.method,
        &file.round,
        &result,
    ))
    .expect("a result");
    assert_eq!(printed, doc, "scrutineer tally {name}");
    serde_json::to_value(scrutineer::log::record::record(
        &file.method,
        &file.round,
        &result,
    ))
    .expect("a record")
}

/// Runs `scrutineer tally FILE --json` on a round file.
pub fn tally_with_cli(dir: &Path, name: &str, round_file: &Value) -> Value {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, round_file.to_string()).expect("write round file");
    let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .arg("tally")
        .arg(&path)
        .arg("--json")
        .output()
        .expect("run scrutineer tally");
    assert!(
        out.status.success(),
        "tally failed: {}\n{round_file}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("tally --json output")
}
