//! A round counted by hand (唱票计票, issue 12 item 24): chosen when the
//! round opens; two counters enter per-candidate totals and the ballot
//! counts; a difference is shown per candidate and a scrutineer chooses
//! a reading or sends the totals back; the tally uses the totals; the
//! verifier replays it.

use crate::common;

use serde_json::{json, Value};

use common::bundle;
use common::meeting::{cosigner, Meeting};
use common::server::Server;
use scrutineer::log::event::Event;

fn totals(valid: u64, void: u64, lines: &[(u64, u64, u64)]) -> Value {
    json!({
        "valid": valid,
        "void": void,
        "lines": lines.iter().map(|(f, a, b)| json!({ "for": f, "against": a, "abstain": b })).collect::<Vec<_>>(),
    })
}

#[test]
fn a_round_counted_by_hand_is_tallied_from_two_counters_totals() {
    let server = Server::start("totals");
    let m = Meeting::create(server.client(), &server.setup, 10, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 10 }))
        .expect(200);
    let c1 = m.add("counter", "计票一", None);
    let c2 = m.add("counter", "计票二", None);
    let ks = cosigner("监票一", 51);
    let s = m.add("scrutineer", "监票一", Some(&ks));
    m.post(
        &org,
        "/elections",
        json!({ "contest": "支部委员会委员", "seats": 2 }),
    )
    .expect(201);
    for p in [&c1, &c2, &s] {
        m.assign("e1", p);
    }
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": ["甲", "乙", "丙"] }),
    )
    .expect(201);
    let r = m
        .post(
            &org,
            "/rounds/r1/open",
            json!({ "issued": 10, "counting": "totals" }),
        )
        .expect(200)
        .json();
    assert_eq!(r["counting"], "totals", "{r}");
    assert_eq!(r["totals"]["state"], "none", "{r}");

    // No ballots in a round counted by hand.
    m.enter(&c1, "r1", "b1", "1", &json!(["YYN"]))
        .problem(409, "counted_by_hand");
    // Each line must add up to the valid ballots.
    let p = m
        .post(
            &c1,
            "/rounds/r1/totals",
            totals(9, 1, &[(8, 1, 0), (5, 2, 1), (4, 4, 1)]),
        )
        .problem(422, "invalid_field");
    assert_eq!(p["field"], "lines[1]", "{p}");
    assert!(
        p["message_zh"]
            .as_str()
            .unwrap_or("")
            .contains("应等于有效票 9"),
        "{p}"
    );

    let good = totals(9, 1, &[(8, 1, 0), (7, 1, 1), (3, 5, 1)]);
    let misread = totals(9, 1, &[(8, 1, 0), (1, 7, 1), (3, 5, 1)]);
    let first = m
        .post(&c1, "/rounds/r1/totals", good.clone())
        .expect(201)
        .json();
    assert_eq!(first["state"], "awaiting_second");
    m.post(&c1, "/rounds/r1/totals", good.clone())
        .problem(409, "already_entered");
    let second = m.post(&c2, "/rounds/r1/totals", misread).expect(201).json();
    assert_eq!(second["state"], "differences");
    // The scrutineer sees which candidate differs; a counter only their own.
    let view = m.get(&s, "/rounds/r1").expect(200).json();
    assert_eq!(
        view["totals"]["differences"],
        json!([{ "line": 1, "candidate": "乙",
                 "first": { "for": 7, "against": 1, "abstain": 1 },
                 "second": { "for": 1, "against": 7, "abstain": 1 } }])
    );
    let mine = m.get(&c2, "/rounds/r1").expect(200).json();
    assert!(mine["totals"].get("readings").is_none(), "{mine}");
    assert_eq!(mine["totals"]["mine"]["lines"][1]["for"], 1);
    m.post(&s, "/rounds/r1/close", json!({ "returned": 10 }))
        .problem(409, "totals_pending");
    // Sent back: both enter again, alike this time.
    m.post(
        &s,
        "/rounds/r1/totals/resolve",
        json!({ "resolution": "send_back", "reason": "重新唱票" }),
    )
    .expect(200);
    m.post(&c2, "/rounds/r1/totals", good.clone()).expect(201);
    let done = m.post(&c1, "/rounds/r1/totals", good).expect(201).json();
    assert_eq!(done["state"], "reconciled");
    m.post(&s, "/rounds/r1/close", json!({ "returned": 9 }))
        .problem(409, "ballot_count_mismatch");
    let closed = m
        .post(&s, "/rounds/r1/close", json!({ "returned": 10 }))
        .expect(200)
        .json();
    let res = &closed["result"];
    assert_eq!(res["status"], "complete", "{res}");
    assert_eq!(res["elected"], json!(["甲", "乙"]), "{res}");
    assert_eq!(res["ballots"]["valid"], 9, "{res}");
    assert_eq!(res["ballots"]["invalid"], 1, "{res}");

    // The verifier replays the tally from the logged totals.
    let auditor = m.add("auditor", "审计", None);
    let b = bundle::read(&m.get(&auditor, "/bundle").expect(200).body);
    let report = bundle::verified(&b);
    assert!(report.tallies.iter().all(|t| t.matches));
    let events = bundle::events(&b);
    assert!(events.iter().any(|e| matches!(e, Event::HandCount { .. })));
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::TotalsCounted { .. }))
            .count(),
        1
    );
    // The start-up check accepts the database (as at a restart).
    scrutineer::service::Service::open(&server.dir.path().join("meeting.db"))
        .expect("the state tables and the log agree");
}

#[test]
fn a_scrutineer_chooses_a_reading() {
    let server = Server::start("totals-choose");
    let m = Meeting::create(server.client(), &server.setup, 5, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 5 }))
        .expect(200);
    let c1 = m.add("counter", "计票一", None);
    let c2 = m.add("counter", "计票二", None);
    let ks = cosigner("监票一", 52);
    let s = m.add("scrutineer", "监票一", Some(&ks));
    m.post(&org, "/elections", json!({ "contest": "书记", "seats": 1 }))
        .expect(201);
    for p in [&c1, &c2, &s] {
        m.assign("e1", p);
    }
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": ["甲", "乙"] }),
    )
    .expect(201);
    m.post(
        &org,
        "/rounds/r1/open",
        json!({ "issued": 5, "counting": "totals" }),
    )
    .expect(200);
    m.post(
        &s,
        "/rounds/r1/totals/resolve",
        json!({ "resolution": "first" }),
    )
    .problem(409, "no_totals_difference");
    // One reading misread: sent back alone, before the second.
    m.post(
        &c1,
        "/rounds/r1/totals",
        totals(5, 0, &[(3, 2, 0), (2, 2, 1)]),
    )
    .expect(201);
    m.post(
        &s,
        "/rounds/r1/totals/resolve",
        json!({ "resolution": "first" }),
    )
    .problem(409, "no_totals_difference");
    m.post(
        &s,
        "/rounds/r1/totals/resolve",
        json!({ "resolution": "send_back" }),
    )
    .expect(200);
    m.post(
        &c1,
        "/rounds/r1/totals",
        totals(5, 0, &[(4, 1, 0), (1, 3, 1)]),
    )
    .expect(201);
    m.post(
        &c2,
        "/rounds/r1/totals",
        totals(4, 1, &[(3, 1, 0), (1, 3, 0)]),
    )
    .expect(201);
    let view = m.get(&s, "/rounds/r1").expect(200).json();
    let d = view["totals"]["differences"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(d.len(), 4, "two lines, valid and void: {view}");
    m.post(
        &s,
        "/rounds/r1/totals/resolve",
        json!({ "resolution": "first" }),
    )
    .expect(200);
    let closed = m
        .post(&s, "/rounds/r1/close", json!({ "returned": 5 }))
        .expect(200)
        .json();
    assert_eq!(closed["result"]["elected"], json!(["甲"]));
    let auditor = m.add("auditor", "审计", None);
    bundle::verified(&bundle::read(&m.get(&auditor, "/bundle").expect(200).body));
}
