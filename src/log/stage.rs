//! The procedure facts of a round beyond `round_opened` (issue 11, RULES
//! §9): the payload of a `stage_recorded` event, logged by the organiser in
//! the transaction that opens the round, just before its `round_opened`.
//! PURE: values only.
//!
//! - `group`: the round is one group's nomination or evaluation (党员推荐,
//!   群众推荐（农户）) of the combined round `of`; it has its own electorate
//!   (`entitled`, `present` of its `round_opened` are the group's, not the
//!   meeting's) and its own participation floor.
//! - `combined`: the round is the combination of its group rounds, posted
//!   apart and summed (获得的党员推荐票和群众推荐票之和): no ballots of its
//!   own; its facts are the groups' sums and its counts the sums of their
//!   signed counts. The party organisation's nominees (`organisation`) are
//!   listed directly, before the vote's list.
//! - `paper`: the round is one section of a ballot paper with several
//!   contests (书记, 副书记, 委员 on one sheet); every section of a paper has
//!   the same attendance, issue and box.
//! - `next_rule`: the round's `next_size` is set by a ratio (RULES §9.2).
//! - `record`, `posts`, `deferred`: a cadre vote's earlier results per
//!   nominee and post (failed twice → not nominated again) and the nominees
//!   deferred before the vote (缓议, not on the ballot).
//! - `rating`: an evaluation by levels (优秀/称职/基本称职/不称职) or by
//!   items (德、能、勤、绩、廉), `rules::rating`; the round's candidates are
//!   its cells.
//!
//! Every member is optional and omitted when empty, so the canonical
//! encoding has one form. docs/audit-bundle.md §3 and §6 say how the
//! verifier replays each (`log::replay_stages`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rules::record::{Deferral, EarlierResult};
use crate::rules::stage::StageRatio;

/// The procedure facts of one round.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupOf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combined: Option<Combined>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paper: Option<PaperOf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_rule: Option<NextRuleFacts>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub record: Vec<EarlierResult>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub posts: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deferred: Vec<Deferral>,
    /// An evaluation by levels or items: its people, levels, items and
    /// counting rule; the round's candidates are its cells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<crate::rules::rating::Rating>,
}

impl StageFacts {
    /// Nothing beyond an ordinary round.
    pub fn is_empty(&self) -> bool {
        *self == StageFacts::default()
    }
}

/// One group of a combined round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupOf {
    /// The combined round.
    pub of: String,
    /// As posted: 党员推荐, 群众推荐（农户）.
    pub name: String,
}

/// A round combining its groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Combined {
    /// The group rounds, in the order posted.
    pub groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<OrganisationFacts>,
}

/// The party organisation's nominees, listed without a vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationFacts {
    /// As posted: 党组织推荐.
    pub name: String,
    pub nominees: Vec<String>,
}

/// The paper a section round belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaperOf {
    /// The paper's id (`pp1`).
    pub paper: String,
    /// Every section's round, in paper order (this round among them).
    pub sections: Vec<String>,
}

/// A next-stage size given by its rule: `next_size` is
/// `ratio.size(of).min` (进一法).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NextRuleFacts {
    pub ratio: StageRatio,
    pub of: u64,
}

/// The one rule for the group round a combination counts (issue 11): a
/// combined round names its group rounds as they were made; a group held
/// without its floor (or void) is re-held by the presidium's `rerun`
/// decision, which creates a new round of the same group. The combination
/// counts, for each named group, **the latest re-run of that round** —
/// `named` followed through the `rerun` decisions, `rerun(r)` giving the
/// round a `rerun` decision on `r` created — and that round must be closed
/// with a result that was held (not `no_quorum`, `void` or
/// `list_rejected`, the statuses a `rerun` decision applies to); every
/// earlier round of the chain is superseded and counted nowhere. The
/// service (`service::stage`) and the verifier (`log::replay_stages`)
/// both follow the chain with this function.
///
/// Returns the chain, `named` first and the round in force last. A chain
/// that comes back to a round already on it (only a forged log can) ends
/// before the repeat.
pub fn rerun_chain<E>(
    named: &str,
    mut rerun: impl FnMut(&str) -> Result<Option<String>, E>,
) -> Result<Vec<String>, E> {
    let mut chain = vec![named.to_string()];
    while let Some(next) = rerun(chain.last().map_or(named, String::as_str))? {
        if chain.contains(&next) {
            break;
        }
        chain.push(next);
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_follows_every_rerun_to_the_latest() {
        let next = |r: &str| -> Result<Option<String>, ()> {
            Ok(match r {
                "g" => Some("g2".into()),
                "g2" => Some("g3".into()),
                _ => None,
            })
        };
        assert_eq!(
            rerun_chain("g", next),
            Ok(vec!["g".into(), "g2".into(), "g3".into()])
        );
        assert_eq!(rerun_chain("h", next), Ok(vec!["h".into()]));
        // A forged cycle ends before the repeat.
        let cycle = |r: &str| -> Result<Option<String>, ()> {
            Ok(Some(if r == "a" { "b".into() } else { "a".into() }))
        };
        assert_eq!(rerun_chain("a", cycle), Ok(vec!["a".into(), "b".into()]));
    }
}
