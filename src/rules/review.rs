//! Qualification review between stages (资格审查, 考察; RULES §9.4): the
//! higher organisation strikes a nominee from the proposed list, or adds
//! one, each with a recorded reason; the next stage's list is the proposed
//! list as amended. The software records and applies the decision; it
//! never makes it, and a struck place is not refilled from lower down
//! (the seed: 将通过审核的初步候选人放到…测评 — those who pass go on).
//!
//! Pure.

use serde::{Deserialize, Serialize};

/// One decision of the review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewDecision {
    pub action: ReviewAction,
    pub name: String,
    /// Why (资格审查意见), as recorded.
    pub reason: String,
    /// Who decided (镇党委, 县委组织部); default 上级党组织.
    pub by: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    /// 资格审查未通过: taken off the list.
    Strike,
    /// 增列: added to the list.
    Add,
}

impl ReviewAction {
    pub fn zh(self) -> &'static str {
        match self {
            ReviewAction::Strike => "资格审查未通过，不列入",
            ReviewAction::Add => "增列",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            ReviewAction::Strike => "struck after review",
            ReviewAction::Add => "added after review",
        }
    }
}

/// The proposed list, the decisions, and the list as amended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Amended {
    pub proposed: Vec<String>,
    pub decisions: Vec<ReviewDecision>,
    pub list: Vec<String>,
}

/// A decision that cannot apply to the proposed list (`index` is its
/// place in the file's `review`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewError {
    pub index: usize,
    pub message: String,
}

impl std::fmt::Display for ReviewError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "review[{}]: {}", self.index, self.message)
    }
}

impl std::error::Error for ReviewError {}

/// Apply the decisions in order. Striking a name that is not on the list,
/// or adding one already on it, contradicts the record: an error naming
/// the decision.
pub fn amend(proposed: &[String], decisions: &[ReviewDecision]) -> Result<Amended, ReviewError> {
    let mut list = proposed.to_vec();
    for (index, d) in decisions.iter().enumerate() {
        let at = list.iter().position(|n| *n == d.name);
        match (d.action, at) {
            (ReviewAction::Strike, Some(i)) => {
                list.remove(i);
            }
            (ReviewAction::Strike, None) => {
                return Err(ReviewError {
                    index,
                    message: format!(
                        "strike {:?}: not on the proposed list ({}); expected a name on it",
                        d.name,
                        list.join("、")
                    ),
                })
            }
            (ReviewAction::Add, None) => list.push(d.name.clone()),
            (ReviewAction::Add, Some(_)) => {
                return Err(ReviewError {
                    index,
                    message: format!("add {:?}: already on the list", d.name),
                })
            }
        }
    }
    Ok(Amended {
        proposed: proposed.to_vec(),
        decisions: decisions.to_vec(),
        list,
    })
}
