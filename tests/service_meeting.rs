//! A whole meeting over real HTTP (port 0) on a real SQLite file: two
//! counters, a reconciliation with differences, a void ballot, a tie that
//! leads to a runoff, a shortfall that leads to a supplementary round,
//! scrutineers' cosignatures, announcement, live results, the audit bundle
//! and its verification, and every tally replayed by `scrutineer tally`.

use crate::common;

use serde_json::{json, Value};

use common::bundle;
use common::meeting::{copies, cosigner, Meeting};
use common::server::Server;

const A: &str = "甲一";
const B: &str = "乙二";
const C: &str = "丙三";
const D: &str = "丁四";
const E: &str = "戊五";

fn ballots(groups: &[(usize, &str)]) -> Vec<Value> {
    groups
        .iter()
        .flat_map(|(n, m)| copies(*n, json!(m)))
        .collect()
}

/// A key's fingerprint as the report prints it: SHA-256 of the raw public
/// key, lower-case hex in groups of four.
fn fingerprint(k: &scrutineer::log::cosignature::Cosigner) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(k.verifier_key().public_key().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let groups: Vec<&str> = (0..hex.len()).step_by(4).map(|i| &hex[i..i + 4]).collect();
    groups.join(" ")
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_str().expect("name").to_string())
        .collect()
}

#[test]
fn a_whole_meeting() {
    let server = Server::start("meeting");
    let c = server.client();
    c.get("/api/health", "").expect(200);
    let m = Meeting::create(
        c,
        &server.setup,
        21,
        json!([{ "reason": "出国半年以上", "count": 1, "approved_by": "上级党委组织部" }]),
    );
    let org = m.organiser.clone();
    let view = m.get(&org, "").expect(200).json();
    assert_eq!(view["entitled"], 20);
    // meeting_created and the organiser's login_issued.
    assert_eq!(view["log"]["size"], 2);

    // Method, attendance (with a roster that is never linked to ballots).
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    let roster: Vec<String> = (1..=18).map(|i| format!("党员{i}")).collect();
    let att = m
        .put(
            &org,
            "/attendance",
            json!({ "present": 18, "roster": roster }),
        )
        .expect(200)
        .json();
    assert_eq!(att["quorum_met"], true);
    assert_eq!(att["quorum_required"], 17);

    // People.
    let k1 = cosigner("王五", 11);
    let k2 = cosigner("钱八", 12);
    let counter1 = m.add("counter", "李四", None);
    let counter2 = m.add("counter", "赵六", None);
    let s1 = m.add("scrutineer", "王五", Some(&k1));
    let s2 = m.add("scrutineer", "钱八", Some(&k2));
    let presidium = m.add("presidium", "主席团", None);
    let auditor = m.add("auditor", "审计", None);
    let display = m.add("display", "大屏", None);
    let e = m
        .post(
            &org,
            "/elections",
            json!({ "contest": "支部委员会委员", "office": "committee", "seats": 3 }),
        )
        .expect(201)
        .json();
    assert_eq!(e["id"], "e1");
    for p in [&counter1, &counter2, &s1, &s2] {
        m.assign("e1", p);
    }

    // Who a token is: the elections the person is assigned to and the
    // key they registered (none yet for a counter who has not acted);
    // the setup token is only that.
    let me = m.c.get("/api/me", &s1.token).expect(200).json();
    assert_eq!(me["role"], "scrutineer");
    assert_eq!(me["elections"], json!(["e1"]));
    assert_eq!(me["key"], json!(k1.verifier_key().to_string()));
    let me = m.c.get("/api/me", &counter1.token).expect(200).json();
    assert_eq!(me["elections"], json!(["e1"]));
    assert_eq!(me["key"], Value::Null, "{me}");
    let me = m.c.get("/api/me", &org.token).expect(200).json();
    assert_eq!(me["elections"], json!([]));
    let me = m.c.get("/api/me", &server.setup).expect(200).json();
    assert_eq!(me, json!({ "role": "setup" }));

    // Candidate lists are checked, with the numbers.
    let p = m
        .post(
            &org,
            "/elections/e1/rounds",
            json!({ "kind": "formal", "candidates": [A, B, C] }),
        )
        .problem(422, "candidate_list_rejected");
    assert_eq!(p["field"], "candidates");
    assert_eq!(
        p["message_en"],
        "3 seats need at least 4 candidates; 3 given (differential ratio at least 20%)"
    );
    assert!(
        p["message_zh"]
            .as_str()
            .unwrap()
            .contains("应选3名，候选人至少4名；现有3名"),
        "{p}"
    );
    let p = m
        .post(
            &org,
            "/elections/e1/rounds",
            json!({ "kind": "formal", "candidates": [A, B, "王五", D] }),
        )
        .problem(422, "candidate_is_supervisor");
    assert_eq!(p["field"], "candidates[2]");
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "runoff", "candidates": [A, B] }),
    )
    .problem(422, "round_kind_by_decision");
    let r1 = m
        .post(
            &org,
            "/elections/e1/rounds",
            json!({ "kind": "formal", "candidates": [A, B, C, D, E] }),
        )
        .expect(201)
        .json();
    assert_eq!(r1["id"], "r1");
    assert_eq!(r1["state"], "draft");
    // A candidate can never be assigned to supervise the election.
    let cand = m.add("counter", D, None);
    let p = m
        .post(
            &org,
            "/elections/e1/assignments",
            json!({ "person": cand.id }),
        )
        .problem(409, "supervisor_is_candidate");
    assert_eq!(p["field"], "person");

    // Open the formal round (issued > present is allowed: see
    // `replacement_ballots_open_and_get_a_box_ruling`).
    let opened = m
        .post(&org, "/rounds/r1/open", json!({ "issued": 18 }))
        .expect(200)
        .json();
    assert_eq!(opened["status"], "unofficial-partial");
    m.put(&org, "/attendance", json!({ "present": 17 }))
        .problem(409, "attendance_locked");
    m.put(&org, "/method", json!({ "preset": "grassroots-1990" }))
        .problem(409, "method_locked");

    // Live viewers.
    let mut live_presidium = m.c.events(&m.path("/rounds/r1/events"), &presidium.token);
    let mut live_display = m.c.events(&m.path("/rounds/r1/events"), &display.token);
    assert_eq!(live_presidium.status, 200);
    let first = live_presidium.next_named("state").json();
    assert_eq!(first["state"], "open");
    let t0 = live_presidium.next_named("tally").json();
    assert_eq!(t0["result"]["ballots"]["valid"], 0);

    // Batch b1: both counters agree.
    let abc = "YYYNA";
    let abd = "YYAYN";
    let acd = "YAYYA";
    let bcd = "AYYYA";
    let abe = "YYNAY";
    let b1 = ballots(&[(4, abc), (4, abd), (1, acd)]);
    let first_entry = m
        .enter(&counter1, "r1", "b1", "c1-b1", &json!(b1))
        .expect(201)
        .json();
    assert_eq!(first_entry["entry"], "first");
    assert_eq!(first_entry["batch_state"], "awaiting_second");
    // A retry with the same key returns the original response, changes nothing.
    let retry = m
        .enter(&counter1, "r1", "b1", "c1-b1", &json!(b1))
        .expect(201);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.json(), first_entry);
    m.enter(&counter1, "r1", "b1", "c1-b1", &json!(ballots(&[(9, abc)])))
        .problem(422, "idempotency_key_reused");
    m.enter(&counter1, "r1", "b1", "c1-b1-again", &json!(b1))
        .problem(409, "already_entered");
    let second = m
        .enter(&counter2, "r1", "b1", "c2-b1", &json!(b1))
        .expect(201);
    let stamp = second
        .header("scrutineer-checkpoint")
        .expect("checkpoint header")
        .to_string();
    let second = second.json();
    assert_eq!(second["batch_state"], "reconciled");
    let third = m.add("counter", "孙七", None);
    m.assign("e1", &third);
    m.enter(&third, "r1", "b1", "c3-b1", &json!(b1))
        .problem(409, "batch_complete");

    // The presidium sees the count as it stands, stamped with the checkpoint.
    let size: u64 = stamp.split(' ').next().unwrap().parse().unwrap();
    // (Updates are coalesced: the first one at or after that checkpoint.)
    let id_of = |e: &common::http::SseEvent| e.id.as_deref().unwrap_or("0").parse::<u64>().unwrap();
    let tally = loop {
        let t = live_presidium.next_named("tally");
        if id_of(&t) >= size {
            break t.json();
        }
    };
    let at = tally["checkpoint"]["size"].as_u64().unwrap();
    assert!(at >= size);
    if at == size {
        assert_eq!(
            tally["checkpoint"]["root"],
            stamp.split(' ').nth(1).unwrap()
        );
    }
    let signed = m.get(&auditor, "/checkpoint").expect(200).json();
    assert!(at <= signed["size"].as_u64().unwrap());
    assert_eq!(tally["result"]["ballots"]["valid"], 9);
    assert_eq!(tally["result"]["tally"][0]["for"], 9);
    // The display sees progress, never numbers before the announcement.
    loop {
        let ev = live_display.next_event().unwrap().expect("event");
        assert_ne!(ev.event, "tally", "display got a tally before announcement");
        if id_of(&ev) >= size {
            assert_eq!(ev.json()["batches"]["reconciled"], 1);
            break;
        }
    }

    // Batch b2: two differences — a misread line and a paper one counter
    // entered as marks and the other as void (it carries a signature).
    let mut b2_first = ballots(&[(3, acd), (1, bcd)]);
    b2_first.push(json!("YYAAN"));
    b2_first.extend(ballots(&[(2, bcd), (2, abe)]));
    let mut b2_second = b2_first.clone();
    b2_second[2] = json!("YAYNA");
    b2_second[4] = json!({ "void": "选票上有签名" });
    m.enter(&counter1, "r1", "b2", "c1-b2", &json!(b2_first))
        .expect(201);
    let diff = m
        .enter(&counter2, "r1", "b2", "c2-b2", &json!(b2_second))
        .expect(201)
        .json();
    assert_eq!(diff["batch_state"], "differences");
    // Counters see only their own entry.
    let own = m.get(&counter2, "/rounds/r1/batches/b2").expect(200).json();
    assert_eq!(own["own_entry"]["ballots"], json!(b2_second));
    assert!(
        own.get("differences").is_none() && own.get("entries").is_none(),
        "{own}"
    );
    m.get(&counter2, "/rounds/r1/batches/none")
        .problem(404, "not_found");
    m.get(&counter1, "/rounds/r1/result")
        .problem(403, "forbidden_role");
    let listed = m.get(&counter1, "/rounds/r1/batches").expect(200).json();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    // The scrutineer sees the differences ballot by ballot, line by line.
    let seen = m.get(&s1, "/rounds/r1/batches/b2").expect(200).json();
    let d = seen["differences"].as_array().unwrap();
    assert_eq!(d.len(), 2, "{seen}");
    assert_eq!(d[0]["position"], 2);
    assert_eq!(
        d[0]["lines"],
        json!([{ "line": 3, "candidate": D, "first": "Y", "second": "N" }])
    );
    assert_eq!(d[1]["position"], 4);
    assert_eq!(d[1]["first"], json!({ "marks": "YYAAN" }));
    assert_eq!(d[1]["second"], json!({ "void": "选票上有签名" }));
    // Nothing closes while a batch is unresolved.
    let p = m
        .post(&s1, "/rounds/r1/close", json!({ "returned": 18 }))
        .problem(409, "batches_pending");
    assert_eq!(p["batches"], json!(["b2"]));
    m.post(
        &s1,
        "/rounds/r1/batches/b2/resolutions",
        json!({ "position": 1, "resolution": "first" }),
    )
    .problem(422, "not_a_difference");
    m.post(
        &s1,
        "/rounds/r1/batches/b2/resolutions",
        json!({ "position": 4, "resolution": "void" }),
    )
    .problem(422, "invalid_field");
    let after = m
        .post(
            &s1,
            "/rounds/r1/batches/b2/resolutions",
            json!({ "position": 2, "resolution": "first" }),
        )
        .expect(200)
        .json();
    assert_eq!(after["state"], "differences");
    let done = m
        .post(
            &s2,
            "/rounds/r1/batches/b2/resolutions",
            json!({ "position": 4, "resolution": "void", "reason": "选票上有签名，监票人认定为废票" }),
        )
        .expect(200)
        .json();
    assert_eq!(done["state"], "reconciled");
    assert_eq!(done["ballots"], 9);
    m.post(
        &s1,
        "/rounds/r1/batches/b2/resolutions",
        json!({ "position": 2, "resolution": "first" }),
    )
    .problem(409, "batch_has_no_differences");

    // Close: ballots returned must match the ballots counted.
    let p = m
        .post(&s1, "/rounds/r1/close", json!({ "returned": 17 }))
        .problem(409, "ballot_count_mismatch");
    assert_eq!(p["counted"], 18);
    m.post(&counter1, "/rounds/r1/close", json!({ "returned": 18 }))
        .problem(403, "forbidden_role");
    let closed = m
        .post(&s1, "/rounds/r1/close", json!({ "returned": 18 }))
        .expect(200)
        .json();
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["status"], "unofficial-complete");
    let res = &closed["result"];
    assert_eq!(res["status"], "runoff_required", "{res}");
    assert_eq!(names(&res["elected"]), [A, B]);
    assert_eq!(res["runoff"], json!({ "among": [C, D], "seats": 1 }));
    assert_eq!(res["ballots"]["valid"], 17);
    assert_eq!(res["ballots"]["invalid"], 1);
    assert_eq!(
        res["ballots"]["void_reasons"][0]["reason"],
        "选票上有签名，监票人认定为废票"
    );
    assert_eq!(res["threshold"], 11);
    let final_tally = loop {
        let t = live_presidium.next_named("tally").json();
        if t["status"] == "unofficial-complete" {
            break t;
        }
    };
    assert_eq!(final_tally["result"]["status"], "runoff_required");

    // Decisions need the scrutineers' signatures first for announcing.
    m.post(
        &presidium,
        "/rounds/r1/decisions",
        json!({ "decision": "announce" }),
    )
    .problem(409, "not_certified");
    m.get(&display, "/rounds/r1/result")
        .problem(403, "not_announced");
    // A cosignature with someone else's key is refused.
    let wrong = m.cosign(&s1, &k2, "r1").problem(422, "bad_cosignature");
    assert_eq!(wrong["field"], "signature");
    let one = m.cosign(&s1, &k1, "r1").expect(201).json();
    assert_eq!(one["status"], "unofficial-complete");
    assert_eq!(one["cosignatures"]["by"], json!(["王五"]));
    // The result and the statement list the round's cosigners with their
    // keys, fingerprints and whether they signed.
    let cosigners = json!([
        { "name": "王五", "key": k1.verifier_key().to_string(), "fingerprint": fingerprint(&k1), "signed": true },
        { "name": "钱八", "key": k2.verifier_key().to_string(), "fingerprint": fingerprint(&k2), "signed": false },
    ]);
    let res = m.get(&presidium, "/rounds/r1/result").expect(200).json();
    assert_eq!(res["cosigners"], cosigners);
    let st = m.get(&auditor, "/rounds/r1/statement").expect(200).json();
    assert_eq!(st["cosigners"], cosigners);
    m.cosign(&s1, &k1, "r1").problem(409, "already_cosigned");
    let two = m.cosign(&s2, &k2, "r1").expect(201).json();
    assert_eq!(two["status"], "certified");
    assert_eq!(
        two["cosignatures"],
        json!({ "required": 2, "of": 2, "by": ["王五", "钱八"] })
    );
    m.post(
        &presidium,
        "/rounds/r1/decisions",
        json!({ "decision": "announce" }),
    )
    .expect(201);
    let public = m.get(&display, "/rounds/r1/result").expect(200).json();
    assert_eq!(public["status"], "certified");
    let signed: Vec<&Value> = public["cosigners"]
        .as_array()
        .expect("cosigners")
        .iter()
        .map(|c| &c["signed"])
        .collect();
    assert_eq!(signed, [&json!(true), &json!(true)]);
    assert_eq!(names(&public["result"]["elected"]), [A, B]);
    m.post(
        &presidium,
        "/rounds/r1/decisions",
        json!({ "decision": "call_supplementary" }),
    )
    .problem(409, "decision_not_applicable");

    // The tie goes to a runoff among exactly the tied, for the seat left.
    let called = m
        .post(
            &presidium,
            "/rounds/r1/decisions",
            json!({ "decision": "call_runoff" }),
        )
        .expect(201)
        .json();
    assert_eq!(
        called["decision"],
        json!({ "decision": "call_runoff", "round": "r2", "among": [C, D], "seats": 1 })
    );
    assert_eq!(called["round"]["kind"], "runoff");
    m.post(
        &presidium,
        "/rounds/r1/decisions",
        json!({ "decision": "call_runoff" }),
    )
    .problem(409, "already_decided");
    m.post(&org, "/rounds/r2/open", json!({ "issued": 18 }))
        .expect(200);
    let r2 = ballots(&[(9, "YN"), (8, "NY"), (1, "AA")]);
    m.enter(&counter1, "r2", "all", "c1-r2", &json!(r2))
        .expect(201);
    m.enter(&counter2, "r2", "all", "c2-r2", &json!(r2))
        .expect(201);
    let closed = m
        .post(&s2, "/rounds/r2/close", json!({ "returned": 18 }))
        .expect(200)
        .json();
    assert_eq!(closed["result"]["status"], "shortfall");
    assert_eq!(closed["result"]["unfilled"], 1);
    m.cosign(&s1, &k1, "r2").expect(201);
    m.cosign(&s2, &k2, "r2").expect(201);

    // Nobody above the threshold: a supplementary round for the seat left.
    let called = m
        .post(
            &presidium,
            "/rounds/r2/decisions",
            json!({ "decision": "call_supplementary" }),
        )
        .expect(201)
        .json();
    assert_eq!(called["round"]["id"], "r3");
    assert_eq!(called["round"]["kind"], "supplementary");
    assert_eq!(called["round"]["candidates"], json!([C, D]));
    assert_eq!(called["round"]["seats"], 1);
    m.post(&org, "/rounds/r3/open", json!({ "issued": 18 }))
        .expect(200);
    let r3 = ballots(&[(14, "YN"), (3, "NY"), (1, "AA")]);
    m.enter(&counter1, "r3", "all", "c1-r3", &json!(r3))
        .expect(201);
    m.enter(&counter2, "r3", "all", "c2-r3", &json!(r3))
        .expect(201);
    let closed = m
        .post(&s1, "/rounds/r3/close", json!({ "returned": 18 }))
        .expect(200)
        .json();
    assert_eq!(closed["result"]["status"], "complete");
    assert_eq!(names(&closed["result"]["elected"]), [C]);
    m.cosign(&s1, &k1, "r3").expect(201);
    m.cosign(&s2, &k2, "r3").expect(201);
    m.post(
        &presidium,
        "/rounds/r3/decisions",
        json!({ "decision": "announce" }),
    )
    .expect(201);

    let view = m.get(&display, "").expect(200).json();
    let rounds = &view["elections"][0]["rounds"];
    assert_eq!(rounds.as_array().unwrap().len(), 3);
    assert!(
        rounds
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "certified"),
        "{rounds}"
    );

    // The audit bundle verifies from its files alone: every round's result
    // replayed byte for byte and certified by both scrutineers; the real
    // `scrutineer verify` agrees; and every published tally is exactly what
    // `scrutineer tally --json` computes from the logged round.
    m.get(&display, "/bundle").problem(403, "forbidden_role");
    let zip = m.get(&auditor, "/bundle").expect(200);
    assert_eq!(zip.header("content-type"), Some("application/zip"));
    let b = bundle::read(&zip.body);
    let report = bundle::verified(&b);
    let checkpoint = m.get(&auditor, "/checkpoint").expect(200).json();
    assert_eq!(
        report.final_checkpoint.map(|c| c.0),
        checkpoint["size"].as_u64()
    );
    let rounds: Vec<(&str, bool, bool, Vec<&str>)> = report
        .tallies
        .iter()
        .map(|t| {
            let c = &t.certification;
            let by = c.cosigned.iter().map(|s| s.name.as_str()).collect();
            (t.round.as_str(), t.matches, c.is_certified(), by)
        })
        .collect();
    let both = vec!["王五", "钱八"];
    assert_eq!(
        rounds,
        [
            ("r1", true, true, both.clone()),
            ("r2", true, true, both.clone()),
            ("r3", true, true, both)
        ]
    );
    for t in &report.tallies {
        assert_eq!(
            (t.certification.required, t.certification.cosigners.len()),
            (2, 2)
        );
    }
    bundle::verify_with_cli(server.dir.path(), &zip.body, &["王五", "钱八"]);
    let replays = bundle::round_files(&bundle::events(&b));
    assert_eq!(replays.len(), 3);
    for (round, file, published) in &replays {
        let recomputed = bundle::record_with_cli(server.dir.path(), round, file);
        assert_eq!(&recomputed, published, "round {round}");
    }
    // The log never holds a ballot in entry order, nor a roster name.
    let log_text: String = b
        .parts()
        .entries
        .iter()
        .map(|e| String::from_utf8_lossy(e).into_owned())
        .collect();
    assert!(
        !log_text.contains("党员1"),
        "the roster leaked into the log"
    );
    assert!(
        !log_text.contains("YYAAN"),
        "a counter's reading leaked into the log"
    );
}

#[test]
fn the_demo_meeting_is_seeded_through_the_use_cases() {
    let server = Server::start("demo");
    let demo = server.service.seed_demo().expect("demo");
    assert_eq!(demo.links.len(), 9);
    let c = server.client();
    let token = |role: &str| {
        let l = demo.links.iter().find(|l| l.role == role).expect(role);
        l.url
            .split("#token=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_string()
    };
    let base = format!("/api/meetings/{}", demo.meeting);
    let prelim = c
        .get(&format!("{base}/rounds/r1/result"), &token("presidium"))
        .expect(200)
        .json();
    assert_eq!(prelim["status"], "certified");
    assert_eq!(prelim["result"]["status"], "complete");
    let formal = c
        .get(&format!("{base}/rounds/r2"), &token("display"))
        .expect(200)
        .json();
    assert_eq!(formal["state"], "open");
    assert_eq!(formal["candidates"].as_array().unwrap().len(), 6);
    let b = bundle::read(
        &c.get(&format!("{base}/bundle"), &token("auditor"))
            .expect(200)
            .body,
    );
    let report = bundle::verified(&b);
    let r1 = report.tallies.iter().find(|t| t.round == "r1").expect("r1");
    assert!(r1.matches && r1.certification.is_certified(), "{r1:?}");
    assert_eq!(r1.certification.cosigned.len(), 3);
}

/// Issue 11, fault 1 through the service: a round opens with more ballots
/// issued than voters present (replacement ballots, 更换选票); the box is
/// ruled on (returned 19 ≤ issued 19: valid) and the discrepancy — more
/// returned than present — is in the result beside the ruling.
#[test]
fn replacement_ballots_open_and_get_a_box_ruling() {
    let server = Server::start("replaced");
    let m = Meeting::create(server.client(), &server.setup, 20, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 18 }))
        .expect(200);
    let counter1 = m.add("counter", "李四", None);
    let counter2 = m.add("counter", "赵六", None);
    let s1 = m.add("scrutineer", "王五", Some(&cosigner("王五", 11)));
    m.post(
        &org,
        "/elections",
        json!({ "contest": "支部委员会委员", "office": "committee", "seats": 1 }),
    )
    .expect(201);
    for p in [&counter1, &counter2, &s1] {
        m.assign("e1", p);
    }
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": [A, B] }),
    )
    .expect(201);
    let opened = m
        .post(&org, "/rounds/r1/open", json!({ "issued": 19 }))
        .expect(200)
        .json();
    assert_eq!(opened["facts"]["issued"], 19, "{opened}");
    assert_eq!(opened["facts"]["present"], 18, "{opened}");
    let papers = ballots(&[(19, "YN")]);
    m.enter(&counter1, "r1", "b1", "c1", &json!(papers))
        .expect(201);
    m.enter(&counter2, "r1", "b1", "c2", &json!(papers))
        .expect(201);
    let closed = m
        .post(&s1, "/rounds/r1/close", json!({ "returned": 19 }))
        .expect(200)
        .json();
    assert_eq!(closed["state"], "closed", "{closed}");
    let result = m.get(&s1, "/rounds/r1/result").expect(200).json();
    let r = if result.get("result").is_some() {
        &result["result"]
    } else {
        &result
    };
    assert_eq!(r["box_valid"], true, "{r}");
    assert_eq!(r["box_check"]["limit"], 19, "{r}");
    assert_eq!(r["box_check"]["returned_over_present"], 1, "{r}");
    assert_eq!(r["box_check"]["issued_unexplained"], 1, "{r}");
    assert_eq!(r["status"], "complete", "{r}");
}
