//! How a meeting's people run the count over HTTP, and what the service
//! refuses so that nobody changes, blocks or loses an official result by
//! mistake: closing with a scrutineer who has no key, a stray batch,
//! decisions taken twice or too early, ballots returned recorded when the
//! box is opened.

use crate::common;

use serde_json::json;

use common::bundle;
use common::meeting::{copies, cosigner, Meeting, Person};
use common::server::Server;

/// A meeting of 10 members, all present, with its method adopted, two
/// counters, the presidium, the auditor and election e1 (2 seats) with both
/// counters assigned.
struct Setup {
    m: Meeting,
    c1: Person,
    c2: Person,
    presidium: Person,
    auditor: Person,
}

fn set_up(server: &Server) -> Setup {
    let m = Meeting::create(server.client(), &server.setup, 10, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 10 }))
        .expect(200);
    m.post(
        &org,
        "/elections",
        json!({ "contest": "支部委员会委员", "seats": 2 }),
    )
    .expect(201);
    let c1 = m.add("counter", "计票一", None);
    let c2 = m.add("counter", "计票二", None);
    m.assign("e1", &c1);
    m.assign("e1", &c2);
    let presidium = m.add("presidium", "主席团", None);
    let auditor = m.add("auditor", "审计", None);
    Setup {
        m,
        c1,
        c2,
        presidium,
        auditor,
    }
}

/// Opens a formal round of e1 among 甲乙丙 with 10 ballots issued and has
/// both counters enter the same 10 ballots as batch `b1`.
fn counted_round(s: &Setup) -> String {
    let org = s.m.organiser.clone();
    let r =
        s.m.post(
            &org,
            "/elections/e1/rounds",
            json!({ "kind": "formal", "candidates": ["甲", "乙", "丙"] }),
        )
        .expect(201)
        .json();
    let r = r["id"].as_str().expect("round id").to_string();
    s.m.post(&org, &format!("/rounds/{r}/open"), json!({ "issued": 10 }))
        .expect(200);
    let ballots = json!(copies(10, json!("YYN")));
    for (c, k) in [(&s.c1, "k1"), (&s.c2, "k2")] {
        s.m.enter(c, &r, "b1", &format!("{r}-{k}"), &ballots)
            .expect(201);
    }
    r
}

#[test]
fn closing_waits_for_every_scrutineers_key_unless_the_presidium_decides() {
    let server = Server::start("flow-keys");
    let s = set_up(&server);
    let m = &s.m;
    let k1 = cosigner("监票一", 41);
    let k2 = cosigner("监票二", 42);
    let s1 = m.add("scrutineer", "监票一", Some(&k1));
    let s2 = m.add("scrutineer", "监票二", None);
    m.assign("e1", &s1);
    m.assign("e1", &s2);
    let r = counted_round(&s);

    // 监票二 has no key: the round does not close, and says why.
    let p = m
        .post(
            &s1,
            &format!("/rounds/{r}/close"),
            json!({ "returned": 10 }),
        )
        .problem(409, "scrutineer_without_key");
    assert!(
        p["message_zh"].as_str().unwrap_or("").contains("监票二"),
        "{p}"
    );
    assert_eq!(p["scrutineers"], json!(["监票二"]), "{p}");
    let view = m
        .get(&s.presidium, &format!("/rounds/{r}"))
        .expect(200)
        .json();
    assert_eq!(
        view["scrutineers"],
        json!([
            { "name": "监票一", "key": true, "excused": false },
            { "name": "监票二", "key": false, "excused": false },
        ])
    );

    // The presidium decides: 监票一 has a key and cannot be left out; the
    // decision names who proceeds.
    let path = format!("/rounds/{r}/decisions");
    m.post(
        &s.presidium,
        &path,
        json!({ "decision": "proceed_without", "without": ["监票一"], "reason": "因病缺席" }),
    )
    .problem(422, "invalid_field");
    m.post(
        &s.presidium,
        &path,
        json!({ "decision": "proceed_without", "without": ["监票二"], "reason": " " }),
    )
    .problem(422, "invalid_field");
    let d = m
        .post(
            &s.presidium,
            &path,
            json!({ "decision": "proceed_without", "without": ["监票二"], "reason": "因病缺席" }),
        )
        .expect(201)
        .json();
    assert_eq!(d["decision"]["proceed"], json!(["监票一"]), "{d}");
    let again = m
        .post(
            &s.presidium,
            &path,
            json!({ "decision": "proceed_without", "without": ["监票二"], "reason": "因病缺席" }),
        )
        .problem(409, "already_decided");
    assert!(
        again["message_zh"]
            .as_str()
            .unwrap_or("")
            .contains("监票二"),
        "{again}"
    );

    let closed = m
        .post(
            &s1,
            &format!("/rounds/{r}/close"),
            json!({ "returned": 10 }),
        )
        .expect(200)
        .json();
    assert_eq!(closed["state"], "closed");
    let res = m
        .get(&s1, &format!("/rounds/{r}/result"))
        .expect(200)
        .json();
    assert_eq!(res["cosignatures"]["of"], 1, "{res}");
    assert_eq!(res["cosignatures"]["required"], 1, "{res}");
    // A decision to proceed without someone is for an open round only.
    m.post(
        &s.presidium,
        &path,
        json!({ "decision": "proceed_without", "without": ["监票二"], "reason": "因病缺席" }),
    )
    .problem(409, "round_not_open");
    m.cosign(&s1, &k1, &r).expect(201);

    // The next round: 监票二 registered a key, so both are in n and one
    // signature does not certify.
    m.put(
        &s2,
        &format!("/people/{}/key", s2.id),
        json!({ "key": k2.verifier_key().to_string() }),
    )
    .expect(200);
    let org = m.organiser.clone();
    m.post(&org, "/elections", json!({ "contest": "书记", "seats": 1 }))
        .expect(201);
    for p in [&s.c1, &s.c2, &s1, &s2] {
        m.assign("e2", p);
    }
    let r2 = m
        .post(
            &org,
            "/elections/e2/rounds",
            json!({ "kind": "formal", "candidates": ["甲", "乙"] }),
        )
        .expect(201)
        .json()["id"]
        .as_str()
        .expect("id")
        .to_string();
    m.post(&org, &format!("/rounds/{r2}/open"), json!({ "issued": 10 }))
        .expect(200);
    for (c, k) in [(&s.c1, "a"), (&s.c2, "b")] {
        m.enter(c, &r2, "b1", k, &json!(copies(10, json!("YN"))))
            .expect(201);
    }
    m.post(
        &s2,
        &format!("/rounds/{r2}/close"),
        json!({ "returned": 10 }),
    )
    .expect(200);
    let res = m
        .get(&s1, &format!("/rounds/{r2}/result"))
        .expect(200)
        .json();
    assert_eq!(res["cosignatures"]["of"], 2, "{res}");
    m.cosign(&s1, &k1, &r2).expect(201);
    let st = m.get(&s1, &format!("/rounds/{r2}")).expect(200).json();
    assert_eq!(
        st["status"], "unofficial-complete",
        "one of two does not certify"
    );
    m.cosign(&s2, &k2, &r2).expect(201);

    // Nobody with a key left: the presidium cannot excuse the last one.
    let s3 = m.add("scrutineer", "监票三", None);
    m.post(
        &org,
        "/elections",
        json!({ "contest": "副书记", "seats": 1 }),
    )
    .expect(201);
    for p in [&s.c1, &s.c2, &s3] {
        m.assign("e3", p);
    }
    let r3 = m
        .post(
            &org,
            "/elections/e3/rounds",
            json!({ "kind": "formal", "candidates": ["乙", "丙"] }),
        )
        .expect(201)
        .json()["id"]
        .as_str()
        .expect("id")
        .to_string();
    m.post(&org, &format!("/rounds/{r3}/open"), json!({ "issued": 10 }))
        .expect(200);
    m.post(
        &s.presidium,
        &format!("/rounds/{r3}/decisions"),
        json!({ "decision": "proceed_without", "without": ["监票三"], "reason": "未到" }),
    )
    .problem(409, "no_scrutineer_left");

    // The bundle verifies: the excused scrutineer is on the record.
    let zip = m.get(&s.auditor, "/bundle").expect(200);
    let b = bundle::read(&zip.body);
    bundle::verified(&b);
}

#[test]
fn a_returned_count_that_voids_the_election_must_be_typed_twice() {
    let server = Server::start("flow-void");
    let s = set_up(&server);
    let m = &s.m;
    let k = cosigner("监票一", 43);
    let s1 = m.add("scrutineer", "监票一", Some(&k));
    m.assign("e1", &s1);
    let r = counted_round(&s);
    let close = format!("/rounds/{r}/close");
    // 11 returned of 10 issued: void at once. A typo must not do that.
    let p = m
        .post(&s1, &close, json!({ "returned": 11 }))
        .problem(409, "void_not_confirmed");
    assert_eq!(p["field"], "confirm_void");
    assert_eq!(
        (p["returned"].as_u64(), p["limit"].as_u64()),
        (Some(11), Some(10))
    );
    assert!(
        p["message_zh"].as_str().unwrap_or("").contains("无效"),
        "{p}"
    );
    m.post(&s1, &close, json!({ "returned": 11, "confirm_void": 12 }))
        .problem(409, "void_not_confirmed");
    let view = m.get(&s1, &format!("/rounds/{r}")).expect(200).json();
    assert_eq!(view["state"], "open", "nothing changed");
    let closed = m
        .post(&s1, &close, json!({ "returned": 11, "confirm_void": 11 }))
        .expect(200)
        .json();
    assert_eq!(closed["result"]["status"], "void", "{closed}");
    // The ten ballots entered before the box was counted stay in the log,
    // uncounted, and the bundle verifies: the void is ruled from the facts.
    let zip = m.get(&s.auditor, "/bundle").expect(200);
    let b = bundle::read(&zip.body);
    bundle::verified(&b);
    bundle::verify_with_cli(server.dir.path(), &zip.body, &["监票一"]);
}

#[test]
fn batch_labels_ignore_case_and_a_stray_batch_can_be_discarded() {
    let server = Server::start("flow-batches");
    let s = set_up(&server);
    let m = &s.m;
    let k = cosigner("监票一", 44);
    let s1 = m.add("scrutineer", "监票一", Some(&k));
    m.assign("e1", &s1);
    let org = m.organiser.clone();
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": ["甲", "乙", "丙"] }),
    )
    .expect(201);
    // One more issued than counted, so the stray entry below fits within
    // the ballots issued (never beyond them, even pending).
    m.post(&org, "/rounds/r1/open", json!({ "issued": 11 }))
        .expect(200);
    let ballots = json!(copies(10, json!("YYN")));
    // `T1` and `t1` are one paper batch: the second entry reconciles it.
    m.enter(&s.c1, "r1", "T1", "a", &ballots).expect(201);
    let second = m.enter(&s.c2, "r1", "t1", "b", &ballots).expect(201).json();
    assert_eq!(second["batch"], "T1", "kept as first written: {second}");
    assert_eq!(second["batch_state"], "reconciled");
    let p = m
        .enter(&s.c1, "r1", "t1", "c", &ballots)
        .problem(409, "already_entered");
    assert!(p["message_zh"].as_str().unwrap_or("").contains("T1"), "{p}");
    // A stray batch: one entry under a wrong label, never matched.
    m.enter(&s.c1, "r1", "S1", "d", &json!(["YYN"])).expect(201);
    m.post(&s1, "/rounds/r1/close", json!({ "returned": 10 }))
        .problem(409, "batches_pending");
    m.post(
        &s.c1,
        "/rounds/r1/batches/S1/discard",
        json!({ "reason": "批次编号写错" }),
    )
    .problem(403, "forbidden_role");
    m.post(
        &s1,
        "/rounds/r1/batches/S1/discard",
        json!({ "reason": "" }),
    )
    .problem(422, "invalid_field");
    m.post(
        &s1,
        "/rounds/r1/batches/T1/discard",
        json!({ "reason": "误操作" }),
    )
    .problem(409, "batch_reconciled");
    let d = m
        .post(
            &s1,
            "/rounds/r1/batches/s1/discard",
            json!({ "reason": "批次编号写错" }),
        )
        .expect(200)
        .json();
    assert_eq!(d["batch"], "S1");
    m.post(
        &s1,
        "/rounds/r1/batches/S1/discard",
        json!({ "reason": "再次" }),
    )
    .problem(404, "not_found");
    let mine = m.get(&s.c1, "/rounds/r1/batches").expect(200).json();
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
    m.post(&s1, "/rounds/r1/close", json!({ "returned": 10 }))
        .expect(200);
    let zip = m.get(&s.auditor, "/bundle").expect(200);
    let b = bundle::read(&zip.body);
    bundle::verified(&b);
    assert!(bundle::events(&b).iter().any(|e| matches!(
        e,
        scrutineer::log::event::Event::BatchDiscarded { batch, .. } if batch == "S1"
    )));
}

#[test]
fn refusals_on_a_closed_round_speak_chinese() {
    let server = Server::start("flow-closed");
    let s = set_up(&server);
    let m = &s.m;
    let k = cosigner("监票一", 45);
    let s1 = m.add("scrutineer", "监票一", Some(&k));
    m.assign("e1", &s1);
    let r = counted_round(&s);
    m.post(
        &s1,
        &format!("/rounds/{r}/close"),
        json!({ "returned": 10 }),
    )
    .expect(200);
    let late = m
        .enter(&s.c1, &r, "b2", "late", &json!(["YYN"]))
        .problem(409, "round_not_open");
    let zh = late["message_zh"].as_str().unwrap_or("");
    assert!(zh.contains("已结束计票"), "{late}");
    let no_latin = |text: &str| {
        !text
            .replace(&r, "")
            .chars()
            .any(|c| c.is_ascii_alphabetic())
    };
    assert!(no_latin(zh), "no English state words in Chinese text: {zh}");
    m.cosign(&s1, &k, &r).expect(201);
    let p = m
        .post(
            &s.presidium,
            &format!("/rounds/{r}/decisions"),
            json!({ "decision": "call_runoff" }),
        )
        .problem(409, "decision_not_applicable");
    let zh = p["message_zh"].as_str().unwrap_or("");
    assert!(no_latin(zh), "{zh}");
}

#[test]
fn a_person_added_without_an_election_is_assigned_later() {
    let server = Server::start("flow-assign");
    let s = set_up(&server);
    let m = &s.m;
    let org = m.organiser.clone();
    let late = m.add("scrutineer", "监票二", None);
    // Adding again is refused, pointing to the assign action.
    let p = m
        .post(
            &org,
            "/people",
            json!({ "role": "scrutineer", "name": "监票二" }),
        )
        .problem(422, "invalid_field");
    assert_eq!(p["person"], json!(late.id), "{p}");
    assert!(
        p["message_zh"].as_str().unwrap_or("").contains("指派"),
        "{p}"
    );
    m.assign("e1", &late);
    let people = m.get(&org, "/people").expect(200).json();
    let row = people
        .as_array()
        .and_then(|a| a.iter().find(|x| x["id"] == json!(late.id)))
        .cloned()
        .unwrap_or_default();
    assert_eq!(row["elections"], json!(["e1"]), "{row}");
}
