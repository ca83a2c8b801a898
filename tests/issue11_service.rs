//! Issue 11 through the meeting service, at each boundary (at, one below,
//! one above), where `tests/pipelines.rs`, `tests/service_meeting.rs` and
//! `tests/service_decisions.rs` did not already reach it: the 1990 box
//! check against 投票人数 (fault 2), an adopted 差额表决 ratio refusing an
//! equal list (fault 4), a nomination's own 80%以上 floor (fault 6), the
//! default supplementary list with write-ins (fault 7), and open points 9
//! (`runoff_threshold`) and 10 (`nomination_floor_base`). Real HTTP on
//! port 0, a real SQLite file; each meeting's bundle verified by the real
//! `scrutineer verify`.

use crate::common;

use serde_json::{json, Value};

use common::ballots;
use common::meeting::{cosigner, Meeting};
use common::server::Server;
use common::stage::{rated, Hall};

/// A hall of `members` with `present` attending under `method` (a
/// `PUT …/method` body): two counters, a scrutineer with a key, the
/// presidium.
fn hall(server: &Server, members: u64, present: u64, method: Value) -> Hall {
    let m = Meeting::create(server.client(), &server.setup, members, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", method).expect(200);
    m.put(&org, "/attendance", json!({ "present": present }))
        .expect(200);
    let c1 = m.add("counter", "计票一", None);
    let c2 = m.add("counter", "计票二", None);
    let ks = cosigner("监票一", 71);
    let s = m.add("scrutineer", "监票一", Some(&ks));
    let presidium = m.add("presidium", "主席团", None);
    Hall {
        m,
        org,
        c1,
        c2,
        s,
        ks,
        presidium,
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// The names of a JSON array, in its order.
fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The meeting's bundle verified by the real `scrutineer verify` (every
/// step passed), its English report shown when it does not.
fn verified(h: &Hall, server: &Server) {
    let auditor = h.m.add("auditor", "审计", None);
    let zip = h.m.get(&auditor, "/bundle").expect(200).body;
    let path = server.dir.path().join("bundle-en.zip");
    std::fs::write(&path, &zip).expect("write");
    let en = std::process::Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .args(["verify", "--lang", "en"])
        .arg(&path)
        .output()
        .expect("runs");
    assert!(
        en.status.success(),
        "{}{}",
        String::from_utf8_lossy(&en.stdout),
        String::from_utf8_lossy(&en.stderr)
    );
    let out = common::bundle::verify_with_cli(server.dir.path(), &zip, &[h.s.name.as_str()]);
    assert!(out.contains("核验通过"), "{out}");
}

/// Fault 2: under grassroots-1990 the box is checked against 投票人数, at
/// most min(present, issued), or the number who voted when recorded: 46
/// present and 45 issued, 46 returned is void, 45 and 44 valid; with 44
/// recorded as having voted, 45 returned is void, 44 and 43 valid.
#[test]
fn the_1990_box_check_is_against_the_number_who_voted() {
    let server = Server::start("i11-box1990");
    let h = hall(&server, 50, 46, json!({ "preset": "grassroots-1990" }));
    // (issued, voted, returned, valid); one ballot entered per paper of a
    // valid box; a void box is ruled before any is entered (nothing of it
    // is counted, and no more can be entered than were issued).
    let cases: [(u64, Option<u64>, u64, bool); 6] = [
        (45, None, 46, false),
        (45, None, 45, true),
        (45, None, 44, true),
        (46, Some(44), 45, false),
        (46, Some(44), 44, true),
        (46, Some(44), 43, true),
    ];
    for (i, (issued, voted, returned, valid)) in cases.into_iter().enumerate() {
        let entered = returned as usize;
        let e = h.election(json!({ "contest": format!("委员{i}"), "seats": 1 }));
        let r = id(&h.round(
            &e,
            json!({ "kind": "formal", "candidates": ["丁一", "王二"] }),
        ));
        h.open(&r, json!({ "issued": issued }));
        let mut close = json!({ "returned": returned });
        if let Some(v) = voted {
            close["voted"] = json!(v);
        }
        if !valid {
            close["confirm_void"] = json!(returned);
        }
        let result = if valid {
            h.count(&r, &ballots(&[(entered, "YN")]), close)
        } else {
            h.close(&r, close)
        };
        let what = format!("issued {issued} voted {voted:?} returned {returned}");
        assert_eq!(result["box_valid"], valid, "{what}: {result}");
        assert_eq!(result["status"] == "void", !valid, "{what}: {result}");
        let limit = voted.unwrap_or(45);
        assert_eq!(result["box_check"]["limit"], limit, "{what}: {result}");
    }
    verified(&h, &server);
}

/// Fault 4: once the meeting adopts a 差额表决 ratio (20%…50%), a cadre
/// list is checked against it when the round is made: 4 posts need 5 to 6
/// nominees, so 4 (an equal list) and 7 are refused with the numbers, 5
/// and 6 are made; without the ratio an equal list is decided one by one.
#[test]
fn an_adopted_cadre_ratio_refuses_an_equal_list() {
    let server = Server::start("i11-cadre-ratio");
    let ratio = json!({ "cadre_differential": { "kind": "ratio_range",
        "min": { "num": 1, "den": 5, "comparison": "inclusive" },
        "max": { "num": 1, "den": 2, "comparison": "inclusive" } } });
    let h = hall(
        &server,
        9,
        9,
        json!({ "preset": "cadre-vote-2019", "overrides": ratio }),
    );
    let people = ["丁一", "王二", "刘三", "张四", "陈五", "周六", "吴七"];
    let e = h.election(json!({ "contest": "副镇长", "office": "other", "seats": 4 }));
    for (n, ok) in [(3, false), (4, false), (5, true), (6, true), (7, false)] {
        let made = h.m.post(
            &h.org,
            &format!("/elections/{e}/rounds"),
            json!({ "kind": "cadre", "candidates": &people[..n] }),
        );
        if ok {
            made.expect(201);
        } else {
            let p = made.problem(422, "candidate_list_rejected");
            assert_eq!(p["field"], "candidates", "{n}: {p}");
            assert_eq!(p["min"], 5, "{n}: {p}");
            assert_eq!(p["max"], 6, "{n}: {p}");
        }
    }
    // Without an adopted ratio, 4 nominees for 4 posts stand one by one.
    let server2 = Server::start("i11-cadre-equal");
    let h2 = hall(&server2, 9, 9, json!({ "preset": "cadre-vote-2019" }));
    let e2 = h2.election(json!({ "contest": "副镇长", "office": "other", "seats": 4 }));
    let r = id(&h2.round(&e2, json!({ "kind": "cadre", "candidates": &people[..4] })));
    h2.open(&r, json!({ "issued": 9 }));
    let result = h2.count(&r, &ballots(&[(9, "YYYN")]), json!({ "returned": 9 }));
    assert_eq!(result["status"], "complete", "{result}");
    assert_eq!(names(&result["elected"]).len(), 3, "{result}");
    verified(&h2, &server2);
}

/// Fault 6: a plain (not grouped) nomination meets its own floor, 80%以上
/// of those entitled with the number included, not the election's quorum
/// (more than 4/5): 7 of 10 is no quorum, 8 and 9 are held; a formal
/// round at 8 of 10 has no quorum.
#[test]
fn a_nomination_meets_its_own_floor_not_the_quorum() {
    let server = Server::start("i11-nom-floor");
    let h = hall(&server, 10, 7, json!({ "preset": "grassroots-2020" }));
    for (i, present) in [7u64, 8, 9].into_iter().enumerate() {
        h.m.put(&h.org, "/attendance", json!({ "present": present }))
            .expect(200);
        let e = h.election(json!({ "contest": format!("委员{i}"), "seats": 1 }));
        let r = id(&h.round(
            &e,
            json!({ "kind": "nomination", "candidates": ["丁一", "王二"], "next_size": 1 }),
        ));
        h.open(&r, json!({ "issued": present }));
        if present < 8 {
            let got = h.m.get(&h.presidium, &format!("/rounds/{r}/result"));
            let result = got.expect(200).json()["result"].clone();
            assert_eq!(result["status"], "no_quorum", "{present}: {result}");
            assert_eq!(result["quorum"]["required"], 8, "{result}");
            h.m.cosign(&h.s, &h.ks, &r).expect(201);
        } else {
            let result = h.count(
                &r,
                &ballots(&[(present as usize, "YA")]),
                json!({ "returned": present }),
            );
            assert_eq!(result["status"], "complete", "{present}: {result}");
            assert_eq!(result["quorum_met"], true, "{present}: {result}");
            assert_eq!(result["next_list"], json!(["丁一"]), "{result}");
        }
    }
    // The election keeps its quorum: exactly 8 of 10 is not more than 4/5.
    h.m.put(&h.org, "/attendance", json!({ "present": 8 }))
        .expect(200);
    let e = h.election(json!({ "contest": "委员正式", "seats": 1 }));
    let r = id(&h.round(
        &e,
        json!({ "kind": "formal", "candidates": ["丁一", "王二"] }),
    ));
    h.open(&r, json!({ "issued": 8 }));
    let got = h.m.get(&h.presidium, &format!("/rounds/{r}/result"));
    let result = got.expect(200).json()["result"].clone();
    assert_eq!(result["status"], "no_quorum", "{result}");
    h.m.cosign(&h.s, &h.ks, &r).expect(201);
    verified(&h, &server);
}

/// Fault 7: the supplementary list the presidium is offered is drawn from
/// every 被选举人 not elected, write-ins included, by votes: 李七 (a
/// write-in) one vote below, tied with, and one vote above 刘三 for the
/// second place of a list of two.
#[test]
fn the_supplementary_list_includes_write_ins() {
    let server = Server::start("i11-supp");
    let h = hall(&server, 20, 20, json!({ "preset": "grassroots-2020" }));
    // 丁一 elected with 20; 王二 4; 刘三 3; 李七 written in on `li` ballots.
    for (li, want) in [
        (2u64, vec!["王二", "刘三"]),
        (3, vec!["王二", "刘三", "李七"]),
        (4, vec!["王二", "李七"]),
    ] {
        let e = h.election(json!({ "contest": format!("委员{li}"), "seats": 2 }));
        let r = id(&h.round(
            &e,
            json!({ "kind": "formal", "candidates": ["丁一", "王二", "刘三"] }),
        ));
        h.open(&r, json!({ "issued": 20 }));
        let mut papers: Vec<Value> = Vec::new();
        for _ in 0..li {
            papers.push(json!({ "marks": "YNN", "write_ins": { "2": "李七" } }));
        }
        for _ in 0..4 {
            papers.push(json!("YYA"));
        }
        for _ in 0..3 {
            papers.push(json!("YAY"));
        }
        while papers.len() < 20 {
            papers.push(json!("YAA"));
        }
        let result = h.count(&r, &json!(papers), json!({ "returned": 20 }));
        assert_eq!(result["status"], "shortfall", "{li}: {result}");
        assert_eq!(common::for_votes(&result, "李七"), li, "{result}");
        let sup = h.decide(&r, json!({ "decision": "call_supplementary" }));
        assert_eq!(names(&sup["round"]["candidates"]), want, "李七 {li}: {sup}");
    }
    verified(&h, &server);
}

/// Open point 9 through the service: after a formal tie, the runoff is
/// decided by the majority again (default) or, once the meeting adopts
/// `runoff_threshold = most_votes`, by the most votes among the tied:
/// 4:3 of 10 (short of the 6 needed) is a shortfall by default and
/// elects 王二 under most_votes; 3:4 elects 刘三; 4:4 is tied again.
#[test]
fn the_runoff_threshold_is_a_meeting_parameter() {
    let cases: [(&str, usize, usize, &str, Vec<&str>); 4] = [
        ("majority", 4, 3, "shortfall", vec![]),
        ("most_votes", 4, 3, "complete", vec!["王二"]),
        ("most_votes", 3, 4, "complete", vec!["刘三"]),
        ("most_votes", 4, 4, "runoff_required", vec![]),
    ];
    for (i, (threshold, a, b, status, elected)) in cases.into_iter().enumerate() {
        let server = Server::start(&format!("i11-runoff-{i}"));
        let h = hall(
            &server,
            10,
            10,
            json!({ "preset": "grassroots-2020",
                    "overrides": { "runoff_threshold": threshold } }),
        );
        let e = h.election(json!({ "contest": "委员", "seats": 2 }));
        let r = id(&h.round(
            &e,
            json!({ "kind": "formal", "candidates": ["丁一", "王二", "刘三"] }),
        ));
        h.open(&r, json!({ "issued": 10 }));
        // 丁一 8 elected; 王二 = 刘三 = 6 (both past the 6 needed) for the
        // second seat.
        let tie = h.count(
            &r,
            &ballots(&[(4, "YYN"), (4, "YNY"), (2, "NYY")]),
            json!({ "returned": 10 }),
        );
        assert_eq!(tie["status"], "runoff_required", "{tie}");
        let called = h.decide(&r, json!({ "decision": "call_runoff" }));
        let r2 = id(&called["round"]);
        h.open(&r2, json!({ "issued": 10 }));
        let result = h.count(
            &r2,
            &ballots(&[(a, "YN"), (b, "NY"), (10 - a - b, "AA")]),
            json!({ "returned": 10 }),
        );
        let what = format!("{threshold} {a}:{b}");
        assert_eq!(result["status"], status, "{what}: {result}");
        assert_eq!(names(&result["elected"]), elected, "{what}: {result}");
        assert_eq!(
            result["threshold_applies"],
            threshold == "majority",
            "{what}: {result}"
        );
        verified(&h, &server);
    }
}

/// Open point 10 through the service: a nomination stage adopts its own
/// `nomination_floor` (more than half) and its base — the unit's members
/// (default) or those who took part. 20 entitled, 17 present: of the
/// members 11 votes are needed (10 below, 12 above), of those present 9
/// (8 below, 10 above).
#[test]
fn the_nomination_floor_base_is_a_stage_parameter() {
    let server = Server::start("i11-floor-base");
    let h = hall(&server, 20, 17, json!({ "preset": "grassroots-2020" }));
    for (base, votes, want) in [
        ("entitled", [10, 11, 12], ["刘三", "王二"]),
        ("present", [8, 9, 10], ["刘三", "王二"]),
    ] {
        let e = h.election(json!({ "contest": format!("委员{base}"), "seats": 3 }));
        let r = id(&h.round(
            &e,
            json!({
                "kind": "nomination",
                "candidates": ["丁一", "王二", "刘三"],
                "next_size": 3,
                "method": {
                    "nomination_floor": { "num": 1, "den": 2, "comparison": "strict" },
                    "nomination_floor_base": base,
                },
            }),
        ));
        h.open(&r, json!({ "issued": 17 }));
        let result = h.count(&r, &rated(17, &votes, &[0; 3]), json!({ "returned": 17 }));
        assert_eq!(result["status"], "shortfall", "{base}: {result}");
        assert_eq!(names(&result["next_list"]), want, "{base}: {result}");
    }
    let text = h.m.get(&h.presidium, "/method/text").expect(200).text();
    assert!(text.contains("超过实际参加推荐人数的半数"), "{text}");
    verified(&h, &server);
}

/// RULES §2.1 (K names per nomination ballot) through the service: with
/// `nomination_limit = seats` (2), a ballot naming one or two is valid and
/// one naming three is invalid (多选), counting for nobody.
#[test]
fn a_nomination_ballot_names_at_most_its_limit() {
    let server = Server::start("i11-nom-limit");
    let h = hall(&server, 10, 10, json!({ "preset": "grassroots-2020" }));
    let e = h.election(json!({ "contest": "委员", "seats": 2 }));
    let r = id(&h.round(
        &e,
        json!({ "kind": "nomination", "candidates": ["丁一", "王二", "刘三"],
                "next_size": 3, "method": { "nomination_limit": "seats" } }),
    ));
    h.open(&r, json!({ "issued": 10 }));
    // 4 name one, 4 name two (at the limit), 2 name three (one above).
    let papers = ballots(&[(4, "YAA"), (4, "YYA"), (2, "YYY")]);
    let result = h.count(&r, &papers, json!({ "returned": 10 }));
    assert_eq!(result["ballots"]["valid"], 8, "{result}");
    assert_eq!(result["ballots"]["invalid"], 2, "{result}");
    assert_eq!(common::for_votes(&result, "丁一"), 8, "{result}");
    assert_eq!(common::for_votes(&result, "王二"), 4, "{result}");
    verified(&h, &server);
}

/// RULES §9.6 one above the limit through the service: three failed
/// votes for the same post are refused as two are (pipelines.rs has one
/// and two), and three for other posts are not counted.
#[test]
fn three_failed_votes_for_the_same_post_are_refused_too() {
    let server = Server::start("i11-failed-three");
    let h = hall(&server, 9, 9, json!({ "preset": "grassroots-2020" }));
    let e = h.election(json!({ "contest": "办公室主任", "office": "other", "seats": 1 }));
    let failed = |post: &str, meeting: &str| {
        json!({ "nominee": "张三", "post": post, "meeting": meeting,
                "for": 4, "against": 5, "abstain": 0, "entitled": 9, "passed": false })
    };
    let three = json!([
        failed("办公室主任", "2025年3月党委会"),
        failed("办公室主任", "2025年6月党委会"),
        failed("办公室主任", "2025年9月党委会"),
    ]);
    let p =
        h.m.post(
            &h.org,
            &format!("/elections/{e}/rounds"),
            json!({ "kind": "cadre", "candidates": ["张三"], "record": three }),
        )
        .problem(422, "nomination_refused");
    assert!(
        p["message_zh"]
            .as_str()
            .unwrap_or("")
            .contains("2025年9月党委会"),
        "{p}"
    );
    let elsewhere = json!([
        failed("财务科科长", "2025年3月党委会"),
        failed("财务科科长", "2025年6月党委会"),
        failed("财务科科长", "2025年9月党委会"),
    ]);
    h.round(
        &e,
        json!({ "kind": "cadre", "candidates": ["张三"], "record": elsewhere }),
    );
}

/// Fault 5 and item 3 through the service: the 30% 不满意 exclusion is off
/// unless a stage adopts it — 9, 10 and 11 of 30 against leave everyone
/// on the list by approvals — and a stage may adopt only its own parts:
/// the election's quorum or threshold in a round's `method` is refused.
#[test]
fn no_flag_by_default_and_a_stage_adopts_only_its_own_parts() {
    let server = Server::start("i11-no-flag");
    let h = hall(&server, 30, 30, json!({ "preset": "grassroots-2020" }));
    let e = h.election(json!({ "contest": "村党支部委员", "seats": 3 }));
    for (param, value) in [
        (
            "quorum",
            json!({ "num": 1, "den": 2, "comparison": "strict" }),
        ),
        (
            "threshold",
            json!({ "num": 1, "den": 3, "comparison": "strict" }),
        ),
        ("box_check", json!("voters")),
    ] {
        let p =
            h.m.post(
                &h.org,
                &format!("/elections/{e}/rounds"),
                json!({ "kind": "evaluation", "candidates": ["丁一", "王二", "刘三"],
                        "next_size": 3, "method": { param: value } }),
            )
            .problem(422, "bad_method_parameter");
        assert_eq!(p["field"], format!("method.{param}"), "{param}: {p}");
        let zh = p["message_zh"].as_str().unwrap_or("");
        assert!(
            zh.contains("本阶段不能另定") && !zh.contains(param),
            "{param}: {p}"
        );
        let en = p["message_en"].as_str().unwrap_or("");
        assert!(en.contains(&format!("`{param}`")), "{param}: {p}");
    }
    let ev = id(&h.round(
        &e,
        json!({ "kind": "evaluation", "candidates": ["丁一", "王二", "刘三"], "next_size": 3 }),
    ));
    h.open(&ev, json!({ "issued": 30 }));
    let r = h.count(
        &ev,
        &rated(30, &[21, 20, 19], &[9, 10, 11]),
        json!({ "returned": 30 }),
    );
    assert_eq!(r["status"], "complete", "{r}");
    assert_eq!(names(&r["next_list"]), ["丁一", "王二", "刘三"], "{r}");
    assert!(
        r["tally"]
            .as_array()
            .expect("tally")
            .iter()
            .all(|row| row.get("flagged").is_none()),
        "{r}"
    );
    verified(&h, &server);
}

/// Fault 3 at its boundaries through the service: a runoff after a tie at
/// the last place of a nomination or an evaluation ranks the tied without
/// the election's threshold (6 of 10): 3:2 gives the place to the first,
/// 2:3 to the second, 3:3 is tied again.
#[test]
fn a_list_runoff_ranks_the_tied_at_its_boundaries() {
    let server = Server::start("i11-list-runoff");
    let h = hall(&server, 10, 10, json!({ "preset": "grassroots-2020" }));
    for (i, (kind, a, b, status, next)) in [
        ("nomination", 3usize, 2usize, "complete", vec!["乙"]),
        ("nomination", 2, 3, "complete", vec!["丙"]),
        ("nomination", 3, 3, "runoff_required", vec![]),
        ("evaluation", 3, 2, "complete", vec!["乙"]),
    ]
    .into_iter()
    .enumerate()
    {
        let e = h.election(json!({ "contest": format!("委员{i}"), "seats": 2 }));
        let r = id(&h.round(
            &e,
            json!({ "kind": kind, "candidates": ["甲", "乙", "丙"], "next_size": 2 }),
        ));
        h.open(&r, json!({ "issued": 10 }));
        // 甲 10, 乙 5, 丙 5: tied for the second place.
        let tie = h.count(
            &r,
            &ballots(&[(5, "YYA"), (5, "YAY")]),
            json!({ "returned": 10 }),
        );
        assert_eq!(tie["status"], "runoff_required", "{kind}: {tie}");
        let r2 = id(&h.decide(&r, json!({ "decision": "call_runoff" }))["round"]);
        h.open(&r2, json!({ "issued": 10 }));
        let result = h.count(
            &r2,
            &ballots(&[(a, "YN"), (b, "NY"), (10 - a - b, "AA")]),
            json!({ "returned": 10 }),
        );
        let what = format!("{kind} {a}:{b}");
        assert_eq!(result["status"], status, "{what}: {result}");
        assert_eq!(result["round"]["resolves"], kind, "{what}: {result}");
        assert_eq!(result["threshold_applies"], false, "{what}: {result}");
        assert_eq!(names(&result["next_list"]), next, "{what}: {result}");
    }
    verified(&h, &server);
}

/// RULES §9.1, §9.7: 对不同职务层次人员的推荐票分别统计 — one nomination
/// paper of two post levels, 正职 and 副职, each section in its own
/// election with its own next stage (正职 `next_size` 1; 副职 by a rule,
/// 1× its 2 places). The paper meets the nomination's floor, 80%以上 of
/// those entitled with the number included: 7 of 10 is no quorum in both
/// sections, 8 and 9 are held. A paper naming three for the two 副职
/// places voids only its 副职 part; each section gives its own next list,
/// which the presidium accepts for its own election. A preliminary paper
/// (impossible before: its sections had no `next_size`) takes them too.
#[test]
fn a_nomination_paper_tallies_each_post_level_apart() {
    let server = Server::start("i11-nom-paper");
    let h = hall(&server, 10, 7, json!({ "preset": "grassroots-2020" }));
    let times = json!({ "ratio": { "kind": "times", "num": 1, "den": 1 }, "of": 2 });
    for (i, present) in [7u64, 8, 9].into_iter().enumerate() {
        h.m.put(&h.org, "/attendance", json!({ "present": present }))
            .expect(200);
        let chief =
            h.election(json!({ "contest": format!("正职{i}"), "office": "other", "seats": 1 }));
        let deputy =
            h.election(json!({ "contest": format!("副职{i}"), "office": "other", "seats": 2 }));
        let paper = h.round(
            &chief,
            json!({ "kind": "nomination", "sections": [
                { "election": chief, "candidates": ["甲", "乙"], "next_size": 1 },
                { "election": deputy, "candidates": ["丙", "丁", "戊"], "next_rule": times },
            ] }),
        );
        let sections = names(&paper["paper"]["sections"]);
        assert_eq!(sections.len(), 2, "{paper}");
        let d = h.m.get(&h.org, &format!("/rounds/{}", sections[1]));
        let d = d.expect(200).json();
        assert_eq!(d["next_size"], 2, "{d}");
        assert_eq!(d["stage"]["next_rule"]["size"]["min"], 2, "{d}");
        for s in &sections {
            h.open(s, json!({ "issued": present }));
        }
        if present < 8 {
            for s in &sections {
                let got = h.m.get(&h.presidium, &format!("/rounds/{s}/result"));
                let result = got.expect(200).json()["result"].clone();
                assert_eq!(result["status"], "no_quorum", "{present}: {result}");
                assert_eq!(result["quorum"]["required"], 8, "{result}");
                h.m.cosign(&h.s, &h.ks, s).expect(201);
            }
            continue;
        }
        let n = present as usize;
        let close = json!({ "returned": present });
        let c = h.count(
            &sections[0],
            &ballots(&[(n - 1, "YN"), (1, "NY")]),
            close.clone(),
        );
        let v = h.count(&sections[1], &ballots(&[(n - 1, "YYN"), (1, "YYY")]), close);
        assert_eq!(c["status"], "complete", "{present}: {c}");
        assert_eq!(c["quorum_met"], true, "{present}: {c}");
        assert_eq!(c["ballots"]["invalid"], 0, "{c}");
        assert_eq!(c["next_list"], json!(["甲"]), "{c}");
        assert_eq!(v["status"], "complete", "{present}: {v}");
        assert_eq!(
            v["ballots"]["invalid"], 1,
            "the over-named paper, 副职 only: {v}"
        );
        assert_eq!(v["tally"][0]["for"], present - 1, "{v}");
        assert_eq!(v["next_list"], json!(["丙", "丁"]), "{v}");
        // The presidium's next step, each post level for its own election.
        h.decide(
            &sections[0],
            json!({ "decision": "accept_list", "list": ["甲"] }),
        );
        h.decide(
            &sections[1],
            json!({ "decision": "accept_list", "list": ["丙", "丁"] }),
        );
        // The accepted lists stand apart: each election's formal round
        // takes its own.
        h.round(&chief, json!({ "kind": "formal", "candidates": ["甲"] }));
        h.m.post(
            &h.org,
            &format!("/elections/{deputy}/rounds"),
            json!({ "kind": "formal", "candidates": ["丙", "甲"] }),
        )
        .problem(422, "list_not_accepted");
    }
    // The next stage is given per section, never on the whole paper; a
    // nomination section without one is refused at its own field.
    let chief = h.election(json!({ "contest": "正职末", "office": "other", "seats": 1 }));
    let deputy = h.election(json!({ "contest": "副职末", "office": "other", "seats": 2 }));
    let p =
        h.m.post(
            &h.org,
            &format!("/elections/{chief}/rounds"),
            json!({ "kind": "nomination", "next_size": 1, "sections": [
                { "election": chief, "candidates": ["甲", "乙"], "next_size": 1 },
                { "election": deputy, "candidates": ["丙", "丁", "戊"], "next_size": 2 },
            ] }),
        )
        .problem(422, "invalid_field");
    assert_eq!(p["field"], "next_size", "{p}");
    let p =
        h.m.post(
            &h.org,
            &format!("/elections/{chief}/rounds"),
            json!({ "kind": "nomination", "sections": [
                { "election": chief, "candidates": ["甲", "乙"], "next_size": 1 },
                { "election": deputy, "candidates": ["丙", "丁", "戊"] },
            ] }),
        )
        .problem(422, "invalid_field");
    assert_eq!(p["field"], "sections[1].next_size", "{p}");
    // A preliminary paper takes its sections' next_size the same way.
    let paper = h.round(
        &chief,
        json!({ "kind": "preliminary", "sections": [
            { "election": chief, "candidates": ["甲", "乙"], "next_size": 1 },
            { "election": deputy, "candidates": ["丙", "丁", "戊"], "next_size": 2 },
        ] }),
    );
    assert_eq!(paper["next_size"], 1, "{paper}");
    verified(&h, &server);
}
