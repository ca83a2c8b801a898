//! The result JSON of CONTRACT §3 (`contract: 1`), with the extra fields
//! that make every number traceable to its rule.

use serde::Serialize;

use crate::rules::method::ElectionMethod;
use crate::rules::outcome::{BoxRuling, ListRuling, QuorumRuling, RoundResult, Row, Runoff};
use crate::rules::round::Round;
use crate::rules::tally::InvalidReason;

/// The contract version this output follows.
pub const CONTRACT_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct ResultDoc<'a> {
    pub contract: u32,
    pub status: &'static str,
    pub quorum_met: bool,
    /// `null` when the box was not checked (no quorum, list rejected).
    pub box_valid: Option<bool>,
    pub ballots: BallotsDoc,
    pub threshold: u64,
    pub threshold_base: u64,
    pub threshold_applies: bool,
    pub tally: &'a [Row],
    pub elected: &'a [String],
    pub runoff: Option<&'a Runoff>,
    pub unfilled: u64,
    pub next_list: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_may_proceed: Option<bool>,
    /// A rated evaluation: each person's levels (CONTRACT §3, `ratings`);
    /// omitted otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratings: Option<&'a [crate::rules::rating::PersonRating]>,
    pub quorum: &'a QuorumRuling,
    pub list_check: Option<&'a ListRuling>,
    pub box_check: Option<&'a BoxRuling>,
    pub round: &'a Round,
    pub method: &'a ElectionMethod,
}

#[derive(Debug, Serialize)]
pub struct BallotsDoc {
    pub issued: u64,
    pub returned: u64,
    pub valid: u64,
    pub invalid: u64,
    pub invalid_reasons: Vec<ReasonCount>,
    /// The scrutineers' reasons for declared-void ballots.
    pub void_reasons: Vec<ReasonText>,
    pub ignored_write_ins: u64,
    pub illegible_marks: u64,
}

#[derive(Debug, Serialize)]
pub struct ReasonCount {
    pub reason: InvalidReason,
    pub count: u64,
}

#[derive(Debug, Serialize)]
pub struct ReasonText {
    pub reason: String,
    pub count: u64,
}

/// Build the result document of a round.
pub fn document<'a>(
    method: &'a ElectionMethod,
    round: &'a Round,
    r: &'a RoundResult,
) -> ResultDoc<'a> {
    let counts = r.counts.clone().unwrap_or_default();
    let returned = r
        .ballot_box
        .as_ref()
        .map(|b| b.returned)
        .or(round.returned)
        .unwrap_or(counts.valid + counts.invalid);
    ResultDoc {
        contract: CONTRACT_VERSION,
        status: r.status.as_str(),
        quorum_met: r.quorum.met,
        box_valid: r.ballot_box.as_ref().map(|b| b.valid),
        ballots: BallotsDoc {
            issued: round.issued,
            returned,
            valid: counts.valid,
            invalid: counts.invalid,
            invalid_reasons: counts
                .invalid_by_reason
                .iter()
                .map(|(reason, count)| ReasonCount {
                    reason: *reason,
                    count: *count,
                })
                .collect(),
            void_reasons: counts
                .void_reasons
                .iter()
                .map(|(reason, count)| ReasonText {
                    reason: reason.clone(),
                    count: *count,
                })
                .collect(),
            ignored_write_ins: counts.ignored_write_ins,
            illegible_marks: counts.illegible_marks,
        },
        threshold: r.threshold,
        threshold_base: r.threshold_base,
        threshold_applies: r.threshold_applies,
        tally: &r.rows,
        elected: &r.elected,
        runoff: r.runoff.as_ref(),
        unfilled: r.unfilled,
        next_list: r.next_list.as_deref(),
        list_may_proceed: r.list_may_proceed,
        ratings: r.ratings.as_deref(),
        quorum: &r.quorum,
        list_check: r.list.as_ref(),
        box_check: r.ballot_box.as_ref(),
        round,
        method,
    }
}

/// The result document as pretty JSON text with a final newline.
pub fn to_string(method: &ElectionMethod, round: &Round, r: &RoundResult) -> String {
    // Serialising plain structs of strings and integers cannot fail.
    let mut s = serde_json::to_string_pretty(&document(method, round, r))
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
