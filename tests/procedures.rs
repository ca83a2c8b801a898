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
            let d = rules::procedure::decide(&f).unwrap_or_else(|e| panic!("{e}\n{text}"));
            if f.extras.is_empty() && f.next_rule.is_none() {
                // A plain round file: exactly what the engine gives.
                let r = rules::evaluate(&f.method, &f.round, &f.ballots);
                assert_eq!(d.result, r);
                assert_eq!(
                    procedures::round_to_string(&f, &d),
                    scrutineer::report::json::to_string(&f.method, &f.round, &r)
                );
            }
            procedures::round_to_string(&f, &d)
        }
        roundfile::TallyFile::Paper(f) => {
            let r = paper::evaluate_paper(&f.method, &f.paper, &f.ballots);
            procedures::paper_to_string(&f.method, &f.paper, &r)
        }
    };
    let lib: Value = serde_json::from_str(&s).expect("json");
    // The built binary prints exactly this result for the same file.
    let (code, out, err) = crate::common::tally_binary(text);
    assert_eq!(code, 0, "{err}\n{text}");
    let bin: Value = serde_json::from_str(&out).expect("binary json");
    assert_eq!(bin, lib, "the binary and the library differ on\n{text}");
    lib
}

/// Refused by the library and by the binary (exit 2, same message).
fn refused(text: &str) -> String {
    crate::common::refused_text(text)
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
    assert_eq!(
        text.lines().filter(|l| l.trim() == "选举办法").count(),
        1,
        "{text}"
    );
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

// ---- §9.1, §9.5 nomination by groups, floors per electorate ----------------

const SEVEN: [&str; 7] = ["甲", "乙", "丙", "丁", "戊", "己", "庚"];

/// A nomination by members and households; `next_size` 3 unless given.
fn by_groups(members: (u64, u64, Vec<Value>), households: (u64, u64, Vec<Value>)) -> Value {
    let entitled = members.0 + households.0;
    let present = members.1 + households.1;
    json!({
        "round": {"kind": "nomination", "contest": "初步候选人", "seats": 2, "candidates": SEVEN,
                  "entitled": entitled, "present": present, "next_size": 3},
        "groups": [
            {"name": "党员推荐", "entitled": members.0, "present": members.1, "ballots": members.2},
            {"name": "农户推荐", "entitled": households.0, "present": households.1, "ballots": households.2},
        ],
    })
}

fn group_oracle(body: &Value, j: usize, overrides: &Value) -> Value {
    let g = &body["groups"][j];
    let mut round = body["round"].clone();
    round["entitled"] = g["entitled"].clone();
    round["present"] = g["present"].clone();
    tally(&file(
        overrides.clone(),
        json!({"round": round, "ballots": g["ballots"]}),
    ))
}

#[test]
fn group_tallies_are_posted_apart_and_combined_as_their_sums() {
    let members = vec![
        json!("YYNNNNN"),
        json!("YNYNNNN"),
        json!("NYYNNNN"),
        json!("YNNYNNN"),
    ];
    let households = vec![
        json!("NNNYYNN"),
        json!("NNNYNNN"),
        json!("YNNNNNN"),
        json!("NNNYNYN"),
    ];
    let body = by_groups((4, 4, members), (5, 4, households));
    let v = tally(&file(json!({}), body.clone()));
    for j in 0..2 {
        let oracle = group_oracle(&body, j, &json!({}));
        assert_eq!(v["groups"][j]["result"], oracle, "group {j} as posted");
    }
    // The combined tally is the sum, name by name.
    for (i, row) in v["tally"].as_array().expect("rows").iter().enumerate() {
        let sum: u64 = (0..2)
            .map(|j| {
                v["groups"][j]["result"]["tally"][i]["for"]
                    .as_u64()
                    .expect("for")
            })
            .sum();
        assert_eq!(row["for"].as_u64(), Some(sum), "{}", row["name"]);
    }
    // 甲 4, 丁 4, then 乙 2 丙 2 tied for the third place: a runoff.
    assert_eq!(status(&v), "runoff_required");
    assert_eq!(names(&v["next_list"]), vec!["甲", "丁"]);
    assert_eq!(names(&v["runoff"]["among"]), vec!["乙", "丙"]);
    assert_eq!(v["ballots"]["returned"], 8);
}

#[test]
fn every_electorate_meets_its_own_floor() {
    // 80%以上 (inclusive): members 10 → 8, households 20 → 16, each on its own.
    // (members present, households present, status)
    let cases: &[(u64, u64, &str)] = &[
        (8, 16, "complete"),
        (7, 16, "no_quorum"),
        (9, 16, "complete"),
        (8, 15, "no_quorum"),
        (8, 17, "complete"),
        // 7 + 20 = 27 of 30 is 90% together, but the members are below 80%.
        (7, 20, "no_quorum"),
    ];
    for (m, h, want) in cases {
        let body = by_groups(
            (10, *m, times(*m as usize, "YYYNNNN")),
            (20, *h, times(*h as usize, "YYYNNNN")),
        );
        let v = tally(&file(
            json!({"nomination_limit": "unlimited"}),
            body.clone(),
        ));
        assert_eq!(status(&v), *want, "{m}/10 members, {h}/20 households");
        for j in 0..2 {
            assert_eq!(
                v["groups"][j]["result"],
                group_oracle(&body, j, &json!({"nomination_limit": "unlimited"}))
            );
        }
        assert_eq!(v["quorum_met"], *want != "no_quorum");
        if *want == "no_quorum" {
            assert!(v["next_list"].is_null());
            assert!(v["box_valid"].is_null());
            assert_eq!(v["tally"], json!([]));
        } else {
            assert_eq!(names(&v["next_list"]), vec!["甲", "乙", "丙"]);
        }
    }
}

#[test]
fn the_organisations_nominees_are_listed_directly() {
    // 甲 5, 乙 4, 丙 3, 丁 2, 戊 1 votes; 庚 nominated by the organisation.
    let ballots: Vec<Value> = [
        times(1, "YYYYYNN"),
        times(1, "YYYYNNN"),
        times(1, "YYYNNNN"),
        times(1, "YYNNNNN"),
        times(1, "YNNNNNN"),
    ]
    .concat();
    // (placement, next_size, organisation, expected list)
    let cases: &[(&str, u64, &[&str], &[&str])] = &[
        ("within_list", 3, &["庚"], &["庚", "甲", "乙"]),
        ("beyond_list", 3, &["庚"], &["庚", "甲", "乙", "丙"]),
        ("within_list", 2, &["庚", "辛"], &["庚", "辛"]),
        // An organisation nominee who also got votes is listed once.
        ("within_list", 3, &["甲"], &["甲", "乙", "丙"]),
    ];
    for (placement, size, org, want) in cases {
        let body = json!({
            "round": {"kind": "nomination", "seats": 2, "candidates": SEVEN, "entitled": 5, "present": 5, "next_size": size},
            "ballots": ballots,
            "organisation": {"name": "党组织推荐", "nominees": org},
        });
        let o = json!({"organisation_nominees": placement, "nomination_limit": "unlimited"});
        let v = tally(&file(o.clone(), body));
        let got: Vec<String> = v["next_list"]
            .as_array()
            .expect("list")
            .iter()
            .map(|x| x.as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(got, *want, "{placement} {size} {org:?}");
        assert_eq!(status(&v), "complete");
    }
    // Within the list: more nominees than places is refused (at: 2 of 2 above).
    let body = json!({
        "round": {"kind": "nomination", "seats": 2, "candidates": SEVEN, "entitled": 5, "present": 5, "next_size": 2},
        "ballots": ballots,
        "organisation": {"nominees": ["庚", "辛", "壬"]},
    });
    let e = refused(&file(json!({"nomination_limit": "unlimited"}), body));
    assert!(
        e.contains("organisation.nominees") && e.contains("2 places"),
        "{e}"
    );
    let e = refused(&file(
        json!({}),
        json!({"round": {"kind": "formal", "seats": 1, "candidates": ["甲", "乙"], "entitled": 1, "present": 1},
               "organisation": {"nominees": ["庚"]}}),
    ));
    assert!(e.contains("organisation") && e.contains("formal"), "{e}");
}

#[test]
fn group_files_that_contradict_themselves_are_refused() {
    let ok = by_groups((4, 4, times(4, "YNNNNNN")), (5, 4, times(4, "YNNNNNN")));
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = ok.clone();
        f(&mut b);
        refused(&file(json!({}), b))
    };
    let cases: Vec<(String, &[&str])> = vec![
        (
            with(&|b| b["round"]["present"] = json!(9)),
            &["round.present", "add up to 8"],
        ),
        (
            with(&|b| b["round"]["entitled"] = json!(10)),
            &["round.entitled", "add up to 9"],
        ),
        (
            with(&|b| b["groups"][1]["present"] = json!(6)),
            &["groups[1].present", "6 present"],
        ),
        (
            with(&|b| b["groups"][0]["ballots"] = json!(["YN"])),
            &["groups[0]", "expected 7 marks"],
        ),
        (
            with(&|b| b["groups"][1]["name"] = json!("党员推荐")),
            &["groups[1].name", "twice"],
        ),
        (
            with(&|b| b["groups"][0]["returned"] = json!(3)),
            &["groups[0]", "4 ballots given", "returned is 3"],
        ),
        (
            with(&|b| b["ballots"] = json!(["YNNNNNN"])),
            &["ballots", "in each group"],
        ),
        (
            with(&|b| b["round"]["kind"] = json!("formal")),
            &["groups", "formal"],
        ),
        (
            with(&|b| b["groups"][0]["extra"] = json!(1)),
            &["groups[0]", "unknown field `extra`"],
        ),
    ];
    for (e, want) in &cases {
        for w in *want {
            assert!(e.contains(w), "{e:?} should contain {w:?}");
        }
    }
}

// ---- §9.4 qualification review --------------------------------------------

fn reviewed(review: Value) -> Result<Value, String> {
    // 甲 5, 乙 4, 丙 3, 丁 2 of 5: the proposed list of 3 is 甲 乙 丙.
    let ballots: Vec<Value> = [
        times(2, "YYYYNNN"),
        times(1, "YYYNNNN"),
        times(1, "YYNNNNN"),
        times(1, "YNNNNNN"),
    ]
    .concat();
    let text = file(
        json!({"nomination_limit": "unlimited"}),
        json!({
            "round": {"kind": "nomination", "seats": 2, "candidates": SEVEN, "entitled": 5, "present": 5, "next_size": 3},
            "ballots": ballots,
            "review": review,
        }),
    );
    let f = match roundfile::parse_any(&text, None).map_err(|e| e.to_string())? {
        roundfile::TallyFile::Round(f) => f,
        roundfile::TallyFile::Paper(_) => unreachable!(),
    };
    let d = rules::procedure::decide(&f).map_err(|e| e.to_string())?;
    Ok(serde_json::from_str(&procedures::round_to_string(&f, &d)).expect("json"))
}

#[test]
fn review_strikes_and_adds_with_recorded_reasons() {
    // (decisions, amended list)
    let cases: &[(Value, &[&str])] = &[
        (
            json!([{"strike": "乙", "reason": "不符合任职条件", "by": "镇党委"}]),
            &["甲", "丙"],
        ),
        (
            json!([{"add": "辛", "reason": "考察增列"}]),
            &["甲", "乙", "丙", "辛"],
        ),
        (
            json!([{"strike": "丙", "reason": "年龄不符"}, {"add": "丁", "reason": "递补"}]),
            &["甲", "乙", "丁"],
        ),
        (json!([]), &["甲", "乙", "丙"]),
    ];
    for (review, want) in cases {
        let v = reviewed(review.clone()).expect("applies");
        assert_eq!(
            names(&v["next_list"]),
            vec!["甲", "乙", "丙"],
            "proposed stays"
        );
        if review.as_array().is_some_and(|a| a.is_empty()) {
            assert!(v["amended_list"].is_null());
            continue;
        }
        let got: Vec<&str> = v["amended_list"]
            .as_array()
            .expect("amended")
            .iter()
            .filter_map(|x| x.as_str())
            .collect();
        assert_eq!(got, *want, "{review}");
        assert_eq!(
            v["review"].as_array().map(|a| a.len()),
            review.as_array().map(|a| a.len())
        );
    }
    assert_eq!(
        reviewed(json!([{"strike": "乙", "reason": "x"}])).expect("ok")["review"][0]["by"],
        "上级党组织"
    );
    // (decisions, message)
    let refusals: &[(Value, &[&str])] = &[
        (
            json!([{"strike": "丁", "reason": "x"}]),
            &["review[0]", "strike", "not on the proposed list"],
        ),
        (
            json!([{"strike": "乙", "reason": "x"}, {"strike": "乙", "reason": "y"}]),
            &["review[1]", "not on the proposed list"],
        ),
        (
            json!([{"add": "甲", "reason": "x"}]),
            &["review[0]", "already on the list"],
        ),
        (
            json!([{"strike": "乙", "reason": " "}]),
            &["review[0].reason", "empty"],
        ),
        (
            json!([{"strike": "乙", "add": "丁", "reason": "x"}]),
            &["review[0]", "one of `strike` or `add`"],
        ),
        (
            json!([{"strike": "乙"}]),
            &["review", "missing field `reason`"],
        ),
    ];
    for (review, want) in refusals {
        let e = reviewed(review.clone()).expect_err("refused");
        for w in *want {
            assert!(e.contains(w), "{e:?} should contain {w:?}");
        }
    }
    let e = refused(&file(
        json!({}),
        json!({"round": {"kind": "formal", "seats": 1, "candidates": ["甲", "乙"], "entitled": 1, "present": 1},
               "review": [{"strike": "甲", "reason": "x"}]}),
    ));
    assert!(e.contains("review") && e.contains("formal"), "{e}");
}

// ---- §5, §9.6 failed twice for the same post; deferrals --------------------

fn cadre(record: Value, overrides: Value, extra: Value) -> Value {
    let mut body = json!({
        "round": {"kind": "cadre", "contest": "办公室主任", "seats": 1, "candidates": ["王五"], "entitled": 9, "present": 9},
        "ballots": times(9, "Y"),
        "record": record,
    });
    for (k, x) in extra.as_object().expect("object") {
        body[k] = x.clone();
    }
    tally(&file_preset("cadre-vote-2019", overrides, body))
}

fn file_preset(preset: &str, overrides: Value, body: Value) -> String {
    let mut v = json!({"method": {"preset": preset, "overrides": overrides}});
    for (k, x) in body.as_object().expect("object") {
        v[k] = x.clone();
    }
    v.to_string()
}

fn failure(post: &str, passed: bool) -> Value {
    json!({"nominee": "王五", "post": post, "meeting": "2025年党委会", "for": 4, "against": 5, "abstain": 0, "entitled": 9, "passed": passed})
}

#[test]
fn failed_twice_for_the_same_post_refuses_a_third_nomination() {
    let f = |post: &str| failure(post, false);
    // (record, overrides, refused)
    let cases: &[(Value, Value, bool)] = &[
        (json!([]), json!({}), false),
        (json!([f("办公室主任")]), json!({}), false),
        (json!([f("办公室主任"), f("办公室主任")]), json!({}), true),
        (
            json!([f("办公室主任"), f("办公室主任"), f("办公室主任")]),
            json!({}),
            true,
        ),
        // Another post, or a vote that passed, does not count.
        (json!([f("办公室主任"), f("财务科科长")]), json!({}), false),
        (
            json!([f("办公室主任"), failure("办公室主任", true)]),
            json!({}),
            false,
        ),
        // The limit is a parameter: 3 failures, or not tracked.
        (
            json!([f("办公室主任"), f("办公室主任")]),
            json!({"max_failed_nominations": 3}),
            false,
        ),
        (
            json!([f("办公室主任"), f("办公室主任"), f("办公室主任")]),
            json!({"max_failed_nominations": 3}),
            true,
        ),
        (
            json!([f("办公室主任"), f("办公室主任")]),
            json!({"max_failed_nominations": null}),
            false,
        ),
    ];
    for (record, overrides, refused_) in cases {
        let v = cadre(record.clone(), overrides.clone(), json!({}));
        if *refused_ {
            assert_eq!(status(&v), "list_rejected", "{record} {overrides}");
            assert_eq!(v["refused"][0]["nominee"], "王五");
            assert_eq!(
                v["refused"][0]["failed"].as_array().map(|a| a.len()),
                record.as_array().map(|a| a.len())
            );
            assert_eq!(v["elected"], json!([]));
            assert_eq!(v["tally"], json!([]));
        } else {
            assert_eq!(status(&v), "complete", "{record} {overrides}");
            assert!(v["refused"].is_null());
            assert_eq!(names(&v["elected"]), vec!["王五"]);
        }
    }
    // A nominee's own post, from `posts`.
    let v = cadre(
        json!([f("财务科科长"), f("财务科科长")]),
        json!({}),
        json!({"posts": {"王五": "财务科科长"}}),
    );
    assert_eq!(status(&v), "list_rejected");
    assert_eq!(v["refused"][0]["post"], "财务科科长");
    // No quorum: nothing starts, the record is still cited.
    let mut body = json!({
        "round": {"kind": "cadre", "contest": "办公室主任", "seats": 1, "candidates": ["王五"], "entitled": 9, "present": 5},
        "record": [f("办公室主任"), f("办公室主任")],
    });
    let v = tally(&file_preset("cadre-vote-2019", json!({}), body.clone()));
    assert_eq!(status(&v), "no_quorum");
    assert_eq!(v["refused"][0]["nominee"], "王五");
    body["record"] = json!([{"nominee": "王五"}]);
    let e = refused(&file_preset("cadre-vote-2019", json!({}), body.clone()));
    assert!(e.contains("record") && e.contains("missing field"), "{e}");
    let e = refused(&file_preset(
        "cadre-vote-2019",
        json!({"max_failed_nominations": 0}),
        body,
    ));
    assert!(e.contains("max_failed_nominations"), "{e}");
}

#[test]
fn a_deferred_nominee_is_recorded_not_voted() {
    let v = cadre(
        json!([]),
        json!({}),
        json!({"deferred": [{"nominee": "钱七", "reason": "意见分歧较大"}]}),
    );
    assert_eq!(
        v["deferred"],
        json!([{"nominee": "钱七", "reason": "意见分歧较大"}])
    );
    assert_eq!(status(&v), "complete");
    // 缓议 is not 弃权: nothing of the deferred is counted.
    assert_eq!(v["tally"].as_array().map(|a| a.len()), Some(1));
    let e = refused(&file_preset(
        "cadre-vote-2019",
        json!({}),
        json!({"round": {"kind": "cadre", "seats": 1, "candidates": ["王五"], "entitled": 9, "present": 9},
               "deferred": [{"nominee": "王五", "reason": "x"}]}),
    ));
    assert!(
        e.contains("deferred[0].nominee") && e.contains("not voted"),
        "{e}"
    );
    let e = refused(&file(
        json!({}),
        json!({"round": {"kind": "formal", "seats": 1, "candidates": ["甲", "乙"], "entitled": 1, "present": 1},
               "deferred": [{"nominee": "丙", "reason": "x"}]}),
    ));
    assert!(e.contains("cadre vote"), "{e}");
}

// ---- §2.2 several flags in one evaluation ----------------------------------

#[test]
fn several_flags_in_one_evaluation() {
    // 30 returned. Exclusion: 不满意 ≥ 30% (9 of 30); removal: > 1/3 (11 of 30).
    let overrides = json!({
        "evaluation_flag": {"num": 3, "den": 10, "comparison": "inclusive"},
        "evaluation_removal": {"num": 1, "den": 3, "comparison": "strict"},
    });
    // (against, flagged, removal)
    let cases: &[(usize, bool, bool)] = &[
        (8, false, false),
        (9, true, false),
        (10, true, false),
        (11, true, true),
        (12, true, true),
    ];
    for (against, flagged, removal) in cases {
        let mut ballots = times(*against, "NY");
        ballots.extend(times(30 - against, "YY"));
        let v = tally(&file(
            overrides.clone(),
            json!({"round": {"kind": "evaluation", "seats": 1, "candidates": ["甲", "乙"], "entitled": 30, "present": 30, "next_size": 2},
                   "ballots": ballots}),
        ));
        let row = &v["tally"][0];
        assert_eq!(
            row["flagged"].as_bool().unwrap_or(false),
            *flagged,
            "{against} against"
        );
        assert_eq!(
            row["removal"].as_bool().unwrap_or(false),
            *removal,
            "{against} against"
        );
        // Only the exclusion takes a person off the list.
        assert_eq!(names(&v["next_list"]).contains(&"甲".to_string()), !flagged);
    }
    // Off by default: neither key appears.
    let v = tally(&file(
        json!({}),
        json!({"round": {"kind": "evaluation", "seats": 1, "candidates": ["甲"], "entitled": 3, "present": 3, "next_size": 1},
               "ballots": ["N", "N", "N"]}),
    ));
    assert!(v["tally"][0].get("removal").is_none() && v["tally"][0].get("flagged").is_none());
}

#[test]
fn method_json_lists_the_new_parameters() {
    let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .args(["method", "grassroots-2020", "--json"])
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["organisation_nominees"], "within_list");
    assert_eq!(v["evaluation_removal"], Value::Null);
    assert_eq!(v["max_failed_nominations"], 2);
    let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .args(["method", "cadre-vote-2019"])
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        text.contains("同一人选2次未获通过的，不得再提名为同一职位人选"),
        "{text}"
    );
}

// ---- 公推直选 through the binary (案例1) -------------------------------------

fn run_tally(dir: &std::path::Path, name: &str, text: &str) -> Value {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .args(["tally", "--json"])
        .arg(&path)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text_out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .arg("tally")
        .arg(&path)
        .output()
        .expect("runs");
    assert!(text_out.status.success());
    serde_json::from_slice(&out.stdout).expect("json")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_str().expect("name").to_string())
        .collect()
}

/// 公推直选 for a village branch: members and households nominate (each
/// 80%以上), 2 × the formal candidates; the town committee reviews; members
/// and villagers' representatives evaluate, +20% of the seats; 书记, 副书记
/// and 委员 are elected directly on one paper.
#[test]
fn gongtui_zhixuan_from_nomination_to_one_paper() {
    let dir = std::env::temp_dir().join(format!("scrutineer-gtzx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let people: Vec<String> = [
        "丁一", "王二", "刘三", "张四", "陈五", "周六", "吴七", "郑八", "冯九", "褚十",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Stage 1: 3 委员 seats → formal candidates +20% = 4 → initial 2 × 4 = 8.
    let votes = |n: usize| -> String {
        (0..people.len())
            .map(|i| if i < n { 'Y' } else { 'N' })
            .collect()
    };
    let mut members = times(5, &votes(8));
    members.extend(times(3, &votes(9)));
    let mut households = times(10, &votes(7));
    households.extend(times(6, &votes(10)));
    let nomination = file(
        json!({"nomination_limit": "unlimited"}),
        json!({
            "round": {"kind": "nomination", "contest": "村党支部委员初步候选人", "seats": 3, "candidates": people,
                      "entitled": 30, "present": 24,
                      "next_size": {"ratio": {"kind": "times", "num": 2, "den": 1}, "of": 4}},
            "groups": [
                {"name": "党员推荐", "entitled": 10, "present": 8, "ballots": members},
                {"name": "农户推荐", "entitled": 20, "present": 16, "ballots": households},
            ],
            "review": [{"strike": "周六", "reason": "不符合任职条件", "by": "镇党委"}],
        }),
    );
    let v = run_tally(&dir, "1.json", &nomination);
    assert_eq!(status(&v), "complete");
    assert_eq!(v["round"]["next_size"], 8);
    let proposed = strings(&v["next_list"]);
    assert_eq!(proposed, people[..8].to_vec());
    let amended = strings(&v["amended_list"]);
    assert_eq!(amended.len(), 7);
    assert!(!amended.contains(&"周六".to_string()));
    // Stage 2: evaluation of the 7 by members and representatives, +20%
    // of 3 seats = 4 formal candidates.
    let ranked = |n: usize| -> String {
        (0..amended.len())
            .map(|i| if i < n { 'Y' } else { 'N' })
            .collect()
    };
    let mut m2 = times(6, &ranked(4));
    m2.extend(times(2, &ranked(5)));
    let r2 = times(10, &ranked(3));
    let evaluation = file(
        json!({}),
        json!({
            "round": {"kind": "evaluation", "contest": "正式候选人", "seats": 3, "candidates": amended,
                      "entitled": 22, "present": 18,
                      "next_size": {"ratio": {"kind": "more", "num": 1, "den": 5}, "of": 3}},
            "groups": [
                {"name": "全体党员", "entitled": 10, "present": 8, "ballots": m2},
                {"name": "村民代表", "entitled": 12, "present": 10, "ballots": r2},
            ],
        }),
    );
    let v = run_tally(&dir, "2.json", &evaluation);
    assert_eq!(status(&v), "complete");
    let formal = strings(&v["next_list"]);
    assert_eq!(formal.len(), 4);
    // Stage 3: one paper — 书记 and 副书记 (equal), 委员 3 of the 4.
    let paper = json!({
        "entitled": 10, "present": 9, "issued": 10, "replaced": 1, "returned": 9,
        "sections": [
            {"office": "secretary", "contest": "书记", "seats": 1, "candidates": [formal[0]]},
            {"office": "deputy_secretary", "contest": "副书记", "seats": 1, "candidates": [formal[1]]},
            {"office": "committee", "contest": "委员", "seats": 3, "candidates": formal},
        ],
    });
    let mut ballots = times(7, "Y|Y|YYYN");
    ballots.push(json!("Y|N|YYYY")); // 委员 overvote: that section only
    ballots.push(json!({"void": "署名"}));
    let v = run_tally(
        &dir,
        "3.json",
        &file(json!({}), json!({"paper": paper, "ballots": ballots})),
    );
    assert_eq!(status(&v), "complete");
    assert_eq!(v["sections"][0]["elected"], json!([formal[0]]));
    assert_eq!(v["sections"][1]["elected"], json!([formal[1]]));
    assert_eq!(v["sections"][2]["ballots"]["invalid"], 2);
    assert_eq!(v["sections"][0]["ballots"]["invalid"], 1);
    assert_eq!(strings(&v["sections"][2]["elected"]).len(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn per_item_evaluation_as_a_paper_of_items() {
    // 德、能、勤、绩、廉 as sections; 不满意 ≥ 30% on one item flags the
    // person in that item only (S 案例26: 某一项的"不满意"率达到30%).
    let items = ["德", "能", "勤", "绩", "廉"];
    let sections: Vec<Value> = items
        .iter()
        .map(|i| json!({"office": "other", "contest": i, "seats": 1, "candidates": ["王五"], "next_size": 1}))
        .collect();
    // (against on 绩 of 10, flagged)
    for (against, flagged) in [(2usize, false), (3, true), (4, true)] {
        let mut ballots = times(against, "Y|Y|Y|N|Y");
        ballots.extend(times(10 - against, "Y|Y|Y|Y|Y"));
        let v = tally(&file(
            json!({"evaluation_flag": {"num": 3, "den": 10, "comparison": "inclusive"}}),
            json!({"paper": {"kind": "evaluation", "entitled": 10, "present": 10, "sections": sections},
                   "ballots": ballots}),
        ));
        for (i, item) in items.iter().enumerate() {
            let row = &v["sections"][i]["tally"][0];
            let want = flagged && *item == "绩";
            assert_eq!(
                row["flagged"].as_bool().unwrap_or(false),
                want,
                "{item} {against}"
            );
        }
    }
}

#[test]
fn a_void_box_in_one_group_voids_the_round() {
    // (members' returned of 8 issued, status)
    for (returned, want) in [(8u64, "complete"), (9, "void"), (7, "complete")] {
        let mut body = by_groups(
            (10, 8, times(returned.min(8) as usize, "YYYNNNN")),
            (20, 16, times(16, "YYYNNNN")),
        );
        body["groups"][0]["returned"] = json!(returned);
        if returned > 8 {
            // A void box keeps the ballots entered before it was ruled
            // on, uncounted, whatever their number (none, or the 8 issued).
            body["groups"][0]["ballots"] = json!([]);
            let mut kept = body.clone();
            kept["groups"][0]["ballots"] = json!(times(8, "YYYNNNN"));
            let v = tally(&file(json!({"nomination_limit": "unlimited"}), kept));
            assert_eq!(v["groups"][0]["result"]["status"], "void", "{v}");
        } else {
            body["groups"][0]["ballots"] = json!(times(returned as usize, "YYYNNNN"));
        }
        let v = tally(&file(json!({"nomination_limit": "unlimited"}), body));
        assert_eq!(status(&v), want, "{returned} returned of 8");
        assert_eq!(
            v["groups"][0]["result"]["status"],
            if want == "void" { "void" } else { "complete" }
        );
        assert_eq!(v["box_valid"], want != "void");
    }
}

/// RULES §9.1: a nomination's tallies per post level (对不同职务层次人员的
/// 推荐票分别统计) as a paper of kind `nomination`, one section per level:
/// each level ranked on its own; the paper meets the nomination's floor
/// (80%以上 of 10, the number included: 7 below, 8 at, 9 above), not the
/// election's quorum; naming more than a level's places voids only that
/// level's part of the ballot.
/// The same nomination paper of two post levels through the binary
/// (`scrutineer tally --json`): 7 of 10 is no quorum in both sections; at
/// 8 each level gives its own next list, the over-named 副职 part void.
#[test]
fn the_binary_tallies_a_nomination_paper_per_post_level() {
    let dir = std::env::temp_dir().join(format!("scrutineer-proc-nom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let sections = json!([
        {"office": "other", "contest": "正职", "seats": 1, "candidates": ["甲", "乙"], "next_size": 1},
        {"office": "other", "contest": "副职", "seats": 2, "candidates": ["丙", "丁", "戊"], "next_size": 2},
    ]);
    for present in [7u64, 8] {
        let mut ballots = times(present as usize - 1, "YN|YYN");
        ballots.push(Value::String("NY|YYY".into()));
        let held = present >= 8;
        let path = dir.join(format!("nomination-{present}.json"));
        std::fs::write(
            &path,
            file(
                json!({}),
                json!({"paper": {"kind": "nomination", "entitled": 10, "present": present,
                                 "sections": sections},
                       "ballots": if held { json!(ballots) } else { json!([]) }}),
            ),
        )
        .expect("write");
        let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
            .args(["tally", "--json", "--lang", "en"])
            .arg(&path)
            .output()
            .expect("runs");
        let v: Value = serde_json::from_slice(&out.stdout).expect("json");
        let (s0, s1) = (&v["sections"][0], &v["sections"][1]);
        if !held {
            assert_eq!(status(s0), "no_quorum", "{v}");
            assert_eq!(status(s1), "no_quorum", "{v}");
            continue;
        }
        assert_eq!(s0["next_list"], json!(["甲"]), "{v}");
        assert_eq!(s1["next_list"], json!(["丙", "丁"]), "{v}");
        assert_eq!(s1["ballots"]["invalid"], 1, "{v}");
        assert_eq!(s0["ballots"]["invalid"], 0, "{v}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tallies_per_post_level_as_a_paper_of_nomination_sections() {
    let sections = json!([
        {"office": "other", "contest": "正职", "seats": 1, "candidates": ["甲", "乙"], "next_size": 1},
        {"office": "other", "contest": "副职", "seats": 2, "candidates": ["丙", "丁", "戊"], "next_size": 2},
    ]);
    for (present, held) in [(7u64, false), (8, true), (9, true)] {
        // One ballot names three for the two 副职 places (多选).
        let mut ballots = times(present as usize - 1, "YN|YYN");
        ballots.push(Value::String("NY|YYY".into()));
        let v = tally(&file(
            json!({}),
            json!({"paper": {"kind": "nomination", "entitled": 10, "present": present,
                             "sections": sections}, "ballots": if held { json!(ballots) } else { json!([]) }}),
        ));
        let s0 = &v["sections"][0];
        let s1 = &v["sections"][1];
        if !held {
            assert_eq!(status(s0), "no_quorum", "{present}: {v}");
            assert_eq!(status(s1), "no_quorum", "{present}: {v}");
            continue;
        }
        assert_eq!(status(s0), "complete", "{present}: {v}");
        assert_eq!(s0["next_list"], json!(["甲"]), "{v}");
        assert_eq!(s0["ballots"]["invalid"], 0, "{v}");
        assert_eq!(s1["next_list"], json!(["丙", "丁"]), "{v}");
        assert_eq!(s1["ballots"]["invalid"], 1, "{v}");
        assert_eq!(s1["tally"][0]["for"], present - 1, "{v}");
    }
}
