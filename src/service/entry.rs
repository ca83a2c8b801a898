//! Ballot entry with double entry (双人录入).
//!
//! ```text
//!  (none) ──first entry──▶ awaiting_second ──second entry──▶ reconciled
//!                                 │                    (entries agree)
//!                                 └──▶ differences ──last difference resolved──▶ reconciled
//! ```
//!
//! The moves are `crate::state::batch` and `crate::state::difference`
//! (pure, table-tested); `step` asks them and turns a refusal into the
//! 409.
//!
//! A batch is one stack of paper ballots. Two different counters enter it
//! independently; each entry is logged only as a salted digest
//! (`entry_committed`). When the second entry arrives the two are compared
//! ballot by ballot and line by line; if they agree the batch is reconciled
//! at once, otherwise a scrutineer resolves every difference (which entry
//! read the paper right, or void the ballot with a reason). A reconciled
//! batch is logged as a `ballot_batch` whose ballots are sorted, and the
//! entries' readings are erased: the order of entry does not survive.

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::lookup::{
    load_meeting, load_round, require_assigned, require_method, require_open, Loaded,
};
use super::{hex, Actor, Error, Kind, Redaction, Reply, Role, Service, Tx};
use crate::log::entry::MAX_PAYLOAD_LEN;
use crate::log::event::{BatchBallots, Event};
use crate::rules::ballot::{self, Shape};
use crate::rules::{Ballot, RoundKind};
use crate::state::{batch as batch_state, BatchEvent, BatchState, Pick, Refused, Resolution};
use crate::store::{
    self,
    round::{BatchRow, DifferenceRow, EntryRow},
};

/// Most ballots in one batch (so a reconciled batch fits one log entry).
pub const MAX_BATCH: usize = 500;

/// Domain separation of entry digests.
const DIGEST_CONTEXT: &[u8] = b"scrutineer/reading/v1\n";

/// `POST …/batches/{b}/entries`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    pub ballots: Vec<Value>,
    /// The second counter confirms the order is right after the service
    /// said it looks reversed ([`looks_reversed`]).
    #[serde(default)]
    pub order_checked: bool,
}

/// Whether a second entry looks keyed in the reverse order of the first:
/// the two differ, and read backwards the second agrees with the first on
/// more papers than read forwards, and on at least four in five of them
/// (a misread or two still counts as reversed). Two papers: exactly
/// reversed. A stack of identical papers reads the same both ways and is
/// never "reversed". Comparison is by position (docs/service.md), so a
/// reversed stack would make almost every paper a difference.
pub fn looks_reversed(first: &[Value], second: &[Value]) -> bool {
    let n = first.len();
    if n < 2 || n != second.len() || first == second {
        return false;
    }
    let forwards = first.iter().zip(second).filter(|(a, b)| a == b).count();
    let backwards = first
        .iter()
        .zip(second.iter().rev())
        .filter(|(a, b)| a == b)
        .count();
    if n == 2 {
        return backwards == 2;
    }
    backwards > forwards && backwards * 5 >= n * 4
}

/// `POST …/batches/{b}/resolutions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resolve {
    pub position: u64,
    pub resolution: Resolution,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST …/batches/{b}/discard`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discard {
    pub reason: String,
}

/// The batch `label` after a reading or a resolution
/// (`crate::state::batch`), or the 409 that says why it cannot take it.
fn step(label: &str, from: Option<BatchState>, event: BatchEvent) -> Result<BatchState, Error> {
    match batch_state::next(from, event) {
        Ok(Some(to)) => Ok(to),
        Ok(None) => Err(Error::internal(format!("{event:?} removed batch {label}"))),
        Err(Refused {
            event: BatchEvent::Reading { .. },
            ..
        }) => Err(Error::conflict(
            "batch_complete",
            format!("批次 {label} 已有两次录入"),
            format!("batch {label} already has two readings"),
        )),
        Err(Refused { from, .. }) => Err(Error::conflict(
            "batch_has_no_differences",
            format!(
                "批次 {label} 没有待处理的差异（{}）",
                match from {
                    Some(BatchState::AwaitingSecond) | None => "等待第二次录入",
                    Some(BatchState::Differences | BatchState::Reconciled) => "已核对一致",
                }
            ),
            format!(
                "batch {label} has no differences to resolve ({})",
                from.map_or("none", BatchState::as_str)
            ),
        )),
    }
}

/// A batch label: 1–32 characters from `A–Z a–z 0–9 - _ .`, spaces around
/// it trimmed. Labels name paper batches and are compared without regard
/// to case (`T1` and `t1` are one batch, kept as first written).
fn check_batch_id(id: &str) -> Result<String, Error> {
    let id = id.trim();
    let ok = !id.is_empty()
        && id.len() <= 32
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(id.to_string())
    } else {
        Err(Error::invalid(
            "batch",
            "批次编号须为 1–32 个字母、数字或 - _ .",
            "a batch label is 1 to 32 characters from A-Z a-z 0-9 - _ .",
        ))
    }
}

/// What a ballot of the round must fit: its candidate lines; free names
/// on a nomination ballot.
pub(super) fn shape_of(l: &Loaded) -> Shape {
    Shape {
        lines: l.candidates.len(),
        free_names: l.kind == RoundKind::Nomination,
    }
}

/// Reads one entered ballot through the one reader
/// ([`crate::rules::ballot`]), with its canonical JSON ([`canonical`]).
fn parse_ballot(v: &Value, i: usize, shape: Shape) -> Result<(Ballot, Value), Error> {
    let ballot = ballot::from_json_for(v, shape).map_err(|e| {
        // A marks string is the ballot itself: its marks are at the
        // ballot's own path.
        let field = match e.path().as_str() {
            "marks" if v.is_string() => format!("ballots[{i}]"),
            "" => format!("ballots[{i}]"),
            p => format!("ballots[{i}].{p}"),
        };
        Error::invalid(field, e.zh(), e.en())
    })?;
    let c = canonical(&ballot);
    Ok((ballot, c))
}

fn parse_ballots(values: &[Value], shape: Shape) -> Result<(Vec<Ballot>, Vec<Value>), Error> {
    if values.is_empty() {
        return Err(Error::invalid(
            "ballots",
            "一批至少有一张选票",
            "a batch holds at least one ballot",
        ));
    }
    if values.len() > MAX_BATCH {
        return Err(Error::new(
            Kind::Unprocessable,
            "batch_too_large",
            format!("一批最多 {MAX_BATCH} 张选票，现有 {} 张", values.len()),
            format!(
                "at most {MAX_BATCH} ballots per batch; {} given",
                values.len()
            ),
        )
        .at("ballots"));
    }
    let mut ballots = Vec::with_capacity(values.len());
    let mut canonical = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let (b, c) = parse_ballot(v, i, shape)?;
        ballots.push(b);
        canonical.push(c);
    }
    Ok((ballots, canonical))
}

/// Room left in a log entry for what the scrutineers may add while
/// resolving differences (void reasons).
const RESOLUTION_MARGIN: usize = 8 * 1024;

/// Refuses, at entry time, a batch whose reconciled ballots could not be
/// logged as one entry (long write-ins on many ballots): better to split
/// the paper batch now than to be stuck with an entry that cannot reconcile.
fn check_fits_one_entry(l: &Loaded, batch: &str, ballots: &[Ballot]) -> Result<(), Error> {
    let encoded =
        BatchBallots::from_ballots(l.candidates.len(), ballots).map_err(Error::internal)?;
    let probe = Event::BallotBatch {
        round: l.row.id.clone(),
        batch: batch.to_string(),
        ballots: encoded,
    };
    let len = crate::log::event::encode(&probe).len();
    if len + RESOLUTION_MARGIN > MAX_PAYLOAD_LEN {
        return Err(Error::new(
            Kind::Unprocessable,
            "batch_too_large",
            format!("这批选票记录过大（{len} 字节），请分成较小的批次录入"),
            format!(
                "this batch is too large for one log entry ({len} bytes); split the paper batch"
            ),
        )
        .at("ballots"));
    }
    Ok(())
}

fn stored_ballots(e: &EntryRow) -> Result<Vec<Value>, Error> {
    let text = e
        .ballots
        .as_deref()
        .ok_or_else(|| Error::internal("entry readings already erased"))?;
    serde_json::from_str(text).map_err(|e| Error::internal(format!("stored entry: {e}")))
}

/// One ballot of a stored reading's canonical JSON back into the rule
/// engine's form, through the same reader as when it was entered.
fn ballot_of(v: &Value, shape: Shape) -> Result<Ballot, Error> {
    ballot::from_json_for(v, shape).map_err(|e| Error::internal(format!("stored reading: {e}")))
}

/// A ballot in the canonical JSON of a reading: a marks string when it
/// has no write-in and no free name, else `{"marks", "write_ins",
/// "names"}` (the last two only when not empty), or `{"void": reason}` —
/// what [`parse_ballot`] makes of a counter's entry of the same paper.
pub(super) fn canonical(ballot: &Ballot) -> Value {
    match ballot {
        Ballot::Void { reason } => json!({ "void": reason }),
        Ballot::Marked {
            marks,
            write_ins,
            names,
        } => {
            let m: String = marks.iter().map(|m| m.as_char()).collect();
            if write_ins.is_empty() && names.is_empty() {
                return Value::String(m);
            }
            let mut o = Map::new();
            o.insert("marks".into(), Value::String(m));
            if !write_ins.is_empty() {
                let ins: Map<String, Value> = write_ins
                    .iter()
                    .map(|(l, n)| (l.to_string(), Value::String(n.clone())))
                    .collect();
                o.insert("write_ins".into(), Value::Object(ins));
            }
            if !names.is_empty() {
                o.insert("names".into(), json!(names));
            }
            Value::Object(o)
        }
    }
}

/// The ballots a round may still take: ballots issued, and those it
/// holds already, counted or being read ([`store::round::ballots_read`]).
/// No reading may take a round above the ballots issued.
#[derive(Debug, Clone, Copy)]
pub(super) struct Issued {
    pub round_issued: u64,
    pub read: u64,
}

impl Issued {
    pub fn of(conn: &Connection, meeting: &str, l: &Loaded) -> Result<Issued, Error> {
        Ok(Issued {
            round_issued: l.row.issued.unwrap_or(0),
            read: store::round::ballots_read(conn, meeting, &l.row.id)?,
        })
    }

    /// The refusal when `adding` more ballots than the round holds now
    /// would pass the ballots issued (`what` names them: 本批 / this batch).
    pub fn refuse(&self, round: &str, adding: u64, what: (&str, &str)) -> Error {
        let (issued, read) = (self.round_issued, self.read);
        let total = read.saturating_add(adding);
        Error::new(
            Kind::Unprocessable,
            "ballots_over_issued",
            format!(
                "第 {round} 轮共发出选票 {issued} 张；已计入或正在核对 {read} 张，{}{adding} 张，合计 {total} 张，超过发出的选票数，未录入",
                what.0
            ),
            format!(
                "round {round}: {issued} ballots were issued; {read} are counted or being read, and {} {adding}: {total} in all, more than were issued; nothing was entered",
                what.1
            ),
        )
        .with(json!({ "issued": issued, "read": read, "adding": adding, "total": total }))
    }
}

/// A mark string and any write-in per line, for line-by-line comparison.
fn line_values(v: &Value) -> Option<Vec<String>> {
    let (marks, ins) = match v {
        Value::String(s) => (s.as_str(), None),
        Value::Object(o) => (
            o.get("marks")?.as_str()?,
            o.get("write_ins").and_then(Value::as_object),
        ),
        _ => return None,
    };
    Some(
        marks
            .chars()
            .enumerate()
            .map(|(i, c)| {
                match ins
                    .and_then(|m| m.get(&i.to_string()))
                    .and_then(Value::as_str)
                {
                    Some(name) => format!("{c}:{name}"),
                    None => c.to_string(),
                }
            })
            .collect(),
    )
}

/// The JSON of one side of a difference.
fn side_json(v: Option<&Value>) -> Value {
    match v {
        None => Value::Null,
        Some(Value::String(s)) => json!({ "marks": s }),
        Some(other) => other.clone(),
    }
}

fn difference_json(d: &DifferenceRow, candidates: &[String]) -> Value {
    let first: Option<Value> = d
        .first
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok());
    let second: Option<Value> = d
        .second
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok());
    let mut lines = Vec::new();
    if let (Some(a), Some(b)) = (
        first.as_ref().and_then(line_values),
        second.as_ref().and_then(line_values),
    ) {
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            if x != y {
                lines.push(json!({
                    "line": i,
                    "candidate": candidates.get(i),
                    "first": x,
                    "second": y,
                }));
            }
        }
    }
    json!({
        "position": d.position,
        "first": side_json(first.as_ref()),
        "second": side_json(second.as_ref()),
        "lines": lines,
        "resolution": d.resolution,
        "reason": d.reason,
        "resolved_by": d.resolved_by,
    })
}

fn person_name(conn: &Connection, meeting: &str, person: &str) -> Result<String, Error> {
    Ok(store::meeting::person(conn, meeting, person)?
        .map(|p| p.name)
        .unwrap_or_else(|| person.to_string()))
}

/// A batch as a scrutineer or an auditor sees it.
fn batch_json(conn: &Connection, meeting: &str, l: &Loaded, b: &BatchRow) -> Result<Value, Error> {
    let mut entries = Vec::new();
    for e in store::round::entries(conn, meeting, &l.row.id, &b.id)? {
        entries.push(json!({
            "entry": if e.ordinal == 1 { "first" } else { "second" },
            "counter": person_name(conn, meeting, &e.person)?,
            "ballots": e.count,
            "digest": e.digest,
        }));
    }
    let diffs = store::round::differences(conn, meeting, &l.row.id, &b.id)?;
    Ok(json!({
        "id": b.id,
        "state": b.state,
        "ballots": b.ballots,
        "entries": entries,
        "differences": diffs.iter().map(|d| difference_json(d, &l.candidates)).collect::<Vec<_>>(),
        "resolutions": resolutions_of(b)?,
    }))
}

/// How a reconciled batch's differences were resolved, without positions
/// or readings (`[]` if the entries agreed or it is not reconciled).
fn resolutions_of(b: &BatchRow) -> Result<Value, Error> {
    match &b.resolutions {
        None => Ok(json!([])),
        Some(j) => {
            serde_json::from_str(j).map_err(|e| Error::internal(format!("stored resolutions: {e}")))
        }
    }
}

/// A batch as one of its counters sees it: their own entry only.
fn own_batch_json(
    conn: &Connection,
    meeting: &str,
    round: &str,
    b: &BatchRow,
    person: &str,
) -> Result<Option<Value>, Error> {
    let own = store::round::entries(conn, meeting, round, &b.id)?
        .into_iter()
        .find(|e| e.person == person);
    Ok(own.map(|e| {
        let ballots: Value = e
            .ballots
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(Value::Null);
        json!({
            "id": b.id,
            "state": b.state,
            "own_entry": {
                "entry": if e.ordinal == 1 { "first" } else { "second" },
                "ballots": ballots,
                "count": e.count,
                "digest": e.digest,
            },
        })
    }))
}

/// Domain separation of the request hash that stands for an entry once its
/// readings are erased (it names the batch, not what was read).
const ERASED_ENTRY_CONTEXT: &[u8] = b"scrutineer/entry-erased/v1\n";

fn erased_entry_hash(round: &str, batch: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(ERASED_ENTRY_CONTEXT);
    h.update(round.as_bytes());
    h.update(b"\n");
    h.update(batch.as_bytes());
    h.finalize().to_vec()
}

/// Reconciles a batch whose final ballots are known: logs them sorted and
/// erases what could give their order away — the entries' readings and
/// salts, the ballot-by-ballot differences (only how each was resolved is
/// kept, without its position), the salts in the entries' stored replies
/// and the hashes of their requests — then has the WAL truncated after
/// the commit.
fn reconcile(
    tx: &mut Tx<'_>,
    l: &Loaded,
    batch: &mut BatchRow,
    ballots: &[Ballot],
) -> Result<(), Error> {
    let meeting = tx.meeting().to_string();
    let encoded =
        BatchBallots::from_ballots(l.candidates.len(), ballots).map_err(Error::internal)?;
    let index = tx.log(
        None,
        &Event::BallotBatch {
            round: l.row.id.clone(),
            batch: batch.id.clone(),
            ballots: encoded.clone(),
        },
    )?;
    let diffs = store::round::differences(&tx.tx, &meeting, &l.row.id, &batch.id)?;
    let mut resolutions: Vec<Value> = diffs
        .iter()
        .map(|d| json!({ "resolution": d.resolution, "reason": d.reason, "resolved_by": d.resolved_by }))
        .collect();
    resolutions.sort_by_key(Value::to_string);
    batch.state = BatchState::Reconciled;
    batch.ballots = Some(encoded.len());
    batch.reconciled = Some(serde_json::to_string(&encoded).map_err(Error::internal)?);
    batch.seq = Some(index.0);
    batch.resolutions = if resolutions.is_empty() {
        None
    } else {
        Some(Value::Array(resolutions).to_string())
    };
    store::round::save_batch(&tx.tx, &meeting, &l.row.id, batch)?;
    for e in store::round::entries(&tx.tx, &meeting, &l.row.id, &batch.id)? {
        if let Some(key) = e.idempotency_key {
            tx.redact(Redaction {
                person: e.person,
                key,
                request_hash: erased_entry_hash(&l.row.id, &batch.id),
                drop: &["salt"],
            });
        }
    }
    store::round::erase_entry_ballots(&tx.tx, &meeting, &l.row.id, &batch.id)?;
    tx.erased();
    Ok(())
}

/// One reading of a batch: a counter's entry, or an imported file's
/// chunk.
pub(super) struct Reading<'a> {
    /// The batch label as given (compared without regard to case).
    pub label: &'a str,
    pub ballots: &'a [Ballot],
    /// The same ballots in the canonical JSON ([`canonical`]), in paper
    /// order.
    pub canonical: &'a [Value],
    /// The request's `Idempotency-Key`, whose stored reply is redacted at
    /// reconciliation.
    pub idempotency_key: Option<&'a str>,
    /// The reader confirmed the order of a second reading that looks
    /// reversed (or it is a file, read in the reader's own order).
    pub order_checked: bool,
}

/// What a reading did.
pub(super) struct Committed {
    /// The batch label as first written.
    pub batch: String,
    /// 1: the first reading; 2: the second.
    pub ordinal: u8,
    pub digest: String,
    /// Hex, for the person who read (erased at reconciliation).
    pub salt: String,
    /// The batch's state after it.
    pub state: BatchState,
}

/// What a reading finds before it writes anything: the batch as stored
/// (if any), its label as first written, its readings so far, and what
/// this reading would make of it. Every refusal of a reading is made here.
struct Plan {
    existing: Option<BatchRow>,
    batch: String,
    entries: Vec<EntryRow>,
    from: Option<BatchState>,
    /// The batch's state once it takes a reading (agreement aside).
    accepted: BatchState,
    /// 1: the first reading; 2: the second.
    ordinal: u8,
    /// Ballots this reading adds to the round's `issued.read`.
    adding: u64,
}

/// The checks of [`commit_reading`], on `conn` (the writer's transaction,
/// or a reader's snapshot when a counter's entry is prepared for
/// signing): the same person never gives both readings, a batch takes
/// two, the round never passes its ballots issued, and a second reading
/// that looks reversed is refused unless its order was checked.
fn plan_reading(
    conn: &Connection,
    l: &Loaded,
    actor: &Actor,
    reading: &Reading<'_>,
    issued: &Issued,
) -> Result<Plan, Error> {
    let meeting = actor.meeting.as_str();
    let round = l.row.id.as_str();
    let existing = store::round::batch(conn, meeting, round, reading.label)?;
    // The label as first written, whatever the case typed now.
    let batch = existing
        .as_ref()
        .map_or(reading.label, |b| b.id.as_str())
        .to_string();
    let entries = match &existing {
        Some(_) => store::round::entries(conn, meeting, round, &batch)?,
        None => Vec::new(),
    };
    if entries.iter().any(|e| e.person == actor.person) {
        return Err(Error::conflict(
            "already_entered",
            format!("您已录入过批次 {batch}"),
            format!("you already entered batch {batch}"),
        ));
    }
    // Whether the batch takes a reading does not depend on agreement.
    let from = existing.as_ref().map(|b| b.state);
    let accepted = step(&batch, from, BatchEvent::Reading { agrees: true })?;
    if entries.len() >= 2 {
        return Err(Error::conflict(
            "batch_complete",
            format!("批次 {batch} 已有两次录入"),
            format!("batch {batch} already has two readings"),
        ));
    }
    // Never above the ballots issued: this reading adds what it
    // reads beyond the batch's earlier reading.
    let count = reading.ballots.len() as u64;
    let before = entries.iter().map(|e| e.count).max().unwrap_or(0);
    let adding = count.saturating_sub(before);
    if issued.read.saturating_add(adding) > issued.round_issued {
        return Err(issued.refuse(round, adding, ("本批", "this batch adds")));
    }
    let ordinal: u8 = if entries.is_empty() { 1 } else { 2 };
    // Before anything is written: a stack keyed from the bottom would make
    // every paper a difference. The counter is asked to check (nothing is
    // logged); `order_checked` confirms.
    if ordinal == 2 && !reading.order_checked {
        let first = stored_ballots(&entries[0])?;
        if looks_reversed(&first, reading.canonical) {
            return Err(Error::conflict(
                "entry_reversed",
                format!(
                    "批次 {batch} 的这次录入看起来与第一次录入的顺序相反（像是从这叠选票的最下面一张开始录入的）。两次录入按先后逐张比对：请核对顺序后重新提交"
                ),
                format!(
                    "this entry of batch {batch} looks keyed in the reverse order of the first one (from the bottom of the stack); entries are compared paper by paper: check the order and submit again"
                ),
            )
            .at("ballots"));
        }
    }
    Ok(Plan {
        existing,
        batch,
        entries,
        from,
        accepted,
        ordinal,
        adding,
    })
}

/// A reading as it is stored until its batch reconciles: the canonical
/// ballots as one JSON array, in paper order.
fn canonical_text(canonical: &[Value]) -> Result<String, Error> {
    serde_json::to_string(canonical).map_err(Error::internal)
}

/// The salted digest an `entry_committed` logs of a reading.
fn digest_of(salt: &[u8; 16], canonical_text: &str) -> String {
    let mut h = Sha256::new();
    h.update(DIGEST_CONTEXT);
    h.update(salt);
    h.update(canonical_text.as_bytes());
    hex(&h.finalize())
}

/// The entry a counter signs for their reading of `batch`.
fn entry_committed(round: &str, batch: &str, actor: &Actor, ballots: usize, digest: &str) -> Event {
    Event::EntryCommitted {
        round: round.to_string(),
        batch: batch.to_string(),
        counter: actor.name.clone(),
        ballots: ballots as u64,
        digest: digest.to_string(),
    }
}

/// Records `actor`'s reading of a batch: stored until the batch
/// reconciles, logged only as the salted digest (`entry_committed`, in the
/// actor's name, signed by them). A second reading by another person is
/// compared ballot by ballot with the first: identical, the batch
/// reconciles (the service logs its `ballot_batch`); otherwise its
/// differences wait for the scrutineers. The same person never gives both
/// readings, and no reading takes the round above its ballots issued
/// (`issued`, updated).
pub(super) fn commit_reading(
    tx: &mut Tx<'_>,
    l: &Loaded,
    actor: &Actor,
    reading: Reading<'_>,
    issued: &mut Issued,
) -> Result<Committed, Error> {
    let Plan {
        existing,
        batch,
        entries,
        from,
        accepted,
        ordinal,
        adding,
    } = plan_reading(&tx.tx, l, actor, &reading, issued)?;
    let Reading {
        ballots,
        canonical,
        idempotency_key,
        ..
    } = reading;
    let meeting = actor.meeting.clone();
    let round = l.row.id.as_str();
    let batch = &batch;
    issued.read += adding;
    let canonical_text = canonical_text(canonical)?;
    let salt = tx.salt(&[round, batch, &actor.person]);
    let digest = digest_of(&salt, &canonical_text);
    let mut row = existing.unwrap_or(BatchRow {
        id: batch.to_string(),
        state: accepted,
        ballots: None,
        reconciled: None,
        seq: None,
        resolutions: None,
    });
    store::round::save_batch(&tx.tx, &meeting, round, &row)?;
    store::round::insert_entry(
        &tx.tx,
        &meeting,
        round,
        batch,
        &EntryRow {
            ordinal,
            person: actor.person.clone(),
            count: ballots.len() as u64,
            ballots: Some(canonical_text),
            digest: digest.clone(),
            salt: hex(&salt),
            idempotency_key: idempotency_key.map(str::to_string),
        },
    )?;
    tx.log(
        Some(actor.role),
        &entry_committed(round, batch, actor, ballots.len(), &digest),
    )?;
    // The counter's entry is the last one they sign: when it is only
    // being prepared for their signature, comparing and reconciling can
    // wait for the signed request (nothing of this one is kept).
    if ordinal == 2 && !tx.preparing() {
        let first = stored_ballots(&entries[0])?;
        let n = first.len().max(canonical.len());
        let mut differences = 0;
        for pos in 0..n {
            let (a, b) = (first.get(pos), canonical.get(pos));
            if a != b {
                differences += 1;
                store::round::insert_difference(
                    &tx.tx,
                    &meeting,
                    round,
                    batch,
                    &DifferenceRow {
                        position: pos as u64,
                        first: a.map(Value::to_string),
                        second: b.map(Value::to_string),
                        resolution: None,
                        reason: None,
                        resolved_by: None,
                    },
                )?;
            }
        }
        match step(
            batch,
            from,
            BatchEvent::Reading {
                agrees: differences == 0,
            },
        )? {
            BatchState::Reconciled => reconcile(tx, l, &mut row, ballots)?,
            to => {
                row.state = to;
                store::round::save_batch(&tx.tx, &meeting, round, &row)?;
                tx.touch(round);
            }
        }
    }
    Ok(Committed {
        batch: batch.to_string(),
        ordinal,
        digest,
        salt: hex(&salt),
        state: row.state,
    })
}

/// A counter's entry as read against its round, before the batch is
/// looked at.
struct CheckedEntry {
    l: Loaded,
    ballots: Vec<Ballot>,
    canonical: Vec<Value>,
    issued: Issued,
}

/// The checks of a counter's entry that do not depend on the batch: the
/// round is open, counted ballot by ballot, the counter is assigned to
/// its election, and the ballots fit it and one log entry.
fn checked_entry(
    conn: &Connection,
    actor: &Actor,
    round: &str,
    batch: &str,
    values: &[Value],
) -> Result<CheckedEntry, Error> {
    let meeting = actor.meeting.as_str();
    let l = load_round(conn, meeting, round)?;
    require_assigned(conn, actor, &l.row.election)?;
    require_open(&l.row)?;
    super::totals::refuse_ballots(conn, meeting, round)?;
    let (ballots, canonical) = parse_ballots(values, shape_of(&l))?;
    super::stage::check_rating_ballots(&l, &ballots)?;
    check_fits_one_entry(&l, batch, &ballots)?;
    let issued = Issued::of(conn, meeting, &l)?;
    Ok(CheckedEntry {
        l,
        ballots,
        canonical,
        issued,
    })
}

impl Service {
    /// A counter's entry of one paper batch (idempotent under `key`).
    pub fn enter_batch(
        &self,
        actor: &Actor,
        round: &str,
        batch: &str,
        key: &str,
        body: &[u8],
    ) -> Result<Reply, Error> {
        let label = check_batch_id(batch)?;
        let req: NewEntry = super::parse_json(body)?;
        let request =
            serde_json::to_vec(&json!({ "round": round, "batch": batch, "ballots": req.ballots }))
                .map_err(Error::internal)?;
        let erased = erased_entry_hash(round, batch);
        // The first request of a counter's entry (no signature yet) is
        // answered from a reader's snapshot, outside the writer lock:
        // the signed request checks everything again under it.
        let prepared = self.prepare_idempotent(actor, key, &request, Some(&erased), |p| {
            let e = checked_entry(p.conn, actor, round, batch, &req.ballots)?;
            let reading = Reading {
                label: &label,
                ballots: &e.ballots,
                canonical: &e.canonical,
                idempotency_key: Some(key),
                order_checked: req.order_checked,
            };
            let plan = plan_reading(p.conn, &e.l, actor, &reading, &e.issued)?;
            let salt = p.salt(&[&e.l.row.id, &plan.batch, &actor.person]);
            let digest = digest_of(&salt, &canonical_text(&e.canonical)?);
            p.sign(
                actor.role,
                &entry_committed(&e.l.row.id, &plan.batch, actor, e.ballots.len(), &digest),
            )
        })?;
        if let Some(reply) = prepared {
            return Ok(reply);
        }
        self.write_idempotent(actor, key, &request, Some(&erased), |tx| {
            let e = checked_entry(&tx.tx, actor, round, batch, &req.ballots)?;
            let CheckedEntry {
                l,
                ballots,
                canonical,
                mut issued,
            } = e;
            let reading = Reading {
                label: &label,
                ballots: &ballots,
                canonical: &canonical,
                idempotency_key: Some(key),
                order_checked: req.order_checked,
            };
            let r = commit_reading(tx, &l, actor, reading, &mut issued)?;
            Ok(Reply::created(json!({
                "round": round,
                "batch": r.batch,
                "entry": if r.ordinal == 1 { "first" } else { "second" },
                "ballots": ballots.len(),
                "digest": r.digest,
                "salt": r.salt,
                "batch_state": r.state,
            })))
        })
    }

    /// Batches of a round: all for scrutineers and auditors, their own for
    /// a counter.
    pub fn batches(&self, actor: &Actor, round: &str) -> Result<Reply, Error> {
        self.read(|conn| {
            let meeting = &actor.meeting;
            let l = load_round(conn, meeting, round)?;
            require_assigned(conn, actor, &l.row.election)?;
            let mut out = Vec::new();
            if actor.role == Role::Counter {
                for id in store::round::batches_entered_by(conn, meeting, round, &actor.person)? {
                    if let Some(b) = store::round::batch(conn, meeting, round, &id)? {
                        if let Some(v) = own_batch_json(conn, meeting, round, &b, &actor.person)? {
                            out.push(v);
                        }
                    }
                }
            } else {
                for b in store::round::batches(conn, meeting, round)? {
                    let entries = store::round::entries(conn, meeting, round, &b.id)?;
                    let diffs = store::round::differences(conn, meeting, round, &b.id)?;
                    let mut es = Vec::new();
                    for e in &entries {
                        es.push(json!({ "counter": person_name(conn, meeting, &e.person)?, "ballots": e.count }));
                    }
                    let resolved = resolutions_of(&b)?.as_array().map_or(0, Vec::len);
                    out.push(json!({
                        "id": b.id,
                        "state": b.state,
                        "ballots": b.ballots,
                        "entries": es,
                        "differences": diffs.len().max(resolved),
                        "unresolved": diffs.iter().filter(|d| d.resolution.is_none()).count(),
                    }));
                }
            }
            Ok(Reply::ok(Value::Array(out)))
        })
    }

    pub fn batch(&self, actor: &Actor, round: &str, batch: &str) -> Result<Reply, Error> {
        self.read(|conn| {
            let meeting = &actor.meeting;
            let l = load_round(conn, meeting, round)?;
            require_assigned(conn, actor, &l.row.election)?;
            let not_found = || Error::not_found("批次", "batch", batch);
            let b = store::round::batch(conn, meeting, round, batch)?.ok_or_else(not_found)?;
            if actor.role == Role::Counter {
                return own_batch_json(conn, meeting, round, &b, &actor.person)?
                    .map(Reply::ok)
                    .ok_or_else(not_found);
            }
            batch_json(conn, meeting, &l, &b).map(Reply::ok)
        })
    }

    /// A scrutineer discards a batch that was never reconciled (a stray
    /// entry under a wrong label, a batch to be entered again): logged
    /// with the reason; its entries and differences are removed, and the
    /// label is free again.
    pub fn discard_batch(
        &self,
        actor: &Actor,
        round: &str,
        batch: &str,
        req: Discard,
    ) -> Result<Reply, Error> {
        let reason = super::lookup::text("reason", &req.reason, 200)?;
        let (body, stamp) = self.write_as(actor, |tx| {
            let meeting = actor.meeting.clone();
            let l = load_round(&tx.tx, &meeting, round)?;
            require_assigned(&tx.tx, actor, &l.row.election)?;
            require_open(&l.row)?;
            let b = store::round::batch(&tx.tx, &meeting, round, batch)?
                .ok_or_else(|| Error::not_found("批次", "batch", batch))?;
            if batch_state::next(Some(b.state), BatchEvent::Discard).is_err() {
                return Err(Error::conflict(
                    "batch_reconciled",
                    format!("批次 {} 已核对一致并计入，不能作废", b.id),
                    format!(
                        "batch {} is reconciled and counted; it cannot be discarded",
                        b.id
                    ),
                ));
            }
            tx.log(
                Some(actor.role),
                &Event::BatchDiscarded {
                    round: round.to_string(),
                    batch: b.id.clone(),
                    reason: reason.clone(),
                    by: Some(actor.name.clone()),
                },
            )?;
            store::round::discard_batch(&tx.tx, &meeting, round, &b.id)?;
            tx.touch(round);
            Ok(json!({ "round": round, "batch": b.id, "discarded": true, "reason": reason }))
        })?;
        Ok(Reply::ok(body).stamped(stamp))
    }

    /// A scrutineer resolves one difference; the last one reconciles.
    pub fn resolve(
        &self,
        actor: &Actor,
        round: &str,
        batch: &str,
        req: Resolve,
    ) -> Result<Reply, Error> {
        let reason = match &req.reason {
            Some(r) => Some(super::lookup::text("reason", r, 200)?),
            None => None,
        };
        if req.resolution == Resolution::Void && reason.is_none() {
            return Err(Error::invalid(
                "reason",
                "认定废票须写明理由",
                "declaring a ballot void needs the reason",
            ));
        }
        let (body, stamp) = self.write_as(actor, |tx| {
            let meeting = actor.meeting.clone();
            let m = load_meeting(&tx.tx, &meeting)?;
            require_method(&m)?;
            let l = load_round(&tx.tx, &meeting, round)?;
            require_assigned(&tx.tx, actor, &l.row.election)?;
            require_open(&l.row)?;
            let mut b = store::round::batch(&tx.tx, &meeting, round, batch)?
                .ok_or_else(|| Error::not_found("批次", "batch", batch))?;
            let label = b.id.clone();
            let batch = label.as_str();
            let diffs = store::round::differences(&tx.tx, &meeting, round, batch)?;
            let unresolved = diffs.iter().filter(|d| d.resolution.is_none()).count();
            let to = step(
                batch,
                Some(b.state),
                BatchEvent::Resolved {
                    left: unresolved.saturating_sub(1),
                },
            )?;
            let not_a_difference = || {
                Error::new(
                    Kind::Unprocessable,
                    "not_a_difference",
                    format!("第 {} 张不是待处理的差异", req.position),
                    format!("position {} is not an unresolved difference", req.position),
                )
                .at("position")
            };
            let d = diffs
                .iter()
                .find(|d| d.position == req.position)
                .ok_or_else(not_a_difference)?;
            let resolution = req
                .resolution
                .resolve(d.resolution)
                .map_err(|_| not_a_difference())?;
            let resolved = DifferenceRow {
                position: req.position,
                first: None,
                second: None,
                resolution: Some(resolution),
                reason: reason.clone(),
                resolved_by: Some(actor.name.clone()),
            };
            if !store::round::resolve_difference(&tx.tx, &meeting, round, batch, &resolved)? {
                return Err(Error::internal(
                    "a difference resolved twice in one transaction",
                ));
            }
            tx.log(
                Some(actor.role),
                &Event::DifferenceResolved {
                    round: round.to_string(),
                    batch: batch.to_string(),
                    // Not logged: with the sorted batch it would tie a
                    // void ballot (or a disputed one) to its place in the
                    // stack.
                    position: None,
                    resolution: resolution.as_str().into(),
                    reason: reason.clone(),
                    by: Some(actor.name.clone()),
                },
            )?;
            if to == BatchState::Reconciled {
                let diffs = store::round::differences(&tx.tx, &meeting, round, batch)?;
                let entries = store::round::entries(&tx.tx, &meeting, round, batch)?;
                let (Some(e1), Some(e2)) = (entries.first(), entries.get(1)) else {
                    return Err(Error::internal("a batch with differences lacks an entry"));
                };
                let (first, second) = (stored_ballots(e1)?, stored_ballots(e2)?);
                let by_pos: BTreeMap<u64, &DifferenceRow> =
                    diffs.iter().map(|d| (d.position, d)).collect();
                let shape = shape_of(&l);
                let mut ballots = Vec::new();
                for pos in 0..first.len().max(second.len()) {
                    let chosen = match by_pos.get(&(pos as u64)) {
                        None => first.get(pos),
                        Some(d) => {
                            let r = d.resolution.ok_or_else(|| {
                                Error::internal("a difference unresolved at reconciliation")
                            })?;
                            match r.pick(first.get(pos), second.get(pos)) {
                                Pick::Reading(v) => v,
                                Pick::Void => {
                                    ballots.push(Ballot::Void {
                                        reason: d.reason.clone().unwrap_or_default(),
                                    });
                                    continue;
                                }
                            }
                        }
                    };
                    if let Some(v) = chosen {
                        ballots.push(ballot_of(v, shape)?);
                    }
                }
                reconcile(tx, &l, &mut b, &ballots)?;
            }
            let b = store::round::batch(&tx.tx, &meeting, round, batch)?
                .ok_or_else(|| Error::internal("batch vanished"))?;
            batch_json(&tx.tx, &meeting, &l, &b)
        })?;
        Ok(Reply::ok(body).stamped(stamp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reversed_stack_is_recognised_and_a_uniform_one_is_not() {
        let v = |m: &[&str]| m.iter().map(|x| json!(x)).collect::<Vec<_>>();
        let first = v(&["YNN", "NYN", "NNY", "YYN", "AAA"]);
        let mut back = first.clone();
        back.reverse();
        assert!(looks_reversed(&first, &back));
        // One misread among five still reads as reversed.
        let mut misread = back.clone();
        misread[0] = json!("NNN");
        assert!(looks_reversed(&first, &misread));
        assert!(!looks_reversed(&first, &first));
        // Identical papers read the same both ways.
        let same = v(&["YNN", "YNN", "YNN"]);
        let mut other = same.clone();
        other[1] = json!("NYN");
        assert!(!looks_reversed(&same, &other));
        assert!(looks_reversed(&v(&["YN", "NY"]), &v(&["NY", "YN"])));
        assert!(!looks_reversed(&v(&["YN"]), &v(&["NY"])));
        // Unrelated readings are differences, not a reversal.
        assert!(!looks_reversed(
            &first,
            &v(&["AAA", "AAA", "AAA", "AAA", "YNN"])
        ));
    }
}
