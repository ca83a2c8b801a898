//! Live results: one broadcast channel per round, fed by one publisher
//! thread.
//!
//! A commit only marks the rounds it touched as changed (after the writer
//! released its lock, so viewers never slow down ballot entry). The
//! publisher thread then reads, in one read transaction, the latest signed
//! checkpoint and the round's state and count as the rule engine sees them,
//! and sends one update stamped with that checkpoint: the numbers and the
//! stamp come from the same snapshot. Commits that land while it works are
//! coalesced into the next update; with one publisher, updates leave in log
//! order, at most one pass per [`MIN_INTERVAL`]. The publisher keeps each
//! round's counts by batch (`BallotCache`), so an update decodes and
//! counts only the batches reconciled since the last one, and decides the
//! round from their sum. Each SSE stream filters the update for its
//! viewer's role.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::time::Duration;

use tokio::sync::broadcast;

use super::{lock, Actor, Inner, Service};
use crate::rules::tally::Counts;
use crate::rules::{Ballot, ElectionMethod, Round};
use crate::state::may_see_result;

/// The publisher makes at most one pass over the changed rounds per this
/// interval: a live display needs no more than 20 updates a second, and
/// the fan-out to hundreds of viewers then costs the same whatever the
/// rate of entry. Changes in between are coalesced.
pub const MIN_INTERVAL: Duration = Duration::from_millis(50);

/// How many updates a slow viewer may fall behind before it is sent a
/// fresh snapshot instead.
const CAPACITY: usize = 64;

/// One committed change of a round, for every kind of viewer, serialised
/// once.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub round: String,
    /// Log size of the checkpoint this update reflects (the SSE `id`).
    pub size: u64,
    /// The `state` event's data (JSON).
    pub state: String,
    /// The `tally` event's data (JSON), once the round is open.
    pub tally: Option<String>,
    pub announced: bool,
    /// Nomination, evaluation and preliminary results go to the presidium
    /// only.
    pub list_round: bool,
    /// The persons assigned to the round's election (scrutineers see the
    /// tallies of their own elections only).
    pub assigned: Vec<String>,
    /// The update as it goes on the wire, made once for all its viewers
    /// by the first that sends it (`http::sse`): `state` alone, and
    /// `state` then `tally`.
    pub wire: OnceLock<Wire>,
}

/// An update's bytes on the wire ([`Update::wire`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Wire {
    /// The `state` event alone.
    pub state: Arc<[u8]>,
    /// The `state` event, then the `tally` event (if the update has one).
    pub with_tally: Arc<[u8]>,
}

impl Update {
    /// The `tally` data `actor` may receive: the same rule as `GET
    /// …/result` ([`may_see_result`]), as of this update.
    pub fn tally_for(&self, actor: &Actor) -> Option<&str> {
        let assigned = self.assigned.contains(&actor.person);
        let allowed = may_see_result(actor.role, assigned, self.announced, self.list_round);
        self.tally.as_deref().filter(|_| allowed.is_ok())
    }
}

/// The counts of a round's reconciled batches, by batch, as the rule
/// engine's reference counter made them ([`crate::rules::tally::count`]
/// of each batch's ballots), and the method and round facts they were
/// counted under: a live update adds them up and decides the round from
/// the sum ([`crate::rules::evaluate_counts`], which gives what
/// `rules::evaluate` gives over all the ballots), so it counts only the
/// batches reconciled since the last one. Counts made under other facts
/// are dropped, never added.
#[derive(Default)]
pub(crate) struct BallotCache {
    basis: Option<(ElectionMethod, Round)>,
    batches: BTreeMap<String, Counts>,
}

impl BallotCache {
    /// Counts batch `id` under `method` and `round`, unless it is counted
    /// already under the same: from the ballots `read` gives (`None`: the
    /// batch has none to count).
    pub(crate) fn count(
        &mut self,
        method: &ElectionMethod,
        round: &Round,
        id: &str,
        read: impl FnOnce() -> Result<Option<Vec<Ballot>>, super::Error>,
    ) -> Result<(), super::Error> {
        let same = self
            .basis
            .as_ref()
            .is_some_and(|(m, r)| m == method && r == round);
        if !same {
            self.batches.clear();
            self.basis = Some((method.clone(), round.clone()));
        }
        if !self.batches.contains_key(id) {
            if let Some(ballots) = read()? {
                let counts = crate::rules::tally::count(method, round, &ballots);
                self.batches.insert(id.to_string(), counts);
            }
        }
        Ok(())
    }

    /// The counts of batch `id`, if [`BallotCache::count`] made them
    /// (under the facts it was last given).
    pub(crate) fn get(&self, id: &str) -> Option<&Counts> {
        self.batches.get(id)
    }
}

type Key = (String, String);

/// The subscribers of every round and the rounds changed since the last
/// updates.
#[derive(Default)]
pub struct Hub {
    channels: Mutex<HashMap<Key, broadcast::Sender<Arc<Update>>>>,
    dirty: Mutex<BTreeSet<Key>>,
    wake: Condvar,
}

impl Hub {
    /// Subscribes to the updates of a round. Only for a round that exists
    /// and that the caller may watch (`Service::live_snapshot` checks
    /// both first): a channel is made per such round, and channels nobody
    /// listens to any more are dropped here.
    pub fn subscribe(&self, meeting: &str, round: &str) -> broadcast::Receiver<Arc<Update>> {
        let mut channels = lock(&self.channels);
        channels.retain(|_, s| s.receiver_count() > 0);
        channels
            .entry((meeting.to_string(), round.to_string()))
            .or_insert_with(|| broadcast::channel(CAPACITY).0)
            .subscribe()
    }

    /// Number of rounds with a live channel (for the tests).
    pub fn channels(&self) -> usize {
        lock(&self.channels).len()
    }

    /// Number of live viewers of a round.
    pub fn viewers(&self, meeting: &str, round: &str) -> usize {
        lock(&self.channels)
            .get(&(meeting.to_string(), round.to_string()))
            .map_or(0, |s| s.receiver_count())
    }

    /// A commit changed `round`: its viewers will get an update.
    pub(crate) fn changed(&self, meeting: &str, round: &str) {
        if self.viewers(meeting, round) == 0 {
            return;
        }
        lock(&self.dirty).insert((meeting.to_string(), round.to_string()));
        self.wake.notify_one();
    }

    /// The rounds changed since the last call, waiting up to `timeout`.
    fn take_changed(&self, timeout: Duration) -> BTreeSet<Key> {
        let mut dirty = lock(&self.dirty);
        if dirty.is_empty() {
            dirty = match self.wake.wait_timeout(dirty, timeout) {
                Ok((d, _)) => d,
                Err(p) => p.into_inner().0,
            };
        }
        std::mem::take(&mut *dirty)
    }

    fn send(&self, key: &Key, update: Update) {
        let mut channels = lock(&self.channels);
        if let Some(s) = channels.get(key) {
            if s.receiver_count() == 0 {
                channels.remove(key);
            } else {
                // A viewer that just left is not an error.
                let _ = s.send(Arc::new(update));
            }
        }
    }
}

/// How the publisher reads a round's update as of now, in one snapshot
/// (`round::live_update_now`, passed in so this module does not import
/// the rounds that import it).
pub(crate) type ReadUpdate =
    fn(&rusqlite::Connection, &str, &str, Option<&mut BallotCache>) -> Result<Update, super::Error>;

/// The publisher thread's loop; ends once the service is dropped.
pub(crate) fn publisher(inner: Weak<Inner>, read_update: ReadUpdate) {
    let mut caches: HashMap<Key, BallotCache> = HashMap::new();
    loop {
        let Some(inner) = inner.upgrade() else { return };
        let changed = inner.live.take_changed(Duration::from_millis(500));
        let started = std::time::Instant::now();
        let busy = !changed.is_empty();
        let svc = Service { inner };
        for key in changed {
            let cache = caches.entry(key.clone()).or_default();
            match svc.read(|conn| read_update(conn, &key.0, &key.1, Some(cache))) {
                Ok(update) => svc.inner.live.send(&key, update),
                Err(e) => {
                    tracing::error!(meeting = %key.0, round = %key.1, error = %e, "live update")
                }
            }
        }
        // Forget the ballots of rounds nobody watches any more.
        caches.retain(|(m, r), _| svc.inner.live.viewers(m, r) > 0);
        drop(svc);
        if busy {
            std::thread::sleep(MIN_INTERVAL.saturating_sub(started.elapsed()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{self, Mark, Office, RoundKind};

    /// A fixed pseudo-random sequence (xorshift), so that a failure
    /// names the same rounds every run.
    struct Dice(u64);

    impl Dice {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n.max(1)
        }
    }

    fn ballot(d: &mut Dice, lines: usize, kind: RoundKind) -> Ballot {
        if d.below(12) == 0 {
            return Ballot::Void {
                reason: ["污损", "无法辨认", "空白票"][d.below(3) as usize].to_string(),
            };
        }
        let marks: Vec<Mark> = (0..lines)
            .map(|_| match d.below(9) {
                0..=3 => Mark::For,
                4..=5 => Mark::Against,
                6..=7 => Mark::Abstain,
                _ => Mark::Illegible,
            })
            .collect();
        let mut write_ins = Vec::new();
        for (line, m) in marks.iter().enumerate() {
            if *m == Mark::Against && d.below(4) == 0 {
                write_ins.push((line, format!("另选{}", d.below(4))));
            }
        }
        let names = if kind == RoundKind::Nomination && d.below(3) == 0 {
            vec![format!("候选人{}", d.below(lines as u64 + 2))]
        } else {
            Vec::new()
        };
        Ballot::Marked {
            marks,
            write_ins,
            names,
        }
    }

    /// What the publisher decides from the cached batches' counts.
    fn decided(
        cache: &BallotCache,
        method: &ElectionMethod,
        round: &Round,
        ids: &[String],
    ) -> rules::RoundResult {
        let parts: Vec<&Counts> = ids.iter().filter_map(|id| cache.get(id)).collect();
        let sum = rules::groups::sum_counts(&parts, round.candidates.len());
        rules::evaluate_counts(method, round, sum)
    }

    /// The live count, kept batch by batch and decided from the sum of
    /// the batches' counts, is at every update what the rule engine
    /// decides over every ballot counted so far (`rules::evaluate`):
    /// random rounds of every kind, several batches per update, void
    /// ballots, write-ins and illegible marks; a batch that is refused
    /// (it has nothing to count, e.g. discarded before it reconciled) is
    /// never counted; and counts made under other facts (the method or
    /// the round changed) are dropped and made again, never added.
    #[test]
    fn the_incremental_count_is_the_full_count() {
        let mut d = Dice(0x2545_f491_4f6c_dd1d);
        let kinds = [
            RoundKind::Formal,
            RoundKind::Preliminary,
            RoundKind::Nomination,
            RoundKind::Evaluation,
        ];
        for case in 0..60 {
            let kind = kinds[case % kinds.len()];
            let lines = 2 + d.below(14) as usize;
            let mut method = rules::preset::preset("local-2020-congress").expect("preset");
            if d.below(2) == 0 {
                method.illegible = rules::method::Illegible::VoidBallot;
            }
            let issued = 40 + d.below(400);
            let mut round = Round {
                kind,
                office: Office::default(),
                contest: "委员".into(),
                seats: 1 + d.below(lines as u64 - 1),
                candidates: (0..lines).map(|i| format!("候选人{i}")).collect(),
                entitled: issued + d.below(20),
                present: issued,
                issued,
                returned: None,
                next_size: None,
                replaced: 0,
                voted: None,
                resolves: None,
                rating: None,
            };
            let mut cache = BallotCache::default();
            let mut batches: Vec<(String, Vec<Ballot>)> = Vec::new();
            let mut counted: Vec<String> = Vec::new();
            let mut all: Vec<Ballot> = Vec::new();
            let updates = 1 + d.below(6);
            for update in 0..updates {
                // Several batches reconciled since the last update.
                for _ in 0..1 + d.below(4) {
                    let id = format!("b{}", batches.len());
                    let n = 1 + d.below(60) as usize;
                    let ballots: Vec<Ballot> =
                        (0..n).map(|_| ballot(&mut d, lines, kind)).collect();
                    batches.push((id, ballots));
                }
                // A refused batch: nothing to count.
                let refused = format!("refused{update}");
                cache
                    .count(&method, &round, &refused, || Ok(None))
                    .expect("count");
                // Once, midway: the facts change (a later update of the
                // same round under a changed method, or a round with
                // another count of ballots returned).
                if update == 1 {
                    if d.below(2) == 0 {
                        method.write_in_misplaced = rules::method::Disposition::VoidBallot;
                    } else {
                        round.returned = Some(all.len() as u64 + 100);
                    }
                }
                for (id, ballots) in &batches {
                    cache
                        .count(&method, &round, id, || Ok(Some(ballots.clone())))
                        .expect("count");
                    if !counted.contains(id) {
                        counted.push(id.clone());
                        all.extend(ballots.iter().cloned());
                    }
                }
                assert!(
                    cache.get(&refused).is_none(),
                    "case {case}: refused batch counted"
                );
                let mut ids = counted.clone();
                ids.push(refused);
                assert_eq!(
                    decided(&cache, &method, &round, &ids),
                    rules::evaluate(&method, &round, &all),
                    "case {case}, update {update}: {kind:?}, {lines} lines, {} ballots",
                    all.len()
                );
            }
        }
    }
}
