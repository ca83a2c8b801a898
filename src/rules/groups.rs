//! Nomination and evaluation by groups (RULES §9.1, §9.5): 党员推荐,
//! 群众推荐（农户）, 党员代表 …, each group an electorate with its own
//! attendance, its own participation floor and its own ballots, tallied and
//! posted separately (分别上墙公布) and combined (获得的党员推荐票和群众推荐票
//! 之和); the party organisation's nominees listed directly (党组织推荐的人选
//! 直接列为初步人选).
//!
//! Pure. Each group is decided by [`crate::rules::evaluate`] as a round of
//! its own; the combined tally is [`crate::rules::evaluate_counts`] on the
//! sum of the groups' counts, so the combined numbers are exactly the sums
//! of the posted ones. The round is held only if every group meets its
//! floor (S 公推直选: 80%以上党员 **and** 80%以上农户) and every group's box
//! is valid.

use serde::Serialize;

use super::method::ElectionMethod;
use super::outcome::{evaluate, evaluate_counts, RoundResult, Status};
use super::round::{Ballot, Round};
use super::tally::Counts;

/// One group of recommenders (or evaluators): its electorate and ballots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// As posted: 党员推荐, 群众推荐（农户）.
    pub name: String,
    pub entitled: u64,
    pub present: u64,
    pub issued: u64,
    pub returned: Option<u64>,
    #[serde(skip_serializing_if = "is_zero")]
    pub replaced: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voted: Option<u64>,
    #[serde(skip)]
    pub ballots: Vec<Ballot>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The party organisation's nominees, listed without a vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    /// As posted: 党组织推荐.
    pub name: String,
    pub nominees: Vec<String>,
}

/// A method parameter, defined with the method (`rules::method`) and
/// named here where it is applied.
pub use super::method::OrganisationNominees;

impl Group {
    /// This group as a round of `round`'s kind and list.
    pub fn round(&self, round: &Round) -> Round {
        Round {
            entitled: self.entitled,
            present: self.present,
            issued: self.issued,
            returned: self.returned,
            replaced: self.replaced,
            voted: self.voted,
            ..round.clone()
        }
    }
}

/// The sums of the groups' attendance, as one round of `round`'s list:
/// what the combined tally is decided on.
pub fn combined_round(round: &Round, groups: &[Group], given: &[u64]) -> Round {
    let sum = |f: &dyn Fn(&Group) -> u64| groups.iter().map(f).fold(0u64, u64::saturating_add);
    let returned: u64 = groups
        .iter()
        .zip(given)
        .map(|(g, n)| g.returned.unwrap_or(*n))
        .fold(0, u64::saturating_add);
    Round {
        entitled: sum(&|g| g.entitled),
        present: sum(&|g| g.present),
        issued: sum(&|g| g.issued),
        returned: Some(returned),
        replaced: sum(&|g| g.replaced),
        voted: Some(sum(&|g| g.round(round).voters())),
        ..round.clone()
    }
}

/// Everything decided about a round held by groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupResult {
    /// Each group's own round and result, as posted.
    pub groups: Vec<(Round, RoundResult)>,
    /// The combined round (sums of the groups' facts).
    pub round: Round,
    /// The combined tally of every listed name and write-in; not decided
    /// when a group failed its floor or its box.
    pub combined: RoundResult,
    /// The organisation's nominees, listed directly.
    pub listed: Vec<String>,
    /// The vote's part of the next list: the combined ranking without the
    /// organisation's nominees, for the places the vote fills.
    pub ranking: Option<(Round, RoundResult)>,
    /// The proposed next list: the organisation's nominees, then the
    /// vote's in vote order.
    pub next_list: Option<Vec<String>>,
    pub status: Status,
}

/// The sum of several groups' counts, line by line.
pub fn sum_counts(all: &[&Counts], lines: usize) -> Counts {
    let mut c = Counts {
        lines: vec![Default::default(); lines],
        ..Counts::default()
    };
    for g in all {
        c.valid += g.valid;
        c.invalid += g.invalid;
        for (r, n) in &g.invalid_by_reason {
            *c.invalid_by_reason.entry(*r).or_default() += n;
        }
        for (r, n) in &g.void_reasons {
            *c.void_reasons.entry(r.clone()).or_default() += n;
        }
        for (line, add) in c.lines.iter_mut().zip(&g.lines) {
            line.for_votes += add.for_votes;
            line.against += add.against;
            line.abstain += add.abstain;
        }
        for (name, n) in &g.write_ins {
            *c.write_ins.entry(name.clone()).or_default() += n;
        }
        c.ignored_write_ins += g.ignored_write_ins;
        c.illegible_marks += g.illegible_marks;
    }
    c
}

/// Decide a round held by groups, with the organisation's nominees (if
/// any) listed directly.
pub fn evaluate_groups(
    method: &ElectionMethod,
    round: &Round,
    groups: &[Group],
    organisation: Option<&Organisation>,
    placement: OrganisationNominees,
) -> GroupResult {
    let per: Vec<(Round, RoundResult)> = groups
        .iter()
        .map(|g| {
            let r = g.round(round);
            let res = evaluate(method, &r, &g.ballots);
            (r, res)
        })
        .collect();
    let given: Vec<u64> = groups.iter().map(|g| g.ballots.len() as u64).collect();
    let combined_round = combined_round(round, groups, &given);
    let listed: Vec<String> = organisation.map(|o| o.nominees.clone()).unwrap_or_default();
    let held = per
        .iter()
        .all(|(_, r)| !matches!(r.status, Status::NoQuorum | Status::Void));
    let counts: Vec<&Counts> = per.iter().filter_map(|(_, r)| r.counts.as_ref()).collect();
    let summed = sum_counts(&counts, round.candidates.len());
    let mut combined = evaluate_counts(method, &combined_round, summed.clone());
    if !held {
        // A group below its floor, or with a void box: the round is not
        // decided, whatever the sums say.
        combined.status = per
            .iter()
            .map(|(_, r)| r.status)
            .find(|s| *s == Status::NoQuorum)
            .unwrap_or(Status::Void);
        // The paper trail agrees with the status: a floor missed by one
        // group is no quorum for the round; a void box voids it.
        if combined.status == Status::NoQuorum {
            combined.quorum.met = false;
            combined.ballot_box = None;
        } else if let Some(b) = combined.ballot_box.as_mut() {
            b.valid = false;
        }
        combined.rows.clear();
        combined.next_list = None;
        combined.runoff = None;
        combined.unfilled = 0;
        combined.counts = None;
        return GroupResult {
            groups: per,
            round: combined_round,
            status: combined.status,
            combined,
            listed,
            ranking: None,
            next_list: None,
        };
    }
    if listed.is_empty() {
        return GroupResult {
            groups: per,
            round: combined_round,
            status: combined.status,
            next_list: combined.next_list.clone(),
            combined,
            listed,
            ranking: None,
        };
    }
    // The vote fills the places the organisation's nominees leave (or all
    // of them, beyond): ranked without those already listed.
    let keep: Vec<usize> = (0..round.candidates.len())
        .filter(|i| !listed.contains(&round.candidates[*i]))
        .collect();
    let size = round.next_size.unwrap_or(0);
    let places = match placement {
        OrganisationNominees::WithinList => size.saturating_sub(listed.len() as u64),
        OrganisationNominees::BeyondList => size,
    };
    let ranking_round = Round {
        candidates: keep.iter().map(|i| round.candidates[*i].clone()).collect(),
        next_size: Some(places),
        ..combined_round.clone()
    };
    let mut ranked = summed;
    ranked.lines = keep.iter().map(|i| ranked.lines[*i]).collect();
    ranked.write_ins.retain(|name, _| !listed.contains(name));
    let ranking = evaluate_counts(method, &ranking_round, ranked);
    let mut next = listed.clone();
    next.extend(ranking.next_list.clone().unwrap_or_default());
    GroupResult {
        groups: per,
        round: combined_round,
        status: ranking.status,
        combined,
        listed,
        next_list: Some(next),
        ranking: Some((ranking_round, ranking)),
    }
}
