//! The rule on the presidium's decisions: which of them apply to a
//! tallied round now, and if not, the refusal ([`check`]). The one rule
//! behind `POST …/decisions` (`service::decision`) and a round's
//! `offered_decisions` (`service::round`), so the presidium's screen
//! offers exactly what the service accepts.

use rusqlite::Connection;
use serde_json::{json, Value};

use super::lookup::{load_election, load_round, require, scrutineer_keys, Loaded};
use super::result::signed_result;
use super::{Actor, Error};
use crate::rules::{ElectionMethod, RoundKind};
use crate::state::RoundEvent;
use crate::store::{self, round::RoundRow};

/// The signed result of a closed round (checked on this read, as every
/// read: `result::signed_result`).
/// `event`: what is to act on it (a cosignature, a decision).
pub(crate) fn tallied(
    conn: &Connection,
    meeting: &str,
    l: &Loaded,
    event: RoundEvent,
) -> Result<Value, Error> {
    require(&l.row, event)?;
    signed_result(conn, meeting, l)
}

pub(crate) fn not_applicable(decision: &str, status: &str) -> Error {
    Error::conflict(
        "decision_not_applicable",
        format!(
            "本轮结果为“{}”，不适用“{}”的决定",
            status_zh(status),
            decision_zh(decision)
        ),
        format!("the round's outcome is {status}; {decision} does not apply"),
    )
}

pub(crate) fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn decisions_of(row: &RoundRow) -> Vec<Value> {
    serde_json::from_str(&row.decisions).unwrap_or_default()
}

/// Refuses a decision already taken on this round, naming the earlier one
/// (a decision is taken once; the same request twice is a mistake).
pub(crate) fn once(taken: &[Value], decision: &str) -> Result<(), Error> {
    let Some(earlier) = taken.iter().find(|d| d["decision"] == decision).cloned() else {
        return Ok(());
    };
    let (zh, en) = describe(&earlier);
    Err(Error::conflict(
        "already_decided",
        format!("本轮已作出决定：{zh}，不能重复作出"),
        format!("already decided for this round: {en}; a decision is taken once"),
    )
    .with(json!({ "earlier": earlier })))
}

/// A logged decision in words, zh and en, for refusals that name it.
fn describe(d: &Value) -> (String, String) {
    let list = |k: &str, sep: &str| names(&d[k]).join(sep);
    let num = |k: &str| d[k].as_u64().unwrap_or(0);
    let round = d["round"].as_str().unwrap_or("");
    match d["decision"].as_str().unwrap_or("") {
        "accept_list" => (
            format!("接受名单（{}）", list("list", "、")),
            format!("accept the list ({})", list("list", ", ")),
        ),
        "call_runoff" => (
            format!("就 {} 重新投票", list("among", "、")),
            format!("runoff among {} ({round})", list("among", ", ")),
        ),
        "call_supplementary" => (
            format!("另行选举 {} 名", num("seats")),
            format!("supplementary ballot for {} seats ({round})", num("seats")),
        ),
        "reduce_seats" => (
            format!("应选名额由 {} 名减为 {} 名", num("from"), num("to")),
            format!("seats reduced from {} to {}", num("from"), num("to")),
        ),
        "rerun" => (
            "重新进行本轮投票".to_string(),
            format!("hold the round again ({round})"),
        ),
        "announce" => ("宣布结果".into(), "announce the result".into()),
        "review" => (
            format!("资格审查，审查后名单为 {}", list("list", "、")),
            format!(
                "qualification review; the list is now {}",
                list("list", ", ")
            ),
        ),
        other => (other.to_string(), other.to_string()),
    }
}

/// A result status in Chinese, for messages.
fn status_zh(status: &str) -> &str {
    match status {
        "complete" => "选举完成",
        "runoff_required" => "须重新投票",
        "shortfall" => "当选人数不足应选名额",
        "void" => "选举无效",
        "no_quorum" => "到会人数不足",
        "list_rejected" => "候选人名单不符合规定",
        "complete after reduce_seats" => "减少名额后已选足",
        other => other,
    }
}

/// A decision's name in a party secretary's words.
fn decision_zh(decision: &str) -> &str {
    match decision {
        "accept_list" => "接受名单",
        "call_runoff" => "重新投票",
        "call_supplementary" => "另行选举",
        "reduce_seats" => "减少名额",
        "rerun" => "重新进行本轮投票",
        "announce" => "宣布结果",
        "proceed_without" => "不等待监票人签名",
        "review" => "资格审查",
        other => other,
    }
}

/// Decisions on a result act on the record the scrutineers sign (RULES
/// §6: 作出记录，并由监票人签字), so they wait for its certification. A
/// round that counted nothing (void, no quorum, list rejected) may be
/// held again at once.
fn require_certified(certified: bool, decision: &str) -> Result<(), Error> {
    if certified {
        return Ok(());
    }
    Err(Error::conflict(
        "not_certified",
        format!(
            "监票人尚未按规定人数签署本轮结果，暂不能作出“{}”的决定",
            decision_zh(decision)
        ),
        format!(
            "the scrutineers have not certified this result yet, so {decision} cannot be decided"
        ),
    ))
}

/// A decision the presidium may take on a tallied round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecisionKind {
    AcceptList,
    CallRunoff,
    CallSupplementary,
    ReduceSeats,
    Rerun,
    Announce,
}

impl DecisionKind {
    /// Every decision on a tallied round, in the order they are offered.
    pub(crate) const ALL: [DecisionKind; 6] = [
        DecisionKind::AcceptList,
        DecisionKind::CallRunoff,
        DecisionKind::CallSupplementary,
        DecisionKind::ReduceSeats,
        DecisionKind::Rerun,
        DecisionKind::Announce,
    ];

    /// The `decision` tag of the request and the log.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DecisionKind::AcceptList => "accept_list",
            DecisionKind::CallRunoff => "call_runoff",
            DecisionKind::CallSupplementary => "call_supplementary",
            DecisionKind::ReduceSeats => "reduce_seats",
            DecisionKind::Rerun => "rerun",
            DecisionKind::Announce => "announce",
        }
    }
}

/// What the rule on decisions reads of a tallied round: its signed outcome,
/// its kind, its certification, the decisions already taken and the
/// method's limits on further rounds.
#[derive(Debug, Clone)]
pub(crate) struct DecisionFacts {
    /// The signed result's status (`complete`, `shortfall`, …).
    pub status: String,
    /// A shortfall list round whose list may still go forward.
    pub list_may_proceed: bool,
    /// The list this round proposes for the next stage, if any.
    pub proposed_list: Option<Vec<String>>,
    /// The round elects (a shortfall may be filled or the seats reduced).
    pub elects: bool,
    /// The result is announced in the hall (not a list round's).
    pub announceable: bool,
    pub certified: bool,
    /// The decisions already taken on the round, as logged.
    pub taken: Vec<Value>,
    pub runoffs_held: u32,
    pub max_runoffs: u32,
    pub supplementaries_held: u32,
    pub max_supplementaries: u32,
    /// Seats the round left unfilled, and seats already given up by a
    /// reduction.
    pub unfilled: u64,
    pub reduced: u64,
    /// The election's seats now (a reduction starts from these).
    pub election_seats: u64,
    /// The round's result in the signed record, for what an offer names.
    pub elected: Vec<String>,
    pub runoff_among: Vec<String>,
    pub runoff_seats: u64,
}

impl DecisionFacts {
    /// Seats a supplementary round would fill.
    pub(crate) fn supplementary_seats(&self) -> u64 {
        self.unfilled.saturating_sub(self.reduced)
    }
}

/// Whether `kind` may be decided now, and if not, the refusal: the one rule
/// on which decisions apply, used by `POST …/decisions` and by the
/// `offered_decisions` of a round (docs/api.md), so the presidium's screen
/// offers exactly what the service accepts. `POST` checks [`applies`],
/// then the request's parameters (the list, the new number of seats), then
/// [`certified_for`]: a mistaken parameter is named before a missing
/// certification.
pub(crate) fn check(kind: DecisionKind, f: &DecisionFacts) -> Result<(), Error> {
    applies(kind, f)?;
    certified_for(kind, f)
}

/// The certification a decision with parameters waits for (the others
/// check it in [`applies`]).
pub(crate) fn certified_for(kind: DecisionKind, f: &DecisionFacts) -> Result<(), Error> {
    match kind {
        DecisionKind::AcceptList | DecisionKind::ReduceSeats => {
            require_certified(f.certified, kind.as_str())
        }
        _ => Ok(()),
    }
}

/// [`check`] but for [`certified_for`].
pub(crate) fn applies(kind: DecisionKind, f: &DecisionFacts) -> Result<(), Error> {
    let s = f.status.as_str();
    let name = kind.as_str();
    match kind {
        DecisionKind::AcceptList => {
            once(&f.taken, name)?;
            let ok_status = s == "complete" || (s == "shortfall" && f.list_may_proceed);
            if !ok_status || f.proposed_list.is_none() {
                return Err(not_applicable(name, s));
            }
            Ok(())
        }
        DecisionKind::CallRunoff => {
            if s != "runoff_required" {
                return Err(not_applicable(name, s));
            }
            once(&f.taken, name)?;
            require_certified(f.certified, name)?;
            let held = f.runoffs_held;
            if held >= f.max_runoffs {
                return Err(Error::conflict(
                    "runoff_limit",
                    format!("已重新投票 {held} 次，达到选举办法规定的上限，须由主席团另行决定"),
                    format!("{held} runoffs held, the method's limit; the presidium must decide otherwise"),
                ));
            }
            Ok(())
        }
        DecisionKind::CallSupplementary => {
            if s != "shortfall" || !f.elects {
                return Err(not_applicable(name, s));
            }
            once(&f.taken, name)?;
            require_certified(f.certified, name)?;
            let held = f.supplementaries_held;
            if held >= f.max_supplementaries {
                return Err(Error::conflict(
                    "supplementary_limit",
                    format!("已另行选举 {held} 次，达到选举办法规定的上限"),
                    format!("{held} supplementary rounds held, the method's limit"),
                ));
            }
            if f.supplementary_seats() == 0 {
                return Err(not_applicable(name, "complete after reduce_seats"));
            }
            Ok(())
        }
        DecisionKind::ReduceSeats => {
            if s != "shortfall" || !f.elects {
                return Err(not_applicable(name, s));
            }
            once(&f.taken, name)?;
            once(&f.taken, "call_supplementary")
        }
        DecisionKind::Rerun => {
            if !matches!(s, "void" | "no_quorum" | "list_rejected") {
                return Err(not_applicable(name, s));
            }
            once(&f.taken, name)
        }
        DecisionKind::Announce => {
            if !f.announceable {
                return Err(Error::conflict(
                    "not_announceable",
                    "推荐、测评和预选结果只向主席团报告，不当众宣布",
                    "nomination, evaluation and preliminary results go to the presidium only",
                ));
            }
            // A counted result that elects (those elected before a runoff
            // or a supplementary round included); a round that counted
            // nothing has nothing to announce.
            if !matches!(s, "complete" | "shortfall" | "runoff_required") {
                return Err(not_applicable(name, s));
            }
            if !f.certified {
                return Err(Error::conflict(
                    "not_certified",
                    "监票人尚未按规定人数签名",
                    "the scrutineers have not signed the result yet",
                ));
            }
            once(&f.taken, name)
        }
    }
}

/// The decisions `check` allows now, in [`DecisionKind::ALL`]'s order.
pub(crate) fn offered(f: &DecisionFacts) -> Vec<DecisionKind> {
    DecisionKind::ALL
        .into_iter()
        .filter(|k| check(*k, f).is_ok())
        .collect()
}

/// The seats a reduction may go to: from those elected (at least one) to
/// one fewer than now.
pub(crate) fn reduction_range(f: &DecisionFacts) -> (u64, u64) {
    let floor = f.election_seats.saturating_sub(f.unfilled);
    (floor, f.election_seats.saturating_sub(1))
}

/// One offered decision with what the screen shows and sends back.
fn offer_json(kind: DecisionKind, f: &DecisionFacts) -> Value {
    let decision = kind.as_str();
    match kind {
        DecisionKind::AcceptList => json!({
            "decision": decision,
            "list": f.proposed_list.clone().unwrap_or_default(),
        }),
        DecisionKind::CallRunoff => json!({
            "decision": decision,
            "among": f.runoff_among,
            "seats": f.runoff_seats,
        }),
        DecisionKind::CallSupplementary => json!({
            "decision": decision,
            "seats": f.supplementary_seats(),
        }),
        DecisionKind::ReduceSeats => {
            let (min, max) = reduction_range(f);
            json!({
                "decision": decision,
                "from": f.election_seats,
                "min": min,
                "max": max,
                "to": min.max(1).min(max),
            })
        }
        DecisionKind::Rerun => json!({ "decision": decision }),
        DecisionKind::Announce => json!({ "decision": decision, "elected": f.elected }),
    }
}

/// The facts [`check`] reads, for a closed round with its signed `result`.
pub(crate) fn decision_facts(
    conn: &Connection,
    meeting: &str,
    l: &Loaded,
    method: &ElectionMethod,
    result: &Value,
) -> Result<DecisionFacts, Error> {
    let taken = decisions_of(&l.row);
    let reduced = taken
        .iter()
        .filter(|d| d["decision"] == "reduce_seats")
        .map(|d| {
            d["from"]
                .as_u64()
                .unwrap_or(0)
                .saturating_sub(d["to"].as_u64().unwrap_or(0))
        })
        .sum();
    Ok(DecisionFacts {
        status: result["status"].as_str().unwrap_or("").to_string(),
        list_may_proceed: result["list_may_proceed"] == json!(true),
        proposed_list: proposed_list(conn, meeting, l, result)?,
        elects: l.kind.elects(),
        announceable: !(l.kind.proposes_list() || l.resolves.is_some_and(RoundKind::proposes_list)),
        certified: l.row.certified,
        taken,
        runoffs_held: chain_count(conn, meeting, &l.row, RoundKind::Runoff)?,
        max_runoffs: method.max_runoff_rounds,
        supplementaries_held: chain_count(conn, meeting, &l.row, RoundKind::Supplementary)?,
        max_supplementaries: method.max_supplementary_rounds,
        unfilled: result["unfilled"].as_u64().unwrap_or(0),
        reduced,
        election_seats: load_election(conn, meeting, &l.row.election)?.seats,
        elected: names(&result["elected"]),
        runoff_among: names(&result["runoff"]["among"]),
        runoff_seats: result["runoff"]["seats"].as_u64().unwrap_or(0),
    })
}

/// The `offered_decisions` of a round for `actor`: what the presidium may
/// decide now (empty for every other role). On an open round, proceeding
/// without the scrutineers who have no key; on a closed one, what
/// [`check`] allows on the signed `result`.
pub(crate) fn offered_json(
    conn: &Connection,
    meeting: &str,
    l: &Loaded,
    actor: &Actor,
    method: Option<&ElectionMethod>,
    result: &Value,
) -> Result<Value, Error> {
    if actor.role != super::Role::Presidium {
        return Ok(json!([]));
    }
    match l.row.state {
        crate::state::RoundState::Open => {
            let without: Vec<String> = scrutineer_keys(conn, meeting, &l.row)?
                .into_iter()
                .filter(|k| !k.has_key && !k.excused)
                .map(|k| k.name)
                .collect();
            if without.is_empty() {
                return Ok(json!([]));
            }
            Ok(json!([{ "decision": "proceed_without", "without": without }]))
        }
        crate::state::RoundState::Closed => {
            let (Some(method), false) = (method, result.is_null()) else {
                return Ok(json!([]));
            };
            let f = decision_facts(conn, meeting, l, method, result)?;
            let mut offers: Vec<Value> =
                offered(&f).into_iter().map(|k| offer_json(k, &f)).collect();
            // The qualification review, by the same rule `review` applies.
            if let Ok(list) = review_list(conn, meeting, l) {
                offers.push(json!({ "decision": "review", "list": list }));
            }
            Ok(Value::Array(offers))
        }
        crate::state::RoundState::Draft => Ok(json!([])),
    }
}

/// How many rounds of `kind` led up to and include `row`, following the
/// chain of rounds that decisions created.
fn chain_count(
    conn: &Connection,
    meeting: &str,
    row: &RoundRow,
    kind: RoundKind,
) -> Result<u32, Error> {
    let mut n = 0;
    let mut current = Some(row.clone());
    while let Some(r) = current {
        if r.kind != kind.as_str() {
            break;
        }
        n += 1;
        current = match &r.parent {
            Some(p) => store::round::round(conn, meeting, p)?,
            None => None,
        };
    }
    Ok(n)
}

/// The list a round proposes for the next stage: a list round's
/// `next_list`; for a runoff of a list round, the qualifiers above the tie
/// plus those the runoff decided.
fn proposed_list(
    conn: &Connection,
    meeting: &str,
    l: &Loaded,
    result: &Value,
) -> Result<Option<Vec<String>>, Error> {
    // A group's tally is posted apart; the list is its combination's.
    if l.stage.facts.group.is_some() {
        return Ok(None);
    }
    if l.kind.proposes_list() {
        // The organisation's nominees of a combined round come first.
        return Ok(Some(super::stage::with_organisation(
            l,
            names(&result["next_list"]),
        )));
    }
    if l.kind != RoundKind::Runoff {
        return Ok(None);
    }
    let Some(parent) = &l.row.parent else {
        return Ok(None);
    };
    let p = load_round(conn, meeting, parent)?;
    let pr = tallied(conn, meeting, &p, RoundEvent::Decide)?;
    let Some(mut list) = proposed_list(conn, meeting, &p, &pr)? else {
        return Ok(None);
    };
    // A formal-rule runoff elects; a runoff resolving a list round (it
    // keeps that round's rule) reports the places it decided as next_list.
    list.extend(names(&result["elected"]));
    list.extend(names(&result["next_list"]));
    Ok(Some(list))
}

/// The list a qualification review of `l` would amend, or why none may
/// be taken: the one rule for `POST …/decisions` (`review`) and the
/// round's `offered_decisions`. A review is taken once, after
/// `accept_list` on this round, while the election's accepted list is
/// still the one accepted here (a later stage's list is not this round's
/// to amend).
pub(crate) fn review_list(
    conn: &Connection,
    meeting: &str,
    l: &Loaded,
) -> Result<Vec<String>, Error> {
    let taken = decisions_of(&l.row);
    once(&taken, "review")?;
    let no_list = || {
        Error::conflict(
            "decision_not_applicable",
            "本轮尚未接受名单，或名单已被后续阶段取代，不能进行资格审查",
            "no list accepted from this round is standing, so there is nothing to review",
        )
    };
    let Some(here) = taken.iter().find(|d| d["decision"] == "accept_list") else {
        return Err(no_list());
    };
    let e = load_election(conn, meeting, &l.row.election)?;
    let accepted: Vec<String> = match &e.accepted_list {
        Some(j) => serde_json::from_str(j).map_err(Error::internal)?,
        None => return Err(no_list()),
    };
    let mut a = accepted.clone();
    let mut b = names(&here["list"]);
    a.sort();
    b.sort();
    if a != b {
        return Err(no_list());
    }
    Ok(accepted)
}
