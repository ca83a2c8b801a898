//! One ballot paper, several contests (RULES §9.7): 书记, 副书记 and 委员
//! (or 委员 and 代表) printed as sections of one sheet. The paper has one
//! attendance, one issue and one box; each section is its own contest with
//! its own seats, candidates, list rule, threshold and outcome, counted as
//! a round of its own. An overvote (or a line the scrutineers void) spoils
//! only its own section; a paper the scrutineers declare void counts for
//! nobody in any section.
//!
//! Pure: each section is decided by [`crate::rules::evaluate`] on a
//! [`Round`] carrying the paper's attendance and the section's list, so a
//! section's result is exactly the result of a one-contest round file with
//! the same facts and the section's ballots.

use serde::Serialize;

use super::method::ElectionMethod;
use super::outcome::{evaluate, BoxRuling, RoundResult, Status};
use super::round::{Ballot, Office, Round, RoundError, RoundKind};
use super::stage::NextRule;

/// One contest printed on the paper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub office: Office,
    pub contest: String,
    pub seats: u64,
    pub candidates: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_size: Option<u64>,
    /// `next_size` given by a stage-size rule (RULES §9.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rule: Option<NextRule>,
}

/// The paper's facts: one attendance and one box for every section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Paper {
    pub kind: RoundKind,
    pub entitled: u64,
    pub present: u64,
    pub issued: u64,
    pub returned: Option<u64>,
    #[serde(skip_serializing_if = "is_zero")]
    pub replaced: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voted: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolves: Option<RoundKind>,
    pub sections: Vec<Section>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One paper as the counters read it: a ballot per section, or the whole
/// sheet declared void by the scrutineers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaperBallot {
    Sections(Vec<Ballot>),
    Void { reason: String },
}

/// Most sections one paper may carry (a sheet is printed by hand).
pub const MAX_SECTIONS: usize = 32;

impl Paper {
    /// Section `i` as a round with the paper's attendance and box.
    pub fn section_round(&self, i: usize) -> Option<Round> {
        let s = self.sections.get(i)?;
        Some(Round {
            kind: self.kind,
            office: s.office,
            contest: s.contest.clone(),
            seats: s.seats,
            candidates: s.candidates.clone(),
            entitled: self.entitled,
            present: self.present,
            issued: self.issued,
            returned: self.returned,
            next_size: s.next_size,
            replaced: self.replaced,
            voted: self.voted,
            resolves: self.resolves,
            rating: None,
        })
    }

    /// Every section as a round, in paper order.
    pub fn rounds(&self) -> Vec<Round> {
        (0..self.sections.len())
            .filter_map(|i| self.section_round(i))
            .collect()
    }

    /// The paper's facts, checked: at least one section (and no more than
    /// [`MAX_SECTIONS`]), each section a valid round of its own. The field
    /// names the section (`paper.sections[1].candidates`).
    pub fn validate(&self) -> Result<(), PaperError> {
        if self.sections.is_empty() {
            return Err(PaperError {
                field: "paper.sections".into(),
                message: "expected at least one section".into(),
            });
        }
        if self.sections.len() > MAX_SECTIONS {
            return Err(PaperError {
                field: "paper.sections".into(),
                message: format!(
                    "{} sections; expected at most {MAX_SECTIONS}",
                    self.sections.len()
                ),
            });
        }
        for (i, round) in self.rounds().iter().enumerate() {
            round.validate().map_err(|e| PaperError::of_section(i, e))?;
        }
        Ok(())
    }
}

/// Facts of a paper that contradict each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperError {
    pub field: String,
    pub message: String,
}

impl PaperError {
    fn of_section(i: usize, e: RoundError) -> PaperError {
        let field = match e.field.strip_prefix("round.") {
            Some(f @ ("seats" | "candidates" | "next_size")) => {
                format!("paper.sections[{i}].{f}")
            }
            Some(f) => format!("paper.{f}"),
            None => format!("paper.sections[{i}]"),
        };
        PaperError {
            field,
            message: e.message,
        }
    }
}

impl std::fmt::Display for PaperError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for PaperError {}

/// The ballots of section `i`: each paper's own section, or a void ballot
/// with the scrutineers' reason where the whole paper was declared void.
pub fn section_ballots(ballots: &[PaperBallot], i: usize) -> Vec<Ballot> {
    ballots
        .iter()
        .map(|b| match b {
            PaperBallot::Void { reason } => Ballot::Void {
                reason: reason.clone(),
            },
            PaperBallot::Sections(s) => s.get(i).cloned().unwrap_or(Ballot::Void {
                reason: String::new(),
            }),
        })
        .collect()
}

/// Everything the rules decide about one paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperResult {
    /// The paper's status: no quorum or void for every section alike;
    /// otherwise the most pressing of the sections' (a rejected list, then
    /// a runoff, then a shortfall); complete when every section is.
    pub status: Status,
    /// Each section's round and result, in paper order.
    pub sections: Vec<(Round, RoundResult)>,
    /// The box ruling of the paper (the same for every section).
    pub ballot_box: Option<BoxRuling>,
    /// Papers declared void as a whole.
    pub void_papers: u64,
}

/// Decide every section of a paper. `ballots` must already match the
/// paper (see [`check_ballots`]).
pub fn evaluate_paper(
    method: &ElectionMethod,
    paper: &Paper,
    ballots: &[PaperBallot],
) -> PaperResult {
    let sections: Vec<(Round, RoundResult)> = paper
        .rounds()
        .into_iter()
        .enumerate()
        .map(|(i, round)| {
            let r = evaluate(method, &round, &section_ballots(ballots, i));
            (round, r)
        })
        .collect();
    let returned = paper.returned.unwrap_or(ballots.len() as u64);
    let quorum_met = sections.first().is_some_and(|(_, r)| r.quorum.met);
    let ballot_box = sections
        .first()
        .filter(|_| quorum_met)
        .map(|(round, _)| BoxRuling::of(method, round, returned));
    let status = if !quorum_met {
        Status::NoQuorum
    } else if ballot_box.as_ref().is_some_and(|b| !b.valid) {
        Status::Void
    } else {
        let any = |s: Status| sections.iter().any(|(_, r)| r.status == s);
        [
            Status::ListRejected,
            Status::RunoffRequired,
            Status::Shortfall,
        ]
        .into_iter()
        .find(|s| any(*s))
        .unwrap_or(Status::Complete)
    };
    let void_papers = ballots
        .iter()
        .filter(|b| matches!(b, PaperBallot::Void { .. }))
        .count() as u64;
    PaperResult {
        status,
        sections,
        ballot_box,
        void_papers,
    }
}

/// Cross-checks of the papers against the paper's sections: one ballot per
/// section on every paper, each matching its section (one mark per
/// candidate, write-ins on existing lines), and as many papers as were
/// returned whenever ballots are counted.
pub fn check_ballots(
    method: &ElectionMethod,
    paper: &Paper,
    ballots: &[PaperBallot],
) -> Result<(), String> {
    let rounds = paper.rounds();
    for (i, b) in ballots.iter().enumerate() {
        let PaperBallot::Sections(s) = b else {
            continue;
        };
        if s.len() != rounds.len() {
            return Err(format!(
                "ballots[{i}]: {} sections on the paper, expected {} (one per section: {})",
                s.len(),
                rounds.len(),
                section_names(paper)
            ));
        }
        for (j, (ballot, round)) in s.iter().zip(&rounds).enumerate() {
            super::ballot::check_ballot_shape(round, ballot)
                .map_err(|e| format!("ballots[{i}].sections[{j}].{e}"))?;
        }
    }
    let Some(returned) = paper.returned else {
        return Ok(());
    };
    let given = ballots.len() as u64;
    if given == returned {
        return Ok(());
    }
    let counted = rounds
        .first()
        .is_some_and(|r| r.is_counted(method, returned));
    if given == 0 && !counted {
        return Ok(());
    }
    Err(format!(
        "ballots: {given} papers given but paper.returned is {returned}; expected one entry per returned paper"
    ))
}

/// "书记、副书记、委员": the sections as printed.
pub fn section_names(paper: &Paper) -> String {
    paper
        .sections
        .iter()
        .map(|s| {
            if s.contest.is_empty() {
                s.office.zh().to_string()
            } else {
                s.contest.clone()
            }
        })
        .collect::<Vec<_>>()
        .join("、")
}
