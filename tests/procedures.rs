//! The procedures of RULES §9 beyond one plain round, table-driven at
//! every boundary (at, one below, one above), each checked against an
//! oracle: a section of a paper against the one-contest round file with
//! the same facts and ballots; a group tally against the sum of the
//! groups' own tallies; a reviewed list against the proposed list.

use std::process::Command;

use serde_json::{json, Value};

use scrutineer::report::procedures;
use scrutineer::rules::{self, paper, roundfile};

fn file(overrides: Value, body: Value) -> String {
    let mut v = json!({"method": {"preset": "grassroots-2020", "overrides": overrides}});
    for (k, x) in body.as_object().expect("object") {
        v[k] = x.clone();
    }
    v.to_string()
}

/// Parse and decide a file of any shape; the result JSON.
fn tally(text: &str) -> Value {
    let f = roundfile::parse_any(text, None).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let s = match f {
        roundfile::TallyFile::Round(f) => {
            let r = rules::evaluate(&f.method, &f.round, &f.ballots);
            procedures::round_to_string(&f, &r)
        }
        roundfile::TallyFile::Paper(f) => {
            let r = paper::evaluate_paper(&f.method, &f.paper, &f.ballots);
            procedures::paper_to_string(&f.method, &f.paper, &r)
        }
    };
    serde_json::from_str(&s).expect("json")
}

fn refused(text: &str) -> String {
    roundfile::parse_any(text, None)
        .expect_err("refused")
        .to_string()
}

fn status(v: &Value) -> &str {
    v["status"].as_str().expect("status")
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn times(n: usize, b: &str) -> Vec<Value> {
    vec![Value::String(b.to_string()); n]
}

// ---- §9.7 one paper, several contests -------------------------------------

const SECTIONS: [(&str, &str, u64, &[&str]); 3] = [
    ("secretary", "书记", 1, &["张三"]),
    ("deputy_secretary", "副书记", 1, &["李四"]),
    ("committee", "委员", 2, &["王五", "赵六", "钱七"]),
];

fn paper_json(entitled: u64, present: u64, extra: Value) -> Value {
    let sections: Vec<Value> = SECTIONS
        .iter()
        .map(|(office, contest, seats, c)| {
            json!({"office": office, "contest": contest, "seats": seats, "candidates": c})
        })
        .collect();
    let mut p = json!({"entitled": entitled, "present": present, "sections": sections});
    for (k, x) in extra.as_object().expect("object") {
        p[k] = x.clone();
    }
    p
}

/// The one-contest round file of section `i` with the paper's facts and
/// that section's ballots (a void paper is a void ballot).
fn section_oracle(p: &Value, ballots: &[Value], i: usize) -> Value {
    let s = &p["sections"][i];
    let mut round = json!({
        "kind": "formal", "office": s["office"], "contest": s["contest"],
        "seats": s["seats"], "candidates": s["candidates"],
        "entitled": p["entitled"], "present": p["present"],
    });
    for k in ["issued", "returned", "replaced", "voted"] {
        if !p[k].is_null() {
            round[k] = p[k].clone();
        }
    }
    let mine: Vec<Value> = ballots
        .iter()
        .map(|b| match b {
            Value::String(s) => json!(s.split('|').nth(i).expect("section")),
            Value::Object(o) if o.contains_key("void") => b.clone(),
            Value::Object(o) => o["sections"][i].clone(),
            _ => unreachable!(),
        })
        .collect();
    tally(&file(json!({}), json!({"round": round, "ballots": mine})))
}

#[test]
fn each_section_is_counted_as_its_own_contest() {
    // (label, ballots, expected per-section status)
    let at = 43; // more than half of 84
                 // `sec` ballots for 书记 only, `com` for 副书记 with `marks` in 委员.
    let mixed = |sec: usize, com: usize, marks: &str| -> Vec<Value> {
        let mut b = times(sec, "Y|N|NNN");
        b.extend(times(com, &format!("N|Y|{marks}")));
        b.extend(times(80 - sec - com, "N|N|NNN"));
        b
    };
    let cases: &[(&str, Vec<Value>, [&str; 3])] = &[
        // 书记 at the threshold, one below, one above.
        (
            "at",
            mixed(at, 0, "NNN"),
            ["complete", "shortfall", "shortfall"],
        ),
        (
            "below",
            mixed(at - 1, 0, "NNN"),
            ["shortfall", "shortfall", "shortfall"],
        ),
        (
            "above",
            mixed(at + 1, 0, "NNN"),
            ["complete", "shortfall", "shortfall"],
        ),
        // 委员: 2 seats; 2 marks valid, 3 marks an overvote that voids the
        // 委员 section only (副书记 still counts the paper), 1 mark valid.
        (
            "two marks",
            mixed(0, at, "YYN"),
            ["shortfall", "complete", "complete"],
        ),
        (
            "overvote",
            mixed(0, at, "YYY"),
            ["shortfall", "complete", "shortfall"],
        ),
        (
            "one mark",
            mixed(0, at, "YNN"),
            ["shortfall", "complete", "shortfall"],
        ),
    ];
    for (label, ballots, want) in cases {
        let p = paper_json(84, 80, json!({}));
        let v = tally(&file(json!({}), json!({"paper": p, "ballots": ballots})));
        for (i, want) in want.iter().enumerate() {
            let section = &v["sections"][i];
            let oracle = section_oracle(&p, ballots, i);
            assert_eq!(
                section, &oracle,
                "{label}: section {i} differs from its own round"
            );
            assert_eq!(status(section), *want, "{label}: section {i}");
        }
    }
}

#[test]
fn an_overvote_voids_only_its_own_section() {
    // Two for-marks on the 1-seat 书记 line cannot happen (one line); take
    // 委员: 2 seats, exactly 2 marks valid, 3 invalid, 1 valid.
    let ballots = vec![json!("Y|Y|YYN"), json!("Y|Y|YYY"), json!("Y|Y|YNN")];
    let p = paper_json(3, 3, json!({}));
    let v = tally(&file(json!({}), json!({"paper": p, "ballots": ballots})));
    assert_eq!(v["sections"][0]["ballots"]["valid"], 3);
    assert_eq!(v["sections"][1]["ballots"]["valid"], 3);
    assert_eq!(v["sections"][2]["ballots"]["valid"], 2);
    assert_eq!(v["sections"][2]["ballots"]["invalid"], 1);
    assert_eq!(
        v["ballots"],
        json!({"issued": 3, "returned": 3, "valid": 3, "invalid": 0})
    );
    // A paper declared void counts for nobody in any section.
    let ballots = vec![json!("Y|Y|YYN"), json!({"void": "署名"}), json!("Y|Y|YNN")];
    let v = tally(&file(json!({}), json!({"paper": p, "ballots": ballots})));
    for i in 0..3 {
        assert_eq!(v["sections"][i]["ballots"]["invalid"], 1, "section {i}");
        assert_eq!(v["sections"][i], section_oracle(&p, &ballots, i));
    }
    assert_eq!(v["ballots"]["invalid"], 1);
    // A section the scrutineers void on one paper: only that section.
    let ballots = vec![
        json!({"sections": ["Y", {"void": "该栏涂改"}, "YYN"]}),
        json!("Y|Y|YNN"),
    ];
    let p = paper_json(2, 2, json!({}));
    let v = tally(&file(json!({}), json!({"paper": p, "ballots": ballots})));
    assert_eq!(v["sections"][0]["ballots"]["invalid"], 0);
    assert_eq!(v["sections"][1]["ballots"]["invalid"], 1);
    assert_eq!(v["sections"][2]["ballots"]["invalid"], 0);
}

#[test]
fn the_paper_shares_one_quorum_and_one_box() {
    // (present, returned, issued, status): quorum > 4/5 of 50 (41), box ≤ issued.
    let cases: &[(u64, u64, u64, &str)] = &[
        (40, 0, 40, "no_quorum"),
        (41, 41, 41, "shortfall"),
        (41, 42, 41, "void"),
        // A replacement ballot: 42 issued for 41 present, 41 returned.
        (41, 41, 42, "shortfall"),
    ];
    for (present, returned, issued, want) in cases {
        let p = paper_json(
            50,
            *present,
            json!({"issued": issued, "returned": returned, "replaced": issued - present}),
        );
        let ballots = if *want == "shortfall" {
            times(*returned as usize, "Y|A|YNN")
        } else {
            Vec::new()
        };
        let v = tally(&file(json!({}), json!({"paper": p, "ballots": ballots})));
        assert_eq!(status(&v), *want, "{present} present {returned} returned");
        for i in 0..3 {
            let s = &v["sections"][i];
            assert_eq!(s, &section_oracle(&p, &ballots, i), "section {i}");
            if *want == "no_quorum" || *want == "void" {
                assert_eq!(status(s), *want);
            }
        }
    }
}

#[test]
fn paper_status_is_the_most_pressing_section() {
    // 书记 complete; 委员 王五 10, 赵六 5, 钱七 5 of 10 entitled (6 needed).
    let ballots: Vec<Value> = [times(5, "Y|Y|YYN"), times(5, "Y|Y|YNY")].concat();
    let p = paper_json(10, 10, json!({}));
    let v = tally(&file(json!({}), json!({"paper": p, "ballots": ballots})));
    assert_eq!(status(&v["sections"][0]), "complete");
    assert_eq!(status(&v["sections"][2]), "shortfall");
    assert_eq!(status(&v), "shortfall");
    assert_eq!(v["unfilled"], 1);
    let mut ballots = times(6, "Y|Y|YYN");
    ballots.extend(times(6, "Y|Y|YNY"));
    ballots.extend(times(6, "Y|Y|NYY"));
    let p = paper_json(18, 18, json!({}));
    let v = tally(&file(json!({}), json!({"paper": p, "ballots": ballots})));
    // 12 each for three candidates, 2 seats, 10 needed: a runoff among all three.
    assert_eq!(status(&v["sections"][0]), "complete");
    assert_eq!(status(&v["sections"][2]), "runoff_required");
    assert_eq!(status(&v), "runoff_required");
    assert_eq!(v["runoff"]["section"], 2);
    assert_eq!(names(&v["runoff"]["among"]).len(), 3);
    assert_eq!(names(&v["elected"]), vec!["张三", "李四"]);
    // A rejected list in one section (2 candidates for an equal 书记 election).
    let mut p = paper_json(10, 10, json!({}));
    p["sections"][0]["candidates"] = json!(["张三", "孙八"]);
    let v = tally(&file(
        json!({}),
        json!({"paper": p, "ballots": times(10, "YN|Y|YYN")}),
    ));
    assert_eq!(status(&v["sections"][0]), "list_rejected");
    assert_eq!(status(&v["sections"][1]), "complete");
    assert_eq!(status(&v), "list_rejected");
}

#[test]
fn paper_files_that_contradict_themselves_are_refused() {
    let p = paper_json(10, 10, json!({}));
    // (file, substrings of the message)
    let cases: Vec<(String, &[&str])> = vec![
        (
            file(json!({}), json!({"paper": p, "ballots": ["Y|Y"]})),
            &["ballots[0]", "2 sections", "expected 3"],
        ),
        (
            file(json!({}), json!({"paper": p, "ballots": ["Y|Y|YY"]})),
            &["ballots[0]", "sections[2]", "expected 3 marks"],
        ),
        (
            file(json!({}), json!({"paper": p, "ballots": [{"marks": "Y"}]})),
            &["ballots[0]", "`sections`"],
        ),
        (
            file(
                json!({}),
                json!({"paper": paper_json(10, 11, json!({})), "ballots": []}),
            ),
            &["paper.present", "11 present"],
        ),
        (
            file(
                json!({}),
                json!({"paper": {"entitled": 1, "present": 1, "sections": []}, "ballots": []}),
            ),
            &["paper.sections", "at least one section"],
        ),
        (
            file(
                json!({}),
                json!({"paper": {"entitled": 1, "present": 1, "sections": [{"seats": 0, "candidates": ["甲"]}]}}),
            ),
            &["paper.sections[0].seats", "at least 1 seat"],
        ),
        (
            file(
                json!({}),
                json!({"paper": {"entitled": 1, "present": 1, "sections": [{"seats": 1, "candidates": ["甲", "甲"]}]}}),
            ),
            &["paper.sections[0].candidates", "listed twice"],
        ),
        (
            file(json!({}), json!({"paper": p, "round": {}})),
            &["`round` and `paper`"],
        ),
        (
            file(
                json!({}),
                json!({"paper": merge(&p, json!({"returned": 2})), "ballots": ["Y|Y|YYN"]}),
            ),
            &["1 papers given", "paper.returned is 2"],
        ),
        (
            file(
                json!({}),
                json!({"paper": p, "ballots": [{"sections": ["Y", "Y", "YYN"], "void": "x"}]}),
            ),
            &["ballots[0]", "nothing else"],
        ),
    ];
    for (text, want) in &cases {
        let e = refused(text);
        for w in *want {
            assert!(e.contains(w), "{e:?} should contain {w:?}");
        }
    }
    // `sections` on a one-round file.
    let e = refused(&file(
        json!({}),
        json!({"round": {"kind": "formal", "seats": 1, "candidates": ["甲"], "entitled": 1, "present": 1},
               "ballots": [{"sections": ["Y"]}]}),
    ));
    assert!(e.contains("`sections` only on a paper"), "{e}");
}

fn merge(a: &Value, b: Value) -> Value {
    let mut a = a.clone();
    for (k, x) in b.as_object().expect("object") {
        a[k] = x.clone();
    }
    a
}

#[test]
fn the_binary_tallies_a_paper() {
    let dir = std::env::temp_dir().join(format!("scrutineer-proc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("paper.json");
    let p = paper_json(5, 5, json!({}));
    std::fs::write(
        &path,
        file(
            json!({}),
            json!({"paper": p, "ballots": times(5, "Y|Y|YYN")}),
        ),
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .arg("tally")
        .arg(&path)
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    for want in [
        "一张选票",
        "第1项：书记",
        "第3项：委员",
        "仅该项无效",
        "王五、赵六",
    ] {
        assert!(text.contains(want), "{want:?} missing:\n{text}");
    }
    // The method is printed once.
    assert_eq!(text.matches("选举办法\n（依据预设").count(), 1, "{text}");
    let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .args(["tally", "--json", "--lang", "en"])
        .arg(&path)
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["status"], "complete");
    assert_eq!(names(&v["elected"]), vec!["张三", "李四", "王五", "赵六"]);
    let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .args(["tally", "--lang", "en"])
        .arg(&path)
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("Section 3: 委员"), "{text}");
    // A CSV ballot file holds one contest: refused for a paper, exit 2.
    let csv = dir.join("b.csv");
    std::fs::write(&csv, "张三\nY\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .arg("tally")
        .arg(&path)
        .arg("--ballots")
        .arg(&csv)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("one contest"));
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- §9.2 stage sizes printed with their rule ------------------------------

#[test]
fn next_size_by_rule_rounds_up() {
    // (ratio, of, next_size)
    let cases: &[(Value, u64, u64)] = &[
        (json!({"kind": "times", "num": 2, "den": 1}), 5, 10),
        (json!({"kind": "times", "num": 3, "den": 2}), 4, 6),
        (json!({"kind": "times", "num": 3, "den": 2}), 5, 8),
        (json!({"kind": "times", "num": 3, "den": 1}), 3, 9),
        (json!({"kind": "more", "num": 3, "den": 10}), 10, 13),
        (json!({"kind": "more", "num": 3, "den": 10}), 9, 12),
        (json!({"kind": "more", "num": 3, "den": 10}), 11, 15),
        (json!({"kind": "more", "num": 1, "den": 5}), 5, 6),
        (json!({"kind": "more", "num": 1, "den": 5}), 4, 5),
        (json!({"kind": "more", "num": 1, "den": 5}), 6, 8),
        (json!({"kind": "extra", "min": 1, "max": 2}), 3, 4),
    ];
    let people: Vec<String> = (1..=20).map(|i| format!("候选{i}")).collect();
    for (ratio, of, want) in cases {
        let round = json!({
            "kind": "nomination", "seats": of, "candidates": people,
            "entitled": 20, "present": 20, "next_size": {"ratio": ratio, "of": of},
            "returned": 0,
        });
        let v = tally(&file(
            json!({"nomination_limit": "unlimited"}),
            json!({"round": round, "ballots": []}),
        ));
        assert_eq!(v["round"]["next_size"], *want, "{ratio} of {of}");
        assert_eq!(v["next_rule"]["size"]["min"], *want);
        assert_eq!(v["next_rule"]["of"], *of);
    }
    let e = refused(&file(
        json!({}),
        json!({"round": {"kind": "nomination", "seats": 1, "candidates": [], "entitled": 1, "present": 1,
                          "next_size": {"ratio": {"kind": "times", "num": 1, "den": 2}, "of": 3}}}),
    ));
    assert!(
        e.contains("round.next_size.ratio") && e.contains("num ≥ den"),
        "{e}"
    );
    let e = refused(&file(
        json!({}),
        json!({"round": {"kind": "nomination", "seats": 1, "candidates": [], "entitled": 1, "present": 1,
                          "next_size": {"ratio": {"kind": "times", "num": 2, "den": 1}}}}),
    ));
    assert!(e.contains("next_size") && e.contains("`of`"), "{e}");
}
