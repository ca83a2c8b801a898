//! A round counted by hand (唱票计票, issue 12 item 24): instead of each
//! ballot, the counters enter the totals read out at the counting table —
//! per candidate in ballot order the votes for, against and abstaining,
//! and the numbers of valid and void ballots. Two counters enter them
//! independently; the totals both agree on (or the scrutineers choose)
//! are the round's counts. One rule for their shape, used by the service
//! (`service::totals`) and the verifier (`log::verify::totals`).
//!
//! Write-ins cannot be entered as totals: a round with write-ins is
//! counted ballot by ballot.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::round::Round;
use super::tally::{Counts, InvalidReason, LineCount};
use super::ElectionMethod;

/// One candidate's totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotalsLine {
    #[serde(rename = "for")]
    pub yes: u64,
    pub against: u64,
    pub abstain: u64,
}

/// The totals of a round counted by hand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandTotals {
    pub valid: u64,
    pub void: u64,
    /// Per listed candidate, in ballot order.
    pub lines: Vec<TotalsLine>,
}

/// Why totals do not hold together: the field and the message (zh, en).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotalsError {
    pub field: String,
    pub zh: String,
    pub en: String,
}

impl HandTotals {
    /// Ballots counted: valid and void.
    pub fn ballots(&self) -> u64 {
        self.valid.saturating_add(self.void)
    }

    /// The totals fit the round: one line per candidate; on every line
    /// for + against + abstain = valid (each valid ballot has each line
    /// marked one way, a blank line abstains); no more votes for than the
    /// valid ballots can hold under the selection limit.
    pub fn check(&self, method: &ElectionMethod, round: &Round) -> Result<(), TotalsError> {
        let n = round.candidates.len();
        if self.lines.len() != n {
            return Err(TotalsError {
                field: "lines".into(),
                zh: format!("应填写 {n} 名候选人的票数，实际 {} 行", self.lines.len()),
                en: format!(
                    "{n} candidates' totals expected, {} lines given",
                    self.lines.len()
                ),
            });
        }
        for (i, (l, name)) in self.lines.iter().zip(&round.candidates).enumerate() {
            let sum = l.yes.saturating_add(l.against).saturating_add(l.abstain);
            if sum != self.valid {
                return Err(TotalsError {
                    field: format!("lines[{i}]"),
                    zh: format!(
                        "{name}：赞成 {}、不赞成 {}、弃权 {}，合计 {sum}，应等于有效票 {}",
                        l.yes, l.against, l.abstain, self.valid
                    ),
                    en: format!(
                        "{name}: {} for, {} against, {} abstaining make {sum}; they must make the {} valid ballots",
                        l.yes, l.against, l.abstain, self.valid
                    ),
                });
            }
        }
        if let Some(limit) = round.selection_limit(method) {
            let fors = self.lines.iter().fold(0u64, |a, l| a.saturating_add(l.yes));
            let most = self.valid.saturating_mul(limit);
            if fors > most {
                return Err(TotalsError {
                    field: "lines".into(),
                    zh: format!(
                        "赞成票合计 {fors}，多于有效票 {} 张每张最多 {limit} 票的 {most} 票",
                        self.valid
                    ),
                    en: format!(
                        "{fors} votes for in all, more than {most} ({} valid ballots of at most {limit} each)",
                        self.valid
                    ),
                });
            }
        }
        Ok(())
    }

    /// The round's counts: void ballots are those the scrutineers
    /// declared void at the counting table.
    pub fn counts(&self) -> Counts {
        let mut invalid_by_reason = BTreeMap::new();
        if self.void > 0 {
            invalid_by_reason.insert(InvalidReason::DeclaredVoid, self.void);
        }
        Counts {
            valid: self.valid,
            invalid: self.void,
            invalid_by_reason,
            lines: self
                .lines
                .iter()
                .map(|l| LineCount {
                    for_votes: l.yes,
                    against: l.against,
                    abstain: l.abstain,
                })
                .collect(),
            ..Counts::default()
        }
    }

    /// The candidates whose totals differ between two readings, by index.
    pub fn differing_lines(&self, other: &HandTotals) -> Vec<usize> {
        (0..self.lines.len().max(other.lines.len()))
            .filter(|&i| self.lines.get(i) != other.lines.get(i))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Office, RoundKind};

    fn round() -> Round {
        Round {
            kind: RoundKind::Formal,
            office: Office::Committee,
            contest: String::new(),
            seats: 2,
            candidates: vec!["甲".into(), "乙".into(), "丙".into()],
            entitled: 10,
            present: 10,
            issued: 10,
            returned: Some(10),
            next_size: None,
            replaced: 0,
            voted: None,
            rating: None,
            resolves: None,
        }
    }

    fn line(yes: u64, against: u64, abstain: u64) -> TotalsLine {
        TotalsLine {
            yes,
            against,
            abstain,
        }
    }

    #[test]
    fn totals_must_add_up_line_by_line_and_within_the_limit() {
        let method = crate::rules::preset::preset("grassroots-2020").unwrap();
        let ok = HandTotals {
            valid: 9,
            void: 1,
            lines: vec![line(8, 1, 0), line(5, 2, 2), line(4, 4, 1)],
        };
        assert!(ok.check(&method, &round()).is_ok());
        assert_eq!(ok.counts().invalid, 1);
        let mut bad = ok.clone();
        bad.lines[1].abstain = 3;
        assert_eq!(bad.check(&method, &round()).unwrap_err().field, "lines[1]");
        let over = HandTotals {
            valid: 9,
            void: 1,
            lines: vec![line(9, 0, 0), line(9, 0, 0), line(1, 8, 0)],
        };
        assert!(over
            .check(&method, &round())
            .unwrap_err()
            .zh
            .contains("多于"));
        assert_eq!(ok.differing_lines(&bad), vec![1]);
    }
}
