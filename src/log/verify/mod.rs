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
//!    every result checkpoint carries the cosignatures of the witnesses
//!    the log names (`witness_named`, K of them if it gives a quorum);
//! 4. the Merkle tree recomputed from the entry files has every
//!    checkpoint's root, and the final checkpoint covers every entry;
//! 5. each checkpoint extends the previous one (consistency proofs);
//!    receipts, if any, verify;
//! 6. every entry decodes and its signature verifies (in a batch, or
//!    with `verify_strict` where a batch cannot vouch for it; see
//!    "Signatures" below);
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
//!
//! # Layout
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | the entry points and the report types |
//! | `files.rs` | steps 1 and 2: the bundle's files, the checkpoint signatures; `keys.txt` against the log |
//! | `cosign.rs` | step 3: cosignatures and each result's certification |
//! | `tree.rs` | steps 4 and 5: the tree, consistency, receipts |
//! | `author.rs` | steps 6 and 7 per entry: who may make which entry, under which key |
//! | `replay.rs` | step 8: the events folded in order, every tally recounted |
//! | `diff.rs` | the differences between a published and a replayed record, worded |
//! | `pinned.rs` | step 9: the bundle against the auditor's pins |
//! | `sigs.rs` | the notes' and cosignatures' signatures, batch-checked before steps 2, 3 and 8 |
//!
//! # Signatures
//!
//! By default ([`Signatures::Batch`]) the Ed25519 signatures are checked
//! in batches ([`crate::log::sigbatch`]): the entries' in the per-entry
//! map ([`check_entries`], one batch per run of entries), the notes' and
//! cosignatures' in one more (`sigs.rs`). A signature a batch cannot
//! vouch for is checked with `verify_strict`, so every failure is named
//! as before. [`Signatures::Strict`] (`scrutineer verify --strict`) checks
//! each with `verify_strict` alone; docs/audit-bundle.md §2 says what
//! differs.

mod author;
// Box opening, seat-reduction and hand-count replay (issue 12).
mod boxes;
mod consent;
mod cosign;
mod diff;
mod files;
mod pinned;
mod replay;
mod sigs;
mod totals;
mod tree;

use std::collections::BTreeMap;
use std::fmt;

use super::bundle::{entry_path, Bundle, KeyLine};
use super::checkpoint::Checkpoint;
use super::entry::{
    check_signature, AuthorRole, EntryError, EntryHead, EntrySignatureError,
    ENTRY_SIGNED_MESSAGE_LEN,
};
use super::event::{self, Event, EventError};
use super::merkle::{leaf_hash, Hash, Tree};
use super::note::{Note, VerifierKey};
use super::pins::Pins;
use super::sigbatch::{self, Item, Verified};
use crate::count::PackedBallots;

pub use super::event::is_scrutineer_role;

use author::steps_entries;
use cosign::step_cosignatures;
use files::{step_checkpoints, step_files};
use pinned::step_pins;
use tree::{step_consistency, step_tree};

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
            Step::Cosignatures => {
                "监票人联署有效，逐轮核定结果（达到规定人数）；日志所列见证人联署每轮结果"
            }
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
                "cosignatures verify; each result is certified or not (k of n scrutineers); the named witnesses cosigned every result"
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
    /// Witnesses whose cosignature must be on the result checkpoint: all
    /// the log names (`witness_named`), or the quorum it gives.
    pub witnesses_required: usize,
    /// The valid cosignatures of the result checkpoint by the named
    /// witnesses (role `witness`).
    pub witnessed: Vec<Cosigned>,
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
    /// The witnesses the log names, in log order.
    pub witnesses: Vec<NamedWitness>,
    /// How many of them must cosign each result checkpoint.
    pub witnesses_required: usize,
    /// Who held which role and key, per election.
    pub holders: Vec<KeyHolder>,
    /// Signature lines by keys the verifier does not know (neither the log
    /// key nor a registered scrutineer's, e.g. a witness): ignored, as
    /// C2SP signed-note requires, and listed here as not checked.
    pub unchecked: Vec<Unchecked>,
}

/// A witness the log names (`witness_named`): the verifier requires its
/// cosignature on every round's result checkpoint (step 3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedWitness {
    /// The entry that names it.
    pub entry: u64,
    pub name: String,
    /// Its C2SP cosigner vkey.
    pub key: String,
    /// SHA-256 of its raw public key, in groups of four hex digits.
    pub fingerprint: String,
    /// Where the service submits checkpoints.
    pub url: String,
}

/// One person's keys in one role, for one election (or for the whole
/// meeting): who held which role and which key, as the log says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyHolder {
    /// The election the person was assigned to (`staff_assigned`);
    /// `None`: the whole meeting (organiser, presidium, or staff assigned
    /// to no election).
    pub election: Option<String>,
    pub role: String,
    pub name: String,
    /// Every key the person held in that role, in log order.
    pub keys: Vec<HeldKey>,
}

/// A key a person held, and from when to when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldKey {
    /// SHA-256 of the raw public key, in groups of four hex digits.
    pub fingerprint: String,
    /// The entry from which it signs (`key_registered`, or the approval of
    /// a replacement).
    pub from_entry: u64,
    /// The approval of its replacement, from which it signs nothing.
    pub until_entry: Option<u64>,
    /// For a replacement key: the presidium member who approved it.
    pub approved_by: Option<String>,
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
pub(super) struct Recorder {
    failures: BTreeMap<Step, (Vec<Failure>, usize)>,
    skipped: BTreeMap<Step, Step>,
}

impl Recorder {
    pub(super) fn new() -> Recorder {
        Recorder {
            failures: BTreeMap::new(),
            skipped: BTreeMap::new(),
        }
    }

    pub(super) fn push(&mut self, f: Failure) {
        let slot = self.failures.entry(f.step).or_default();
        if slot.0.len() < MAX_FAILURES_PER_STEP {
            slot.0.push(f);
        } else {
            slot.1 += 1;
        }
    }

    pub(super) fn file(&mut self, step: Step, file: &str, message: impl Into<String>) {
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
    pub(super) fn file_both(&mut self, step: Step, file: &str, en: String, zh: String) {
        self.push(Failure {
            step,
            entry: None,
            round: None,
            file: Some(file.to_owned()),
            message: en,
            zh: Some(zh),
        });
    }

    pub(super) fn general(&mut self, step: Step, message: impl Into<String>) {
        self.push(Failure {
            step,
            entry: None,
            round: None,
            file: None,
            message: message.into(),
            zh: None,
        });
    }

    pub(super) fn entry(
        &mut self,
        step: Step,
        index: u64,
        round: Option<&str>,
        message: impl Into<String>,
    ) {
        self.push(Failure {
            step,
            entry: Some(index),
            round: round.map(str::to_owned),
            file: Some(entry_path(index)),
            message: message.into(),
            zh: None,
        });
    }

    pub(super) fn skip(&mut self, step: Step, because: Step) {
        self.skipped.entry(step).or_insert(because);
    }

    pub(super) fn failed(&self, step: Step) -> bool {
        self.failures.contains_key(&step)
    }

    pub(super) fn finish(mut self) -> Vec<StepReport> {
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
pub(super) struct Cp<'a> {
    pub(super) path: &'a str,
    pub(super) note: Note,
    pub(super) checkpoint: Checkpoint,
}

/// The checks of one entry that need nothing but its bytes. Independent
/// of every other entry, so a caller may compute them in parallel
/// ([`verify_with`]).
#[derive(Debug)]
pub struct EntryCheck {
    /// The leaf hash of the bytes.
    leaf: Hash,
    /// The entry's head; its payload is read once, for `event`, and not
    /// kept.
    entry: Result<EntryHead, EntryError>,
    signature: Result<(), EntrySignatureError>,
    /// `None` when the entry did not decode.
    event: Option<Result<Event, EventError>>,
    /// The plain ballots of a `ballot_batch`, decoded and pre-counted.
    packed: Option<Result<Plain, EventError>>,
    /// The key a `key_registered` or `key_replaced` registers, parsed (a
    /// point decompression, once, on the worker's thread).
    key: Option<RegisteredKey>,
}

/// A registered key's Ed25519 bytes and, for a cosigner's vkey, the key
/// (`replay::parse_registered_key`).
pub(super) type RegisteredKey = Result<([u8; 32], Option<VerifierKey>), String>;

/// A batch's plain ballots as the per-entry map leaves them for the
/// replay: decoded, their order checked and counted with no limit, all on
/// the worker's thread (the round's selection limit is known only to the
/// replay, which uses the count when no ballot can exceed it).
#[derive(Debug)]
pub(super) struct Plain {
    pub(super) ballots: PackedBallots,
    /// [`replay::plain_sorted`] of the ballots.
    pub(super) sorted: bool,
    /// [`crate::count::most_for_marks`] and `count::tally(ballots,
    /// u32::MAX)`: the batch's tally under any limit of at least that many
    /// selections.
    pub(super) unlimited: Option<(u32, crate::count::Tally)>,
}

impl Plain {
    fn new(ballots: PackedBallots) -> Plain {
        let sorted = replay::plain_sorted(&ballots);
        let unlimited = crate::count::most_for_marks(&ballots)
            .map(|most| (most, crate::count::tally(&ballots, u32::MAX)));
        Plain {
            ballots,
            sorted,
            unlimited,
        }
    }
}

/// How the verifier checks Ed25519 signatures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Signatures {
    /// In batches, after `verify_strict`'s cheap checks
    /// ([`crate::log::sigbatch`]); any a batch cannot vouch for are
    /// checked with `verify_strict`.
    #[default]
    Batch,
    /// Each with `verify_strict` alone (`scrutineer verify --strict`).
    Strict,
}

/// The per-entry checks of one entry's bytes, its signature checked with
/// `verify_strict`. Pure; never panics.
pub fn check_entry(bytes: &[u8]) -> EntryCheck {
    let (mut check, signed) = check_entry_unsigned(bytes);
    if let Some(s) = signed {
        check.signature = s.verify_strict();
    }
    check
}

/// A person's entry signature, to check in a batch.
struct Signed {
    author: [u8; 32],
    message: [u8; ENTRY_SIGNED_MESSAGE_LEN],
    signature: [u8; 64],
}

impl Signed {
    /// The signature checked alone, with `verify_strict`.
    fn verify_strict(&self) -> Result<(), EntrySignatureError> {
        check_signature(&self.author, &self.message, &self.signature)
    }
}

/// [`check_entry`] but for the signature of a person's entry, which is
/// returned to be checked (and `check.signature` left `Ok`).
fn check_entry_unsigned(bytes: &[u8]) -> (EntryCheck, Option<Signed>) {
    let leaf = leaf_hash(bytes);
    let split = EntryHead::split(bytes);
    let (signature, signed, event) = match &split {
        Ok((e, payload)) => {
            let (signature, signed) = match e.signature() {
                Some(sig) if e.role() != AuthorRole::Service => (
                    Ok(()),
                    Some(Signed {
                        author: *e.author(),
                        message: e.signed_message(payload),
                        signature: *sig,
                    }),
                ),
                _ => (e.verify_signature(payload), None),
            };
            (signature, signed, Some(event::decode(payload)))
        }
        Err(_) => (Ok(()), None, None),
    };
    let entry = split.map(|(head, _)| head);
    let packed = match &event {
        Some(Ok(Event::BallotBatch { ballots, .. })) if ballots.plain_count > 0 => {
            Some(ballots.packed().map(Plain::new))
        }
        _ => None,
    };
    let key = match &event {
        Some(Ok(Event::KeyRegistered { key, .. } | Event::KeyReplaced { key, .. })) => {
            Some(replay::parse_registered_key(key))
        }
        _ => None,
    };
    let check = EntryCheck {
        leaf,
        entry,
        signature,
        event,
        packed,
        key,
    };
    (check, signed)
}

/// The per-entry checks of every entry, in order, on this thread, the
/// signatures of persons' entries in one batch
/// ([`crate::log::sigbatch::verify`]); those it cannot vouch for (all of
/// them if one is bad) are checked with `verify_strict`, so the result
/// names each bad entry as [`check_entries_strict`] does.
pub fn check_entries(entries: &[&[u8]]) -> Vec<EntryCheck> {
    let mut checks = Vec::with_capacity(entries.len());
    let mut signed: Vec<(usize, Signed)> = Vec::new();
    for (i, bytes) in entries.iter().enumerate() {
        let (check, s) = check_entry_unsigned(bytes);
        if let Some(s) = s {
            signed.push((i, s));
        }
        checks.push(check);
    }
    let items: Vec<Item<'_>> = signed
        .iter()
        .map(|(_, s)| Item {
            key: &s.author,
            message: &s.message,
            signature: &s.signature,
        })
        .collect();
    let ok = sigbatch::verify(&items);
    for ((i, s), ok) in signed.iter().zip(ok) {
        if !ok {
            checks[*i].signature = s.verify_strict();
        }
    }
    checks
}

/// [`check_entry`] of every entry, in order, on this thread: every
/// signature with `verify_strict` alone.
pub fn check_entries_strict(entries: &[&[u8]]) -> Vec<EntryCheck> {
    entries.iter().map(|bytes| check_entry(bytes)).collect()
}

/// [`check_entries`] or [`check_entries_strict`].
pub fn check_entries_with(entries: &[&[u8]], signatures: Signatures) -> Vec<EntryCheck> {
    match signatures {
        Signatures::Batch => check_entries(entries),
        Signatures::Strict => check_entries_strict(entries),
    }
}

/// Verifies a bundle. Never panics, whatever the bytes.
pub fn verify(bundle: &Bundle) -> VerifyReport {
    verify_with(bundle, check_entries)
}

/// [`verify`], with the per-entry checks computed by `map`: it must return
/// what [`check_entries`] does, in order (e.g. on several threads, as
/// `crate::bundle_io::verify_parallel` does). The result is the same as
/// [`verify`]'s.
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
    verify_tiles_checked_with(files, log_key, receipts, pins, Signatures::Batch, map)
}

/// [`verify_tiles_pinned_with`], with the notes' signatures checked as
/// `signatures` says (`map` should check the entries' the same way).
pub fn verify_tiles_checked_with(
    files: &Bundle,
    log_key: Option<&VerifierKey>,
    receipts: &[GivenReceipt<'_>],
    pins: &Pins,
    signatures: Signatures,
    map: impl FnOnce(&[&[u8]]) -> Vec<EntryCheck>,
) -> VerifyReport {
    let (bundle, problems) = super::tiles::to_bundle(files, log_key);
    let mut report = verify_checked_with(&bundle, receipts, pins, signatures, map);
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
    verify_checked_with(bundle, receipts, pins, Signatures::Batch, map)
}

/// [`verify_pinned_with`], with the notes' and cosignatures' signatures
/// checked as `signatures` says; `map` should check the entries' the
/// same way ([`check_entries_with`]).
pub fn verify_checked_with(
    bundle: &Bundle,
    receipts: &[GivenReceipt<'_>],
    pins: &Pins,
    signatures: Signatures,
    map: impl FnOnce(&[&[u8]]) -> Vec<EntryCheck>,
) -> VerifyReport {
    let parts = bundle.parts();
    let mut rec = Recorder::new();

    // Step 1: files and keys.
    let keys = step_files(&mut rec, &parts);
    // The per-entry checks (the tree of step 4 is built from them).
    let n = parts.entries.len() as u64;
    let mut checks = map(&parts.entries);
    if checks.len() != parts.entries.len() {
        // A mapper that lost entries: check them here instead.
        checks = check_entries_with(&parts.entries, signatures);
    }
    let tree = Tree::from_leaf_hashes(checks.iter().map(|c| c.leaf));
    // The notes' and cosignatures' signatures, in one batch.
    let known = match signatures {
        Signatures::Batch => sigs::batch_notes(&parts, &keys, &checks, &tree),
        Signatures::Strict => Verified::none(),
    };
    // Step 2: checkpoint signatures.
    let cps = step_checkpoints(&mut rec, &parts, &keys, &known);
    // Step 4: the tree from the entry files.
    let tree_matches = step_tree(&mut rec, &cps, &tree, n);
    // Step 5: consistency between consecutive checkpoints, and receipts.
    let receipt_notes =
        step_consistency(&mut rec, &parts, receipts, &keys, &cps, &tree, tree_matches);
    // Steps 6, 7, 8: one pass over the entries, in log order.
    let mut replay = steps_entries(&mut rec, &checks, &keys, &tree, &known);
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
        pinned: pins.len(),
        steps: rec.finish(),
        origin: keys.origin,
        log_key: keys.log_key.map(|k| k.to_string()),
        entries: n,
        checkpoints: cps.len(),
        ballots: replay.ballots,
        final_checkpoint: final_cp.map(|c| (c.checkpoint.size().0, c.checkpoint.root())),
        tallies,
        unchecked,
        witnesses: replay
            .witnesses
            .iter()
            .map(|w| NamedWitness {
                entry: w.entry,
                name: w.name.clone(),
                key: w.key.to_string(),
                fingerprint: super::pins::fingerprint(&w.key.public_key().to_bytes()),
                url: w.url.clone(),
            })
            .collect(),
        witnesses_required: replay.witnesses_required(),
        holders: replay.holders(),
    }
}

/// What step 1 read: the keys and names everything else is checked against.
pub(super) struct Keys {
    pub(super) origin: Option<String>,
    pub(super) log_key: Option<VerifierKey>,
    pub(super) keys_file: Option<Vec<KeyLine>>,
}
