//! What every use case reads first, kept below them all so that none
//! imports another for it (tests/architecture.rs, no module cycles): a
//! request's text read through the one reader of names, the stored enums,
//! the meeting and its adopted method, an election, a round with its typed
//! columns and its stage ([`Loaded`], [`Stage`]), the rule engine's view of
//! a round ([`facts`]), the scrutineers of its election, and the checks a
//! use case makes before it acts: the round's state ([`require`]) and the
//! caller's assignment ([`require_assigned`]).

use rusqlite::Connection;
use serde_json::{json, Map, Value};

use super::{Actor, Error, Role, Tx};
use crate::log::note::VerifierKey;
use crate::log::stage::StageFacts;
use crate::rules::{ElectionMethod, Office, Round, RoundKind};
use crate::state::{Refused, RoundEvent, RoundState};
use crate::store::meeting::{ElectionRow, MeetingRow};
use crate::store::{self, round::RoundRow};

pub use crate::rules::name::MAX_NAME;

/// A name or label as stored: trimmed, NFC, non-empty, without control,
/// format or bidi characters, at most `max` characters
/// ([`crate::rules::name::clean`], the one reader of names).
pub(crate) fn text(field: &str, value: &str, max: usize) -> Result<String, Error> {
    crate::rules::name::clean(value, max).map_err(|e| Error::invalid(field, e.zh(), e.en()))
}

/// The snake_case name of a serde enum value.
pub(crate) fn enum_str<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// A serde enum from its snake_case name.
pub(crate) fn enum_parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, Error> {
    serde_json::from_value(Value::String(s.to_string()))
        .map_err(|e| Error::internal(format!("stored value {s:?}: {e}")))
}

pub(crate) fn load_meeting(conn: &Connection, id: &str) -> Result<MeetingRow, Error> {
    store::meeting::meeting(conn, id)?.ok_or_else(|| Error::not_found("会议", "meeting", id))
}

/// The adopted method of a meeting, if any.
pub(crate) fn method_of(m: &MeetingRow) -> Result<Option<ElectionMethod>, Error> {
    m.method
        .as_deref()
        .map(|j| {
            serde_json::from_str(j).map_err(|e| Error::internal(format!("stored method: {e}")))
        })
        .transpose()
}

pub(crate) fn require_method(m: &MeetingRow) -> Result<ElectionMethod, Error> {
    method_of(m)?.ok_or_else(|| {
        Error::conflict(
            "method_not_adopted",
            "会议尚未通过选举办法",
            "the meeting has not adopted an election method yet",
        )
    })
}

pub(crate) fn load_election(
    conn: &Connection,
    meeting: &str,
    id: &str,
) -> Result<ElectionRow, Error> {
    store::meeting::election(conn, meeting, id)?
        .ok_or_else(|| Error::not_found("选举", "election", id))
}

/// The candidate names of a stored round.
pub(crate) fn candidates_of(r: &RoundRow) -> Result<Vec<String>, Error> {
    serde_json::from_str(&r.candidates)
        .map_err(|e| Error::internal(format!("stored candidates: {e}")))
}

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
    pub stage: Stage,
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
        stage: Stage::load(conn, meeting, &row.id)?,
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

/// A round's stage as stored (`store::stage`), parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Stage {
    pub overrides: Option<Map<String, Value>>,
    pub method: Option<ElectionMethod>,
    pub facts: StageFacts,
    pub replaced: Option<u64>,
    pub voted: Option<u64>,
}

impl Stage {
    pub(crate) fn load(conn: &Connection, meeting: &str, round: &str) -> Result<Stage, Error> {
        let Some(row) = store::stage::stage(conn, meeting, round)? else {
            return Ok(Stage::default());
        };
        let parse = |what: &str, s: &str| -> Result<Value, Error> {
            serde_json::from_str(s).map_err(|e| Error::internal(format!("stored {what}: {e}")))
        };
        let overrides = match row.overrides.as_deref() {
            Some(s) => match parse("stage overrides", s)? {
                Value::Object(o) => Some(o),
                _ => return Err(Error::internal("stored stage overrides: not an object")),
            },
            None => None,
        };
        let method = match row.method.as_deref() {
            Some(s) => Some(
                serde_json::from_value(parse("stage method", s)?)
                    .map_err(|e| Error::internal(format!("stored stage method: {e}")))?,
            ),
            None => None,
        };
        let facts = serde_json::from_value(parse("stage facts", &row.facts)?)
            .map_err(|e| Error::internal(format!("stored stage facts: {e}")))?;
        Ok(Stage {
            overrides,
            method,
            facts,
            replaced: row.replaced,
            voted: row.voted,
        })
    }

    pub(crate) fn save(&self, tx: &Tx<'_>, round: &str) -> Result<(), Error> {
        let row = store::stage::StageRow {
            overrides: self.overrides.as_ref().map(to_json).transpose()?,
            method: self.method.as_ref().map(to_json).transpose()?,
            facts: to_json(&self.facts)?,
            replaced: self.replaced,
            voted: self.voted,
        };
        store::stage::save_stage(&tx.tx, tx.meeting(), round, &row)?;
        Ok(())
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, Error> {
    serde_json::to_string(v).map_err(Error::internal)
}

/// The method a round is decided under: its stage's, else the meeting's.
pub(crate) fn method_for(meeting: ElectionMethod, l: &Loaded) -> ElectionMethod {
    l.stage.method.clone().unwrap_or(meeting)
}
