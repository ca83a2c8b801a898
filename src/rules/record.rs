//! What a cadre vote (票决, RULES §5) carries from earlier meetings and
//! into the record: "failed twice for the same post" (S 案例26:
//! 两次未获通过的，不得再提名为同一职位人选), tracked per nominee and post,
//! and nominees deferred before the vote (暂缓表决: 对暂缓表决的人选，本次
//! 会议不作投票), recorded apart from abstentions.
//!
//! Pure. A nomination the record forbids is an outcome — the list is
//! refused, citing the earlier results — never an error.

use serde::{Deserialize, Serialize};

/// One earlier vote on a nominee for a post, as the record shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlierResult {
    pub nominee: String,
    pub post: String,
    /// The meeting, as recorded (2025年3月党委会).
    pub meeting: String,
    #[serde(rename = "for")]
    pub for_votes: u64,
    pub against: u64,
    pub abstain: u64,
    pub entitled: u64,
    pub passed: bool,
}

/// A nominee this meeting may not vote on for a post, with the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub nominee: String,
    pub post: String,
    pub failed: Vec<EarlierResult>,
}

/// A nominee deferred before the vote (缓议 / 暂缓表决), not voted at this
/// meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deferral {
    pub nominee: String,
    pub reason: String,
}

/// The nominees of `candidates` (each for `post_of` it) whose record
/// already holds `limit` failures for that post. `None`: not tracked.
pub fn refusals(
    candidates: &[String],
    post_of: impl Fn(&str) -> String,
    record: &[EarlierResult],
    limit: Option<u32>,
) -> Vec<Refusal> {
    let Some(limit) = limit else {
        return Vec::new();
    };
    candidates
        .iter()
        .filter_map(|nominee| {
            let post = post_of(nominee);
            let failed: Vec<EarlierResult> = record
                .iter()
                .filter(|r| r.nominee == *nominee && r.post == post && !r.passed)
                .cloned()
                .collect();
            (failed.len() as u64 >= u64::from(limit)).then(|| Refusal {
                nominee: nominee.clone(),
                post,
                failed,
            })
        })
        .collect()
}
