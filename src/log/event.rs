//! Meeting events: the typed payloads of log entries (payload encoding v1).
//!
//! Every state change of a meeting is one [`Event`] in one signed log entry
//! (`log::entry`). The payload bytes are the event as **canonical JSON**:
//! UTF-8, no whitespace, object keys sorted by their UTF-8 bytes, integers
//! only (no floats anywhere), strings escaped as RFC 8785 (JCS) does. For the
//! value types used here that is exactly RFC 8785, so an independent
//! verifier can re-encode and compare. [`decode`] rejects any payload that is
//! not in canonical form, so each event has exactly one encoding.
//!
//! Every event object has `"v": 1` and a `"type"` naming its variant.
//!
//! Optional fields (`by`: the acting person's name; `election` on
//! `round_opened`) are omitted when absent, so entries written before they
//! existed decode and re-encode unchanged. The entries are signed by the
//! meeting's log key; the entry's author role byte says in which capacity
//! (counter, scrutineer, presidium, clerk), `by` says who.
//!
//! Ballots never carry anything that could link them to a voter: a
//! [`Event::BallotBatch`] holds the reconciled ballots of one paper batch **sorted**
//! (plain ballots by their packed words, special ballots by their canonical
//! JSON), so neither the order of entry nor the order in the box survives.

use std::collections::BTreeMap;

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::count::{self, PackedBallots};
use crate::log::canonical;
use crate::log::entry::EntryKind;
use crate::log::record::TallyRecord;
use crate::rules::ballot::{self, Key, Written};
use crate::rules::method::ElectionMethod;
use crate::rules::round::{Ballot, Mark, Office, Round, RoundKind};
use crate::state::Resolution;

/// The batch label of a hand-counted round's readings: the counters'
/// `entry_committed`, the scrutineers' `difference_resolved` and
/// `batch_discarded` (sent back for re-entry) name it.
pub const TOTALS_BATCH: &str = "唱票";

/// The payload encoding version this module writes and reads.
pub const EVENT_VERSION: u64 = 1;

/// The body holding the meeting (for reports; the method carries the rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// 党员大会
    MembersAssembly,
    /// 党员代表大会
    DelegateCongress,
    /// 委员会全体会议
    CommitteePlenary,
    /// 党委（党组）会议 — cadre votes and resolutions.
    CommitteeMeeting,
}

/// An approved exclusion from the entitled voters (RULES §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    /// e.g. 因患重病, 出国半年以上.
    pub reason: String,
    pub count: u64,
    /// Who approved it (e.g. 上级党委组织部).
    pub approved_by: String,
}

/// The presidium's (or the chair's) decisions the rules leave open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case", deny_unknown_fields)]
pub enum Decision {
    /// Confirm the proposed list for the next stage.
    AcceptList { list: Vec<String> },
    /// Call a runoff among the tied (opens round `round`).
    CallRunoff {
        round: String,
        among: Vec<String>,
        seats: u64,
    },
    /// Call a supplementary ballot for unfilled seats (opens round `round`).
    CallSupplementary {
        round: String,
        seats: u64,
        candidates: Vec<String>,
    },
    /// Reduce the seats instead of a supplementary ballot, with the consent
    /// recorded as the method requires (electors' majority or presidium).
    ReduceSeats {
        from: u64,
        to: u64,
        consent: String,
        /// The electors' counted vote (`rules::consent`) when the method
        /// leaves the reduction to them; absent when the presidium
        /// decides, and in entries written before this field existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vote: Option<crate::rules::consent::ConsentVote>,
    },
    /// Hold a void round (or one without quorum) again as round `round`.
    Rerun { round: String },
    /// Announce the result to the meeting (public display may show it).
    Announce,
    /// Taken while the round is open: the named scrutineers of the
    /// election registered no key and the round proceeds without them;
    /// they leave the round's n of its k-of-n rule, and `proceed` (the
    /// scrutineers with a key) certify it. Without this decision a round
    /// cannot close while an assigned scrutineer has no key.
    ProceedWithout {
        without: Vec<String>,
        proceed: Vec<String>,
        reason: String,
    },
    /// Qualification review (资格审查, 考察; RULES §9.4) of the list
    /// accepted from this round: strikes and additions, each with its
    /// recorded reason and who decided, applied in order; `list` is the
    /// list as amended, the next stage's list.
    Review {
        decisions: Vec<crate::rules::review::ReviewDecision>,
        list: Vec<String>,
    },
}

/// A ballot the packed form cannot hold: a write-in, an illegible mark, or
/// declared void. Same shape as a round-file ballot object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum SpecialBallot {
    Void {
        void: String,
    },
    Marked {
        marks: String,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        write_ins: BTreeMap<String, String>,
        /// Free names on a nomination ballot, sorted; omitted when none, so
        /// the encoding of every other ballot is unchanged.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        names: Vec<String>,
    },
}

/// Why a ballot in `special` is refused when the packed form could hold it.
pub const PLAIN_IN_SPECIAL: &str = "a plain ballot (only Y, N and A marks, no write-in, no free name) is written in special; plain ballots are packed in plain, so that a batch has one encoding";

impl SpecialBallot {
    /// Whether the packed form holds this ballot: marked, every mark `Y`,
    /// `N` or `A`, no write-in, no free name. Such a ballot must be in
    /// `plain`, never in `special`: a batch has exactly one encoding.
    pub fn is_plain(&self) -> bool {
        match self {
            SpecialBallot::Void { .. } => false,
            SpecialBallot::Marked {
                marks,
                write_ins,
                names,
            } => {
                write_ins.is_empty()
                    && names.is_empty()
                    && marks.chars().all(|c| matches!(c, 'Y' | 'N' | 'A'))
            }
        }
    }

    /// The ballot as the rule engine reads it, for a round with `lines`
    /// candidates: through the one reader of ballots ([`ballot::read`],
    /// the same limits as every path in), and strict, because a verifier
    /// reads these from a bundle: the text must be as that reader gives
    /// it, free names sorted, and a plain ballot is refused
    /// ([`SpecialBallot::is_plain`]). Whether free names may appear at all
    /// depends on the round's kind, which the verifier checks.
    pub fn to_ballot(&self, lines: usize) -> Result<Ballot, String> {
        if self.is_plain() {
            return Err(PLAIN_IN_SPECIAL.into());
        }
        let written = match self {
            SpecialBallot::Void { void } => Written::Void(void),
            SpecialBallot::Marked {
                marks,
                write_ins,
                names,
            } => {
                if !names.windows(2).all(|w| w[0] <= w[1]) {
                    return Err("free names are not sorted".into());
                }
                Written::Marked {
                    marks: Some(marks),
                    write_ins: write_ins
                        .iter()
                        .map(|(k, n)| (Key::Text(k), Some(n.as_str())))
                        .collect(),
                    names: names.iter().map(String::as_str).collect(),
                }
            }
        };
        // The one reader, as on every path in; then the text must be as
        // that reader gives it (the service writes nothing else).
        let ballot = ballot::read(written, Some(lines)).map_err(|e| e.to_string())?;
        let as_read = match (&ballot, self) {
            (Ballot::Void { reason }, SpecialBallot::Void { void }) => reason == void,
            (
                Ballot::Marked {
                    write_ins: ins,
                    names: read,
                    ..
                },
                SpecialBallot::Marked {
                    write_ins, names, ..
                },
            ) => {
                read == names
                    && ins
                        .iter()
                        .all(|(l, n)| write_ins.get(&l.to_string()) == Some(n))
            }
            _ => false,
        };
        if !as_read {
            return Err(ballot::ReadError {
                field: ballot::Field::Ballot,
                problem: ballot::Problem::NotAsRead,
            }
            .to_string());
        }
        Ok(ballot)
    }
}

/// The reconciled ballots of one batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchBallots {
    /// Candidate lines per ballot.
    pub lines: u64,
    /// Number of plain ballots (only Y/N/A marks).
    pub plain_count: u64,
    /// Plain ballots, packed 2 bits per line (`00` abstain, `01` for, `10`
    /// against; line 0 in the low bits), `ceil(lines/32)` little-endian u64
    /// words per ballot, ballots sorted by their words; standard base64.
    pub plain: String,
    /// Every other ballot, sorted.
    pub special: Vec<SpecialBallot>,
}

/// Why ballots could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    NotCanonical,
    Json(String),
    Version(u64),
    Ballots(String),
    /// A text field holds a control, format or bidi character (which the
    /// service refuses: `rules::name`); `field` is its JSON path.
    HiddenText {
        field: String,
        ch: char,
    },
}

impl std::fmt::Display for EventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventError::NotCanonical => f.write_str("payload is not canonical JSON"),
            EventError::Json(e) => write!(f, "payload is not a valid event: {e}"),
            EventError::Version(v) => write!(f, "event version {v}; expected {EVENT_VERSION}"),
            EventError::Ballots(e) => write!(f, "ballot batch: {e}"),
            EventError::HiddenText { field, ch } => write!(
                f,
                "{field}: holds the hidden character U+{:04X} (a control, format or bidi character the service refuses in text)",
                u32::from(*ch)
            ),
        }
    }
}

impl std::error::Error for EventError {}

fn mark_to_count(m: Mark) -> count::Mark {
    match m {
        Mark::For => count::Mark::For,
        Mark::Against => count::Mark::Against,
        Mark::Abstain | Mark::Illegible => count::Mark::Abstain,
    }
}

/// Collects the ballots of one batch, in any order, and encodes them sorted.
///
/// Used by the service (a paper batch) and by bulk import (a stream cut into
/// batches that fit one log entry: see [`BatchBuilder::is_full`]).
#[derive(Debug, Clone)]
pub struct BatchBuilder {
    lines: usize,
    words_per_ballot: usize,
    /// Plain ballots, `words_per_ballot` words each, unsorted.
    plain: Vec<u64>,
    special: Vec<SpecialBallot>,
    /// Estimated encoded size of `special`, in bytes.
    special_bytes: usize,
}

/// Encoded bytes a batch may use for its ballots, leaving room for the event
/// fields and the entry envelope under the 64 KiB entry limit.
pub const BATCH_BALLOT_BYTES: usize = 56 * 1024;

impl BatchBuilder {
    pub fn new(lines: usize) -> BatchBuilder {
        BatchBuilder {
            lines,
            words_per_ballot: lines.div_ceil(count::LINES_PER_WORD).max(1),
            plain: Vec::new(),
            special: Vec::new(),
            special_bytes: 0,
        }
    }

    pub fn lines(&self) -> usize {
        self.lines
    }

    pub fn words_per_ballot(&self) -> usize {
        self.words_per_ballot
    }

    /// Add a plain ballot already packed (2 bits per line, no `11` codes,
    /// zero padding); the caller has validated it.
    pub fn push_packed(&mut self, words: &[u64]) {
        self.plain.extend_from_slice(words);
    }

    /// Add any ballot; plain ones are packed, others kept whole.
    pub fn push(&mut self, ballot: &Ballot) -> Result<(), EventError> {
        match ballot {
            Ballot::Void { reason } => self.push_special(SpecialBallot::Void {
                void: reason.clone(),
            }),
            Ballot::Marked {
                marks,
                write_ins,
                names,
            } => {
                if marks.len() != self.lines {
                    return Err(EventError::Ballots(format!(
                        "a ballot has {} marks; expected {}",
                        marks.len(),
                        self.lines
                    )));
                }
                if write_ins.is_empty() && names.is_empty() && !marks.contains(&Mark::Illegible) {
                    let start = self.plain.len();
                    self.plain.resize(start + self.words_per_ballot, 0);
                    for (i, m) in marks.iter().enumerate() {
                        self.plain[start + i / 32] |= mark_to_count(*m).code() << (2 * (i % 32));
                    }
                } else {
                    self.push_special(SpecialBallot::Marked {
                        marks: marks.iter().map(|m| m.as_char()).collect(),
                        write_ins: write_ins
                            .iter()
                            .map(|(l, n)| (l.to_string(), n.clone()))
                            .collect(),
                        names: {
                            let mut n = names.clone();
                            n.sort();
                            n
                        },
                    });
                }
            }
        }
        Ok(())
    }

    fn push_special(&mut self, s: SpecialBallot) {
        self.special_bytes += match &s {
            SpecialBallot::Void { void } => void.len() + 12,
            SpecialBallot::Marked {
                marks,
                write_ins,
                names,
            } => {
                marks.len()
                    + 14
                    + write_ins
                        .iter()
                        .map(|(k, v)| k.len() + v.len() + 8)
                        .sum::<usize>()
                    + names.iter().map(|n| n.len() + 4).sum::<usize>()
                    + if names.is_empty() { 0 } else { 10 }
            }
        };
        self.special.push(s);
    }

    pub fn len(&self) -> usize {
        self.plain.len() / self.words_per_ballot + self.special.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether one more ballot might not fit in one log entry.
    pub fn is_full(&self) -> bool {
        // base64 grows plain bytes by 4/3; leave room for one more ballot.
        let plain = (self.plain.len() + self.words_per_ballot) * 8 * 4 / 3;
        let special = self.special_bytes + self.lines * 6 + 200;
        plain + special >= BATCH_BALLOT_BYTES
    }

    /// Encode, sorted, and start over.
    pub fn finish(&mut self) -> BatchBallots {
        let wpb = self.words_per_ballot;
        let plain_count = self.plain.len() / wpb;
        if wpb == 1 {
            self.plain.sort_unstable();
        } else {
            let mut rows: Vec<&[u64]> = self.plain.chunks_exact(wpb).collect();
            rows.sort_unstable();
            self.plain = rows.concat();
        }
        let mut bytes = Vec::with_capacity(self.plain.len() * 8);
        for w in &self.plain {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
        let mut special = std::mem::take(&mut self.special);
        special.sort();
        self.plain.clear();
        self.special_bytes = 0;
        BatchBallots {
            lines: self.lines as u64,
            plain_count: plain_count as u64,
            plain: base64::engine::general_purpose::STANDARD.encode(bytes),
            special,
        }
    }
}

impl BatchBallots {
    /// Encode ballots of a round with `lines` candidates.
    pub fn from_ballots(lines: usize, ballots: &[Ballot]) -> Result<BatchBallots, EventError> {
        let mut b = BatchBuilder::new(lines);
        for ballot in ballots {
            b.push(ballot)?;
        }
        Ok(b.finish())
    }

    /// The plain ballots as packed words (for the fast kernels).
    ///
    /// The base64 is decoded straight into the words (no intermediate
    /// bytes); if that refuses it, or the words are not
    /// valid ballots, the general path below names the error.
    pub fn packed(&self) -> Result<PackedBallots, EventError> {
        let fast = usize::try_from(self.lines).ok().and_then(|lines| {
            let wpb = lines.div_ceil(count::LINES_PER_WORD).max(1);
            let n = usize::try_from(self.plain_count).ok()?.checked_mul(wpb)?;
            let words = base64_words(self.plain.as_bytes(), n)?;
            PackedBallots::from_words(lines, words).ok()
        });
        match fast {
            Some(packed) => Ok(packed),
            None => self.packed_general(),
        }
    }

    /// [`BatchBallots::packed`] through a byte vector, with its errors.
    fn packed_general(&self) -> Result<PackedBallots, EventError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.plain)
            .map_err(|e| EventError::Ballots(format!("plain: {e}")))?;
        let lines = usize::try_from(self.lines).map_err(|_| EventError::Ballots("lines".into()))?;
        let wpb = lines.div_ceil(count::LINES_PER_WORD).max(1);
        let expected = (self.plain_count as u128) * (wpb as u128) * 8;
        if bytes.len() as u128 != expected {
            return Err(EventError::Ballots(format!(
                "plain holds {} bytes; expected {expected} for {} ballots",
                bytes.len(),
                self.plain_count
            )));
        }
        let words: Vec<u64> = bytes
            .chunks_exact(8)
            .map(|c| {
                let mut a = [0u8; 8];
                a.copy_from_slice(c);
                u64::from_le_bytes(a)
            })
            .collect();
        PackedBallots::from_words(lines, words).map_err(|e| EventError::Ballots(e.to_string()))
    }

    /// Every ballot of the batch as the rule engine reads them.
    pub fn to_ballots(&self) -> Result<Vec<Ballot>, EventError> {
        let packed = self.packed()?;
        let mut out = Vec::with_capacity(packed.len() + self.special.len());
        for i in 0..packed.len() {
            let marks = packed
                .get(i)
                .ok_or_else(|| EventError::Ballots(format!("plain ballot {i} unreadable")))?;
            out.push(Ballot::marked(
                marks
                    .into_iter()
                    .map(|m| match m {
                        count::Mark::For => Mark::For,
                        count::Mark::Against => Mark::Against,
                        count::Mark::Abstain => Mark::Abstain,
                    })
                    .collect(),
            ));
        }
        for s in &self.special {
            let lines =
                usize::try_from(self.lines).map_err(|_| EventError::Ballots("lines".into()))?;
            out.push(s.to_ballot(lines).map_err(EventError::Ballots)?);
        }
        Ok(out)
    }

    pub fn len(&self) -> u64 {
        self.plain_count + self.special.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The value of each base64 character (standard alphabet), `0xff` for
/// every other byte (`=` included).
const BASE64_VALUES: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// The 12 bits of each pair of base64 characters (`BASE64_PAIRS[a << 8 |
/// b]`), with bit 15 set when either is outside the alphabet.
static BASE64_PAIRS: [u16; 65536] = {
    let mut t = [0x8000u16; 65536];
    let mut a = 0;
    while a < 256 {
        let mut b = 0;
        while b < 256 {
            let (x, y) = (BASE64_VALUES[a], BASE64_VALUES[b]);
            if x < 64 && y < 64 {
                t[a << 8 | b] = (x as u16) << 6 | y as u16;
            }
            b += 1;
        }
        a += 1;
    }
    t
};

/// Standard, padded base64 of exactly `words` little-endian 64-bit words,
/// decoded straight into them; `None` when `text` is anything else (wrong
/// length, a character outside the alphabet, padding not canonical),
/// exactly when the `base64` crate's `STANDARD` engine would refuse it
/// or give another length. The body in blocks of 32 characters (24
/// bytes, 3 words), the last block of fewer through that engine.
fn base64_words(text: &[u8], words: usize) -> Option<Vec<u64>> {
    let bytes = words.checked_mul(8)?;
    if text.len() != bytes.div_ceil(3).checked_mul(4)? {
        return None;
    }
    let blocks = bytes / 24;
    let mut out = Vec::with_capacity(words);
    let (body, tail) = text.split_at(blocks * 32);
    let mut bad = 0u16;
    for block in body.chunks_exact(32) {
        let Ok(block) = <&[u8; 32]>::try_from(block) else {
            return None;
        };
        // Four groups of 8 characters, 48 bits each, the 24 bytes
        // big-endian in their concatenation; the words are its three
        // 64-bit parts, byte-swapped (little-endian).
        let mut g = [0u64; 4];
        // Two characters at a time, through a table of their 12 bits
        // (128 KiB, bit 15 set for a pair outside the alphabet): about
        // twice the speed of one character at a time, here.
        for (group, chars) in g.iter_mut().zip(block.chunks_exact(8)) {
            for pair in chars.chunks_exact(2) {
                let v = BASE64_PAIRS[usize::from(pair[0]) << 8 | usize::from(pair[1])];
                bad |= v;
                *group = *group << 12 | u64::from(v & 0xfff);
            }
        }
        out.push((g[0] << 16 | g[1] >> 32).swap_bytes());
        out.push((g[1] << 32 | g[2] >> 16).swap_bytes());
        out.push((g[2] << 48 | g[3]).swap_bytes());
    }
    if bad & 0x8000 != 0 {
        return None;
    }
    let mut last = [0u8; 24];
    let n = base64::engine::general_purpose::STANDARD
        .decode_slice(tail, &mut last)
        .ok()?;
    if n != bytes - blocks * 24 {
        return None;
    }
    for word in last[..n].chunks_exact(8) {
        out.push(u64::from_le_bytes(word.try_into().ok()?));
    }
    Some(out)
}

/// One state change of a meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// The meeting exists: who is entitled to vote, after approved exclusions.
    MeetingCreated {
        meeting: String,
        name: String,
        body: Body,
        /// 应到会有选举权人数, after `exclusions`.
        entitled: u64,
        exclusions: Vec<Exclusion>,
        /// Where the meeting is held (会议地点), as the vote reports print
        /// it; absent when not given and in entries written before this
        /// field existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        place: Option<String>,
    },
    /// The meeting adopted its election method (preset + overrides); the
    /// effective method is recorded whole so replay needs no preset table.
    MethodAdopted {
        preset: String,
        overrides: Map<String, Value>,
        method: Box<ElectionMethod>,
        /// Who acted (the person's name); absent in entries written before
        /// this field existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// A person's key for a role (scrutineer, counter, presidium, ...).
    /// The entry is signed by the key it registers (proof that the person
    /// registering it holds it).
    KeyRegistered {
        role: String,
        name: String,
        /// C2SP vkey (`name+hexid+base64`) or 64 hex digits of an Ed25519 key.
        key: String,
        /// The person's id in the meeting (`p3`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        person: Option<String>,
    },
    /// The check-in count (实到会人数). Never a list linked to ballots.
    AttendanceRecorded {
        present: u64,
        /// Who acted (the person's name); absent in entries written before
        /// this field existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// A round is open with its facts frozen: list, seats, attendance and
    /// ballots issued. Its id is unique in the meeting.
    RoundOpened {
        round: String,
        contest: String,
        kind: RoundKind,
        office: Office,
        seats: u64,
        candidates: Vec<String>,
        next_size: Option<u64>,
        entitled: u64,
        present: u64,
        issued: u64,
        /// A runoff's: the kind of round whose tie it resolves, when not a
        /// formal round (RULES §2, the runoff stage); absent otherwise and
        /// in entries written before this field existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resolves: Option<RoundKind>,
        /// The election (pipeline of rounds) this round belongs to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        election: Option<String>,
        /// Who acted (the person's name); absent in entries written before
        /// this field existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// A counter's private entry of a batch: only a commitment (SHA-256 of
    /// the entry as submitted, hex), so the log proves what was entered
    /// without exposing any single counter's reading.
    EntryCommitted {
        round: String,
        batch: String,
        counter: String,
        ballots: u64,
        digest: String,
    },
    /// The reconciled ballots of one batch: they count.
    BallotBatch {
        round: String,
        batch: String,
        ballots: BatchBallots,
    },
    /// The scrutineers resolved a double-entry difference.
    DifferenceResolved {
        round: String,
        batch: String,
        /// 0-based position of the paper ballot in the batch. Optional: the
        /// service no longer logs it (with the sorted batch it would tie a
        /// void ballot to its place in the stack); entries written before
        /// carry it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        position: Option<u64>,
        /// `first`, `second`, or `void`.
        resolution: String,
        reason: Option<String>,
        /// Who acted (the person's name); absent in entries written before
        /// this field existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// A scrutineer discarded a batch that was never reconciled (a stray
    /// entry under a wrong label, or one to be entered again): its entries
    /// do not count and its label is free again.
    BatchDiscarded {
        round: String,
        batch: String,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// A scrutineer counted the ballots found in the box when it was
    /// opened, before counting (开箱清点收回选票). Two scrutineers' counts
    /// that agree settle the number (`rules::opening`); the round then
    /// closes with exactly that many returned.
    BoxCounted {
        round: String,
        returned: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// The round is counted by hand (唱票计票): logged by the organiser
    /// in the transaction that opens it, right after `round_opened`. Its
    /// counters enter totals (`rules::totals`), never ballots.
    HandCount {
        round: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// The totals of a round counted by hand, as two counters entered
    /// them alike (or as the scrutineers chose between their readings,
    /// `difference_resolved` of batch [`TOTALS_BATCH`]): the round's
    /// counts. Made by the service after two readings, like
    /// `ballot_batch`.
    TotalsCounted {
        round: String,
        totals: crate::rules::totals::HandTotals,
    },
    /// Voting ended: the number of ballots returned (收回选票数).
    RoundClosed {
        round: String,
        returned: u64,
        /// Spoiled ballots taken back and replaced (更换选票, RULES §3.3);
        /// absent when none were recorded and in entries written before
        /// this field existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replaced: Option<u64>,
        /// 投票人数 as the scrutineers recorded it (the base of `box_check
        /// = voters`); absent when not recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        voted: Option<u64>,
        /// Who acted (the person's name); absent in entries written before
        /// this field existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// The tally of a closed round: its signed result record (codes and
    /// numbers, no display text; `log::record`, docs/audit-bundle.md §3.2).
    /// Replay must reproduce it exactly.
    TallyPublished {
        round: String,
        record: Box<TallyRecord>,
    },
    PresidiumDecision {
        round: String,
        decision: Decision,
        /// Who acted (the person's name); absent in entries written before
        /// this field existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// A scrutineer signed the result statement of `round` (a C2SP
    /// cosignature of the checkpoint that includes the tally).
    ResultCosigned {
        round: String,
        scrutineer: String,
        checkpoint_size: u64,
        signature: String,
    },
    /// A counter or scrutineer is assigned to an election (contest). The
    /// scrutineers assigned, with keys registered, before a round of the
    /// election closes are the n of its k-of-n cosignature rule.
    StaffAssigned {
        election: String,
        contest: String,
        /// `counter` or `scrutineer`.
        role: String,
        name: String,
    },
    /// The organiser (or, for the organiser's first link, the service)
    /// issued a log-in link to a person. Only the link's id is logged,
    /// never the token it carries. Issuing a new link to someone revokes
    /// their earlier ones (`replaces`).
    LoginIssued {
        /// The person's id in the meeting (`p3`).
        person: String,
        role: String,
        name: String,
        /// The link's id (`t7`).
        token: String,
        /// The person's earlier links this one revoked; omitted when none.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        replaces: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// The organiser revoked a person's log-in link: it opens nothing
    /// more, and its live streams ended.
    LoginRevoked {
        person: String,
        role: String,
        name: String,
        token: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// One stage of an election (a round, with the runoffs and re-runs it
    /// calls) adopted its own method parts — floors, flags, nomination
    /// limits — on top of the meeting's method, before the round opened
    /// (issue 11; `rules::stage_method`). `method` is the effective method
    /// of the stage, recorded whole.
    StageMethodAdopted {
        round: String,
        overrides: Map<String, Value>,
        method: Box<ElectionMethod>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// The procedure facts of a round beyond `round_opened` (groups, the
    /// combination, a paper's sections, a stage-size rule, a cadre vote's
    /// record and deferrals: `log::stage`), logged just before it.
    StageRecorded {
        round: String,
        facts: Box<crate::log::stage::StageFacts>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// The organiser names a witness of the meeting's log (C2SP
    /// tlog-witness): the service submits every checkpoint to it, and the
    /// verifier requires its cosignature on every round's result
    /// checkpoint. Setup: only before the first round opens, so a witness
    /// cannot be added (or dropped) after the fact to make a check pass.
    WitnessNamed {
        /// The witness's name, as in its C2SP note key name.
        name: String,
        /// Its C2SP cosigner vkey (type 0x04), named `name`.
        key: String,
        /// Where the service submits checkpoints: the `add-checkpoint`
        /// URL (`http://` or `https://`).
        url: String,
        /// How many of the named witnesses must cosign each result
        /// checkpoint; the last `witness_named` that gives it decides;
        /// absent everywhere: all of them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quorum: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// A person whose device was lost registers a new key from a new
    /// device (the entry is signed by the new key, as `key_registered`
    /// is). It counts only once `key_replacement_approved` names it.
    KeyReplaced {
        role: String,
        name: String,
        /// The new key (same forms as `key_registered`).
        key: String,
        /// The person's id in the meeting (`p3`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        person: Option<String>,
    },
    /// A member of the presidium (not the person whose key it is) approves
    /// a `key_replaced`: from this entry on the old key signs nothing, and
    /// the new key signs for the person, but never for a round that closed
    /// before this entry.
    KeyReplacementApproved {
        role: String,
        name: String,
        /// The new key, as its `key_replaced` gives it.
        key: String,
        /// The presidium member who approved (signs this entry).
        by: String,
    },
}

impl Event {
    /// The entry kind that records this event; the one mapping the service
    /// writes with and the verifier checks against.
    pub fn entry_kind(&self) -> EntryKind {
        match self {
            Event::MeetingCreated { .. } => EntryKind::MEETING_CREATED,
            Event::MethodAdopted { .. } | Event::StageMethodAdopted { .. } => {
                EntryKind::METHOD_ADOPTED
            }
            Event::KeyRegistered { .. }
            | Event::StaffAssigned { .. }
            | Event::LoginIssued { .. }
            | Event::LoginRevoked { .. }
            | Event::WitnessNamed { .. }
            | Event::KeyReplaced { .. }
            | Event::KeyReplacementApproved { .. } => EntryKind::KEY_REGISTERED,
            Event::AttendanceRecorded { .. } => EntryKind::ATTENDANCE_RECORDED,
            Event::RoundOpened { .. } | Event::StageRecorded { .. } | Event::HandCount { .. } => {
                EntryKind::ROUND_OPENED
            }
            Event::BallotBatch { .. } | Event::TotalsCounted { .. } => EntryKind::BALLOT_BATCH,
            Event::DifferenceResolved { resolution, .. }
                if Resolution::parse(resolution) == Some(Resolution::Void) =>
            {
                EntryKind::VOID_DECISION
            }
            Event::EntryCommitted { .. }
            | Event::DifferenceResolved { .. }
            | Event::BatchDiscarded { .. }
            | Event::BoxCounted { .. } => EntryKind::RECONCILIATION,
            Event::RoundClosed { .. } => EntryKind::ROUND_CLOSED,
            Event::TallyPublished { .. } => EntryKind::TALLY_PUBLISHED,
            Event::PresidiumDecision { .. } => EntryKind::PRESIDIUM_DECISION,
            Event::ResultCosigned { .. } => EntryKind::RESULT_COSIGNED,
        }
    }

    /// The round this event belongs to, if any.
    pub fn round(&self) -> Option<&str> {
        match self {
            Event::RoundOpened { round, .. }
            | Event::EntryCommitted { round, .. }
            | Event::BallotBatch { round, .. }
            | Event::DifferenceResolved { round, .. }
            | Event::BatchDiscarded { round, .. }
            | Event::BoxCounted { round, .. }
            | Event::HandCount { round, .. }
            | Event::TotalsCounted { round, .. }
            | Event::RoundClosed { round, .. }
            | Event::TallyPublished { round, .. }
            | Event::PresidiumDecision { round, .. }
            | Event::StageMethodAdopted { round, .. }
            | Event::StageRecorded { round, .. }
            | Event::ResultCosigned { round, .. } => Some(round),
            _ => None,
        }
    }
}

/// Roles whose cosignatures count towards a round's quorum (the
/// scrutineers of `staff_assigned` and `key_registered`).
pub fn is_scrutineer_role(role: &str) -> bool {
    role == "scrutineer" || role == "chief_scrutineer"
}

/// The round facts of a `RoundOpened` event with the ballots returned.
pub fn round_of(opened: &Event, returned: Option<u64>) -> Option<Round> {
    match opened {
        Event::RoundOpened {
            contest,
            kind,
            office,
            seats,
            candidates,
            next_size,
            entitled,
            present,
            issued,
            resolves,
            ..
        } => Some(Round {
            kind: *kind,
            office: *office,
            contest: contest.clone(),
            seats: *seats,
            candidates: candidates.clone(),
            entitled: *entitled,
            present: *present,
            issued: *issued,
            returned,
            next_size: *next_size,
            replaced: 0,
            voted: None,
            resolves: *resolves,
            // A rating is a stage fact (`stage_recorded`): the verifier
            // adds it (`log::replay_stages`).
            rating: None,
        }),
        _ => None,
    }
}

/// The canonical payload bytes of an event: the event's object with its
/// `"v"` in its sorted place (`log::canonical`, which writes the bytes
/// `serde_json` would write for the event's `Value`, without the `Value`).
pub fn encode(event: &Event) -> Vec<u8> {
    // Cannot fail for these types (string keys, integers, strings; an
    // event is an object).
    canonical::to_vec_with(event, "v", VERSION_JSON).unwrap_or_default()
}

/// [`EVENT_VERSION`] as the JSON of the `"v"` member.
const VERSION_JSON: &[u8] = b"1";

/// `encode(event) == payload`. (Comparing while serialising, through an
/// `io::Write` that checks each chunk, saved no time that could be
/// measured and would bring `std::io` into this pure module.)
fn encodes_to(event: &Event, payload: &[u8]) -> bool {
    encode(event) == payload
}

/// The first string (object key or value) holding a hidden character
/// (`rules::name::is_hidden`), with its path (`candidates[1]`).
fn hidden_text(value: &Value, path: &mut String) -> Option<(String, char)> {
    use crate::rules::name::find_hidden;
    let at = |path: &str| {
        if path.is_empty() {
            "payload".to_owned()
        } else {
            path.to_owned()
        }
    };
    match value {
        Value::String(s) => find_hidden(s).map(|ch| (at(path), ch)),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = hidden_text(v, path);
            path.truncate(len);
            found
        }),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&crate::rules::name::escape_with(k, false));
            let found = match find_hidden(k) {
                Some(ch) => Some((at(path), ch)),
                None => hidden_text(v, path),
            };
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

/// Parse a payload, requiring version 1, canonical form and text without
/// hidden characters (as the service writes it).
///
/// A `ballot_batch` or an `entry_committed` in canonical form is read
/// straight from its bytes ([`decode_batch_canonical`]: no `Value`, no
/// re-encoding of the 64 KB of base64; [`decode_committed_canonical`]: the
/// most numerous entry of a meeting); any other payload without escapes
/// straight into its event, then re-encoded (`decode_plain`); anything
/// those paths do not accept goes through [`decode_general`], so every
/// refusal and its error are the general path's.
pub fn decode(payload: &[u8]) -> Result<Event, EventError> {
    match decode_batch_canonical(payload)
        .or_else(|| decode_committed_canonical(payload))
        .or_else(|| decode_plain(payload))
    {
        Some(event) => Ok(event),
        None => decode_general(payload),
    }
}

/// The third fast path of [`decode`], for every other event: a payload
/// with no escape (no `\` byte) and no hidden character anywhere, whose
/// top-level `"v":1` member is cut out of the bytes and the rest read
/// straight into the event (no `Value`), then re-encoded and compared with
/// the payload as [`decode_general`] does. `None` for anything else,
/// which [`decode_general`] then reads or refuses.
///
/// It accepts only what [`decode_general`] accepts, with the same event:
/// with no escapes the strings' text is the payload's own bytes, so a
/// payload free of hidden characters has none in any key or string; the
/// re-encoding puts `"v":1` back and must give the payload itself
/// (`tests::the_plain_fast_path_agrees_with_the_general_decoder`).
fn decode_plain(payload: &[u8]) -> Option<Event> {
    if payload.contains(&b'\\') {
        return None;
    }
    let text = std::str::from_utf8(payload).ok()?;
    if crate::rules::name::find_hidden(text).is_some() {
        return None;
    }
    let (start, end) = top_level_member(payload, br#""v":1"#)?;
    let mut rest = Vec::with_capacity(payload.len());
    rest.extend_from_slice(&payload[..start]);
    rest.extend_from_slice(&payload[end..]);
    let event = read_plain(&rest)?;
    if !encodes_to(&event, payload) {
        return None;
    }
    if let Event::BallotBatch { ballots, .. } = &event {
        if ballots.special.iter().any(SpecialBallot::is_plain) {
            return None;
        }
    }
    Some(event)
}

/// The event of a payload whose `"v"` is cut out ([`decode_plain`]).
/// serde reads an internally tagged enum by first copying the whole
/// object into a buffer of its own (the tag may come last, as it does in
/// sorted members); a `tally_published`, the largest event a meeting logs
/// after its batches, is read straight into its two members instead. What
/// either read gives is then re-encoded and compared with the payload, so
/// this changes the cost only.
fn read_plain(json: &[u8]) -> Option<Event> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Published {
        record: Box<TallyRecord>,
        round: String,
        #[serde(rename = "type")]
        _type: serde::de::IgnoredAny,
    }
    if json.starts_with(br#"{"record":"#) && json.ends_with(br#","type":"tally_published"}"#) {
        let Published { record, round, .. } = serde_json::from_slice(json).ok()?;
        return Some(Event::TallyPublished { round, record });
    }
    serde_json::from_slice(json).ok()
}

/// Where the member `member` (`"key":value`, as bytes) of the top-level
/// object of `json` lies, with the comma that joins it to the others, so
/// that cutting it out leaves the other members as they were. `json` must
/// hold no escape (every `"` opens or closes a string).
fn top_level_member(json: &[u8], member: &[u8]) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let mut in_string = false;
    for (i, &b) in json.iter().enumerate() {
        match b {
            b'"' => in_string = !in_string,
            _ if in_string => {}
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.checked_sub(1)?,
            _ => {}
        }
        // A member starts after the object's `{` or a `,` at depth 1.
        if in_string || depth != 1 || !(b == b'{' || b == b',') {
            continue;
        }
        let at = i + 1;
        if !json[at..].starts_with(member) {
            continue;
        }
        let after = at + member.len();
        return match (b, json.get(after)) {
            // `{"v":1,…` or `…,"v":1,…`: cut the member and the comma after.
            (_, Some(b',')) => Some((at, after + 1)),
            // `…,"v":1}`: cut the comma before and the member.
            (b',', Some(b'}')) => Some((i, after)),
            // `{"v":1}` or a longer number (`"v":10`): not this path's.
            _ => None,
        };
    }
    None
}

/// The second fast path of [`decode`]: an `entry_committed` payload read
/// from its bytes when they are exactly its canonical form:
///
/// `{"ballots":N,"batch":"S","counter":"S","digest":"S","round":"S","type":"entry_committed","v":1}`
///
/// The members in that order (sorted), `ballots` a canonical decimal that
/// fits 64 bits, every string without an escape, a control character or a
/// hidden character (so it re-encodes to its own bytes). `None` for
/// anything else, which [`decode_general`] then reads or refuses: this
/// path accepts only what that one accepts, and gives the same event
/// (`tests::the_committed_fast_path_agrees_with_the_general_decoder`).
pub fn decode_committed_canonical(payload: &[u8]) -> Option<Event> {
    let rest = payload.strip_prefix(br#"{"ballots":"#)?;
    let (ballots, rest) = canonical_u64(rest)?;
    let rest = rest.strip_prefix(br#","batch":""#)?;
    let (batch, rest) = plain_text(rest)?;
    let rest = rest.strip_prefix(br#"","counter":""#)?;
    let (counter, rest) = plain_text(rest)?;
    let rest = rest.strip_prefix(br#"","digest":""#)?;
    let (digest, rest) = plain_text(rest)?;
    let rest = rest.strip_prefix(br#"","round":""#)?;
    let (round, rest) = plain_text(rest)?;
    if rest != br#"","type":"entry_committed","v":1}"# {
        return None;
    }
    Some(Event::EntryCommitted {
        round,
        batch,
        counter,
        ballots,
        digest,
    })
}

/// The fast path of [`decode`]: a `ballot_batch` payload read from its
/// bytes when they are exactly its canonical form (docs/audit-bundle.md
/// §3, §3.1):
///
/// `{"ballots":{"lines":L,"plain":"B64","plain_count":N,"special":[…]},"batch":"S","round":"S","type":"ballot_batch","v":1}`
///
/// The members come in that order (sorted), the integers are canonical
/// decimals that fit 64 bits, `plain` holds only base64 characters (which
/// need no escaping), `batch` and `round` hold no escape, no control
/// character and no hidden character, and `special` is `[]` or, read by
/// serde, re-encodes to its own bytes and holds no hidden character and no
/// plain ballot. `None` for anything else, which [`decode_general`] then
/// reads or refuses: this path accepts only what that one accepts, and
/// gives the same event (`tests::the_batch_fast_path_agrees_with_the_general_decoder`).
pub fn decode_batch_canonical(payload: &[u8]) -> Option<Event> {
    let rest = payload.strip_prefix(br#"{"ballots":{"lines":"#)?;
    let (lines, rest) = canonical_u64(rest)?;
    let rest = rest.strip_prefix(br#","plain":""#)?;
    let (plain, rest) = rest.split_at(base64_prefix(rest));
    let rest = rest.strip_prefix(br#"","plain_count":"#)?;
    let (plain_count, rest) = canonical_u64(rest)?;
    let rest = rest.strip_prefix(br#","special":"#)?;
    let (special, rest) = match rest.strip_prefix(b"[]") {
        Some(rest) => (Vec::new(), rest),
        None => canonical_special(rest)?,
    };
    let rest = rest.strip_prefix(br#"},"batch":""#)?;
    let (batch, rest) = plain_text(rest)?;
    let rest = rest.strip_prefix(br#"","round":""#)?;
    let (round, rest) = plain_text(rest)?;
    if rest != br#"","type":"ballot_batch","v":1}"# {
        return None;
    }
    // Only base64 characters: ASCII, so UTF-8.
    let plain = std::str::from_utf8(plain).ok()?.to_owned();
    Some(Event::BallotBatch {
        round,
        batch,
        ballots: BatchBallots {
            lines,
            plain_count,
            plain,
            special,
        },
    })
}

/// How many of the first bytes are base64 characters (`A–Z a–z 0–9 + / =`).
/// In blocks of 32 without an early exit, which the compiler turns into
/// vector compares: this scan reads every byte of the big batches.
fn base64_prefix(bytes: &[u8]) -> usize {
    fn is_base64(b: u8) -> bool {
        b.wrapping_sub(b'0') < 10
            || (b | 0x20).wrapping_sub(b'a') < 26
            || b == b'+'
            || b == b'/'
            || b == b'='
    }
    let mut n = 0;
    for block in bytes.chunks_exact(32) {
        if !block.iter().fold(true, |all, &b| all & is_base64(b)) {
            break;
        }
        n += 32;
    }
    n + bytes[n..].iter().take_while(|&&b| is_base64(b)).count()
}

/// A canonical non-negative integer (no sign, no leading zero, no
/// fraction or exponent follows) that fits 64 bits, and the bytes after it.
fn canonical_u64(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || (digits > 1 && bytes[0] == b'0') {
        return None;
    }
    let mut n: u64 = 0;
    for &d in &bytes[..digits] {
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some((n, &bytes[digits..]))
}

/// The text of a JSON string up to its closing quote, when it needs no
/// escape (no `\`, no control character) and holds no hidden character;
/// the bytes from the closing quote on.
fn plain_text(bytes: &[u8]) -> Option<(String, &[u8])> {
    let end = bytes
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    if bytes[end] != b'"' {
        return None;
    }
    let text = std::str::from_utf8(&bytes[..end]).ok()?;
    if crate::rules::name::find_hidden(text).is_some() {
        return None;
    }
    Some((text.to_owned(), &bytes[end..]))
}

/// A non-empty `special` array in canonical form (what [`decode_general`]
/// checks of it: parsed, no hidden character, read as ballots, re-encoded
/// to the same bytes, no plain ballot), and the bytes after it.
fn canonical_special(bytes: &[u8]) -> Option<(Vec<SpecialBallot>, &[u8])> {
    let mut values = serde_json::Deserializer::from_slice(bytes).into_iter::<Value>();
    let value = values.next()?.ok()?;
    let end = values.byte_offset();
    if !value.is_array() || hidden_text(&value, &mut String::new()).is_some() {
        return None;
    }
    let special: Vec<SpecialBallot> = serde_json::from_value(value).ok()?;
    let again = serde_json::to_vec(&serde_json::to_value(&special).ok()?).ok()?;
    if again != bytes[..end] || special.iter().any(SpecialBallot::is_plain) {
        return None;
    }
    Some((special, &bytes[end..]))
}

/// [`decode`] by the general path: the payload parsed into a
/// `serde_json::Value`, checked for version and hidden text, converted
/// into the event, re-encoded and compared with the payload.
pub fn decode_general(payload: &[u8]) -> Result<Event, EventError> {
    let mut value: Value =
        serde_json::from_slice(payload).map_err(|e| EventError::Json(e.to_string()))?;
    let version = value
        .as_object_mut()
        .and_then(|m| m.remove("v"))
        .and_then(|v| v.as_u64())
        .ok_or_else(|| EventError::Json("missing \"v\"".into()))?;
    if version != EVENT_VERSION {
        return Err(EventError::Version(version));
    }
    if let Some((field, ch)) = hidden_text(&value, &mut String::new()) {
        return Err(EventError::HiddenText { field, ch });
    }
    let event: Event =
        serde_json::from_value(value).map_err(|e| EventError::Json(e.to_string()))?;
    if !encodes_to(&event, payload) {
        return Err(EventError::NotCanonical);
    }
    // One encoding per batch: a ballot the packed form holds is never in
    // `special` (the payload would be canonical JSON, but not the batch).
    if let Event::BallotBatch { ballots, .. } = &event {
        if let Some(i) = ballots.special.iter().position(SpecialBallot::is_plain) {
            return Err(EventError::Ballots(format!(
                "special[{i}]: {PLAIN_IN_SPECIAL}"
            )));
        }
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Canonical JSON relies on `serde_json::Map` being a `BTreeMap` (keys
    /// sorted). If any crate in the build turned on serde_json's
    /// `preserve_order` feature (feature unification), maps would keep
    /// insertion order and every payload would change: fail loudly here.
    #[test]
    fn serde_json_maps_sort_their_keys_preserve_order_is_off() {
        let mut map = Map::new();
        map.insert("b".into(), Value::from(1));
        map.insert("a".into(), Value::from(2));
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        assert_eq!(keys, ["a", "b"], "serde_json's preserve_order is enabled");
        assert_eq!(serde_json::to_string(&map).unwrap(), r#"{"a":2,"b":1}"#);
    }

    fn ballots() -> Vec<Ballot> {
        let m = |s: &str| Ballot::marked(Ballot::parse_marks(s).unwrap());
        vec![
            m("YNA"),
            m("AAY"),
            Ballot::Void {
                reason: "签名".into(),
            },
            Ballot::Marked {
                marks: Ballot::parse_marks("YN?").unwrap(),
                write_ins: vec![(1, "李七".into())],
                names: vec![],
            },
            m("YNA"),
        ]
    }

    #[test]
    fn free_names_round_trip_and_are_omitted_when_empty() {
        let named = Ballot::Marked {
            marks: Ballot::parse_marks("AYA").unwrap(),
            write_ins: vec![],
            names: vec!["李甲".into(), "李甲".into(), "赵乙".into()],
        };
        let mut b = ballots();
        b.push(named.clone());
        let enc = BatchBallots::from_ballots(3, &b).unwrap();
        assert_eq!(enc.plain_count, 3);
        let back = enc.to_ballots().unwrap();
        assert!(back.contains(&named));
        let json = serde_json::to_string(&enc).unwrap();
        assert!(
            json.contains(r#"{"marks":"AYA","names":["李甲","李甲","赵乙"]}"#),
            "{json}"
        );
        // Ballots without free names encode as before: no `names` key.
        let old =
            serde_json::to_string(&BatchBallots::from_ballots(3, &ballots()).unwrap()).unwrap();
        assert!(!old.contains("names"), "{old}");
        let ev = Event::BallotBatch {
            round: "r1".into(),
            batch: "b1".into(),
            ballots: enc,
        };
        assert_eq!(decode(&encode(&ev)).unwrap(), ev);
    }

    #[test]
    fn batches_round_trip_as_a_multiset_and_hide_order() {
        let b = ballots();
        let enc = BatchBallots::from_ballots(3, &b).unwrap();
        assert_eq!(enc.len(), 5);
        assert_eq!(enc.plain_count, 3);
        let mut back = enc.to_ballots().unwrap();
        let mut want = b.clone();
        let key = |x: &Ballot| format!("{x:?}");
        back.sort_by_key(key);
        want.sort_by_key(key);
        assert_eq!(back, want);
        // Any order of entry gives the same batch.
        let mut rev = b;
        rev.reverse();
        assert_eq!(BatchBallots::from_ballots(3, &rev).unwrap(), enc);
    }

    #[test]
    fn events_encode_canonically_and_reject_other_forms() {
        let e = Event::BallotBatch {
            round: "r1".into(),
            batch: "b1".into(),
            ballots: BatchBallots::from_ballots(3, &ballots()).unwrap(),
        };
        let bytes = encode(&e);
        assert_eq!(decode(&bytes).unwrap(), e);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("{\"ballots\":{"), "{text}");
        assert!(text.contains("\"v\":1"));
        let spaced = text.replacen(':', ": ", 1);
        assert_eq!(decode(spaced.as_bytes()), Err(EventError::NotCanonical));
        let v2 = text.replace("\"v\":1", "\"v\":2");
        assert_eq!(decode(v2.as_bytes()), Err(EventError::Version(2)));
        assert!(decode(b"\xff\x00garbage").is_err());
    }

    #[test]
    fn bad_packed_data_is_an_error_not_a_panic() {
        let mut enc = BatchBallots::from_ballots(3, &ballots()).unwrap();
        enc.plain_count += 1;
        assert!(enc.to_ballots().is_err());
        enc.plain_count -= 1;
        enc.plain = "!!".into();
        assert!(enc.to_ballots().is_err());
        // 11 codes are rejected.
        enc.plain = base64::engine::general_purpose::STANDARD.encode([0xffu8; 8]);
        enc.plain_count = 1;
        assert!(enc.to_ballots().is_err());
    }

    /// One encoding per batch: a ballot the packed form holds is refused
    /// in `special`, by the decoder and by `to_ballot`; what is special
    /// (void, `?`, write-in, free name) stays accepted.
    #[test]
    fn a_plain_ballot_in_special_is_refused() {
        let marked = |marks: &str, names: Vec<String>| SpecialBallot::Marked {
            marks: marks.into(),
            write_ins: BTreeMap::new(),
            names,
        };
        let batch = |special: Vec<SpecialBallot>| Event::BallotBatch {
            round: "r1".into(),
            batch: "b1".into(),
            ballots: BatchBallots {
                lines: 2,
                plain_count: 0,
                plain: String::new(),
                special,
            },
        };
        assert!(marked("YN", vec![]).is_plain());
        assert!(!marked("Y?", vec![]).is_plain());
        assert!(!marked("YN", vec!["李甲".into()]).is_plain());
        assert!(!SpecialBallot::Void {
            void: "签名".into()
        }
        .is_plain());
        assert!(marked("AN", vec![]).to_ballot(2).is_err());
        let ok = batch(vec![marked("Y?", vec![])]);
        assert_eq!(decode(&encode(&ok)).unwrap(), ok);
        let bad = batch(vec![marked("Y?", vec![]), marked("YN", vec![])]);
        match decode(&encode(&bad)) {
            Err(EventError::Ballots(m)) => {
                assert!(m.starts_with("special[1]: a plain ballot"), "{m}")
            }
            other => panic!("{other:?}"),
        }
    }

    /// The canonical `ballot_batch` payloads of some batches: plain
    /// ballots only, special ones only, both; labels that need escapes,
    /// non-ASCII labels, a hidden character.
    fn batch_payloads() -> Vec<Vec<u8>> {
        let m = |s: &str| Ballot::marked(Ballot::parse_marks(s).unwrap());
        let named = Ballot::Marked {
            marks: Ballot::parse_marks("AYA").unwrap(),
            write_ins: vec![],
            names: vec!["李甲".into(), "赵乙".into()],
        };
        let sets: Vec<Vec<Ballot>> = vec![
            ballots(),
            vec![m("YNA"), m("AAY"), m("NNN")],
            vec![
                named,
                Ballot::Void {
                    reason: "签名".into(),
                },
            ],
            vec![],
        ];
        let labels = [
            ("r1", "b1"),
            ("第一轮", "第3箱"),
            ("r\"1", "b\\2"),
            ("r1", "b\u{200b}"),
        ];
        let mut out = Vec::new();
        for (i, set) in sets.iter().enumerate() {
            let (round, batch) = labels[i % labels.len()];
            out.push(encode(&Event::BallotBatch {
                round: round.into(),
                batch: batch.into(),
                ballots: BatchBallots::from_ballots(3, set).unwrap(),
            }));
        }
        // 40 candidates: two words per ballot.
        let wide: Vec<Ballot> = ["Y", "N", "A"].iter().map(|c| m(&c.repeat(40))).collect();
        out.push(encode(&Event::BallotBatch {
            round: "r2".into(),
            batch: "b1".into(),
            ballots: BatchBallots::from_ballots(40, &wide).unwrap(),
        }));
        out
    }

    /// A fast path of `decode` (`fast`) accepts only what the general
    /// path accepts, with the same event, and every other payload gets the
    /// general path's error: checked on canonical `payloads` and on 4,000
    /// mutations of them (bytes flipped, cut, inserted, and set to the
    /// `special` characters the layout turns on), from the fixed `seed`.
    fn fast_path_agrees(
        payloads: &[Vec<u8>],
        fast: fn(&[u8]) -> Option<Event>,
        special: &[u8],
        seed: u8,
    ) {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

        for p in payloads {
            let general = decode_general(p);
            assert_eq!(decode(p), general);
            // Labels with an escape go the general way.
            if general.is_ok() && !p.contains(&b'\\') {
                assert!(fast(p).is_some(), "{}", String::from_utf8_lossy(p));
            }
        }
        let mutation = (
            0..payloads.len(),
            prop::collection::vec(
                (
                    0usize..4,
                    any::<usize>(),
                    any::<u8>(),
                    0usize..special.len(),
                ),
                1..4,
            ),
        );
        let config = Config {
            cases: 4000,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner = TestRunner::new_with_rng(
            config,
            TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
        );
        runner
            .run(&mutation, |(which, changes)| {
                let mut p = payloads[which].clone();
                for (kind, at, byte, pick) in changes {
                    let at = at % (p.len() + 1);
                    match kind {
                        0 if at < p.len() => p[at] ^= byte.max(1),
                        1 => p.truncate(at),
                        2 => p.insert(at, special[pick]),
                        _ if at < p.len() => p[at] = special[pick],
                        _ => {}
                    }
                }
                let general = decode_general(&p);
                prop_assert_eq!(decode(&p), general.clone());
                if let Some(fast) = fast(&p) {
                    prop_assert_eq!(Ok(fast), general);
                }
                Ok(())
            })
            .unwrap();
    }

    /// The batch's fast path agrees with the general decoder
    /// ([`fast_path_agrees`]).
    #[test]
    fn the_batch_fast_path_agrees_with_the_general_decoder() {
        fast_path_agrees(
            &batch_payloads(),
            decode_batch_canonical,
            b"\"\\{}[]:,0123456789 -+/=eE.\x00\x1f\x7fYNA?abv",
            15,
        );
    }

    /// `entry_committed` payloads: plain, non-ASCII, escaped and hidden-
    /// character labels, a zero and the largest count.
    fn committed_payloads() -> Vec<Vec<u8>> {
        let texts = [
            ("r1", "b1", "张三"),
            ("第一轮", "第3箱", "counter-2"),
            ("r\"1", "b\\2", "c\u{1}"),
            ("r1", "b\u{200b}", "李四"),
        ];
        texts
            .iter()
            .zip([0, 50, u64::MAX, 7])
            .map(|(&(round, batch, counter), ballots)| {
                encode(&Event::EntryCommitted {
                    round: round.into(),
                    batch: batch.into(),
                    counter: counter.into(),
                    ballots,
                    digest: "ab".repeat(32),
                })
            })
            .collect()
    }

    /// As the batch's: [`decode`] equals [`decode_general`] on every
    /// `entry_committed` payload and 4,000 mutations of them, and whatever
    /// [`decode_committed_canonical`] accepts the general path accepts
    /// with the same event.
    #[test]
    fn the_committed_fast_path_agrees_with_the_general_decoder() {
        fast_path_agrees(
            &committed_payloads(),
            decode_committed_canonical,
            b"\"\\{}[]:,0123456789 -+/=eE.\x00\x1f\x7fabv",
            16,
        );
    }

    /// The payloads of every entry of the golden bundle
    /// (fixtures/golden/bundle: a whole meeting, written by the service
    /// before `log::canonical` existed, so through a `Value`), one a line
    /// in fixtures/log/payloads.jsonl (`golden::the_payload_lines_are_the_golden_bundles`
    /// in tests/golden.rs holds the two alike).
    fn golden_payloads() -> Vec<Vec<u8>> {
        include_str!("../../fixtures/log/payloads.jsonl")
            .lines()
            .map(|line| line.as_bytes().to_vec())
            .collect()
    }

    /// `encode` writes what the `Value` it replaced wrote, on every kind of
    /// event the golden bundle holds and on events with text that needs
    /// escapes.
    #[test]
    fn encode_writes_the_bytes_of_the_events_value() {
        let through_value = |event: &Event| {
            let mut value = serde_json::to_value(event).unwrap();
            value
                .as_object_mut()
                .unwrap()
                .insert("v".into(), Value::from(EVENT_VERSION));
            serde_json::to_vec(&value).unwrap()
        };
        let payloads = golden_payloads();
        let mut kinds = std::collections::HashSet::new();
        for p in &payloads {
            let event = decode_general(p).unwrap();
            kinds.insert(std::mem::discriminant(&event));
            assert_eq!(encode(&event), through_value(&event));
            assert_eq!(encode(&event), *p, "{}", String::from_utf8_lossy(p));
        }
        assert!(kinds.len() >= 10, "{} kinds of event", kinds.len());
        for event in [
            Event::RoundClosed {
                round: "第\"一\\轮\n".into(),
                returned: 3,
                replaced: Some(1),
                voted: Some(2),
                by: Some("\u{1}\u{7f}".into()),
            },
            Event::BatchDiscarded {
                round: "r".into(),
                batch: "b".into(),
                reason: "\t\r\u{8}\u{c}".into(),
                by: None,
            },
        ] {
            assert_eq!(encode(&event), through_value(&event));
        }
        assert_eq!(VERSION_JSON, EVENT_VERSION.to_string().as_bytes());
    }

    /// As the batch's, for every other kind of event: [`decode`] equals
    /// [`decode_general`] on the golden bundle's payloads and 4,000
    /// mutations of them, and whatever [`decode_plain`] accepts the
    /// general path accepts with the same event. The `v` member moved,
    /// doubled and changed is among the mutations.
    #[test]
    fn the_plain_fast_path_agrees_with_the_general_decoder() {
        let mut payloads = golden_payloads();
        let closed = encode(&Event::RoundClosed {
            round: "r1".into(),
            returned: 3,
            replaced: None,
            voted: Some(2),
            by: None,
        });
        assert!(closed.ends_with(br#""v":1,"voted":2}"#));
        payloads.push(closed);
        payloads.push(br#"{"v":1,"present":3,"type":"attendance_recorded"}"#.to_vec());
        payloads.push(br#"{"present":3,"type":"attendance_recorded","v":1,"v":1}"#.to_vec());
        payloads.push(br#"{"present":3,"type":"attendance_recorded","v":10}"#.to_vec());
        payloads.push(br#"{"present":3,"type":"attendance_recorded","w":{"v":1}}"#.to_vec());
        fast_path_agrees(
            &payloads,
            decode_plain,
            b"\"\\{}[]:,0123456789 -+v\x00\x7f",
            24,
        );
    }

    /// `base64_words` gives exactly what the `base64` crate's decoding
    /// followed by the length check gives: on the encodings of random
    /// words and on mutations of them (a character changed, cut or
    /// inserted; padding moved), and with the wrong word count.
    #[test]
    fn base64_words_agree_with_the_base64_crate() {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

        let reference = |text: &[u8], n: usize| -> Option<Vec<u64>> {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .ok()?;
            (bytes.len() == n * 8).then(|| {
                bytes
                    .chunks_exact(8)
                    .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
                    .collect()
            })
        };
        let chars = b"AZaz09+/=\"!- \x00\xff";
        let case = (
            prop::collection::vec(any::<u64>(), 0..40),
            0usize..4,
            any::<usize>(),
            0usize..chars.len(),
            0usize..3,
        );
        let config = Config {
            cases: 4000,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[64; 32]));
        runner
            .run(&case, |(words, kind, at, pick, off)| {
                let raw: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
                let mut text = base64::engine::general_purpose::STANDARD
                    .encode(&raw)
                    .into_bytes();
                let at = at % (text.len() + 1);
                match kind {
                    1 if at < text.len() => text[at] = chars[pick],
                    2 => text.truncate(at),
                    3 => text.insert(at, chars[pick]),
                    _ => {}
                }
                // The right count, and one off either way.
                let n = (words.len() + off).saturating_sub(1);
                prop_assert_eq!(base64_words(&text, n), reference(&text, n));
                if kind == 0 {
                    prop_assert_eq!(base64_words(&text, words.len()), Some(words));
                }
                Ok(())
            })
            .unwrap();
    }
}
