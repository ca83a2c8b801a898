//! A ballot round.
//!
//! ```text
//!  Draft ──open (ballots issued; facts frozen)──▶ Open ──close (tally logged)──▶ Closed
//!                                                 ⟲ enter                       ⟲ certify, decide
//! ```
//!
//! | state \ event | open | enter | close | certify | decide |
//! |---|---|---|---|---|---|
//! | draft | open | refused | refused | refused | refused |
//! | open | refused | open | closed | refused | refused |
//! | closed | refused | refused | refused | closed | closed |
//!
//! `enter` is every act on the paper while the round counts: a reading, a
//! resolution, a discard. `certify` (a scrutineer's cosignature) and
//! `decide` (the presidium's decision) act on the signed result of a
//! closed round; whether it is certified or announced are facts of the
//! closed round, not states of their own.

use super::Refused;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoundState {
    /// Made, not yet opened: its candidates and seats may still be checked
    /// against the method.
    Draft,
    /// Ballots issued; readings come in.
    Open,
    /// Tallied: the result is signed in the log.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundEvent {
    Open,
    Enter,
    Close,
    Certify,
    Decide,
}

/// The status label a round's result carries (docs/api.md, "status").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundStatus {
    /// Open: a partial count.
    UnofficialPartial,
    /// Closed, not yet certified.
    UnofficialComplete,
    /// Closed and cosigned by enough scrutineers.
    Certified,
}

impl RoundStatus {
    pub const ALL: [RoundStatus; 3] = [
        RoundStatus::UnofficialPartial,
        RoundStatus::UnofficialComplete,
        RoundStatus::Certified,
    ];
}

impl RoundState {
    pub const ALL: [RoundState; 3] = [RoundState::Draft, RoundState::Open, RoundState::Closed];

    /// The round after `event`.
    pub fn next(self, event: RoundEvent) -> Result<RoundState, Refused<RoundState, RoundEvent>> {
        use RoundEvent as E;
        use RoundState::*;
        match (self, event) {
            (Draft, E::Open) => Ok(Open),
            (Open, E::Enter) => Ok(Open),
            (Open, E::Close) => Ok(Closed),
            (Closed, E::Certify | E::Decide) => Ok(Closed),
            (Draft, E::Enter | E::Close | E::Certify | E::Decide)
            | (Open, E::Open | E::Certify | E::Decide)
            | (Closed, E::Open | E::Enter | E::Close) => Err(Refused { from: self, event }),
        }
    }

    /// Whether the round has a result to show (partial or final).
    pub fn has_result(self) -> bool {
        self != RoundState::Draft
    }

    /// The status label of its result; `None` for a draft.
    pub fn status(self, certified: bool) -> Option<RoundStatus> {
        match self {
            RoundState::Draft => None,
            RoundState::Open => Some(RoundStatus::UnofficialPartial),
            RoundState::Closed if certified => Some(RoundStatus::Certified),
            RoundState::Closed => Some(RoundStatus::UnofficialComplete),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RoundEvent as E;
    use super::RoundState::*;
    use super::*;

    /// Every (state, event) pair, the table of the module doc.
    #[test]
    fn every_move_of_a_round() {
        #[rustfmt::skip]
        let table: &[(RoundState, [Option<RoundState>; 5])] = &[
            //        open        enter       close         certify       decide
            (Draft,  [Some(Open), None,       None,         None,         None]),
            (Open,   [None,       Some(Open), Some(Closed), None,         None]),
            (Closed, [None,       None,       None,         Some(Closed), Some(Closed)]),
        ];
        assert_eq!(table.len(), RoundState::ALL.len());
        let events = [E::Open, E::Enter, E::Close, E::Certify, E::Decide];
        for &(from, row) in table {
            for (event, want) in events.into_iter().zip(row) {
                let got = from.next(event);
                match want {
                    Some(to) => assert_eq!(got, Ok(to), "{from:?} + {event:?}"),
                    None => assert_eq!(got, Err(Refused { from, event }), "{from:?} + {event:?}"),
                }
            }
        }
    }

    #[test]
    fn status_of_each_state() {
        assert_eq!(Draft.status(false), None);
        assert_eq!(Draft.status(true), None);
        assert_eq!(Open.status(false), Some(RoundStatus::UnofficialPartial));
        assert_eq!(Closed.status(false), Some(RoundStatus::UnofficialComplete));
        assert_eq!(Closed.status(true), Some(RoundStatus::Certified));
        assert!(!Draft.has_result() && Open.has_result() && Closed.has_result());
    }
}
