//! The electors' consent to reduce the seats after a shortfall (RULES
//! §4.6: "at a members' assembly with the consent of more than half of the
//! electors"): a counted vote — a show of hands or a ballot — whose
//! numbers are entered and recorded with the decision. The service
//! refuses a reduction the vote did not carry, and the verifier checks
//! the recorded numbers with this same rule.
//!
//! Open point: whose half. RULES §4.6 says "the electors" without saying
//! whether they are those entitled to vote or those present. The named
//! parameter is [`CONSENT_BASE`], default [`ConsentBase::Present`]
//! (到会选举人): the wording the meeting's screens and the chair's
//! announcement already use (经到会选举人过半数同意), and the reading of
//! 选举人 as the electors who take part. [`ConsentBase::Entitled`] is the
//! stricter reading, the same base as the election threshold.

use serde::{Deserialize, Serialize};

/// Whose majority the consent needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentBase {
    /// 到会选举人: the electors present (the meeting's attendance).
    Present,
    /// 应到会选举人: every elector entitled to vote.
    Entitled,
}

/// The base of the consent vote (open point, see the module doc).
pub const CONSENT_BASE: ConsentBase = ConsentBase::Present;

/// How the consent was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentWay {
    /// 举手表决
    Hands,
    /// 投票表决
    Ballot,
}

/// The counted vote on the reduction, as the decision records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentVote {
    pub way: ConsentWay,
    #[serde(rename = "for")]
    pub yes: u64,
    pub against: u64,
    pub abstain: u64,
    /// Whose majority was needed, and how many they were.
    pub basis: ConsentBase,
    pub base: u64,
}

impl ConsentVote {
    /// More than half of the base consented: `2 × for > base`.
    pub fn carried(&self) -> bool {
        self.yes.saturating_mul(2) > self.base
    }

    /// The numbers hold together: the base is the meeting's number for
    /// the basis, and no more people voted than are present.
    pub fn check(&self, entitled: u64, present: u64) -> Result<(), String> {
        let expected = match self.basis {
            ConsentBase::Present => present,
            ConsentBase::Entitled => entitled,
        };
        if self.base != expected {
            return Err(format!(
                "the consent vote's base is {}, but the meeting has {expected} {}",
                self.base,
                match self.basis {
                    ConsentBase::Present => "present",
                    ConsentBase::Entitled => "entitled",
                }
            ));
        }
        let voted = self
            .yes
            .saturating_add(self.against)
            .saturating_add(self.abstain);
        if voted > present {
            return Err(format!(
                "{voted} voted on the consent ({} for, {} against, {} abstaining), but {present} are present",
                self.yes, self.against, self.abstain
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vote(yes: u64, against: u64, abstain: u64, base: u64) -> ConsentVote {
        ConsentVote {
            way: ConsentWay::Hands,
            yes,
            against,
            abstain,
            basis: ConsentBase::Present,
            base,
        }
    }

    #[test]
    fn more_than_half_carries_exactly_half_does_not() {
        assert!(vote(24, 20, 2, 46).carried());
        assert!(!vote(23, 20, 3, 46).carried());
        assert!(vote(24, 0, 0, 47).carried());
        assert!(!vote(23, 0, 0, 47).carried());
    }

    #[test]
    fn the_numbers_must_fit_the_meeting() {
        assert!(vote(30, 10, 6, 46).check(50, 46).is_ok());
        assert!(vote(30, 10, 7, 46).check(50, 46).is_err());
        assert!(vote(30, 10, 6, 50).check(50, 46).is_err());
    }
}
