//! An election as a whole: complete, or what it waits for.
//!
//! An election has no stored state; it is where its electing rounds stand,
//! as the caller may see them. Each electing round either has decided (it
//! is closed, certified and its result visible to the caller) or holds the
//! election up ([`Watched::waits`]); the earliest stage that holds it up is
//! what the election waits for ([`waits`]):
//!
//! ```text
//!  counting < certification < announcement < decision < no round
//! ```
//!
//! With every electing round decided, unfilled seats wait for the
//! presidium's decision (runoff, supplementary round, reduction); no
//! electing round at all waits for one.

use super::RoundState;

/// What an incomplete election waits for, earliest stage first (the
/// order of the variants is the order of precedence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Waiting {
    /// An electing round is a draft or open.
    Counting,
    /// A closed electing round is not certified yet.
    Certification,
    /// The caller may not see the result of a closed electing round yet.
    Announcement,
    /// Seats are unfilled and no round is under way: the presidium decides.
    Decision,
    /// No electing round yet (only list rounds, or none).
    NoRound,
}

impl Waiting {
    pub const ALL: [Waiting; 5] = [
        Waiting::Counting,
        Waiting::Certification,
        Waiting::Announcement,
        Waiting::Decision,
        Waiting::NoRound,
    ];
}

/// An electing round as one caller sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watched {
    pub state: RoundState,
    /// The caller may see its result (`may_see_result`).
    pub visible: bool,
    pub certified: bool,
}

impl Watched {
    /// What this round holds the election up for; `None`: it has decided.
    pub fn waits(self) -> Option<Waiting> {
        match self.state {
            RoundState::Draft | RoundState::Open => Some(Waiting::Counting),
            RoundState::Closed if !self.visible => Some(Waiting::Announcement),
            RoundState::Closed if !self.certified => Some(Waiting::Certification),
            RoundState::Closed => None,
        }
    }
}

/// What the election waits for; `None`: it is complete. `filled` seats of
/// `seats` are filled by the decided rounds.
pub fn waits(rounds: &[Watched], filled: u64, seats: u64) -> Option<Waiting> {
    let held = rounds.iter().filter_map(|r| r.waits()).min();
    let end = if rounds.is_empty() {
        Some(Waiting::NoRound)
    } else if filled < seats {
        Some(Waiting::Decision)
    } else {
        None
    };
    held.into_iter().chain(end).min()
}

#[cfg(test)]
mod tests {
    use super::RoundState::*;
    use super::Waiting::*;
    use super::*;

    fn w(state: RoundState, visible: bool, certified: bool) -> Watched {
        Watched {
            state,
            visible,
            certified,
        }
    }

    /// Every state × visible × certified of one electing round.
    #[test]
    fn what_one_round_holds_up() {
        #[rustfmt::skip]
        let table: &[(RoundState, bool, bool, Option<Waiting>)] = &[
            (Draft,  false, false, Some(Counting)),
            (Draft,  false, true,  Some(Counting)),
            (Draft,  true,  false, Some(Counting)),
            (Draft,  true,  true,  Some(Counting)),
            (Open,   false, false, Some(Counting)),
            (Open,   false, true,  Some(Counting)),
            (Open,   true,  false, Some(Counting)),
            (Open,   true,  true,  Some(Counting)),
            (Closed, false, false, Some(Announcement)),
            (Closed, false, true,  Some(Announcement)),
            (Closed, true,  false, Some(Certification)),
            (Closed, true,  true,  None),
        ];
        assert_eq!(table.len(), RoundState::ALL.len() * 4);
        for &(state, visible, certified, want) in table {
            assert_eq!(
                w(state, visible, certified).waits(),
                want,
                "{state:?} {visible} {certified}"
            );
        }
    }

    #[test]
    fn the_earliest_stage_holds_the_election_up() {
        let done = w(Closed, true, true);
        assert_eq!(waits(&[], 0, 2), Some(NoRound));
        assert_eq!(waits(&[done], 2, 2), None);
        assert_eq!(waits(&[done], 1, 2), Some(Decision));
        assert_eq!(
            waits(&[done, w(Closed, false, false)], 1, 2),
            Some(Announcement)
        );
        assert_eq!(
            waits(&[w(Closed, true, false), w(Closed, false, false)], 0, 2),
            Some(Certification)
        );
        assert_eq!(
            waits(&[w(Closed, true, false), w(Open, true, false)], 0, 2),
            Some(Counting)
        );
        // A round under way holds it up even with every seat filled.
        assert_eq!(waits(&[done, w(Draft, false, false)], 2, 2), Some(Counting));
    }
}
