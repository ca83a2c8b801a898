//! The bundle's signatures outside the entries, gathered and batch-checked
//! before the steps that own them (2, 3 and the `result_cosigned` replay
//! of 8) look at them one by one: checkpoint notes signed by the log key,
//! cosignature lines by the keys the log registers or names (scrutineers,
//! witnesses), and the cosignatures logged in `result_cosigned` events.
//!
//! This only speeds up: what it finds valid ([`Verified`]) those steps
//! take as verified; anything it does not find (a line by a key it could
//! not know, a bad signature, a batch that failed) they check with
//! `verify_strict`, exactly as without it, and report as before.

use std::collections::BTreeSet;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::{EntryCheck, Keys};
use crate::log::bundle::Parts;
use crate::log::checkpoint::Checkpoint;
use crate::log::cosignature::cosigned_message;
use crate::log::event::Event;
use crate::log::merkle::{Tree, TreeSize};
use crate::log::note::{KeyId, Note, SignatureType, VerifierKey};
use crate::log::sigbatch::{Item, Verified};

/// One signature to batch, its message owned.
struct Owned {
    key: [u8; 32],
    message: Vec<u8>,
    signature: [u8; 64],
}

/// The cosigner keys (type 0x04) any event of the log carries, each once
/// (a registration's as the per-entry map parsed it).
fn cosigner_keys(checks: &[EntryCheck]) -> Vec<VerifierKey> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for check in checks {
        let key = match &check.event {
            Some(Ok(
                Event::KeyRegistered { key, .. }
                | Event::WitnessNamed { key, .. }
                | Event::KeyReplaced { key, .. }
                | Event::KeyReplacementApproved { key, .. },
            )) => key,
            _ => continue,
        };
        let vkey = match &check.key {
            Some(Ok((_, cosigner))) => cosigner.clone(),
            Some(Err(_)) => None,
            None => VerifierKey::parse(key).ok(),
        };
        let Some(vkey) = vkey else { continue };
        if vkey.sig_type() == SignatureType::CosignatureV1 && seen.insert(key.clone()) {
            out.push(vkey);
        }
    }
    out
}

/// A cosignature's bytes (timestamp ‖ signature) by `key` over
/// `checkpoint_text`, as an item.
fn cosignature(key: &VerifierKey, checkpoint_text: &str, bytes: &[u8]) -> Option<Owned> {
    let ts: [u8; 8] = bytes.get(..8)?.try_into().ok()?;
    let signature: [u8; 64] = bytes.get(8..)?.try_into().ok()?;
    Some(Owned {
        key: key.public_key().to_bytes(),
        message: cosigned_message(checkpoint_text, u64::from_be_bytes(ts)),
        signature,
    })
}

/// Batch-checks every signature of the bundle's notes and `result_cosigned`
/// events by a key the log knows; what held, for the steps to look up.
pub(super) fn batch_notes(
    parts: &Parts<'_>,
    keys: &Keys,
    checks: &[EntryCheck],
    tree: &Tree,
) -> Verified {
    let cosigners = cosigner_keys(checks);
    let mut owned: Vec<Owned> = Vec::new();
    for file in &parts.checkpoints {
        let Ok(note) = Note::from_bytes(file.bytes) else {
            continue;
        };
        for line in note.signatures() {
            if let Some(log_key) = &keys.log_key {
                if log_key.sig_type() == SignatureType::Ed25519 && log_key.matches(line) {
                    if let Ok(signature) = <[u8; 64]>::try_from(line.signature()) {
                        owned.push(Owned {
                            key: log_key.public_key().to_bytes(),
                            message: note.text().as_bytes().to_vec(),
                            signature,
                        });
                    }
                    continue;
                }
            }
            for key in cosigners.iter().filter(|k| k.matches(line)) {
                owned.extend(cosignature(key, note.text(), line.signature()));
            }
        }
    }
    if let Some(origin) = &keys.origin {
        for check in checks {
            let Some(Ok(Event::ResultCosigned {
                checkpoint_size,
                signature,
                ..
            })) = &check.event
            else {
                continue;
            };
            let Ok(blob) = BASE64.decode(signature) else {
                continue;
            };
            let Some(id) = blob.get(..4) else { continue };
            let id = KeyId([id[0], id[1], id[2], id[3]]);
            let Ok(root) = tree.root_at(TreeSize(*checkpoint_size)) else {
                continue;
            };
            let Ok(cp) = Checkpoint::new(origin, TreeSize(*checkpoint_size), root) else {
                continue;
            };
            let body = cp.body();
            for key in cosigners.iter().filter(|k| k.id() == id) {
                owned.extend(cosignature(key, &body, &blob[4..]));
            }
        }
    }
    let items: Vec<Item<'_>> = owned
        .iter()
        .map(|o| Item {
            key: &o.key,
            message: &o.message,
            signature: &o.signature,
        })
        .collect();
    Verified::of(&items)
}
