//! Ballot validity and the per-line counts (RULES §3.4).
//!
//! This is the reference counter: one ballot at a time, obviously right. The
//! packed kernels in `crate::count` must agree with it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::method::{Disposition, ElectionMethod, Illegible};
use super::round::{Ballot, Mark, Round, RoundKind};

/// Why a ballot counts for nobody.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvalidReason {
    /// Declared void (废票) by the scrutineers.
    DeclaredVoid,
    /// More selections than the limit (多选).
    Overvote,
    /// An illegible mark, under `illegible = void_ballot`.
    Illegible,
    /// A write-in not beside an against line, under
    /// `write_in_misplaced = void_ballot`.
    WriteInMisplaced,
    /// A write-in naming a listed candidate, under
    /// `write_in_names_candidate = void_ballot`.
    WriteInNamesCandidate,
}

impl InvalidReason {
    pub fn zh(self) -> &'static str {
        match self {
            InvalidReason::DeclaredVoid => "监票人认定为废票",
            InvalidReason::Overvote => "所选人数多于规定人数",
            InvalidReason::Illegible => "符号无法辨认",
            InvalidReason::WriteInMisplaced => "另选他人不在不赞成栏",
            InvalidReason::WriteInNamesCandidate => "另选他人为已列候选人",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            InvalidReason::DeclaredVoid => "declared void by the scrutineers",
            InvalidReason::Overvote => "more selections than allowed",
            InvalidReason::Illegible => "illegible mark",
            InvalidReason::WriteInMisplaced => "write-in not on an against line",
            InvalidReason::WriteInNamesCandidate => "write-in names a listed candidate",
        }
    }
}

/// What one ballot contributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BallotReading {
    Valid {
        /// The accepted write-in names (each one for-vote).
        write_ins: Vec<String>,
        /// Write-ins disregarded under an `ignore` disposition.
        ignored_write_ins: u64,
        /// Lines not marked `Y` that a free name on a nomination ballot
        /// ticks: counted as for-votes instead of their mark.
        ticked: Vec<usize>,
    },
    Invalid(InvalidReason),
}

/// Read one ballot under the method. The ballot has already been checked
/// to have one mark per candidate.
pub fn read_ballot(method: &ElectionMethod, round: &Round, ballot: &Ballot) -> BallotReading {
    let (marks, write_ins, names) = match ballot {
        Ballot::Void { .. } => return BallotReading::Invalid(InvalidReason::DeclaredVoid),
        Ballot::Marked {
            marks,
            write_ins,
            names,
        } => (marks, write_ins, names),
    };
    if method.illegible == Illegible::VoidBallot && marks.contains(&Mark::Illegible) {
        return BallotReading::Invalid(InvalidReason::Illegible);
    }
    let accepts = round.accepts_write_ins(method);
    let mut accepted = Vec::new();
    let mut ignored = 0;
    for (line, name) in write_ins {
        let beside_against = marks.get(*line) == Some(&Mark::Against);
        if !accepts || !beside_against {
            match method.write_in_misplaced {
                Disposition::Ignore => ignored += 1,
                Disposition::VoidBallot => {
                    return BallotReading::Invalid(InvalidReason::WriteInMisplaced)
                }
            }
        } else if round.candidates.iter().any(|c| c == name) {
            match method.write_in_names_candidate {
                Disposition::Ignore => ignored += 1,
                Disposition::VoidBallot => {
                    return BallotReading::Invalid(InvalidReason::WriteInNamesCandidate)
                }
            }
        } else if accepted.contains(name) {
            // One person, one selection and one vote per ballot: a name
            // written twice counts once; the repeat is disregarded.
            ignored += 1;
        } else {
            accepted.push(name.clone());
        }
    }
    // Free names (nomination only; the input boundary refuses them elsewhere,
    // and a reader meeting them elsewhere disregards them). A listed name
    // ticks its line unless already `Y`; an unlisted one is a write-in; a
    // name already counted on this ballot counts once.
    let mut ticked = Vec::new();
    for name in names {
        if round.kind != RoundKind::Nomination {
            ignored += 1;
        } else if let Some(line) = round.candidates.iter().position(|c| c == name) {
            if marks.get(line) != Some(&Mark::For) && !ticked.contains(&line) {
                ticked.push(line);
            }
        } else if !accepted.contains(name) {
            accepted.push(name.clone());
        }
    }
    ticked.sort_unstable();
    let selections =
        marks.iter().filter(|m| **m == Mark::For).count() + ticked.len() + accepted.len();
    if let Some(limit) = round.selection_limit(method) {
        if selections as u64 > limit {
            return BallotReading::Invalid(InvalidReason::Overvote);
        }
    }
    BallotReading::Valid {
        write_ins: accepted,
        ignored_write_ins: ignored,
        ticked,
    }
}

/// Counts of one candidate line (or one written-in name).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LineCount {
    #[serde(rename = "for")]
    pub for_votes: u64,
    pub against: u64,
    /// Abstentions, including illegible marks counted as abstentions.
    pub abstain: u64,
}

/// Everything counted from the ballots of one round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub valid: u64,
    pub invalid: u64,
    /// Invalid ballots by reason, in reason order.
    pub invalid_by_reason: BTreeMap<InvalidReason, u64>,
    /// The scrutineers' reasons for declared-void ballots, with counts.
    pub void_reasons: BTreeMap<String, u64>,
    /// Per listed candidate, in list order.
    pub lines: Vec<LineCount>,
    /// For-votes of accepted write-ins, by name.
    pub write_ins: BTreeMap<String, u64>,
    /// Write-ins disregarded (the line keeps its mark).
    pub ignored_write_ins: u64,
    /// Illegible marks counted as abstentions.
    pub illegible_marks: u64,
}

/// Count every ballot of a round (reference implementation).
pub fn count(method: &ElectionMethod, round: &Round, ballots: &[Ballot]) -> Counts {
    let mut c = Counts {
        lines: vec![LineCount::default(); round.candidates.len()],
        ..Counts::default()
    };
    for ballot in ballots {
        match read_ballot(method, round, ballot) {
            BallotReading::Invalid(reason) => {
                c.invalid += 1;
                *c.invalid_by_reason.entry(reason).or_default() += 1;
                if let Ballot::Void { reason } = ballot {
                    *c.void_reasons.entry(reason.clone()).or_default() += 1;
                }
            }
            BallotReading::Valid {
                write_ins,
                ignored_write_ins,
                ticked,
            } => {
                c.valid += 1;
                c.ignored_write_ins += ignored_write_ins;
                if let Ballot::Marked { marks, .. } = ballot {
                    for (i, (line, mark)) in c.lines.iter_mut().zip(marks).enumerate() {
                        let mark = if ticked.contains(&i) {
                            &Mark::For
                        } else {
                            mark
                        };
                        match mark {
                            Mark::For => line.for_votes += 1,
                            Mark::Against => line.against += 1,
                            Mark::Abstain => line.abstain += 1,
                            Mark::Illegible => {
                                line.abstain += 1;
                                c.illegible_marks += 1;
                            }
                        }
                    }
                }
                for name in write_ins {
                    *c.write_ins.entry(name).or_default() += 1;
                }
            }
        }
    }
    c
}
