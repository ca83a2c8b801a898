//! Rounds counted by hand (唱票计票, issue 12 item 24). When the organiser
//! opens a round with `counting: totals`, its counters do not enter
//! ballots: each enters the totals read out at the counting table — per
//! candidate the votes for, against and abstaining, and the valid and
//! void ballots (`rules::totals`). Like a batch, the totals need two
//! readings by two counters: each is logged as `entry_committed` of batch
//! [`TOTALS_BATCH`] (a SHA-256 digest of the reading), signed by the
//! counter. Identical readings reconcile at once; otherwise the
//! scrutineers see each candidate whose totals differ and either choose a
//! reading (`difference_resolved`) or send the totals back for re-entry
//! (`batch_discarded`). The reconciled totals are logged by the service as
//! `totals_counted`, and the round is tallied from them.

use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::lookup::{
    facts, load_meeting, load_round, require_assigned, require_method, require_open, text, Loaded,
};
use super::{Actor, Error, Kind, Reply, Role, Service, Tx};
use crate::log::event::{Event, TOTALS_BATCH};
use crate::rules::totals::HandTotals;
use crate::store;

/// How a round is counted, chosen when it opens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// Ballot by ballot, in batches (the default).
    #[default]
    Ballots,
    /// By hand (唱票): the counters enter totals.
    Totals,
}

/// `POST …/rounds/{r}/totals/resolve`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveTotals {
    pub resolution: TotalsResolution,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TotalsResolution {
    First,
    Second,
    /// Both readings are set aside; the counters enter the totals again.
    SendBack,
}

/// Marks the round `tx` just opened as counted by hand (logged right
/// after its `round_opened`).
pub(crate) fn mark(tx: &mut Tx<'_>, actor: &Actor, round: &str) -> Result<(), Error> {
    tx.log(
        Some(actor.role),
        &Event::HandCount {
            round: round.to_string(),
            by: Some(actor.name.clone()),
        },
    )?;
    store::totals::mark(&tx.tx, tx.meeting(), round)?;
    Ok(())
}

fn parse(json: &str) -> Result<HandTotals, Error> {
    serde_json::from_str(json).map_err(Error::internal)
}

/// `None` for a round counted ballot by ballot; else its reconciled
/// totals, if any.
fn hand(
    conn: &Connection,
    meeting: &str,
    round: &str,
) -> Result<Option<Option<HandTotals>>, Error> {
    Ok(match store::totals::hand_count(conn, meeting, round)? {
        None => None,
        Some(None) => Some(None),
        Some(Some(j)) => Some(Some(parse(&j)?)),
    })
}

/// Whether the round is counted by hand.
pub(crate) fn is_hand(conn: &Connection, meeting: &str, round: &str) -> Result<bool, Error> {
    Ok(store::totals::hand_count(conn, meeting, round)?.is_some())
}

/// At closing: `None` for a round counted ballot by ballot; the
/// reconciled totals of a hand-counted one, or 409 while there are none.
pub(crate) fn at_close(
    conn: &Connection,
    meeting: &str,
    round: &str,
) -> Result<Option<HandTotals>, Error> {
    match hand(conn, meeting, round)? {
        None => Ok(None),
        Some(Some(t)) => Ok(Some(t)),
        Some(None) => Err(Error::conflict(
            "totals_pending",
            "唱票计票的结果尚未由两名计票人录入一致，不能结束计票",
            "the hand count's totals are not yet entered alike by two counters; the count cannot close",
        )),
    }
}

/// Refuses ballots in a round counted by hand.
pub(crate) fn refuse_ballots(conn: &Connection, meeting: &str, round: &str) -> Result<(), Error> {
    if is_hand(conn, meeting, round)? {
        return Err(Error::conflict(
            "counted_by_hand",
            "本轮以唱票方式计票，请录入各候选人的票数合计，不逐张录入选票",
            "this round is counted by hand: enter each candidate's totals, not ballots",
        ));
    }
    Ok(())
}

fn digest(totals: &HandTotals) -> Result<String, Error> {
    let bytes = serde_json::to_vec(totals).map_err(Error::internal)?;
    let mut h = Sha256::new();
    h.update(b"scrutineer totals v1\n");
    h.update(&bytes);
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The `counting` and `totals` of a round's view. The scrutineers of the
/// election see both readings and the candidates that differ; a counter
/// sees their own reading; everyone sees where it stands.
pub(crate) fn totals_json(
    conn: &Connection,
    meeting: &str,
    l: &Loaded,
    actor: &Actor,
) -> Result<(Value, Value), Error> {
    let Some(counted) = hand(conn, meeting, &l.row.id)? else {
        return Ok((json!("ballots"), Value::Null));
    };
    let entries = store::totals::entries(conn, meeting, &l.row.id)?;
    let readings: Vec<(String, String, HandTotals)> = entries
        .iter()
        .map(|e| Ok((e.person.clone(), e.name.clone(), parse(&e.totals)?)))
        .collect::<Result<_, Error>>()?;
    let state = match (&counted, readings.len()) {
        (Some(_), _) => "reconciled",
        (None, 0) => "none",
        (None, 1) => "awaiting_second",
        _ => "differences",
    };
    let assigned = matches!(actor.role, Role::Scrutineer)
        && store::meeting::is_assigned(conn, meeting, &l.row.election, &actor.person)?;
    let reading = |t: &HandTotals, name: &str| json!({ "name": name, "totals": t });
    let mut body = json!({
        "state": state,
        "entered_by": readings.iter().map(|r| r.1.clone()).collect::<Vec<_>>(),
    });
    if assigned {
        body["readings"] = readings.iter().map(|r| reading(&r.2, &r.1)).collect();
        if let [a, b, ..] = readings.as_slice() {
            let mut differs: Vec<Value> =
                a.2.differing_lines(&b.2)
                    .into_iter()
                    .map(|i| {
                        json!({
                            "line": i,
                            "candidate": l.candidates.get(i),
                            "first": a.2.lines.get(i),
                            "second": b.2.lines.get(i),
                        })
                    })
                    .collect();
            for (field, x, y) in [
                ("valid", a.2.valid, b.2.valid),
                ("void", a.2.void, b.2.void),
            ] {
                if x != y {
                    differs.push(json!({ "field": field, "first": x, "second": y }));
                }
            }
            body["differences"] = Value::Array(differs);
        }
    } else if actor.role == Role::Counter {
        body["mine"] = readings
            .iter()
            .find(|r| r.0 == actor.person)
            .map(|r| json!(r.2))
            .unwrap_or(Value::Null);
    }
    Ok((json!("totals"), body))
}

/// Logs and stores the reconciled totals.
fn reconcile(tx: &mut Tx<'_>, round: &str, totals: &HandTotals) -> Result<(), Error> {
    tx.log(
        None,
        &Event::TotalsCounted {
            round: round.to_string(),
            totals: totals.clone(),
        },
    )?;
    let json = serde_json::to_string(totals).map_err(Error::internal)?;
    store::totals::set_counted(&tx.tx, tx.meeting(), round, &json)?;
    Ok(())
}

impl Service {
    /// A counter's reading of a hand-counted round's totals.
    pub fn enter_totals(
        &self,
        actor: &Actor,
        round: &str,
        req: HandTotals,
    ) -> Result<Reply, Error> {
        let (body, stamp) = self.write_as(actor, |tx| {
            let meeting = actor.meeting.clone();
            let m = load_meeting(&tx.tx, &meeting)?;
            let method = require_method(&m)?;
            let l = load_round(&tx.tx, &meeting, round)?;
            require_assigned(&tx.tx, actor, &l.row.election)?;
            require_open(&l.row)?;
            match hand(&tx.tx, &meeting, round)? {
                None => {
                    return Err(Error::conflict(
                        "not_counted_by_hand",
                        "本轮逐张录入选票，不录入票数合计",
                        "this round is counted ballot by ballot, not by totals",
                    ))
                }
                Some(Some(_)) => {
                    return Err(Error::conflict(
                        "totals_reconciled",
                        "唱票结果已核对一致，不能再录入",
                        "the totals are reconciled; nothing more is entered",
                    ))
                }
                Some(None) => {}
            }
            let entries = store::totals::entries(&tx.tx, &meeting, round)?;
            if entries.iter().any(|e| e.person == actor.person) {
                return Err(Error::conflict(
                    "already_entered",
                    "您已录入过本轮的唱票结果，须由另一名计票人录入第二遍",
                    "you entered these totals already; another counter must enter them the second time",
                ));
            }
            if entries.len() >= 2 {
                return Err(Error::conflict(
                    "totals_differ",
                    "两名计票人录入的唱票结果不一致，须由监票人处理",
                    "two readings of the totals differ; the scrutineers must resolve them",
                ));
            }
            let round_facts = facts(&l, None)?;
            req.check(&method, &round_facts)
                .map_err(|e| Error::invalid(e.field, e.zh, e.en))?;
            let issued = round_facts.issued;
            if req.ballots() > issued {
                return Err(Error::new(
                    Kind::Unprocessable,
                    "ballots_over_issued",
                    format!("有效票 {} 张、废票 {} 张，合计多于发出的选票 {issued} 张", req.valid, req.void),
                    format!("{} valid and {} void make more than the {issued} ballots issued", req.valid, req.void),
                )
                .at("valid"));
            }
            tx.log(
                Some(actor.role),
                &Event::EntryCommitted {
                    round: round.to_string(),
                    batch: TOTALS_BATCH.to_string(),
                    counter: actor.name.clone(),
                    ballots: req.ballots(),
                    digest: digest(&req)?,
                },
            )?;
            let json = serde_json::to_string(&req).map_err(Error::internal)?;
            store::totals::insert_entry(&tx.tx, &meeting, round, &actor.person, &actor.name, &json)?;
            let state = match entries.first() {
                None => "awaiting_second",
                Some(first) if parse(&first.totals)? == req => {
                    reconcile(tx, round, &req)?;
                    "reconciled"
                }
                Some(_) => "differences",
            };
            tx.touch(round);
            Ok(json!({ "round": round, "state": state, "mine": req }))
        })?;
        Ok(Reply::created(body).stamped(stamp))
    }

    /// A scrutineer settles two readings that differ: one of them, or
    /// both sent back for re-entry.
    pub fn resolve_totals(
        &self,
        actor: &Actor,
        round: &str,
        req: ResolveTotals,
    ) -> Result<Reply, Error> {
        let reason = match &req.reason {
            Some(r) if !r.trim().is_empty() => Some(text("reason", r, 200)?),
            _ => None,
        };
        let (body, stamp) = self.write_as(actor, |tx| {
            let meeting = actor.meeting.clone();
            let l = load_round(&tx.tx, &meeting, round)?;
            require_assigned(&tx.tx, actor, &l.row.election)?;
            require_open(&l.row)?;
            let entries = store::totals::entries(&tx.tx, &meeting, round)?;
            let pending = store::totals::hand_count(&tx.tx, &meeting, round)? == Some(None);
            // A reading may be sent back alone (a counter who misread it
            // before the second reading); one is chosen only of two.
            let (first, second) = match (pending, entries.as_slice(), req.resolution) {
                (true, [first, rest @ ..], TotalsResolution::SendBack) => (first, rest.first()),
                (true, [first, second, ..], _) => (first, Some(second)),
                _ => {
                    return Err(Error::conflict(
                        "no_totals_difference",
                        "没有需要处理的唱票结果差异",
                        "there are no differing totals to resolve",
                    ))
                }
            };
            let state = match req.resolution {
                TotalsResolution::SendBack => {
                    let reason = reason.clone().unwrap_or_else(|| "退回重新录入".to_string());
                    tx.log(
                        Some(actor.role),
                        &Event::BatchDiscarded {
                            round: round.to_string(),
                            batch: TOTALS_BATCH.to_string(),
                            reason,
                            by: Some(actor.name.clone()),
                        },
                    )?;
                    store::totals::clear_entries(&tx.tx, &meeting, round)?;
                    "none"
                }
                r => {
                    let (chosen, word) = match (r, second) {
                        (TotalsResolution::First, _) | (_, None) => (first, "first"),
                        (_, Some(second)) => (second, "second"),
                    };
                    let totals = parse(&chosen.totals)?;
                    tx.log(
                        Some(actor.role),
                        &Event::DifferenceResolved {
                            round: round.to_string(),
                            batch: TOTALS_BATCH.to_string(),
                            position: None,
                            resolution: word.to_string(),
                            reason: reason.clone(),
                            by: Some(actor.name.clone()),
                        },
                    )?;
                    reconcile(tx, round, &totals)?;
                    "reconciled"
                }
            };
            tx.touch(round);
            Ok(json!({ "round": round, "state": state }))
        })?;
        Ok(Reply::ok(body).stamped(stamp))
    }
}
