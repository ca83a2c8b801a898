//! One reader per format (issue 10): the same ballot gives the same
//! answer, or the same refusal, whichever path it arrives by — a counter's
//! entry over HTTP, a round file, a JSON-lines file, a CSV file, the log's
//! reconciled batch — because each path brings it to
//! `rules::ballot::read`.

use crate::common;

use serde_json::{json, Value};

use scrutineer::import::{read_rows, unpack, Format, Row};
use scrutineer::log::event::{BatchBallots, SpecialBallot};
use scrutineer::rules::ballot::{self, Shape};
use scrutineer::rules::ballot_csv::Header;
use scrutineer::rules::{roundfile, Ballot};

use common::meeting::Meeting;
use common::server::Server;

const CANDIDATES: [&str; 3] = ["甲", "乙", "丙"];

/// A case: the ballot as JSON, the same paper as a CSV row (header
/// `甲,乙,丙,names,void`) where CSV can say it, and whether it is read.
struct Case {
    json: Value,
    csv: Option<&'static str>,
    read: bool,
}

fn cases() -> Vec<Case> {
    let long = "长".repeat(101);
    let longest = "长".repeat(100);
    let c = |json: Value, csv: Option<&'static str>, read: bool| Case { json, csv, read };
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    vec![
        c(json!("YNA"), Some("Y,N,A,,"), true),
        c(json!("YN?"), Some("Y,N,?,,"), true),
        c(json!("YN"), Some("Y,N,,"), false),
        c(json!("YNX"), Some("Y,N,X,,"), false),
        c(
            json!({"marks": "YNN", "write_ins": {"1": "李七"}}),
            Some("Y,N:李七,N,,"),
            true,
        ),
        c(
            json!({"marks": "YNN", "write_ins": {"1": " 李七 "}}),
            Some("Y,N: 李七 ,N,,"),
            true,
        ),
        c(
            json!({"marks": "YNN", "write_ins": {"01": "李七"}}),
            None,
            false,
        ),
        c(
            json!({"marks": "YNN", "write_ins": {"+1": "李七"}}),
            None,
            false,
        ),
        c(
            json!({"marks": "YNN", "write_ins": {" 1": "李七"}}),
            None,
            false,
        ),
        c(
            json!({"marks": "YNN", "write_ins": {"3": "李七"}}),
            None,
            false,
        ),
        c(
            json!({"marks": "YNN", "write_ins": {"1": ""}}),
            Some("Y,N:,N,,"),
            false,
        ),
        c(
            json!({"marks": "YNN", "write_ins": {"1": longest}}),
            Some(leak(format!("Y,N:{longest},N,,"))),
            true,
        ),
        c(
            json!({"marks": "YNN", "write_ins": {"1": long}}),
            Some(leak(format!("Y,N:{long},N,,"))),
            false,
        ),
        c(
            json!({"marks": "YNN", "write_ins": {"1": "李\u{200b}七"}}),
            Some("Y,N:李\u{200b}七,N,,"),
            false,
        ),
        c(
            json!({"marks": "YNN", "names": ["李七"]}),
            Some("Y,N,N,李七,"),
            false,
        ),
        c(
            json!({"void": "选票上写有投票人姓名"}),
            Some(",,,,选票上写有投票人姓名"),
            true,
        ),
        c(
            json!({"void": "x".repeat(201)}),
            Some(leak(format!(",,,,{}", "x".repeat(201)))),
            false,
        ),
        c(json!({"void": "签名", "marks": "YNA"}), None, false),
        c(json!({"marks": "YNA", "colour": "red"}), None, false),
        c(json!(7), None, false),
    ]
}

fn shape() -> Shape {
    Shape {
        lines: CANDIDATES.len(),
        free_names: false,
    }
}

fn candidates() -> Vec<String> {
    CANDIDATES.iter().map(|s| s.to_string()).collect()
}

/// Through a round file's inline ballots.
fn by_round_file(b: &Value) -> Result<Ballot, String> {
    let file = json!({
        "method": {"preset": "grassroots-2020"},
        "round": {"kind": "formal", "contest": "委员", "office": "committee", "seats": 1,
                  "candidates": CANDIDATES, "entitled": 10, "present": 9},
        "ballots": [b],
    });
    roundfile::parse(&file.to_string(), None)
        .map(|f| f.ballots[0].clone())
        .map_err(|e| e.to_string())
}

/// Through a ballot file of `format` (bulk import).
fn by_file(text: &str, format: Format) -> Result<Ballot, String> {
    let mut got = Vec::new();
    read_rows(
        text.as_bytes(),
        format,
        &candidates(),
        false,
        &mut |_| {},
        &mut |row| {
            got.push(match row {
                Row::Packed(w) => unpack(w, CANDIDATES.len()),
                Row::Ballot(b) => b.clone(),
            });
            Ok(None)
        },
    )
    .map_err(|e| format!("{e:?}"))?;
    Ok(got.remove(0))
}

/// Through the CSV reader of `tally --ballots`.
fn by_csv(row: &str) -> Result<Ballot, String> {
    let h = Header::parse("甲,乙,丙,names,void", &candidates()).map_err(|e| e.to_string())?;
    let b = h.ballot(row, 2).map_err(|e| e.to_string())?;
    ballot::check_ballot_shape(&round(), &b)?;
    Ok(b)
}

fn round() -> scrutineer::rules::Round {
    let file = json!({
        "method": {"preset": "grassroots-2020"},
        "round": {"kind": "formal", "contest": "委员", "office": "committee", "seats": 1,
                  "candidates": CANDIDATES, "entitled": 10, "present": 9},
        "ballots": [],
    });
    roundfile::parse(&file.to_string(), None).unwrap().round
}

/// Through the log: a reconciled batch as the verifier reads it back.
fn by_log(b: &Value) -> Option<Result<Ballot, String>> {
    // What the log holds is what some reader gave; a ballot the packed
    // form holds never reaches `special`.
    let special: SpecialBallot = serde_json::from_value(b.clone()).ok()?;
    if special.is_plain() {
        return None;
    }
    // The batch holds no round kind; the verifier's replay refuses free
    // names outside a nomination round, as `fits` does.
    Some(
        special
            .to_ballot(CANDIDATES.len())
            .and_then(|b| ballot::check_ballot_shape(&round(), &b).map(|()| b)),
    )
}

#[test]
fn every_path_gives_the_same_answer() {
    for case in cases() {
        let want = ballot::from_json_for(&case.json, shape());
        assert_eq!(
            want.is_ok(),
            case.read,
            "the reader on {}: {want:?}",
            case.json
        );
        let same = |path: &str, got: Result<Ballot, String>| match (&want, &got) {
            (Ok(w), Ok(g)) => assert_eq!(w, g, "{path}: {}", case.json),
            (Err(_), Err(_)) => {}
            _ => panic!(
                "{path} disagrees on {}: reader {want:?}, path {got:?}",
                case.json
            ),
        };
        same("round file", by_round_file(&case.json));
        same(
            "JSON lines",
            by_file(&format!("{}\n", case.json), Format::JsonLines),
        );
        if let Some(row) = case.csv {
            same("CSV", by_csv(row));
            same(
                "CSV import",
                by_file(&format!("甲,乙,丙,names,void\n{row}\n"), Format::Csv),
            );
        }
        if let Some(got) = by_log(&case.json) {
            // The log holds text as read: the reader's own output is
            // accepted; anything it would change is refused.
            match &want {
                Ok(w) => {
                    let back = BatchBallots::from_ballots(3, std::slice::from_ref(w))
                        .unwrap()
                        .to_ballots()
                        .unwrap();
                    assert_eq!(&back[0], w, "log round trip: {}", case.json);
                    if got.is_ok() {
                        same("log", got);
                    }
                }
                Err(_) => assert!(got.is_err(), "the log reads {}: {got:?}", case.json),
            }
        }
    }
}

/// Free names: only on a nomination ballot, the same on every path.
#[test]
fn free_names_only_on_nomination_ballots_everywhere() {
    let names = json!({"marks": "", "names": ["李七", "王八"]});
    let nomination = Shape {
        lines: 0,
        free_names: true,
    };
    let read = ballot::from_json_for(&names, nomination).unwrap();
    assert!(ballot::from_json_for(
        &names,
        Shape {
            free_names: false,
            ..nomination
        }
    )
    .is_err());
    let mut got = Vec::new();
    read_rows(
        format!("{names}\n").as_bytes(),
        Format::JsonLines,
        &[],
        true,
        &mut |_| {},
        &mut |row| {
            if let Row::Ballot(b) = row {
                got.push(b.clone());
            }
            Ok(None)
        },
    )
    .unwrap();
    assert_eq!(got, std::slice::from_ref(&read));
    assert!(read_rows(
        format!("{names}\n").as_bytes(),
        Format::JsonLines,
        &[],
        false,
        &mut |_| {},
        &mut |_| Ok(None),
    )
    .is_err());
    let special: SpecialBallot = serde_json::from_value(names).unwrap();
    assert_eq!(special.to_ballot(0).unwrap(), read);
}

/// The HTTP path: a counter's entry of each case is taken (201) exactly
/// when the reader reads it, and a refusal names the reader's field.
#[test]
fn a_counters_entry_is_read_by_the_same_reader() {
    let server = Server::start("readers");
    let c = server.client();
    let m = Meeting::create(c, &server.setup, 30, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.post(&org, "/elections", json!({ "contest": "委员", "seats": 1 }))
        .expect(201);
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": CANDIDATES }),
    )
    .expect(201);
    m.put(&org, "/attendance", json!({ "present": 30 }))
        .expect(200);
    let s = m.add("scrutineer", "监票", None);
    m.assign("e1", &s);
    m.post(&org, "/rounds/r1/open", json!({ "issued": 30 }))
        .expect(200);
    let counter = m.add("counter", "计票", None);
    m.assign("e1", &counter);
    for (i, case) in cases().into_iter().enumerate() {
        let want = ballot::from_json_for(&case.json, shape());
        let r = m.enter(
            &counter,
            "r1",
            &format!("b{i}"),
            &format!("k{i}"),
            &json!([case.json]),
        );
        match want {
            Ok(_) => {
                r.expect(201);
            }
            Err(e) => {
                let p = r.problem(422, "invalid_field");
                let path = match e.path().as_str() {
                    "marks" if case.json.is_string() => "ballots[0]".to_string(),
                    "" => "ballots[0]".to_string(),
                    f => format!("ballots[0].{f}"),
                };
                assert_eq!(p["field"], path, "{}: {p}", case.json);
                assert_eq!(p["message_en"], e.en(), "{}", case.json);
            }
        }
    }
}

/// The log holds text as the reader gave it: what the reader would still
/// change (spaces around a name, free names out of order, a name too long
/// for any path in) is refused, never silently read differently.
#[test]
fn the_log_refuses_text_no_reader_gives() {
    for b in [
        json!({"marks": "YNN", "write_ins": {"1": " 李七 "}}),
        json!({"marks": "YNN", "write_ins": {"01": "李七"}}),
        json!({"marks": "YNN", "write_ins": {"1": "长".repeat(101)}}),
        json!({"marks": "", "names": ["王八", "李七"]}),
        json!({"void": " 签名"}),
    ] {
        let special: SpecialBallot = serde_json::from_value(b.clone()).unwrap();
        let lines = b["marks"].as_str().map_or(0, |m| m.chars().count());
        assert!(special.to_ballot(lines).is_err(), "the log reads {b}");
    }
    let good: SpecialBallot =
        serde_json::from_value(json!({"marks": "YNN", "write_ins": {"1": "李七"}})).unwrap();
    assert!(good.to_ballot(3).is_ok());
}
