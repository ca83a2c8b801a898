//! Rounds: created as drafts with a validated list, opened with their facts
//! frozen, closed with the ballots returned, tallied by the rule engine.
//!
//! ```text
//!  draft ──open──▶ open ──close──▶ closed
//!                   │  (no quorum: closed at once, status no_quorum)
//!  status:  —   unofficial-partial   unofficial-complete ──k-of-n cosign──▶ certified
//! ```
//!
//! The moves are `crate::state::round` (pure, table-tested); `require`
//! asks it and turns a refusal into the 409.

use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{json, Value};

use super::live::{BallotCache, Update};
use super::meeting::{
    candidates_of, enum_parse, load_election, load_meeting, require_method, text, MAX_NAME,
};
use super::{Actor, Error, Kind, Reply, Role, Service, Tx};
use crate::log::event::{BatchBallots, Event};
use crate::log::note::VerifierKey;
use crate::report;
use crate::rules::{self, name, Ballot, ElectionMethod, Office, Round, RoundKind};
use crate::state::{self, BatchState, Hidden, Refused, RoundEvent, RoundState};
use crate::store::{self, round::RoundRow};

/// A stored round with its typed columns parsed.
pub(crate) struct Loaded {
    pub row: RoundRow,
    /// The election's contest name (printed in reports).
    pub contest: String,
    pub kind: RoundKind,
    pub office: Office,
    pub candidates: Vec<String>,
    /// A runoff's: the kind of the first non-runoff round up its parent
    /// chain, when not formal — the round whose rule it keeps.
    pub resolves: Option<RoundKind>,
    /// The round's stage: its own method parts and procedure facts
    /// (`service::stage`, issue 11); empty for an ordinary round.
    pub stage: super::stage::Stage,
}

/// The kind of round a runoff resolves: up the parent chain past runoffs
/// to the first other round; `None` for a formal round (the default), a
/// cadre vote (its runoff keeps the majority, as a formal one) or a round
/// that is not a runoff.
fn resolves_of(
    conn: &Connection,
    meeting: &str,
    row: &RoundRow,
) -> Result<Option<RoundKind>, Error> {
    let mut kind: RoundKind = enum_parse(&row.kind)?;
    let mut parent = row.parent.clone();
    if kind != RoundKind::Runoff {
        return Ok(None);
    }
    // A chain of runoffs is as long as the runoffs the method allows; the
    // bound only guards against a corrupt store.
    for _ in 0..1024 {
        if kind != RoundKind::Runoff {
            break;
        }
        let Some(id) = parent else {
            return Ok(None);
        };
        let Some(p) = store::round::round(conn, meeting, &id)? else {
            return Ok(None);
        };
        kind = enum_parse(&p.kind)?;
        parent = p.parent;
    }
    Ok(RoundKind::resolved_by_runoff(kind))
}

pub(crate) fn load_round(conn: &Connection, meeting: &str, id: &str) -> Result<Loaded, Error> {
    let row = store::round::round(conn, meeting, id)?
        .ok_or_else(|| Error::not_found("轮次", "round", id))?;
    loaded(conn, meeting, row)
}

pub(crate) fn loaded(conn: &Connection, meeting: &str, row: RoundRow) -> Result<Loaded, Error> {
    Ok(Loaded {
        contest: load_election(conn, meeting, &row.election)?.contest,
        kind: enum_parse(&row.kind)?,
        office: enum_parse(&row.office)?,
        candidates: candidates_of(&row)?,
        resolves: resolves_of(conn, meeting, &row)?,
        stage: super::stage::Stage::load(conn, meeting, &row.id)?,
        row,
    })
}

/// The round's status label (docs/api.md): null for a draft.
pub(crate) fn status_of(r: &RoundRow) -> Value {
    json!(r.state.status(r.certified))
}

/// The rule engine's view of a round whose facts are frozen.
pub(crate) fn facts(l: &Loaded, returned: Option<u64>) -> Result<Round, Error> {
    let (Some(entitled), Some(present), Some(issued)) =
        (l.row.entitled, l.row.present, l.row.issued)
    else {
        return Err(Error::internal(format!(
            "round {} has no frozen facts",
            l.row.id
        )));
    };
    Ok(Round {
        kind: l.kind,
        office: l.office,
        contest: l.contest.clone(),
        seats: l.row.seats,
        candidates: l.candidates.clone(),
        entitled,
        present,
        issued,
        returned,
        next_size: l.row.next_size,
        replaced: l.stage.replaced.unwrap_or(0),
        voted: l.stage.voted,
        resolves: l.resolves,
        rating: l.stage.facts.rating.clone(),
    })
}

/// Every reconciled ballot of a round.
pub(crate) fn round_ballots(
    conn: &Connection,
    meeting: &str,
    round: &str,
) -> Result<Vec<Ballot>, Error> {
    let mut out = Vec::new();
    for json in store::round::reconciled_ballots(conn, meeting, round)? {
        let b: BatchBallots = serde_json::from_str(&json)
            .map_err(|e| Error::internal(format!("stored batch: {e}")))?;
        out.extend(b.to_ballots().map_err(Error::internal)?);
    }
    Ok(out)
}

/// The live count of an open round (its partial result, its `tally`
/// events) moves only in steps of at least this many ballots: it shows
/// whole reconciled batches, and a batch joins it only once the ballots
/// reconciled since the last step reach this number, so no two counts a
/// viewer can compare differ by a single ballot. The final tally of a
/// closed round counts everything. Default 5 (docs/service.md, "Secret
/// ballot").
pub const LIVE_RELEASE_MIN_BALLOTS: u64 = 5;

/// The batches an open round's live count includes: the longest prefix of
/// the reconciliation order that ends where the ballots since the previous
/// step reached `min`.
pub fn released_batches(order: &[(String, u64)], min: u64) -> &[(String, u64)] {
    let (mut pending, mut upto) = (0u64, 0usize);
    for (i, (_, n)) in order.iter().enumerate() {
        pending = pending.saturating_add(*n);
        if pending >= min {
            upto = i + 1;
            pending = 0;
        }
    }
    &order[..upto]
}

/// The counts of an open round's live count ([`released_batches`]): the
/// reference counter's counts of each released batch, added up; only the
/// batches not yet in `cache` (the live publisher's) are decoded and
/// counted when one is given.
fn released_counts(
    conn: &Connection,
    meeting: &str,
    method: &ElectionMethod,
    round: &Round,
    id: &str,
    cache: Option<&mut BallotCache>,
) -> Result<rules::tally::Counts, Error> {
    let order = store::round::reconciled_batch_order(conn, meeting, id)?;
    let released = released_batches(&order, LIVE_RELEASE_MIN_BALLOTS);
    let mut local = BallotCache::default();
    let cache = cache.unwrap_or(&mut local);
    for (batch, _) in released {
        let read = || {
            let Some(json) = store::round::reconciled_batch(conn, meeting, id, batch)? else {
                return Ok(None);
            };
            let b: BatchBallots = serde_json::from_str(&json)
                .map_err(|e| Error::internal(format!("stored batch: {e}")))?;
            Ok(Some(b.to_ballots().map_err(Error::internal)?))
        };
        cache.count(method, round, batch, read)?;
    }
    let parts: Vec<&rules::tally::Counts> = released
        .iter()
        .filter_map(|(batch, _)| cache.get(batch))
        .collect();
    Ok(rules::groups::sum_counts(&parts, round.candidates.len()))
}

/// Refuses a list that breaks the method's differential rule, with the
/// numbers (RULES §3.2).
pub(crate) fn check_list(method: &ElectionMethod, round: &Round) -> Result<(), Error> {
    if let Some(r) = rules::outcome::list_ruling(method, round) {
        if !r.check.ok {
            return Err(Error::new(
                Kind::Unprocessable,
                "candidate_list_rejected",
                format!("{}（{}）", r.message_zh, r.rule_zh),
                format!("{} ({})", r.message_en, r.rule_en),
            )
            .at("candidates")
            .with(json!({
                "seats": r.check.seats,
                "candidates": r.check.candidates,
                "min": r.check.min,
                "max": r.check.max,
            })));
        }
    }
    Ok(())
}

/// Checks candidate names (non-empty, unique) and that no counter or
/// scrutineer of the election is among them.
pub(crate) fn check_candidates(
    conn: &Connection,
    meeting: &str,
    election: &str,
    candidates: &[String],
) -> Result<Vec<String>, Error> {
    let mut names: Vec<String> = Vec::with_capacity(candidates.len());
    // Skeleton → the first name with it (each computed once).
    let mut looks = std::collections::BTreeMap::new();
    for (i, c) in candidates.iter().enumerate() {
        let field = format!("candidates[{i}]");
        let name = text(&field, c, MAX_NAME)?;
        let skeleton = name::skeleton(&name);
        if let Some(same) = looks.get(&skeleton).map(|&k: &usize| names[k].clone()) {
            return Err(if same == name {
                Error::invalid(
                    field,
                    format!("候选人 {name} 重复"),
                    format!("candidate {name} is listed twice"),
                )
            } else {
                Error::invalid(
                    field,
                    format!("候选人 {name} 与 {same} 字形相同或相近，无法区分"),
                    format!("candidate {name} looks the same as candidate {same}"),
                )
            });
        }
        looks.insert(skeleton, names.len());
        names.push(name);
    }
    let supervisors = store::meeting::assigned(conn, meeting, election)?;
    for (i, name) in names.iter().enumerate() {
        let found = name::alike(name, supervisors.iter().map(|p| p.name.as_str()));
        if let Some(p) = found.and_then(|f| supervisors.iter().find(|p| p.name == f)) {
            let role_zh = if p.role == Role::Counter {
                "计票人"
            } else {
                "监票人"
            };
            let same = &p.name;
            return Err(Error::new(
                Kind::Unprocessable,
                "candidate_is_supervisor",
                if same == name {
                    format!("{name} 是本选举的{role_zh}，不能作为候选人")
                } else {
                    format!("{name} 与本选举的{role_zh} {same} 字形相同或相近，不能作为候选人")
                },
                if same == name {
                    format!(
                        "{name} is a {} of this election and cannot be a candidate",
                        p.role
                    )
                } else {
                    format!(
                        "{name} looks the same as {same}, a {} of this election, and cannot be a candidate",
                        p.role
                    )
                },
            )
            .at(format!("candidates[{i}]")));
        }
    }
    Ok(names)
}

/// Who may see a round's result (final or partial), and when: the one rule
/// behind `GET …/result`, `GET …/statement`, the `result` of `GET
/// …/rounds/{r}` and the `tally` events of the live stream (docs/api.md
/// `…/result`). `assigned`: the caller is assigned to the round's
/// election; a scrutineer sees only the elections they supervise.
pub fn may_see_result(
    role: Role,
    assigned: bool,
    announced: bool,
    list_round: bool,
) -> Result<(), Error> {
    state::may_see_result(role, assigned, announced, list_round).map_err(|h| match h {
        Hidden::NotAssigned => Error::forbidden(
            "not_assigned",
            "监票人只能查看自己所监督选举的结果",
            "a scrutineer sees the results of the elections they are assigned to only",
        ),
        Hidden::Counter => Error::forbidden(
            "forbidden_role",
            "计票人只能查看自己录入的内容",
            "counters see only their own entries",
        ),
        Hidden::ListRound => Error::forbidden(
            "not_announced",
            "推荐、测评和预选结果只向主席团报告",
            "nomination, evaluation and preliminary results go to the presidium only",
        ),
        Hidden::NotAnnounced => Error::forbidden(
            "not_announced",
            "结果尚未宣布",
            "the result has not been announced",
        ),
    })
}

/// [`may_see_result`] for `actor` and a stored round (reads the assignment).
pub(crate) fn result_visible(conn: &Connection, actor: &Actor, l: &Loaded) -> Result<(), Error> {
    let assigned = actor.role == Role::Scrutineer
        && store::meeting::is_assigned(conn, &actor.meeting, &l.row.election, &actor.person)?;
    may_see_result(
        actor.role,
        assigned,
        l.row.announced,
        l.kind.proposes_list(),
    )
}

/// The partial count of an open round: what the reconciled ballots say so
/// far (no outcome: the round is not decided until it closes).
fn partial_result(
    conn: &Connection,
    meeting: &str,
    l: &Loaded,
    method: &ElectionMethod,
    cache: Option<&mut BallotCache>,
) -> Result<Value, Error> {
    let round = facts(l, None)?;
    let counts = released_counts(conn, meeting, method, &round, &l.row.id, cache)?;
    let result = rules::evaluate_counts(method, &round, counts);
    let doc = serde_json::to_value(report::json::document(method, &round, &result))
        .map_err(Error::internal)?;
    Ok(json!({
        "partial": true,
        "ballots": doc["ballots"],
        "tally": doc["tally"],
        "threshold": doc["threshold"],
        "threshold_base": doc["threshold_base"],
    }))
}

/// The scrutineers whose cosignatures count for a closed round.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub(crate) struct Cosigner {
    pub person: String,
    pub name: String,
    pub key: String,
}

pub(crate) fn cosigners_of(row: &RoundRow) -> Result<Vec<Cosigner>, Error> {
    match &row.cosigners {
        None => Ok(Vec::new()),
        Some(j) => {
            serde_json::from_str(j).map_err(|e| Error::internal(format!("stored cosigners: {e}")))
        }
    }
}

/// An assigned scrutineer of a round's election: whether a key is
/// registered and whether a `proceed_without` decision excused them.
pub(crate) struct ScrutineerKey {
    pub name: String,
    pub has_key: bool,
    pub excused: bool,
}

/// The scrutineers a `proceed_without` decision on `row` excused.
pub(crate) fn excused_of(row: &RoundRow) -> Vec<String> {
    let decisions: Vec<Value> = serde_json::from_str(&row.decisions).unwrap_or_default();
    decisions
        .iter()
        .filter(|d| d["decision"] == "proceed_without")
        .flat_map(|d| {
            d["without"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|n| n.as_str().map(String::from))
        })
        .collect()
}

/// Every scrutineer assigned to the round's election, in assignment order.
pub(crate) fn scrutineer_keys(
    conn: &Connection,
    meeting: &str,
    row: &RoundRow,
) -> Result<Vec<ScrutineerKey>, Error> {
    let excused = excused_of(row);
    Ok(store::meeting::assigned(conn, meeting, &row.election)?
        .into_iter()
        .filter(|p| p.role == Role::Scrutineer)
        .map(|p| ScrutineerKey {
            has_key: p
                .key
                .as_deref()
                .is_some_and(|k| VerifierKey::parse(k).is_ok()),
            excused: excused.contains(&p.name),
            name: p.name,
        })
        .collect())
}

/// `{required, of, by}` of a round's cosignatures.
pub(crate) fn cosignature_summary(
    conn: &Connection,
    meeting: &str,
    row: &RoundRow,
) -> Result<Value, Error> {
    let cosigners = cosigners_of(row)?;
    let by: Vec<String> = store::round::cosignatures(conn, meeting, &row.id)?
        .iter()
        .filter_map(|c| {
            cosigners
                .iter()
                .find(|s| s.person == c.person)
                .map(|s| s.name.clone())
        })
        .collect();
    Ok(json!({ "required": row.required, "of": cosigners.len(), "by": by }))
}

/// The fingerprint of a cosigner's vkey ([`VerifierKey::fingerprint`]).
fn key_fingerprint(vkey: &str) -> Value {
    match VerifierKey::parse(vkey) {
        Ok(k) => json!(k.fingerprint()),
        Err(_) => Value::Null,
    }
}

/// `[{name, key, fingerprint, signed}]`: the round's cosigners (fixed when
/// it closed) and whether each one's cosignature is stored.
pub(crate) fn cosigners_json(
    conn: &Connection,
    meeting: &str,
    row: &RoundRow,
) -> Result<Value, Error> {
    let signed = store::round::cosignatures(conn, meeting, &row.id)?;
    Ok(Value::Array(
        cosigners_of(row)?
            .iter()
            .map(|c| {
                json!({
                    "name": c.name,
                    "key": c.key,
                    "fingerprint": key_fingerprint(&c.key),
                    "signed": signed.iter().any(|s| s.person == c.person),
                })
            })
            .collect(),
    ))
}

/// The checkpoint a round's numbers reflect: the tally checkpoint once
/// closed, the latest while open.
fn result_checkpoint(conn: &Connection, meeting: &str, row: &RoundRow) -> Result<Value, Error> {
    let note = match row.tally_size {
        Some(size) => store::log::checkpoint_at(conn, meeting, crate::log::merkle::TreeSize(size))?,
        None => store::log::latest_checkpoint(conn, meeting)?.map(|(_, n)| n),
    };
    Ok(note
        .as_deref()
        .and_then(super::stamp_of_note)
        .map_or(Value::Null, |s| json!(s)))
}

/// When the tally was published (ms since the Unix epoch, the time in its
/// signed entry), once the round is closed; the vote report's 计票时间.
fn tallied_at(conn: &Connection, meeting: &str, row: &RoundRow) -> Result<Value, Error> {
    let Some(t) = row.tally_index else {
        return Ok(Value::Null);
    };
    let entry = store::log::entries(conn, meeting, t..t.saturating_add(1))?;
    Ok(entry
        .first()
        .map_or(Value::Null, |(_, e)| json!(e.timestamp_ms())))
}

/// The contract result JSON of a decided round, as people see it.
fn result_doc(
    method: &ElectionMethod,
    round: &Round,
    r: &rules::RoundResult,
) -> Result<Value, Error> {
    serde_json::to_value(report::json::document(method, round, r)).map_err(Error::internal)
}

/// The result of a closed round as every reader is shown it (`GET
/// …/result`, the round, the statement, the report, the hall and
/// presidium screens, the live stream, the presidium's decisions): decided
/// again from the numbers of the signed `tally_published` record, with
/// the method and facts of the state tables, and shown only when that
/// decision is exactly the signed record and the state table's copy is
/// exactly what it renders. Anything else — an edited result, count,
/// fact or method in the database, a missing or foreign log entry — is
/// refused with 409 `result_mismatch`, and nothing of the result is shown.
pub(crate) fn signed_result(conn: &Connection, meeting: &str, l: &Loaded) -> Result<Value, Error> {
    let r = l.row.id.as_str();
    let m = load_meeting(conn, meeting)?;
    let method = super::stage::method_for(require_method(&m)?, l);
    let round = facts(l, l.row.returned)?;
    let record = match l.row.tally_index {
        Some(t) => logged_record(conn, meeting, r, t)?,
        None => None,
    };
    let stored: Option<Value> = l
        .row
        .result
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok());
    let (Some(record), Some(stored)) = (record, stored) else {
        return Err(result_mismatch(r));
    };
    shown_result(&method, &round, &record, &stored).ok_or_else(|| result_mismatch(r))
}

/// What people are shown of `record`, the signed result of `round` under
/// `method`, when the state table's copy `stored` is exactly it; `None`
/// when the record does not replay or the copy differs. The one check
/// behind [`signed_result`] and the start-up check (`service::integrity`).
pub(crate) fn shown_result(
    method: &ElectionMethod,
    round: &Round,
    record: &crate::log::record::TallyRecord,
    stored: &Value,
) -> Option<Value> {
    let result = crate::log::record::replay(method, round, record)?;
    let shown = result_doc(method, round, &result).ok()?;
    (shown == *stored).then_some(shown)
}

/// The record of the `tally_published` entry at `index`, if that entry is
/// one, for round `r`.
pub(crate) fn logged_record(
    conn: &Connection,
    meeting: &str,
    r: &str,
    index: u64,
) -> Result<Option<crate::log::record::TallyRecord>, Error> {
    let Some(bytes) = store::log::entry_bytes(conn, meeting, crate::log::merkle::LeafIndex(index))?
    else {
        return Ok(None);
    };
    let event = crate::log::entry::Entry::decode(&bytes)
        .ok()
        .and_then(|e| crate::log::event::decode(e.payload()).ok());
    Ok(match event {
        Some(Event::TallyPublished { round, record }) if round == r => Some(*record),
        _ => None,
    })
}

/// 409: the result a reader would be shown is not the signed one.
fn result_mismatch(r: &str) -> Error {
    Error::conflict(
        "result_mismatch",
        "本轮计票结果与日志中已签署的结果不符，不予显示或打印。数据库可能被改动，请监票人用审计包核验".to_string(),
        format!("the result of round {r} differs from the signed result in the log, so it is not shown or printed; the database may have been altered: have the scrutineers verify the audit bundle"),
    )
}

/// The result body of `GET …/result` (visibility already checked).
fn result_body(
    conn: &Connection,
    meeting: &str,
    l: &Loaded,
    cache: Option<&mut BallotCache>,
) -> Result<Value, Error> {
    let result = match l.row.state {
        RoundState::Open => {
            let m = load_meeting(conn, meeting)?;
            let method = super::stage::method_for(require_method(&m)?, l);
            partial_result(conn, meeting, l, &method, cache)?
        }
        RoundState::Closed => signed_result(conn, meeting, l)?,
        RoundState::Draft => Value::Null,
    };
    Ok(json!({
        "round": l.row.id,
        "state": l.row.state,
        "status": status_of(&l.row),
        "announced": l.row.announced,
        "checkpoint": result_checkpoint(conn, meeting, &l.row)?,
        "tallied_at": tallied_at(conn, meeting, &l.row)?,
        "result": result,
        "cosignatures": cosignature_summary(conn, meeting, &l.row)?,
        "cosigners": cosigners_json(conn, meeting, &l.row)?,
    }))
}

fn batches_json(conn: &Connection, meeting: &str, round: &str) -> Result<Value, Error> {
    let c = store::round::batch_counts(conn, meeting, round)?;
    Ok(json!({
        "reconciled": c.reconciled,
        "awaiting_second": c.awaiting_second,
        "differences": c.differences,
        "ballots_counted": c.ballots_counted,
    }))
}

/// The rule engine's view of a round before its facts are frozen: enough
/// for the rules that depend only on the kind, the seats and the list
/// (selection limit, write-ins).
fn list_facts(l: &Loaded) -> Round {
    Round {
        kind: l.kind,
        office: l.office,
        contest: l.contest.clone(),
        seats: l.row.seats,
        candidates: l.candidates.clone(),
        entitled: l.row.entitled.unwrap_or(0),
        present: l.row.present.unwrap_or(0),
        issued: l.row.issued.unwrap_or(0),
        returned: l.row.returned,
        next_size: l.row.next_size,
        replaced: l.stage.replaced.unwrap_or(0),
        voted: l.stage.voted,
        resolves: l.resolves,
        rating: l.stage.facts.rating.clone(),
    }
}

/// What a ballot of this round may carry under `method`, as the rule
/// engine decides it (`Round::selection_limit`, `Round::accepts_write_ins`):
/// the `ballot` part of a round in the API, so the screens render the rule
/// and never re-derive it.
pub(crate) fn ballot_rules(l: &Loaded, method: &ElectionMethod) -> Value {
    let r = list_facts(l);
    json!({
        "selection_limit": r.selection_limit(method),
        "write_ins_allowed": r.accepts_write_ins(method),
        "marks": ["Y", "N", "A", "?"],
        "mark_convention": method.mark_convention,
    })
}

/// A round as `GET …/rounds/{r}` shows it to `role`.
pub(crate) fn round_json(
    conn: &Connection,
    meeting: &str,
    l: &Loaded,
    actor: &Actor,
) -> Result<Value, Error> {
    let e = load_election(conn, meeting, &l.row.election)?;
    let origin: Value = l
        .row
        .origin_decision
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or(Value::Null);
    let decisions: Value = serde_json::from_str(&l.row.decisions).unwrap_or_else(|_| json!([]));
    let (counting, totals) = super::totals::totals_json(conn, meeting, l, actor)?;
    let next_round = decisions
        .as_array()
        .and_then(|ds| ds.iter().rev().find_map(|d| d.get("round").cloned()))
        .unwrap_or(Value::Null);
    let result = if l.row.state.has_result() && result_visible(conn, actor, l).is_ok() {
        result_body(conn, meeting, l, None)?["result"].clone()
    } else {
        Value::Null
    };
    let method = super::meeting::method_of(&load_meeting(conn, meeting)?)?
        .map(|m| super::stage::method_for(m, l));
    let ballot = method.as_ref().map_or(Value::Null, |m| ballot_rules(l, m));
    let offered = super::decision::offered_json(conn, meeting, l, actor, method.as_ref(), &result)?;
    Ok(json!({
        "id": l.row.id,
        "election": l.row.election,
        "contest": e.contest,
        "kind": l.row.kind,
        "office": l.row.office,
        "seats": l.row.seats,
        "candidates": l.candidates,
        "next_size": l.row.next_size,
        "state": l.row.state,
        "status": status_of(&l.row),
        "announced": l.row.announced,
        "facts": {
            "entitled": l.row.entitled,
            "present": l.row.present,
            "issued": l.row.issued,
            "returned": l.row.returned,
            "replaced": l.stage.replaced,
            "voted": l.stage.voted,
        },
        "stage": super::stage::stage_json(l, None),
        "groups": super::stage::group_results(conn, meeting, l)?,
        "batches": batches_json(conn, meeting, &l.row.id)?,
        "box": super::boxes::box_json(conn, meeting, l)?,
        "counting": counting,
        "totals": totals,
        "parent": l.row.parent,
        "origin_decision": origin,
        "decisions": decisions,
        "scrutineers": scrutineer_keys(conn, meeting, &l.row)?
            .iter()
            .map(|k| json!({ "name": k.name, "key": k.has_key, "excused": k.excused }))
            .collect::<Vec<_>>(),
        "next_round": next_round,
        "result": result,
        "ballot": ballot,
        "clauses": method
            .as_ref()
            .map(|m| report::method_text::round_clauses(m, &list_facts(l))),
        "offered_decisions": offered,
    }))
}

/// The live update of a round as of now: the latest signed checkpoint and
/// the round's state and count, read in one snapshot so the numbers are
/// exactly those of the checkpoint they are stamped with.
pub(crate) fn live_update_now(
    conn: &Connection,
    meeting: &str,
    round: &str,
    cache: Option<&mut BallotCache>,
) -> Result<Update, Error> {
    store::snapshot(conn, |conn| {
        let stamp = store::log::latest_checkpoint(conn, meeting)?
            .and_then(|(_, n)| super::stamp_of_note(&n))
            .ok_or_else(|| Error::internal("a meeting without a checkpoint"))?;
        let l = load_round(conn, meeting, round)?;
        let state = json!({
            "round": l.row.id,
            "state": l.row.state,
            "status": status_of(&l.row),
            "announced": l.row.announced,
            "batches": batches_json(conn, meeting, round)?,
            "checkpoint": stamp,
        });
        let tally = if !l.row.state.has_result() {
            None
        } else {
            let body = result_body(conn, meeting, &l, cache)?;
            Some(
                json!({
                    "round": l.row.id,
                    "status": status_of(&l.row),
                    "checkpoint": stamp,
                    "result": body["result"],
                })
                .to_string(),
            )
        };
        let assigned = store::meeting::assigned(conn, meeting, &l.row.election)?
            .into_iter()
            .map(|p| p.id)
            .collect();
        Ok(Update {
            round: round.to_string(),
            size: stamp.size,
            state: state.to_string(),
            tally,
            announced: l.row.announced,
            list_round: l.kind.proposes_list() || l.resolves.is_some_and(RoundKind::proposes_list),
            assigned,
        })
    })
}

/// `POST …/elections/{e}/rounds`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRound {
    pub kind: RoundKind,
    /// Absent only for a paper (`sections`).
    #[serde(default)]
    pub candidates: Vec<String>,
    #[serde(default)]
    pub seats: Option<u64>,
    #[serde(default)]
    pub next_size: Option<u64>,
    /// The stage's own method parts (overrides of
    /// `rules::stage_method::STAGE_PARAMETERS`), issue 11.
    #[serde(default)]
    pub method: Option<serde_json::Map<String, Value>>,
    /// `next_size` set by a ratio (RULES §9.2).
    #[serde(default)]
    pub next_rule: Option<crate::log::stage::NextRuleFacts>,
    /// A nomination or evaluation held by groups (RULES §9.1, §9.5).
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    /// The party organisation's nominees, listed directly.
    #[serde(default)]
    pub organisation: Option<super::stage::OrganisationRequest>,
    /// Several contests on one paper (RULES §9.7), each in its election.
    #[serde(default)]
    pub sections: Option<Vec<super::stage::SectionRequest>>,
    /// A cadre vote's earlier results (RULES §9.6).
    #[serde(default)]
    pub record: Vec<rules::record::EarlierResult>,
    /// Each nominee's post, when not the contest.
    #[serde(default)]
    pub posts: std::collections::BTreeMap<String, String>,
    /// Nominees deferred before the vote (缓议): not on the ballot.
    #[serde(default)]
    pub deferred: Vec<rules::record::Deferral>,
    /// An evaluation by levels or items (RULES §2.2): `candidates` are the
    /// people; the round's lines are the cells (`rules::rating`).
    #[serde(default)]
    pub rating: Option<rules::rating::RatingSpec>,
}

impl NewRound {
    /// A round of `kind` with its list and nothing of issue 11's.
    pub fn plain(kind: RoundKind, candidates: Vec<String>, next_size: Option<u64>) -> NewRound {
        NewRound {
            kind,
            candidates,
            seats: None,
            next_size,
            method: None,
            next_rule: None,
            groups: None,
            organisation: None,
            sections: None,
            record: Vec::new(),
            posts: Default::default(),
            deferred: Vec::new(),
            rating: None,
        }
    }
}

/// `POST …/rounds/{r}/open`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenRound {
    /// Required, except for a combined round (its groups' sum).
    #[serde(default)]
    pub issued: Option<u64>,
    /// A group round's own electorate (issue 11); other rounds take the
    /// meeting's.
    #[serde(default)]
    pub entitled: Option<u64>,
    #[serde(default)]
    pub present: Option<u64>,
    /// `totals`: counted by hand (唱票), `service::totals`.
    #[serde(default)]
    pub counting: super::totals::Counting,
}

impl OpenRound {
    /// An ordinary round's opening: `issued` ballots.
    pub fn issued(issued: u64) -> OpenRound {
        OpenRound {
            issued: Some(issued),
            ..OpenRound::default()
        }
    }
}

/// `POST …/rounds/{r}/close`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseRound {
    /// Optional once two scrutineers settled the box count at the box
    /// opening (`service::boxes`): the round closes with that number.
    #[serde(default)]
    pub returned: Option<u64>,
    /// `returned` typed a second time: required when it fails the box
    /// check, because that voids the round at once (a typo must not).
    #[serde(default)]
    pub confirm_void: Option<u64>,
    /// Spoiled ballots taken back and replaced (更换选票).
    #[serde(default)]
    pub replaced: Option<u64>,
    /// 投票人数, when the scrutineers recorded it.
    #[serde(default)]
    pub voted: Option<u64>,
}

/// Most candidates on one ballot.
pub const MAX_CANDIDATES: usize = 200;

/// Validates a new round's facts against the method, as far as they are
/// known before it opens. `entitled` is the meeting's.
pub(crate) fn validate_draft(
    method: &ElectionMethod,
    kind: RoundKind,
    office: Office,
    seats: u64,
    candidates: &[String],
    next_size: Option<u64>,
    entitled: u64,
) -> Result<(), Error> {
    if candidates.len() > MAX_CANDIDATES {
        return Err(Error::invalid(
            "candidates",
            format!(
                "候选人过多：{} 名，最多 {MAX_CANDIDATES} 名",
                candidates.len()
            ),
            format!(
                "too many candidates: {}, at most {MAX_CANDIDATES}",
                candidates.len()
            ),
        ));
    }
    let round = Round {
        kind,
        office,
        contest: String::new(),
        seats,
        candidates: candidates.to_vec(),
        entitled,
        present: entitled,
        issued: 0,
        returned: None,
        next_size,
        replaced: 0,
        voted: None,
        resolves: None,
        rating: None,
    };
    round.validate().map_err(|e| {
        let field = e.field.strip_prefix("round.").unwrap_or(e.field);
        Error::invalid(field, format!("{field}：{}", e.message), e.message.clone())
    })?;
    check_list(method, &round)
}

impl Service {
    /// Adds a draft round to an election.
    pub fn create_round(
        &self,
        actor: &Actor,
        election: &str,
        req: NewRound,
    ) -> Result<Reply, Error> {
        if matches!(req.kind, RoundKind::Runoff | RoundKind::Supplementary) {
            return Err(Error::new(
                Kind::Unprocessable,
                "round_kind_by_decision",
                "重新投票和另行选举由主席团决定产生",
                "runoff and supplementary rounds are made by a presidium decision",
            )
            .at("kind"));
        }
        let mut req = req;
        let (body, _) = self.write_as(actor, |tx| {
            let meeting = actor.meeting.clone();
            let m = load_meeting(&tx.tx, &meeting)?;
            let base = require_method(&m)?;
            // A stage's own method parts (issue 11), logged with the round.
            let method = match &req.method {
                Some(o) => super::stage::stage_method_of(&base, o)?,
                None => base,
            };
            let mut prepared = super::stage::Prepared {
                overrides: req.method.clone(),
                method: req.method.as_ref().map(|_| method.clone()),
                facts: Default::default(),
            };
            if let Some(rule) = &req.next_rule {
                req.next_size = Some(super::stage::next_size_of(rule, req.next_size)?);
                prepared.facts.next_rule = Some(*rule);
            }
            if let Some(spec) = &req.rating {
                let rating = super::stage::rating_of(&req, spec)?;
                req.candidates = rating.cells();
                prepared.facts.rating = Some(rating);
            }
            if let Some(sections) = &req.sections {
                return super::stage::create_paper(
                    tx, actor, election, &m, &method, &req, sections, &prepared,
                );
            }
            if let Some(groups) = &req.groups {
                return super::stage::create_groups(
                    tx, actor, election, &m, &method, &req, groups, &prepared,
                );
            }
            let e = load_election(&tx.tx, &meeting, election)?;
            let mut record = req.record.clone();
            super::stage::check_cadre(
                &tx.tx,
                &meeting,
                &method,
                req.kind,
                &e.contest,
                &req.candidates,
                &mut record,
                &req.posts,
                &req.deferred,
            )?;
            prepared.facts.record = record;
            prepared.facts.posts = req.posts.clone();
            prepared.facts.deferred = req.deferred.clone();
            let row = draft_checked(
                tx,
                &e.id,
                req.kind,
                &req.candidates,
                req.seats,
                req.next_size,
                &method,
                m.entitled,
            )?;
            super::stage::after_create(tx, actor, &row.id, &prepared)?;
            let l = loaded(&tx.tx, &meeting, row)?;
            round_json(&tx.tx, &meeting, &l, actor)
        })?;
        Ok(Reply::created(body))
    }

    pub fn round(&self, actor: &Actor, round: &str) -> Result<Reply, Error> {
        self.read(|conn| {
            let l = load_round(conn, &actor.meeting, round)?;
            round_json(conn, &actor.meeting, &l, actor).map(Reply::ok)
        })
    }

    /// Opens a round: ballots issued; the facts are frozen and logged.
    pub fn open_round(&self, actor: &Actor, round: &str, req: OpenRound) -> Result<Reply, Error> {
        let (body, stamp) = self.write_as(actor, |tx| {
            let meeting = actor.meeting.clone();
            let m = load_meeting(&tx.tx, &meeting)?;
            let mut l = load_round(&tx.tx, &meeting, round)?;
            let method = super::stage::method_for(require_method(&m)?, &l);
            let opened = require(&l.row, RoundEvent::Open)?;
            // The meeting's attendance, or a group's own electorate, or a
            // combined round's sums (`service::stage`).
            let open = super::stage::open_facts(
                &tx.tx,
                &meeting,
                m.entitled,
                m.present,
                &l,
                req.issued,
                req.entitled,
                req.present,
            )?;
            let (entitled, present) = (open.entitled, open.present);
            // Issued > present is normal with replacement ballots (更换选票,
            // RULES §3.3): a fact the box ruling reports, never an error.
            // The method may have changed since the draft was made.
            validate_draft(
                &method,
                l.kind,
                l.office,
                l.row.seats,
                &l.candidates,
                l.row.next_size,
                m.entitled,
            )?;
            let e = load_election(&tx.tx, &meeting, &l.row.election)?;
            super::stage::log_facts(tx, actor, &l, &method)?;
            tx.log(
                Some(actor.role),
                &Event::RoundOpened {
                    round: l.row.id.clone(),
                    contest: e.contest.clone(),
                    kind: l.kind,
                    office: l.office,
                    seats: l.row.seats,
                    candidates: l.candidates.clone(),
                    next_size: l.row.next_size,
                    entitled,
                    present,
                    issued: open.issued,
                    resolves: l.resolves,
                    election: Some(e.id.clone()),
                    by: Some(actor.name.clone()),
                },
            )?;
            if req.counting == super::totals::Counting::Totals {
                super::totals::mark(tx, actor, &l.row.id)?;
            }
            l.row.state = opened;
            l.row.entitled = Some(entitled);
            l.row.present = Some(present);
            l.row.issued = Some(open.issued);
            let rule_kind = match l.resolves {
                Some(k) if l.kind == RoundKind::Runoff => k,
                _ => l.kind,
            };
            if !method
                .participation_rule(rule_kind)
                .is_met(present, entitled)
            {
                // No quorum: the round cannot be held; nothing is counted.
                close_and_tally(tx, actor, &method, &mut l, 0, Vec::new(), None)?;
            }
            store::round::save_round(&tx.tx, &meeting, &l.row)?;
            round_json(&tx.tx, &meeting, &l, actor)
        })?;
        Ok(Reply::ok(body).stamped(stamp))
    }

    /// Closes a round: ballots returned, box check, the tally.
    pub fn close_round(&self, actor: &Actor, round: &str, req: CloseRound) -> Result<Reply, Error> {
        let (body, stamp) = self.write_as(actor, |tx| {
            let meeting = actor.meeting.clone();
            let m = load_meeting(&tx.tx, &meeting)?;
            let mut l = load_round(&tx.tx, &meeting, round)?;
            let method = super::stage::method_for(require_method(&m)?, &l);
            require_assigned(&tx.tx, actor, &l.row.election)?;
            require(&l.row, RoundEvent::Close)?;
            let pending: Vec<String> = store::round::batches(&tx.tx, &meeting, round)?
                .into_iter()
                .filter(|b| b.state != BatchState::Reconciled)
                .map(|b| b.id)
                .collect();
            if !pending.is_empty() {
                return Err(Error::conflict(
                    "batches_pending",
                    format!(
                        "还有 {} 批选票未核对一致：{}",
                        pending.len(),
                        pending.join("、")
                    ),
                    format!(
                        "{} batches are not reconciled: {}",
                        pending.len(),
                        pending.join(", ")
                    ),
                )
                .with(json!({ "batches": pending })));
            }
            let keyless: Vec<String> = scrutineer_keys(&tx.tx, &meeting, &l.row)?
                .into_iter()
                .filter(|k| !k.has_key && !k.excused)
                .map(|k| k.name)
                .collect();
            if !keyless.is_empty() {
                return Err(Error::conflict(
                    "scrutineer_without_key",
                    format!(
                        "监票人 {} 尚未登记签名公钥，不能结束计票。请其登记公钥；确实不能到场的，须由主席团决定不等待其签名",
                        keyless.join("、")
                    ),
                    format!(
                        "scrutineer {} has no registered key, so the count cannot close; they must register one, or the presidium must decide to proceed without them",
                        keyless.join(", ")
                    ),
                )
                .with(json!({ "scrutineers": keyless })));
            }
            let (returned, boxed) =
                super::boxes::returned_at_close(&tx.tx, &meeting, round, req.returned)?;
            // Replacement ballots and the number who voted; a paper's
            // sections agree; a combined round's counts are its groups'.
            let combined = super::stage::close_facts(
                &tx.tx,
                &meeting,
                &mut l,
                returned,
                req.replaced,
                req.voted,
            )?;
            let round_facts = facts(&l, Some(returned))?;
            let limit = round_facts.box_limit(&method);
            // A box count two scrutineers settled is confirmed already.
            if returned > limit && !boxed && req.confirm_void != Some(returned) {
                let (base_zh, base_en) = match method.box_check {
                    rules::method::BoxCheck::Issued => ("发出选票", "ballots issued"),
                    rules::method::BoxCheck::Voters => ("投票人数", "voters"),
                };
                return Err(Error::conflict(
                    "void_not_confirmed",
                    format!(
                        "收回选票 {returned} 张多于{base_zh} {limit}，本次选举将无效，全部选票不予计算。请核对；确属如此，须再次填写收回选票张数予以确认"
                    ),
                    format!(
                        "{returned} returned is more than the {limit} {base_en}: the election would be void and no ballot counted. Check the number; if it is right, confirm it by typing it again (confirm_void)"
                    ),
                )
                .at("confirm_void")
                .with(json!({ "returned": returned, "limit": limit })));
            }
            // A round counted by hand is tallied from its totals.
            let hand = super::totals::at_close(&tx.tx, &meeting, round)?;
            if let (Some(t), true) = (&hand, returned <= limit) {
                if t.ballots() != returned {
                    return Err(super::boxes::count_mismatch(returned, t.ballots(), boxed));
                }
            }
            let ballots = if combined.is_some() || hand.is_some() {
                Vec::new()
            } else if returned <= limit {
                let ballots = round_ballots(&tx.tx, &meeting, round)?;
                if ballots.len() as u64 != returned {
                    return Err(super::boxes::count_mismatch(
                        returned,
                        ballots.len() as u64,
                        boxed,
                    ));
                }
                ballots
            } else {
                // The box check fails: the round is void, nothing is counted.
                Vec::new()
            };
            // A combined round's groups' sums, or a hand count's totals.
            let counts = combined.or_else(|| {
                hand.filter(|_| returned <= limit)
                    .map(|t| t.counts())
            });
            close_and_tally(tx, actor, &method, &mut l, returned, ballots, counts)?;
            store::round::save_round(&tx.tx, &meeting, &l.row)?;
            round_json(&tx.tx, &meeting, &l, actor)
        })?;
        Ok(Reply::ok(body).stamped(stamp))
    }

    /// The result of a round, where the role may see it.
    pub fn result(&self, actor: &Actor, round: &str) -> Result<Reply, Error> {
        self.read(|conn| {
            let l = load_round(conn, &actor.meeting, round)?;
            result_visible(conn, actor, &l)?;
            if !l.row.state.has_result() {
                return Err(Error::conflict(
                    "round_not_open",
                    "轮次尚未开始",
                    "the round has not been opened",
                ));
            }
            result_body(conn, &actor.meeting, &l, None).map(Reply::ok)
        })
    }

    /// Refuses a live stream of a round that does not exist (404), so no
    /// channel is ever made for an unknown round id. Every role the route
    /// allows may watch a round's state; its tallies are filtered per
    /// update by [`may_see_result`].
    pub fn watchable(&self, actor: &Actor, round: &str) -> Result<(), Error> {
        self.read(|conn| load_round(conn, &actor.meeting, round).map(|_| ()))
    }

    /// The current state of a round, for a new live viewer.
    pub fn live_snapshot(&self, actor: &Actor, round: &str) -> Result<Update, Error> {
        self.read(|conn| live_update_now(conn, &actor.meeting, round, None))
    }
}

/// A draft round of `election`, checked as `POST …/rounds` checks it:
/// the names, the method's list rule, no supervisor among the candidates
/// and, once the presidium accepted a list, exactly that list; saved.
#[allow(clippy::too_many_arguments)]
pub(crate) fn draft_checked(
    tx: &mut Tx<'_>,
    election: &str,
    kind: RoundKind,
    candidates: &[String],
    seats: Option<u64>,
    next_size: Option<u64>,
    method: &ElectionMethod,
    entitled: u64,
) -> Result<RoundRow, Error> {
    let meeting = tx.meeting().to_string();
    let e = load_election(&tx.tx, &meeting, election)?;
    let office: Office = enum_parse(&e.office)?;
    let candidates = check_candidates(&tx.tx, &meeting, &e.id, candidates)?;
    let seats = seats.unwrap_or(e.seats);
    validate_draft(
        method,
        kind,
        office,
        seats,
        &candidates,
        next_size,
        entitled,
    )?;
    if let Some(list) = &e.accepted_list {
        let accepted: Vec<String> = serde_json::from_str(list).map_err(Error::internal)?;
        let mut a = accepted.clone();
        let mut c = candidates.clone();
        a.sort();
        c.sort();
        if a != c {
            return Err(Error::new(
                Kind::Unprocessable,
                "list_not_accepted",
                format!("候选人名单须为主席团通过的名单：{}", accepted.join("、")),
                format!(
                    "the list must be the one the presidium accepted: {}",
                    accepted.join(", ")
                ),
            )
            .at("candidates"));
        }
    }
    let row = draft_round(
        tx,
        &e.id,
        kind,
        &e.office,
        seats,
        &candidates,
        next_size,
        None,
    )?;
    store::round::save_round(&tx.tx, &meeting, &row)?;
    Ok(row)
}

/// A new round in the `draft` state with the next round id of the meeting;
/// `parent` is the round whose decision called it (runoff, supplementary).
#[allow(clippy::too_many_arguments)]
pub(crate) fn draft_round(
    tx: &mut Tx<'_>,
    election: &str,
    kind: RoundKind,
    office: &str,
    seats: u64,
    candidates: &[String],
    next_size: Option<u64>,
    parent: Option<String>,
) -> Result<RoundRow, Error> {
    let meeting = tx.meeting().to_string();
    let id = format!(
        "r{}",
        store::meeting::next_number(&tx.tx, &meeting, store::meeting::Sequence::Round)?
    );
    Ok(RoundRow {
        id,
        election: election.to_string(),
        kind: kind.as_str().into(),
        office: office.to_string(),
        seats,
        candidates: serde_json::to_string(candidates).map_err(Error::internal)?,
        next_size,
        state: RoundState::Draft,
        entitled: None,
        present: None,
        issued: None,
        returned: None,
        result: None,
        tally_index: None,
        tally_size: None,
        cosigners: None,
        required: None,
        certified: false,
        announced: false,
        parent,
        origin_decision: None,
        decisions: "[]".into(),
    })
}

/// A round state in Chinese, for messages (no English state words in
/// Chinese text).
pub(crate) fn state_zh(state: RoundState) -> &'static str {
    match state {
        RoundState::Draft => "尚未开始",
        RoundState::Open => "投票计票中",
        RoundState::Closed => "已结束计票",
    }
}

/// The round's state after `event` (`crate::state::round`), or the 409
/// that says why the round cannot take it.
pub(crate) fn require(row: &RoundRow, event: RoundEvent) -> Result<RoundState, Error> {
    row.state
        .next(event)
        .map_err(|Refused { from, event }| match event {
            RoundEvent::Open => Error::conflict(
                "round_not_draft",
                format!("本轮已经开始（{}）", state_zh(from)),
                format!("round {} is already {from}", row.id),
            ),
            RoundEvent::Enter | RoundEvent::Close => Error::conflict(
                "round_not_open",
                format!(
                    "本轮{}，不在投票计票中，不能再录入或结束计票",
                    state_zh(from)
                ),
                format!("round {} is not open ({from})", row.id),
            ),
            RoundEvent::Certify | RoundEvent::Decide => Error::conflict(
                "round_not_tallied",
                "本轮尚未结束计票".to_string(),
                format!("round {} has not been closed and tallied", row.id),
            ),
        })
}

/// A reading, resolution or discard may act on the round: it is open.
pub(crate) fn require_open(row: &RoundRow) -> Result<(), Error> {
    require(row, RoundEvent::Enter).map(|_| ())
}

/// Counters and scrutineers act only in the elections they are assigned
/// to; other roles pass.
pub(crate) fn require_assigned(
    conn: &Connection,
    actor: &Actor,
    election: &str,
) -> Result<(), Error> {
    if matches!(actor.role, Role::Counter | Role::Scrutineer)
        && !store::meeting::is_assigned(conn, &actor.meeting, election, &actor.person)?
    {
        return Err(Error::forbidden(
            "not_assigned",
            format!("{}未被指派到选举 {election}", actor.role.zh()),
            format!(
                "this {} is not assigned to election {election}",
                actor.role.as_str()
            ),
        ));
    }
    Ok(())
}

/// Closes `l` with `returned` ballots and publishes the rule engine's
/// result: `round_closed` then `tally_published`, the last entries of the
/// transaction, so the checkpoint signed at commit is the one to cosign.
fn close_and_tally(
    tx: &mut Tx<'_>,
    actor: &Actor,
    method: &ElectionMethod,
    l: &mut Loaded,
    returned: u64,
    ballots: Vec<Ballot>,
    counts: Option<rules::tally::Counts>,
) -> Result<(), Error> {
    let round = facts(l, Some(returned))?;
    let result = match counts {
        // A combined round: the sums of its groups' signed counts; a round
        // counted by hand: its reconciled totals (`service::totals`).
        Some(c) if round.is_counted(method, returned) => rules::evaluate_counts(method, &round, c),
        _ => rules::evaluate(method, &round, &ballots),
    };
    let record = crate::log::record::record(method, &round, &result);
    // The state table keeps the result as people see it; every read shows
    // it only after checking it against the signed record
    // ([`signed_result`]).
    let shown = result_doc(method, &round, &result)?;
    // The k-of-n rule: the election's scrutineers with a key, as of now.
    let mut cosigners = Vec::new();
    for p in store::meeting::assigned(&tx.tx, tx.meeting(), &l.row.election)? {
        if p.role != Role::Scrutineer {
            continue;
        }
        if let Some(key) = p.key.as_deref() {
            if VerifierKey::parse(key).is_ok() {
                cosigners.push(Cosigner {
                    person: p.id.clone(),
                    name: p.name.clone(),
                    key: key.to_string(),
                });
            }
        }
    }
    let required = method.cosignatures_required(cosigners.len() as u64);
    tx.log(
        Some(actor.role),
        &Event::RoundClosed {
            round: l.row.id.clone(),
            returned,
            replaced: l.stage.replaced,
            voted: l.stage.voted,
            by: Some(actor.name.clone()),
        },
    )?;
    let index = tx.log(
        None,
        &Event::TallyPublished {
            round: l.row.id.clone(),
            record: Box::new(record),
        },
    )?;
    l.row.state = require(&l.row, RoundEvent::Close)?;
    l.row.returned = Some(returned);
    l.row.result = Some(shown.to_string());
    l.row.tally_index = Some(index.0);
    l.row.tally_size = Some(index.0 + 1);
    l.row.cosigners = Some(serde_json::to_string(&cosigners).map_err(Error::internal)?);
    l.row.required = Some(required);
    if l.stage != super::stage::Stage::default() {
        l.stage.save(tx, &l.row.id)?;
    }
    Ok(())
}
