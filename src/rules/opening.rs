//! The box opening (开箱清点, RULES §3.3): before counting, the scrutineers
//! count the ballots found in the box (收回选票). One count is not enough:
//! a second scrutineer counts again, and the number is settled only when
//! the latest counts of at least two different scrutineers agree and no
//! scrutineer's latest count disagrees. A mismatch is settled by counting
//! again (each scrutineer's latest count replaces their earlier one).
//! The service (`service::boxes`) and the verifier (`log::verify::boxes`)
//! decide with this one rule.

/// Where the box count of a round stands. Names are in the order the
/// scrutineers first counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoxCount {
    /// Nobody has counted the box.
    NotCounted,
    /// One scrutineer counted; a second must count again.
    AwaitingSecond { by: String, returned: u64 },
    /// The latest counts differ: they must be settled by counting again.
    Differs { counts: Vec<(String, u64)> },
    /// At least two scrutineers' latest counts agree.
    Settled { returned: u64, by: Vec<String> },
}

/// Decides the box count from the counts in the order entered: each
/// scrutineer's (by name) latest count stands.
pub fn settle<'a>(counts: impl IntoIterator<Item = (&'a str, u64)>) -> BoxCount {
    let mut latest: Vec<(String, u64)> = Vec::new();
    for (by, returned) in counts {
        match latest.iter_mut().find(|(n, _)| n == by) {
            Some(slot) => slot.1 = returned,
            None => latest.push((by.to_string(), returned)),
        }
    }
    let Some(&(_, first)) = latest.first() else {
        return BoxCount::NotCounted;
    };
    if latest.iter().any(|&(_, v)| v != first) {
        return BoxCount::Differs { counts: latest };
    }
    if latest.len() == 1 {
        let (by, returned) = latest.into_iter().next().unwrap_or_default();
        return BoxCount::AwaitingSecond { by, returned };
    }
    BoxCount::Settled {
        returned: first,
        by: latest.into_iter().map(|(n, _)| n).collect(),
    }
}

impl BoxCount {
    /// The settled number of ballots returned, if any.
    pub fn settled(&self) -> Option<u64> {
        match self {
            BoxCount::Settled { returned, .. } => Some(*returned),
            _ => None,
        }
    }

    /// `not_counted`, `awaiting_second`, `differs` or `settled`.
    pub fn as_str(&self) -> &'static str {
        match self {
            BoxCount::NotCounted => "not_counted",
            BoxCount::AwaitingSecond { .. } => "awaiting_second",
            BoxCount::Differs { .. } => "differs",
            BoxCount::Settled { .. } => "settled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_scrutineers_agreeing_settle_the_count() {
        assert_eq!(settle([]), BoxCount::NotCounted);
        assert_eq!(
            settle([("甲", 46)]),
            BoxCount::AwaitingSecond {
                by: "甲".into(),
                returned: 46
            }
        );
        // The same scrutineer twice is still one count.
        assert_eq!(settle([("甲", 46), ("甲", 46)]).settled(), None);
        assert_eq!(settle([("甲", 46), ("乙", 46)]).settled(), Some(46));
    }

    #[test]
    fn a_mismatch_stands_until_the_one_who_differs_counts_again() {
        let d = settle([("甲", 46), ("乙", 64)]);
        assert_eq!(d.as_str(), "differs");
        assert_eq!(
            settle([("甲", 46), ("乙", 64), ("丙", 46)]).as_str(),
            "differs"
        );
        assert_eq!(
            settle([("甲", 46), ("乙", 64), ("丙", 46), ("乙", 46)]).settled(),
            Some(46)
        );
    }
}
