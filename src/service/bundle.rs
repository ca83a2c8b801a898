//! A meeting's audit bundle, in the format of `docs/audit-bundle.md`.
//!
//! The bundle is built by `store::bundle` from the meeting's log tables:
//! every entry's exact bytes, every signed checkpoint, the registered keys,
//! and the scrutineers' cosignatures (taken from the `result_cosigned`
//! entries and attached to the checkpoint they sign). The HTTP layer packs
//! it into a zip with `bundle_io::zip_bytes`; `scrutineer verify` checks it.

use rusqlite::Connection;

use super::meeting::load_meeting;
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
