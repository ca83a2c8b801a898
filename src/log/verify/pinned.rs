//! Step 9 of the verifier: the bundle against what the auditor pinned
//! from paper or from a witness (`crate::log::pins`).

use super::replay::{Registration, Replay};
use super::{Cp, Keys, Recorder, Step, TallyCheck};
use crate::log::checkpoint::Checkpoint;
use crate::log::event::is_scrutineer_role;
use crate::log::merkle::{Hash, Tree, TreeSize};
use crate::log::note::Note;
use crate::log::pins::{fingerprint, groups4, witnesses_on, Pins};

/// Step 9: the bundle against the pins.
pub(super) fn step_pins(
    rec: &mut Recorder,
    pins: &Pins,
    keys: &Keys,
    cps: &[Cp<'_>],
    tree: &Tree,
    replay: &Replay<'_>,
    tallies: &[TallyCheck],
) {
    let n = tree.size().0;
    let check_root = |rec: &mut Recorder, what: &str, size: u64, root: Hash| {
        if size > n {
            rec.general(
                Step::Pins,
                format!(
                    "{what} fixes the tree of size {size}, but the bundle holds only {n} entries: entries {n}..{size} are missing (the log was cut back or rolled back)"
                ),
            );
            return;
        }
        match tree.root_at(TreeSize(size)) {
            Ok(r) if r == root => {}
            Ok(r) => rec.general(
                Step::Pins,
                format!(
                    "{what}: the bundle's tree of size {size} has root {}, the pin says {} — the log signed two different trees of that size",
                    groups4(&r.to_hex()),
                    groups4(&root.to_hex())
                ),
            ),
            Err(e) => rec.general(Step::Pins, format!("{what}: {e}")),
        }
    };
    for r in &pins.roots {
        check_root(
            rec,
            &format!("the pinned root of size {}", r.size),
            r.size,
            r.root,
        );
    }
    let required = pins.witnesses_required();
    for (source, text) in &pins.checkpoints {
        let note = match Note::parse(text) {
            Ok(n) => n,
            Err(e) => {
                rec.general(Step::Pins, format!("checkpoint {source}: {e}"));
                continue;
            }
        };
        let opened = match (&keys.origin, &keys.log_key) {
            (Some(origin), Some(key)) => Checkpoint::open_note(&note, origin, key),
            _ => {
                rec.general(
                    Step::Pins,
                    format!("checkpoint {source}: the bundle's origin or log key is unreadable"),
                );
                continue;
            }
        };
        let c = match opened {
            Ok(c) => c,
            Err(e) => {
                rec.general(
                    Step::Pins,
                    format!("checkpoint {source} is not the log's: {e}"),
                );
                continue;
            }
        };
        if required > 0 {
            let on = witnesses_on(&note, &pins.witnesses);
            if on.len() < required {
                rec.general(
                    Step::Pins,
                    format!(
                        "checkpoint {source} carries cosignatures of {} of the {required} pinned witnesses required",
                        on.len()
                    ),
                );
            }
        }
        check_root(rec, &format!("checkpoint {source}"), c.size().0, c.root());
    }
    if !pins.scrutineer_keys.is_empty() {
        let scrutineers: Vec<&Registration> = replay
            .registrations
            .iter()
            .filter(|r| is_scrutineer_role(&r.role))
            .collect();
        for r in &scrutineers {
            if !pins.scrutineer_keys.iter().any(|k| k.matches(&r.public)) {
                rec.general(
                    Step::Pins,
                    format!(
                        "{} {}'s key in the bundle (fingerprint {}) is not one of the pinned scrutineer keys",
                        r.role,
                        r.name,
                        fingerprint(&r.public)
                    ),
                );
            }
        }
        for (i, k) in pins.scrutineer_keys.iter().enumerate() {
            if !scrutineers.iter().any(|r| k.matches(&r.public)) {
                rec.general(
                    Step::Pins,
                    format!(
                        "pinned scrutineer key {} is registered to no scrutineer in the bundle",
                        i + 1
                    ),
                );
            }
        }
    }
    for (name, key) in &pins.cosigner_keys {
        let scrutineer = replay
            .registrations
            .iter()
            .filter(|r| is_scrutineer_role(&r.role) && r.name == *name)
            .collect::<Vec<&Registration>>();
        let witness = replay.witnesses.iter().find(|w| w.name == *name);
        if let Some(w) = witness {
            if !key.matches(&w.key.public_key().to_bytes()) {
                rec.general(
                    Step::Pins,
                    format!(
                        "witness {name}'s key in the bundle (fingerprint {}) is not the pinned one",
                        fingerprint(&w.key.public_key().to_bytes())
                    ),
                );
            }
        } else if scrutineer.is_empty() {
            rec.general(
                Step::Pins,
                format!("the pinned cosigner {name} is neither a scrutineer nor a witness in the bundle"),
            );
        } else if !scrutineer.iter().all(|r| key.matches(&r.public)) {
            // Every key the bundle gives them (a replaced one too) must be
            // the pinned key: a pin names one key.
            let other = scrutineer.iter().find(|r| !key.matches(&r.public));
            if let Some(r) = other {
                rec.general(
                    Step::Pins,
                    format!(
                        "{} {name}'s key in the bundle (entry {}, fingerprint {}) is not the pinned one",
                        r.role,
                        r.entry,
                        fingerprint(&r.public)
                    ),
                );
            }
        }
    }
    if required > 0 {
        let mut sizes: Vec<(u64, String)> = tallies
            .iter()
            .map(|t| {
                (
                    t.certification.checkpoint,
                    format!("the result checkpoint of round {}", t.round),
                )
            })
            .collect();
        if let Some(last) = cps.last() {
            sizes.push((last.checkpoint.size().0, "the final checkpoint".to_owned()));
        }
        for (size, what) in sizes {
            let on = cps
                .iter()
                .filter(|c| c.checkpoint.size().0 == size)
                .map(|c| witnesses_on(&c.note, &pins.witnesses).len())
                .max()
                .unwrap_or(0);
            if on < required {
                rec.general(
                    Step::Pins,
                    format!(
                        "{what} (size {size}) carries cosignatures of {on} of the {required} pinned witnesses required"
                    ),
                );
            }
        }
    }
}
