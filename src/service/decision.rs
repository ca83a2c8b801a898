//! What follows a tally: the presidium's decisions (accept the proposed
//! list, call a runoff or a supplementary round, reduce the seats, re-run a
//! void round, announce) and the scrutineers' cosignatures of the result.
//!
//! The software proposes (the rule engine's outcome says what may follow)
//! and records; people decide. Every decision is a logged event.

use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{json, Value};

use super::meeting::{enum_parse, load_election, load_meeting, require_method, text};
use super::round::{
    check_candidates, cosignature_summary, cosigners_json, cosigners_of, draft_round, load_round,
    loaded, require_assigned, validate_draft, Loaded,
};
use super::{now_ms, Actor, Error, Kind, Reply, Service, Tx};
use crate::log::bundle::cosignature_value;
use crate::log::cosignature::verify_cosignature;
use crate::log::entry::Entry;
use crate::log::event::{Decision, Event};
use crate::log::merkle::{LeafIndex, TreeSize};
use crate::log::note::{Note, VerifierKey};
use crate::rules::consent::{ConsentBase, ConsentVote, ConsentWay, CONSENT_BASE};
use crate::rules::method::SeatReduction;
use crate::rules::{ElectionMethod, Office, RoundKind};
use crate::state::RoundEvent;
use crate::store::{self, round::RoundRow};

/// `POST …/decisions`.
#[derive(Debug, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case", deny_unknown_fields)]
pub enum DecisionRequest {
    AcceptList {
        list: Vec<String>,
    },
    CallRunoff {},
    CallSupplementary {
        #[serde(default)]
        candidates: Option<Vec<String>>,
    },
    ReduceSeats {
        to: u64,
        /// A note on the basis (optional; the counted vote is the record).
        #[serde(default)]
        consent: Option<String>,
        /// The electors' counted vote, required when the method leaves the
        /// reduction to them (`seat_reduction: electors_majority`).
        #[serde(default)]
        vote: Option<VoteCount>,
    },
    Rerun {},
    Announce {},
    /// While the round is open: the named scrutineers have no key and the
    /// count proceeds without them.
    ProceedWithout {
        without: Vec<String>,
        reason: String,
    },
    /// Qualification review (资格审查) of the list accepted from this
    /// round: strikes and additions, each with its reason.
    Review {
        decisions: Vec<ReviewRequest>,
    },
}

/// One decision of a qualification review.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub action: crate::rules::review::ReviewAction,
    pub name: String,
    pub reason: String,
    /// Who decided (镇党委, 县委组织部); default 上级党组织.
    #[serde(default)]
    pub by: Option<String>,
}

/// The numbers of a counted consent vote (`rules::consent`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteCount {
    pub way: ConsentWay,
    #[serde(rename = "for")]
    pub yes: u64,
    pub against: u64,
    pub abstain: u64,
}

/// The electors' consent to a reduction as the decision records it: the
/// counted vote when the method leaves it to them (refused unless more
/// than half consent), none when the presidium decides.
fn consent_of(
    method: &ElectionMethod,
    entitled: u64,
    present: Option<u64>,
    note: Option<String>,
    vote: Option<VoteCount>,
) -> Result<(String, Option<ConsentVote>), Error> {
    let note = match note.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => Some(text("consent", n, 500)?),
        _ => None,
    };
    let with_note = |s: String| match &note {
        Some(n) => format!("{s}；{n}"),
        None => s,
    };
    match (method.seat_reduction, vote) {
        (SeatReduction::Presidium, None) => Ok((with_note("由主席团决定".into()), None)),
        (SeatReduction::Presidium, Some(_)) => Err(Error::invalid(
            "vote",
            "按选举办法，减少名额由主席团决定，不需选举人表决",
            "under the method the presidium decides the reduction; the electors do not vote on it",
        )),
        (SeatReduction::ElectorsMajority, None) => Err(Error::invalid(
            "vote",
            "按选举办法，减少名额须经选举人过半数同意：请先举手或投票表决，填写同意、不同意、弃权人数",
            "under the method the reduction needs the consent of more than half of the electors: hold a show of hands or a ballot and enter the numbers for, against and abstaining",
        )),
        (SeatReduction::ElectorsMajority, Some(v)) => {
            let present = present.ok_or_else(|| {
                Error::conflict(
                    "attendance_not_recorded",
                    "尚未登记实到会人数",
                    "attendance has not been recorded",
                )
            })?;
            let (basis_zh, basis_en, base) = match CONSENT_BASE {
                ConsentBase::Present => ("到会选举人", "electors present", present),
                ConsentBase::Entitled => ("应到会选举人", "electors entitled", entitled),
            };
            let vote = ConsentVote {
                way: v.way,
                yes: v.yes,
                against: v.against,
                abstain: v.abstain,
                basis: CONSENT_BASE,
                base,
            };
            let voted = v.yes.saturating_add(v.against).saturating_add(v.abstain);
            if voted > present {
                return Err(Error::invalid(
                    "vote",
                    format!("同意、不同意、弃权共 {voted} 人，多于到会 {present} 人"),
                    format!("{voted} for, against and abstaining, more than the {present} present"),
                ));
            }
            vote.check(entitled, present).map_err(|e| Error::invalid("vote", e.clone(), e))?;
            let way = match v.way {
                ConsentWay::Hands => "举手表决",
                ConsentWay::Ballot => "投票表决",
            };
            if !vote.carried() {
                return Err(Error::conflict(
                    "consent_not_carried",
                    format!(
                        "{way}同意 {} 人，未超过{basis_zh} {base} 人的半数，不能减少名额；请另行选举",
                        v.yes
                    ),
                    format!(
                        "{} for is not more than half of the {base} {basis_en}: the seats cannot be reduced; hold a supplementary round",
                        v.yes
                    ),
                )
                .at("vote.for")
                .with(json!({ "for": v.yes, "base": base })));
            }
            Ok((
                with_note(format!(
                    "{way}：同意 {}，不同意 {}，弃权 {}；{basis_zh} {base} 人，过半数同意",
                    v.yes, v.against, v.abstain
                )),
                Some(vote),
            ))
        }
    }
}

/// `POST …/cosignatures`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cosign {
    /// One C2SP signature line: `— <key name> <base64(key ID ‖ timestamp ‖ signature)>`.
    pub signature: String,
}

/// The window of the service clock a cosignature's own timestamp must lie
/// in: from [`MAX_CLOCK_SKEW_S`] before the tally was logged (a result
/// cannot be signed before it existed; this refuses 1970) to
/// [`MAX_CLOCK_SKEW_S`] after now. Ten minutes either way covers an
/// unsynchronised laptop; signing later (the next morning) is allowed.
pub const MAX_CLOCK_SKEW_S: u64 = 600;

/// The signed result of a closed round (checked on this read, as every
/// read: `round::signed_result`).
/// `event`: what is to act on it (a cosignature, a decision).
fn tallied(
    conn: &Connection,
    meeting: &str,
    l: &Loaded,
    event: RoundEvent,
) -> Result<Value, Error> {
    super::round::require(&l.row, event)?;
    super::round::signed_result(conn, meeting, l)
}

fn not_applicable(decision: &str, status: &str) -> Error {
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

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn decisions_of(row: &RoundRow) -> Vec<Value> {
    serde_json::from_str(&row.decisions).unwrap_or_default()
}

/// Refuses a decision already taken on this round, naming the earlier one
/// (a decision is taken once; the same request twice is a mistake).
fn once(taken: &[Value], decision: &str) -> Result<(), Error> {
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

impl DecisionRequest {
    /// The decision on a tallied round this request asks for (`None` for
    /// those taken elsewhere: proceeding without a scrutineer while the
    /// round is open, a qualification review).
    fn kind(&self) -> Option<DecisionKind> {
        Some(match self {
            DecisionRequest::AcceptList { .. } => DecisionKind::AcceptList,
            DecisionRequest::CallRunoff {} => DecisionKind::CallRunoff,
            DecisionRequest::CallSupplementary { .. } => DecisionKind::CallSupplementary,
            DecisionRequest::ReduceSeats { .. } => DecisionKind::ReduceSeats,
            DecisionRequest::Rerun {} => DecisionKind::Rerun,
            DecisionRequest::Announce {} => DecisionKind::Announce,
            DecisionRequest::ProceedWithout { .. } | DecisionRequest::Review { .. } => return None,
        })
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
    fn supplementary_seats(&self) -> u64 {
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
fn reduction_range(f: &DecisionFacts) -> (u64, u64) {
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
fn decision_facts(
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
            let without: Vec<String> = super::round::scrutineer_keys(conn, meeting, &l.row)?
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

fn new_round(
    tx: &mut Tx<'_>,
    parent: &Loaded,
    kind: RoundKind,
    seats: u64,
    candidates: Vec<String>,
    next_size: Option<u64>,
) -> Result<RoundRow, Error> {
    draft_round(
        tx,
        &parent.row.election,
        kind,
        &parent.row.office,
        seats,
        &candidates,
        next_size,
        Some(parent.row.id.clone()),
    )
}

/// Validates a new round as a draft would be.
fn validate_new(
    tx: &Tx<'_>,
    method: &ElectionMethod,
    r: &RoundRow,
    entitled: u64,
) -> Result<(), Error> {
    let l = loaded(&tx.tx, tx.meeting(), r.clone())?;
    let office: Office = enum_parse(&r.office)?;
    validate_draft(
        method,
        l.kind,
        office,
        r.seats,
        &l.candidates,
        r.next_size,
        entitled,
    )?;
    check_candidates(&tx.tx, tx.meeting(), &r.election, &l.candidates)?;
    Ok(())
}

impl Service {
    /// Records a decision of the presidium on a tallied round.
    pub fn decide(&self, actor: &Actor, round: &str, req: DecisionRequest) -> Result<Reply, Error> {
        let (body, stamp) = self.write_as(actor, |tx| {
            let meeting = actor.meeting.clone();
            let m = load_meeting(&tx.tx, &meeting)?;
            let mut l = load_round(&tx.tx, &meeting, round)?;
            let method = super::stage::method_for(require_method(&m)?, &l);
            if let DecisionRequest::ProceedWithout { without, reason } = &req {
                let decision = proceed_without(tx, &l, without, reason)?;
                return record(tx, actor, &mut l, decision, None);
            }
            let result = tallied(&tx.tx, &meeting, &l, RoundEvent::Decide)?;
            let facts = decision_facts(&tx.tx, &meeting, &l, &method, &result)?;
            if let Some(kind) = req.kind() {
                applies(kind, &facts)?;
            }
            let elected = names(&result["elected"]);
            let mut created: Option<RoundRow> = None;
            let decision = match req {
                DecisionRequest::AcceptList { list } => {
                    let proposed = facts.proposed_list.clone().unwrap_or_default();
                    let mut a = list.clone();
                    let mut b = proposed.clone();
                    a.sort();
                    b.sort();
                    if a != b {
                        return Err(Error::invalid(
                            "list",
                            format!("须为本轮产生的名单：{}", proposed.join("、")),
                            format!(
                                "expected exactly the proposed list: {}",
                                proposed.join(", ")
                            ),
                        ));
                    }
                    certified_for(DecisionKind::AcceptList, &facts)?;
                    store::meeting::set_accepted_list(
                        &tx.tx,
                        &meeting,
                        &l.row.election,
                        Some(&serde_json::to_string(&list).map_err(Error::internal)?),
                    )?;
                    Decision::AcceptList { list }
                }
                DecisionRequest::CallRunoff {} => {
                    let among = facts.runoff_among.clone();
                    let seats = facts.runoff_seats;
                    let r = new_round(tx, &l, RoundKind::Runoff, seats, among.clone(), None)?;
                    validate_new(tx, &method, &r, m.entitled)?;
                    let d = Decision::CallRunoff {
                        round: r.id.clone(),
                        among,
                        seats,
                    };
                    created = Some(r);
                    d
                }
                DecisionRequest::CallSupplementary { candidates } => {
                    let seats = facts.supplementary_seats();
                    let list = match candidates {
                        Some(given) => {
                            for (i, c) in given.iter().enumerate() {
                                if elected.contains(c) {
                                    return Err(Error::invalid(
                                        format!("candidates[{i}]"),
                                        format!("{c} 已当选"),
                                        format!("{c} is already elected"),
                                    ));
                                }
                            }
                            given
                        }
                        None => default_supplementary(&method, &l, &result, seats)?,
                    };
                    let r = new_round(tx, &l, RoundKind::Supplementary, seats, list.clone(), None)?;
                    validate_new(tx, &method, &r, m.entitled)?;
                    let d = Decision::CallSupplementary {
                        round: r.id.clone(),
                        seats,
                        candidates: list,
                    };
                    created = Some(r);
                    d
                }
                DecisionRequest::ReduceSeats { to, consent, vote } => {
                    let e = load_election(&tx.tx, &meeting, &l.row.election)?;
                    let (floor, _) = reduction_range(&facts);
                    if to >= e.seats || to < floor {
                        return Err(Error::invalid(
                            "to",
                            format!(
                                "应选名额只能从 {} 减至 {floor} 到 {} 之间",
                                e.seats,
                                e.seats.saturating_sub(1)
                            ),
                            format!(
                                "the seats can go from {} down to between {floor} and {}",
                                e.seats,
                                e.seats.saturating_sub(1)
                            ),
                        ));
                    }
                    certified_for(DecisionKind::ReduceSeats, &facts)?;
                    let (consent, vote) =
                        consent_of(&method, m.entitled, m.present, consent, vote)?;
                    store::meeting::set_election_seats(&tx.tx, &meeting, &e.id, to)?;
                    Decision::ReduceSeats {
                        from: e.seats,
                        to,
                        consent,
                        vote,
                    }
                }
                DecisionRequest::Rerun {} => {
                    let r = new_round(
                        tx,
                        &l,
                        l.kind,
                        l.row.seats,
                        l.candidates.clone(),
                        l.row.next_size,
                    )?;
                    let d = Decision::Rerun {
                        round: r.id.clone(),
                    };
                    created = Some(r);
                    d
                }
                // Handled above while the round is open; on a tallied round
                // this refuses with round_not_open.
                DecisionRequest::ProceedWithout { without, reason } => {
                    proceed_without(tx, &l, &without, &reason)?
                }
                DecisionRequest::Review { decisions } => review(tx, &l, decisions)?,
                DecisionRequest::Announce {} => {
                    l.row.announced = true;
                    Decision::Announce
                }
            };
            record(tx, actor, &mut l, decision, created)
        })?;
        Ok(Reply::created(body).stamped(stamp))
    }

    /// What the scrutineers cosign: the checkpoint right after the tally.
    pub fn statement(&self, actor: &Actor, round: &str) -> Result<Reply, Error> {
        self.read(|conn| {
            let l = load_round(conn, &actor.meeting, round)?;
            super::round::result_visible(conn, actor, &l)?;
            let result = tallied(conn, &actor.meeting, &l, RoundEvent::Certify)?;
            let note = tally_note(conn, &actor.meeting, &l.row)?;
            let receipt = match l.row.tally_index {
                Some(t) => Some(super::bundle::tally_receipt(conn, &actor.meeting, t)?),
                None => None,
            };
            Ok(Reply::ok(json!({
                "round": l.row.id,
                "tally_index": l.row.tally_index,
                "checkpoint": note,
                "receipt": receipt,
                "result": result,
                "cosignatures": cosignature_summary(conn, &actor.meeting, &l.row)?,
                "cosigners": cosigners_json(conn, &actor.meeting, &l.row)?,
            })))
        })
    }

    /// Accepts a scrutineer's cosignature of the tally checkpoint, made
    /// with their own key; k-of-n of them certify the result.
    pub fn cosign(&self, actor: &Actor, round: &str, req: Cosign) -> Result<Reply, Error> {
        let (body, stamp) = self.write_as(actor, |tx| {
            let meeting = actor.meeting.clone();
            let mut l = load_round(&tx.tx, &meeting, round)?;
            require_assigned(&tx.tx, actor, &l.row.election)?;
            tallied(&tx.tx, &meeting, &l, RoundEvent::Certify)?;
            let cosigners = cosigners_of(&l.row)?;
            let Some(me) = cosigners.iter().find(|c| c.person == actor.person) else {
                return Err(Error::conflict(
                    "no_key_registered",
                    "本轮结束时您尚未登记签名公钥，不能签名",
                    "you had no key registered when this round closed, so you cannot cosign it",
                ));
            };
            let done = store::round::cosignatures(&tx.tx, &meeting, round)?;
            if done.iter().any(|c| c.person == actor.person) {
                return Err(Error::conflict(
                    "already_cosigned",
                    "您已签名",
                    "you already cosigned this result",
                ));
            }
            let line = req.signature.trim().to_string();
            let bad = |zh: String, en: String| {
                Error::new(Kind::Unprocessable, "bad_cosignature", zh, en).at("signature")
            };
            if line.contains('\n') {
                return Err(bad(
                    "签名须为一行".into(),
                    "expected one signature line".into(),
                ));
            }
            let checkpoint = tally_note(&tx.tx, &meeting, &l.row)?;
            let note = Note::parse(&format!("{checkpoint}{line}\n")).map_err(|e| {
                bad(
                    format!("签名行格式错误：{e}"),
                    format!("malformed signature line: {e}"),
                )
            })?;
            let key = VerifierKey::parse(&me.key).map_err(Error::internal)?;
            let Some(sig) = note.signatures().iter().find(|s| key.matches(s)) else {
                return Err(bad(
                    format!("没有以您登记的公钥（{}）所作的签名", key.label()),
                    format!("no cosignature by your registered key {}", key.label()),
                ));
            };
            let v = verify_cosignature(note.text(), &key, sig).map_err(|e| {
                bad(
                    format!("签名无效：{e}"),
                    format!("invalid cosignature: {e}"),
                )
            })?;
            let tallied_s = tally_time_ms(&tx.tx, &meeting, &l.row)? / 1000;
            let (earliest, latest) = (
                tallied_s.saturating_sub(MAX_CLOCK_SKEW_S),
                now_ms() / 1000 + MAX_CLOCK_SKEW_S,
            );
            if v.timestamp < earliest || v.timestamp > latest {
                return Err(bad(
                    format!(
                        "签名时间 {} 不在允许范围内（{earliest} 至 {latest}，Unix 秒：计票结果记录前后 {MAX_CLOCK_SKEW_S} 秒至现在后 {MAX_CLOCK_SKEW_S} 秒）",
                        v.timestamp
                    ),
                    format!(
                        "the cosignature's time {} is outside the accepted window {earliest} to {latest} (Unix seconds: from {MAX_CLOCK_SKEW_S} s before the tally was logged to {MAX_CLOCK_SKEW_S} s after now)",
                        v.timestamp
                    ),
                )
                .with(json!({ "timestamp": v.timestamp, "earliest": earliest, "latest": latest })));
            }
            let size = l.row.tally_size.unwrap_or(0);
            tx.log(
                Some(actor.role),
                &Event::ResultCosigned {
                    round: round.to_string(),
                    scrutineer: actor.name.clone(),
                    checkpoint_size: size,
                    signature: cosignature_value(sig),
                },
            )?;
            store::round::insert_cosignature(
                &tx.tx,
                &meeting,
                round,
                &store::round::CosignatureRow {
                    person: actor.person.clone(),
                    line,
                    timestamp: v.timestamp,
                },
            )?;
            let count = done.len() as u64 + 1;
            if count >= l.row.required.unwrap_or(u64::MAX) && !l.row.certified {
                l.row.certified = true;
                store::round::save_round(&tx.tx, &meeting, &l.row)?;
            }
            Ok(json!({
                "round": round,
                "status": super::round::status_of(&l.row),
                "cosignatures": cosignature_summary(&tx.tx, &meeting, &l.row)?,
            }))
        })?;
        Ok(Reply::created(body).stamped(stamp))
    }
}

/// When the tally of a closed round was logged (its entry's timestamp).
fn tally_time_ms(conn: &Connection, meeting: &str, row: &RoundRow) -> Result<u64, Error> {
    let index = row
        .tally_index
        .ok_or_else(|| Error::internal("a closed round without a tally index"))?;
    let bytes = store::log::entry_bytes(conn, meeting, LeafIndex(index))?
        .ok_or_else(|| Error::internal(format!("tally entry {index} is missing")))?;
    let entry = Entry::decode(&bytes).map_err(Error::internal)?;
    Ok(entry.timestamp_ms())
}

/// Logs `decision` on `l`, keeps it with the round, and saves the round it
/// created, if any. The body of `POST …/decisions`.
fn record(
    tx: &mut Tx<'_>,
    actor: &Actor,
    l: &mut Loaded,
    decision: Decision,
    created: Option<RoundRow>,
) -> Result<Value, Error> {
    let meeting = actor.meeting.clone();
    tx.log(
        Some(actor.role),
        &Event::PresidiumDecision {
            round: l.row.id.clone(),
            decision: decision.clone(),
            by: Some(actor.name.clone()),
        },
    )?;
    let decision_json = serde_json::to_value(&decision).map_err(Error::internal)?;
    let mut ds = decisions_of(&l.row);
    ds.push(decision_json.clone());
    l.row.decisions = Value::Array(ds).to_string();
    store::round::save_round(&tx.tx, &meeting, &l.row)?;
    let new_round = match created {
        Some(mut r) => {
            r.origin_decision = Some(decision_json.to_string());
            store::round::save_round(&tx.tx, &meeting, &r)?;
            // A runoff or re-run keeps the stage method of its round.
            super::stage::inherit(tx, l, &r.id)?;
            tx.touch(&r.id);
            let l = loaded(&tx.tx, &meeting, r)?;
            super::round::round_json(&tx.tx, &meeting, &l, actor)?
        }
        None => Value::Null,
    };
    Ok(json!({ "decision": decision_json, "round": new_round }))
}

/// Checks a `proceed_without` decision: the round is open, every name is a
/// scrutineer of the election with no key who was not excused already,
/// and at least one scrutineer with a key is left to certify.
fn proceed_without(
    tx: &Tx<'_>,
    l: &Loaded,
    without: &[String],
    reason: &str,
) -> Result<Decision, Error> {
    super::round::require_open(&l.row)?;
    let reason = text("reason", reason, 500)?;
    let staff = super::round::scrutineer_keys(&tx.tx, tx.meeting(), &l.row)?;
    if without.is_empty() {
        return Err(Error::invalid(
            "without",
            "须写明不等待哪位监票人",
            "name at least one scrutineer to proceed without",
        ));
    }
    let mut names: Vec<String> = Vec::new();
    for (i, name) in without.iter().enumerate() {
        let field = format!("without[{i}]");
        let name = name.trim().to_string();
        let Some(k) = staff.iter().find(|k| k.name == name) else {
            return Err(Error::invalid(
                field,
                format!("{name} 不是本选举的监票人"),
                format!("{name} is not a scrutineer of this election"),
            ));
        };
        if k.excused {
            return Err(Error::conflict(
                "already_decided",
                format!("主席团已决定本轮不等待 {name} 签名"),
                format!("the presidium already decided to proceed without {name} in this round"),
            )
            .at(field));
        }
        if k.has_key {
            return Err(Error::invalid(
                field,
                format!("{name} 已登记签名公钥，应参加签名"),
                format!("{name} has registered a key and takes part in certifying"),
            ));
        }
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let proceed: Vec<String> = staff
        .iter()
        .filter(|k| k.has_key && !names.contains(&k.name))
        .map(|k| k.name.clone())
        .collect();
    if proceed.is_empty() {
        return Err(Error::conflict(
            "no_scrutineer_left",
            "没有已登记公钥的监票人，结果将无人签署；须先由至少一名监票人登记公钥",
            "no scrutineer with a registered key would be left to certify the result; at least one must register a key first",
        ));
    }
    Ok(Decision::ProceedWithout {
        without: names,
        proceed,
        reason,
    })
}

/// The log-signed checkpoint note over the tally of a closed round.
pub(crate) fn tally_note(
    conn: &Connection,
    meeting: &str,
    row: &RoundRow,
) -> Result<String, Error> {
    let size = row
        .tally_size
        .ok_or_else(|| Error::internal("a closed round without a tally checkpoint"))?;
    store::log::checkpoint_at(conn, meeting, TreeSize(size))?
        .ok_or_else(|| Error::internal(format!("no checkpoint of size {size}")))
}

/// The default list of a supplementary round (RULES §4.6): the rule
/// engine's [`rules::outcome::supplementary_candidates`] over this round's
/// tally, write-ins included.
fn default_supplementary(
    method: &ElectionMethod,
    l: &Loaded,
    result: &Value,
    seats: u64,
) -> Result<Vec<String>, Error> {
    let elected = names(&result["elected"]);
    let tally: Vec<(String, u64)> = result["tally"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| Some((r["name"].as_str()?.to_string(), r["for"].as_u64()?)))
                .collect()
        })
        .unwrap_or_default();
    Ok(crate::rules::outcome::supplementary_candidates(
        method, l.office, &tally, &elected, seats,
    ))
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

/// A qualification review of the list accepted from `l`: the decisions
/// applied in order to the election's accepted list, which becomes the
/// list as amended. Taken once, after `accept_list` on this round.
fn review(tx: &Tx<'_>, l: &Loaded, decisions: Vec<ReviewRequest>) -> Result<Decision, Error> {
    let accepted = review_list(&tx.tx, tx.meeting(), l)?;
    if decisions.is_empty() || decisions.len() > 200 {
        return Err(Error::invalid(
            "decisions",
            "资格审查须有1至200项决定",
            "a review has 1 to 200 decisions",
        ));
    }
    let mut ds = Vec::new();
    for (i, d) in decisions.iter().enumerate() {
        ds.push(crate::rules::review::ReviewDecision {
            action: d.action,
            name: text(
                &format!("decisions[{i}].name"),
                &d.name,
                super::meeting::MAX_NAME,
            )?,
            reason: text(&format!("decisions[{i}].reason"), &d.reason, 500)?,
            by: match &d.by {
                Some(b) => text(&format!("decisions[{i}].by"), b, super::meeting::MAX_NAME)?,
                None => "上级党组织".to_string(),
            },
        });
    }
    let amended = crate::rules::review::amend(&accepted, &ds).map_err(|e| {
        Error::invalid(
            format!("decisions[{}]", e.index),
            format!("资格审查决定不适用于通过的名单：{}", e.message),
            e.message.clone(),
        )
    })?;
    if amended.list.is_empty() {
        return Err(Error::invalid(
            "decisions",
            "审查后名单不能为空",
            "the amended list would be empty",
        ));
    }
    store::meeting::set_accepted_list(
        &tx.tx,
        tx.meeting(),
        &l.row.election,
        Some(&serde_json::to_string(&amended.list).map_err(Error::internal)?),
    )?;
    Ok(Decision::Review {
        decisions: ds,
        list: amended.list,
    })
}
