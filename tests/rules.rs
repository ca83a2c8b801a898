//! Every rule and boundary of RULES.md, table-driven: each strict or
//! inclusive boundary exactly at, one below and one above.

use crate::common;

use common::{ballots, for_votes, names, tally};
use serde_json::{json, Value};

const SIX: [&str; 6] = ["丁一", "王二", "刘三", "张四", "陈五", "周六"];

fn round(kind: &str, seats: u64, candidates: &[&str], entitled: u64, present: u64) -> Value {
    json!({
        "kind": kind, "seats": seats, "candidates": candidates,
        "entitled": entitled, "present": present,
    })
}

fn with(mut round: Value, key: &str, value: Value) -> Value {
    round[key] = value;
    round
}

fn status(v: &Value) -> &str {
    v["status"].as_str().unwrap()
}

// ---- §3.1 quorum -------------------------------------------------------

#[test]
fn quorum_boundaries_per_preset() {
    // (preset, overrides, entitled, present, met)
    let cases: &[(&str, Value, u64, u64, bool)] = &[
        // 基层: more than 4/5; exactly 4/5 fails (casebook p02).
        ("grassroots-2020", json!({}), 50, 39, false),
        ("grassroots-2020", json!({}), 50, 40, false),
        ("grassroots-2020", json!({}), 50, 41, true),
        // Templates' 不少于 reading, as an override: exactly 4/5 passes.
        (
            "grassroots-2020",
            json!({"quorum": {"comparison": "inclusive"}}),
            50,
            40,
            true,
        ),
        (
            "grassroots-2020",
            json!({"quorum": {"comparison": "inclusive"}}),
            50,
            39,
            false,
        ),
        ("grassroots-1990", json!({}), 10, 8, false),
        ("grassroots-1990", json!({}), 10, 9, true),
        // 地方 congress: more than half.
        ("local-2020-congress", json!({}), 50, 25, false),
        ("local-2020-congress", json!({}), 50, 26, true),
        ("local-2020-congress", json!({}), 51, 26, true),
        ("local-2020-congress", json!({}), 51, 25, false),
        // 地方 plenary: more than 2/3.
        ("local-2020-plenary", json!({}), 30, 20, false),
        ("local-2020-plenary", json!({}), 30, 21, true),
        // Cadre vote: at least 2/3.
        ("cadre-vote-2019", json!({}), 9, 6, true),
        ("cadre-vote-2019", json!({}), 9, 5, false),
        ("cadre-vote-2019", json!({}), 10, 7, true),
        ("cadre-vote-2019", json!({}), 10, 6, false),
        // Branch resolution: at least half.
        ("branch-resolution-2018", json!({}), 10, 5, true),
        ("branch-resolution-2018", json!({}), 10, 4, false),
        ("branch-resolution-2018", json!({}), 9, 5, true),
        ("branch-resolution-2018", json!({}), 9, 4, false),
    ];
    for (preset, overrides, entitled, present, met) in cases {
        let kind = match *preset {
            "cadre-vote-2019" => "cadre",
            "branch-resolution-2018" => "resolution",
            _ => "formal",
        };
        let r = tally(
            preset,
            overrides.clone(),
            round(kind, 5, &SIX, *entitled, *present),
            json!([]),
        );
        assert_eq!(r["quorum_met"], *met, "{preset} {present}/{entitled}: {r}");
        assert_eq!(
            status(&r) == "no_quorum",
            !met,
            "{preset} {present}/{entitled}"
        );
        if !met {
            // Nothing is counted without a quorum.
            assert!(r["box_valid"].is_null());
            assert_eq!(r["tally"], json!([]));
        }
    }
}

// ---- §3.2 differential ratio -------------------------------------------

#[test]
fn list_rules_per_preset_and_office() {
    // (preset, office, seats, candidates, ok)
    let cases: &[(&str, &str, u64, usize, bool)] = &[
        ("grassroots-2020", "committee", 5, 5, false),
        ("grassroots-2020", "committee", 5, 6, true),
        ("grassroots-2020", "committee", 7, 8, false), // 7 × 20% = 1.4 → 2 more
        ("grassroots-2020", "committee", 7, 9, true),
        ("grassroots-2020", "discipline", 3, 4, true),
        ("grassroots-2020", "delegate", 10, 11, false),
        ("grassroots-2020", "delegate", 10, 12, true),
        ("grassroots-1990", "delegate", 10, 12, false), // "多于20%": strict
        ("grassroots-1990", "delegate", 10, 13, true),
        ("grassroots-2020", "alternate", 2, 3, true),
        ("grassroots-2020", "standing", 5, 5, false),
        ("grassroots-2020", "standing", 5, 6, true),
        ("grassroots-2020", "standing", 5, 7, true),
        ("grassroots-2020", "standing", 5, 8, false),
        ("grassroots-2020", "secretary", 1, 1, true),
        ("grassroots-2020", "secretary", 1, 2, false),
        ("grassroots-2020", "deputy_secretary", 2, 2, true),
        ("grassroots-2020", "deputy_secretary", 2, 3, false),
        ("grassroots-2020", "other", 3, 3, true),
        ("grassroots-2020", "other", 3, 2, false),
        ("local-2020-congress", "committee", 10, 10, false),
        ("local-2020-congress", "committee", 10, 11, true), // 10%
        ("local-2020-congress", "committee", 11, 12, false), // 1.1 → 2 more
        ("local-2020-congress", "committee", 11, 13, true),
        ("local-2020-congress", "delegate", 10, 11, false), // 20%
        ("local-2020-congress", "delegate", 10, 12, true),
        ("local-2020-plenary", "standing", 4, 7, false),
        ("local-2020-plenary", "standing", 4, 6, true),
        ("local-2020-plenary", "secretary", 1, 1, true),
    ];
    let pool: Vec<String> = (0..20).map(|i| format!("候选人{i:02}")).collect();
    for (preset, office, seats, n, ok) in cases {
        let candidates: Vec<&str> = pool[..*n].iter().map(String::as_str).collect();
        let r = with(
            round("formal", *seats, &candidates, 100, 100),
            "office",
            json!(office),
        );
        let r = tally(preset, json!({}), r, json!([]));
        assert_eq!(
            status(&r) != "list_rejected",
            *ok,
            "{preset} {office} {seats} seats {n} candidates: {}",
            r["list_check"]
        );
        if !ok {
            let msg = r["list_check"]["message_en"].as_str().unwrap();
            assert!(
                msg.contains(&format!("{seats} seats")) && msg.contains(&format!("{n} given")),
                "{msg}"
            );
        }
    }
}

#[test]
fn rejection_message_states_the_numbers() {
    let r = tally(
        "grassroots-2020",
        json!({}),
        round("formal", 5, &SIX[..5], 50, 46),
        json!([]),
    );
    assert_eq!(status(&r), "list_rejected");
    assert_eq!(
        r["list_check"]["message_en"],
        "5 seats need at least 6 candidates; 5 given"
    );
    assert_eq!(
        r["list_check"]["message_zh"],
        "应选5名，候选人至少6名；现有5名"
    );
}

// ---- §3.3 ballot box ---------------------------------------------------

#[test]
fn box_check_against_issued_and_voters() {
    // (preset, present, issued, replaced, voted, returned, valid)
    type Case<'a> = (&'a str, u64, u64, u64, Option<u64>, u64, bool);
    let cases: &[Case] = &[
        ("grassroots-2020", 46, 46, 0, None, 47, false),
        ("grassroots-2020", 46, 46, 0, None, 46, true),
        ("grassroots-2020", 46, 46, 0, None, 45, true),
        ("grassroots-2020", 46, 40, 0, None, 41, false),
        ("grassroots-2020", 46, 40, 0, None, 40, true),
        // Replacement ballots: issued > present is a fact; the base is issued.
        ("grassroots-2020", 46, 47, 1, None, 48, false),
        ("grassroots-2020", 46, 47, 1, None, 47, true),
        ("grassroots-2020", 46, 47, 1, None, 46, true),
        // 1990: against 投票人数, at most min(present, issued) (issue 11,
        // fault 2): 46 present, 45 issued, 46 returned is void.
        ("grassroots-1990", 46, 45, 0, None, 46, false),
        ("grassroots-1990", 46, 45, 0, None, 45, true),
        ("grassroots-1990", 46, 45, 0, None, 44, true),
        ("grassroots-1990", 46, 40, 0, None, 41, false),
        ("grassroots-1990", 46, 40, 0, None, 40, true),
        // More issued than present (one replaced): at most the 46 present.
        ("grassroots-1990", 46, 47, 1, None, 47, false),
        ("grassroots-1990", 46, 47, 1, None, 46, true),
        ("grassroots-1990", 46, 47, 1, None, 45, true),
        // The number who voted, when the scrutineers record it, is the base.
        ("grassroots-1990", 46, 46, 0, Some(44), 45, false),
        ("grassroots-1990", 46, 46, 0, Some(44), 44, true),
        ("grassroots-1990", 46, 46, 0, Some(44), 43, true),
        // Under box_check = issued a recorded voted changes nothing.
        ("grassroots-2020", 46, 46, 0, Some(44), 46, true),
    ];
    for (preset, present, issued, replaced, voted, returned, valid) in cases {
        let mut r = round("formal", 1, &SIX[..2], 50, *present);
        r["issued"] = json!(issued);
        r["returned"] = json!(returned);
        r["replaced"] = json!(replaced);
        if let Some(v) = voted {
            r["voted"] = json!(v);
        }
        // A void box keeps the ballots entered before it was ruled on, one
        // fewer than it held, uncounted (the service logs them so).
        let b = if *valid {
            ballots(&[(*returned as usize, "YN")])
        } else {
            ballots(&[(*returned as usize - 1, "YN")])
        };
        let out = tally(preset, json!({}), r, b);
        let what = format!("{preset} {returned}/{issued} present {present} voted {voted:?}");
        assert_eq!(out["box_valid"], *valid, "{what}");
        assert_eq!(status(&out) == "void", !valid, "{what}");
        assert_eq!(out["ballots"]["issued"], *issued, "{what}");
        if !valid {
            assert_eq!(out["tally"], json!([]), "a void round publishes no tally");
        }
    }
}

/// Issue 11, fault 1: more ballots issued than voters present is a
/// recorded fact with a ruling, and the discrepancies are reported: returned
/// > present, and issued beyond present plus the replacements recorded.
#[test]
fn issued_beyond_present_is_a_fact_with_its_discrepancies() {
    // (present, issued, replaced, returned, returned_over_present, issued_unexplained)
    type Case = (u64, u64, u64, u64, Option<u64>, Option<u64>);
    let cases: &[Case] = &[
        (46, 46, 0, 46, None, None),
        (46, 47, 1, 46, None, None),
        (46, 47, 1, 47, Some(1), None),
        (46, 47, 0, 46, None, Some(1)),
        (46, 48, 1, 45, None, Some(1)),
        (46, 48, 2, 45, None, None),
        (46, 48, 3, 45, None, None),
        (46, 45, 0, 45, None, None),
    ];
    for (present, issued, replaced, returned, over, unexplained) in cases {
        let r = json!({
            "kind": "formal", "seats": 1, "candidates": &SIX[..2],
            "entitled": 50, "present": present, "issued": issued,
            "replaced": replaced, "returned": returned,
        });
        let out = tally(
            "grassroots-2020",
            json!({}),
            r,
            ballots(&[(*returned as usize, "YN")]),
        );
        let what =
            format!("present {present} issued {issued} replaced {replaced} returned {returned}");
        assert_eq!(out["box_valid"], true, "{what}");
        assert_eq!(status(&out), "complete", "{what}");
        let b = &out["box_check"];
        assert_eq!(b["returned_over_present"].as_u64(), *over, "{what}");
        assert_eq!(b["issued_unexplained"].as_u64(), *unexplained, "{what}");
        assert_eq!(out["round"]["replaced"].as_u64().unwrap_or(0), *replaced);
    }
}

/// Counts that cannot all be true are still refused, naming the field.
#[test]
fn contradictory_attendance_counts_are_refused() {
    let bad = |extra: Value, field: &str, says: &str| {
        let mut r = round("formal", 1, &SIX[..2], 50, 46);
        for (k, v) in extra.as_object().unwrap() {
            r[k] = v.clone();
        }
        let text = common::file("grassroots-1990", json!({}), r, json!([]));
        let e = common::refused_text(&text);
        assert!(e.contains(field), "{field}: {e}");
        assert!(e.contains(says), "{says}: {e}");
    };
    // voted at most min(present, issued): one above each bound.
    bad(json!({"voted": 47}), "round.voted", "expected voted ≤ 46");
    bad(
        json!({"issued": 45, "voted": 46}),
        "round.voted",
        "expected voted ≤ 45",
    );
    bad(
        json!({"issued": 2, "replaced": 3}),
        "round.replaced",
        "replaced ≤ issued",
    );
    bad(
        json!({"resolves": "nomination"}),
        "round.resolves",
        "only a runoff",
    );
    let mut r = round("runoff", 1, &SIX[..2], 50, 46);
    r["resolves"] = json!("cadre");
    let text = common::file("grassroots-2020", json!({}), r, json!([]));
    let e = common::refused_text(&text);
    assert!(e.contains("cannot resolve a cadre round"), "{e}");
    // At each bound the round is read.
    for extra in [
        json!({"voted": 46}),
        json!({"issued": 45, "voted": 45}),
        json!({"issued": 3, "replaced": 3}),
    ] {
        let mut r = round("formal", 1, &SIX[..2], 50, 46);
        for (k, v) in extra.as_object().unwrap() {
            r[k] = v.clone();
        }
        let text = common::file("grassroots-1990", json!({}), r, json!([]));
        scrutineer::rules::roundfile::parse(&text, None).unwrap_or_else(|e| panic!("{extra}: {e}"));
    }
}

// ---- §3.4 each ballot --------------------------------------------------

/// One ballot under a method; (valid, invalid, for-votes of write-in 李七).
fn one_ballot(overrides: Value, kind: &str, ballot: Value) -> (u64, u64, Option<u64>) {
    let mut r = round(kind, 2, &SIX[..3], 1, 1);
    if kind == "runoff" {
        r["seats"] = json!(1);
    }
    let out = tally("grassroots-2020", overrides, r, json!([ballot]));
    let li = out["tally"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "李七")
        .map(|r| r["for"].as_u64().unwrap());
    (
        out["ballots"]["valid"].as_u64().unwrap(),
        out["ballots"]["invalid"].as_u64().unwrap(),
        li,
    )
}

#[test]
fn ballot_validity_rules() {
    let void = json!({"write_in_misplaced": "void_ballot", "write_in_names_candidate": "void_ballot", "illegible": "void_ballot"});
    let w =
        |marks: &str, line: &str, name: &str| json!({"marks": marks, "write_ins": {line: name}});
    // (overrides, kind, ballot, valid, invalid, 李七's votes)
    type Case<'a> = (Value, &'a str, Value, u64, u64, Option<u64>);
    let cases: Vec<Case> = vec![
        // Selections up to the seats (2) are fine; one more is an overvote.
        (json!({}), "formal", json!("YYN"), 1, 0, None),
        (json!({}), "formal", json!("YYY"), 0, 1, None),
        (json!({}), "formal", json!("AAA"), 1, 0, None), // blank ballot is valid
        // A write-in on an against line is a selection.
        (json!({}), "formal", w("YNA", "1", "李七"), 1, 0, Some(1)),
        (json!({}), "formal", w("YNY", "1", "李七"), 0, 1, None),
        // Write-in beside an abstention: ignored by default, voids if adopted.
        (json!({}), "formal", w("YAA", "1", "李七"), 1, 0, None),
        (void.clone(), "formal", w("YAA", "1", "李七"), 0, 1, None),
        // Write-in naming a listed candidate.
        (json!({}), "formal", w("YNA", "1", "丁一"), 1, 0, None),
        (void.clone(), "formal", w("YNA", "1", "丁一"), 0, 1, None),
        // Illegible: abstention on the line by default, or voids the ballot.
        (json!({}), "formal", json!("Y?A"), 1, 0, None),
        (void.clone(), "formal", json!("Y?A"), 0, 1, None),
        // Declared void by the scrutineers.
        (
            json!({}),
            "formal",
            json!({"void": "选票上有签名"}),
            0,
            1,
            None,
        ),
        // Runoffs take no write-ins: ignored, or void under the override.
        (json!({}), "runoff", w("NNY", "0", "李七"), 1, 0, None),
        (void.clone(), "runoff", w("NNY", "0", "李七"), 0, 1, None),
        // Without write-ins the method can forbid them everywhere.
        (
            json!({"write_ins": "none"}),
            "formal",
            w("YNA", "1", "李七"),
            1,
            0,
            None,
        ),
    ];
    for (overrides, kind, ballot, valid, invalid, li) in cases {
        assert_eq!(
            one_ballot(overrides.clone(), kind, ballot.clone()),
            (valid, invalid, li),
            "{kind} {ballot} under {overrides}"
        );
    }
}

#[test]
fn illegible_marks_count_as_abstentions_on_their_line() {
    let out = tally(
        "grassroots-2020",
        json!({}),
        round("formal", 1, &SIX[..2], 3, 3),
        json!(["Y?", "?N", "YA"]),
    );
    assert_eq!(out["tally"][0]["abstain"], 1);
    assert_eq!(out["tally"][1]["abstain"], 2);
    assert_eq!(out["ballots"]["illegible_marks"], 2);
}

// ---- §4.1 threshold ----------------------------------------------------

#[test]
fn threshold_exactly_half_fails() {
    // (overrides, entitled, present, for-votes of 丁一, elected)
    let cases: &[(Value, u64, u64, usize, bool)] = &[
        (json!({}), 50, 50, 25, false),
        (json!({}), 50, 50, 26, true),
        (json!({}), 50, 50, 24, false),
        (json!({}), 51, 51, 25, false),
        (json!({}), 51, 51, 26, true),
        // Base present: 2 × for > 45.
        (json!({"threshold_base": "present"}), 50, 45, 22, false),
        (json!({"threshold_base": "present"}), 50, 45, 23, true),
        // The same 23 votes fail against the entitled base of 50.
        (json!({}), 50, 45, 23, false),
    ];
    for (overrides, entitled, present, votes, elected) in cases {
        let b = ballots(&[(*votes, "YN"), (*present as usize - votes, "NN")]);
        let out = tally(
            "grassroots-2020",
            overrides.clone(),
            round("formal", 1, &SIX[..2], *entitled, *present),
            b,
        );
        assert_eq!(
            names(&out["elected"]) == ["丁一"],
            *elected,
            "{votes} of {entitled}/{present} under {overrides}: {}",
            out["threshold"]
        );
        assert_eq!(
            status(&out),
            if *elected { "complete" } else { "shortfall" }
        );
    }
}

#[test]
fn grassroots_1990_counts_against_present() {
    let out = tally(
        "grassroots-1990",
        json!({}),
        round("formal", 1, &SIX[..2], 50, 45),
        ballots(&[(23, "YN"), (22, "NY")]),
    );
    assert_eq!(out["threshold"], 23);
    assert_eq!(names(&out["elected"]), ["丁一"]);
}

// ---- §4.2 seat filling and ties ----------------------------------------

/// A formal round with 10 entitled and present; `votes[i]` for-votes for
/// candidate i, built from ballots each carrying at most `seats` Ys.
/// `voters` ballots giving candidate i exactly `votes[i]` for-votes, each
/// candidate's votes spread over the ballots with the fewest so far (so no
/// ballot carries more Ys than needed).
fn spread(votes: &[usize], voters: usize) -> Value {
    let mut rows = vec![vec!['A'; votes.len()]; voters];
    for (c, v) in votes.iter().enumerate() {
        let mut order: Vec<usize> = (0..voters).collect();
        order.sort_by_key(|b| (rows[*b].iter().filter(|m| **m == 'Y').count(), *b));
        for b in order.into_iter().take(*v) {
            rows[b][c] = 'Y';
        }
    }
    let b: Vec<Value> = rows
        .into_iter()
        .map(|r| json!(r.into_iter().collect::<String>()))
        .collect();
    json!(b)
}

fn seats_round(kind: &str, seats: u64, votes: &[usize], entitled: u64) -> Value {
    let names_: Vec<&str> = SIX[..votes.len()].to_vec();
    let b = spread(votes, entitled as usize);
    tally(
        "grassroots-2020",
        json!({"differential": {"committee": {"kind": "none"}}}),
        round(kind, seats, &names_, entitled, entitled),
        b,
    )
}

#[test]
fn seat_filling_and_ties() {
    // (seats, votes, status, elected, runoff among, runoff seats, unfilled)
    type Case = (
        u64,
        Vec<usize>,
        &'static str,
        Vec<&'static str>,
        Vec<&'static str>,
        u64,
        u64,
    );
    // 20 entitled and present: the threshold is 11 (exactly half fails).
    let cases: Vec<Case> = vec![
        // A tie inside the elected group decides nothing: both elected.
        (
            2,
            vec![16, 16, 3],
            "complete",
            vec!["丁一", "王二"],
            vec![],
            0,
            0,
        ),
        // A tie straddling the cut-off: runoff among exactly the tied.
        (
            2,
            vec![16, 12, 12],
            "runoff_required",
            vec!["丁一"],
            vec!["刘三", "王二"],
            1,
            0,
        ),
        // Three tied for two seats: all three in the runoff, for two.
        (
            2,
            vec![12, 12, 12, 2],
            "runoff_required",
            vec![],
            vec!["丁一", "刘三", "王二"],
            2,
            0,
        ),
        // Tied at exactly half: a shortfall, not a runoff.
        (2, vec![18, 10, 10], "shortfall", vec!["丁一"], vec![], 0, 1),
        // Tied exactly at the threshold (11 of 20) across the cut-off.
        (
            2,
            vec![17, 11, 11, 1],
            "runoff_required",
            vec!["丁一"],
            vec!["刘三", "王二"],
            1,
            0,
        ),
        // Nobody above threshold.
        (2, vec![10, 10, 10], "shortfall", vec![], vec![], 0, 2),
        // Fewer qualifiers than seats, tied among themselves: all elected.
        (
            3,
            vec![14, 14, 4],
            "shortfall",
            vec!["丁一", "王二"],
            vec![],
            0,
            1,
        ),
    ];
    for (seats, votes, st, elected, among, runoff_seats, unfilled) in cases {
        let out = seats_round("formal", seats, &votes, 20);
        assert_eq!(out["ballots"]["invalid"], 0, "test data must not overvote");
        assert_eq!(status(&out), st, "{votes:?}: {out}");
        assert_eq!(names(&out["elected"]), elected, "{votes:?}");
        if among.is_empty() {
            assert!(out["runoff"].is_null(), "{votes:?}");
        } else {
            assert_eq!(names(&out["runoff"]["among"]), among, "{votes:?}");
            assert_eq!(out["runoff"]["seats"], runoff_seats);
        }
        assert_eq!(out["unfilled"], unfilled, "{votes:?}");
    }
}

#[test]
fn write_ins_are_elected_like_candidates() {
    let w = json!({"marks": "YN", "write_ins": {"1": "李七"}});
    let b: Vec<Value> = (0..6)
        .map(|_| w.clone())
        .chain((0..4).map(|_| json!("YA")))
        .collect();
    let out = tally(
        "grassroots-2020",
        json!({"differential": {"committee": {"kind": "none"}}}),
        round("formal", 2, &SIX[..2], 10, 10),
        json!(b),
    );
    assert_eq!(for_votes(&out, "李七"), 6);
    assert_eq!(names(&out["elected"]), ["丁一", "李七"]);
    let row = out["tally"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "李七")
        .unwrap();
    assert_eq!(row["write_in"], true);
}

// ---- §2.5 runoff and §4.6 supplementary -----------------------------------

#[test]
fn runoff_rounds() {
    // Runoff among two tied for one seat: the majority still applies.
    let out = tally(
        "grassroots-2020",
        json!({}),
        round("runoff", 1, &SIX[..2], 10, 10),
        ballots(&[(6, "YN"), (4, "NY")]),
    );
    assert_eq!(
        (status(&out), names(&out["elected"])),
        ("complete", vec!["丁一".to_string()])
    );
    // Tied again: another runoff.
    let out = tally(
        "grassroots-2020",
        json!({}),
        round("runoff", 2, &SIX[..3], 10, 10),
        ballots(&[(3, "YYA"), (3, "YAY"), (3, "AYY"), (1, "AAA")]),
    );
    assert_eq!(status(&out), "runoff_required");
    assert_eq!(out["runoff"]["seats"], 2);
    // Neither above half: shortfall.
    let out = tally(
        "grassroots-2020",
        json!({}),
        round("runoff", 1, &SIX[..2], 10, 10),
        ballots(&[(5, "YN"), (5, "NY")]),
    );
    assert_eq!(
        (status(&out), out["unfilled"].as_u64()),
        ("shortfall", Some(1))
    );
    // A runoff needs more candidates than seats.
    let out = tally(
        "grassroots-2020",
        json!({}),
        round("runoff", 2, &SIX[..2], 10, 10),
        json!([]),
    );
    assert_eq!(status(&out), "list_rejected");
}

#[test]
fn supplementary_rounds() {
    // Default: the office's differential rule applies to the unfilled seats.
    let out = tally(
        "grassroots-2020",
        json!({}),
        round("supplementary", 1, &SIX[..1], 10, 10),
        json!([]),
    );
    assert_eq!(status(&out), "list_rejected");
    let out = tally(
        "grassroots-2020",
        json!({"supplementary_list": "equal_allowed"}),
        round("supplementary", 1, &SIX[..1], 10, 10),
        ballots(&[(6, "Y"), (4, "N")]),
    );
    assert_eq!(
        (status(&out), names(&out["elected"])),
        ("complete", vec!["丁一".to_string()])
    );
    // The threshold is unchanged: below half is never filled by plurality.
    let out = tally(
        "grassroots-2020",
        json!({}),
        round("supplementary", 1, &SIX[..2], 10, 10),
        ballots(&[(5, "YN"), (4, "NY"), (1, "AA")]),
    );
    assert_eq!(
        (status(&out), out["unfilled"].as_u64()),
        ("shortfall", Some(1))
    );
}

// ---- §2.3 / §4.5 preliminary ---------------------------------------------

fn prelim(overrides: Value, seats: u64, next: u64, votes: &[usize]) -> Value {
    let pool: Vec<String> = (0..votes.len()).map(|i| format!("候选人{i:02}")).collect();
    let n: Vec<&str> = pool.iter().map(String::as_str).collect();
    // 20 voters; each ballot carries at most `next` Ys.
    let b = spread(votes, 20);
    let r = with(
        round("preliminary", seats, &n, 20, 20),
        "next_size",
        json!(next),
    );
    tally("grassroots-2020", overrides, r, b)
}

#[test]
fn preliminary_rounds() {
    // 5 seats, formal list of 6; threshold 11 of 20.
    let out = prelim(json!({}), 5, 6, &[15, 15, 14, 14, 13, 12, 11, 10]);
    assert_eq!(status(&out), "complete");
    assert_eq!(out["next_list"].as_array().unwrap().len(), 6);
    assert_eq!(out["elected"], json!([]));
    // A tie across the sixth place: runoff by default, or widen the list.
    let out = prelim(json!({}), 5, 6, &[15, 15, 14, 14, 13, 12, 12, 10]);
    assert_eq!(status(&out), "runoff_required");
    assert_eq!(out["runoff"]["seats"], 1);
    assert_eq!(out["next_list"].as_array().unwrap().len(), 5);
    let out = prelim(
        json!({"list_tie": "widen"}),
        5,
        6,
        &[15, 15, 14, 14, 13, 12, 12, 10],
    );
    assert_eq!(status(&out), "complete");
    assert_eq!(out["next_list"].as_array().unwrap().len(), 7);
    // Too few qualifiers (exactly half fails): 6 qualify for a list of 7;
    // 6 still meets the 20% rule for 5 seats, so the presidium may proceed.
    let out = prelim(json!({}), 5, 7, &[15, 15, 14, 14, 13, 12, 10, 10]);
    assert_eq!(
        (status(&out), out["unfilled"].as_u64()),
        ("shortfall", Some(1))
    );
    assert_eq!(out["list_may_proceed"], true);
    let out = prelim(json!({}), 5, 7, &[15, 15, 14, 14, 13, 10, 10, 10]);
    assert_eq!(out["list_may_proceed"], false);
    // The list it would propose must meet the formal rule; the preliminary
    // itself must be differential.
    let out = prelim(json!({}), 5, 5, &[15, 15, 14, 14, 13, 12]);
    assert_eq!(status(&out), "list_rejected");
    let out = prelim(json!({}), 5, 6, &[15, 15, 14, 14, 13, 12]);
    assert_eq!(status(&out), "list_rejected");
}

// ---- §2.1 nomination and §2.2 evaluation ----------------------------------

#[test]
fn nomination_rounds() {
    let base = |next: u64| {
        with(
            round("nomination", 2, &SIX[..4], 10, 10),
            "next_size",
            json!(next),
        )
    };
    // Ranked by votes, no threshold; ties at the cut-off need a runoff.
    let out = tally(
        "grassroots-2020",
        json!({}),
        base(2),
        ballots(&[(3, "YYAA"), (2, "AAYY"), (2, "YAYA")]),
    );
    assert_eq!(names(&out["next_list"]), ["丁一", "刘三"]);
    assert_eq!(status(&out), "complete");
    let out = tally(
        "grassroots-2020",
        json!({}),
        base(2),
        ballots(&[(3, "YYAA"), (3, "AAYY")]),
    );
    assert_eq!(status(&out), "runoff_required");
    assert_eq!(out["runoff"]["seats"], 2);
    let out = tally(
        "grassroots-2020",
        json!({"list_tie": "widen"}),
        base(2),
        ballots(&[(3, "YYAA"), (3, "AAYY")]),
    );
    assert_eq!(out["next_list"].as_array().unwrap().len(), 4);
    // Nobody with no votes is listed.
    let out = tally(
        "grassroots-2020",
        json!({}),
        base(4),
        ballots(&[(3, "YYAA")]),
    );
    assert_eq!(
        (status(&out), out["unfilled"].as_u64()),
        ("shortfall", Some(2))
    );
    // An optional floor: more than half of the entitled (10).
    let out = tally(
        "grassroots-2020",
        json!({"nomination_floor": {"num": 1, "den": 2, "comparison": "strict"}}),
        base(2),
        ballots(&[(6, "YAAA"), (5, "AYAA")])
            .as_array()
            .map(|a| json!(a[..10].to_vec()))
            .unwrap(),
    );
    assert_eq!(names(&out["next_list"]), ["丁一"]);
}

/// Free names on nomination ballots (RULES §2.1 "write or tick up to K
/// names"): one ballot; (valid, invalid, 丁一's for, 李甲's for, 赵乙's for).
#[test]
fn free_names_on_nomination_ballots() {
    let r = |seats: u64| {
        with(
            round("nomination", seats, &SIX[..3], 1, 1),
            "next_size",
            json!(3),
        )
    };
    let row = |out: &Value, name: &str| {
        out["tally"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .map(|r| r["for"].as_u64().unwrap())
    };
    let b = |marks: &str, names: &[&str]| json!({"marks": marks, "names": names});
    // (seats, ballot, valid, invalid, 丁一, 李甲, 赵乙)
    type Case = (u64, Value, u64, u64, Option<u64>, Option<u64>, Option<u64>);
    let cases: Vec<Case> = vec![
        // Each unlisted name: one selection, one for-vote.
        (
            2,
            b("AAA", &["李甲", "赵乙"]),
            1,
            0,
            Some(0),
            Some(1),
            Some(1),
        ),
        // A name repeated on one ballot counts once.
        (
            2,
            b("AAA", &["李甲", " 李甲 "]),
            1,
            0,
            Some(0),
            Some(1),
            None,
        ),
        // A listed name ticks its line: one for-vote for the line.
        (2, b("AAA", &["丁一"]), 1, 0, Some(1), None, None),
        // ... never twice when the line is already ticked, and no extra
        // selection: Y + its own name + one more name fits 2 seats.
        (2, b("YAA", &["丁一", "李甲"]), 1, 0, Some(1), Some(1), None),
        // Overvote: Y marks + distinct free names over the limit (2).
        (2, b("YAA", &["李甲", "赵乙"]), 0, 1, Some(0), None, None),
        (2, b("AYA", &["丁一", "李甲"]), 0, 1, Some(0), None, None),
        (3, b("AYA", &["丁一", "李甲"]), 1, 0, Some(1), Some(1), None),
        // A repeat does not count towards the limit.
        (1, b("AAA", &["李甲", "李甲"]), 1, 0, Some(0), Some(1), None),
        // A write-in and the same free name: one vote.
        (
            2,
            json!({"marks": "NAA", "write_ins": {"0": "李甲"}, "names": ["李甲"]}),
            1,
            0,
            Some(0),
            Some(1),
            None,
        ),
    ];
    for (seats, ballot, valid, invalid, ding, li, zhao) in cases {
        let out = tally("grassroots-2020", json!({}), r(seats), json!([ballot]));
        assert_eq!(
            (
                out["ballots"]["valid"].as_u64().unwrap(),
                out["ballots"]["invalid"].as_u64().unwrap(),
                row(&out, "丁一"),
                row(&out, "李甲"),
                row(&out, "赵乙"),
            ),
            (valid, invalid, ding, li, zhao),
            "seats {seats}: {ballot}"
        );
    }
}

#[test]
fn free_names_are_refused_outside_nomination() {
    for kind in ["formal", "preliminary", "evaluation", "runoff", "cadre"] {
        let mut r = round(kind, 2, &SIX[..3], 1, 1);
        if kind == "preliminary" {
            r["next_size"] = json!(3);
        }
        let text = common::file(
            "grassroots-2020",
            json!({}),
            r,
            json!(["YAA", {"marks": "AAA", "names": ["李甲"]}]),
        );
        let e = scrutineer::rules::roundfile::parse(&text, None).unwrap_err();
        assert!(
            e.message.contains("ballots[1].names: free names only on nomination ballots; elsewhere use write_ins beside an against line"),
            "{kind}: {e}"
        );
    }
}

#[test]
fn nomination_without_a_printed_list() {
    let r = |next: u64| {
        json!({
            "kind": "nomination", "seats": 2, "candidates": [],
            "entitled": 10, "present": 10, "next_size": next,
        })
    };
    let n = |names: &[&str]| json!({"names": names});
    // The written names become the next list, ranked by votes.
    let out = tally(
        "grassroots-2020",
        json!({}),
        r(2),
        json!([
            n(&["李甲", "赵乙"]),
            n(&["李甲", "钱丙"]),
            n(&["李甲"]),
            {"marks": "", "names": ["赵乙"]},
            n(&["李甲", "赵乙", "钱丙"]), // overvote: 3 > 2 seats
        ]),
    );
    assert_eq!(status(&out), "complete", "{out}");
    assert_eq!(names(&out["next_list"]), ["李甲", "赵乙"]);
    assert_eq!(for_votes(&out, "李甲"), 3);
    assert_eq!(for_votes(&out, "赵乙"), 2);
    assert_eq!(for_votes(&out, "钱丙"), 1);
    assert_eq!(out["ballots"]["invalid"], 1);
    // A tie among written names at the cut-off: a runoff by default, the
    // list widened under `list_tie = widen`.
    let tied = json!([
        n(&["李甲", "赵乙"]),
        n(&["李甲", "钱丙"]),
        n(&["钱丙", "孙丁"])
    ]);
    let out = tally("grassroots-2020", json!({}), r(2), tied.clone());
    assert_eq!(status(&out), "complete", "{out}");
    assert_eq!(names(&out["next_list"]), ["李甲", "钱丙"]);
    let out = tally("grassroots-2020", json!({}), r(1), tied.clone());
    assert_eq!(status(&out), "runoff_required", "{out}");
    assert_eq!(out["runoff"]["seats"], 1);
    assert_eq!(names(&out["runoff"]["among"]), ["李甲", "钱丙"]);
    let out = tally("grassroots-2020", json!({"list_tie": "widen"}), r(1), tied);
    assert_eq!(names(&out["next_list"]), ["李甲", "钱丙"]);
    // A write-in on a list without lines is refused with a clear message.
    let text = common::file(
        "grassroots-2020",
        json!({}),
        r(2),
        json!([{"marks": "", "write_ins": {"0": "李甲"}}]),
    );
    let e = scrutineer::rules::roundfile::parse(&text, None).unwrap_err();
    assert!(
        e.message.contains("no candidate lines") && e.message.contains("`names`"),
        "{e}"
    );
}

#[test]
fn evaluation_flags_at_thirty_percent_of_returned() {
    // 10 returned: 3 disapprovals (30%) flag, 2 do not.
    let r = with(
        round("evaluation", 3, &SIX[..3], 10, 10),
        "next_size",
        json!(3),
    );
    let flag = json!({"evaluation_flag": {"num": 3, "den": 10, "comparison": "inclusive"}});
    let papers = ballots(&[(2, "YNN"), (1, "YYN"), (7, "YYY")]);
    // Issue 11, fault 5: off by default (两推一选 lists by 赞成票 only).
    let plain = tally("grassroots-2020", json!({}), r.clone(), papers.clone());
    assert!(plain["tally"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r.get("flagged").is_none()));
    assert_eq!(names(&plain["next_list"]), ["丁一", "刘三", "王二"]);
    assert_eq!(status(&plain), "complete");
    for preset in scrutineer::rules::preset::NAMES {
        let m = scrutineer::rules::preset::preset(preset).unwrap();
        assert_eq!(m.evaluation_flag, None, "{preset}");
    }
    let out = tally("grassroots-2020", flag, r, papers);
    let flagged: Vec<bool> = out["tally"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["flagged"] == true)
        .collect();
    assert_eq!(flagged, [false, false, true]);
    assert_eq!(names(&out["next_list"]), ["丁一", "王二"]);
    assert_eq!(status(&out), "shortfall");
}

// ---- §5 cadre and resolution votes ----------------------------------------

#[test]
fn cadre_votes() {
    let one = |marks: &[(usize, &str)], n: usize, seats: u64| {
        tally(
            "cadre-vote-2019",
            json!({}),
            round("cadre", seats, &SIX[..n], 9, 9),
            ballots(marks),
        )
    };
    // Each nominee decided on their own: 2 × 同意 > 9.
    let out = one(&[(5, "YN"), (4, "NY")], 2, 2);
    assert_eq!(
        (
            status(&out),
            names(&out["elected"]),
            out["unfilled"].as_u64()
        ),
        ("complete", vec!["丁一".into()], Some(1))
    );
    assert_eq!(out["threshold"], 5);
    // 差额表决: three nominees for one post; most 同意 among those who pass.
    let out = one(&[(5, "AYA"), (2, "YAA"), (2, "AAY")], 3, 1);
    assert_eq!(
        (status(&out), names(&out["elected"])),
        ("complete", vec!["王二".into()])
    );
    let out = one(&[(5, "YAA"), (4, "AYA")], 3, 1);
    assert_eq!(names(&out["elected"]), ["丁一"]);
    // Equal 同意 for the last post: runoff.
    // Three nominees for two posts, each with 7 同意 of 12: all three tie.
    let out = tally(
        "cadre-vote-2019",
        json!({}),
        round("cadre", 2, &SIX[..3], 12, 12),
        ballots(&[
            (3, "YYA"),
            (3, "YAY"),
            (3, "AYY"),
            (1, "YAA"),
            (1, "AYA"),
            (1, "AAY"),
        ]),
    );
    assert_eq!(out["ballots"]["invalid"], 0);
    assert_eq!(status(&out), "runoff_required");
    assert_eq!(names(&out["runoff"]["among"]), ["丁一", "刘三", "王二"]);
    assert_eq!(out["runoff"]["seats"], 2);
    assert_eq!(out["unfilled"], 0);
    // Nobody passes: complete, the post unfilled; never "shortfall".
    let out = one(&[(4, "YAA"), (5, "AAA")], 3, 1);
    assert_eq!(
        (status(&out), out["unfilled"].as_u64()),
        ("complete", Some(1))
    );
    // A 三票制 method may require 20%…50% more nominees.
    let m = json!({"cadre_differential": {"kind": "ratio_range",
        "min": {"num": 1, "den": 5, "comparison": "inclusive"},
        "max": {"num": 1, "den": 2, "comparison": "inclusive"}}});
    let out = tally(
        "cadre-vote-2019",
        m,
        round("cadre", 2, &SIX[..4], 9, 9),
        json!([]),
    );
    assert_eq!(status(&out), "list_rejected");
}

#[test]
fn resolution_votes() {
    let r = |votes: usize| {
        tally(
            "branch-resolution-2018",
            json!({}),
            round("resolution", 1, &["接收张三为预备党员"], 10, 6),
            ballots(&[(votes, "Y"), (6 - votes, "N")]),
        )
    };
    assert_eq!(r(5)["elected"], json!([])); // 2 × 5 = 10 is not more than 10
    assert_eq!(r(6)["elected"], json!(["接收张三为预备党员"]));
    assert_eq!(status(&r(5)), "complete");
    assert_eq!(r(5)["unfilled"], 1);
}

#[test]
fn alternates_are_reported_by_votes_others_in_ballot_order() {
    let r = |office: &str| {
        let mut r = round("formal", 2, &SIX[..3], 10, 10);
        r["office"] = json!(office);
        tally(
            "grassroots-2020",
            json!({}),
            r,
            ballots(&[(6, "YYA"), (2, "AYA"), (2, "AAY")]),
        )
    };
    assert_eq!(r("committee")["elected"], json!(["丁一", "王二"]));
    assert_eq!(r("alternate")["elected"], json!(["王二", "丁一"]));
}

// ---- issue 11: runoffs keep the rule of the round they resolve -------------

/// A runoff between two tied for one place; 90 entitled and present, 45 +
/// `b` + the rest abstaining: (status, elected, next_list, threshold_applies).
fn runoff_of(
    overrides: Value,
    resolves: Option<&str>,
    a: usize,
    b: usize,
) -> (String, Vec<String>, Value, bool) {
    let mut r = round("runoff", 1, &SIX[..2], 90, 90);
    if let Some(k) = resolves {
        r["resolves"] = json!(k);
    }
    let out = tally(
        "grassroots-2020",
        overrides,
        r,
        ballots(&[(a, "YN"), (b, "NY"), (90 - a - b, "AA")]),
    );
    (
        status(&out).to_string(),
        names(&out["elected"]),
        out["next_list"].clone(),
        out["threshold_applies"].as_bool().unwrap(),
    )
}

#[test]
fn a_runoff_at_a_list_cut_off_ranks_without_the_threshold() {
    // Issue 11, fault 3: 45 vs 40 of 90 after a tie at a nomination or
    // evaluation cut-off decides the place (the election's 46 does not apply).
    for kind in ["nomination", "evaluation"] {
        let (st, elected, next, applies) = runoff_of(json!({}), Some(kind), 45, 40);
        assert_eq!(st, "complete", "{kind}");
        assert_eq!(next, json!(["丁一"]), "{kind}");
        assert!(elected.is_empty() && !applies, "{kind}");
        // Tied again (at), one vote apart either way.
        assert_eq!(
            runoff_of(json!({}), Some(kind), 45, 45).0,
            "runoff_required"
        );
        assert_eq!(runoff_of(json!({}), Some(kind), 44, 45).2, json!(["王二"]));
        assert_eq!(runoff_of(json!({}), Some(kind), 45, 44).2, json!(["丁一"]));
        // No votes at all: a nominee needs one vote to be listed; an
        // evaluation ranks everyone rated, so the two are tied again.
        let (st, _, next, _) = runoff_of(json!({}), Some(kind), 0, 0);
        let want = if kind == "nomination" {
            "shortfall"
        } else {
            "runoff_required"
        };
        assert_eq!((st.as_str(), next), (want, json!([])), "{kind}");
    }
    // After a preliminary tie the preliminary's qualification test applies:
    // for > 90/2, so 45 fails, 46 qualifies.
    let (st, _, next, applies) = runoff_of(json!({}), Some("preliminary"), 45, 40);
    assert_eq!((st.as_str(), next, applies), ("shortfall", json!([]), true));
    let (st, _, next, _) = runoff_of(json!({}), Some("preliminary"), 46, 40);
    assert_eq!((st.as_str(), next), ("complete", json!(["丁一"])));
    let (st, _, _, _) = runoff_of(json!({}), Some("preliminary"), 46, 44);
    assert_eq!(st, "complete");
    // After a formal or supplementary tie (and by default) the majority
    // applies again: 45 of 90 fails, 46 is elected.
    for resolves in [None, Some("formal"), Some("supplementary")] {
        let (st, elected, next, applies) = runoff_of(json!({}), resolves, 45, 40);
        assert_eq!((st.as_str(), applies), ("shortfall", true), "{resolves:?}");
        assert!(elected.is_empty() && next.is_null());
        let (st, elected, _, _) = runoff_of(json!({}), resolves, 46, 40);
        assert_eq!((st.as_str(), elected), ("complete", vec!["丁一".into()]));
        let (st, _, _, _) = runoff_of(json!({}), resolves, 44, 40);
        assert_eq!(st, "shortfall");
    }
}

/// Open point 9: `runoff_threshold = most_votes` elects the most votes among
/// the tied (得票多的当选) in a formal runoff; a list runoff is unaffected.
#[test]
fn formal_runoff_threshold_is_a_parameter() {
    let most = json!({"runoff_threshold": "most_votes"});
    let (st, elected, _, applies) = runoff_of(most.clone(), None, 45, 40);
    assert_eq!(
        (st.as_str(), elected, applies),
        ("complete", vec!["丁一".into()], false)
    );
    let (st, elected, _, _) = runoff_of(most.clone(), None, 40, 41);
    assert_eq!((st.as_str(), elected), ("complete", vec!["王二".into()]));
    assert_eq!(runoff_of(most.clone(), None, 40, 40).0, "runoff_required");
    assert_eq!(runoff_of(most.clone(), None, 0, 0).0, "shortfall");
    // The preliminary's test is not the formal runoff's threshold.
    assert_eq!(
        runoff_of(most.clone(), Some("preliminary"), 45, 40).0,
        "shortfall"
    );
    // The parameter does not touch formal rounds themselves.
    let out = tally(
        "grassroots-2020",
        most,
        round("formal", 1, &SIX[..2], 90, 90),
        ballots(&[(45, "YN"), (40, "NY"), (5, "AA")]),
    );
    assert_eq!(status(&out), "shortfall");
}

// ---- issue 11: 差额表决, participation floors, supplementary lists --------

/// Fault 4: once a method adopts a 差额表决 ratio, an equal list is refused
/// (4 posts, 20%…50%: 5 to 6 nominees).
#[test]
fn an_adopted_cadre_ratio_refuses_an_equal_list() {
    let ratio = json!({"cadre_differential": {"kind": "ratio_range",
        "min": {"num": 1, "den": 5, "comparison": "inclusive"},
        "max": {"num": 1, "den": 2, "comparison": "inclusive"}}});
    let names6 = ["丁一", "王二", "刘三", "张四", "陈五", "周六", "吴七"];
    for (n, ok) in [(3, false), (4, false), (5, true), (6, true), (7, false)] {
        let papers = if ok {
            ballots(&[(9, &"YYYYAAA"[..n])])
        } else {
            json!([])
        };
        let out = tally(
            "cadre-vote-2019",
            ratio.clone(),
            round("cadre", 4, &names6[..n], 9, 9),
            papers,
        );
        let want = if ok { "complete" } else { "list_rejected" };
        assert_eq!(status(&out), want, "{n} nominees for 4 posts");
        assert_eq!(out["list_check"]["min"], 5, "{n}");
    }
    // Without an adopted ratio each nominee of an equal list stands alone.
    let out = tally(
        "cadre-vote-2019",
        json!({}),
        round("cadre", 4, &names6[..4], 9, 9),
        ballots(&[(9, "YYYN")]),
    );
    assert_eq!(status(&out), "complete");
    assert_eq!(out["elected"].as_array().unwrap().len(), 3);
}

/// Fault 6: a nomination or evaluation round has its own floor, 80%以上 by
/// default (the number itself included), not the election's quorum.
#[test]
fn list_rounds_have_their_own_participation_floor() {
    for kind in ["nomination", "evaluation"] {
        for (present, met) in [(39, false), (40, true), (41, true)] {
            let r = with(
                round(kind, 2, &SIX[..3], 50, present),
                "next_size",
                json!(2),
            );
            let papers = if met {
                ballots(&[(present as usize, "YYA")])
            } else {
                json!([])
            };
            let out = tally("grassroots-2020", json!({}), r, papers);
            assert_eq!(out["quorum_met"], met, "{kind} {present}/50");
            assert_eq!(out["quorum"]["required"], 40, "{kind}");
            assert_eq!(status(&out) == "no_quorum", !met, "{kind} {present}");
        }
        // Its own parameter: 90% (45 of 50), or none at all.
        let r = with(round(kind, 2, &SIX[..3], 50, 44), "next_size", json!(2));
        let out = tally(
            "grassroots-2020",
            json!({"participation_floor": {"num": 9, "den": 10, "comparison": "inclusive"}}),
            r.clone(),
            json!([]),
        );
        assert_eq!(status(&out), "no_quorum");
        let out = tally(
            "grassroots-2020",
            json!({"participation_floor": null}),
            with(r, "present", json!(1)),
            ballots(&[(1, "YYA")]),
        );
        assert_eq!(out["quorum_met"], true, "{kind}");
    }
    // The election keeps its quorum: exactly 4/5 is no quorum.
    let out = tally(
        "grassroots-2020",
        json!({}),
        round("formal", 1, &SIX[..2], 50, 40),
        json!([]),
    );
    assert_eq!(status(&out), "no_quorum");
    // A runoff resolving a nomination keeps the nomination's floor.
    let mut r = round("runoff", 1, &SIX[..2], 50, 40);
    r["resolves"] = json!("nomination");
    let out = tally("grassroots-2020", json!({}), r, ballots(&[(40, "YN")]));
    assert_eq!(out["quorum_met"], true);
}

/// Open point 10: the base of `nomination_floor` — the unit's members
/// (default) or those who took part.
#[test]
fn nomination_floor_base_is_a_parameter() {
    // 20 entitled, 17 present; floor: more than half.
    let floor = |base: &str, votes: usize| {
        let r = with(
            round("nomination", 1, &SIX[..2], 20, 17),
            "next_size",
            json!(1),
        );
        let out = tally(
            "grassroots-2020",
            json!({"nomination_floor": {"num": 1, "den": 2, "comparison": "strict"},
                   "nomination_floor_base": base}),
            r,
            ballots(&[(votes, "YA"), (17 - votes, "AA")]),
        );
        out["next_list"].as_array().unwrap().len() == 1
    };
    // entitled 20: 11 needed.
    assert!(!floor("entitled", 10));
    assert!(floor("entitled", 11));
    assert!(floor("entitled", 12));
    // present 17: 9 needed.
    assert!(!floor("present", 8));
    assert!(floor("present", 9));
    assert!(floor("present", 10));
    let m = scrutineer::rules::preset::preset("grassroots-1990").unwrap();
    assert_eq!(
        m.nomination_floor_base,
        scrutineer::rules::method::Base::Entitled
    );
}

/// Fault 7: the default supplementary list is drawn from every 被选举人 not
/// elected, write-ins included (从未当选的被选举人中按得票多少).
#[test]
fn supplementary_list_includes_write_ins() {
    use scrutineer::rules::{outcome::supplementary_candidates, Office};
    let m = scrutineer::rules::preset::preset("grassroots-2020").unwrap();
    let t = |rows: &[(&str, u64)]| -> Vec<(String, u64)> {
        rows.iter().map(|(n, v)| (n.to_string(), *v)).collect()
    };
    let elected = vec!["丁一".to_string()];
    // One seat at ≥ 20%: two candidates; 李七 (write-in, 12) before 刘三 (0).
    let rows = t(&[("丁一", 30), ("王二", 4), ("刘三", 0), ("李七", 12)]);
    assert_eq!(
        supplementary_candidates(&m, Office::Committee, &rows, &elected, 1),
        ["王二", "李七"]
    );
    // The write-in one vote below 刘三 (3), at, one above; and at and one
    // above 王二 (4), 5.
    for (li, want) in [
        (2, vec!["王二", "刘三"]),
        (3, vec!["王二", "李七"]),
        (4, vec!["王二", "李七"]),
        (5, vec!["王二", "李七"]),
    ] {
        let rows = t(&[("丁一", 30), ("王二", 4), ("刘三", 3), ("李七", li)]);
        let got = supplementary_candidates(&m, Office::Committee, &rows, &elected, 1);
        if li == 3 {
            // 李七 ties 刘三 at the cut-off: the tied group stands whole.
            assert_eq!(got, ["王二", "刘三", "李七"]);
        } else {
            assert_eq!(got, want, "李七 {li}");
        }
    }
    // Through a counted round: the write-in's votes are in the tally.
    let out = tally(
        "grassroots-2020",
        json!({}),
        round("formal", 2, &SIX[..3], 20, 20),
        json!([
            {"marks": "YNN", "write_ins": {"2": "李七"}},
            {"marks": "YNN", "write_ins": {"2": "李七"}},
            "YYA", "YAA", "YAA", "YAA", "YAA", "YAA", "YAA", "YAA", "YAA",
            "YAA", "YAA", "YAA", "YAA", "YAA", "YAA", "YAA", "YAA", "YAA"
        ]),
    );
    assert_eq!(status(&out), "shortfall");
    let rows: Vec<(String, u64)> = out["tally"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["for"].as_u64().unwrap(),
            )
        })
        .collect();
    let elected = names(&out["elected"]);
    assert_eq!(
        supplementary_candidates(&m, Office::Committee, &rows, &elected, 1),
        ["王二", "李七"]
    );
}
