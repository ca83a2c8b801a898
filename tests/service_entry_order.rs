//! A second entry keyed from the bottom of the stack (issue 12, item 10),
//! over HTTP on a real SQLite file: refused before anything is written
//! (`409 entry_reversed`), accepted turned round, or as it is with
//! `order_checked` (then every paper is a difference, as entered).

use crate::common;

use serde_json::json;

use common::meeting::{cosigner, Meeting};
use common::server::Server;

#[test]
fn a_reversed_second_entry_is_refused_until_turned_round_or_confirmed() {
    let server = Server::start("entry-order");
    let m = Meeting::create(server.client(), &server.setup, 10, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 10 }))
        .expect(200);
    let c1 = m.add("counter", "计票一", None);
    let c2 = m.add("counter", "计票二", None);
    let s = m.add("scrutineer", "监票一", Some(&cosigner("监票一", 81)));
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
    m.post(&org, "/rounds/r1/open", json!({ "issued": 10 }))
        .expect(200);
    let stack = json!(["YNA", "NYA", "AAY", "YYN"]);
    let reversed = json!(["YYN", "AAY", "NYA", "YNA"]);
    m.enter(&c1, "r1", "b1", "k1", &stack).expect(201);
    let size = |m: &Meeting| m.get(&org, "/checkpoint").expect(200).json()["size"].clone();
    let before = size(&m);
    let p = m
        .enter(&c2, "r1", "b1", "k2", &reversed)
        .problem(409, "entry_reversed");
    assert_eq!(p["field"], "ballots");
    assert!(
        p["message_zh"].as_str().unwrap_or("").contains("顺序相反"),
        "{p}"
    );
    assert_eq!(size(&m), before, "nothing logged");
    let b = m.get(&s, "/rounds/r1/batches/b1").expect(200).json();
    assert_eq!(b["state"], "awaiting_second");

    // Confirmed as keyed: accepted, and every paper that moved differs.
    let confirmed = m.c.send(
        &common::http::Request::new("POST", &m.path("/rounds/r1/batches/b1/entries"))
            .token(&c2.token)
            .header("Idempotency-Key", "k3")
            .json(&json!({ "ballots": reversed, "order_checked": true })),
    );
    let r = confirmed.expect(201).json();
    assert_eq!(r["batch_state"], "differences", "{r}");

    // Another batch, turned round: reconciled at once.
    m.enter(&c1, "r1", "b2", "k4", &stack).expect(201);
    m.enter(&c2, "r1", "b2", "k5", &reversed)
        .problem(409, "entry_reversed");
    let r = m.enter(&c2, "r1", "b2", "k6", &stack).expect(201).json();
    assert_eq!(r["batch_state"], "reconciled", "{r}");
}
