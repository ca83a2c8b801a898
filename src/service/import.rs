//! Bulk import of a ballot-reader file into an open round: **one reading**.
//!
//! A ballot reader's file is read like a counter's entry, never counted on
//! its own: the file is streamed through [`crate::import::read_rows`]
//! (every row validated, every rejected line reported) and cut, in file
//! order, into batches `impN-00001`, `impN-00002`, … of at most
//! [`IMPORT_BATCH`] ballots; each batch is stored as its **first reading**
//! and logged as an `entry_committed` in the importer's name, signed by
//! their key (`entry::commit_reading`, exactly as a counter's
//! entry). The ballots count only when a second, independent reading of
//! the same batches is reconciled with it:
//!
//! - another person's import of the same paper (`second_of: "impN"`),
//!   cut at the first reading's batch boundaries; or
//! - counters' double entry of those batches (`POST …/batches/impN-00001/entries`).
//!
//! Identical readings reconcile (the service logs the `ballot_batch`,
//! unsigned, and erases both readings); differing ones wait for the
//! scrutineers, as any batch difference does. The same person never gives
//! both readings, and no import takes the round above its ballots issued.
//! A file with any rejected row changes nothing; the whole import is one
//! transaction with one checkpoint.
//!
//! The same function serves `POST …/rounds/{r}/imports` (a scrutineer of
//! the election, the file as the request body) and `scrutineer import`
//! (offline, on the database file while the server is stopped, signed
//! with the importer's key file: the server caches each meeting's log and
//! would refuse to sign over entries it did not write).

use std::io::BufRead;

use serde_json::{json, Value};

use super::entry::{canonical, commit_reading, Issued, Reading, MAX_BATCH};
use super::lookup::{load_round, require_assigned, require_open, Loaded};
use super::{Actor, Error, Kind, Reply, Role, Service, Stamp, Tx};
use crate::import::{read_rows, unpack, Format, ImportError, Row, Summary};
use crate::log::event::BATCH_BALLOT_BYTES;
use crate::rules::Ballot;
use crate::state::BatchState;
use crate::store;

/// Most ballots in one imported batch: the largest batch counters may
/// enter ([`MAX_BATCH`]), so that counters' double entry can always give
/// the second reading of an imported batch.
pub const IMPORT_BATCH: usize = MAX_BATCH;

/// Room a batch's readings leave in its `ballot_batch` entry for what the
/// scrutineers may add while resolving differences (void reasons).
const RESOLUTION_ROOM: usize = 8 * 1024;

/// What an import did, with the checkpoint that includes it.
#[derive(Debug, Clone)]
pub struct Imported {
    pub summary: Summary,
    /// The batches read: `<prefix>-00001` …
    pub prefix: String,
    /// Whether this was the batches' second reading.
    pub second: bool,
    /// Batches this import reconciled (second reading, readings identical).
    pub reconciled: u64,
    /// Batches left with differences for the scrutineers.
    pub differences: u64,
    pub checkpoint: Option<Stamp>,
}

/// Where an import goes and who makes it.
#[derive(Debug, Clone, Copy)]
pub struct ImportTarget<'a> {
    pub meeting: &'a str,
    pub round: &'a str,
    /// Who imports: a scrutineer of the election; their readings are
    /// signed by their key.
    pub actor: &'a Actor,
    /// The import this file reads again (`impN`), for a second reading.
    pub second_of: Option<&'a str>,
    /// Names the file in error messages.
    pub source: &'a str,
    /// Most batches the import may make: over HTTP, as many as one request
    /// carries signatures for (the importer signs one `entry_committed` per
    /// batch); offline, no limit (the key file signs).
    pub max_batches: Option<u64>,
}

/// The batches a second reading reads again, with the ballots of each
/// first reading.
struct FirstReading {
    prefix: String,
    batches: Vec<(String, u64)>,
}

impl FirstReading {
    fn total(&self) -> u64 {
        self.batches.iter().map(|(_, n)| n).sum()
    }
}

/// The first reading `prefix` names, to be read again by `actor`: every
/// batch under it awaits its second reading, and none was read by `actor`.
fn first_reading(
    tx: &Tx<'_>,
    l: &Loaded,
    actor: &Actor,
    prefix: &str,
) -> Result<FirstReading, Error> {
    let meeting = actor.meeting.as_str();
    let round = l.row.id.as_str();
    let wanted = format!("{}-", prefix.trim().to_ascii_lowercase());
    let mut batches = Vec::new();
    let mut done = Vec::new();
    for b in store::round::batches(&tx.tx, meeting, round)? {
        if !b.id.to_ascii_lowercase().starts_with(&wanted) {
            continue;
        }
        let entries = store::round::entries(&tx.tx, meeting, round, &b.id)?;
        if entries.iter().any(|e| e.person == actor.person) {
            return Err(Error::conflict(
                "same_reader",
                format!("批次 {} 的第一次读入是你本人所做；第二次读入须由另一人进行", b.id),
                format!(
                    "you gave the first reading of batch {} yourself; the second reading must be another person's",
                    b.id
                ),
            )
            .at("second_of"));
        }
        match (b.state, entries.as_slice()) {
            (BatchState::AwaitingSecond, [first]) => batches.push((b.id.clone(), first.count)),
            _ => done.push(b.id.clone()),
        }
    }
    if !done.is_empty() {
        return Err(Error::conflict(
            "already_read",
            format!("以下批次已有第二次读入，不能再读：{}", done.join("、")),
            format!(
                "these batches already have their second reading: {}",
                done.join(", ")
            ),
        )
        .at("second_of")
        .with(json!({ "batches": done })));
    }
    if batches.is_empty() {
        return Err(Error::new(
            Kind::NotFound,
            "not_found",
            format!("第 {round} 轮没有待第二次读入的导入 {prefix}"),
            format!("round {round} has no import {prefix} awaiting its second reading"),
        )
        .at("second_of"));
    }
    Ok(FirstReading {
        prefix: prefix.trim().to_string(),
        batches,
    })
}

/// A prefix no batch of the round uses yet: `imp1`, `imp2`, …
fn new_prefix(tx: &Tx<'_>, meeting: &str, round: &str) -> Result<String, Error> {
    let labels: Vec<String> = store::round::batches(&tx.tx, meeting, round)?
        .into_iter()
        .map(|b| b.id.to_ascii_lowercase())
        .collect();
    let free = (1u64..)
        .map(|k| format!("imp{k}"))
        .find(|p| {
            let dash = format!("{p}-");
            !labels.iter().any(|l| l.starts_with(&dash))
        })
        .unwrap_or_else(|| "imp".into());
    Ok(free)
}

/// The batch being cut from the file.
#[derive(Default)]
struct Chunk {
    ballots: Vec<Ballot>,
    canonical: Vec<Value>,
    /// Estimated bytes of the batch's `ballot_batch` encoding.
    bytes: usize,
}

impl Chunk {
    fn push(&mut self, ballot: Ballot, words: usize) {
        let c = canonical(&ballot);
        self.bytes += match &c {
            // Packed: base64 of 8 bytes a word.
            Value::String(_) if !is_special(&ballot) => words * 8 * 4 / 3 + 1,
            other => other.to_string().len() + 2,
        };
        self.ballots.push(ballot);
        self.canonical.push(c);
    }

    /// Whether the batch is as large as an imported batch may be.
    fn is_full(&self) -> bool {
        self.ballots.len() >= IMPORT_BATCH
            || self.bytes + RESOLUTION_ROOM + 1024 >= BATCH_BALLOT_BYTES
    }
}

fn is_special(b: &Ballot) -> bool {
    match b {
        Ballot::Void { .. } => true,
        Ballot::Marked {
            marks,
            write_ins,
            names,
        } => {
            !write_ins.is_empty()
                || !names.is_empty()
                || marks.contains(&crate::rules::Mark::Illegible)
        }
    }
}

/// Batches an import left in each state.
#[derive(Debug, Default)]
struct Counts {
    reconciled: u64,
    differences: u64,
}

/// Commits the batch cut from the file as `actor`'s reading of batch
/// `label`, and starts the next one.
fn commit_chunk(
    tx: &mut Tx<'_>,
    l: &Loaded,
    actor: &Actor,
    chunk: &mut Chunk,
    label: String,
    issued: &mut Issued,
    counts: &mut Counts,
) -> Result<(), Error> {
    let reading = Reading {
        label: &label,
        ballots: &chunk.ballots,
        canonical: &chunk.canonical,
        idempotency_key: None,
        order_checked: true,
    };
    let done = commit_reading(tx, l, actor, reading, issued)?;
    match done.state {
        BatchState::Reconciled => counts.reconciled += 1,
        BatchState::Differences => counts.differences += 1,
        BatchState::AwaitingSecond => {}
    }
    *chunk = Chunk::default();
    Ok(())
}

impl Service {
    /// Imports `reader` into the open round of `to` as one reading.
    pub fn import_ballots(
        &self,
        to: ImportTarget<'_>,
        reader: impl BufRead,
        format: Format,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Imported, Error> {
        let ImportTarget {
            meeting,
            round,
            actor,
            second_of,
            source,
            max_batches,
        } = to;
        if actor.meeting != meeting {
            return Err(Error::internal("an import by a person of another meeting"));
        }
        let (imported, checkpoint) = self.write_as(actor, |tx| {
            let l = load_round(&tx.tx, meeting, round)?;
            require_assigned(&tx.tx, actor, &l.row.election)?;
            require_open(&l.row)?;
            super::totals::refuse_ballots(&tx.tx, meeting, round)?;
            let first = match second_of {
                Some(p) => Some(first_reading(tx, &l, actor, p)?),
                None => None,
            };
            let prefix = match &first {
                Some(f) => f.prefix.clone(),
                None => new_prefix(tx, meeting, round)?,
            };
            let mut issued = Issued::of(&tx.tx, meeting, &l)?;
            let read_before = issued.read;
            let lines = l.candidates.len();
            let words = lines.div_ceil(crate::count::LINES_PER_WORD).max(1);
            let nomination = l.kind == crate::rules::round::RoundKind::Nomination;
            let mut chunk = Chunk::default();
            let mut n = 0u64;
            let mut counts = Counts::default();
            let limit = issued.round_issued;
            // Ballots read in all, and whether the file passed the ballots
            // issued (then the rest is only counted, for the message).
            let mut total = 0u64;
            let mut over = false;
            let mut failure: Option<Error> = None;
            let result = read_rows(
                reader,
                format,
                &l.candidates,
                nomination,
                progress,
                &mut |row| {
                    total += 1;
                    if over {
                        return Ok(None);
                    }
                    let ballot = match row {
                        Row::Packed(w) => unpack(w, lines),
                        Row::Ballot(b) => b.clone(),
                    };
                    // Where this ballot's batch ends: at the first
                    // reading's boundaries, or when the batch is full.
                    let target = match &first {
                        Some(f) => f.batches.get(n as usize).map(|(id, c)| (id.clone(), *c)),
                        None => None,
                    };
                    if first.is_some() && target.is_none() {
                        // More ballots than the first reading: counted
                        // for the refusal below.
                        return Ok(None);
                    }
                    if first.is_none() && read_before + total > limit {
                        over = true;
                        return Ok(None);
                    }
                    chunk.push(ballot, words);
                    let cut = match &target {
                        Some((_, count)) => chunk.ballots.len() as u64 == *count,
                        None => chunk.is_full(),
                    };
                    if !cut {
                        return Ok(None);
                    }
                    n += 1;
                    let label = match target {
                        Some((id, _)) => id,
                        None => format!("{prefix}-{n:05}"),
                    };
                    if let Err(e) = commit_chunk(tx, &l, actor, &mut chunk, label, &mut issued, &mut counts) {
                        let text = e.to_string();
                        failure = Some(e);
                        return Err(text);
                    }
                    Ok(Some(n))
                },
            );
            let mut summary = match result {
                Ok(summary) => summary,
                Err(ImportError::Sink(_)) => {
                    return Err(failure
                        .take()
                        .unwrap_or_else(|| Error::internal("import sink failed")))
                }
                Err(e) => return Err(rejected(&e, source)),
            };
            if over {
                let refusal = Issued {
                    round_issued: limit,
                    read: read_before,
                };
                return Err(refusal
                    .refuse(round, total, ("本文件", "this file holds"))
                    .at(source));
            }
            if let Some(f) = &first {
                if total != f.total() {
                    return Err(Error::new(
                        Kind::Unprocessable,
                        "reading_count_differs",
                        format!(
                            "本文件有 {total} 张选票，第一次读入 {} 有 {} 张：第二次读入须读同一批选票；请重新读票，或由计票人录入这些批次",
                            f.prefix,
                            f.total()
                        ),
                        format!(
                            "this file holds {total} ballots, the first reading {} holds {}: a second reading reads the same paper; run the reader again, or have counters enter these batches",
                            f.prefix,
                            f.total()
                        ),
                    )
                    .at(source)
                    .with(json!({ "ballots": total, "first_reading": f.total() })));
                }
            } else if !chunk.ballots.is_empty() {
                n += 1;
                let label = format!("{prefix}-{n:05}");
                commit_chunk(tx, &l, actor, &mut chunk, label, &mut issued, &mut counts)?;
            }
            if max_batches.is_some_and(|max| n > max) {
                return Err(Error::new(
                    Kind::Unprocessable,
                    "import_too_large",
                    format!(
                        "本文件分为 {n} 批，经网页或接口一次最多导入 {} 批（每批至多 {IMPORT_BATCH} 张）；请分成几个文件导入，或使用 scrutineer import",
                        max_batches.unwrap_or_default()
                    ),
                    format!(
                        "this file makes {n} batches; one import over HTTP reads at most {} (of at most {IMPORT_BATCH} ballots): split the file, or use scrutineer import",
                        max_batches.unwrap_or_default()
                    ),
                )
                .at(source));
            }
            summary.batches = n;
            Ok(Imported {
                summary,
                prefix,
                second: first.is_some(),
                reconciled: counts.reconciled,
                differences: counts.differences,
                checkpoint: None,
            })
        })?;
        Ok(Imported {
            checkpoint,
            ..imported
        })
    }

    /// The person `person` of `meeting` importing offline with `key` (the
    /// key file of `scrutineer import`): a scrutineer whose registered key
    /// is `key`.
    pub fn offline_importer(
        &self,
        meeting: &str,
        person: &str,
        key: &ed25519_dalek::SigningKey,
    ) -> Result<Actor, Error> {
        let row = self.read(|conn| Ok(store::meeting::person(conn, meeting, person)?))?;
        let Some(p) = row else {
            return Err(Error::not_found("人员", "person", person));
        };
        if p.role != Role::Scrutineer {
            return Err(Error::forbidden(
                "forbidden_role",
                format!("{}（{person}）不是监票人，不能导入选票", p.name),
                format!(
                    "{} ({person}) is not a scrutineer and may not import ballots",
                    p.name
                ),
            ));
        }
        let registered = match p.key.as_deref() {
            None => None,
            Some(text) => Some(
                crate::log::note::VerifierKey::parse(text)
                    .map_err(|e| Error::internal(format!("person {person}: stored key: {e}")))?
                    .public_key()
                    .to_bytes(),
            ),
        };
        if registered != Some(key.verifying_key().to_bytes()) {
            return Err(Error::conflict(
                "key_mismatch",
                format!("密钥文件不是 {} 登记的签名密钥", p.name),
                format!("the key file is not the signing key {} registered", p.name),
            )
            .at("--key"));
        }
        Ok(Actor {
            meeting: meeting.to_string(),
            person: p.id,
            role: Role::Scrutineer,
            name: p.name,
            token: "offline".into(),
            signing: super::Signing::Unsigned,
        })
    }

    /// `POST …/rounds/{r}/imports[?second_of=impN]`: a scrutineer of the
    /// election imports a ballot-reader file sent as the body.
    pub fn import_as(
        &self,
        actor: &Actor,
        round: &str,
        second_of: Option<&str>,
        body: &[u8],
        format: Format,
        max_batches: u64,
    ) -> Result<Reply, Error> {
        let to = ImportTarget {
            meeting: &actor.meeting,
            round,
            actor,
            second_of,
            source: "body",
            max_batches: Some(max_batches),
        };
        let done = self.import_ballots(to, body, format, &mut |_| {})?;
        Ok(Reply {
            status: 201,
            body: imported_json(round, &done),
            checkpoint: done.checkpoint,
            replayed: false,
        })
    }
}

/// The reply to an import.
pub fn imported_json(round: &str, done: &Imported) -> Value {
    json!({
        "round": round,
        "reading": if done.second { "second" } else { "first" },
        "ballots": done.summary.ballots,
        "plain": done.summary.plain,
        "special": done.summary.special,
        "batches": done.summary.batches,
        "batch_prefix": done.prefix,
        "reconciled": done.reconciled,
        "differences": done.differences,
        "awaiting_second": if done.second { 0 } else { done.summary.batches },
    })
}

/// A rejected file as a 422 naming every rejected line (up to the limit);
/// `source` names the file in the messages.
fn rejected(e: &ImportError, source: &str) -> Error {
    let detail = e.display_in(source);
    if let ImportError::Empty(_) = e {
        return Error::new(
            Kind::Unprocessable,
            "import_empty",
            format!("选票文件中没有选票，未导入：\n{detail}"),
            format!("the ballot file holds no ballots; nothing was imported:\n{detail}"),
        )
        .at(source);
    }
    let first = match e {
        ImportError::Rejected { rows, .. } => rows.first().map(|r| {
            r.line
                .map(|l| format!("line {l}"))
                .unwrap_or_else(|| "body".into())
        }),
        _ => None,
    };
    let err = Error::new(
        Kind::Unprocessable,
        "import_rejected",
        format!("选票文件有不合格的行，未导入任何选票：\n{detail}"),
        format!("the ballot file has rejected rows; nothing was imported:\n{detail}"),
    );
    match first {
        Some(field) => err.at(&field),
        None => err,
    }
}
