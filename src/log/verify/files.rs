//! Steps 1 and 2 of the verifier: the bundle's files (`origin`,
//! `log.vkey`, `keys.txt` syntax) and every checkpoint note signed by the
//! log key; and `keys.txt` compared with the log's registrations (step 8).

use super::replay::Registration;
use super::{Cp, Keys, Recorder, Step};
use crate::log::bundle::{self, BundleError, KeyLine, Parts, KEYS_FILE};
use crate::log::checkpoint::Checkpoint;
use crate::log::note::Note;
use crate::log::sigbatch::Verified;

/// Step 1: the layout, `origin`, `log.vkey` and `keys.txt`.
pub(super) fn step_files(rec: &mut Recorder, parts: &Parts<'_>) -> Keys {
    for p in &parts.problems {
        let step = match p {
            BundleError::EntryGap { .. } => Step::Tree,
            _ => Step::Files,
        };
        rec.general(step, p.to_string());
    }
    let origin = parts
        .origin
        .map(|b| bundle::one_line(bundle::ORIGIN_FILE, b).map(str::to_owned));
    let origin = match origin {
        Some(Ok(o)) => Some(o),
        Some(Err(e)) => {
            rec.general(Step::Files, e.to_string());
            None
        }
        None => None,
    };
    let log_key = match parts.log_key.map(bundle::parse_log_key) {
        Some(Ok(k)) => Some(k),
        Some(Err(e)) => {
            rec.general(Step::Files, e.to_string());
            None
        }
        None => None,
    };
    let keys_file = match parts.keys.map(bundle::parse_keys) {
        Some(Ok(k)) => Some(k),
        Some(Err(e)) => {
            rec.general(Step::Files, e.to_string());
            None
        }
        None => None,
    };

    Keys {
        origin,
        log_key,
        keys_file,
    }
}

/// Step 2: every checkpoint note parses and is signed by the log key.
pub(super) fn step_checkpoints<'a>(
    rec: &mut Recorder,
    parts: &Parts<'a>,
    keys: &Keys,
    known: &Verified,
) -> Vec<Cp<'a>> {
    let (origin, log_key) = (&keys.origin, &keys.log_key);
    let mut cps: Vec<Cp<'_>> = Vec::new();
    if parts.checkpoints.is_empty() {
        rec.general(
            Step::CheckpointSignatures,
            "no checkpoints: the log signed nothing",
        );
    }
    for file in &parts.checkpoints {
        let step = Step::CheckpointSignatures;
        let note = match Note::from_bytes(file.bytes) {
            Ok(n) => n,
            Err(e) => {
                rec.file(step, file.path, e.to_string());
                continue;
            }
        };
        if note.to_string().as_bytes() != file.bytes {
            rec.file(step, file.path, "note is not in its one canonical spelling");
        }
        let checkpoint = match Checkpoint::parse(note.text()) {
            Ok(c) => c,
            Err(e) => {
                rec.file(step, file.path, e.to_string());
                continue;
            }
        };
        if checkpoint.size().0 != file.number {
            rec.file(
                step,
                file.path,
                format!(
                    "file is named for size {} but the checkpoint says {}",
                    file.number,
                    checkpoint.size()
                ),
            );
        }
        match (&origin, &log_key) {
            (Some(origin), Some(key)) => {
                if let Err(e) = Checkpoint::open_note_known(&note, origin, key, known) {
                    rec.file(step, file.path, e.to_string());
                }
            }
            _ => rec.skip(step, Step::Files),
        }
        cps.push(Cp {
            path: file.path,
            note,
            checkpoint,
        });
    }

    cps
}

pub(super) fn check_keys_file(rec: &mut Recorder, keys: &[KeyLine], regs: &[Registration]) {
    // `keys.txt` lists the `key_registered` entries; keys that replaced
    // lost ones are read from the log alone.
    let from_log: Vec<KeyLine> = regs
        .iter()
        .filter(|r| !r.replacement)
        .map(|r| KeyLine {
            entry: r.entry,
            role: r.role.clone(),
            name: r.name.clone(),
            key: r.key_text.clone(),
        })
        .collect();
    for (i, (file, log)) in keys.iter().zip(&from_log).enumerate() {
        // As this version writes it (formula-like cells quoted), or as
        // bundles written before that did.
        if *file != log.as_written() && file != log {
            rec.file(
                Step::Replay,
                KEYS_FILE,
                format!(
                    "line {}: says {} {} {} (entry {}), the log registers {} {} {} at entry {}",
                    i + 2,
                    file.role,
                    file.name,
                    file.key,
                    file.entry,
                    log.role,
                    log.name,
                    log.key,
                    log.entry
                ),
            );
            return;
        }
    }
    if keys.len() != from_log.len() {
        rec.file(
            Step::Replay,
            KEYS_FILE,
            format!(
                "lists {} keys, the log registers {}",
                keys.len(),
                from_log.len()
            ),
        );
    }
}
