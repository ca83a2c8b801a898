//! A meeting's audit bundle, in the format of `docs/audit-bundle.md`.
//!
//! The bundle is built by `store::bundle` from the meeting's log tables:
//! every entry's exact bytes, every signed checkpoint, the registered keys,
//! and the scrutineers' cosignatures (taken from the `result_cosigned`
//! entries and attached to the checkpoint they sign). The HTTP layer packs
//! it into a zip with `bundle_io::zip_bytes`; `scrutineer verify` checks it.
//!
//! From the same bundle come a round's receipt (a C2SP tlog-proof of its
//! tally entry under its result checkpoint, cosignatures included) and the
//! meeting's log as C2SP tlog-tiles (`log::tiles`), so each says exactly
//! what the bundle says.

use rusqlite::Connection;

use super::lookup::{load_meeting, load_round};
use super::{log_verifier_key, Actor, Error, Service};
use crate::log::bundle::Bundle;
use crate::store::bundle::{bundle_from_db, LogIdentity};

/// The audit bundle of `meeting`.
pub fn meeting_bundle(conn: &Connection, meeting: &str) -> Result<Bundle, Error> {
    let m = load_meeting(conn, meeting)?;
    let identity = LogIdentity {
        log: m.id.clone(),
        origin: m.origin.clone(),
        log_key: log_verifier_key(&m)?,
    };
    bundle_from_db(conn, &identity).map_err(Error::internal)
}

impl Service {
    /// The audit bundle of the actor's meeting.
    pub fn bundle(&self, actor: &Actor) -> Result<Bundle, Error> {
        self.read(|conn| meeting_bundle(conn, &actor.meeting))
    }
}

/// The receipt of the tally entry at `tally_index` in `meeting`'s log: a
/// C2SP tlog-proof under the result checkpoint (size `tally_index + 1`),
/// with the cosignatures the bundle carries on it and the entry's leaf hash
/// as `extra` (`docs/audit-bundle.md` §8).
pub(crate) fn tally_receipt(
    conn: &Connection,
    meeting: &str,
    tally_index: u64,
) -> Result<String, Error> {
    let bundle = meeting_bundle(conn, meeting)?;
    bundle
        .receipt(tally_index, tally_index + 1)
        .map(|r| r.to_string())
        .ok_or_else(|| Error::internal(format!("no receipt for the tally entry {tally_index}")))
}

impl Service {
    /// The receipt of a round's published result (`GET …/rounds/{r}/receipt`).
    pub fn receipt(&self, actor: &Actor, round: &str) -> Result<String, Error> {
        self.read(|conn| {
            let l = load_round(conn, &actor.meeting, round)?;
            let Some(t) = l.row.tally_index else {
                return Err(Error::conflict(
                    "round_not_tallied",
                    "本轮尚未公布计票结果，还没有回执".to_string(),
                    format!("round {round} has no published result yet, so no receipt"),
                ));
            };
            tally_receipt(conn, &actor.meeting, t)
        })
    }
}

/// A tlog-tiles resource of the log: its bytes and whether it is the
/// mutable `checkpoint` (the others never change once they exist).
pub struct TileResource {
    pub bytes: Vec<u8>,
    pub is_checkpoint: bool,
}

impl Service {
    /// One resource of the meeting's log as C2SP tlog-tiles
    /// (`GET /api/meetings/{m}/tlog/{path}`): `checkpoint`, the final
    /// checkpoint note with its cosignatures, as in the bundle; or a hash
    /// tile or entry bundle of a tree size up to it (`log::tiles`).
    pub fn tile(&self, actor: &Actor, path: &str) -> Result<TileResource, Error> {
        let bundle = self.bundle(actor)?;
        let parts = bundle.parts();
        let last = parts.checkpoints.last();
        if path == crate::log::tiles::CHECKPOINT {
            let bytes = last
                .map(|c| c.bytes.to_vec())
                .ok_or_else(|| Error::not_found("检查点", "checkpoint", "checkpoint"))?;
            return Ok(TileResource {
                bytes,
                is_checkpoint: true,
            });
        }
        let size = last.map_or(0, |c| c.number);
        crate::log::tiles::tile(&parts.entries, size, path)
            .map(|bytes| TileResource {
                bytes,
                is_checkpoint: false,
            })
            .ok_or_else(|| Error::not_found("日志瓦片", "tile", path))
    }
}
