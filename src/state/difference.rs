//! A difference between the two readings of a batch, and how a scrutineer
//! resolves it.
//!
//! ```text
//!  unresolved ──resolve(first | second | void)──▶ resolved (final)
//! ```
//!
//! A resolution is one of three; there is no fourth that could quietly
//! become a void ballot.

use super::Refused;

/// Which reading read the paper right, or that the ballot is void.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resolution {
    First,
    Second,
    /// The paper is a void ballot (the reason is recorded with it).
    Void,
}

/// What a resolved position holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick<T> {
    /// The ballot as one of the readings gave it (`None` where that
    /// reading had no paper at this position).
    Reading(Option<T>),
    Void,
}

impl Resolution {
    pub const ALL: [Resolution; 3] = [Resolution::First, Resolution::Second, Resolution::Void];

    /// A difference that is `from` (`None`: unresolved) after a scrutineer
    /// resolves it as `self`. Once resolved it stays so.
    pub fn resolve(
        self,
        from: Option<Resolution>,
    ) -> Result<Resolution, Refused<Option<Resolution>, Resolution>> {
        match from {
            None => Ok(self),
            Some(_) => Err(Refused { from, event: self }),
        }
    }

    /// The paper at a resolved position, from the two readings there.
    pub fn pick<T>(self, first: Option<T>, second: Option<T>) -> Pick<T> {
        match self {
            Resolution::First => Pick::Reading(first),
            Resolution::Second => Pick::Reading(second),
            Resolution::Void => Pick::Void,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_move_of_a_difference() {
        for r in Resolution::ALL {
            assert_eq!(r.resolve(None), Ok(r));
            for done in Resolution::ALL {
                assert_eq!(
                    r.resolve(Some(done)),
                    Err(Refused {
                        from: Some(done),
                        event: r
                    })
                );
            }
        }
    }

    #[test]
    fn a_resolution_picks_its_reading_or_voids() {
        assert_eq!(
            Resolution::First.pick(Some(1), Some(2)),
            Pick::Reading(Some(1))
        );
        assert_eq!(
            Resolution::Second.pick(Some(1), Some(2)),
            Pick::Reading(Some(2))
        );
        assert_eq!(Resolution::Second.pick(Some(1), None), Pick::Reading(None));
        assert_eq!(Resolution::Void.pick(Some(1), Some(2)), Pick::Void);
    }
}
