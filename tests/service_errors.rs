//! Client mistakes are 4xx problem+json documents naming the field path and
//! what was expected — never a 500 — and a refused batch changes nothing.

use crate::common;

use serde_json::{json, Value};

use common::http::Request;
use common::meeting::Meeting;
use common::server::Server;

#[test]
fn client_mistakes_are_problems_with_field_paths() {
    let server = Server::start("errors");
    let c = server.client();
    let m = Meeting::create(c, &server.setup, 30, json!([]));
    let org = m.organiser.clone();
    let send = |req: Request| c.send(&req.token(&org.token));

    // Body shape.
    send(Request::new("PUT", &m.path("/attendance")).raw(b"{\"present\": ", "application/json"))
        .problem(400, "invalid_json");
    let p = send(Request::new("PUT", &m.path("/attendance")).json(&json!({ "present": "many" })))
        .problem(400, "invalid_json");
    assert_eq!(p["field"], "present");
    let p = send(
        Request::new("PUT", &m.path("/attendance")).json(&json!({ "present": 3, "extra": 1 })),
    )
    .problem(400, "invalid_json");
    assert!(p["message_en"].as_str().unwrap().contains("extra"), "{p}");
    let p = send(
        Request::new("POST", &m.path("/elections"))
            .json(&json!({ "contest": "委员", "office": "king", "seats": 1 })),
    )
    .problem(400, "invalid_json");
    assert_eq!(p["field"], "office");
    send(
        Request::new("PUT", &m.path("/attendance"))
            .raw(b"present=3", "application/x-www-form-urlencoded"),
    )
    .problem(415, "unsupported_media_type");
    send(
        Request::new("PUT", &m.path("/attendance"))
            .raw(&vec![b' '; (1 << 20) + 10], "application/json"),
    )
    .problem(413, "payload_too_large");
    send(Request::new("PUT", &m.path("/attendance"))).problem(400, "invalid_json");
    // Routes and methods.
    c.send(&Request::new("GET", "/api/nothing"))
        .problem(404, "route_not_found");
    c.send(&Request::new("DELETE", "/api/health"))
        .problem(405, "method_not_allowed");
    send(Request::new("GET", "/api/meetings/%FF%FE")).problem(400, "invalid_path");
    send(Request::new("GET", &m.path("/rounds/r404"))).problem(404, "not_found");
    // Values the rules refuse.
    m.put(&org, "/attendance", json!({ "present": 31 }))
        .problem(422, "invalid_field");
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": ["甲", "乙"] }),
    )
    .problem(409, "method_not_adopted");
    let p = m
        .put(&org, "/method", json!({ "preset": "grassroots-2030" }))
        .problem(422, "unknown_preset");
    assert_eq!(p["field"], "preset");
    let p = m
        .put(&org, "/method", json!({ "preset": "grassroots-2020", "overrides": { "quorum": { "num": 1, "den": 0 } } }))
        .problem(422, "bad_method_parameter");
    assert_eq!(p["field"], "overrides.quorum");
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.post(&org, "/rounds/r1/open", json!({ "issued": 1 }))
        .problem(404, "not_found");
    m.post(&org, "/elections", json!({ "contest": "委员", "seats": 2 }))
        .expect(201);
    let p = m
        .post(
            &org,
            "/elections/e1/rounds",
            json!({ "kind": "formal", "candidates": ["甲", "乙", "", "丁"] }),
        )
        .problem(422, "invalid_field");
    assert_eq!(p["field"], "candidates[2]");
    let p = m
        .post(
            &org,
            "/elections/e1/rounds",
            json!({ "kind": "formal", "candidates": ["甲", "乙", "甲"] }),
        )
        .problem(422, "invalid_field");
    assert_eq!(p["field"], "candidates[2]");
    let p = m
        .post(
            &org,
            "/elections/e1/rounds",
            json!({ "kind": "preliminary", "candidates": ["甲", "乙", "丙", "丁"] }),
        )
        .problem(422, "invalid_field");
    assert_eq!(p["field"], "next_size");
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": ["甲", "乙", "丙"] }),
    )
    .expect(201);
    m.post(&org, "/rounds/r1/open", json!({ "issued": 1 }))
        .problem(409, "attendance_not_recorded");
    m.put(&org, "/attendance", json!({ "present": 28 }))
        .expect(200);
    // Scrutineers are assigned before voting begins.
    let s = m.add("scrutineer", "监票", None);
    m.assign("e1", &s);
    m.post(&org, "/rounds/r1/open", json!({ "issued": 28 }))
        .expect(200);
    m.post(&org, "/rounds/r1/open", json!({ "issued": 28 }))
        .problem(409, "round_not_draft");
    let late = m.add("scrutineer", "监票乙", None);
    m.post(
        &org,
        "/elections/e1/assignments",
        json!({ "person": late.id }),
    )
    .problem(409, "scrutineers_fixed");

    // Ballot entry: every bad ballot named by its path; nothing changes.
    let counter = m.add("counter", "计票", None);
    m.assign("e1", &counter);
    let size = |m: &Meeting| {
        m.get(&org, "").expect(200).json()["log"]["size"]
            .as_u64()
            .unwrap()
    };
    let before = size(&m);
    let cases = [
        (json!(["YNA", "YN"]), "ballots[1]"),
        (
            json!(["YNA", "YNA", "YNA", { "marks": "YNB" }]),
            "ballots[3].marks",
        ),
        (
            json!(["YNA", { "marks": "YNN", "write_ins": { "9": "李七" } }]),
            "ballots[1].write_ins.9",
        ),
        (
            json!(["YNA", { "marks": "YNN", "write_ins": { "1": " " } }]),
            "ballots[1].write_ins.1",
        ),
        (json!([{ "void": "" }]), "ballots[0].void"),
        (
            json!([{ "void": "签名", "marks": "YNA" }]),
            "ballots[0].marks",
        ),
        (json!([7]), "ballots[0]"),
        (json!([]), "ballots"),
    ];
    for (i, (ballots, field)) in cases.iter().enumerate() {
        let p = m
            .enter(&counter, "r1", "b1", &format!("bad-{i}"), ballots)
            .problem(422, "invalid_field");
        assert_eq!(p["field"], *field, "{ballots}: {p}");
    }
    let p = m
        .enter(&counter, "r1", "b1", "too-many", &json!(vec!["YNA"; 501]))
        .problem(422, "batch_too_large");
    assert_eq!(p["field"], "ballots");
    let long = "长".repeat(100);
    let heavy: Vec<Value> = (0..300)
        .map(|_| json!({ "marks": "NNN", "write_ins": { "0": long, "1": long, "2": long } }))
        .collect();
    let p = m
        .enter(&counter, "r1", "b1", "heavy", &json!(heavy))
        .problem(422, "batch_too_large");
    assert_eq!(p["field"], "ballots");
    let p = m
        .enter(&counter, "r1", "bad%21label", "k", &json!(["YNA"]))
        .problem(422, "invalid_field");
    assert_eq!(p["field"], "batch");
    c.send(
        &Request::new("POST", &m.path("/rounds/r1/batches/b1/entries"))
            .token(&counter.token)
            .json(&json!({ "ballots": ["YNA"] })),
    )
    .problem(428, "idempotency_key_required");
    assert_eq!(size(&m), before, "a refused batch changed the log");
    // The log tells people apart by role and name.
    let p = m
        .post(
            &org,
            "/people",
            json!({ "role": "scrutineer", "name": "监票" }),
        )
        .problem(422, "invalid_field");
    assert_eq!(p["field"], "name");
    assert_eq!(
        m.get(&s, "/rounds/r1/batches").expect(200).json(),
        json!([])
    );
    // A good batch still goes in afterwards, under a key a refused one used.
    m.enter(&counter, "r1", "b1", "bad-0", &json!(["YNA", "YNY"]))
        .expect(201);
}
