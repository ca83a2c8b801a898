//! A one-round file decided whole: the round, and the procedures of RULES
//! §9 its file adds — groups and the organisation's nominees, the
//! qualification review of the proposed list, the nominee record of a
//! cadre vote. For a plain round file this is exactly
//! [`crate::rules::evaluate`].
//!
//! Pure.

use super::groups::{evaluate_groups, Group, GroupResult};
use super::outcome::{evaluate, RoundResult, Status};
use super::record::{refusals, Refusal};
use super::review::{amend, Amended, ReviewError};
use super::roundfile::RoundFile;

/// Everything decided about a round file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The round's result: for a round held by groups the combined tally,
    /// with the next list, status, runoff and places left of the vote's
    /// ranking (the organisation's nominees first on the list).
    pub result: RoundResult,
    pub groups: Option<GroupResult>,
    /// The proposed list as the qualification review amended it.
    pub amended: Option<Amended>,
    /// Nominees the record forbids this vote (the list is refused).
    pub refused: Vec<Refusal>,
}

/// Decide a round file. A review decision that cannot apply to the
/// proposed list (striking a name not on it) contradicts the record: an
/// error naming the decision.
pub fn decide(file: &RoundFile) -> Result<Decision, ReviewError> {
    let (method, round, x) = (&file.method, &file.round, &file.extras);
    let groups = if !x.groups.is_empty() || x.organisation.is_some() {
        let groups = if x.groups.is_empty() {
            // The organisation's nominees beside a round of one electorate.
            vec![Group {
                name: String::new(),
                entitled: round.entitled,
                present: round.present,
                issued: round.issued,
                returned: round.returned,
                replaced: round.replaced,
                voted: round.voted,
                ballots: file.ballots.clone(),
            }]
        } else {
            x.groups.clone()
        };
        Some(evaluate_groups(
            method,
            round,
            &groups,
            x.organisation.as_ref(),
            method.organisation_nominees,
        ))
    } else {
        None
    };
    let mut result = match &groups {
        None => evaluate(method, round, &file.ballots),
        Some(g) => {
            let mut r = g.combined.clone();
            r.status = g.status;
            r.next_list = g.next_list.clone();
            if let Some((_, ranking)) = &g.ranking {
                r.runoff = ranking.runoff.clone();
                r.unfilled = ranking.unfilled;
            }
            r
        }
    };
    let refused = refusals(
        &round.candidates,
        |n| {
            x.posts
                .get(n)
                .cloned()
                .unwrap_or_else(|| round.contest.clone())
        },
        &x.record,
        method.max_failed_nominations,
    );
    if !refused.is_empty() && result.quorum.met {
        // A nomination the record forbids: the list cannot be voted on.
        result.status = Status::ListRejected;
        result.ballot_box = None;
        result.counts = None;
        result.rows.clear();
        result.elected.clear();
        result.runoff = None;
        result.unfilled = 0;
    }
    let amended = match (&result.next_list, x.review.is_empty()) {
        (Some(list), false) => Some(amend(list, &x.review)?),
        _ => None,
    };
    Ok(Decision {
        result,
        groups,
        amended,
        refused,
    })
}
