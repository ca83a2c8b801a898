//! Replay of a seat reduction (`reduce_seats`, docs/audit-bundle.md §6):
//! when the round's method leaves it to the electors, the decision must
//! carry their counted vote, its numbers must fit the meeting, and more
//! than half must have consented (`rules::consent`, the service's rule).

use crate::log::event::Decision;
use crate::rules::method::{ElectionMethod, SeatReduction};

/// The failure of a `reduce_seats` decision, if any; other decisions pass.
pub(super) fn check(
    method: &ElectionMethod,
    decision: &Decision,
    entitled: Option<u64>,
    present: Option<u64>,
) -> Option<String> {
    let Decision::ReduceSeats { vote, .. } = decision else {
        return None;
    };
    match (method.seat_reduction, vote) {
        (SeatReduction::Presidium, None) => None,
        (SeatReduction::Presidium, Some(_)) => Some(
            "reduce_seats records an electors' vote, but the method leaves the reduction to the presidium".into(),
        ),
        (SeatReduction::ElectorsMajority, None) => Some(
            "reduce_seats records no counted vote of the electors, whose consent the method requires".into(),
        ),
        (SeatReduction::ElectorsMajority, Some(v)) => {
            let (Some(entitled), Some(present)) = (entitled, present) else {
                return Some("reduce_seats before the meeting's attendance was recorded".into());
            };
            if let Err(e) = v.check(entitled, present) {
                return Some(format!("reduce_seats: {e}"));
            }
            (!v.carried()).then(|| {
                format!(
                    "reduce_seats: {} for is not more than half of {}; the vote did not carry the reduction",
                    v.yes, v.base
                )
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::consent::{ConsentBase, ConsentVote, ConsentWay};

    fn reduce(vote: Option<ConsentVote>) -> Decision {
        Decision::ReduceSeats {
            from: 5,
            to: 4,
            consent: String::new(),
            vote,
        }
    }

    fn vote(yes: u64, base: u64) -> Option<ConsentVote> {
        Some(ConsentVote {
            way: ConsentWay::Hands,
            yes,
            against: 0,
            abstain: 0,
            basis: ConsentBase::Present,
            base,
        })
    }

    #[test]
    fn the_electors_majority_is_checked() {
        let mut method = crate::rules::preset::preset("grassroots-2020").unwrap();
        method.seat_reduction = SeatReduction::ElectorsMajority;
        let e = Some(50);
        let p = Some(46);
        assert!(check(&method, &reduce(vote(24, 46)), e, p).is_none());
        assert!(check(&method, &reduce(vote(23, 46)), e, p)
            .unwrap()
            .contains("did not carry"));
        assert!(check(&method, &reduce(vote(40, 50)), e, p)
            .unwrap()
            .contains("base"));
        assert!(check(&method, &reduce(None), e, p)
            .unwrap()
            .contains("no counted vote"));
        assert!(check(&method, &Decision::Announce, e, p).is_none());
        method.seat_reduction = SeatReduction::Presidium;
        assert!(check(&method, &reduce(None), e, p).is_none());
        assert!(check(&method, &reduce(vote(24, 46)), e, p).is_some());
    }
}
