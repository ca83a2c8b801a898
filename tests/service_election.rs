//! The election as a whole over HTTP (`GET …/elections/{e}/result`), on a
//! real SQLite file: a formal round with a three-way tie at the cut-off, the
//! runoff it calls, the shortfall the runoff leaves, the supplementary round
//! that fills the last seat. Every round elects someone; the final list
//! holds all of them in ballot (surname-stroke) order, whatever round
//! elected them, and the announcement names the rounds held. Issue 12,
//! item 3. Who sees what follows `…/result`: the display learns a round's
//! elected only once it is announced.

use crate::common;

use serde_json::{json, Value};

use common::meeting::{copies, cosigner, Meeting, Person};
use common::server::Server;

fn ballots(groups: &[(usize, &str)]) -> Value {
    json!(groups
        .iter()
        .flat_map(|(n, m)| copies(*n, json!(m)))
        .collect::<Vec<_>>())
}

struct Table {
    m: Meeting,
    c1: Person,
    c2: Person,
    s: Person,
    ks: scrutineer::log::cosignature::Cosigner,
}

impl Table {
    /// Opens, enters (double entry) and closes `round`, then cosigns it.
    fn count(&self, round: &str, b: &Value) -> Value {
        let org = &self.m.organiser;
        self.m
            .post(
                org,
                &format!("/rounds/{round}/open"),
                json!({ "issued": 10 }),
            )
            .expect(200);
        self.m
            .enter(&self.c1, round, "b1", &format!("{round}-1"), b)
            .expect(201);
        self.m
            .enter(&self.c2, round, "b1", &format!("{round}-2"), b)
            .expect(201);
        let closed = self
            .m
            .post(
                &self.s,
                &format!("/rounds/{round}/close"),
                json!({ "returned": 10 }),
            )
            .expect(200)
            .json();
        self.m.cosign(&self.s, &self.ks, round).expect(201);
        closed["result"].clone()
    }
}

#[test]
fn tie_runoff_shortfall_supplementary_elects_everyone_in_ballot_order() {
    let server = Server::start("election");
    let m = Meeting::create(server.client(), &server.setup, 10, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 10 }))
        .expect(200);
    let c1 = m.add("counter", "计票一", None);
    let c2 = m.add("counter", "计票二", None);
    let ks = cosigner("监票一", 41);
    let s = m.add("scrutineer", "监票一", Some(&ks));
    let other = m.add("scrutineer", "监票二", Some(&cosigner("监票二", 42)));
    let presidium = m.add("presidium", "主席团", None);
    let display = m.add("display", "大屏", None);
    m.post(
        &org,
        "/elections",
        json!({ "contest": "支部委员会委员", "seats": 3 }),
    )
    .expect(201);
    m.post(
        &org,
        "/elections",
        json!({ "contest": "书记", "office": "secretary", "seats": 1 }),
    )
    .expect(201);
    for p in [&c1, &c2, &s] {
        m.assign("e1", p);
    }
    m.assign("e2", &other);
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": ["丁一", "王二", "刘三", "张四", "陈五"] }),
    )
    .expect(201);
    let t = Table { m, c1, c2, s, ks };
    let m = &t.m;
    let result = |who: &Person| m.get(who, "/elections/e1/result").expect(200).json();

    // Before anything is counted.
    let r = result(&presidium);
    assert_eq!(r["complete"], false);
    assert_eq!(r["waiting"], "counting");
    assert_eq!(r["rounds"][0]["number"], 1);
    assert_eq!(r["rounds"][0]["state"], "draft");
    // Counters never see results; a scrutineer of another election neither.
    m.get(&t.c1, "/elections/e1/result")
        .problem(403, "forbidden_role");
    m.get(&other, "/elections/e1/result")
        .problem(403, "not_assigned");

    // Formal: 丁一 9, and 王二 = 刘三 = 张四 = 7 straddle the cut-off.
    let formal = t.count(
        "r1",
        &ballots(&[(3, "YYYNN"), (3, "YYNYN"), (3, "YNYYN"), (1, "NYYYN")]),
    );
    assert_eq!(formal["status"], "runoff_required", "{formal}");
    assert_eq!(formal["elected"], json!(["丁一"]));
    let r = result(&presidium);
    assert_eq!(r["waiting"], "decision", "{r}");
    assert_eq!(r["elected"][0]["name"], "丁一");
    assert_eq!(r["rounds"][0]["outcome"], "runoff_required");
    assert_eq!(r["announcement"], Value::Null);
    // The display sees no result before it is announced.
    let d = result(&display);
    assert_eq!(d["waiting"], "announcement");
    assert_eq!(d["elected"], json!([]));
    assert_eq!(d["rounds"][0]["result"], Value::Null);

    let runoff = m
        .post(
            &presidium,
            "/rounds/r1/decisions",
            json!({ "decision": "call_runoff" }),
        )
        .expect(201)
        .json();
    assert_eq!(runoff["round"]["id"], "r2");
    assert_eq!(result(&presidium)["waiting"], "counting");

    // Runoff for 2 seats: 王二 6, the other two short of the majority.
    let ro = t.count("r2", &ballots(&[(6, "YNN"), (2, "NYN"), (2, "NNY")]));
    assert_eq!(ro["status"], "shortfall", "{ro}");
    assert_eq!(ro["elected"], json!(["王二"]));
    let r = result(&presidium);
    assert_eq!(r["waiting"], "decision");
    assert_eq!(r["rounds"][1]["origin"], "call_runoff");
    let sup = m
        .post(
            &presidium,
            "/rounds/r2/decisions",
            json!({ "decision": "call_supplementary" }),
        )
        .expect(201)
        .json();
    let r3 = sup["round"]["id"].as_str().expect("round").to_string();
    let list = sup["round"]["candidates"].clone();
    let lines = list.as_array().expect("list").len();
    // 刘三 gets all ten on the supplementary ballot.
    let mut marks = String::new();
    for name in list.as_array().expect("list") {
        marks.push(if name == "刘三" { 'Y' } else { 'N' });
    }
    assert!(lines >= 2 && marks.contains('Y'), "{list}");
    let sr = t.count(&r3, &ballots(&[(10, &marks)]));
    assert_eq!(sr["status"], "complete", "{sr}");

    // Three rounds elected; the list is in ballot order, not round order.
    let r = result(&presidium);
    assert_eq!(r["complete"], true, "{r}");
    assert_eq!(r["waiting"], Value::Null);
    assert_eq!(r["order"], "strokes");
    let names: Vec<&str> = r["elected"]
        .as_array()
        .expect("elected")
        .iter()
        .map(|e| e["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["丁一", "王二", "刘三"]);
    let numbers: Vec<u64> = r["elected"]
        .as_array()
        .expect("elected")
        .iter()
        .map(|e| e["number"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert_eq!(r["elected"][0]["for"], 9);
    assert_eq!(
        r["announcement"]["zh"],
        "根据《中共测试支部党员大会选举办法》，支部委员会委员应选 3 名。\
         经过正式选举、重新投票和另行选举，下列同志当选为支部委员会委员（按姓氏笔画为序）：丁一、王二、刘三。"
    );
    assert!(r["announcement"]["en"]
        .as_str()
        .unwrap_or("")
        .contains("the following comrades are elected 支部委员会委员 (in surname-stroke order): 丁一, 王二, 刘三."));
    assert_eq!(r["announced"], false);

    // Announcing only the last round leaves the display waiting: the
    // earlier rounds' elected are not public yet.
    m.post(
        &presidium,
        &format!("/rounds/{r3}/decisions"),
        json!({ "decision": "announce" }),
    )
    .expect(201);
    let d = result(&display);
    assert_eq!(d["complete"], false);
    assert_eq!(d["waiting"], "announcement");
    assert_eq!(d["elected"][0]["name"], "刘三");
    assert_eq!(d["announcement"], Value::Null);
    for round in ["r1", "r2"] {
        m.post(
            &presidium,
            &format!("/rounds/{round}/decisions"),
            json!({ "decision": "announce" }),
        )
        .expect(201);
    }
    let d = result(&display);
    assert_eq!(d["complete"], true, "{d}");
    assert_eq!(d["announced"], true);
    assert_eq!(d["announcement"], r["announcement"]);
    assert_eq!(d["elected"], r["elected"]);
    assert_eq!(result(&org)["announced"], true);

    // An election with no round yet.
    let e2 = m.get(&presidium, "/elections/e2/result").expect(200).json();
    assert_eq!(e2["waiting"], "no_round");
    assert_eq!(e2["rounds"], json!([]));
    m.get(&presidium, "/elections/e9/result")
        .problem(404, "not_found");
}

#[test]
fn a_reduction_of_seats_completes_the_election_and_is_announced() {
    let server = Server::start("election-reduce");
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
    let presidium = m.add("presidium", "主席团", None);
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
    let t = Table { m, c1, c2, s, ks };
    let res = t.count("r1", &ballots(&[(7, "YNN"), (3, "NYY")]));
    assert_eq!(res["status"], "shortfall", "{res}");
    let m = &t.m;
    assert_eq!(
        m.get(&presidium, "/elections/e1/result").expect(200).json()["waiting"],
        "decision"
    );
    m.post(
        &presidium,
        "/rounds/r1/decisions",
        json!({ "decision": "reduce_seats", "to": 1,
            "vote": { "way": "hands", "for": 9, "against": 1, "abstain": 0 } }),
    )
    .expect(201);
    let r = m.get(&presidium, "/elections/e1/result").expect(200).json();
    assert_eq!(r["complete"], true, "{r}");
    assert_eq!(r["seats"], 1);
    assert_eq!(r["seats_initial"], 2);
    assert_eq!(
        r["announcement"]["zh"],
        "根据《中共测试支部党员大会选举办法》，支部委员会委员应选 2 名，经到会选举人过半数同意减少为 1 名。\
         经过正式选举，下列同志当选为支部委员会委员：甲。"
    );
}
