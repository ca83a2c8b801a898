//! Replay of the box opening (`box_counted`, docs/audit-bundle.md §6):
//! each count is a scrutineer's, signed by them (step 6 checks the
//! signature and the name); no count is made once two agree; and a round
//! whose box was counted closes with exactly the settled number returned
//! (`rules::opening`, the service's rule).

use std::collections::{BTreeMap, BTreeSet};

use crate::rules::opening::{settle, BoxCount};

/// The box counts of each round, in log order: round → (name, returned).
#[derive(Debug, Default)]
pub(super) struct Boxes(BTreeMap<String, Vec<(String, u64)>>);

impl Boxes {
    fn state(&self, round: &str) -> BoxCount {
        settle(
            self.0
                .get(round)
                .into_iter()
                .flatten()
                .map(|(n, r)| (n.as_str(), *r)),
        )
    }

    /// A `box_counted` of an open round, by a scrutineer of its election
    /// when the log assigned staff to it (`staff`: (role, name)).
    pub(super) fn counted(
        &mut self,
        round: &str,
        by: Option<&str>,
        returned: u64,
        staff: Option<&BTreeSet<(String, String)>>,
    ) -> Result<(), String> {
        let Some(by) = by else {
            return Err("box_counted names no scrutineer (by)".into());
        };
        if let Some(staff) = staff {
            if !staff
                .iter()
                .any(|(role, name)| name == by && super::is_scrutineer_role(role))
            {
                return Err(format!(
                    "box_counted by {by}, who is not a scrutineer of the round's election"
                ));
            }
        }
        if let Some(settled) = self.state(round).settled() {
            return Err(format!(
                "the box of round {round} is counted again after two scrutineers settled it at {settled}"
            ));
        }
        self.0
            .entry(round.to_string())
            .or_default()
            .push((by.to_string(), returned));
        Ok(())
    }

    /// A `round_closed` with `returned`: equal to the settled box count,
    /// if the box was counted.
    pub(super) fn closed(&self, round: &str, returned: u64) -> Result<(), String> {
        match self.state(round) {
            BoxCount::NotCounted => Ok(()),
            BoxCount::Settled { returned: r, .. } if r == returned => Ok(()),
            BoxCount::Settled { returned: r, .. } => Err(format!(
                "round {round} closed with {returned} returned; the scrutineers counted {r} in the box"
            )),
            BoxCount::AwaitingSecond { by, returned: r } => Err(format!(
                "round {round} closed while the box count of {r} by {by} was not confirmed by a second scrutineer"
            )),
            BoxCount::Differs { counts } => Err(format!(
                "round {round} closed while the box counts differ: {}",
                counts
                    .iter()
                    .map(|(n, r)| format!("{n} {r}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_close_must_match_the_settled_box() {
        let staff: BTreeSet<(String, String)> = [
            ("scrutineer", "甲"),
            ("scrutineer", "乙"),
            ("counter", "丁"),
        ]
        .into_iter()
        .map(|(r, n)| (r.to_string(), n.to_string()))
        .collect();
        let s = Some(&staff);
        let mut b = Boxes::default();
        assert!(b.closed("r1", 7).is_ok(), "no box count: any number");
        let e = b.counted("r1", Some("丁"), 46, s).unwrap_err();
        assert!(e.contains("not a scrutineer"), "{e}");
        b.counted("r1", Some("甲"), 46, s).unwrap();
        assert!(b.closed("r1", 46).unwrap_err().contains("not confirmed"));
        b.counted("r1", Some("乙"), 64, s).unwrap();
        assert!(b.closed("r1", 46).unwrap_err().contains("differ"));
        b.counted("r1", Some("乙"), 46, s).unwrap();
        assert!(b.closed("r1", 46).is_ok());
        assert!(b.closed("r1", 64).unwrap_err().contains("counted 46"));
        let e = b.counted("r1", Some("丙"), 46, None).unwrap_err();
        assert!(e.contains("settled"), "{e}");
        assert!(b.counted("r2", None, 1, None).is_err());
    }
}
