//! The result of a closed round as people are shown it: decided again
//! from the signed `tally_published` record and shown only when that is
//! exactly the state table's copy ([`signed_result`], [`shown_result`]).
//! Below the round, the stages and the decisions, which all read it.

use rusqlite::Connection;
use serde_json::Value;

use super::lookup::{facts, load_meeting, method_for, require_method, Loaded};
use super::Error;
use crate::log::event::Event;
use crate::report;
use crate::rules::{self, ElectionMethod, Round};
use crate::store;

/// The contract result JSON of a decided round, as people see it.
pub(crate) fn result_doc(
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
    let method = method_for(require_method(&m)?, l);
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
