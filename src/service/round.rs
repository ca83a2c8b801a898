//! Rounds: created as drafts with a validated list, opened with their facts
//! frozen, closed with the ballots returned, tallied by the rule engine.
//!
//! ```text
//!  draft ──open──▶ open ──close──▶ closed
//!                   │  (no quorum: closed at once, status no_quorum)
//!  status:  —   unofficial-partial   unofficial-complete ──k-of-n cosign──▶ certified
//! ```
//!
//! The moves are `crate::state::round` (pure, table-tested);
//! `lookup::require` asks it and turns a refusal into the 409.
//!
//! The round view (`GET …/rounds/{r}`, and the reply of every change to a
//! round) is put together here from the parts below it: the stage
//! (`stage`), the box count (`boxes`), hand counts (`totals`), the
//! decisions on offer (`decision_rule`) and the signed result (`result`).
//! A new round's request and draft are `draft`.

use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{json, Value};

use super::draft::{draft_checked, validate_draft, NewRound};
use super::live::{BallotCache, Update};
use super::lookup::{
    facts, load_election, load_meeting, load_round, loaded, require, require_assigned,
    require_method, scrutineer_keys, status_of, Loaded, Stage,
};
use super::result::{result_doc, signed_result};
use super::{Actor, Error, Kind, Reply, Role, Service, Tx};
use crate::log::event::{BatchBallots, Event};
use crate::log::note::VerifierKey;
use crate::report;
use crate::rules::{self, Ballot, ElectionMethod, Round, RoundKind};
use crate::state::{self, BatchState, Hidden, RoundEvent, RoundState};
use crate::store::{self, round::RoundRow};

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
            let method = super::lookup::method_for(require_method(&m)?, l);
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
/// and never re-derive it. A rated round adds its table (`rating`): the
/// levels, each row's person, item and the line of each level, and how
/// many ticks a row takes (`rules::rating`).
pub(crate) fn ballot_rules(l: &Loaded, method: &ElectionMethod) -> Value {
    let r = list_facts(l);
    json!({
        "selection_limit": r.selection_limit(method),
        "write_ins_allowed": r.accepts_write_ins(method),
        "marks": ["Y", "N", "A", "?"],
        "mark_convention": method.mark_convention,
        "rating": r.rating.as_ref().map(|g| json!({
            "levels": g.levels,
            "rows": g.table(),
            "ticks_per_row": crate::rules::rating::TICKS_PER_ROW,
            "tick": "Y",
            "blank": "A",
            "rule_zh": g.describe_zh(),
            "rule_en": g.describe_en(),
        })),
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
    let method = super::lookup::method_of(&load_meeting(conn, meeting)?)?
        .map(|m| super::lookup::method_for(m, l));
    let ballot = method.as_ref().map_or(Value::Null, |m| ballot_rules(l, m));
    let offered =
        super::decision_rule::offered_json(conn, meeting, l, actor, method.as_ref(), &result)?;
    let mut stage = super::stage::stage_json(l, None);
    if let Value::Object(o) = &mut stage {
        o.insert(
            "refused".into(),
            super::stage::refused_now(conn, meeting, l, method.as_ref())?,
        );
    }
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
        "stage": stage,
        "groups": super::stage::group_results(conn, meeting, l)?,
        "amended_by": super::stage::amended_by(conn, meeting, l)?,
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
            wire: Default::default(),
        })
    })
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
                let (l, paper) = super::stage::create_paper(
                    tx, actor, election, &m, &method, &req, sections, &prepared,
                )?;
                let mut body = round_json(&tx.tx, tx.meeting(), &l, actor)?;
                body["paper"] = json!(paper);
                return Ok(body);
            }
            if let Some(groups) = &req.groups {
                let l = super::stage::create_groups(
                    tx, actor, election, &m, &method, &req, groups, &prepared,
                )?;
                return round_json(&tx.tx, tx.meeting(), &l, actor);
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
                prepared.facts.rating.as_ref().map(|r| r.people.as_slice()),
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
            let method = super::lookup::method_for(require_method(&m)?, &l);
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
            let method = super::lookup::method_for(require_method(&m)?, &l);
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
    if l.stage != Stage::default() {
        l.stage.save(tx, &l.row.id)?;
    }
    Ok(())
}
