//! Step 3 of the verifier: every signature line on a checkpoint is the
//! log's or a registered scrutineer's and verifies; each published
//! result's certification (k of n); the log's own claims
//! (`result_cosigned`, announcements) agree with the notes.

use super::replay::Replay;
use super::{Cosigned, Cp, Failure, Recorder, Step, TallyCheck, Unchecked};
use crate::log::bundle::checkpoint_path;
use crate::log::cosignature::verify_cosignatures_known;
use crate::log::event::is_scrutineer_role;
use crate::log::note::{Note, VerifierKey};

/// Step 3: every signature line is the log's or a registered scrutineer's
/// and verifies; each tally's certification; the log's own claims (its
/// `result_cosigned` lines, its announcements) agree with the notes.
///
/// `log_matches`: step 4 passed, so the registrations and methods read
/// from the log can be trusted; otherwise the step is skipped.
pub(super) fn step_cosignatures(
    rec: &mut Recorder,
    cps: &[Cp<'_>],
    receipts: &[(String, Note)],
    log_key: Option<&VerifierKey>,
    replay: &Replay<'_>,
    tallies: &mut [TallyCheck],
    log_matches: bool,
) -> Vec<Unchecked> {
    // Signatures the batch before the steps found valid.
    let batched = replay.known;
    let step = Step::Cosignatures;
    let mut unchecked = Vec::new();
    if cps.is_empty() {
        rec.skip(step, Step::CheckpointSignatures);
        return unchecked;
    }
    if !log_matches {
        // Who the scrutineers are is read from the log; a log that does
        // not match its checkpoints cannot say.
        rec.skip(step, Step::Tree);
        return unchecked;
    }
    // The scrutineers' keys and the named witnesses' keys.
    let keys: Vec<VerifierKey> = replay
        .registrations
        .iter()
        .filter(|r| is_scrutineer_role(&r.role))
        .filter_map(|r| r.cosigner.clone())
        .chain(replay.witnesses.iter().map(|w| w.key.clone()))
        .collect();
    // The valid cosignatures of each note (none where one line is bad).
    let mut verified = Vec::with_capacity(cps.len());
    let known: Vec<&VerifierKey> = log_key.into_iter().chain(&keys).collect();
    for cp in cps {
        // Lines by other keys (a witness the auditor did not list, a
        // rotated key) are ignored, as C2SP signed-note requires.
        for line in cp.note.unknown_signatures(&known) {
            unchecked.push(Unchecked {
                file: cp.path.to_owned(),
                key: format!("{}+{}", line.name(), line.id()),
            });
        }
        verified.push(
            verify_cosignatures_known(&cp.note, &keys, batched).unwrap_or_else(|e| {
                rec.file(step, cp.path, e.to_string());
                Vec::new()
            }),
        );
    }
    // A receipt's cosignatures by the round's scrutineers are checked the
    // same way; they certify nothing here (the bundle's notes do).
    for (path, note) in receipts {
        for line in note.unknown_signatures(&known) {
            unchecked.push(Unchecked {
                file: path.clone(),
                key: format!("{}+{}", line.name(), line.id()),
            });
        }
        if let Err(e) = verify_cosignatures_known(note, &keys, batched) {
            rec.file(step, path, e.to_string());
        }
    }
    // Each result: who of its cosigners signed its result checkpoint.
    let required = replay.witnesses_required();
    for t in tallies.iter_mut() {
        t.certification.witnesses_required = required;
        let at = cps
            .iter()
            .position(|c| c.checkpoint.size().0 == t.certification.checkpoint);
        if let Some(at) = at {
            for w in &replay.witnesses {
                if let Some(v) = verified[at].iter().find(|v| v.key == w.key) {
                    t.certification.witnessed.push(Cosigned {
                        name: w.name.clone(),
                        role: "witness".to_owned(),
                        key: v.key.label(),
                        timestamp: v.timestamp,
                        fingerprint: v.key.fingerprint(),
                    });
                }
            }
        }
        if t.certification.witnessed.len() < required {
            let missing: Vec<&str> = replay
                .witnesses
                .iter()
                .filter(|w| !t.certification.witnessed.iter().any(|c| c.name == w.name))
                .map(|w| w.name.as_str())
                .collect();
            let size = t.certification.checkpoint;
            rec.push(Failure {
                step,
                entry: Some(t.entry),
                round: Some(t.round.clone()),
                file: Some(checkpoint_path(size)),
                message: format!(
                    "the result checkpoint of round {} (size {size}) is cosigned by {} of the {} witnesses the log names, {required} required; missing: {}",
                    t.round,
                    t.certification.witnessed.len(),
                    replay.witnesses.len(),
                    missing.join(", ")
                ),
                zh: Some(format!(
                    "第 {} 轮的结果检查点（规模 {size}）只有日志所列 {} 个见证人中的 {} 个联署，须 {required} 个；缺少：{}",
                    t.round,
                    replay.witnesses.len(),
                    t.certification.witnessed.len(),
                    missing.join("、")
                )),
            });
        }
        let (Some(state), Some(at)) = (replay.rounds.get(&t.round), at) else {
            continue;
        };
        for v in &verified[at] {
            if let Some(r) = state
                .cosigners
                .iter()
                .find(|r| r.cosigner.as_ref() == Some(&v.key))
            {
                // A key replaced since (a lost device) counts only where
                // the log recorded its cosignature before the replacement.
                if let Some(u) = replay.replaced_at(&r.public) {
                    let recorded = replay
                        .cosign_claims
                        .iter()
                        .any(|c| c.round == t.round && c.scrutineer == r.name && c.entry < u);
                    if !recorded {
                        continue;
                    }
                }
                t.certification.cosigned.push(Cosigned {
                    name: r.name.clone(),
                    role: r.role.clone(),
                    key: v.key.label(),
                    timestamp: v.timestamp,
                    fingerprint: v.key.fingerprint(),
                });
            }
        }
    }
    // A cosignature the log records is on the note it signs: lines cannot
    // be stripped from a bundle unnoticed.
    for claim in &replay.cosign_claims {
        match cps.iter().find(|c| c.checkpoint.size().0 == claim.size) {
            None => rec.entry(
                step,
                claim.entry,
                Some(&claim.round),
                format!(
                    "{} cosigned the checkpoint of size {}, which the bundle lacks ({})",
                    claim.scrutineer,
                    claim.size,
                    checkpoint_path(claim.size)
                ),
            ),
            Some(cp) if !cp.note.signatures().contains(&claim.line) => rec.entry(
                step,
                claim.entry,
                Some(&claim.round),
                format!("{}'s cosignature is not on {}", claim.scrutineer, cp.path),
            ),
            Some(_) => {}
        }
    }
    // The presidium announces only certified results.
    for (entry, round) in &replay.announced {
        let Some(t) = tallies.iter().find(|t| t.round == *round) else {
            continue;
        };
        let c = &t.certification;
        if !c.is_certified() {
            let who: Vec<&str> = c.cosigned.iter().map(|s| s.name.as_str()).collect();
            rec.entry(
                step,
                *entry,
                Some(round),
                format!(
                    "the result of round {round} is announced but not certified: the checkpoint of size {} is cosigned by {} of its {} scrutineers{}; {} of {} are required",
                    c.checkpoint,
                    who.len(),
                    c.cosigners.len(),
                    if who.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", who.join(", "))
                    },
                    c.required,
                    c.cosigners.len()
                ),
            );
        }
    }
    unchecked
}
