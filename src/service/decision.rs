//! What follows a tally: the presidium's decisions (accept the proposed
//! list, call a runoff or a supplementary round, reduce the seats, re-run a
//! void round, announce) and the scrutineers' cosignatures of the result.
//!
//! The software proposes (the rule engine's outcome says what may follow)
//! and records; people decide. Every decision is a logged event. Which
//! decisions apply now is one rule, `decision_rule`, that the round's
//! `offered_decisions` read too.

use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{json, Value};

use super::decision_rule::{
    applies, certified_for, decision_facts, decisions_of, names, reduction_range, tallied,
    DecisionKind,
};
use super::draft::{check_candidates, draft_round, validate_draft};
use super::lookup::{enum_parse, load_election, load_meeting, require_method, text};
use super::lookup::{load_round, loaded, require_assigned, Loaded};
use super::round::{cosignature_summary, cosigners_json, cosigners_of};
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
            let method = super::lookup::method_for(require_method(&m)?, &l);
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
                "status": super::lookup::status_of(&l.row),
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
    super::lookup::require_open(&l.row)?;
    let reason = text("reason", reason, 500)?;
    let staff = super::lookup::scrutineer_keys(&tx.tx, tx.meeting(), &l.row)?;
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

/// A qualification review of the list accepted from `l`: the decisions
/// applied in order to the election's accepted list, which becomes the
/// list as amended. Taken once, after `accept_list` on this round.
fn review(tx: &Tx<'_>, l: &Loaded, decisions: Vec<ReviewRequest>) -> Result<Decision, Error> {
    let accepted = super::decision_rule::review_list(&tx.tx, tx.meeting(), l)?;
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
                super::lookup::MAX_NAME,
            )?,
            reason: text(&format!("decisions[{i}].reason"), &d.reason, 500)?,
            by: match &d.by {
                Some(b) => text(&format!("decisions[{i}].by"), b, super::lookup::MAX_NAME)?,
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
