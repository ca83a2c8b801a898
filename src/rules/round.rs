//! One round of an election: its kind, its list, its attendance and its
//! ballots, as validated values.
//!
//! Constructors check what can be checked without the method (names unique,
//! counts that cannot contradict each other); the method-dependent checks
//! (quorum, list rule, box check) are outcomes computed in
//! [`crate::rules::outcome`], not errors.

use serde::Serialize;

pub use super::kind::{Office, RoundKind};
pub use super::mark::Mark;

/// One paper ballot as the counters read it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ballot {
    /// A ballot with a mark per candidate line and any written names.
    Marked {
        marks: Vec<Mark>,
        /// (line index, written name), sorted by line, at most one per line.
        write_ins: Vec<(usize, String)>,
        /// Free names written on a nomination ballot, not tied to a line
        /// (RULES §2.1: "write or tick up to K names"), sorted, as written
        /// (a repeat is kept here and counted once by the reader).
        names: Vec<String>,
    },
    /// Declared void (废票) by the scrutineers, with their reason.
    Void { reason: String },
}

impl Ballot {
    /// A ballot from a marks string (`"YYNA?"`), no write-ins.
    pub fn parse_marks(s: &str) -> Result<Vec<Mark>, BallotError> {
        s.chars()
            .enumerate()
            .map(|(i, c)| Mark::from_char(c).ok_or(BallotError::UnknownMark { index: i, found: c }))
            .collect()
    }

    pub fn marked(marks: Vec<Mark>) -> Ballot {
        Ballot::Marked {
            marks,
            write_ins: Vec::new(),
            names: Vec::new(),
        }
    }
}

/// A ballot that cannot be read as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BallotError {
    UnknownMark { index: usize, found: char },
    WrongLength { expected: usize, found: usize },
    WriteInLine { line: usize, lines: usize },
    EmptyWriteIn { line: usize },
    EmptyVoidReason,
}

impl std::fmt::Display for BallotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BallotError::UnknownMark { index, found } => write!(
                f,
                "unknown mark {found:?} at position {}; expected Y (for), N (against), A (abstain) or ? (illegible)",
                index + 1
            ),
            BallotError::WrongLength { expected, found } => write!(
                f,
                "expected {expected} marks (one per candidate), found {found}"
            ),
            BallotError::WriteInLine { line, lines: 0 } => write!(
                f,
                "write-in on line {line}, but the list has no candidate lines; on a nomination ballot write free names in `names`"
            ),
            BallotError::WriteInLine { line, lines } => write!(
                f,
                "write-in on line {line}; expected a line index from 0 to {}",
                lines.saturating_sub(1)
            ),
            BallotError::EmptyWriteIn { line } => {
                write!(f, "write-in on line {line} is empty; expected a name")
            }
            BallotError::EmptyVoidReason => {
                write!(f, "void ballot without a reason; expected the scrutineers' reason")
            }
        }
    }
}

impl std::error::Error for BallotError {}

/// The facts of one round, validated (CONTRACT §2 `round`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Round {
    pub kind: RoundKind,
    pub office: Office,
    /// The contest's name as printed (e.g. 支部委员会委员).
    pub contest: String,
    /// Posts to fill; the most selections a ballot may carry (see
    /// [`Round::selection_limit`]).
    pub seats: u64,
    /// Names in ballot order (姓氏笔画 order for elections).
    pub candidates: Vec<String>,
    pub entitled: u64,
    pub present: u64,
    /// Ballots issued (发出选票), replacements included: may exceed
    /// `present` by the replacements (RULES §3.3), never an error.
    pub issued: u64,
    /// Ballots returned; `None` means "as many as were given".
    pub returned: Option<u64>,
    /// Length of the list to propose for the next stage.
    pub next_size: Option<u64>,
    /// Spoiled ballots handed back and replaced (更换选票, 收回作废);
    /// counted in `issued`, never in `returned`.
    #[serde(skip_serializing_if = "is_zero")]
    pub replaced: u64,
    /// 投票人数 as the scrutineers recorded it; `None`: at most
    /// min(present, issued), which is what [`Round::voters`] gives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voted: Option<u64>,
    /// A runoff's: the kind of round whose tie it resolves, whose rule it
    /// keeps (RULES §2, the runoff stage); `None` is `formal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolves: Option<RoundKind>,
    /// An evaluation by levels or by items (RULES §2.2,
    /// `rules::rating`): the candidates are its cells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<super::rating::Rating>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A round whose facts contradict each other. `field` is the round-file path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundError {
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for RoundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for RoundError {}

impl Round {
    /// Check the facts that must hold whatever the method says.
    pub fn validate(&self) -> Result<(), RoundError> {
        let err = |field, message: String| Err(RoundError { field, message });
        let counts = [
            ("round.seats", Some(self.seats)),
            ("round.entitled", Some(self.entitled)),
            ("round.present", Some(self.present)),
            ("round.issued", Some(self.issued)),
            ("round.returned", self.returned),
            ("round.next_size", self.next_size),
        ];
        for (field, v) in counts {
            if let Some(v) = v.filter(|v| *v > super::limits::MAX_COUNT) {
                return err(field, super::limits::too_large_message(v));
            }
        }
        if self.seats == 0 {
            return err("round.seats", "expected at least 1 seat, found 0".into());
        }
        if self.candidates.is_empty() && self.kind != RoundKind::Nomination {
            return err(
                "round.candidates",
                "expected at least one candidate, found an empty list".into(),
            );
        }
        for (i, name) in self.candidates.iter().enumerate() {
            if name.trim().is_empty() {
                return err(
                    "round.candidates",
                    format!("candidate {} has an empty name", i + 1),
                );
            }
        }
        if let Some((i, j)) = super::name::first_alike_pair(&self.candidates) {
            let (same, name) = (&self.candidates[i], &self.candidates[j]);
            return err(
                "round.candidates",
                if same == name {
                    format!("candidate {name:?} is listed twice")
                } else {
                    format!("candidate {name:?} looks the same as candidate {same:?}")
                },
            );
        }
        if let Some(r) = &self.rating {
            if self.kind != RoundKind::Evaluation {
                return err(
                    "round.rating",
                    format!(
                        "a rating by levels is an evaluation round; this is a {} round",
                        self.kind.as_str()
                    ),
                );
            }
            if self.candidates != r.cells() {
                return err(
                    "round.candidates",
                    "a rated evaluation's lines are its cells (person·level), row by row".into(),
                );
            }
        }
        if self.present > self.entitled {
            return err(
                "round.present",
                format!(
                    "{} present is more than the {} entitled to vote; expected present ≤ entitled",
                    self.present, self.entitled
                ),
            );
        }
        // Issued > present is a fact (replacement ballots), not an error;
        // only counts that cannot both be true are refused.
        if self.replaced > self.issued {
            return err(
                "round.replaced",
                format!(
                    "{} ballots replaced but only {} issued; expected replaced ≤ issued (replacements are counted in issued)",
                    self.replaced, self.issued
                ),
            );
        }
        if let Some(voted) = self.voted {
            if voted > self.present.min(self.issued) {
                return err(
                    "round.voted",
                    format!(
                        "{voted} voted, but {} present and {} ballots issued; expected voted ≤ {} (nobody votes without being present and given a ballot)",
                        self.present,
                        self.issued,
                        self.present.min(self.issued)
                    ),
                );
            }
        }
        if let Some(resolved) = self.resolves {
            if self.kind != RoundKind::Runoff {
                return err(
                    "round.resolves",
                    format!(
                        "only a runoff resolves another round; this is a {} round",
                        self.kind.as_str()
                    ),
                );
            }
            if !RoundKind::RESOLVABLE.contains(&resolved) {
                return err(
                    "round.resolves",
                    format!(
                        "a runoff cannot resolve a {} round; expected one of: {}",
                        resolved.as_str(),
                        RoundKind::RESOLVABLE.map(RoundKind::as_str).join(", ")
                    ),
                );
            }
        }
        if self.kind == RoundKind::Nomination || self.kind == RoundKind::Preliminary {
            match self.next_size {
                None => {
                    return err(
                        "round.next_size",
                        format!(
                            "a {} round needs next_size, the length of the list it proposes",
                            self.kind.as_str()
                        ),
                    )
                }
                Some(0) => {
                    return err("round.next_size", "expected at least 1, found 0".into());
                }
                Some(_) => {}
            }
        }
        if self.next_size == Some(0) {
            return err("round.next_size", "expected at least 1, found 0".into());
        }
        Ok(())
    }

    /// 投票人数, the base of `box_check = voters` (RULES §3.3): the number
    /// recorded, else min(present, issued) — nobody who is absent or got no
    /// ballot can have voted.
    pub fn voters(&self) -> u64 {
        self.voted.unwrap_or(self.present.min(self.issued))
    }

    /// The number of ballots returned may not exceed under `method`'s box
    /// check. The one place this limit is computed (the rule engine, the
    /// round-file cross-check, the service and the verifier ask here).
    pub fn box_limit(&self, method: &super::ElectionMethod) -> u64 {
        match method.box_check {
            super::method::BoxCheck::Issued => self.issued,
            super::method::BoxCheck::Voters => self.voters(),
        }
    }

    /// Whether ballots are counted at all with `returned` papers: quorum
    /// (or the list round's participation floor) met and the box valid.
    pub fn is_counted(&self, method: &super::ElectionMethod, returned: u64) -> bool {
        method
            .participation_rule(self.rule_kind())
            .is_met(self.present, self.entitled)
            && returned <= self.box_limit(method)
    }

    /// The kind whose rule decides this round: a runoff keeps the rule of
    /// the round it resolves (default formal); any other round its own.
    pub fn rule_kind(&self) -> RoundKind {
        match self.kind {
            RoundKind::Runoff => match self.resolves {
                None | Some(RoundKind::Supplementary) => RoundKind::Formal,
                Some(k) => k,
            },
            k => k,
        }
    }

    /// Whether this round proposes the next stage's list (a list round, or a
    /// runoff resolving one).
    pub fn proposes_list(&self) -> bool {
        self.rule_kind().proposes_list()
    }

    /// The most selections (for-marks plus accepted write-ins) a valid ballot
    /// may carry, or `None` when unlimited (CONTRACT §2 `seats`).
    pub fn selection_limit(&self, method: &super::ElectionMethod) -> Option<u64> {
        use super::method::NominationLimit;
        match self.kind {
            RoundKind::Formal | RoundKind::Runoff | RoundKind::Supplementary => Some(self.seats),
            RoundKind::Preliminary => self.next_size,
            RoundKind::Evaluation => None,
            RoundKind::Nomination => match method.nomination_limit {
                NominationLimit::Seats => Some(self.seats),
                NominationLimit::NextSize => self.next_size,
                NominationLimit::Unlimited => None,
            },
            // Each nominee decided on their own: any number of 同意. With
            // more nominees than posts (差额表决) no more than the posts.
            RoundKind::Cadre | RoundKind::Resolution => {
                if self.candidates.len() as u64 > self.seats {
                    Some(self.seats)
                } else {
                    None
                }
            }
        }
    }

    /// Whether this kind of round accepts write-ins under `method`.
    pub fn accepts_write_ins(&self, method: &super::ElectionMethod) -> bool {
        use super::method::WriteIns;
        method.write_ins == WriteIns::AgainstLineOnly
            && !matches!(
                self.kind,
                RoundKind::Runoff
                    | RoundKind::Cadre
                    | RoundKind::Resolution
                    | RoundKind::Evaluation
            )
    }
}
