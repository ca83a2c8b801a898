//! Evaluations by levels and by items (RULES §2.2, issue 11;
//! `rules::rating`): four levels (优秀/称职/基本称职/不称职) and per-item
//! ratings (德、能、勤、绩、廉 × 满意/基本满意/不满意), each level counted,
//! ranked by approvals and flagged on the worst item — through the
//! `scrutineer tally` binary at each flag's boundary (at, one below, one
//! above), and a row with two ticks refused at input.

use std::process::Command;

use serde_json::{json, Value};

use crate::common::bundle::tally_with_cli;
use crate::common::server::TempDir;

const FOUR: [&str; 4] = ["优秀", "称职", "基本称职", "不称职"];
const THREE: [&str; 3] = ["满意", "基本满意", "不满意"];

/// A ballot's cells: person `p`'s row (of `n` levels) ticks `level[p]`
/// (`None`: blank).
fn cells(levels: &[Option<usize>], n: usize) -> String {
    levels
        .iter()
        .flat_map(|l| (0..n).map(move |i| if Some(i) == *l { 'Y' } else { 'A' }))
        .collect()
}

/// `count` ballots; on ballot `b`, row `r` ticks the bottom level when
/// `b < bottom[r]`, else the top.
fn ballots(count: usize, bottom: &[usize], n: usize) -> Value {
    json!((0..count)
        .map(|b| {
            let rows: Vec<Option<usize>> = bottom
                .iter()
                .map(|&k| Some(if b < k { n - 1 } else { 0 }))
                .collect();
            cells(&rows, n)
        })
        .collect::<Vec<_>>())
}

fn file(round: Value, overrides: Value, ballots: Value) -> Value {
    json!({
        "method": { "preset": "grassroots-2020", "overrides": overrides },
        "round": round,
        "ballots": ballots,
    })
}

fn person<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["ratings"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("{name} in {r}"))
}

#[test]
fn four_levels_flag_and_removal_at_their_boundaries_through_the_binary() {
    let dir = TempDir::new("ratings-four");
    let people = ["丁一", "王二", "刘三", "张四"];
    let round = json!({
        "kind": "evaluation", "seats": 2, "candidates": people,
        "entitled": 20, "present": 20, "next_size": 2,
        "rating": { "levels": FOUR },
    });
    // 不称职 ≥ 25% → the removal procedure; ≥ 30% → not listed. Of 20
    // returned: 5 is exactly 25%, 6 exactly 30%.
    let overrides = json!({
        "evaluation_removal": { "num": 1, "den": 4, "comparison": "inclusive" },
        "evaluation_flag": { "num": 3, "den": 10, "comparison": "inclusive" },
    });
    let r = tally_with_cli(
        dir.path(),
        "four",
        &file(round, overrides, ballots(20, &[4, 5, 6, 7], 4)),
    );
    assert_eq!(r["status"], "complete", "{r}");
    // Each level counted: 丁一 16 优秀, 4 不称职.
    assert_eq!(
        person(&r, "丁一")["items"][0]["levels"],
        json!([16, 0, 0, 4])
    );
    assert_eq!(person(&r, "丁一")["approvals"], 16);
    let flag = |name: &str, key: &str| person(&r, name)[key] == true;
    // Removal: 4 below, 5 at, 6 above.
    assert!(!flag("丁一", "removal"));
    assert!(flag("王二", "removal"));
    assert!(flag("刘三", "removal"));
    // Flag: 5 below, 6 at, 7 above.
    assert!(!flag("王二", "flagged"));
    assert!(flag("刘三", "flagged"));
    assert!(flag("张四", "flagged"));
    // Ranked by 优秀 + 称职 among those not flagged.
    assert_eq!(r["next_list"], json!(["丁一", "王二"]), "{r}");
    // The vote report prints the rule and each person's levels.
    let path = dir.path().join("four.json");
    let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .arg("tally")
        .arg(&path)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("测评等次统计（测评分优秀、称职、基本称职、不称职4个等次"),
        "{text}"
    );
    assert!(text.contains("丁一：赞成16票，不赞成4票"), "{text}");
    assert!(
        text.contains("张四：赞成13票，不赞成7票  不列为人选  达到免职标准"),
        "{text}"
    );
    // The cells are the round's lines, each with its count.
    assert_eq!(r["tally"][3]["name"], "丁一·不称职");
    assert_eq!(r["tally"][3]["for"], 4);
}

#[test]
fn per_item_ratings_flag_on_the_worst_item_through_the_binary() {
    let dir = TempDir::new("ratings-items");
    let items = ["德", "能", "勤", "绩", "廉"];
    let people = ["丁一", "王二", "刘三"];
    let round = json!({
        "kind": "evaluation", "seats": 1, "candidates": people,
        "entitled": 10, "present": 10, "next_size": 3,
        "rating": { "levels": THREE, "items": items },
    });
    // 某一项的"不满意"率达到30%: of 10, 3 is exactly 30%. 丁一's 勤 has 2
    // (below), 王二's 勤 3 (at), 刘三's 廉 4 (above); every other item 1.
    let mut bottom = Vec::new();
    for worst in [(2, 2), (2, 3), (4, 4)] {
        for i in 0..5 {
            bottom.push(if i == worst.0 { worst.1 } else { 1 });
        }
    }
    let overrides = json!({
        "evaluation_flag": { "num": 3, "den": 10, "comparison": "inclusive" },
    });
    let r = tally_with_cli(
        dir.path(),
        "items",
        &file(round, overrides, ballots(10, &bottom, 3)),
    );
    assert_eq!(r["status"], "shortfall", "{r}");
    assert!(person(&r, "丁一")["flagged"].is_null(), "{r}");
    assert_eq!(person(&r, "王二")["flagged"], true);
    assert_eq!(person(&r, "王二")["worst_item"], "勤");
    assert_eq!(person(&r, "刘三")["flagged"], true);
    assert_eq!(person(&r, "刘三")["worst_item"], "廉");
    assert_eq!(person(&r, "刘三")["disapprovals"], 4);
    // Approvals are 满意 summed over the five items.
    assert_eq!(person(&r, "丁一")["approvals"], 8 + 9 * 4);
    assert_eq!(r["next_list"], json!(["丁一"]), "{r}");
}

#[test]
fn a_row_with_two_ticks_is_refused_naming_it() {
    let dir = TempDir::new("ratings-refused");
    let round = json!({
        "kind": "evaluation", "seats": 1, "candidates": ["丁一", "王二"],
        "entitled": 3, "present": 3, "next_size": 1,
        "rating": { "levels": THREE },
    });
    let path = dir.path().join("two.json");
    let bad = json!(["YAAAYA", "YAAYYA", "AAAAAA"]);
    std::fs::write(&path, file(round, json!({}), bad).to_string()).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .arg("tally")
        .arg(&path)
        .args(["--lang", "en"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("ballots[1]"), "{err}");
    assert!(err.contains("row 王二 has 2 levels ticked"), "{err}");
}
