//! Two procedures of the seed end to end through the HTTP API (issue 11),
//! on a real SQLite file, each exported bundle verified by the real
//! `scrutineer verify` binary:
//!
//! - 三推两评一选: group nominations (党员推荐, 群众推荐) with the party
//!   organisation's nominee listed directly, 1:3 per seat → evaluation
//!   with two flags, +30% → qualification review striking one → second
//!   evaluation, +20% → the formal delegate election with a tie and its
//!   runoff;
//! - 公推直选 for a village branch: members and households each ≥ 80%
//!   (exactly at the floor, and one below), 2× initial candidates, +20%
//!   formal list, 书记, 副书记 and 委员 elected directly on one paper.
//!
//! Besides: a stage's own method is logged and printed; replacement
//! ballots and the number who voted are recorded facts; a cadre vote
//! refuses a third nomination citing the earlier results, and records a
//! deferred nominee apart.

use crate::common;

use serde_json::{json, Value};

use common::meeting::Meeting;
use common::server::Server;
use common::stage::{rated, Hall, Staff};

/// A hall of `members` with `present` attending, its bundle's cosigner
/// 监票一.
fn hall(server: &Server, members: u64, present: u64) -> Hall {
    let m = Meeting::create(server.client(), &server.setup, members, json!([]));
    let staff = Staff {
        counters: ["计票一", "计票二"],
        scrutineer: "监票一",
        seed: 61,
    };
    Hall::new(m, present, staff)
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

#[test]
fn three_recommendations_two_evaluations_one_election() {
    let server = Server::start("pipeline-3t2p");
    let h = hall(&server, 50, 45);
    let e = h.election(json!({ "contest": "出席镇党代会代表", "office": "delegate", "seats": 3 }));
    let people = [
        "丁一", "王二", "刘三", "张四", "陈五", "周六", "吴七", "郑八", "孙九", "李十",
    ];

    // 1. Nominations by two groups, each an electorate with its floor; the
    // organisation's nominee listed directly; 1:3 per seat: 9 names, 8 by
    // the vote. A stage method: any number of names per ballot.
    let nom = h.round(
        &e,
        json!({
            "kind": "nomination",
            "candidates": people,
            "groups": ["党员推荐", "群众推荐"],
            "organisation": { "nominees": ["钱一"] },
            "next_rule": { "ratio": { "kind": "times", "num": 3, "den": 1 }, "of": 3 },
            "method": { "nomination_limit": "unlimited" },
        }),
    );
    let combined = nom["id"].as_str().expect("id").to_string();
    assert_eq!(nom["next_size"], 8, "{nom}");
    assert_eq!(nom["stage"]["next_rule"]["size"]["min"], 9);
    let groups: Vec<String> = nom["stage"]["combined"]["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g.as_str().expect("id").to_string())
        .collect();
    assert_eq!(groups.len(), 2);
    // The combined round waits for its groups.
    h.m.post(
        &h.m.organiser,
        &format!("/rounds/{combined}/open"),
        json!({}),
    )
    .problem(409, "group_not_held");
    // A group's electorate is its own: present exactly 80% of entitled.
    h.m.post(
        &h.m.organiser,
        &format!("/rounds/{}/open", groups[0]),
        json!({ "issued": 16 }),
    )
    .problem(422, "invalid_field");
    h.open(
        &groups[0],
        json!({ "issued": 16, "entitled": 20, "present": 16 }),
    );
    let g1 = h.count(
        &groups[0],
        &rated(16, &[16, 15, 14, 13, 12, 11, 10, 9, 2, 1], &[0; 10]),
        json!({ "returned": 16 }),
    );
    assert_eq!(g1["status"], "complete", "{g1}");
    h.open(
        &groups[1],
        json!({ "issued": 24, "entitled": 30, "present": 24 }),
    );
    let g2 = h.count(
        &groups[1],
        &rated(24, &[24, 22, 20, 18, 16, 14, 12, 10, 3, 0], &[0; 10]),
        json!({ "returned": 24 }),
    );
    assert_eq!(common::for_votes(&g2, "丁一"), 24);
    // The combination: sums of the groups' facts and signed counts.
    h.m.post(
        &h.m.organiser,
        &format!("/rounds/{combined}/open"),
        json!({ "issued": 41 }),
    )
    .problem(422, "invalid_field");
    let opened = h.open(&combined, json!({}));
    assert_eq!(opened["facts"]["entitled"], 50);
    assert_eq!(opened["facts"]["present"], 40);
    let all = h.close(&combined, json!({ "returned": 40 }));
    assert_eq!(all["status"], "complete", "{all}");
    assert_eq!(common::for_votes(&all, "丁一"), 40);
    assert_eq!(common::for_votes(&all, "孙九"), 5);
    let round =
        h.m.get(&h.presidium, &format!("/rounds/{combined}"))
            .expect(200)
            .json();
    assert_eq!(round["groups"][1]["name"], "群众推荐", "{round}");
    assert_eq!(round["groups"][0]["result"]["ballots"]["returned"], 16);
    // A group's tally is posted apart: its list is not accepted on its
    // own (none offered, none taken), its combination's is.
    let g =
        h.m.get(&h.presidium, &format!("/rounds/{}", groups[0]))
            .expect(200)
            .json();
    assert_eq!(g["offered_decisions"], json!([]), "{g}");
    h.m.post(
        &h.presidium,
        &format!("/rounds/{}/decisions", groups[0]),
        json!({ "decision": "accept_list", "list": people[..8] }),
    )
    .problem(409, "decision_not_applicable");
    let mut list = vec!["钱一".to_string()];
    list.extend(people[..8].iter().map(|s| s.to_string()));
    // The accepted list must hold the organisation's nominee.
    let short: Vec<&str> = people[..8].to_vec();
    h.m.post(
        &h.presidium,
        &format!("/rounds/{combined}/decisions"),
        json!({ "decision": "accept_list", "list": short }),
    )
    .problem(422, "invalid_field");
    h.decide(
        &combined,
        json!({ "decision": "accept_list", "list": list }),
    );

    // 2. Evaluation of the nine, +30% of the four of the second
    // evaluation: 4 + ⌈1.2⌉ = 6. Two flags: 不满意 ≥ 30% off the list,
    // > 1/3 the removal procedure.
    let ev1 = h.round(
        &e,
        json!({
            "kind": "evaluation",
            "candidates": list,
            "next_rule": { "ratio": { "kind": "more", "num": 3, "den": 10 }, "of": 4 },
            "method": {
                "evaluation_flag": { "num": 3, "den": 10, "comparison": "inclusive" },
                "evaluation_removal": { "num": 1, "den": 3, "comparison": "strict" },
            },
        }),
    );
    let ev1 = ev1["id"].as_str().expect("id").to_string();
    h.open(&ev1, json!({ "issued": 46 }));
    // 14 of 45 不满意 (31%) is flagged; 13 would not be.
    let r = h.count(
        &ev1,
        &rated(
            45,
            &[44, 42, 40, 38, 36, 34, 20, 30, 28],
            &[0, 1, 2, 3, 4, 5, 14, 6, 7],
        ),
        json!({ "returned": 45, "replaced": 1, "voted": 45 }),
    );
    assert_eq!(r["status"], "complete", "{r}");
    let proposed = names(&r["next_list"]);
    assert_eq!(
        proposed,
        ["钱一", "丁一", "王二", "刘三", "张四", "陈五"],
        "{r}"
    );
    let flagged: Vec<&Value> = r["tally"]
        .as_array()
        .expect("tally")
        .iter()
        .filter(|row| row["flagged"] == true)
        .collect();
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0]["name"], "周六");
    // The replacement ballot and the number who voted are facts.
    let round =
        h.m.get(&h.presidium, &format!("/rounds/{ev1}"))
            .expect(200)
            .json();
    assert_eq!(round["facts"]["replaced"], 1, "{round}");
    assert_eq!(round["facts"]["voted"], 45);
    assert_eq!(r["ballots"]["issued"], 46);
    h.decide(&ev1, json!({ "decision": "accept_list", "list": proposed }));

    // 3. Qualification review: the higher organisation strikes one, with
    // its reason; a decision without a name on the list is refused. The
    // review is offered to the presidium with the list it amends, by the
    // rule POST applies.
    let offers = |round: &str| -> Vec<Value> {
        h.m.get(&h.presidium, &format!("/rounds/{round}"))
            .expect(200)
            .json()["offered_decisions"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let offer = offers(&ev1)
        .into_iter()
        .find(|o| o["decision"] == "review")
        .expect("review offered after accept_list");
    assert_eq!(names(&offer["list"]), proposed);
    h.m.post(
        &h.presidium,
        &format!("/rounds/{ev1}/decisions"),
        json!({ "decision": "review", "decisions": [
            { "action": "strike", "name": "周六", "reason": "不在名单上" }
        ] }),
    )
    .problem(422, "invalid_field");
    let review = h.decide(
        &ev1,
        json!({ "decision": "review", "decisions": [
            { "action": "strike", "name": "刘三", "reason": "考察中发现不符合代表条件", "by": "镇党委" }
        ] }),
    );
    let amended = names(&review["decision"]["list"]);
    assert_eq!(amended, ["钱一", "丁一", "王二", "张四", "陈五"]);

    // 4. Second evaluation: +20% of the three seats: 3 + ⌈0.6⌉ = 4.
    let ev2 = h.round(
        &e,
        json!({
            "kind": "evaluation",
            "candidates": amended,
            "next_rule": { "ratio": { "kind": "more", "num": 1, "den": 5 }, "of": 3 },
        }),
    );
    assert_eq!(ev2["next_size"], 4);
    // Taken once: no longer offered. The next stage names the review its
    // list came from, with each reason.
    assert!(offers(&ev1).iter().all(|o| o["decision"] != "review"));
    assert_eq!(ev2["amended_by"]["round"], ev1.as_str(), "{ev2}");
    assert_eq!(ev2["amended_by"]["number"], 4, "{ev2}");
    assert_eq!(
        ev2["amended_by"]["review"]["decisions"][0]["reason"],
        "考察中发现不符合代表条件"
    );
    let ev2 = ev2["id"].as_str().expect("id").to_string();
    h.open(&ev2, json!({ "issued": 45 }));
    let r = h.count(
        &ev2,
        &rated(45, &[40, 38, 36, 34, 32], &[0; 5]),
        json!({ "returned": 45 }),
    );
    let formal_list = names(&r["next_list"]);
    assert_eq!(formal_list, ["钱一", "丁一", "王二", "张四"]);
    h.decide(
        &ev2,
        json!({ "decision": "accept_list", "list": formal_list }),
    );

    // 5. The formal election: 4 for 3 seats; 张四 = 王二 = 30 tie for the
    // last seat; the runoff elects.
    let f = h.round(&e, json!({ "kind": "formal", "candidates": formal_list }));
    let f = f["id"].as_str().expect("id").to_string();
    h.open(&f, json!({ "issued": 45 }));
    let mut ballots: Vec<Value> = Vec::new();
    for (n, b) in [(5, "AYYY"), (10, "YAYY"), (15, "YYAY"), (15, "YYYA")] {
        ballots.extend(std::iter::repeat_n(json!(b), n));
    }
    let r = h.count(&f, &json!(ballots), json!({ "returned": 45 }));
    assert_eq!(r["status"], "runoff_required", "{r}");
    assert_eq!(names(&r["elected"]), ["钱一", "丁一"]);
    let runoff = h.decide(&f, json!({ "decision": "call_runoff" }));
    let ro = runoff["round"]["id"].as_str().expect("runoff").to_string();
    h.open(&ro, json!({ "issued": 45 }));
    let mut ballots: Vec<Value> = Vec::new();
    for (n, b) in [(30, "YN"), (14, "NY"), (1, "NN")] {
        ballots.extend(std::iter::repeat_n(json!(b), n));
    }
    let r = h.count(&ro, &json!(ballots), json!({ "returned": 45 }));
    assert_eq!(r["status"], "complete", "{r}");
    assert_eq!(names(&r["elected"]), ["王二"]);

    // The printed method shows each stage's own clauses, once for the
    // stage held by groups (not again for each group round), and under
    // it each group's own electorate and floor.
    let text = h.m.get(&h.presidium, "/method/text").expect(200).text();
    assert!(text.contains("不列为人选"), "{text}");
    assert_eq!(
        text.matches("本阶段选举办法：出席镇党代会代表（第 1 轮，民主推荐）")
            .count(),
        1,
        "{text}"
    );
    assert_eq!(text.matches("推荐人数不限").count(), 1, "{text}");
    assert_eq!(text.matches("本阶段选举办法").count(), 2, "{text}");
    assert!(
        text.contains(
            "  “党员推荐”一组（第 2 轮）：本组应参加 20 人；参加人数须达到本组应参加人数的80%以上（含本数），即至少 16 人，本组推荐方为有效。\n  “群众推荐”一组（第 3 轮）：本组应参加 30 人；"
        ),
        "{text}"
    );
    let out = h.verified(server.dir.path());
    assert!(out.contains("核验通过"), "{out}");
}

#[test]
fn direct_election_of_a_village_branch_on_one_paper() {
    let server = Server::start("pipeline-gtzx");
    let h = hall(&server, 30, 27);
    let committee = h.election(json!({ "contest": "村党支部委员", "seats": 5 }));
    let secretary =
        h.election(json!({ "contest": "村党支部书记", "office": "secretary", "seats": 1 }));
    let deputy = h
        .election(json!({ "contest": "村党支部副书记", "office": "deputy_secretary", "seats": 1 }));
    let people = [
        "丁一", "王二", "刘三", "张四", "陈五", "周六", "吴七", "郑八", "孙九", "李十", "钱一",
        "赵二", "冯三", "褚四",
    ];
    // Formal candidates: 5 seats + 20% = 6; initial candidates 2 × 6 = 12.
    let nom = h.round(
        &committee,
        json!({
            "kind": "nomination",
            "candidates": people,
            "groups": ["党员", "农户"],
            "next_rule": { "ratio": { "kind": "times", "num": 2, "den": 1 }, "of": 6 },
            "method": { "nomination_limit": "unlimited" },
        }),
    );
    assert_eq!(nom["next_size"], 12);
    assert_eq!(
        nom["stage"]["next_rule"]["rule_zh"],
        "以6名为基数，按2倍确定，尾数按进一法取整，为12名"
    );
    let combined = nom["id"].as_str().expect("id").to_string();
    let groups: Vec<String> = nom["stage"]["combined"]["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g.as_str().expect("id").to_string())
        .collect();
    // Members: 24 of 30 is exactly 80%以上 (the number included): held.
    h.open(
        &groups[0],
        json!({ "issued": 24, "entitled": 30, "present": 24 }),
    );
    let y: Vec<usize> = (0..14).map(|i| 24 - i).collect();
    h.count(
        &groups[0],
        &rated(24, &y, &[0; 14]),
        json!({ "returned": 24 }),
    );
    // Households: 80 of 100, exactly at the floor too.
    h.open(
        &groups[1],
        json!({ "issued": 80, "entitled": 100, "present": 80 }),
    );
    let y: Vec<usize> = (0..14).map(|i| 70 - 2 * i).collect();
    h.count(
        &groups[1],
        &rated(80, &y, &[0; 14]),
        json!({ "returned": 80 }),
    );
    h.open(&combined, json!({}));
    let all = h.close(&combined, json!({ "returned": 104 }));
    let initial = names(&all["next_list"]);
    assert_eq!(initial, people[..12], "{all}");
    h.decide(
        &combined,
        json!({ "decision": "accept_list", "list": initial }),
    );

    // The formal list: +20% of the 5 seats = 6, by an evaluation.
    let ev = h.round(
        &committee,
        json!({
            "kind": "evaluation",
            "candidates": initial,
            "next_rule": { "ratio": { "kind": "more", "num": 1, "den": 5 }, "of": 5 },
        }),
    );
    let ev = ev["id"].as_str().expect("id").to_string();
    h.open(&ev, json!({ "issued": 27 }));
    let y: Vec<usize> = (0..12).map(|i| 27 - i).collect();
    let r = h.count(&ev, &rated(27, &y, &[0; 12]), json!({ "returned": 27 }));
    let formal = names(&r["next_list"]);
    assert_eq!(formal, people[..6]);
    h.decide(&ev, json!({ "decision": "accept_list", "list": formal }));

    // One paper: 书记, 副书记, 委员 — three sections, each its own contest.
    let paper = h.round(
        &secretary,
        json!({
            "kind": "formal",
            "sections": [
                { "election": secretary, "candidates": ["丁一"] },
                { "election": deputy, "candidates": ["王二"] },
                { "election": committee, "candidates": formal },
            ],
        }),
    );
    let sections: Vec<String> = paper["paper"]["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .map(|s| s.as_str().expect("id").to_string())
        .collect();
    assert_eq!(sections.len(), 3, "{paper}");
    // One issue for the paper: every section opens with the same number.
    h.open(&sections[0], json!({ "issued": 27 }));
    h.m.post(
        &h.m.organiser,
        &format!("/rounds/{}/open", sections[1]),
        json!({ "issued": 26 }),
    )
    .problem(422, "invalid_field");
    h.open(&sections[1], json!({ "issued": 27 }));
    h.open(&sections[2], json!({ "issued": 27 }));
    let sec = h.count(
        &sections[0],
        &json!(std::iter::repeat_n("Y", 27).collect::<Vec<_>>()),
        json!({ "returned": 27 }),
    );
    assert_eq!(names(&sec["elected"]), ["丁一"], "{sec}");
    let mut dep: Vec<&str> = std::iter::repeat_n("Y", 20).collect();
    dep.extend(std::iter::repeat_n("N", 7));
    // The paper's box is one: a section closing with another number is
    // refused.
    for (c, k) in [(&h.c1, "1"), (&h.c2, "2")] {
        h.m.enter(c, &sections[1], "b1", &format!("d-{k}"), &json!(dep))
            .expect(201);
    }
    h.m.post(
        &h.s,
        &format!("/rounds/{}/close", sections[1]),
        json!({ "returned": 27, "replaced": 1 }),
    )
    .problem(422, "invalid_field");
    let d = h.close(&sections[1], json!({ "returned": 27 }));
    assert_eq!(names(&d["elected"]), ["王二"]);
    // 委员: one paper overvotes this section (6 for 5 seats): it voids
    // only this section; the same paper's 书记 and 副书记 votes counted.
    let mut com: Vec<&str> = std::iter::repeat_n("YYYYYN", 26).collect();
    com.push("YYYYYY");
    let c = h.count(&sections[2], &json!(com), json!({ "returned": 27 }));
    assert_eq!(c["ballots"]["invalid"], 1, "{c}");
    assert_eq!(sec["ballots"]["invalid"], 0);
    assert_eq!(names(&c["elected"]), people[..5]);
    let out = h.verified(server.dir.path());
    assert!(out.contains("核验通过"), "{out}");
}

#[test]
fn a_group_one_below_its_floor_is_never_combined() {
    let server = Server::start("pipeline-floor");
    let h = hall(&server, 30, 27);
    let e = h.election(json!({ "contest": "村党支部委员", "seats": 2 }));
    let nom = h.round(
        &e,
        json!({ "kind": "nomination", "candidates": ["丁一", "王二", "刘三"],
                "groups": ["党员", "农户"], "next_size": 3 }),
    );
    let combined = nom["id"].as_str().expect("id").to_string();
    let groups = nom["stage"]["combined"]["groups"].clone();
    let (g0, g1) = (
        groups[0].as_str().expect("id"),
        groups[1].as_str().expect("id"),
    );
    // One above the floor: 25 of 30.
    h.open(g0, json!({ "issued": 25, "entitled": 30, "present": 25 }));
    h.count(
        g0,
        &rated(25, &[20, 10, 5], &[0; 3]),
        json!({ "returned": 25 }),
    );
    // One below: 79 of 100 households is no quorum.
    h.open(g1, json!({ "issued": 79, "entitled": 100, "present": 79 }));
    let hh =
        h.m.get(&h.presidium, &format!("/rounds/{g1}/result"))
            .expect(200)
            .json();
    assert_eq!(hh["result"]["status"], "no_quorum", "{hh}");
    assert_eq!(hh["result"]["quorum"]["required"], 80, "{hh}");
    h.m.cosign(&h.s, &h.ks, g1).expect(201);
    h.m.post(
        &h.m.organiser,
        &format!("/rounds/{combined}/open"),
        json!({}),
    )
    .problem(409, "group_not_held");
    h.verified(server.dir.path());
}

#[test]
fn a_cadre_vote_refuses_a_third_nomination_and_records_deferrals() {
    let server = Server::start("pipeline-cadre");
    let h = hall(&server, 9, 9);
    let e = h.election(json!({ "contest": "办公室主任", "office": "other", "seats": 1 }));
    let earlier = json!([
        { "nominee": "张三", "post": "办公室主任", "meeting": "2025年3月党委会",
          "for": 3, "against": 6, "abstain": 0, "entitled": 9, "passed": false },
        { "nominee": "张三", "post": "办公室主任", "meeting": "2025年6月党委会",
          "for": 4, "against": 5, "abstain": 0, "entitled": 9, "passed": false }
    ]);
    let refused =
        h.m.post(
            &h.m.organiser,
            &format!("/elections/{e}/rounds"),
            json!({ "kind": "cadre", "candidates": ["张三"], "record": earlier }),
        )
        .problem(422, "nomination_refused");
    assert!(
        refused["message_zh"]
            .as_str()
            .expect("zh")
            .contains("2025年6月党委会"),
        "{refused}"
    );
    // One failure only: the nomination stands (one below the limit).
    let once = json!([earlier[0].clone()]);
    let r = h.round(
        &e,
        json!({ "kind": "cadre", "candidates": ["张三"], "record": once,
                "deferred": [{ "nominee": "李四", "reason": "待核实个人事项报告" }] }),
    );
    assert_eq!(r["stage"]["deferred"][0]["nominee"], "李四", "{r}");
    let id = r["id"].as_str().expect("id").to_string();
    // A second nomination made before this vote: a draft, allowed now.
    let draft = h.round(
        &e,
        json!({ "kind": "cadre", "candidates": ["张三"], "record": once }),
    );
    let draft = draft["id"].as_str().expect("id").to_string();
    assert_eq!(draft_refused(&h, &draft), json!([]));
    h.open(&id, json!({ "issued": 9 }));
    // 4 of 9 同意 fails: 2 × 4 ≤ 9.
    let mut b: Vec<&str> = std::iter::repeat_n("Y", 4).collect();
    b.extend(std::iter::repeat_n("N", 5));
    let res = h.count(&id, &json!(b), json!({ "returned": 9 }));
    assert_eq!(res["elected"], json!([]), "{res}");
    // Now the record (given once, plus this meeting's own vote) holds two
    // failures: a third nomination is refused, citing this meeting's vote.
    let again =
        h.m.post(
            &h.m.organiser,
            &format!("/elections/{e}/rounds"),
            json!({ "kind": "cadre", "candidates": ["张三"], "record": once }),
        )
        .problem(422, "nomination_refused");
    assert!(
        again["message_zh"]
            .as_str()
            .expect("zh")
            .contains("本次会议"),
        "{again}"
    );
    // The draft made before shows the refusal with both earlier votes
    // (this meeting's named by its round number, never its id), and
    // opening it is refused.
    let refused = draft_refused(&h, &draft);
    assert_eq!(
        refused[0]["failed"].as_array().map(Vec::len),
        Some(2),
        "{refused}"
    );
    assert_eq!(
        refused[0]["failed"][1]["meeting"],
        "本次会议办公室主任第1轮"
    );
    h.m.post(
        &h.m.organiser,
        &format!("/rounds/{draft}/open"),
        json!({ "issued": 9 }),
    )
    .problem(422, "nomination_refused");
    h.verified(server.dir.path());
}

/// What opening a draft cadre vote would refuse now (`stage.refused`).
fn draft_refused(h: &Hall, round: &str) -> Value {
    h.m.get(&h.presidium, &format!("/rounds/{round}"))
        .expect(200)
        .json()["stage"]["refused"]
        .clone()
}

/// RULES §9.2 through the service: each stage size is its ratio of its
/// base rounded up (进一法) — exactly a whole number, one below and one
/// above it — and a `next_size` the rule does not give is refused.
#[test]
fn stage_sizes_round_up_at_their_boundaries_through_the_service() {
    let server = Server::start("stage-sizes");
    let h = hall(&server, 30, 27);
    let e = h.election(json!({ "contest": "村党支部委员", "seats": 3 }));
    let size = |ratio: Value, of: u64| -> Value {
        let r = h.round(
            &e,
            json!({ "kind": "nomination", "candidates": [],
                    "next_rule": { "ratio": ratio, "of": of } }),
        );
        r["next_size"].clone()
    };
    let more30 = json!({ "kind": "more", "num": 3, "den": 10 });
    // +30%: 10 → 13 exactly; 9 → 11.7 → 12; 11 → 14.3 → 15.
    assert_eq!(size(more30.clone(), 10), 13);
    assert_eq!(size(more30.clone(), 9), 12);
    assert_eq!(size(more30.clone(), 11), 15);
    let more20 = json!({ "kind": "more", "num": 1, "den": 5 });
    // +20%: 5 → 6 exactly; 4 → 4.8 → 5; 6 → 7.2 → 8.
    assert_eq!(size(more20.clone(), 5), 6);
    assert_eq!(size(more20.clone(), 4), 5);
    assert_eq!(size(more20, 6), 8);
    let half = json!({ "kind": "times", "num": 3, "den": 2 });
    // 1.5×: 4 → 6 exactly; 3 → 4.5 → 5; 5 → 7.5 → 8.
    assert_eq!(size(half.clone(), 4), 6);
    assert_eq!(size(half.clone(), 3), 5);
    assert_eq!(size(half.clone(), 5), 8);
    // 2× and 1:3 per seat are whole; 差额考察 +1…2 lists the fewest.
    assert_eq!(size(json!({ "kind": "times", "num": 2, "den": 1 }), 6), 12);
    assert_eq!(size(json!({ "kind": "times", "num": 3, "den": 1 }), 3), 9);
    assert_eq!(size(json!({ "kind": "extra", "min": 1, "max": 2 }), 3), 4);
    // A size the rule does not give, one below or one above, is refused.
    for wrong in [4, 6] {
        h.m.post(
            &h.m.organiser,
            &format!("/elections/{e}/rounds"),
            json!({ "kind": "nomination", "candidates": [], "next_size": wrong,
                    "next_rule": { "ratio": half, "of": 3 } }),
        )
        .problem(422, "invalid_field");
    }
    h.round(
        &e,
        json!({ "kind": "nomination", "candidates": [], "next_size": 5,
                "next_rule": { "ratio": half, "of": 3 } }),
    );
}

/// RULES §2.2 through the service: the 30% 不满意 flag (≥, of the ballots
/// returned) and the > 1/3 removal flag in one evaluation, each at, one
/// below and one above its boundary. 30 returned: 9 is exactly 30%, 10
/// exactly 1/3 (not more).
#[test]
fn evaluation_flags_at_their_boundaries_through_the_service() {
    let server = Server::start("eval-flags");
    let h = hall(&server, 30, 30);
    let e = h.election(json!({ "contest": "村党支部委员", "seats": 2 }));
    let people = ["丁一", "王二", "刘三", "张四"];
    let ev = h.round(
        &e,
        json!({
            "kind": "evaluation",
            "candidates": people,
            "next_size": 4,
            "method": {
                "evaluation_flag": { "num": 3, "den": 10, "comparison": "inclusive" },
                "evaluation_removal": { "num": 1, "den": 3, "comparison": "strict" },
            },
        }),
    );
    let ev = ev["id"].as_str().expect("id").to_string();
    h.open(&ev, json!({ "issued": 30 }));
    let against = [8, 9, 10, 11];
    let r = h.count(
        &ev,
        &rated(30, &[22, 21, 20, 19], &against),
        json!({ "returned": 30 }),
    );
    // Only 丁一 is listed of the 4 places: a shortfall, an outcome.
    assert_eq!(r["status"], "shortfall", "{r}");
    let rows = r["tally"].as_array().expect("tally");
    let row = |name: &str| {
        rows.iter()
            .find(|x| x["name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    // 30%: 8 below, 9 at, 10 above; off the list when flagged (a flag
    // not raised is omitted from the row).
    assert!(row("丁一")["flagged"] != true, "{r}");
    assert!(row("王二")["flagged"] == true, "{r}");
    assert!(row("刘三")["flagged"] == true, "{r}");
    assert!(row("张四")["flagged"] == true, "{r}");
    assert_eq!(names(&r["next_list"]), ["丁一"], "{r}");
    // > 1/3: 9 below, 10 at (not more), 11 above.
    assert!(row("王二")["removal"] != true, "{r}");
    assert!(row("刘三")["removal"] != true, "{r}");
    assert!(row("张四")["removal"] == true, "{r}");
    let out = h.verified(server.dir.path());
    assert!(out.contains("核验通过"), "{out}");
}

/// RULES §9.5 through the service (公推直选: 80%以上党员 and 80%以上农户, the
/// number included): each group at, one below and one above its floor;
/// the combination opens only when both are held.
#[test]
fn member_and_household_floors_at_their_boundaries_through_the_service() {
    let server = Server::start("floors");
    let h = hall(&server, 30, 27);
    let e = h.election(json!({ "contest": "村党支部委员", "seats": 2 }));
    // (members present of 30, households present of 100)
    for (members, households) in [(23, 81), (24, 80), (25, 79)] {
        let nom = h.round(
            &e,
            json!({ "kind": "nomination", "candidates": ["丁一", "王二", "刘三"],
                    "groups": ["党员", "农户"], "next_size": 2 }),
        );
        let combined = nom["id"].as_str().expect("id").to_string();
        let groups: Vec<String> = names(&nom["stage"]["combined"]["groups"]);
        for (g, (present, entitled)) in groups.iter().zip([(members, 30), (households, 100)]) {
            h.open(
                g,
                json!({ "issued": present, "entitled": entitled, "present": present }),
            );
            let held = present * 5 >= entitled * 4;
            if held {
                let r = h.count(
                    g,
                    &rated(present as usize, &[present as usize, 5, 0], &[0; 3]),
                    json!({ "returned": present }),
                );
                assert_eq!(r["status"], "complete", "{present} of {entitled}: {r}");
            } else {
                let r =
                    h.m.get(&h.presidium, &format!("/rounds/{g}/result"))
                        .expect(200)
                        .json();
                assert_eq!(
                    r["result"]["status"], "no_quorum",
                    "{present} of {entitled}: {r}"
                );
                assert_eq!(r["result"]["quorum"]["required"], entitled * 4 / 5);
                h.m.cosign(&h.s, &h.ks, g).expect(201);
            }
        }
        let open = h.m.post(
            &h.m.organiser,
            &format!("/rounds/{combined}/open"),
            json!({}),
        );
        if (members, households) == (24, 80) {
            open.expect(200);
            let all = h.close(&combined, json!({ "returned": 104 }));
            assert_eq!(all["status"], "complete", "{all}");
            assert_eq!(common::for_votes(&all, "丁一"), 104);
        } else {
            open.problem(409, "group_not_held");
        }
    }
    let out = h.verified(server.dir.path());
    assert!(out.contains("核验通过"), "{out}");
}

/// A four-level evaluation (优秀/称职/基本称职/不称职, RULES §2.2) through
/// the service: each ballot a table of one row per person; 不称职 ≥ 25% →
/// the removal procedure at, one below and one above; a row with two ticks
/// refused at entry; the rule printed; the bundle verified by the binary.
#[test]
fn a_four_level_evaluation_through_the_service() {
    let server = Server::start("rating-four");
    let h = hall(&server, 20, 20);
    let e = h.election(json!({ "contest": "村党支部委员", "seats": 2 }));
    let people = ["丁一", "王二", "刘三"];
    let ev = h.round(
        &e,
        json!({
            "kind": "evaluation",
            "candidates": people,
            "next_size": 2,
            "rating": { "levels": ["优秀", "称职", "基本称职", "不称职"] },
            "method": {
                "evaluation_removal": { "num": 1, "den": 4, "comparison": "inclusive" },
            },
        }),
    );
    assert_eq!(ev["candidates"][1], "丁一·称职", "{ev}");
    let rule = ev["stage"]["rating"]["rule_zh"].as_str().expect("rule");
    assert!(rule.contains("优秀”“称职"), "{rule}");
    let id = ev["id"].as_str().expect("id").to_string();
    h.open(&id, json!({ "issued": 20 }));
    // Two ticks in 王二's row: refused, naming the row.
    let two = json!(["YAAAYYAAYAAA"]);
    let p =
        h.m.enter(&h.c1, &id, "b0", "two-1", &two)
            .problem(422, "invalid_field");
    assert!(
        p["message_en"]
            .as_str()
            .expect("en")
            .contains("row 王二 has 2 levels ticked"),
        "{p}"
    );
    // 不称职: 丁一 4 (below 25% of 20), 王二 5 (at), 刘三 6 (above); the
    // rest 称职 (丁一 also 10 优秀).
    let ballots: Vec<String> = (0..20)
        .map(|b| {
            [4, 5, 6]
                .iter()
                .enumerate()
                .map(|(p, &k)| match (p, b) {
                    (_, b) if b < k => "AAAY",
                    (0, b) if b >= 10 => "YAAA",
                    _ => "AYAA",
                })
                .collect()
        })
        .collect();
    let r = h.count(&id, &json!(ballots), json!({ "returned": 20 }));
    assert_eq!(r["status"], "complete", "{r}");
    let person = |name: &str| {
        r["ratings"]
            .as_array()
            .and_then(|a| a.iter().find(|p| p["name"] == name))
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        person("丁一")["items"][0]["levels"],
        json!([10, 6, 0, 4]),
        "{r}"
    );
    assert!(person("丁一")["removal"].is_null(), "{r}");
    assert_eq!(person("王二")["removal"], true, "{r}");
    assert_eq!(person("刘三")["removal"], true, "{r}");
    assert_eq!(names(&r["next_list"]), ["丁一", "王二"], "{r}");
    h.decide(
        &id,
        json!({ "decision": "accept_list", "list": ["丁一", "王二"] }),
    );
    // The printed 选举办法 states the rating's rule.
    let text = h.m.get(&h.presidium, "/method/text").expect(200).text();
    assert!(
        text.contains("测评办法：测评分优秀、称职、基本称职、不称职4个等次"),
        "{text}"
    );
    let out = h.verified(server.dir.path());
    assert!(out.contains("核验通过"), "{out}");
}

/// RULES §9.5 with the presidium's `rerun` (issue 11): a group held
/// without its floor is re-held, and its combination counts the latest
/// re-run of each group — members exactly at their floor (counted, no
/// re-run), households one below (no quorum → re-run → one below again →
/// re-run → exactly at the floor); the combination refused while a re-run
/// waits or is still open, then opened with the re-run's tally, the failed
/// rounds shown as superseded; the bundle verified by the binary.
#[test]
fn a_group_held_without_its_floor_is_re_run_into_its_combination() {
    let server = Server::start("pipeline-rerun");
    let h = hall(&server, 30, 27);
    let e = h.election(json!({ "contest": "村党支部委员", "seats": 2 }));
    let nom = h.round(
        &e,
        json!({ "kind": "nomination", "candidates": ["丁一", "王二", "刘三"],
                "groups": ["党员", "农户"], "next_size": 3,
                "method": { "nomination_limit": "unlimited" } }),
    );
    let combined = nom["id"].as_str().expect("id").to_string();
    let groups = names(&nom["stage"]["combined"]["groups"]);
    let refused = |says: &str| {
        let p =
            h.m.post(
                &h.m.organiser,
                &format!("/rounds/{combined}/open"),
                json!({}),
            )
            .problem(409, "group_not_held");
        let zh = p["message_zh"].as_str().expect("zh");
        assert!(zh.contains(says), "{p}");
        p
    };
    // Members: 24 of 30, exactly 80%: held, no re-run needed.
    h.open(
        &groups[0],
        json!({ "issued": 24, "entitled": 30, "present": 24 }),
    );
    let members = h.count(
        &groups[0],
        &rated(24, &[20, 10, 5], &[0; 3]),
        json!({ "returned": 24 }),
    );
    assert_eq!(members["status"], "complete", "{members}");
    let offers = |round: &str| -> Vec<String> {
        h.m.get(&h.presidium, &format!("/rounds/{round}"))
            .expect(200)
            .json()["offered_decisions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["decision"].as_str().map(str::to_string))
            .collect()
    };
    assert!(offers(&groups[0]).is_empty());
    h.m.post(
        &h.presidium,
        &format!("/rounds/{}/decisions", groups[0]),
        json!({ "decision": "rerun" }),
    )
    .problem(409, "decision_not_applicable");
    // Households: 79 of 100, one below: no quorum; not combined as it is.
    let no_quorum = |round: &str| {
        h.open(
            round,
            json!({ "issued": 79, "entitled": 100, "present": 79 }),
        );
        let r =
            h.m.get(&h.presidium, &format!("/rounds/{round}/result"))
                .expect(200)
                .json();
        assert_eq!(r["result"]["status"], "no_quorum", "{r}");
        h.m.cosign(&h.s, &h.ks, round).expect(201);
    };
    no_quorum(&groups[1]);
    refused("未达到参加人数要求");
    assert_eq!(offers(&groups[1]), ["rerun"]);
    // The presidium re-runs it: a round of the same group, its own
    // electorate; the combination waits for it.
    let rerun = h.decide(&groups[1], json!({ "decision": "rerun" }));
    let second = rerun["round"]["id"].as_str().expect("re-run").to_string();
    assert_eq!(rerun["round"]["stage"]["group"]["name"], "农户", "{rerun}");
    assert_eq!(rerun["round"]["stage"]["group"]["of"], combined.as_str());
    let p = refused("的重新推荐（第 4 轮）尚未结束计票");
    assert_eq!(p["chain"], json!([groups[1], second]), "{p}");
    // The re-run fails again (79 of 100): re-run once more.
    no_quorum(&second);
    refused("（第 4 轮）未达到参加人数要求");
    let third = h.decide(&second, json!({ "decision": "rerun" }))["round"]["id"]
        .as_str()
        .expect("re-run")
        .to_string();
    // Open, not yet counted: still refused, not a 500.
    h.open(
        &third,
        json!({ "issued": 80, "entitled": 100, "present": 80 }),
    );
    refused("的重新推荐（第 5 轮）尚未结束计票");
    let households = h.count(
        &third,
        &rated(80, &[40, 60, 10], &[0; 3]),
        json!({ "returned": 80 }),
    );
    assert_eq!(households["status"], "complete", "{households}");
    // The combination: the members' round and the latest re-run.
    let opened = h.open(&combined, json!({}));
    assert_eq!(opened["facts"]["entitled"], 130, "{opened}");
    assert_eq!(opened["facts"]["present"], 104);
    assert_eq!(opened["facts"]["issued"], 104);
    let all = h.close(&combined, json!({ "returned": 104 }));
    assert_eq!(all["status"], "complete", "{all}");
    assert_eq!(common::for_votes(&all, "丁一"), 60);
    assert_eq!(common::for_votes(&all, "王二"), 70);
    assert_eq!(names(&all["next_list"]), ["王二", "丁一", "刘三"]);
    let round =
        h.m.get(&h.presidium, &format!("/rounds/{combined}"))
            .expect(200)
            .json();
    let g = &round["groups"][1];
    assert_eq!(g["round"], third.as_str(), "{round}");
    assert_eq!(g["named"], groups[1].as_str());
    assert_eq!(g["number"], 5);
    assert_eq!(g["result"]["ballots"]["returned"], 80);
    assert_eq!(
        g["superseded"],
        json!([
            { "round": groups[1], "number": 3, "status": "no_quorum" },
            { "round": second, "number": 4, "status": "no_quorum" },
        ]),
        "{round}"
    );
    assert_eq!(round["groups"][0]["superseded"], json!([]));
    h.decide(
        &combined,
        json!({ "decision": "accept_list", "list": ["王二", "丁一", "刘三"] }),
    );
    // The printed method: the stage's clauses once; each group round and
    // each re-run with its own electorate and floor, in the chain's order.
    let text = h.m.get(&h.presidium, "/method/text").expect(200).text();
    assert_eq!(text.matches("本阶段选举办法").count(), 1, "{text}");
    assert!(
        text.contains(concat!(
            "  “党员”一组（第 2 轮）：本组应参加 30 人；参加人数须达到本组应参加人数的80%以上（含本数），即至少 24 人，本组推荐方为有效。\n",
            "  “农户”一组（第 3 轮）：本组应参加 100 人；参加人数须达到本组应参加人数的80%以上（含本数），即至少 80 人，本组推荐方为有效。\n",
            "  “农户”一组重新推荐（第 4 轮，重新举行第 3 轮）：本组应参加 100 人；",
        )),
        "{text}"
    );
    assert!(
        text.contains("  “农户”一组重新推荐（第 5 轮，重新举行第 4 轮）：本组应参加 100 人；"),
        "{text}"
    );
    let en =
        h.m.get(&h.presidium, "/method/text?lang=en")
            .expect(200)
            .text();
    assert!(
        en.contains("  group 农户 held again (round 5, re-running round 4): 100 entitled; held only if those taking part are at least 4/5 of them, i.e. at least 80.\n"),
        "{en}"
    );
    let out = h.verified(server.dir.path());
    assert!(out.contains("核验通过"), "{out}");
}
