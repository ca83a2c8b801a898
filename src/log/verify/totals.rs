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
