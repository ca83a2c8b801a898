//! Tampered stage entries (issue 11, RULES §9): a holder of the log key
//! rewrites a meeting's stages and re-signs everything (the way
//! `tests/trust.rs` forges, with `tests/sim`), and `verify` fails at the
//! replay (step 8) with a message naming what is wrong — a wrong combined
//! sum, a paper section opened with other facts (a nomination paper's
//! post level opened as another kind too), a next-stage size its
//! rule does not give, a qualification review whose list is not its
//! decisions applied to the accepted list, a third nomination after two
//! failed votes, a stage method adopted after its round opened, and a
//! rated evaluation's ballot with two levels ticked in one row; and a
//! group re-held after its floor failed: a combination counting the
//! superseded round or skipping a group, a re-run of a group that was
//! held, a re-run recorded as another group. The honest meetings verify,
//! so each failure is the tampering's.

use serde_json::{json, Value};

use scrutineer::log::entry::AuthorRole;
use scrutineer::log::event::{Decision, Event};
use scrutineer::log::stage::{Combined, GroupOf, NextRuleFacts, PaperOf, StageFacts};
use scrutineer::log::verify::{verify, Step};
use scrutineer::rules::record::EarlierResult;
use scrutineer::rules::review::{ReviewAction, ReviewDecision};
use scrutineer::rules::stage::StageRatio;
use scrutineer::rules::tally::Counts;
use scrutineer::rules::{self, ElectionMethod, RoundKind};

use crate::common::server::TempDir;
use crate::sim::{self, Sim};

#[derive(Clone, Copy, PartialEq, Debug)]
enum Tamper {
    None,
    CombinedSum,
    SectionFacts,
    NextRuleSize,
    ReviewList,
    ThirdNomination,
    MethodAfterOpen,
    RatedRow,
    NominationSectionKind,
    NominationSectionSize,
}

/// Logs `facts` of round `id` (before it opens), as the organiser.
fn stage(sim: &mut Sim, id: &str, facts: StageFacts) {
    let by = Some(sim.organiser.0.clone());
    sim.organiser_does(Event::StageRecorded {
        round: id.into(),
        facts: Box::new(facts),
        by,
    });
}

/// Logs a stage method of round `id`; returns it.
fn stage_method(sim: &mut Sim, id: &str, overrides: Value) -> ElectionMethod {
    let Value::Object(overrides) = overrides else {
        panic!("overrides are an object");
    };
    let method =
        rules::stage_method::stage_method(&sim.method, &overrides).expect("a stage method");
    let by = Some(sim.organiser.0.clone());
    sim.organiser_does(Event::StageMethodAdopted {
        round: id.into(),
        overrides,
        method: Box::new(method.clone()),
        by,
    });
    method
}

/// The counts of round `id`'s logged ballots under `method`.
fn counts_of(sim: &Sim, id: &str, method: &ElectionMethod) -> Counts {
    let (_, round, ballots) = sim.rounds.iter().find(|r| r.0 == id).expect("opened");
    rules::tally::count(method, round, ballots)
}

/// Closes round `id` with `returned`, publishes the tally of `counts`
/// under `method`, signs its result checkpoint and has two scrutineers
/// cosign it; returns the record.
fn close_with(
    sim: &mut Sim,
    id: &str,
    returned: u64,
    method: &ElectionMethod,
    counts: Counts,
) -> Value {
    let (name, k, _) = sim.scrutineers[0].clone();
    sim.append(
        AuthorRole::Scrutineer,
        &k,
        &Event::RoundClosed {
            round: id.into(),
            returned,
            replaced: None,
            voted: None,
            by: Some(name),
        },
    );
    let slot = sim.rounds.iter_mut().find(|r| r.0 == id).expect("opened");
    slot.1.returned = Some(returned);
    let round = slot.1.clone();
    let result = rules::evaluate_counts(method, &round, counts);
    let record = scrutineer::log::record::record(method, &round, &result);
    let value = serde_json::to_value(&record).expect("a record");
    sim.service(Event::TallyPublished {
        round: id.into(),
        record: Box::new(record),
    });
    let note = sim.checkpoint();
    let checkpoint =
        scrutineer::log::checkpoint::Checkpoint::parse(note.text()).expect("a checkpoint");
    sim.results.insert(id.into(), checkpoint);
    sim.cosign(id, &[0, 2]);
    value
}

/// Enters `ballots` into round `id` and closes it under `method`.
fn count(sim: &mut Sim, id: &str, ballots: &[rules::Ballot], method: &ElectionMethod) -> Value {
    sim.ballots(id, ballots, 50);
    let counts = counts_of(sim, id, method);
    close_with(sim, id, ballots.len() as u64, method, counts)
}

fn ballots(groups: &[(usize, &str)]) -> Vec<rules::Ballot> {
    groups.iter().flat_map(|(n, m)| sim::times(*n, m)).collect()
}

/// A meeting of 50 with every stage of RULES §9 the verifier replays,
/// tampered at one place (or none).
fn meeting(t: Tamper) -> Sim {
    let mut sim = Sim::new(50);
    sim.attendance(45);
    let base = sim.method.clone();
    let people = ["丁一", "王二", "刘三", "张四"];

    // Nominations by two groups (their own electorates) and their
    // combination, 1:3 of one seat: 3 names.
    stage(
        &mut sim,
        "g1",
        StageFacts {
            group: Some(GroupOf {
                of: "n".into(),
                name: "党员推荐".into(),
            }),
            ..StageFacts::default()
        },
    );
    stage(
        &mut sim,
        "g2",
        StageFacts {
            group: Some(GroupOf {
                of: "n".into(),
                name: "群众推荐".into(),
            }),
            ..StageFacts::default()
        },
    );
    stage(
        &mut sim,
        "n",
        StageFacts {
            combined: Some(Combined {
                groups: vec!["g1".into(), "g2".into()],
                organisation: None,
            }),
            next_rule: Some(NextRuleFacts {
                ratio: StageRatio::Times { num: 3, den: 1 },
                of: 1,
            }),
            ..StageFacts::default()
        },
    );
    let nom = RoundKind::Nomination;
    sim.open("g1", nom, 1, &people, Some(3), 20, 16, 16);
    count(
        &mut sim,
        "g1",
        &ballots(&[(10, "YAAA"), (6, "AYAA")]),
        &base,
    );
    sim.open("g2", nom, 1, &people, Some(3), 30, 24, 24);
    count(
        &mut sim,
        "g2",
        &ballots(&[(10, "AAYA"), (8, "AYAA"), (6, "AAAY")]),
        &base,
    );
    let size = if t == Tamper::NextRuleSize { 4 } else { 3 };
    sim.open("n", nom, 1, &people, Some(size), 50, 40, 40);
    let groups = [counts_of(&sim, "g1", &base), counts_of(&sim, "g2", &base)];
    let mut sum = rules::groups::sum_counts(&[&groups[0], &groups[1]], people.len());
    if t == Tamper::CombinedSum {
        sum.lines[3].for_votes += 1;
    }
    let n = close_with(&mut sim, "n", 40, &base, sum);
    let proposed = sim::names(&n["next_list"]);
    assert_eq!(proposed.len(), size as usize, "{n}");
    sim.decide(
        "n",
        Decision::AcceptList {
            list: proposed.clone(),
        },
    );
    // Qualification review: 刘三 struck, with the reason.
    let struck = if t == Tamper::ReviewList {
        "张四"
    } else {
        "刘三"
    };
    let list: Vec<String> = proposed.iter().filter(|p| *p != struck).cloned().collect();
    sim.decide(
        "n",
        Decision::Review {
            decisions: vec![ReviewDecision {
                action: ReviewAction::Strike,
                name: "刘三".into(),
                reason: "考察中发现不符合条件".into(),
                by: "镇党委".into(),
            }],
            list: list.clone(),
        },
    );
    sim.checkpoint();

    // An evaluation with its own flag (a stage method), adopted before it
    // opens.
    let flag = json!({ "evaluation_flag": { "num": 3, "den": 10, "comparison": "inclusive" } });
    let listed: Vec<&str> = list.iter().map(String::as_str).collect();
    let ev_method = if t == Tamper::MethodAfterOpen {
        sim.open("ev", RoundKind::Evaluation, 1, &listed, Some(1), 50, 45, 45);
        stage_method(&mut sim, "ev", flag)
    } else {
        let m = stage_method(&mut sim, "ev", flag);
        sim.open("ev", RoundKind::Evaluation, 1, &listed, Some(1), 50, 45, 45);
        m
    };
    let (yes, no) = (
        format!("Y{}", "N".repeat(listed.len() - 1)),
        format!("N{}", "Y".repeat(listed.len() - 1)),
    );
    count(
        &mut sim,
        "ev",
        &ballots(&[(30, &yes), (15, &no)]),
        &ev_method,
    );

    // One paper, two sections: one issue, one box.
    let paper = PaperOf {
        paper: "pp".into(),
        sections: vec!["s1".into(), "s2".into()],
    };
    for s in ["s1", "s2"] {
        stage(
            &mut sim,
            s,
            StageFacts {
                paper: Some(paper.clone()),
                ..StageFacts::default()
            },
        );
    }
    let formal = RoundKind::Formal;
    sim.open("s1", formal, 2, &["丁一", "王二", "刘三"], None, 50, 45, 45);
    let issued = if t == Tamper::SectionFacts { 44 } else { 45 };
    sim.open(
        "s2",
        formal,
        3,
        &["丁一", "王二", "刘三", "张四"],
        None,
        50,
        45,
        issued,
    );
    count(&mut sim, "s1", &ballots(&[(45, "YYN")]), &base);
    count(
        &mut sim,
        "s2",
        &ballots(&[(44, "YYYN"), (1, "NYYY")]),
        &base,
    );

    // A nomination paper of two post levels (RULES §9.1, §9.7): 正职 with
    // its next_size, 副职 with a rule (1× its 2 places); each section
    // ranked on its own, an over-named 副职 part void alone.
    let nominated = PaperOf {
        paper: "np".into(),
        sections: vec!["n1".into(), "n2".into()],
    };
    let times = NextRuleFacts {
        ratio: StageRatio::Times { num: 1, den: 1 },
        of: 2,
    };
    for (s, next_rule) in [("n1", None), ("n2", Some(times))] {
        stage(
            &mut sim,
            s,
            StageFacts {
                paper: Some(nominated.clone()),
                next_rule,
                ..StageFacts::default()
            },
        );
    }
    let nomination = RoundKind::Nomination;
    sim.open("n1", nomination, 1, &["丁一", "王二"], Some(1), 50, 45, 45);
    let (kind, size) = match t {
        Tamper::NominationSectionKind => (RoundKind::Formal, None),
        Tamper::NominationSectionSize => (nomination, Some(3)),
        _ => (nomination, Some(2)),
    };
    sim.open("n2", kind, 2, &["丁一", "王二", "刘三"], size, 50, 45, 45);
    let r1 = count(&mut sim, "n1", &ballots(&[(44, "YN"), (1, "NY")]), &base);
    let r2 = count(&mut sim, "n2", &ballots(&[(44, "YYN"), (1, "YYY")]), &base);
    if t == Tamper::None {
        assert_eq!(sim::names(&r1["next_list"]), ["丁一"], "{r1}");
        assert_eq!(sim::names(&r2["next_list"]), ["丁一", "王二"], "{r2}");
    }

    // A cadre vote: one failed vote for the post on record (two: refused).
    let failed = |meeting: &str| EarlierResult {
        nominee: "张三".into(),
        post: "支部委员会委员".into(),
        meeting: meeting.into(),
        for_votes: 10,
        against: 35,
        abstain: 0,
        entitled: 50,
        passed: false,
    };
    let mut record = vec![failed("2025年3月")];
    if t == Tamper::ThirdNomination {
        record.push(failed("2025年6月"));
    }
    stage(
        &mut sim,
        "c",
        StageFacts {
            record,
            ..StageFacts::default()
        },
    );
    sim.open("c", RoundKind::Cadre, 1, &["张三"], None, 50, 45, 45);
    count(&mut sim, "c", &ballots(&[(30, "Y"), (15, "N")]), &base);
    // A four-level evaluation: one row per person, one tick per row.
    let rating = scrutineer::rules::rating::Rating::new(
        &["丁一".to_string(), "王二".to_string()],
        &scrutineer::rules::rating::RatingSpec {
            levels: ["优秀", "称职", "基本称职", "不称职"]
                .map(String::from)
                .to_vec(),
            items: vec![],
            approve: None,
            disapprove: None,
        },
    )
    .expect("a rating");
    let cells = rating.cells();
    stage(
        &mut sim,
        "rt",
        StageFacts {
            rating: Some(rating.clone()),
            ..StageFacts::default()
        },
    );
    let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
    sim.open("rt", RoundKind::Evaluation, 1, &cells, Some(1), 50, 45, 45);
    // The rating is a stage fact: the round as the engine sees it has it.
    if let Some(slot) = sim.rounds.iter_mut().find(|r| r.0 == "rt") {
        slot.1.rating = Some(rating);
    }
    let last = if t == Tamper::RatedRow {
        "YAAAYYAA"
    } else {
        "YAAAAYAA"
    };
    let r = count(
        &mut sim,
        "rt",
        &ballots(&[(30, "YAAAAYAA"), (14, "AYAAAAAY"), (1, last)]),
        &base,
    );
    assert_eq!(sim::names(&r["next_list"]), ["丁一"], "{r}");
    // The last cosignature's checkpoint covers the whole log.
    sim
}

fn fails_at_replay(t: Tamper, says: &str) {
    let sim = meeting(t);
    let r = verify(&sim.bundle());
    let all: Vec<String> = r.failures().map(|f| f.to_string()).collect();
    assert_eq!(r.first_failed_step(), Some(Step::Replay), "{t:?}: {all:?}");
    assert!(all.iter().any(|m| m.contains(says)), "{t:?}: {all:?}");
}

#[test]
fn the_honest_stages_verify() {
    let sim = meeting(Tamper::None);
    let r = verify(&sim.bundle());
    assert!(r.is_verified(), "{:?}", r.first_failure());
}

#[test]
fn a_combined_tally_that_is_not_the_sum_of_its_groups_fails() {
    fails_at_replay(
        Tamper::CombinedSum,
        "published for-votes of 张四 7, replay 6",
    );
}

#[test]
fn a_section_opened_with_other_facts_than_its_paper_fails() {
    fails_at_replay(
        Tamper::SectionFacts,
        "sections s1 and s2 of paper pp opened with other facts",
    );
}

#[test]
fn a_nomination_paper_section_of_another_kind_fails() {
    fails_at_replay(
        Tamper::NominationSectionKind,
        "sections n1 and n2 of paper np opened with other facts",
    );
}

#[test]
fn a_nomination_paper_section_listing_more_than_its_rule_fails() {
    fails_at_replay(
        Tamper::NominationSectionSize,
        "round n2 lists Some(3) for the next stage; its rule gives 2",
    );
}

#[test]
fn a_next_stage_size_its_rule_does_not_give_fails() {
    fails_at_replay(
        Tamper::NextRuleSize,
        "round n lists Some(4) for the next stage; its rule gives 3",
    );
}

#[test]
fn a_review_whose_list_is_not_its_decisions_applied_fails() {
    fails_at_replay(
        Tamper::ReviewList,
        "its decisions applied to the accepted list give",
    );
}

#[test]
fn a_third_nomination_after_two_failed_votes_fails() {
    fails_at_replay(
        Tamper::ThirdNomination,
        "张三 is nominated for 支部委员会委员 in round c after 2 failed votes for it",
    );
}

#[test]
fn a_stage_method_adopted_after_its_round_opened_fails() {
    fails_at_replay(
        Tamper::MethodAfterOpen,
        "stage method of round ev adopted after the round opened",
    );
}

/// The binary says so too, in the secretary's words, and exits non-zero.
#[test]
fn the_binary_refuses_a_forged_stage() {
    let dir = TempDir::new("stages-forged");
    let zip = dir.path().join("bundle.zip");
    scrutineer::bundle_io::write_zip(&meeting(Tamper::NextRuleSize).bundle(), &zip).expect("zip");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .arg("verify")
        .arg(&zip)
        .args(["--lang", "en"])
        .output()
        .expect("run verify");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("its rule gives 3"), "{text}");
}

#[test]
fn a_rated_ballot_with_two_ticks_in_a_row_fails() {
    fails_at_replay(Tamper::RatedRow, "row 王二 has 2 levels ticked");
}

/// How a meeting whose households' nomination was re-held is tampered.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Chain {
    Honest,
    /// The combination counts the round its re-run superseded.
    SupersededCounted,
    /// The combination names one group only: the other is skipped.
    GroupSkipped,
    /// A group that was held is re-run.
    HeldRerun,
    /// The re-run is recorded as another group.
    WrongGroup,
}

fn group_of(name: &str) -> StageFacts {
    StageFacts {
        group: Some(GroupOf {
            of: "n".into(),
            name: name.into(),
        }),
        ..StageFacts::default()
    }
}

/// Two groups (党员推荐 held at its floor; 群众推荐 23 of 30, below it,
/// re-run as `g2b` with 24 of 30) and their combination, which counts the
/// re-run: the rule of `log::stage::rerun_chain`, tampered at one place.
fn rerun_meeting(t: Chain) -> Sim {
    let mut sim = Sim::new(50);
    sim.attendance(45);
    let base = sim.method.clone();
    let people = ["丁一", "王二", "刘三"];
    stage(&mut sim, "g1", group_of("党员推荐"));
    stage(&mut sim, "g2", group_of("群众推荐"));
    let named: Vec<String> = if t == Chain::GroupSkipped {
        vec!["g1".into()]
    } else {
        vec!["g1".into(), "g2".into()]
    };
    stage(
        &mut sim,
        "n",
        StageFacts {
            combined: Some(Combined {
                groups: named,
                organisation: None,
            }),
            ..StageFacts::default()
        },
    );
    let nom = RoundKind::Nomination;
    // 16 of 20: exactly 80%, held.
    sim.open("g1", nom, 1, &people, Some(2), 20, 16, 16);
    count(&mut sim, "g1", &ballots(&[(10, "YAA"), (6, "AYA")]), &base);
    if t == Chain::HeldRerun {
        sim.decide(
            "g1",
            Decision::Rerun {
                round: "g1b".into(),
            },
        );
    }
    // 23 of 30: one below 80%, no quorum; the presidium re-runs it.
    sim.open("g2", nom, 1, &people, Some(2), 30, 23, 23);
    let none = counts_of(&sim, "g2", &base);
    let r = close_with(&mut sim, "g2", 0, &base, none);
    assert_eq!(r["status"], "no_quorum", "{r}");
    sim.decide(
        "g2",
        Decision::Rerun {
            round: "g2b".into(),
        },
    );
    let again = if t == Chain::WrongGroup {
        "党员推荐"
    } else {
        "群众推荐"
    };
    stage(&mut sim, "g2b", group_of(again));
    sim.open("g2b", nom, 1, &people, Some(2), 30, 24, 24);
    count(
        &mut sim,
        "g2b",
        &ballots(&[(10, "AAY"), (8, "AYA"), (6, "YAA")]),
        &base,
    );
    // The combination: g1 and the re-run g2b (the superseded g2, or g1
    // alone, when tampered).
    let counted: &[&str] = match t {
        Chain::SupersededCounted => &["g1", "g2"],
        Chain::GroupSkipped => &["g1"],
        _ => &["g1", "g2b"],
    };
    let sums = counted.iter().fold((0, 0, 0), |(e, p, i), g| {
        let r = sim.round(g);
        (e + r.entitled, p + r.present, i + r.issued)
    });
    sim.open("n", nom, 1, &people, Some(2), sums.0, sums.1, sums.2);
    let all: Vec<Counts> = counted.iter().map(|g| counts_of(&sim, g, &base)).collect();
    let refs: Vec<&Counts> = all.iter().collect();
    let sum = rules::groups::sum_counts(&refs, people.len());
    let returned = counted
        .iter()
        .map(|g| sim.round(g).returned.unwrap_or(0))
        .sum();
    close_with(&mut sim, "n", returned, &base, sum);
    sim
}

fn chain_fails_at_replay(t: Chain, says: &str) {
    let r = verify(&rerun_meeting(t).bundle());
    let all: Vec<String> = r.failures().map(|f| f.to_string()).collect();
    assert_eq!(r.first_failed_step(), Some(Step::Replay), "{t:?}: {all:?}");
    assert!(all.iter().any(|m| m.contains(says)), "{t:?}: {all:?}");
}

#[test]
fn a_combination_counting_the_latest_rerun_of_each_group_verifies() {
    let r = verify(&rerun_meeting(Chain::Honest).bundle());
    assert!(r.is_verified(), "{:?}", r.first_failure());
}

#[test]
fn a_combination_counting_a_superseded_group_round_fails() {
    chain_fails_at_replay(
        Chain::SupersededCounted,
        "its groups in force (g1, g2b) sum to 50, 40, 40",
    );
}

#[test]
fn a_combination_skipping_a_group_fails() {
    chain_fails_at_replay(
        Chain::GroupSkipped,
        "group round g2b of combined round n is skipped",
    );
}

#[test]
fn a_rerun_of_a_group_that_was_held_fails() {
    chain_fails_at_replay(
        Chain::HeldRerun,
        "group round g1 (党员推荐) is re-run, but it was held (complete)",
    );
}

#[test]
fn a_rerun_recorded_as_another_group_fails() {
    chain_fails_at_replay(
        Chain::WrongGroup,
        "round g2b, the re-run of group round g2 (群众推荐), is not recorded as that group",
    );
}
