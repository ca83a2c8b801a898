//! Start-up integrity: before it serves, the service checks that the
//! database is the one it last wrote, and refuses to start otherwise,
//! naming what differs (docs/service.md, "Start-up integrity").
//!
//! 1. The file: a missing or empty database is a fresh install only when
//!    no checkpoint sidecar ([`store::sidecar`]) records a checkpoint
//!    already issued.
//! 2. The log's tail: for every meeting in the sidecar, the stored log
//!    must reach the recorded size and have the recorded root there (a
//!    deleted tail or a rolled-back copy fails this).
//! 3. Each log against its own latest signed checkpoint.
//! 4. The state tables against the log: every round's state, frozen
//!    facts, returned count, published result and tally index, its
//!    cosignatures and announcement; every reconciled batch and its
//!    ballots; the attendance. The log is the record; a state table edited
//!    behind it is refused.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use base64::Engine;
use rusqlite::Connection;
use serde_json::Value;

use super::{load_log, Error, Kind};
use crate::log::entry::Entry;
use crate::log::event::{self, BatchBallots, Decision, Event};
use crate::log::merkle::TreeSize;
use crate::log::record::TallyRecord;
use crate::state::{BatchState, RoundState};
use crate::store::{self, sidecar::Issued};

/// The refusal to start, in both languages, naming what differs.
fn refused(zh: String, en: String) -> Error {
    Error::new(Kind::Conflict, "integrity_refused", zh, en)
}

/// Step 1, before the database is opened: a missing or empty file next to
/// a sidecar that records issued checkpoints is refused.
pub(crate) fn check_file(db: &Path, issued: Option<&Issued>) -> Result<(), Error> {
    let Some(issued) = issued.filter(|i| !i.is_empty()) else {
        return Ok(());
    };
    let (id, (size, _)) = issued
        .iter()
        .next()
        .map_or(("?", (0, "")), |(k, (s, r))| (k.as_str(), (*s, r.as_str())));
    let sidecar = store::sidecar::path_for(db);
    let what = match std::fs::metadata(db) {
        Err(_) => ("不存在", "does not exist"),
        Ok(m) if m.len() == 0 => ("是空文件", "is empty"),
        Ok(_) => return Ok(()),
    };
    Err(refused(
        format!(
            "拒绝启动：数据库文件 {} {}，但 {} 记录已为会议 {id} 签发过大小为 {size} 的检查点（共 {} 次会议）；这不是新安装，请恢复数据库文件",
            db.display(),
            what.0,
            sidecar.display(),
            issued.len()
        ),
        format!(
            "refusing to start: the database file {} {}, but {} records a checkpoint of size {size} already issued for meeting {id} ({} meetings); this is not a fresh install, restore the database file",
            db.display(),
            what.1,
            sidecar.display(),
            issued.len()
        ),
    ))
}

/// Steps 2 to 4 on the opened database.
pub(crate) fn check_database(
    conn: &Connection,
    db: &Path,
    issued: Option<&Issued>,
) -> Result<(), Error> {
    let meetings = store::meeting::meeting_ids(conn)?;
    if let Some(issued) = issued {
        let sidecar = store::sidecar::path_for(db);
        for (id, (size, root)) in issued {
            if !meetings.contains(id) {
                return Err(refused(
                    format!(
                        "拒绝启动：{} 记录了会议 {id}（检查点大小 {size}），数据库中没有这次会议",
                        sidecar.display()
                    ),
                    format!(
                        "refusing to start: {} records meeting {id} (checkpoint size {size}), which the database does not hold",
                        sidecar.display()
                    ),
                ));
            }
            let tree = store::log::load_tree(conn, id)?;
            let have = tree.size().0;
            if have < *size {
                return Err(refused(
                    format!(
                        "拒绝启动：会议 {id} 的日志只有 {have} 条记录，而已签发的检查点（{}）大小为 {size}：日志尾部被删除或数据库被回滚",
                        sidecar.display()
                    ),
                    format!(
                        "refusing to start: the log of meeting {id} has {have} entries, but the last checkpoint issued ({}) has size {size}: the log's tail was deleted or the database rolled back",
                        sidecar.display()
                    ),
                ));
            }
            let at = tree
                .root_at(TreeSize(*size))
                .map(|h| base64::engine::general_purpose::STANDARD.encode(h.0))
                .unwrap_or_default();
            if &at != root {
                return Err(refused(
                    format!(
                        "拒绝启动：会议 {id} 的日志在大小 {size} 处的根为 {at}，而已签发的检查点（{}）为 {root}：日志被改写",
                        sidecar.display()
                    ),
                    format!(
                        "refusing to start: the log of meeting {id} has root {at} at size {size}, but the checkpoint issued ({}) has {root}: the log was rewritten",
                        sidecar.display()
                    ),
                ));
            }
        }
    }
    for id in &meetings {
        // Step 3: the stored tree reproduces its latest signed checkpoint.
        load_log(conn, id).map_err(|e| {
            refused(
                format!("拒绝启动：会议 {id} 的日志与其检查点不符：{e}"),
                format!(
                    "refusing to start: the log of meeting {id} does not match its checkpoint: {e}"
                ),
            )
        })?;
        check_state(conn, id)?;
    }
    Ok(())
}

/// What the log says of one round.
#[derive(Default)]
struct LoggedRound {
    facts: Option<(u64, u64, u64)>,
    returned: Option<u64>,
    tally: Option<(u64, TallyRecord)>,
    cosigned: usize,
    announced: bool,
    batches: BTreeMap<String, BatchBallots>,
}

/// A state table disagrees with the log.
fn differs(meeting: &str, table: &str, what_zh: String, what_en: String) -> Error {
    refused(
        format!("拒绝启动：会议 {meeting} 的状态表 {table} 与日志不符：{what_zh}"),
        format!("refusing to start: state table {table} of meeting {meeting} disagrees with the log: {what_en}"),
    )
}

/// Step 4: the state tables of `meeting` rebuilt from its log.
fn check_state(conn: &Connection, meeting: &str) -> Result<(), Error> {
    let mut rounds: BTreeMap<String, LoggedRound> = BTreeMap::new();
    let mut present: Option<u64> = None;
    // Box counts and hand counts (issue 12): `counts_check.rs`.
    let mut counted = super::counts_check::Logged::default();
    for (i, bytes) in store::log::all_entry_bytes(conn, meeting)?
        .iter()
        .enumerate()
    {
        let entry = Entry::decode(bytes).map_err(|e| {
            differs(
                meeting,
                "log_entry",
                format!("第 {i} 条无法解码：{e}"),
                format!("entry {i} does not decode: {e}"),
            )
        })?;
        let ev = event::decode(entry.payload()).map_err(|e| {
            differs(
                meeting,
                "log_entry",
                format!("第 {i} 条无法解码：{e}"),
                format!("entry {i} does not decode: {e}"),
            )
        })?;
        let index = i as u64;
        counted.fold(&ev);
        match ev {
            Event::AttendanceRecorded { present: p, .. } => present = Some(p),
            Event::RoundOpened {
                round,
                entitled,
                present,
                issued,
                ..
            } => rounds.entry(round).or_default().facts = Some((entitled, present, issued)),
            Event::RoundClosed {
                round, returned, ..
            } => rounds.entry(round).or_default().returned = Some(returned),
            Event::TallyPublished { round, record } => {
                rounds.entry(round).or_default().tally = Some((index, *record))
            }
            Event::ResultCosigned { round, .. } => rounds.entry(round).or_default().cosigned += 1,
            Event::PresidiumDecision {
                round,
                decision: Decision::Announce,
                ..
            } => rounds.entry(round).or_default().announced = true,
            Event::BallotBatch {
                round,
                batch,
                ballots,
            } => {
                rounds
                    .entry(round)
                    .or_default()
                    .batches
                    .insert(batch, ballots);
            }
            _ => {}
        }
    }
    let m = store::meeting::meeting(conn, meeting)?
        .ok_or_else(|| Error::internal(format!("meeting {meeting} vanished")))?;
    if m.present != present {
        return Err(differs(
            meeting,
            "meeting",
            format!("实到人数 present 为 {:?}，日志为 {present:?}", m.present),
            format!("present is {:?}, the log says {present:?}", m.present),
        ));
    }
    let rows = store::round::rounds(conn, meeting, None)?;
    let stored: BTreeSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    if let Some(r) = rounds.keys().find(|r| !stored.contains(r.as_str())) {
        return Err(differs(
            meeting,
            "ballot_round",
            format!("日志中的轮次 {r} 不在表中"),
            format!("round {r} of the log is missing"),
        ));
    }
    let empty = LoggedRound::default();
    for row in &rows {
        let r = row.id.as_str();
        let logged = rounds.get(r).unwrap_or(&empty);
        let bad = |what_zh: String, what_en: String| {
            Err(differs(
                meeting,
                "ballot_round",
                format!("轮次 {r}：{what_zh}"),
                format!("round {r}: {what_en}"),
            ))
        };
        let state = match (&logged.facts, &logged.tally) {
            (None, _) => RoundState::Draft,
            (Some(_), None) => RoundState::Open,
            (Some(_), Some(_)) => RoundState::Closed,
        };
        if row.state != state {
            return bad(
                format!("状态 state 为 {}，日志为 {state}", row.state),
                format!("state is {}, the log says {state}", row.state),
            );
        }
        if let Some((entitled, present, issued)) = logged.facts {
            let facts = (row.entitled, row.present, row.issued);
            if facts != (Some(entitled), Some(present), Some(issued)) {
                return bad(
                    format!("应到、实到、发出票数为 {facts:?}，日志为 ({entitled}, {present}, {issued})"),
                    format!("entitled, present, issued are {facts:?}, the log says ({entitled}, {present}, {issued})"),
                );
            }
        }
        if row.returned != logged.returned {
            return bad(
                format!(
                    "收回票数 returned 为 {:?}，日志为 {:?}",
                    row.returned, logged.returned
                ),
                format!(
                    "returned is {:?}, the log says {:?}",
                    row.returned, logged.returned
                ),
            );
        }
        let result: Option<Value> = row
            .result
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| Error::internal(format!("round {r}: stored result: {e}")))?;
        // The stored result must be what the signed record shows, decided
        // again from its numbers with the stored method and facts (the
        // check every read makes, `result::shown_result`).
        let agrees = match (&result, &logged.tally) {
            (None, None) => true,
            (Some(stored), Some((_, record))) => {
                let l = super::lookup::loaded(conn, meeting, row.clone())?;
                let method = super::lookup::method_for(super::lookup::require_method(&m)?, &l);
                let round = super::lookup::facts(&l, row.returned)?;
                super::result::shown_result(&method, &round, record, stored).is_some()
            }
            _ => false,
        };
        if !agrees {
            return bad(
                "公布的计票结果 result 与日志中的 tally_published 不同".into(),
                "the published result differs from the tally_published entry".into(),
            );
        }
        if row.tally_index != logged.tally.as_ref().map(|(i, _)| *i) {
            return bad(
                format!("tally_index 为 {:?}", row.tally_index),
                format!("tally_index is {:?}", row.tally_index),
            );
        }
        if row.announced != logged.announced {
            return bad(
                format!(
                    "announced 为 {}，日志为 {}",
                    row.announced, logged.announced
                ),
                format!(
                    "announced is {}, the log says {}",
                    row.announced, logged.announced
                ),
            );
        }
        let cosigned = store::round::cosignatures(conn, meeting, r)?.len();
        if cosigned != logged.cosigned {
            return Err(differs(
                meeting,
                "cosignature",
                format!("轮次 {r} 有 {cosigned} 个签名，日志有 {}", logged.cosigned),
                format!(
                    "round {r} has {cosigned} cosignatures, the log {}",
                    logged.cosigned
                ),
            ));
        }
        if row.certified && row.required.is_none_or(|k| (cosigned as u64) < k) {
            return bad(
                format!("certified 为 true，但只有 {cosigned} 个签名"),
                format!("certified is true with only {cosigned} cosignatures"),
            );
        }
        check_batches(conn, meeting, r, &logged.batches)?;
        counted.check(conn, meeting, r, |table, zh, en| {
            differs(meeting, table, zh, en)
        })?;
    }
    Ok(())
}

/// Every reconciled batch of round `r` is one `ballot_batch` of the log,
/// with the same ballots, and the other way round.
fn check_batches(
    conn: &Connection,
    meeting: &str,
    r: &str,
    logged: &BTreeMap<String, BatchBallots>,
) -> Result<(), Error> {
    let bad = |b: &str, zh: &str, en: &str| {
        Err(differs(
            meeting,
            "batch",
            format!("轮次 {r} 批次 {b}：{zh}"),
            format!("round {r} batch {b}: {en}"),
        ))
    };
    let rows = store::round::batches(conn, meeting, r)?;
    for b in &rows {
        let in_log = logged.get(&b.id);
        match (b.state == BatchState::Reconciled, in_log) {
            (true, None) => {
                return bad(
                    &b.id,
                    "已核对一致，但日志中没有",
                    "reconciled, but not in the log",
                )
            }
            (false, Some(_)) => {
                return bad(
                    &b.id,
                    "日志中已计入，但未核对一致",
                    "in the log, but not reconciled",
                )
            }
            (false, None) => {}
            (true, Some(ballots)) => {
                let stored: Option<BatchBallots> = b
                    .reconciled
                    .as_deref()
                    .and_then(|j| serde_json::from_str(j).ok());
                if stored.as_ref() != Some(ballots) || b.ballots != Some(ballots.len()) {
                    return bad(&b.id, "选票与日志不同", "its ballots differ from the log");
                }
            }
        }
    }
    if let Some(b) = logged
        .keys()
        .find(|id| !rows.iter().any(|row| &row.id == *id))
    {
        return bad(
            b,
            "日志中有，表中没有",
            "in the log, missing from the table",
        );
    }
    Ok(())
}
