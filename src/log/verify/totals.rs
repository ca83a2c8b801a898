//! Replay of rounds counted by hand (唱票计票, docs/audit-bundle.md §6):
//! `hand_count` marks the round before anything is entered in it; its
//! counts are the one `totals_counted` (made by the service after two
//! readings by two persons, step 6), which must fit the round
//! (`rules::totals`, the service's rule); no `ballot_batch` is logged in
//! it; and its tally is replayed from those totals.

use std::collections::{BTreeMap, BTreeSet};

use crate::rules::round::Round;
use crate::rules::tally::Counts;
use crate::rules::totals::{HandTotals, TotalsLine};
use crate::rules::ElectionMethod;

#[derive(Debug, Default)]
pub(super) struct Totals {
    hand: BTreeSet<String>,
    counted: BTreeMap<String, HandTotals>,
}

impl Totals {
    pub(super) fn is_hand(&self, round: &str) -> bool {
        self.hand.contains(round)
    }

    /// `hand_count` of an open round with nothing entered yet.
    pub(super) fn hand_count(&mut self, round: &str, entered: bool) -> Result<(), String> {
        if entered {
            return Err(format!(
                "round {round} is marked as counted by hand after ballots were logged in it"
            ));
        }
        if !self.hand.insert(round.to_string()) {
            return Err(format!("round {round} is marked as counted by hand twice"));
        }
        Ok(())
    }

    /// `totals_counted` of a hand-counted open round.
    pub(super) fn counted(
        &mut self,
        method: &ElectionMethod,
        facts: &Round,
        round: &str,
        totals: &HandTotals,
    ) -> Result<(), String> {
        if !self.is_hand(round) {
            return Err(format!(
                "totals_counted in round {round}, which is not counted by hand"
            ));
        }
        if self.counted.contains_key(round) {
            return Err(format!("the totals of round {round} are logged twice"));
        }
        totals
            .check(method, facts)
            .map_err(|e| format!("totals of round {round}, {}: {}", e.field, e.en))?;
        self.counted.insert(round.to_string(), totals.clone());
        Ok(())
    }

    /// The counts of a hand-counted round (zero until its totals are
    /// logged); `None` for a round counted ballot by ballot.
    pub(super) fn counts(&self, round: &str, candidates: usize) -> Option<Counts> {
        if !self.is_hand(round) {
            return None;
        }
        Some(match self.counted.get(round) {
            Some(t) => t.counts(),
            None => HandTotals {
                valid: 0,
                void: 0,
                lines: vec![TotalsLine::default(); candidates],
            }
            .counts(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Office, RoundKind};

    #[test]
    fn totals_count_only_in_a_hand_count_and_must_fit_the_round() {
        let method = crate::rules::preset::preset("grassroots-2020").unwrap();
        let facts = Round {
            kind: RoundKind::Formal,
            office: Office::Committee,
            contest: String::new(),
            seats: 1,
            candidates: vec!["甲".into(), "乙".into()],
            entitled: 5,
            present: 5,
            issued: 5,
            returned: None,
            next_size: None,
            replaced: 0,
            voted: None,
            rating: None,
            resolves: None,
        };
        let line = |yes, against, abstain| TotalsLine {
            yes,
            against,
            abstain,
        };
        let good = HandTotals {
            valid: 5,
            void: 0,
            lines: vec![line(4, 1, 0), line(1, 3, 1)],
        };
        let mut t = Totals::default();
        assert!(t
            .counted(&method, &facts, "r1", &good)
            .unwrap_err()
            .contains("not counted by hand"));
        assert_eq!(t.counts("r1", 2), None);
        assert!(t
            .hand_count("r1", true)
            .unwrap_err()
            .contains("after ballots"));
        t.hand_count("r1", false).unwrap();
        assert!(t.hand_count("r1", false).is_err());
        assert_eq!(t.counts("r1", 2).map(|c| c.valid), Some(0));
        let bad = HandTotals {
            valid: 5,
            void: 0,
            lines: vec![line(4, 1, 0)],
        };
        assert!(t
            .counted(&method, &facts, "r1", &bad)
            .unwrap_err()
            .contains("lines"));
        t.counted(&method, &facts, "r1", &good).unwrap();
        assert!(t
            .counted(&method, &facts, "r1", &good)
            .unwrap_err()
            .contains("twice"));
        assert_eq!(t.counts("r1", 2).map(|c| c.lines[0].for_votes), Some(4));
    }
}
