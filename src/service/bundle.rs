//! The files of a meeting's audit bundle.
//!
//! This is the seam to the bundle format (`docs/audit-bundle.md`, written
//! with `log::bundle` and the `verify` command): [`bundle_files`] returns
//! what the service holds — every entry's exact bytes, the latest signed
//! checkpoint, each result checkpoint with the scrutineers' cosignatures,
//! and the public keys — as (path, bytes) pairs; the HTTP layer packs them
//! into a zip. Only this function need change to follow the final layout.
//!
//! Layout (draft):
//!
//! | path | content |
//! |---|---|
//! | `meeting.json` | id, name, origin, log key, log size |
//! | `log.vkey` | the log's verifier key (C2SP vkey), one line |
//! | `entries/00000000.entry` … | every entry, exact bytes, in log order |
//! | `checkpoint.note` | the latest checkpoint signed by the log key |
//! | `results/<round>.note` | the checkpoint right after the round's tally, with the scrutineers' cosignature lines |
//! | `results/<round>.json` | the round, its tally index, the k of k-of-n and the cosigner keys |
//! | `cosigners.vkeys` | every scrutineer key registered, one per line |

use rusqlite::Connection;
use serde_json::json;

use super::decision::tally_note;
use super::meeting::load_meeting;
use super::round::cosigners_of;
use super::{log_verifier_key, Actor, Error, Service};
use crate::store;

/// The audit bundle of `meeting` as (path, bytes) pairs.
pub fn bundle_files(conn: &Connection, meeting: &str) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let m = load_meeting(conn, meeting)?;
    let log_key = log_verifier_key(&m)?.to_string();
    let entries = store::log::all_entry_bytes(conn, meeting)?;
    let mut files = Vec::with_capacity(entries.len() + 8);
    files.push((
        "meeting.json".to_string(),
        serde_json::to_vec_pretty(&json!({
            "meeting": m.id,
            "name": m.name,
            "origin": m.origin,
            "log_key": log_key,
            "size": entries.len(),
        }))
        .map_err(Error::internal)?,
    ));
    files.push(("log.vkey".to_string(), format!("{log_key}\n").into_bytes()));
    for (i, bytes) in entries.into_iter().enumerate() {
        files.push((format!("entries/{i:08}.entry"), bytes));
    }
    if let Some((_, note)) = store::log::latest_checkpoint(conn, meeting)? {
        files.push(("checkpoint.note".to_string(), note.into_bytes()));
    }
    let mut vkeys = String::new();
    for p in store::meeting::people(conn, meeting)? {
        if let Some(k) = p.key {
            vkeys.push_str(&k);
            vkeys.push('\n');
        }
    }
    files.push(("cosigners.vkeys".to_string(), vkeys.into_bytes()));
    for r in store::round::rounds(conn, meeting, None)? {
        if r.state != "closed" {
            continue;
        }
        let mut note = tally_note(conn, meeting, &r)?;
        for c in store::round::cosignatures(conn, meeting, &r.id)? {
            note.push_str(&c.line);
            note.push('\n');
        }
        files.push((format!("results/{}.note", r.id), note.into_bytes()));
        let cosigners: Vec<String> = cosigners_of(&r)?.into_iter().map(|c| c.key).collect();
        files.push((
            format!("results/{}.json", r.id),
            serde_json::to_vec_pretty(&json!({
                "round": r.id,
                "tally_index": r.tally_index,
                "checkpoint_size": r.tally_size,
                "required": r.required,
                "cosigners": cosigners,
                "certified": r.certified,
            }))
            .map_err(Error::internal)?,
        ));
    }
    Ok(files)
}

impl Service {
    /// The audit bundle of the actor's meeting.
    pub fn bundle(&self, actor: &Actor) -> Result<Vec<(String, Vec<u8>)>, Error> {
        self.read(|conn| bundle_files(conn, &actor.meeting))
    }
}
