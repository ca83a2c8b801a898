//! The shared casebook (copied into fixtures/casebook), checked through the
//! library and through the built binary, with the same normalisation as
//! `check.py`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/casebook");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.ends_with(".json") && !n.ends_with(".expected.json")
        })
        .collect();
    v.sort();
    assert!(v.len() >= 10, "casebook fixtures missing in {dir:?}");
    v
}

/// check.py's normalisation of a result.
fn normalise(r: &Value) -> Value {
    let status = r["status"].clone();
    if ["no_quorum", "void", "list_rejected"].contains(&status.as_str().unwrap()) {
        return json!({ "status": status });
    }
    let runoff = if r["runoff"].is_null() {
        Value::Null
    } else {
        json!({ "among": common::names(&r["runoff"]["among"]), "seats": r["runoff"]["seats"] })
    };
    let next_list = if r["next_list"].is_null() {
        Value::Null
    } else {
        json!(common::names(&r["next_list"]))
    };
    let mut votes = serde_json::Map::new();
    for row in r["tally"].as_array().unwrap() {
        votes.insert(
            row["name"].as_str().unwrap().to_string(),
            row["for"].clone(),
        );
    }
    json!({
        "status": status,
        "elected": common::names(&r["elected"]),
        "runoff": runoff,
        "unfilled": r["unfilled"],
        "next_list": next_list,
        "threshold": r["threshold"],
        "valid": r["ballots"]["valid"],
        "invalid": r["ballots"]["invalid"],
        "for": votes,
    })
}

fn expected(case: &Path) -> Value {
    let p = case.with_extension("expected.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn compare(case: &Path, got: &Value) {
    let want = expected(case);
    let got = normalise(got);
    for (k, v) in want.as_object().unwrap() {
        assert_eq!(&got[k], v, "{}: {k}", case.display());
    }
}

#[test]
fn casebook_through_the_library() {
    for case in cases() {
        let text = std::fs::read_to_string(&case).unwrap();
        compare(&case, &common::tally_text(&text));
    }
}

#[test]
fn casebook_through_the_binary() {
    for case in cases() {
        let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
            .args(["tally", case.to_str().unwrap(), "--json"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(got["contract"], 1);
        compare(&case, &got);
    }
}

#[test]
fn casebook_human_reports_state_the_rules() {
    for case in cases() {
        let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
            .args(["tally", case.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        // Cadre and resolution reports speak of members (应到会成员).
        let entitled = if text.contains("（票决）") || text.contains("（表决）") {
            "应到会成员"
        } else {
            "应到会有选举权人数"
        };
        // Nomination and evaluation rounds state their own participation
        // floor (参加人数), every other round the quorum (法定人数).
        let attendance = if text.contains("（民主推荐）") || text.contains("（民主测评）")
        {
            "参加人数"
        } else {
            "法定人数"
        };
        for needle in ["计票结果报告", entitled, attendance, "选举办法"] {
            assert!(
                text.contains(needle),
                "{}: no {needle} in\n{text}",
                case.display()
            );
        }
    }
}
