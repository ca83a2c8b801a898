//! The auditor's verifier: PURE, never panics on hostile bytes.
//!
//! [`verify`] checks an audit [`Bundle`] in eight numbered steps
//! (`docs/audit-bundle.md` §6 is the normative text):
//!
//! 1. the bundle's files: layout, `origin`, `log.vkey`, `keys.txt` syntax;
//! 2. every checkpoint note is signed by the log key, for the origin;
//! 3. cosignatures: every other signature line is a valid cosignature by a
//!    scrutineer registered in the log; each published result is reported
//!    certified or not (k of its round's n scrutineers cosigned the
//!    checkpoint that ends with its tally, k from the method's
//!    `signatures_required`); a result the log announces must be certified,
//!    and every cosignature the log records must be on its checkpoint;
//! 4. the Merkle tree recomputed from the entry files has every
//!    checkpoint's root, and the final checkpoint covers every entry;
//! 5. each checkpoint extends the previous one (consistency proofs);
//!    receipts, if any, verify;
//! 6. every entry decodes and its signature verifies (`verify_strict`);
//!    its author key is the log key (in any capacity) or a key registered
//!    for its role, and then the named person's where the event names one;
//! 7. every payload is a canonical version 1 event of the entry's kind;
//! 8. replay: the events folded in order make a consistent meeting, and
//!    every published tally equals the one recomputed from the ballots and
//!    facts logged before it, byte for byte in canonical JSON; `keys.txt`
//!    equals the log's registrations.
//!
//! Every step runs on whatever it can read, so one report lists every
//! problem; a step whose input is missing is skipped and says why.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use ed25519_dalek::VerifyingKey;
use serde_json::Value;

use super::bundle::{
    self, checkpoint_path, entry_path, Bundle, BundleError, KeyLine, Parts, KEYS_FILE,
};
use super::checkpoint::Checkpoint;
use super::cosignature::{verify_cosignature, verify_cosignatures, CosignatureError};
use super::entry::{AuthorRole, Entry, EntryError, EntryKind, EntrySignatureError};
use super::event::{self, BatchBallots, Decision, Event, EventError};
use super::merkle::{leaf_hash, verify_consistency, Hash, Tree, TreeSize};
use super::note::{Note, NoteSignature, SignatureType, VerifierKey};
use super::pins::{fingerprint, groups4, witnesses_on, Pins};
use super::proof::InclusionReceipt;
use super::record::{self, TallyRecord};
use crate::count::{self, PackedBallots};
use crate::rules::method::ElectionMethod;
use crate::rules::outcome::Runoff;
use crate::rules::round::{Ballot, Round};
use crate::rules::tally::{Counts, InvalidReason, LineCount};

/// Failures kept per step; the rest are counted.
pub const MAX_FAILURES_PER_STEP: usize = 20;

/// The numbered steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Files = 1,
    CheckpointSignatures = 2,
    Cosignatures = 3,
    Tree = 4,
    Consistency = 5,
    EntrySignatures = 6,
    Events = 7,
    Replay = 8,
    Pins = 9,
}

impl Step {
    pub const ALL: [Step; 9] = [
        Step::Files,
        Step::CheckpointSignatures,
        Step::Cosignatures,
        Step::Tree,
        Step::Consistency,
        Step::EntrySignatures,
        Step::Events,
        Step::Replay,
        Step::Pins,
    ];

    /// The step number, 1 to 9.
    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn zh(self) -> &'static str {
        match self {
            Step::Files => "文件与密钥可读（来源、日志公钥、登记密钥）",
            Step::CheckpointSignatures => "检查点由日志密钥签名",
            Step::Cosignatures => "监票人联署有效，逐轮核定结果（达到规定人数）",
            Step::Tree => "由记录文件重算默克尔树，与每个检查点一致",
            Step::Consistency => "检查点前后一致（只增不改）",
            Step::EntrySignatures => "每条记录的签名有效、签名人已登记",
            Step::Events => "每条记录内容为规范格式的会议事件",
            Step::Replay => "重放会议并重新计票，与公布结果逐字节一致",
            Step::Pins => "与审计人员持有的根哈希、检查点、监票人公钥和见证人核对",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Step::Files => "bundle files and keys parse (origin, log key, registered keys)",
            Step::CheckpointSignatures => "checkpoints are signed by the log key",
            Step::Cosignatures => {
                "cosignatures verify; each result is certified or not (k of n scrutineers)"
            }
            Step::Tree => "the Merkle tree recomputed from the entries matches every checkpoint",
            Step::Consistency => "each checkpoint extends the previous one (append-only)",
            Step::EntrySignatures => {
                "every entry's signature verifies and its author is registered"
            }
            Step::Events => "every payload is a canonical meeting event",
            Step::Replay => "replay: every published tally is recomputed byte for byte",
            Step::Pins => {
                "the bundle agrees with the roots, checkpoints, scrutineer keys and witnesses the auditor pinned"
            }
        }
    }
}

/// One thing that is wrong, with where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub step: Step,
    /// The entry index, when one entry is at fault.
    pub entry: Option<u64>,
    /// The round the entry belongs to, if any.
    pub round: Option<String>,
    /// The bundle file at fault.
    pub file: Option<String>,
    /// What differs or is broken.
    pub message: String,
    /// The message in Chinese, where the verifier words it for people
    /// (the report falls back to `message`).
    pub zh: Option<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step {}: ", self.step.number())?;
        match (self.entry, &self.round) {
            (Some(i), Some(r)) => write!(f, "entry {i} (round {r}): ")?,
            (Some(i), None) => write!(f, "entry {i}: ")?,
            _ => {}
        }
        if let Some(file) = &self.file {
            write!(f, "{file}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// How a step ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepStatus {
    Passed,
    Failed,
    /// Not checked: its input could not be read (says which step).
    Skipped {
        because: Step,
    },
}

/// One step's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepReport {
    pub step: Step,
    pub status: StepStatus,
    /// The first [`MAX_FAILURES_PER_STEP`] failures.
    pub failures: Vec<Failure>,
    /// Failures beyond those kept.
    pub omitted: usize,
}

/// A scrutineer whose cosignature on a result checkpoint verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosigned {
    pub name: String,
    pub role: String,
    /// `name+keyid` of the cosigner key.
    pub key: String,
    /// POSIX seconds, as the cosigner claims.
    pub timestamp: u64,
    /// The key's fingerprint as the vote report prints it
    /// ([`VerifierKey::fingerprint`]).
    pub fingerprint: String,
}

/// A published tally and whether replay reproduced it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TallyCheck {
    pub round: String,
    pub entry: u64,
    /// The replayed status (`complete`, `runoff_required`, ...).
    pub status: String,
    pub elected: Vec<String>,
    pub matches: bool,
    /// Whether the scrutineers certified this result.
    pub certification: Certification,
}

/// The scrutineers' certification of one published result
/// (`docs/audit-bundle.md` §5.4): k of the round's n cosigners cosigned
/// the result checkpoint, the tree that ends with the tally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certification {
    /// Size of the result checkpoint: the tally's index + 1.
    pub checkpoint: u64,
    /// Root of the result checkpoint, from its signed note in the bundle
    /// (`None` when the bundle holds no checkpoint of that size): what the
    /// round's vote report prints.
    pub root: Option<Hash>,
    /// k: cosignatures required (the method's `signatures_required` of n).
    pub required: usize,
    /// The round's n cosigners, by name: the registered scrutineers with a
    /// cosigner key before the tally (those assigned to the round's
    /// election, when its `round_opened` names one).
    pub cosigners: Vec<String>,
    /// The valid cosignatures of the result checkpoint by those cosigners.
    pub cosigned: Vec<Cosigned>,
}

impl Certification {
    /// At least k of the n cosigned (never with no cosigner: k ≥ 1).
    pub fn is_certified(&self) -> bool {
        self.cosigned.len() >= self.required.max(1)
    }
}

/// Everything the verifier found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Steps 1 to 9, in order.
    pub steps: Vec<StepReport>,
    /// How many pins (roots, checkpoints, keys, witnesses) step 9 checked
    /// the bundle against; 0: it was compared with nothing outside it.
    pub pinned: usize,
    pub origin: Option<String>,
    /// The log key (vkey text), to compare with the one published.
    pub log_key: Option<String>,
    /// Entry files read (0..n without gaps).
    pub entries: u64,
    pub checkpoints: usize,
    /// Ballots logged in ballot batches.
    pub ballots: u64,
    /// Size and root of the final (largest) checkpoint.
    pub final_checkpoint: Option<(u64, Hash)>,
    /// Every published tally: replayed, and certified or not.
    pub tallies: Vec<TallyCheck>,
    /// Signature lines by keys the verifier does not know (neither the log
    /// key nor a registered scrutineer's, e.g. a witness): ignored, as
    /// C2SP signed-note requires, and listed here as not checked.
    pub unchecked: Vec<Unchecked>,
}

/// A signature line by an unknown key, not checked (each distinct line
/// once per file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unchecked {
    /// The checkpoint file (or receipt) carrying the line.
    pub file: String,
    /// `name+keyid` of the line.
    pub key: String,
}

impl VerifyReport {
    /// Every step passed.
    pub fn is_verified(&self) -> bool {
        self.steps.iter().all(|s| s.status == StepStatus::Passed)
    }

    /// The first failure in step order.
    pub fn first_failure(&self) -> Option<&Failure> {
        self.steps.iter().flat_map(|s| s.failures.iter()).next()
    }

    /// The first step that failed (skipped steps are not counted).
    pub fn first_failed_step(&self) -> Option<Step> {
        self.steps
            .iter()
            .find(|s| s.status == StepStatus::Failed)
            .map(|s| s.step)
    }

    /// All failures kept, in step order.
    pub fn failures(&self) -> impl Iterator<Item = &Failure> {
        self.steps.iter().flat_map(|s| s.failures.iter())
    }

    /// The report of one step.
    pub fn step(&self, step: Step) -> &StepReport {
        // `steps` always holds all nine in order.
        &self.steps[step.number() as usize - 1]
    }
}

/// Collects failures per step.
struct Recorder {
    failures: BTreeMap<Step, (Vec<Failure>, usize)>,
    skipped: BTreeMap<Step, Step>,
}

impl Recorder {
    fn new() -> Recorder {
        Recorder {
            failures: BTreeMap::new(),
            skipped: BTreeMap::new(),
        }
    }

    fn push(&mut self, f: Failure) {
        let slot = self.failures.entry(f.step).or_default();
        if slot.0.len() < MAX_FAILURES_PER_STEP {
            slot.0.push(f);
        } else {
            slot.1 += 1;
        }
    }

    fn file(&mut self, step: Step, file: &str, message: impl Into<String>) {
        self.push(Failure {
            step,
            entry: None,
            round: None,
            file: Some(file.to_owned()),
            message: message.into(),
            zh: None,
        });
    }

    /// A failure about a file, worded in both languages.
    fn file_both(&mut self, step: Step, file: &str, en: String, zh: String) {
        self.push(Failure {
            step,
            entry: None,
            round: None,
            file: Some(file.to_owned()),
            message: en,
            zh: Some(zh),
        });
    }

    fn general(&mut self, step: Step, message: impl Into<String>) {
        self.push(Failure {
            step,
            entry: None,
            round: None,
            file: None,
            message: message.into(),
            zh: None,
        });
    }

    fn entry(&mut self, step: Step, index: u64, round: Option<&str>, message: impl Into<String>) {
        self.push(Failure {
            step,
            entry: Some(index),
            round: round.map(str::to_owned),
            file: Some(entry_path(index)),
            message: message.into(),
            zh: None,
        });
    }

    fn skip(&mut self, step: Step, because: Step) {
        self.skipped.entry(step).or_insert(because);
    }

    fn failed(&self, step: Step) -> bool {
        self.failures.contains_key(&step)
    }

    fn finish(mut self) -> Vec<StepReport> {
        Step::ALL
            .iter()
            .map(|&step| {
                let (failures, omitted) = self.failures.remove(&step).unwrap_or_default();
                let status = if !failures.is_empty() {
                    StepStatus::Failed
                } else if let Some(&because) = self.skipped.get(&step) {
                    StepStatus::Skipped { because }
                } else {
                    StepStatus::Passed
                };
                StepReport {
                    step,
                    status,
                    failures,
                    omitted,
                }
            })
            .collect()
    }
}

/// A checkpoint file that parsed.
struct Cp<'a> {
    path: &'a str,
    note: Note,
    checkpoint: Checkpoint,
}

/// What one entry says on its own: the checks of steps 4, 6 and 7 that
/// need nothing but its bytes. Independent of every other entry, so a
/// caller may compute them in parallel ([`verify_with`]).
#[derive(Debug)]
pub struct EntryCheck {
    /// The leaf hash of the bytes.
    leaf: Hash,
    entry: Result<Entry, EntryError>,
    signature: Result<(), EntrySignatureError>,
    /// `None` when the entry did not decode.
    event: Option<Result<Event, EventError>>,
    /// The plain ballots of a `ballot_batch`, decoded.
    packed: Option<Result<PackedBallots, EventError>>,
}

/// The per-entry checks of one entry's bytes. Pure; never panics.
pub fn check_entry(bytes: &[u8]) -> EntryCheck {
    let leaf = leaf_hash(bytes);
    let entry = Entry::decode(bytes);
    let (signature, event) = match &entry {
        Ok(e) => (e.verify_signature(), Some(event::decode(e.payload()))),
        Err(_) => (Ok(()), None),
    };
    let packed = match &event {
        Some(Ok(Event::BallotBatch { ballots, .. })) if ballots.plain_count > 0 => {
            Some(ballots.packed())
        }
        _ => None,
    };
    EntryCheck {
        leaf,
        entry,
        signature,
        event,
        packed,
    }
}

/// [`check_entry`] of every entry, in order, on this thread.
pub fn check_entries(entries: &[&[u8]]) -> Vec<EntryCheck> {
    entries.iter().map(|bytes| check_entry(bytes)).collect()
}

/// Verifies a bundle. Never panics, whatever the bytes.
pub fn verify(bundle: &Bundle) -> VerifyReport {
    verify_with(bundle, check_entries)
}

/// [`verify`], with the per-entry checks computed by `map`: it must return
/// `check_entry(e)` for every entry `e`, in order (e.g. on several
/// threads, as `crate::bundle_io::verify_parallel` does). The result is the
/// same as [`verify`]'s.
pub fn verify_with(bundle: &Bundle, map: impl FnOnce(&[&[u8]]) -> Vec<EntryCheck>) -> VerifyReport {
    verify_receipts_with(bundle, &[], map)
}

/// Verifies a tiles directory (`docs/audit-bundle.md` §14): the bundle it
/// holds ([`super::tiles::to_bundle`]), with every tile checked against
/// the entries; a wrong, missing or extra tile fails step 4 (the tree).
/// `log_key` (the auditor's `--log-key`) stands in for `log.vkey` in a
/// bare tlog-tiles directory.
pub fn verify_tiles_with(
    files: &Bundle,
    log_key: Option<&VerifierKey>,
    receipts: &[GivenReceipt<'_>],
    map: impl FnOnce(&[&[u8]]) -> Vec<EntryCheck>,
) -> VerifyReport {
    verify_tiles_pinned_with(files, log_key, receipts, &Pins::default(), map)
}

/// [`verify_tiles_with`] with step 9 against `pins`.
pub fn verify_tiles_pinned_with(
    files: &Bundle,
    log_key: Option<&VerifierKey>,
    receipts: &[GivenReceipt<'_>],
    pins: &Pins,
    map: impl FnOnce(&[&[u8]]) -> Vec<EntryCheck>,
) -> VerifyReport {
    let (bundle, problems) = super::tiles::to_bundle(files, log_key);
    let mut report = verify_pinned_with(&bundle, receipts, pins, map);
    if !problems.is_empty() {
        let step = &mut report.steps[Step::Tree.number() as usize - 1];
        step.status = StepStatus::Failed;
        let found: Vec<Failure> = problems
            .into_iter()
            .map(|message| Failure {
                step: Step::Tree,
                entry: None,
                round: None,
                file: None,
                message,
                zh: None,
            })
            .collect();
        let keep = MAX_FAILURES_PER_STEP.saturating_sub(step.failures.len());
        step.omitted += found.len().saturating_sub(keep);
        let mut failures: Vec<Failure> = found.into_iter().take(keep).collect();
        failures.append(&mut step.failures);
        step.failures = failures;
    }
    report
}

/// A receipt given to the verifier beside the bundle
/// (`scrutineer verify BUNDLE --receipt FILE`): its name, for the report,
/// and its bytes.
#[derive(Clone, Copy, Debug)]
pub struct GivenReceipt<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
}

/// [`verify_with`], also checking each of `receipts` against the bundle
/// (step 5, `docs/audit-bundle.md` §8): signed by the log key for the
/// bundle's origin, its entry included, and its tree the bundle's tree of
/// that size — a receipt whose signed root contradicts the bundle is
/// evidence that the log signed two different trees.
pub fn verify_receipts_with(
    bundle: &Bundle,
    receipts: &[GivenReceipt<'_>],
    map: impl FnOnce(&[&[u8]]) -> Vec<EntryCheck>,
) -> VerifyReport {
    verify_pinned_with(bundle, receipts, &Pins::default(), map)
}

/// [`verify_receipts_with`], then step 9: the bundle against what the
/// auditor pinned ([`super::pins`]).
pub fn verify_pinned_with(
    bundle: &Bundle,
    receipts: &[GivenReceipt<'_>],
    pins: &Pins,
    map: impl FnOnce(&[&[u8]]) -> Vec<EntryCheck>,
) -> VerifyReport {
    let parts = bundle.parts();
    let mut rec = Recorder::new();

    // Step 1: files and keys.
    let keys = step_files(&mut rec, &parts);
    // Step 2: checkpoint signatures.
    let cps = step_checkpoints(&mut rec, &parts, &keys);
    // The per-entry checks, then step 4: the tree from the entry files.
    let n = parts.entries.len() as u64;
    let mut checks = map(&parts.entries);
    if checks.len() != parts.entries.len() {
        // A mapper that lost entries: check them here instead.
        checks = check_entries(&parts.entries);
    }
    let tree = Tree::from_leaf_hashes(checks.iter().map(|c| c.leaf));
    let tree_matches = step_tree(&mut rec, &cps, &tree, n);
    // Step 5: consistency between consecutive checkpoints, and receipts.
    let receipt_notes =
        step_consistency(&mut rec, &parts, receipts, &keys, &cps, &tree, tree_matches);
    // Steps 6, 7, 8: one pass over the entries, in log order.
    let mut replay = steps_entries(&mut rec, &checks, &keys, &tree);
    // Step 3: cosignatures, now that the registrations are known.
    let log_matches = tree_matches && !rec.failed(Step::Tree);
    let mut tallies = std::mem::take(&mut replay.tallies);
    let log_key = keys.log_key.as_ref();
    let unchecked = step_cosignatures(
        &mut rec,
        &cps,
        &receipt_notes,
        log_key,
        &replay,
        &mut tallies,
        log_matches,
    );
    if rec.failed(Step::Files) && keys.log_key.is_none() {
        rec.skip(Step::CheckpointSignatures, Step::Files);
    }
    for t in tallies.iter_mut() {
        t.certification.root = cps
            .iter()
            .find(|c| c.checkpoint.size().0 == t.certification.checkpoint)
            .map(|c| c.checkpoint.root());
    }
    step_pins(&mut rec, pins, &keys, &cps, &tree, &replay, &tallies);
    let unchecked: Vec<Unchecked> = unchecked
        .into_iter()
        .filter(|u| !pins.witnesses.iter().any(|w| w.label() == u.key))
        .collect();
    let final_cp = cps.last();
    VerifyReport {
        pinned: pins.roots.len()
            + pins.checkpoints.len()
            + pins.scrutineer_keys.len()
            + pins.witnesses.len(),
        steps: rec.finish(),
        origin: keys.origin,
        log_key: keys.log_key.map(|k| k.to_string()),
        entries: n,
        checkpoints: cps.len(),
        ballots: replay.ballots,
        final_checkpoint: final_cp.map(|c| (c.checkpoint.size().0, c.checkpoint.root())),
        tallies,
        unchecked,
    }
}

/// Step 9: the bundle against the pins.
fn step_pins(
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

/// What step 1 read: the keys and names everything else is checked against.
struct Keys {
    origin: Option<String>,
    log_key: Option<VerifierKey>,
    keys_file: Option<Vec<KeyLine>>,
}

/// Step 1: the layout, `origin`, `log.vkey` and `keys.txt`.
fn step_files(rec: &mut Recorder, parts: &Parts<'_>) -> Keys {
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
fn step_checkpoints<'a>(rec: &mut Recorder, parts: &Parts<'a>, keys: &Keys) -> Vec<Cp<'a>> {
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
                if let Err(e) = Checkpoint::open_note(&note, origin, key) {
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

/// Step 4: each checkpoint's root is the root of the entries it covers.
/// Returns whether all of them matched.
fn step_tree(rec: &mut Recorder, cps: &[Cp<'_>], tree: &Tree, n: u64) -> bool {
    let mut tree_matches = true;
    let mut last_good = 0u64;
    for cp in cps {
        let size = cp.checkpoint.size();
        match tree.root_at(size) {
            Err(_) => {
                tree_matches = false;
                rec.file(
                    Step::Tree,
                    cp.path,
                    format!(
                        "checkpoint covers {} entries; the bundle has {n} (from {} on, entries are missing)",
                        size.0,
                        entry_path(n)
                    ),
                );
            }
            Ok(root) if root != cp.checkpoint.root() => {
                tree_matches = false;
                rec.file(
                    Step::Tree,
                    cp.path,
                    format!(
                        "root of entries 0..{} recomputed as {}, the checkpoint says {}: an entry from {} to {} differs from what was signed",
                        size.0,
                        root.to_hex(),
                        cp.checkpoint.root().to_hex(),
                        last_good,
                        size.0.saturating_sub(1)
                    ),
                );
            }
            Ok(_) => last_good = size.0,
        }
    }
    let final_cp = cps.last();
    if let Some(fin) = final_cp {
        if fin.checkpoint.size().0 < n {
            rec.entry(
                Step::Tree,
                fin.checkpoint.size().0,
                None,
                format!(
                    "entries {} to {} are not covered by the final checkpoint ({})",
                    fin.checkpoint.size().0,
                    n - 1,
                    fin.path
                ),
            );
        }
    } else {
        rec.skip(Step::Tree, Step::CheckpointSignatures);
    }

    tree_matches
}

/// Step 5: consecutive checkpoints are consistent; receipts verify.
/// Returns the checkpoint notes of the receipts that opened (path, note),
/// whose cosignatures step 3 checks.
fn step_consistency(
    rec: &mut Recorder,
    parts: &Parts<'_>,
    given: &[GivenReceipt<'_>],
    keys: &Keys,
    cps: &[Cp<'_>],
    tree: &Tree,
    tree_matches: bool,
) -> Vec<(String, Note)> {
    let (origin, log_key) = (&keys.origin, &keys.log_key);
    if !tree_matches {
        rec.skip(Step::Consistency, Step::Tree);
    } else {
        for pair in cps.windows(2) {
            let (a, b) = (&pair[0].checkpoint, &pair[1].checkpoint);
            if a.origin() != b.origin() {
                rec.file(
                    Step::Consistency,
                    pair[1].path,
                    format!(
                        "origin {:?} differs from {:?} of {}",
                        b.origin(),
                        a.origin(),
                        pair[0].path
                    ),
                );
            }
            let proof = tree
                .consistency_proof(a.size(), b.size())
                .unwrap_or_default();
            if let Err(e) = verify_consistency(a.size(), b.size(), &proof, &a.root(), &b.root()) {
                rec.file(Step::Consistency, pair[1].path, e.to_string());
            }
        }
    }
    let (Some(origin), Some(log_key)) = (origin.as_deref(), log_key.as_ref()) else {
        if !parts.receipts.is_empty() || !given.is_empty() {
            rec.skip(Step::Consistency, Step::Files);
        }
        return Vec::new();
    };
    let ctx = ReceiptContext {
        entries: &parts.entries,
        cps,
        tree,
        tree_matches,
        origin,
        log_key,
    };
    let bundled = parts
        .receipts
        .iter()
        .map(|r| (r.path, r.bytes, Some(r.number)));
    let given = given.iter().map(|r| (r.name, r.bytes, None));
    bundled
        .chain(given)
        .filter_map(|(path, bytes, index)| check_receipt(rec, &ctx, path, bytes, index))
        .collect()
}

/// Steps 6, 7 and 8: entry signatures and authors, events, replay.
fn steps_entries<'t>(
    rec: &mut Recorder,
    checks: &[EntryCheck],
    keys: &Keys,
    tree: &'t Tree,
) -> Replay<'t> {
    let (origin, log_key, keys_file) = (&keys.origin, &keys.log_key, &keys.keys_file);
    let mut replay = Replay::new(origin.clone(), tree);
    for (i, check) in checks.iter().enumerate() {
        let index = i as u64;
        let entry = match &check.entry {
            Ok(e) => e,
            Err(e) => {
                rec.entry(Step::EntrySignatures, index, None, e.to_string());
                continue;
            }
        };
        if let Err(e) = &check.signature {
            rec.entry(Step::EntrySignatures, index, None, e.to_string());
        }
        let event = match &check.event {
            Some(Ok(ev)) => ev,
            Some(Err(e)) => {
                rec.entry(
                    Step::Events,
                    index,
                    None,
                    format!("{} payload: {e}", entry.kind()),
                );
                continue;
            }
            None => continue,
        };
        let round = event.round().map(str::to_owned);
        if let Some(expected) = kind_mismatch(entry.kind(), event) {
            rec.entry(
                Step::Events,
                index,
                round.as_deref(),
                format!(
                    "entry kind is {} but its payload is recorded with kind {expected}",
                    entry.kind()
                ),
            );
        }
        if check.signature.is_ok() {
            if let Err(msg) = replay.check_author(entry, event, log_key.as_ref()) {
                rec.entry(Step::EntrySignatures, index, round.as_deref(), msg);
            }
        }
        for msg in replay.apply(index, event, check.packed.as_ref()) {
            let zh = replay.worded.remove(&msg);
            rec.entry(Step::Replay, index, round.as_deref(), msg);
            if let (Some(zh), Some((failures, _))) = (zh, rec.failures.get_mut(&Step::Replay)) {
                if let Some(last) = failures.last_mut().filter(|f| f.entry == Some(index)) {
                    last.zh = Some(zh);
                }
            }
        }
    }
    if let Some(keys) = &keys_file {
        check_keys_file(rec, keys, &replay.registrations);
    }

    replay
}

/// Step 3: every signature line is the log's or a registered scrutineer's
/// and verifies; each tally's certification; the log's own claims (its
/// `result_cosigned` lines, its announcements) agree with the notes.
///
/// `log_matches`: step 4 passed, so the registrations and methods read
/// from the log can be trusted; otherwise the step is skipped.
fn step_cosignatures(
    rec: &mut Recorder,
    cps: &[Cp<'_>],
    receipts: &[(String, Note)],
    log_key: Option<&VerifierKey>,
    replay: &Replay<'_>,
    tallies: &mut [TallyCheck],
    log_matches: bool,
) -> Vec<Unchecked> {
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
    let keys: Vec<VerifierKey> = replay
        .registrations
        .iter()
        .filter(|r| is_scrutineer_role(&r.role))
        .filter_map(|r| r.cosigner.clone())
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
        verified.push(verify_cosignatures(&cp.note, &keys).unwrap_or_else(|e| {
            rec.file(step, cp.path, e.to_string());
            Vec::new()
        }));
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
        if let Err(e) = verify_cosignatures(note, &keys) {
            rec.file(step, path, e.to_string());
        }
    }
    // Each result: who of its cosigners signed its result checkpoint.
    for t in tallies.iter_mut() {
        let (Some(state), Some(at)) = (
            replay.rounds.get(&t.round),
            cps.iter()
                .position(|c| c.checkpoint.size().0 == t.certification.checkpoint),
        ) else {
            continue;
        };
        for v in &verified[at] {
            if let Some(r) = state
                .cosigners
                .iter()
                .find(|r| r.cosigner.as_ref() == Some(&v.key))
            {
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

/// What a receipt is checked against.
struct ReceiptContext<'a, 'b> {
    entries: &'a [&'a [u8]],
    cps: &'b [Cp<'a>],
    tree: &'b Tree,
    /// Step 4 passed: the tree is the one the log's checkpoints sign.
    tree_matches: bool,
    origin: &'b str,
    log_key: &'b VerifierKey,
}

/// One receipt (§8): it parses, is for entry `index` when it comes from
/// `receipts/`, its checkpoint opens with the log key for the origin, its
/// tree is the bundle's tree of that size, and its proof includes the
/// bundle's entry (and the leaf hash it claims is that entry's). Returns
/// the receipt's checkpoint note when it opened.
fn check_receipt(
    rec: &mut Recorder,
    ctx: &ReceiptContext<'_, '_>,
    path: &str,
    bytes: &[u8],
    index: Option<u64>,
) -> Option<(String, Note)> {
    let step = Step::Consistency;
    let Ok(text) = std::str::from_utf8(bytes) else {
        rec.file(step, path, "not UTF-8 text");
        return None;
    };
    let receipt = match InclusionReceipt::parse(text) {
        Ok(r) => r,
        Err(e) => {
            rec.file(step, path, e.to_string());
            return None;
        }
    };
    let at = receipt.index().0;
    if index.is_some_and(|n| n != at) {
        rec.file(step, path, format!("receipt is for entry {at}"));
        return None;
    }
    let checkpoint = match Checkpoint::open_note(receipt.checkpoint(), ctx.origin, ctx.log_key) {
        Ok(c) => c,
        Err(e) => {
            rec.file(step, path, format!("receipt checkpoint: {e}"));
            return None;
        }
    };
    let (size, root) = (checkpoint.size(), checkpoint.root());
    // The same size, signed twice with different roots: the log forked.
    let twin = ctx.cps.iter().find(|c| c.checkpoint.size() == size);
    if let Some(cp) = twin.filter(|c| c.checkpoint.root() != root) {
        rec.file_both(
            step,
            path,
            format!(
                "the log signed two different trees of size {size}: this receipt's root is {}, {} says {}",
                root.to_hex(),
                cp.path,
                cp.checkpoint.root().to_hex()
            ),
            format!(
                "日志签署了两棵不同的、规模同为 {size} 的树：本回执的根哈希为 {}，{} 的为 {}",
                root.to_hex(),
                cp.path,
                cp.checkpoint.root().to_hex()
            ),
        );
        return None;
    }
    let bundle_size = ctx.cps.last().map_or(0, |c| c.checkpoint.size().0);
    if size.0 > bundle_size {
        rec.file_both(
            step,
            path,
            format!(
                "the log signed a tree of size {size}, larger than the bundle's final checkpoint ({bundle_size}): the bundle lacks entries the log signed"
            ),
            format!(
                "日志签署过规模为 {size} 的树，大于审计包最终检查点的 {bundle_size} 条：审计包缺少日志已签署的记录"
            ),
        );
        return None;
    }
    if ctx.tree_matches {
        // The bundle's signed checkpoints cover the first `size` entries:
        // their root is what the log signed for that size.
        if let Ok(ours) = ctx.tree.root_at(size) {
            if ours != root {
                rec.file_both(
                    step,
                    path,
                    format!(
                        "the log signed two different trees of size {size}: this receipt's root is {}, the bundle's first {size} entries (under its signed checkpoints) give {}",
                        root.to_hex(),
                        ours.to_hex()
                    ),
                    format!(
                        "日志签署了两棵不同的、规模同为 {size} 的树：本回执的根哈希为 {}，审计包（经其已签署的检查点）前 {size} 条记录的为 {}",
                        root.to_hex(),
                        ours.to_hex()
                    ),
                );
                return None;
            }
        }
    }
    let Some(entry) = usize::try_from(at).ok().and_then(|i| ctx.entries.get(i)) else {
        rec.file(step, path, format!("no entry {at} in the bundle"));
        return None;
    };
    let leaf = leaf_hash(entry);
    if receipt.claimed_leaf().is_some_and(|h| h != leaf) {
        rec.file(
            step,
            path,
            format!("the receipt's leaf hash is not that of {}", entry_path(at)),
        );
    }
    if let Err(e) = receipt.verify_leaf(&leaf, ctx.origin, ctx.log_key) {
        rec.file(step, path, e.to_string());
    }
    Some((path.to_owned(), receipt.checkpoint().clone()))
}

fn check_keys_file(rec: &mut Recorder, keys: &[KeyLine], regs: &[Registration]) {
    let from_log: Vec<KeyLine> = regs
        .iter()
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

/// The kind an entry carrying `event` must have, when it has another.
fn kind_mismatch(kind: EntryKind, event: &Event) -> Option<EntryKind> {
    let expected = event.entry_kind();
    (kind != expected).then_some(expected)
}

/// The author role of a role a key is registered for.
fn author_role_of(registered: &str) -> Option<AuthorRole> {
    Some(match registered {
        "organiser" | "clerk" => AuthorRole::Clerk,
        "counter" => AuthorRole::Counter,
        "scrutineer" => AuthorRole::Scrutineer,
        "chief_scrutineer" => AuthorRole::ChiefScrutineer,
        "presidium" => AuthorRole::Presidium,
        "chair" => AuthorRole::Chair,
        _ => return None,
    })
}

/// The kinds the service makes itself, unsigned (docs/audit-bundle.md
/// §3, "who makes which entry").
fn service_may_make(event: &Event) -> bool {
    matches!(
        event,
        Event::MeetingCreated { .. }
            | Event::BallotBatch { .. }
            | Event::TallyPublished { .. }
            | Event::LoginIssued { by: None, .. }
    )
}

/// The kinds a person may make in `role` (and sign), besides registering
/// their own key.
fn person_may_make(role: AuthorRole, event: &Event) -> bool {
    match role {
        AuthorRole::Service => false,
        AuthorRole::Clerk => matches!(
            event,
            Event::MethodAdopted { .. }
                | Event::AttendanceRecorded { .. }
                | Event::RoundOpened { .. }
                | Event::StaffAssigned { .. }
                | Event::LoginIssued { .. }
                | Event::LoginRevoked { .. }
                | Event::StageMethodAdopted { .. }
                | Event::StageRecorded { .. }
                // A round opened without quorum is closed at once, with
                // nothing returned, by the one who opened it.
                | Event::RoundClosed { returned: 0, .. }
        ),
        AuthorRole::Counter => matches!(event, Event::EntryCommitted { .. }),
        AuthorRole::Scrutineer | AuthorRole::ChiefScrutineer => matches!(
            event,
            // Not `ballot_batch`: ballots count only through two readings
            // the service reconciles (`two_readings`).
            Event::EntryCommitted { .. }
                | Event::DifferenceResolved { .. }
                | Event::BatchDiscarded { .. }
                | Event::RoundClosed { .. }
                | Event::ResultCosigned { .. }
        ),
        AuthorRole::Presidium | AuthorRole::Chair => {
            matches!(event, Event::PresidiumDecision { .. })
        }
    }
}

/// The `by` an event names, if it has one.
fn acted_by(event: &Event) -> Option<&str> {
    match event {
        Event::MethodAdopted { by, .. }
        | Event::AttendanceRecorded { by, .. }
        | Event::RoundOpened { by, .. }
        | Event::DifferenceResolved { by, .. }
        | Event::BatchDiscarded { by, .. }
        | Event::RoundClosed { by, .. }
        | Event::PresidiumDecision { by, .. }
        | Event::LoginIssued { by, .. }
        | Event::LoginRevoked { by, .. }
        | Event::StageMethodAdopted { by, .. }
        | Event::StageRecorded { by, .. } => by.as_deref(),
        _ => None,
    }
}

/// Roles whose cosignatures count towards the quorum.
pub fn is_scrutineer_role(role: &str) -> bool {
    role == "scrutineer" || role == "chief_scrutineer"
}

/// A key registered in the log.
#[derive(Clone, Debug)]
struct Registration {
    entry: u64,
    role: String,
    name: String,
    key_text: String,
    public: [u8; 32],
    /// The C2SP cosigner key, when registered as a type 0x04 vkey.
    cosigner: Option<VerifierKey>,
}

/// The Ed25519 key of a registered key text: a C2SP vkey or 64 hex digits.
fn parse_registered_key(text: &str) -> Result<([u8; 32], Option<VerifierKey>), String> {
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        let hash = Hash::from_hex(&text.to_ascii_lowercase())
            .ok_or_else(|| "key is not 64 hex digits".to_owned())?;
        VerifyingKey::from_bytes(&hash.0).map_err(|_| "not a valid Ed25519 public key")?;
        return Ok((hash.0, None));
    }
    let vkey = VerifierKey::parse(text).map_err(|e| format!("key {text:?}: {e}"))?;
    let public = vkey.public_key().to_bytes();
    let cosigner = (vkey.sig_type() == SignatureType::CosignatureV1).then_some(vkey);
    Ok((public, cosigner))
}

/// A round as replay knows it.
struct RoundState {
    opened_at: u64,
    method: ElectionMethod,
    round: Round,
    /// The selection limit for the packed kernel.
    limit: u32,
    /// Plain ballots counted by the kernel so far.
    plain: count::Tally,
    /// Ballots the packed form cannot hold.
    special: Vec<Ballot>,
    ballots: u64,
    batches: BTreeSet<String>,
    closed: Option<u64>,
    tallied: Option<u64>,
    runoff: Option<Runoff>,
    /// The election the round belongs to, when `round_opened` names it.
    election: Option<String>,
    /// Who may certify the result: set when the tally is published.
    cosigners: Vec<Registration>,
    /// Scrutineers whose `result_cosigned` verified → its entry.
    cosigned_by: BTreeMap<String, u64>,
    /// Scrutineers a `proceed_without` decision excused while it was open.
    excused: BTreeSet<String>,
}

/// A cosignature recorded in the log (`result_cosigned`) that verified.
struct CosignClaim {
    entry: u64,
    round: String,
    scrutineer: String,
    size: u64,
    line: NoteSignature,
}

/// The meeting state folded from the events.
struct Replay<'t> {
    origin: Option<String>,
    tree: &'t Tree,
    created_at: Option<u64>,
    entitled: Option<u64>,
    present: Option<u64>,
    method: Option<ElectionMethod>,
    registrations: Vec<Registration>,
    rounds: BTreeMap<String, RoundState>,
    /// Runoffs the presidium called: round id → (among, seats).
    /// Runoff id → (among, seats, the kind it resolves: `None` for formal).
    called_runoffs: BTreeMap<String, (Vec<String>, u64, Option<crate::rules::RoundKind>)>,
    /// Staff assigned to elections: election → (role, name).
    assigned: BTreeMap<String, BTreeSet<(String, String)>>,
    ballots: u64,
    tallies: Vec<TallyCheck>,
    cosign_claims: Vec<CosignClaim>,
    /// `announce` decisions: (entry, round).
    announced: Vec<(u64, String)>,
    /// Log-in links issued: token id → (person, still valid).
    logins: BTreeMap<String, (String, bool)>,
    /// The readings of each batch not yet counted: (round, batch) → the
    /// names in its `entry_committed` entries, in log order.
    readings: BTreeMap<(String, String), Vec<String>>,
    /// The Chinese wording of replay messages worded for people (the
    /// tally check's differences), by their English text.
    worded: BTreeMap<String, String>,
    /// The stages of the election (issue 11): `log::replay_stages`.
    stages: super::replay_stages::Stages,
}

impl<'t> Replay<'t> {
    fn new(origin: Option<String>, tree: &'t Tree) -> Replay<'t> {
        Replay {
            origin,
            tree,
            created_at: None,
            entitled: None,
            present: None,
            method: None,
            registrations: Vec::new(),
            rounds: BTreeMap::new(),
            called_runoffs: BTreeMap::new(),
            assigned: BTreeMap::new(),
            ballots: 0,
            tallies: Vec::new(),
            cosign_claims: Vec::new(),
            announced: Vec::new(),
            logins: BTreeMap::new(),
            readings: BTreeMap::new(),
            worded: BTreeMap::new(),
            stages: Default::default(),
        }
    }

    /// Step 6 for a `ballot_batch`: the service may count a batch only
    /// after two readings of it by two different persons, each (when the
    /// round names its election) a counter or scrutineer assigned to that
    /// election. One person's reading — a counter's entry, a scrutineer's
    /// import — never counts alone.
    fn two_readings(&self, round: &str, batch: &str) -> Result<(), String> {
        let key = (round.to_owned(), batch.to_owned());
        let names = self.readings.get(&key).map_or(&[][..], Vec::as_slice);
        let election = self.rounds.get(round).and_then(|s| s.election.as_ref());
        let staff = election.and_then(|e| self.assigned.get(e));
        if let (Some(e), Some(staff)) = (election, staff) {
            if let Some(n) = names.iter().find(|n| {
                !staff.iter().any(|(role, name)| {
                    name == *n && (role == "counter" || is_scrutineer_role(role))
                })
            }) {
                return Err(format!(
                    "ballot_batch of batch {batch}: its reading by {n} does not count, {n} is not a counter or scrutineer of election {e}"
                ));
            }
        }
        let mut distinct: Vec<&str> = names.iter().map(String::as_str).collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 2 {
            let by = if names.is_empty() {
                "none".to_owned()
            } else {
                distinct.join("、")
            };
            return Err(format!(
                "ballot_batch of batch {batch} without two independent readings (entry_committed by two different persons; readings by: {by}): one reading never counts"
            ));
        }
        Ok(())
    }

    /// A log-in link is revoked: it was issued to `person` and is valid.
    fn revoke_login(&mut self, token: &str, person: &str) -> Result<(), String> {
        match self.logins.get_mut(token) {
            None => Err(format!("log-in link {token} was never issued")),
            Some((p, _)) if p != person => Err(format!(
                "log-in link {token} belongs to {p}, not to {person}"
            )),
            Some((_, false)) => Err(format!("log-in link {token} is already revoked")),
            Some((_, valid)) => {
                *valid = false;
                Ok(())
            }
        }
    }

    fn registered(&self, role: &str, name: &str) -> Option<&Registration> {
        self.registrations
            .iter()
            .find(|r| r.role == role && r.name == name)
    }

    /// Step 6: the author may make this entry (bundle version 2): the
    /// service only its own kinds, under the log key; a person only the
    /// kinds of their role, under the key they registered, and in their
    /// own name; a key only in an entry signed by itself.
    fn check_author(
        &self,
        entry: &Entry,
        event: &Event,
        log_key: Option<&VerifierKey>,
    ) -> Result<(), String> {
        let author = entry.author();
        let short = hex8(author);
        let kind = entry.kind();
        let role = entry.role();
        if role == AuthorRole::Service {
            if log_key.is_some_and(|k| k.public_key().as_bytes() != author) {
                return Err(format!(
                    "a service entry names key {short}…, which is not the log key"
                ));
            }
            if !service_may_make(event) {
                return Err(format!(
                    "{kind} is made by the service, unsigned; it must be signed by the person who acted"
                ));
            }
            if let Event::BallotBatch { round, batch, .. } = event {
                return self.two_readings(round, batch);
            }
            return Ok(());
        }
        if let Event::KeyRegistered {
            role: registered,
            name,
            key,
            ..
        } = event
        {
            let (public, _) = parse_registered_key(key)?;
            if &public != author {
                return Err(format!(
                    "registers a key for {name} but is signed by key {short}…, not by the key it registers (no proof that {name} holds it)"
                ));
            }
            if author_role_of(registered) != Some(role) {
                return Err(format!(
                    "registers a {registered} key in an entry signed as {}",
                    role.name()
                ));
            }
            return Ok(());
        }
        let Some(reg) = self
            .registrations
            .iter()
            .find(|r| &r.public == author && author_role_of(&r.role) == Some(role))
        else {
            return Err(format!(
                "signed as {} by key {short}…, which is not registered for that role before this entry",
                role.name()
            ));
        };
        if !person_may_make(role, event) {
            return Err(format!("{} {} may not make {kind}", role.name(), reg.name));
        }
        let named = match event {
            Event::EntryCommitted { counter, .. } => Some(counter.as_str()),
            Event::ResultCosigned { scrutineer, .. } => Some(scrutineer.as_str()),
            other => acted_by(other),
        };
        if let Some(name) = named {
            if name != reg.name {
                return Err(format!(
                    "names {name} but is signed by key {short}… of {}",
                    reg.name
                ));
            }
        }
        Ok(())
    }

    /// Step 8: fold one event; the messages are failures of this entry.
    fn apply(
        &mut self,
        index: u64,
        event: &Event,
        packed: Option<&Result<PackedBallots, EventError>>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        self.stages.observe(event, self.method.as_ref(), &mut out);
        match event {
            Event::StageMethodAdopted { .. } | Event::StageRecorded { .. } => {}
            Event::MeetingCreated { entitled, .. } => {
                if let Some(first) = self.created_at {
                    out.push(format!(
                        "a second meeting_created (the first is entry {first})"
                    ));
                } else {
                    self.created_at = Some(index);
                    self.entitled = Some(*entitled);
                }
            }
            Event::MethodAdopted {
                preset,
                overrides,
                method,
                ..
            } => match method.validate() {
                Err(e) => out.push(format!("adopted method is not valid: {e}")),
                Ok(()) => {
                    if crate::rules::preset::preset(preset).is_some() {
                        match ElectionMethod::from_preset(preset, overrides) {
                            Err(e) => out.push(format!("preset {preset} with its overrides: {e}")),
                            Ok(m) if m != **method => out.push(format!(
                                "recorded method differs from preset {preset} with its overrides{}",
                                first_difference(&m, method)
                            )),
                            Ok(_) => {}
                        }
                    }
                    self.method = Some((**method).clone());
                }
            },
            Event::KeyRegistered {
                role, name, key, ..
            } => match parse_registered_key(key) {
                Err(e) => out.push(e),
                Ok((public, cosigner)) => {
                    if let Some(r) = self.registered(role, name) {
                        out.push(format!(
                            "{role} {name} is already registered (entry {})",
                            r.entry
                        ));
                    } else if let Some(r) = self
                        .registrations
                        .iter()
                        .find(|r| r.public == public && r.name != *name)
                    {
                        out.push(format!(
                            "this key is already registered to {} (entry {})",
                            r.name, r.entry
                        ));
                    } else if is_scrutineer_role(role) && cosigner.is_none() {
                        out.push(format!(
                            "{role} {name}: key must be a C2SP cosigner vkey (type 0x04)"
                        ));
                    } else {
                        self.registrations.push(Registration {
                            entry: index,
                            role: role.clone(),
                            name: name.clone(),
                            key_text: key.clone(),
                            public,
                            cosigner,
                        });
                    }
                }
            },
            Event::LoginIssued {
                person,
                token,
                replaces,
                ..
            } => {
                for old in replaces {
                    if let Err(e) = self.revoke_login(old, person) {
                        out.push(e);
                    }
                }
                if self.logins.contains_key(token) {
                    out.push(format!("log-in link {token} is issued twice"));
                } else {
                    self.logins.insert(token.clone(), (person.clone(), true));
                }
            }
            Event::LoginRevoked { person, token, .. } => {
                if let Err(e) = self.revoke_login(token, person) {
                    out.push(e);
                }
            }
            Event::AttendanceRecorded { present, .. } => {
                match self.entitled {
                    None => out.push("attendance recorded before meeting_created".into()),
                    Some(e) if *present > e => {
                        out.push(format!("{present} present is more than the {e} entitled"))
                    }
                    Some(_) => {}
                }
                self.present = Some(*present);
            }
            Event::RoundOpened { .. } => self.open_round(index, event, &mut out),
            // Who supervises or counts an election (the service checked it
            // against the candidate lists): its scrutineers certify its
            // rounds.
            Event::StaffAssigned {
                election,
                role,
                name,
                ..
            } => {
                if is_scrutineer_role(role) {
                    let started = self
                        .rounds
                        .iter()
                        .find(|(_, r)| r.election.as_deref() == Some(election.as_str()));
                    if let Some((id, _)) = started {
                        out.push(format!(
                            "assigns {role} {name} to election {election} after its round {id} opened: the scrutineers of an election are fixed when voting begins"
                        ));
                    }
                }
                self.assigned
                    .entry(election.clone())
                    .or_default()
                    .insert((role.clone(), name.clone()));
            }
            Event::EntryCommitted {
                round,
                batch,
                counter,
                digest,
                ..
            } => {
                if let Err(e) = self.open_round_state(round) {
                    out.push(e);
                }
                self.readings
                    .entry((round.clone(), batch.clone()))
                    .or_default()
                    .push(counter.clone());
                if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
                    out.push("digest is not 64 hex digits".into());
                }
            }
            Event::BallotBatch {
                round,
                batch,
                ballots,
            } => {
                let n = ballots.len();
                self.ballots = self.ballots.saturating_add(n);
                match self.open_round_state(round) {
                    Err(e) => out.push(e),
                    Ok(state) => {
                        if !state.batches.insert(batch.clone()) {
                            out.push(format!("batch {batch} is logged twice"));
                        } else if let Err(e) = add_batch(state, ballots, packed) {
                            out.push(format!("batch {batch}: {e}"));
                        }
                    }
                }
            }
            Event::DifferenceResolved {
                round, resolution, ..
            } => {
                if !self.rounds.contains_key(round) {
                    out.push(format!("round {round} was never opened"));
                }
                if !matches!(resolution.as_str(), "first" | "second" | "void") {
                    out.push(format!(
                        "resolution {resolution:?}; expected first, second or void"
                    ));
                }
            }
            // A batch discarded before it was reconciled: nothing of it
            // was counted.
            Event::BatchDiscarded { round, batch, .. } => {
                // Its readings are void: the label may be read again.
                self.readings.remove(&(round.clone(), batch.clone()));
                match self.open_round_state(round) {
                    Err(e) => out.push(e),
                    Ok(state) => {
                        if state.batches.contains(batch) {
                            out.push(format!(
                                "batch {batch} is discarded after its ballots were logged"
                            ));
                        }
                    }
                }
            }
            Event::RoundClosed {
                round,
                returned,
                replaced,
                voted,
                ..
            } => match self.open_round_state(round) {
                Err(e) => out.push(e),
                Ok(state) => {
                    state.closed = Some(index);
                    state.round.returned = Some(*returned);
                    state.round.replaced = replaced.unwrap_or(0);
                    state.round.voted = *voted;
                    self.stages.check_close(round, &mut out);
                }
            },
            Event::TallyPublished { round, record } => self.tally(index, round, record, &mut out),
            Event::PresidiumDecision {
                round,
                decision: Decision::ProceedWithout { without, .. },
                ..
            } => match self.open_round_state(round) {
                Err(e) => out.push(format!("proceed_without: {e}")),
                Ok(state) => {
                    for name in without {
                        if !state.excused.insert(name.clone()) {
                            out.push(format!("{name} was already excused from round {round}"));
                        }
                    }
                }
            },
            Event::PresidiumDecision {
                round, decision, ..
            } => match self.rounds.get(round) {
                None => out.push(format!("round {round} was never opened")),
                Some(state) => {
                    if state.tallied.is_none() {
                        out.push(format!("decision on round {round} before its tally"));
                    }
                    if let Decision::CallRunoff {
                        round: next,
                        among,
                        seats,
                    } = decision
                    {
                        match &state.runoff {
                                Some(r) if same_names(&r.among, among) && r.seats == *seats => {}
                                Some(r) => out.push(format!(
                                    "runoff called among {} for {seats} seats; the tally requires a runoff among {} for {} seats",
                                    among.join("、"),
                                    r.among.join("、"),
                                    r.seats
                                )),
                                None => out.push(format!(
                                    "runoff called but the tally of round {round} requires none"
                                )),
                            }
                        // The runoff keeps the rule of the round it resolves
                        // (RULES §2): the calling round's, or what it resolves.
                        let resolves = match state.round.kind {
                            crate::rules::RoundKind::Runoff => state.round.resolves,
                            k => crate::rules::RoundKind::resolved_by_runoff(k),
                        };
                        self.called_runoffs
                            .insert(next.clone(), (among.clone(), *seats, resolves));
                    }
                    if *decision == Decision::Announce {
                        self.announced.push((index, round.clone()));
                    }
                }
            },
            Event::ResultCosigned {
                round,
                scrutineer,
                checkpoint_size,
                signature,
            } => match self.check_result_cosigned(round, scrutineer, *checkpoint_size, signature) {
                Err(e) => out.push(e),
                Ok(Some(line)) => {
                    if let Some(state) = self.rounds.get_mut(round) {
                        state.cosigned_by.insert(scrutineer.clone(), index);
                    }
                    self.cosign_claims.push(CosignClaim {
                        entry: index,
                        round: round.clone(),
                        scrutineer: scrutineer.clone(),
                        size: *checkpoint_size,
                        line,
                    });
                }
                Ok(None) => {}
            },
        }
        out
    }

    fn open_round(&mut self, index: u64, event: &Event, out: &mut Vec<String>) {
        let Event::RoundOpened {
            round: id,
            kind,
            election,
            ..
        } = event
        else {
            return;
        };
        if let Some(s) = self.rounds.get(id) {
            out.push(format!(
                "round {id} was already opened at entry {}",
                s.opened_at
            ));
            return;
        }
        let Some(method) = self.method.clone().map(|m| self.stages.method_for(id, m)) else {
            out.push("round opened before any election method was adopted".into());
            return;
        };
        let Some(round) = event::round_of(event, None).map(|r| self.stages.with_facts(id, r))
        else {
            return;
        };
        if let Err(e) = round.validate() {
            out.push(format!("round facts are contradictory: {e}"));
            return;
        }
        self.stages.check_open(id, &round, &method, out);
        let own = self.stages.own_electorate(id);
        match self.entitled {
            None => out.push("round opened before meeting_created".into()),
            Some(e) if e != round.entitled && !own => out.push(format!(
                "round says {} entitled; the meeting has {e}",
                round.entitled
            )),
            Some(_) => {}
        }
        match self.present {
            None => out.push("round opened before any attendance was recorded".into()),
            Some(p) if p != round.present && !own => out.push(format!(
                "round says {} present; the last attendance recorded is {p}",
                round.present
            )),
            Some(_) => {}
        }
        if let Some((_, _, resolves)) = self.called_runoffs.get(id) {
            if *resolves != round.resolves {
                let name = |k: &Option<crate::rules::RoundKind>| k.map_or("formal", |k| k.as_str());
                out.push(format!(
                    "round {id} resolves a tie of a {} round; it opened as resolving a {} round",
                    name(resolves),
                    name(&round.resolves)
                ));
            }
        }
        if let Some((among, seats, _)) = self.called_runoffs.get(id) {
            if *kind != crate::rules::RoundKind::Runoff
                || !same_names(among, &round.candidates)
                || *seats != round.seats
            {
                out.push(format!(
                    "the presidium called round {id} as a runoff among {} for {seats} seats; it opened as {} among {} for {} seats",
                    among.join("、"),
                    kind.as_str(),
                    round.candidates.join("、"),
                    round.seats
                ));
            }
        }
        let limit = round
            .selection_limit(&method)
            .map_or(u32::MAX, |l| u32::try_from(l).unwrap_or(u32::MAX));
        let lines = round.candidates.len();
        self.rounds.insert(
            id.clone(),
            RoundState {
                opened_at: index,
                method,
                limit,
                plain: count::Tally {
                    for_votes: vec![0; lines],
                    against: vec![0; lines],
                    abstain: vec![0; lines],
                    valid: 0,
                    invalid: 0,
                },
                special: Vec::new(),
                ballots: 0,
                batches: BTreeSet::new(),
                closed: None,
                tallied: None,
                runoff: None,
                election: election.clone(),
                cosigners: Vec::new(),
                cosigned_by: BTreeMap::new(),
                excused: BTreeSet::new(),
                round,
            },
        );
    }

    /// A round that is open and not yet closed.
    fn open_round_state(&mut self, id: &str) -> Result<&mut RoundState, String> {
        match self.rounds.get_mut(id) {
            None => Err(format!("round {id} was never opened")),
            Some(s) => match s.closed {
                Some(at) => Err(format!("round {id} was closed at entry {at}")),
                None => Ok(s),
            },
        }
    }

    /// The registered scrutineers with a cosigner key, as of now: those
    /// assigned to `election` when the round names one.
    fn cosigners_of(&self, election: Option<&str>) -> Vec<Registration> {
        let assigned = |name: &str| match election {
            None => true,
            Some(e) => self.assigned.get(e).is_some_and(|staff| {
                staff
                    .iter()
                    .any(|(role, n)| is_scrutineer_role(role) && n == name)
            }),
        };
        self.registrations
            .iter()
            .filter(|r| is_scrutineer_role(&r.role) && r.cosigner.is_some() && assigned(&r.name))
            .cloned()
            .collect()
    }

    /// The scrutineers assigned to `election` with no cosigner key, as of
    /// now, by name.
    fn keyless_scrutineers(&self, election: &str) -> Vec<String> {
        let Some(staff) = self.assigned.get(election) else {
            return Vec::new();
        };
        staff
            .iter()
            .filter(|(role, _)| is_scrutineer_role(role))
            .filter(|(_, name)| {
                !self
                    .registrations
                    .iter()
                    .any(|r| is_scrutineer_role(&r.role) && r.cosigner.is_some() && r.name == *name)
            })
            .map(|(_, name)| name.clone())
            .collect()
    }

    fn tally(&mut self, index: u64, id: &str, published: &TallyRecord, out: &mut Vec<String>) {
        let election = self.rounds.get(id).and_then(|s| s.election.clone());
        let cosigners = self.cosigners_of(election.as_deref());
        // Every assigned scrutineer is in n unless a decision excused them.
        if let (Some(e), Some(state)) = (election.as_deref(), self.rounds.get(id)) {
            for name in self.keyless_scrutineers(e) {
                if !state.excused.contains(&name) {
                    out.push(format!(
                        "round {id} closed while its scrutineer {name} had no key and no proceed_without decision excused them"
                    ));
                }
            }
        }
        let Some(state) = self.rounds.get_mut(id) else {
            out.push(format!("round {id} was never opened"));
            return;
        };
        if state.closed.is_none() {
            out.push(format!(
                "tally of round {id} published before the round closed"
            ));
            return;
        }
        if let Some(at) = state.tallied {
            out.push(format!("round {id} was already tallied at entry {at}"));
            return;
        }
        state.tallied = Some(index);
        let certification = Certification {
            checkpoint: index + 1,
            root: None,
            required: usize::try_from(state.method.cosignatures_required(cosigners.len() as u64))
                .unwrap_or(usize::MAX),
            cosigners: cosigners.iter().map(|r| r.name.clone()).collect(),
            cosigned: Vec::new(),
        };
        state.cosigners = cosigners;
        let round = &state.round;
        let method = &state.method;
        let given = state.ballots;
        let combined = self.stages.combined_counts(id, round.candidates.len());
        if let Some(returned) = round.returned.filter(|_| combined.is_none()) {
            let counted = round.is_counted(method, returned);
            if given != returned && (given != 0 || counted) {
                out.push(format!(
                    "{given} ballots logged but {returned} returned; expected one ballot per returned paper"
                ));
            }
        }
        let counts = match combined {
            Some(c) if given == 0 => c,
            _ => combine(method, round, &state.plain, &state.special),
        };
        let result = crate::rules::evaluate_counts(method, round, counts);
        state.runoff = result.runoff.clone();
        let replayed = record::record(method, round, &result);
        // Structural equality of the parsed records is equality of their
        // canonical bytes (`record::canonical`): one encoding per record.
        let same = *published == replayed;
        if !same {
            let (en, zh) = describe_differences(published, &replayed);
            self.worded.insert(en.clone(), zh);
            out.push(en);
        }
        self.tallies.push(TallyCheck {
            round: id.to_owned(),
            entry: index,
            status: result.status.as_str().to_owned(),
            elected: result.elected.clone(),
            matches: same,
            certification,
        });
    }

    /// A `result_cosigned` event: the signature line it records, if it
    /// verifies (`None` when there is no origin to check it against).
    fn check_result_cosigned(
        &self,
        round: &str,
        scrutineer: &str,
        size: u64,
        signature: &str,
    ) -> Result<Option<NoteSignature>, String> {
        let state = self
            .rounds
            .get(round)
            .ok_or_else(|| format!("round {round} was never opened"))?;
        let tallied = state
            .tallied
            .ok_or_else(|| format!("round {round} has no published tally to cosign"))?;
        if size != tallied + 1 {
            return Err(format!(
                "cosigns the checkpoint of size {size}; the result checkpoint of round {round} is the one of size {}, which ends with its tally",
                tallied + 1
            ));
        }
        let Some(key) = state
            .cosigners
            .iter()
            .find(|r| r.name == scrutineer)
            .and_then(|r| r.cosigner.as_ref())
        else {
            let registered = self
                .registrations
                .iter()
                .any(|r| is_scrutineer_role(&r.role) && r.name == scrutineer);
            return Err(if registered {
                format!("{scrutineer} is not among the cosigners of round {round} (scrutineers with a key when it was tallied, assigned to its election)")
            } else {
                format!("{scrutineer} is not a registered scrutineer")
            });
        };
        if let Some(at) = state.cosigned_by.get(scrutineer) {
            return Err(format!(
                "{scrutineer} already cosigned round {round} at entry {at}"
            ));
        }
        let line = bundle::cosignature_line(key, signature).ok_or_else(|| {
            format!(
                "signature is not base64 of a key ID of {}, a timestamp and a signature",
                key.label()
            )
        })?;
        let Some(origin) = &self.origin else {
            return Ok(None);
        };
        let root = self
            .tree
            .root_at(TreeSize(size))
            .map_err(|e| e.to_string())?;
        let checkpoint =
            Checkpoint::new(origin, TreeSize(size), root).map_err(|e| e.to_string())?;
        verify_cosignature(&checkpoint.body(), key, &line).map_err(|e| match e {
            CosignatureError::BadSignature { key } => {
                format!("cosignature by {key} does not verify over the checkpoint of size {size}")
            }
            other => other.to_string(),
        })?;
        Ok(Some(line))
    }
}

fn same_names(a: &[String], b: &[String]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    a == b
}

fn hex8(bytes: &[u8; 32]) -> String {
    bytes[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// Counts one batch into its round: plain ballots with the packed kernel,
/// the rest kept for the reference counter.
fn add_batch(
    state: &mut RoundState,
    b: &BatchBallots,
    packed: Option<&Result<PackedBallots, EventError>>,
) -> Result<(), String> {
    let lines = state.round.candidates.len();
    if b.lines != lines as u64 {
        return Err(format!(
            "ballots have {} lines; the round has {lines} candidates",
            b.lines
        ));
    }
    if b.plain_count > 0 {
        let decoded;
        let packed = match packed {
            Some(Ok(p)) => p,
            Some(Err(e)) => return Err(e.to_string()),
            None => {
                decoded = b.packed().map_err(|e| e.to_string())?;
                &decoded
            }
        };
        let words = packed.words();
        let wpb = packed.words_per_ballot();
        // Sorted, so the order of entry does not survive.
        let sorted = if wpb == 1 {
            words.windows(2).all(|w| w[0] <= w[1])
        } else {
            words
                .chunks_exact(wpb)
                .zip(words.chunks_exact(wpb).skip(1))
                .all(|(a, b)| a <= b)
        };
        if !sorted {
            return Err("plain ballots are not sorted".into());
        }
        if let Some(r) = &state.round.rating {
            super::replay_stages::check_rated_plain(r, packed)?;
        }
        let t = count::tally(packed, state.limit);
        let acc = &mut state.plain;
        for (a, x) in acc.for_votes.iter_mut().zip(&t.for_votes) {
            *a += x;
        }
        for (a, x) in acc.against.iter_mut().zip(&t.against) {
            *a += x;
        }
        for (a, x) in acc.abstain.iter_mut().zip(&t.abstain) {
            *a += x;
        }
        acc.valid += t.valid;
        acc.invalid += t.invalid;
    } else if !b.plain.is_empty() {
        return Err("plain data given for no plain ballots".into());
    }
    if !b.special.windows(2).all(|w| w[0] <= w[1]) {
        return Err("special ballots are not sorted".into());
    }
    let nomination = state.round.kind == crate::rules::RoundKind::Nomination;
    for s in &b.special {
        // The same reader as the entry path: free names count only in a
        // nomination round (`rules::tally::read_ballot`).
        let ballot = s.to_ballot(lines)?;
        if let (Some(r), Ballot::Marked { marks, .. }) = (&state.round.rating, &ballot) {
            r.check_marks(marks)?;
        }
        if matches!(&ballot, Ballot::Marked { names, .. } if !names.is_empty()) && !nomination {
            return Err(format!(
                "free names in a {} round; {}",
                state.round.kind.as_str(),
                crate::rules::roundfile::NAMES_ONLY_NOMINATION
            ));
        }
        state.special.push(ballot);
    }
    state.ballots = state.ballots.saturating_add(b.len());
    Ok(())
}

/// The counts of a round: the kernel's plain counts plus the reference
/// counter over the special ballots. Counting is additive per ballot, so
/// this equals the reference counter over all ballots (plain ballots carry
/// no write-in and no illegible mark; one is invalid only for too many
/// selections).
fn combine(
    method: &ElectionMethod,
    round: &Round,
    plain: &count::Tally,
    special: &[Ballot],
) -> Counts {
    let mut c = crate::rules::tally::count(method, round, special);
    c.valid += plain.valid;
    c.invalid += plain.invalid;
    if plain.invalid > 0 {
        *c.invalid_by_reason
            .entry(InvalidReason::Overvote)
            .or_default() += plain.invalid;
    }
    for (i, line) in c.lines.iter_mut().enumerate() {
        let add = LineCount {
            for_votes: plain.for_votes.get(i).copied().unwrap_or(0),
            against: plain.against.get(i).copied().unwrap_or(0),
            abstain: plain.abstain.get(i).copied().unwrap_or(0),
        };
        line.for_votes += add.for_votes;
        line.against += add.against;
        line.abstain += add.abstain;
    }
    c
}

/// `": first at <field>"` for two methods that differ.
fn first_difference(a: &ElectionMethod, b: &ElectionMethod) -> String {
    let (Ok(Value::Object(a)), Ok(Value::Object(b))) =
        (serde_json::to_value(a), serde_json::to_value(b))
    else {
        return String::new();
    };
    a.iter()
        .find(|(k, v)| b.get(*k) != Some(v))
        .map(|(k, _)| format!(": first at `{k}`"))
        .unwrap_or_default()
}

/// One difference between the published and the replayed record.
struct Diff {
    path: String,
    published: Option<Value>,
    replayed: Option<Value>,
}

/// The differences between a published and a replayed record, the first
/// five named, in English and in Chinese.
fn describe_differences(published: &TallyRecord, replayed: &TallyRecord) -> (String, String) {
    let (Ok(a), Ok(b)) = (
        serde_json::to_value(published),
        serde_json::to_value(replayed),
    ) else {
        return (
            "the published record differs from the replay".into(),
            "公布的计票结果与重新计票不符".into(),
        );
    };
    let mut diffs = Vec::new();
    diff_values(&a, &b, "", &mut diffs);
    let more = diffs.len().saturating_sub(5);
    let (en, zh): (Vec<String>, Vec<String>) = diffs
        .iter()
        .take(5)
        .map(|d| (d.describe(&b, false), d.describe(&b, true)))
        .unzip();
    let (mut en, mut zh) = (en.join("; "), zh.join("；"));
    if more > 0 {
        en.push_str(&format!("; and {more} more differences"));
        zh.push_str(&format!("；另有 {more} 处不同"));
    }
    (en, zh)
}

impl Diff {
    /// "published for-votes of 王二 40, replay 39" (or in Chinese), the
    /// status with its meaning, or the record path.
    fn describe(&self, replayed_doc: &Value, zh: bool) -> String {
        let show = |v: &Option<Value>| match v {
            None => if zh { "无" } else { "nothing" }.to_owned(),
            Some(Value::String(code)) if self.path == "/status" => {
                let status: Option<crate::rules::Status> =
                    serde_json::from_value(Value::String(code.clone())).ok();
                match status {
                    Some(st) if zh => format!("{code}（{}）", st.zh()),
                    Some(st) => format!("{code} ({})", st.en()),
                    None => code.clone(),
                }
            }
            Some(v) => v.to_string(),
        };
        let (p, r) = (show(&self.published), show(&self.replayed));
        let parts: Vec<&str> = self.path.trim_start_matches('/').split('/').collect();
        if let ["rows", row, field] = parts.as_slice() {
            let name = row
                .parse::<usize>()
                .ok()
                .and_then(|i| replayed_doc.get("rows")?.get(i)?.get("name")?.as_str());
            let what = match *field {
                "for" => Some(("for-votes", "赞成票")),
                "against" => Some(("against-votes", "不赞成票")),
                "abstain" => Some(("abstentions", "弃权票")),
                _ => None,
            };
            if let (Some(name), Some((en, cn))) = (name, what) {
                return if zh {
                    format!("公布的{name}{cn}为 {p}，重新计票为 {r}")
                } else {
                    format!("published {en} of {name} {p}, replay {r}")
                };
            }
        }
        if self.path == "/status" {
            return if zh {
                format!("公布的结果为 {p}，重新计票为 {r}")
            } else {
                format!("published status {p}, replay {r}")
            };
        }
        let at = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        if zh {
            format!("记录 {at} 处：公布为 {p}，重新计票为 {r}")
        } else {
            format!("at {at}: published {p}, replay {r}")
        }
    }
}

/// Leaf-level differences, in document order.
fn diff_values(a: &Value, b: &Value, path: &str, out: &mut Vec<Diff>) {
    if out.len() > 100 {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = format!("{path}/{k}");
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => diff_values(u, v, &p, out),
                    (u, v) => out.push(Diff {
                        path: p,
                        published: u.cloned(),
                        replayed: v.cloned(),
                    }),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                diff_values(u, v, &format!("{path}/{i}"), out);
            }
        }
        (u, v) if u != v => out.push(Diff {
            path: path.to_owned(),
            published: Some(u.clone()),
            replayed: Some(v.clone()),
        }),
        _ => {}
    }
}
