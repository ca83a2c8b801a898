//! Reading and checking an exported audit bundle the way an auditor would:
//! from the files alone, with the library's pure verifiers (until the
//! `verify` command lands, this is the test-side verifier).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::{json, Map, Value};

use scrutineer::log::checkpoint::Checkpoint;
use scrutineer::log::cosignature::CosignatureQuorum;
use scrutineer::log::entry::Entry;
use scrutineer::log::event::{self, Event};
use scrutineer::log::merkle::{Tree, TreeSize};
use scrutineer::log::note::{Note, VerifierKey};
use scrutineer::rules::Ballot;

/// The files of a zip of stored entries.
pub fn unzip(z: &[u8]) -> Vec<(String, Vec<u8>)> {
    let u16_at = |i: usize| u16::from_le_bytes([z[i], z[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes([z[i], z[i + 1], z[i + 2], z[i + 3]]) as usize;
    let end = z.len() - 22;
    assert_eq!(&z[end..end + 4], b"PK\x05\x06", "end of central directory");
    let count = u16_at(end + 10);
    let mut at = u32_at(end + 16);
    let mut files = Vec::with_capacity(count);
    for _ in 0..count {
        assert_eq!(&z[at..at + 4], b"PK\x01\x02", "central directory record");
        assert_eq!(u16_at(at + 10), 0, "stored, not compressed");
        let size = u32_at(at + 20);
        let name_len = u16_at(at + 28);
        let skip = name_len + u16_at(at + 30) + u16_at(at + 32);
        let local = u32_at(at + 42);
        let name = String::from_utf8(z[at + 46..at + 46 + name_len].to_vec()).expect("UTF-8 name");
        let data_at = local + 30 + u16_at(local + 26) + u16_at(local + 28);
        files.push((name, z[data_at..data_at + size].to_vec()));
        at += 46 + skip;
    }
    files
}

/// What a verified bundle says.
#[derive(Debug)]
pub struct Verified {
    pub size: u64,
    pub events: Vec<Event>,
    /// Round → (certified per the quorum rule, number of cosigners).
    pub results: BTreeMap<String, (bool, usize)>,
}

fn file<'a>(files: &'a [(String, Vec<u8>)], name: &str) -> Result<&'a [u8], String> {
    files
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, b)| b.as_slice())
        .ok_or_else(|| format!("missing {name}"))
}

/// Checks a bundle: every entry signed by the log key and decodable, the
/// tree recomputed from the entry bytes matches the signed checkpoint, every
/// result checkpoint is consistent with it and carries the cosignatures.
pub fn verify(files: &[(String, Vec<u8>)]) -> Result<Verified, String> {
    let meeting: Value =
        serde_json::from_slice(file(files, "meeting.json")?).map_err(|e| e.to_string())?;
    let origin = meeting["origin"].as_str().ok_or("origin")?;
    let vkey_text =
        String::from_utf8(file(files, "log.vkey")?.to_vec()).map_err(|e| e.to_string())?;
    let log_key = VerifierKey::parse(vkey_text.trim()).map_err(|e| e.to_string())?;
    let mut entries: Vec<&(String, Vec<u8>)> = files
        .iter()
        .filter(|(n, _)| n.starts_with("entries/"))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut tree = Tree::new();
    let mut events = Vec::new();
    for (i, (name, bytes)) in entries.iter().enumerate() {
        if *name != format!("entries/{i:08}.entry") {
            return Err(format!("entry {i} is named {name}"));
        }
        let e = Entry::decode(bytes).map_err(|e| format!("{name}: {e}"))?;
        e.verify_signature().map_err(|e| format!("{name}: {e}"))?;
        if e.author() != log_key.public_key().as_bytes() {
            return Err(format!("{name}: not signed by the log key"));
        }
        events.push(event::decode(e.payload()).map_err(|e| format!("{name}: {e}"))?);
        tree.append(bytes);
    }
    let note =
        String::from_utf8(file(files, "checkpoint.note")?.to_vec()).map_err(|e| e.to_string())?;
    let (c, _) =
        Checkpoint::open(&note, origin, &log_key).map_err(|e| format!("checkpoint: {e}"))?;
    if c.size() != tree.size() || c.root() != tree.root() {
        return Err(format!(
            "checkpoint says size {} but the entries give {} with another root",
            c.size(),
            tree.size()
        ));
    }
    let mut results = BTreeMap::new();
    for (name, bytes) in files {
        let Some(round) = name
            .strip_prefix("results/")
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        let meta: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let text = String::from_utf8(file(files, &format!("results/{round}.note"))?.to_vec())
            .map_err(|e| e.to_string())?;
        let (rc, _) =
            Checkpoint::open(&text, origin, &log_key).map_err(|e| format!("{round}: {e}"))?;
        if tree.root_at(rc.size()).map_err(|e| e.to_string())? != rc.root() {
            return Err(format!(
                "{round}: result checkpoint is not a prefix of the log"
            ));
        }
        let keys: Vec<VerifierKey> = meta["cosigners"]
            .as_array()
            .ok_or("cosigners")?
            .iter()
            .map(|k| VerifierKey::parse(k.as_str().unwrap_or("")).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        let n = keys.len();
        let required = meta["required"].as_u64().unwrap_or(1) as usize;
        let note = Note::parse(&text).map_err(|e| e.to_string())?;
        let report = if n == 0 {
            (false, 0)
        } else {
            let q = CosignatureQuorum::new(required, keys).map_err(|e| e.to_string())?;
            let r = q.check(&note).map_err(|e| format!("{round}: {e}"))?;
            (r.is_met(), r.cosigned_by.len())
        };
        if report.0 != (meta["certified"] == json!(true)) {
            return Err(format!(
                "{round}: certified flag disagrees with the cosignatures"
            ));
        }
        // The tally must be inside the checkpoint the scrutineers signed.
        let tally = meta["tally_index"].as_u64().ok_or("tally_index")?;
        if TreeSize(tally + 1) != rc.size() {
            return Err(format!(
                "{round}: the signed checkpoint does not end at the tally"
            ));
        }
        results.insert(round.to_string(), report);
    }
    Ok(Verified {
        size: tree.size().0,
        events,
        results,
    })
}

fn ballot_json(b: &Ballot) -> Value {
    match b {
        Ballot::Void { reason } => json!({ "void": reason }),
        Ballot::Marked { marks, write_ins } => {
            let m: String = marks.iter().map(|m| m.as_char()).collect();
            if write_ins.is_empty() {
                Value::String(m)
            } else {
                let ins: Map<String, Value> = write_ins
                    .iter()
                    .map(|(l, n)| (l.to_string(), Value::String(n.clone())))
                    .collect();
                json!({ "marks": m, "write_ins": ins })
            }
        }
    }
}

/// For every tallied round of the log: the round file an auditor would
/// rebuild from the events (method, facts, reconciled ballots, returned)
/// and the result the service published.
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
            Event::RoundOpened {
                round,
                contest,
                kind,
                office,
                seats,
                candidates,
                next_size,
                entitled,
                present,
                issued,
                ..
            } => {
                opened.insert(
                    round.clone(),
                    json!({
                        "kind": kind, "office": office, "contest": contest, "seats": seats,
                        "candidates": candidates, "entitled": entitled, "present": present,
                        "issued": issued, "next_size": next_size,
                    }),
                );
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
            Event::TallyPublished { round, result } => {
                let mut facts = opened.get(round).cloned().expect("opened before tallied");
                facts["returned"] = json!(returned.get(round).copied().unwrap_or(0));
                let counted = result["box_valid"] == json!(true);
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
