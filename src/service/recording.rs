//! Which committed groups are finished (docs/service.md, "Group commit"):
//! the bookkeeping between a group's commit and its writes' replies, with
//! no I/O. A group is posted under the writer lock, so in commit order,
//! with what the checkpoint sidecar must then hold. One *round* at a
//! time writes the sidecar once for every group posted so far (the
//! record is cumulative: the newest holds every earlier group's
//! checkpoints) and then finishes them, in order. A round is made by a
//! write whose own group is posted and not yet finished, so each write
//! makes at most one round, and that round finishes its own group: a
//! write waits for at most the round in progress and its own.

use std::collections::BTreeMap;

use super::Error;

/// How many failed groups are remembered behind the last finished one
/// (a write asks about its own group only, soon after it finished).
const FAILED_KEPT: u64 = 1024;

/// Groups committed and not yet finished, and what became of those that
/// finished. `R` is what the sidecar must hold ([`super::Record`]).
pub(super) struct Recording<R> {
    /// What the sidecar must hold as of the last group posted, if not
    /// written yet.
    pending: Option<R>,
    /// The groups committed (or failed) and not yet taken by a round, in
    /// commit order, with their outcomes.
    posted: Vec<(u64, Result<(), Error>)>,
    /// A round is in progress.
    busy: bool,
    /// Every group up to this number has finished.
    through: u64,
    /// The groups that did not commit, and why (recent ones only).
    failed: BTreeMap<u64, Error>,
}

/// One round's work: write `record` (if any), then [`Recording::finish`]
/// `groups`.
pub(super) struct Round<R> {
    pub(super) record: Option<R>,
    pub(super) groups: Vec<(u64, Result<(), Error>)>,
}

impl<R> Default for Recording<R> {
    fn default() -> Self {
        Recording {
            pending: None,
            posted: Vec::new(),
            busy: false,
            through: 0,
            failed: BTreeMap::new(),
        }
    }
}

impl<R> Recording<R> {
    /// Group `id` committed (or failed to): called in commit order.
    /// `record`, when the group signed checkpoints, is what the sidecar
    /// must now hold (every earlier group's checkpoints included).
    pub(super) fn post(&mut self, id: u64, outcome: Result<(), Error>, record: Option<R>) {
        debug_assert!(self.posted.last().map_or(self.through, |p| p.0) < id);
        if record.is_some() {
            self.pending = record;
        }
        self.posted.push((id, outcome));
    }

    /// What became of group `id`, once it finished.
    pub(super) fn outcome(&self, id: u64) -> Option<Result<(), Error>> {
        (self.through >= id).then(|| match self.failed.get(&id) {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        })
    }

    /// The round the write of group `id` is to make now, if any: when no
    /// round is in progress and its group is posted and not finished. It
    /// takes every group posted so far (its own among them).
    pub(super) fn take_round(&mut self, id: u64) -> Option<Round<R>> {
        let posted = self.posted.last().is_some_and(|p| p.0 >= id);
        if self.busy || !posted || self.through >= id {
            return None;
        }
        self.busy = true;
        Some(Round {
            record: self.pending.take(),
            groups: std::mem::take(&mut self.posted),
        })
    }

    /// The round's sidecar is written: its groups are finished, in order.
    pub(super) fn finish(&mut self, groups: Vec<(u64, Result<(), Error>)>) {
        self.busy = false;
        for (id, outcome) in groups {
            self.through = self.through.max(id);
            if let Err(e) = outcome {
                self.failed.insert(id, e);
            }
        }
        while self
            .failed
            .first_key_value()
            .is_some_and(|(&k, _)| k + FAILED_KEPT < self.through)
        {
            self.failed.pop_first();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(round: &Round<&'static str>) -> Vec<u64> {
        round.groups.iter().map(|g| g.0).collect()
    }

    /// Under sustained load (a group posted during every round) no write
    /// makes more than one round, and each write's round finishes its own
    /// group: groups finish in commit order, each reply after the sidecar
    /// write that holds its group's checkpoints.
    #[test]
    fn a_write_makes_at_most_one_round_and_it_finishes_its_own_group() {
        let mut r = Recording::default();
        r.post(1, Ok(()), Some("as of 1"));
        let first = r.take_round(1).expect("group 1's poster makes the round");
        assert_eq!(ids(&first), [1]);
        assert_eq!(first.record, Some("as of 1"));
        // Groups 2 and 3 commit while the sidecar is written.
        r.post(2, Ok(()), Some("as of 2"));
        assert!(r.take_round(2).is_none(), "one round at a time");
        r.post(3, Ok(()), Some("as of 3"));
        assert!(r.take_round(3).is_none());
        assert!(r.outcome(2).is_none() && r.outcome(3).is_none());
        r.finish(first.groups);
        assert_eq!(r.outcome(1), Some(Ok(())));
        // Group 1's write is finished: it makes no further round.
        assert!(r.take_round(1).is_none());
        // A waiting write of group 2 or 3 makes the next, for both, with
        // the newer record.
        let second = r.take_round(3).expect("a waiter takes the round");
        assert_eq!(ids(&second), [2, 3]);
        assert_eq!(second.record, Some("as of 3"));
        r.post(4, Ok(()), None);
        r.finish(second.groups);
        assert_eq!(r.outcome(2), Some(Ok(())));
        assert_eq!(r.outcome(3), Some(Ok(())));
        assert!(r.take_round(2).is_none() && r.take_round(3).is_none());
        assert!(r.outcome(4).is_none());
        let third = r.take_round(4).expect("group 4's write");
        assert_eq!(ids(&third), [4]);
        assert_eq!(third.record, None, "group 4 signed nothing new");
    }

    /// A write whose group is not posted yet (the group is still open)
    /// makes no round for earlier groups.
    #[test]
    fn a_write_whose_group_is_open_makes_no_round() {
        let mut r: Recording<&str> = Recording::default();
        r.post(1, Ok(()), Some("as of 1"));
        assert!(r.take_round(2).is_none());
        assert!(r.outcome(2).is_none());
        assert!(r.take_round(1).is_some());
    }

    /// A group that did not commit fails every write of it; the groups
    /// around it do not.
    #[test]
    fn a_failed_group_fails_its_writes_only() {
        let mut r = Recording::default();
        r.post(1, Ok(()), Some("as of 1"));
        r.post(2, Err(Error::internal("commit: disk full")), None);
        r.post(3, Ok(()), Some("as of 3"));
        let round = r.take_round(2).expect("round");
        assert_eq!(ids(&round), [1, 2, 3]);
        assert_eq!(round.record, Some("as of 3"));
        r.finish(round.groups);
        assert_eq!(r.outcome(1), Some(Ok(())));
        assert!(r.outcome(2).is_some_and(|o| o.is_err()));
        assert_eq!(r.outcome(3), Some(Ok(())));
    }
}
