//! The box opening (issue 12 item 23): two scrutineers count the ballots
//! in the box before counting, a mismatch stands until it is settled, the
//! ruling is announced with its numbers, and closing compares the count
//! with it. Each count is a signed `box_counted` the verifier replays.

use crate::common;

use serde_json::{json, Value};

use common::bundle;
use common::meeting::{copies, cosigner, Meeting};
use common::server::Server;
use scrutineer::log::event::Event;

fn ballots(groups: &[(usize, &str)]) -> Value {
    json!(groups
        .iter()
        .flat_map(|(n, m)| copies(*n, json!(m)))
        .collect::<Vec<_>>())
}

struct Setup {
    m: Meeting,
    c1: common::meeting::Person,
    c2: common::meeting::Person,
    s1: common::meeting::Person,
    s2: common::meeting::Person,
}

fn setup(name: &str, server: &Server) -> Setup {
    let m = Meeting::create(server.client(), &server.setup, 10, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 10 }))
        .expect(200);
    let c1 = m.add("counter", "计票一", None);
    let c2 = m.add("counter", "计票二", None);
    let ks1 = cosigner(&format!("{name}监票一"), 41);
    let ks2 = cosigner(&format!("{name}监票二"), 42);
    let s1 = m.add("scrutineer", &format!("{name}监票一"), Some(&ks1));
    let s2 = m.add("scrutineer", &format!("{name}监票二"), Some(&ks2));
    m.post(
        &org,
        "/elections",
        json!({ "contest": "支部委员会委员", "seats": 2 }),
    )
    .expect(201);
    for p in [&c1, &c2, &s1, &s2] {
        m.assign("e1", p);
    }
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": ["甲", "乙", "丙"] }),
    )
    .expect(201);
    m.post(&org, "/rounds/r1/open", json!({ "issued": 10 }))
        .expect(200);
    Setup { m, c1, c2, s1, s2 }
}

fn msg(p: &Value) -> String {
    p["message_zh"].as_str().unwrap_or("").to_string()
}

#[test]
fn two_scrutineers_count_the_box_and_closing_holds_to_it() {
    let server = Server::start("box");
    let Setup { m, c1, c2, s1, s2 } = setup("", &server);
    let org = m.organiser.clone();
    // Only the election's scrutineers count the box.
    m.post(&org, "/rounds/r1/box", json!({ "returned": 10 }))
        .problem(403, "forbidden_role");
    m.post(&c1, "/rounds/r1/box", json!({ "returned": 10 }))
        .problem(403, "forbidden_role");

    // A typo (64 for 46) is one count, never the record.
    let b = m
        .post(&s1, "/rounds/r1/box", json!({ "returned": 64 }))
        .expect(201)
        .json();
    assert_eq!(b["state"], "awaiting_second", "{b}");
    let p = m
        .post(&s1, "/rounds/r1/close", json!({}))
        .problem(409, "box_not_settled");
    assert!(msg(&p).contains("尚须另一名监票人复点确认"), "{p}");
    let b = m
        .post(&s2, "/rounds/r1/box", json!({ "returned": 10 }))
        .expect(201)
        .json();
    assert_eq!(b["state"], "differs", "{b}");
    assert_eq!(
        b["differs"],
        json!([{ "name": "监票一", "returned": 64 }, { "name": "监票二", "returned": 10 }])
    );
    assert_eq!(b["ruling"], Value::Null);
    let p = m
        .post(&s2, "/rounds/r1/close", json!({ "returned": 10 }))
        .problem(409, "box_not_settled");
    assert!(msg(&p).contains("监票一 64、监票二 10"), "{p}");
    // The one who differs counts again: settled, and the ruling is known
    // before a ballot is counted.
    let b = m
        .post(&s1, "/rounds/r1/box", json!({ "returned": 10 }))
        .expect(201)
        .json();
    assert_eq!(b["state"], "settled", "{b}");
    assert_eq!(b["returned"], 10);
    assert_eq!(b["by"], json!(["监票一", "监票二"]));
    assert_eq!(
        b["ruling"],
        json!({ "valid": true, "issued": 10, "present": 10, "voted": 10, "returned": 10, "limit": 10, "base": "issued" })
    );
    let p = m
        .post(&s2, "/rounds/r1/box", json!({ "returned": 11 }))
        .problem(409, "box_settled");
    assert!(msg(&p).contains("收回选票 10 张"), "{p}");
    // Everyone sees the ruling on the round.
    let r = m.get(&org, "/rounds/r1").expect(200).json();
    assert_eq!(r["box"]["state"], "settled");

    // Nine papers entered: closing says plainly one is missing.
    let first = ballots(&[(5, "YYN"), (4, "YNY")]);
    m.enter(&c1, "r1", "b1", "1", &first).expect(201);
    m.enter(&c2, "r1", "b1", "2", &first).expect(201);
    let p = m
        .post(&s1, "/rounds/r1/close", json!({}))
        .problem(409, "ballot_count_mismatch");
    assert_eq!(
        msg(&p),
        "开箱时清点收回选票 10 张，已计票 9 张，少了 1 张。请查找未录入或重复录入的选票",
        "{p}"
    );
    assert_eq!(p["difference"], 1, "{p}");
    // A number other than the box count is refused, naming both.
    let p = m
        .post(&s1, "/rounds/r1/close", json!({ "returned": 9 }))
        .problem(409, "returned_differs_from_box");
    assert!(
        msg(&p).contains("清点收回选票 10 张，现填写 9 张，相差 1 张"),
        "{p}"
    );
    let last = ballots(&[(1, "NYY")]);
    m.enter(&c1, "r1", "b2", "3", &last).expect(201);
    m.enter(&c2, "r1", "b2", "4", &last).expect(201);
    let closed = m
        .post(&s1, "/rounds/r1/close", json!({}))
        .expect(200)
        .json();
    assert_eq!(closed["facts"]["returned"], 10, "{closed}");
    assert_eq!(closed["result"]["status"], "complete", "{closed}");

    // The counts are in the log, each signed by the scrutineer who
    // counted, and the verifier replays them.
    let auditor = m.add("auditor", "审计", None);
    let zip = m.get(&auditor, "/bundle").expect(200);
    let b = bundle::read(&zip.body);
    bundle::verified(&b);
    let counts: Vec<(String, u64)> = bundle::events(&b)
        .into_iter()
        .filter_map(|e| match e {
            Event::BoxCounted { returned, by, .. } => Some((by.unwrap_or_default(), returned)),
            _ => None,
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("监票一".to_string(), 64),
            ("监票二".to_string(), 10),
            ("监票一".to_string(), 10)
        ]
    );

    // The start-up check holds the box counts to the log: one edited
    // count is refused, naming the table and the round.
    let db = server.dir.path().join("meeting.db");
    scrutineer::service::Service::open(&db).expect("the tables agree with the log");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE box_count SET returned = 46 WHERE seq = 1", [])
        .unwrap();
    let refused = scrutineer::service::Service::open(&db)
        .err()
        .expect("an edited box count is refused");
    assert!(
        refused.message_en.contains("box_count") && refused.message_en.contains("round r1"),
        "{refused}"
    );
}

#[test]
fn a_void_box_two_scrutineers_counted_closes_void_without_retyping() {
    let server = Server::start("box-void");
    let Setup { m, s1, s2, .. } = setup("", &server);
    for s in [&s1, &s2] {
        m.post(s, "/rounds/r1/box", json!({ "returned": 12 }))
            .expect(201);
    }
    let r = m.get(&s1, "/rounds/r1").expect(200).json();
    assert_eq!(r["box"]["ruling"]["valid"], false, "{r}");
    assert_eq!(r["box"]["ruling"]["limit"], 10, "{r}");
    let closed = m
        .post(&s2, "/rounds/r1/close", json!({}))
        .expect(200)
        .json();
    assert_eq!(closed["result"]["status"], "void", "{closed}");
    let auditor = m.add("auditor", "审计", None);
    bundle::verified(&bundle::read(&m.get(&auditor, "/bundle").expect(200).body));
}

#[test]
fn without_a_box_count_closing_needs_the_number() {
    let server = Server::start("box-none");
    let Setup { m, s1, .. } = setup("", &server);
    let p = m
        .post(&s1, "/rounds/r1/close", json!({}))
        .problem(422, "invalid_field");
    assert_eq!(p["field"], "returned");
}
