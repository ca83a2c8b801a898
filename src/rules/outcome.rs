//! From a counted round to its outcome (RULES §3–§5).
//!
//! The order is the order of the meeting: quorum (no quorum: nothing is
//! counted), the candidate list, the ballot box (returned more than the
//! base: the round is void), then the count, the threshold and seat filling.
//! Every branch ends in a [`Status`]; none is an error.

use serde::{Deserialize, Serialize};

use super::fraction::Fraction;
use super::method::{
    Base, BoxCheck, DifferentialRule, ElectionMethod, ListCheck, ListTie, RunoffThreshold,
    SupplementaryList,
};
use super::round::{Ballot, Office, Round, RoundKind};
use super::tally::{count, Counts, InvalidReason, LineCount};

/// The outcome state of a round (RULES §4.3, CONTRACT §3 `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every seat filled (or, for a list round, the list proposed in full;
    /// for cadre and resolution votes, every nominee decided).
    Complete,
    /// A tie straddles the cut-off: re-vote among exactly the tied.
    RunoffRequired,
    /// Fewer above threshold than seats (or places on the next list).
    Shortfall,
    /// More ballots returned than the box-check base: re-run the round.
    Void,
    /// Too few present: the round does not start.
    NoQuorum,
    /// The candidate list breaks the method's differential rule.
    ListRejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Complete => "complete",
            Status::RunoffRequired => "runoff_required",
            Status::Shortfall => "shortfall",
            Status::Void => "void",
            Status::NoQuorum => "no_quorum",
            Status::ListRejected => "list_rejected",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Status::Complete => "有效，结果确定",
            Status::RunoffRequired => "票数相等，须重新投票",
            Status::Shortfall => "当选人数不足应选名额",
            Status::Void => "选举无效，须重新进行",
            Status::NoQuorum => "到会人数不足，会议不能进行选举",
            Status::ListRejected => "候选人名单不符合差额要求",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Status::Complete => "complete",
            Status::RunoffRequired => "tie at the cut-off: runoff required",
            Status::Shortfall => "fewer elected than seats",
            Status::Void => "void: more ballots returned than allowed",
            Status::NoQuorum => "no quorum: the round cannot be held",
            Status::ListRejected => "candidate list breaks the differential rule",
        }
    }
}

/// The quorum ruling with its numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuorumRuling {
    pub met: bool,
    pub present: u64,
    pub entitled: u64,
    /// Fewest present that meet the rule.
    pub required: u64,
    pub rule: Fraction,
}

/// Which list a list ruling checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListSubject {
    /// The round's own candidate list.
    Candidates,
    /// The list a preliminary round proposes (`next_size` names), against
    /// the formal rule of its office.
    NextList,
}

/// The list ruling: which rule, the numbers, and the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListRuling {
    #[serde(flatten)]
    pub check: ListCheck,
    /// The rule applied (not in the contract JSON, which prints its text).
    #[serde(skip)]
    pub rule: DifferentialRule,
    /// The list checked (not in the contract JSON; its message says it).
    #[serde(skip)]
    pub subject: ListSubject,
    pub rule_zh: String,
    pub rule_en: String,
    pub message_zh: String,
    pub message_en: String,
}

/// The ballot-box ruling (RULES §3.3), with the discrepancies printed
/// beside it (facts the scrutineers must explain, never errors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoxRuling {
    pub valid: bool,
    pub returned: u64,
    pub base: BoxCheck,
    /// The number `returned` may not exceed: ballots issued, or 投票人数.
    pub limit: u64,
    /// More ballots in the box than voters in the hall: by how many, even
    /// where the method's base lets the round stand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returned_over_present: Option<u64>,
    /// Ballots issued beyond those present plus the replacements recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_unexplained: Option<u64>,
}

impl BoxRuling {
    /// The box ruling on `returned` papers in `round`.
    pub fn of(method: &ElectionMethod, round: &Round, returned: u64) -> BoxRuling {
        let limit = round.box_limit(method);
        let explained = round.present.saturating_add(round.replaced);
        BoxRuling {
            valid: returned <= limit,
            returned,
            base: method.box_check,
            limit,
            returned_over_present: (returned > round.present).then(|| returned - round.present),
            issued_unexplained: (round.issued > explained).then(|| round.issued - explained),
        }
    }
}

/// One row of the vote report: a listed candidate or an accepted write-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub name: String,
    #[serde(flatten)]
    pub count: LineCount,
    pub write_in: bool,
    pub above_threshold: bool,
    /// Evaluation: disapprovals reach the method's flag (not to be put to
    /// the vote).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub flagged: bool,
    /// Evaluation: disapprovals reach the method's `evaluation_removal`
    /// (the removal procedure; the person stays on the list).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub removal: bool,
}

/// A runoff among exactly the tied, for exactly the seats left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Runoff {
    pub among: Vec<String>,
    pub seats: u64,
}

/// Everything the rules decide about one round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundResult {
    pub status: Status,
    pub quorum: QuorumRuling,
    pub list: Option<ListRuling>,
    pub ballot_box: Option<BoxRuling>,
    /// Present only when ballots were counted.
    pub counts: Option<Counts>,
    /// The base value of the threshold and the smallest for-count above it.
    pub threshold_base: u64,
    pub threshold: u64,
    /// Whether the threshold decides this kind of round (not for nomination
    /// and evaluation, which rank without one).
    pub threshold_applies: bool,
    /// Every candidate then every write-in, in ballot order.
    pub rows: Vec<Row>,
    /// Elected (or passed), in report order: ballot order for listed names,
    /// then write-ins by votes.
    pub elected: Vec<String>,
    pub runoff: Option<Runoff>,
    pub unfilled: u64,
    /// The proposed list of the next stage, in vote order.
    pub next_list: Option<Vec<String>>,
    /// Preliminary shortfall: whether the qualifiers alone still meet the
    /// formal list rule, so the presidium may proceed without another
    /// preliminary round.
    pub list_may_proceed: Option<bool>,
    /// A rated evaluation (`rules::rating`): each person's levels, by which
    /// the round ranks and flags (its `rows` are the cells).
    pub ratings: Option<Vec<super::rating::PersonRating>>,
}

impl RoundResult {
    pub fn invalid_by_reason(&self) -> Vec<(InvalidReason, u64)> {
        self.counts
            .as_ref()
            .map(|c| c.invalid_by_reason.iter().map(|(r, n)| (*r, *n)).collect())
            .unwrap_or_default()
    }
}

/// Decide a round. `ballots` must already match the round (one mark per
/// candidate, write-ins on existing lines): see
/// [`crate::rules::check_ballots`].
pub fn evaluate(method: &ElectionMethod, round: &Round, ballots: &[Ballot]) -> RoundResult {
    decide_round(method, round, ballots.len() as u64, || {
        count(method, round, ballots)
    })
}

/// Decide a round from counts made elsewhere, e.g. by the packed kernels of
/// `crate::count` for plain ballots plus [`super::tally::count`] for the
/// rest (the audit replay does this). The result is the one [`evaluate`]
/// gives for ballots with these counts: `evaluate` is this function with
/// the reference counter. Ballots given is `counts.valid + counts.invalid`.
pub fn evaluate_counts(method: &ElectionMethod, round: &Round, counts: Counts) -> RoundResult {
    let given = counts.valid + counts.invalid;
    decide_round(method, round, given, || counts)
}

/// The outcome pipeline; `counts` is called only if the round is counted
/// (quorum met, list accepted, box valid).
fn decide_round(
    method: &ElectionMethod,
    round: &Round,
    given: u64,
    counts: impl FnOnce() -> Counts,
) -> RoundResult {
    let rule_kind = round.rule_kind();
    let attendance = method.participation_rule(rule_kind);
    let quorum = QuorumRuling {
        met: attendance.is_met(round.present, round.entitled),
        present: round.present,
        entitled: round.entitled,
        required: attendance.smallest_meeting(round.entitled),
        rule: attendance,
    };
    let returned = round.returned.unwrap_or(given);
    let threshold_base = base_value(method.threshold_base, round, returned);
    let threshold = method.threshold.smallest_meeting(threshold_base);
    let mut result = RoundResult {
        status: Status::NoQuorum,
        quorum,
        list: None,
        ballot_box: None,
        counts: None,
        threshold_base,
        threshold,
        threshold_applies: threshold_applies(method, round),
        rows: Vec::new(),
        elected: Vec::new(),
        runoff: None,
        unfilled: 0,
        next_list: None,
        list_may_proceed: None,
        ratings: None,
    };
    if !result.quorum.met {
        return result;
    }

    let list = list_ruling(method, round);
    let list_ok = list.as_ref().is_none_or(|l| l.check.ok);
    result.list = list;
    if !list_ok {
        result.status = Status::ListRejected;
        return result;
    }

    let ballot_box = BoxRuling::of(method, round, returned);
    let box_valid = ballot_box.valid;
    result.ballot_box = Some(ballot_box);
    if !box_valid {
        result.status = Status::Void;
        return result;
    }

    let counts = counts();
    result.rows = rows(method, round, &counts, threshold);
    result.ratings = round.rating.as_ref().map(|r| {
        let flag_base = base_value(method.evaluation_base, round, returned);
        let ticks: Vec<u64> = counts.lines.iter().map(|l| l.for_votes).collect();
        let mut people = r.people_of(counts.valid, &ticks);
        for p in &mut people {
            p.flagged = method
                .evaluation_flag
                .is_some_and(|f| f.is_met(p.disapprovals, flag_base));
            p.removal = method
                .evaluation_removal
                .is_some_and(|f| f.is_met(p.disapprovals, flag_base));
        }
        people
    });
    result.counts = Some(counts);
    decide(method, round, &mut result);
    result
}

/// The value of `base` in `round` with `returned` papers.
fn base_value(base: Base, round: &Round, returned: u64) -> u64 {
    match base {
        Base::Entitled => round.entitled,
        Base::Present => round.present,
        Base::Returned => returned,
    }
}

/// Whether the majority threshold decides `round`: not in nomination and
/// evaluation rounds (they rank), nor in a runoff that resolves one, nor in
/// a formal runoff under `runoff_threshold = most_votes` (open point 9).
pub fn threshold_applies(method: &ElectionMethod, round: &Round) -> bool {
    match round.rule_kind() {
        RoundKind::Nomination | RoundKind::Evaluation => false,
        RoundKind::Formal if round.kind == RoundKind::Runoff => {
            method.runoff_threshold == RunoffThreshold::Majority
        }
        _ => true,
    }
}

fn rows(method: &ElectionMethod, round: &Round, counts: &Counts, threshold: u64) -> Vec<Row> {
    let returned = round.returned.unwrap_or(counts.valid + counts.invalid);
    let flag_base = base_value(method.evaluation_base, round, returned);
    let mut rows: Vec<Row> = round
        .candidates
        .iter()
        .zip(&counts.lines)
        .map(|(name, count)| Row {
            name: name.clone(),
            count: *count,
            write_in: false,
            above_threshold: count.for_votes >= threshold,
            flagged: round.rule_kind() == RoundKind::Evaluation
                && method
                    .evaluation_flag
                    .is_some_and(|f| f.is_met(count.against, flag_base)),
            removal: round.rule_kind() == RoundKind::Evaluation
                && method
                    .evaluation_removal
                    .is_some_and(|f| f.is_met(count.against, flag_base)),
        })
        .collect();
    let mut write_ins: Vec<(&String, &u64)> = counts.write_ins.iter().collect();
    // Write-ins have no ballot order: by votes, then by name for determinism.
    write_ins.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    rows.extend(write_ins.into_iter().map(|(name, votes)| Row {
        name: name.clone(),
        count: LineCount {
            for_votes: *votes,
            against: 0,
            abstain: 0,
        },
        write_in: true,
        above_threshold: *votes >= threshold,
        flagged: false,
        removal: false,
    }));
    rows
}

/// The rule the candidate list must meet, if this kind of round has one,
/// and the ruling on `round`'s list (with the numbers, in both languages).
pub fn list_ruling(method: &ElectionMethod, round: &Round) -> Option<ListRuling> {
    let candidates = round.candidates.len() as u64;
    let office_rule = method.differential.for_office(round.office);
    let (rule, seats) = match round.kind {
        RoundKind::Nomination | RoundKind::Evaluation => return None,
        RoundKind::Formal => (office_rule, round.seats),
        RoundKind::Supplementary => match method.supplementary_list {
            SupplementaryList::Differential => (office_rule, round.seats),
            SupplementaryList::EqualAllowed => (DifferentialRule::None, round.seats),
        },
        RoundKind::Runoff => (DifferentialRule::MoreThanSeats, round.seats),
        RoundKind::Preliminary => {
            let next = round.next_size.unwrap_or(round.seats);
            // The list it proposes must itself meet the formal rule...
            let formal = office_rule.check(round.seats, next);
            if !formal.ok {
                return Some(ruling(office_rule, formal, ListSubject::NextList));
            }
            // ...and the preliminary itself is differential.
            (DifferentialRule::MoreThanSeats, next)
        }
        RoundKind::Cadre | RoundKind::Resolution => {
            // Once a method adopts a 差额表决 ratio, an equal list is refused
            // like any list below the minimum (RULES §5); without one each
            // nominee of an equal list is decided on their own.
            if candidates <= round.seats && method.cadre_differential == DifferentialRule::None {
                return None;
            }
            (method.cadre_differential, round.seats)
        }
    };
    let check = rule.check(seats, candidates);
    Some(ruling(rule, check, ListSubject::Candidates))
}

fn ruling(rule: DifferentialRule, check: ListCheck, subject: ListSubject) -> ListRuling {
    let (noun_zh, noun_en) = match subject {
        ListSubject::Candidates => ("候选人", "candidates"),
        ListSubject::NextList => ("正式候选人", "formal candidates"),
    };
    let bound_zh = match check.max {
        Some(max) if max == check.min => format!("应为{}名", check.min),
        Some(max) => format!("应为{}至{}名", check.min, max),
        _ => format!("至少{}名", check.min),
    };
    let bound_en = match check.max {
        Some(max) if max == check.min => format!("exactly {}", check.min),
        Some(max) => format!("{} to {}", check.min, max),
        _ => format!("at least {}", check.min),
    };
    ListRuling {
        rule,
        subject,
        rule_zh: rule.zh(),
        rule_en: rule.en(),
        message_zh: format!(
            "应选{}名，{noun_zh}{bound_zh}；现有{}名",
            check.seats, check.candidates
        ),
        message_en: format!(
            "{} seats need {bound_en} {noun_en}; {} given",
            check.seats, check.candidates
        ),
        check,
    }
}

/// Indices into `rows` chosen for `places`, and the tied group straddling
/// the cut-off with the places it contests.
struct Fill {
    chosen: Vec<usize>,
    tied: Vec<usize>,
    tied_places: u64,
}

/// Take `eligible` rows in order of for-votes for `places` places (RULES
/// §4.2). A group with equal votes straddling the cut-off is never split:
/// it is returned as `tied` (or, with `widen`, chosen whole).
fn fill(rows: &[Row], eligible: &[usize], places: u64, widen: bool) -> Fill {
    let mut ranked = eligible.to_vec();
    // Stable: equal votes keep ballot order, for display only.
    ranked.sort_by(|a, b| rows[*b].count.for_votes.cmp(&rows[*a].count.for_votes));
    let places = usize::try_from(places).unwrap_or(usize::MAX);
    if ranked.len() <= places {
        return Fill {
            chosen: ranked,
            tied: Vec::new(),
            tied_places: 0,
        };
    }
    // ranked.len() > places ≥ 1 here (places is never 0 for a valid round;
    // with 0 places nothing is chosen and nobody is tied).
    if places == 0 {
        return Fill {
            chosen: Vec::new(),
            tied: Vec::new(),
            tied_places: 0,
        };
    }
    let cut = rows[ranked[places - 1]].count.for_votes;
    let next = rows[ranked[places]].count.for_votes;
    if next < cut {
        ranked.truncate(places);
        return Fill {
            chosen: ranked,
            tied: Vec::new(),
            tied_places: 0,
        };
    }
    let above: Vec<usize> = ranked
        .iter()
        .copied()
        .filter(|i| rows[*i].count.for_votes > cut)
        .collect();
    let tied: Vec<usize> = ranked
        .iter()
        .copied()
        .filter(|i| rows[*i].count.for_votes == cut)
        .collect();
    if widen {
        let mut chosen = above;
        chosen.extend(tied);
        return Fill {
            chosen,
            tied: Vec::new(),
            tied_places: 0,
        };
    }
    let tied_places = (places - above.len()) as u64;
    Fill {
        chosen: above,
        tied,
        tied_places,
    }
}

fn names(rows: &[Row], idx: &[usize]) -> Vec<String> {
    idx.iter().map(|i| rows[*i].name.clone()).collect()
}

/// Elected names in report order (RULES §4.4): committee members and
/// delegates in ballot order (the ballot is printed in surname-stroke order),
/// alternates by votes then ballot order, write-ins last by votes.
fn elected_order(round: &Round, rows: &[Row], chosen: &[usize]) -> Vec<String> {
    if round.office != Office::Alternate {
        return report_order(rows, chosen);
    }
    let mut by_votes = chosen.to_vec();
    // Stable sort over ballot order: equal votes keep stroke order.
    by_votes.sort_unstable();
    by_votes.sort_by(|a, b| rows[*b].count.for_votes.cmp(&rows[*a].count.for_votes));
    by_votes.into_iter().map(|i| rows[i].name.clone()).collect()
}

/// Names in ballot order (the list is printed in surname-stroke order),
/// then write-ins in vote order.
fn report_order(rows: &[Row], chosen: &[usize]) -> Vec<String> {
    let mut listed: Vec<usize> = chosen
        .iter()
        .copied()
        .filter(|i| !rows[*i].write_in)
        .collect();
    listed.sort_unstable();
    let written = chosen.iter().copied().filter(|i| rows[*i].write_in);
    listed
        .into_iter()
        .chain(written)
        .map(|i| rows[i].name.clone())
        .collect()
}

/// The state after filling `places`: a tie straddling the cut-off needs a
/// runoff among exactly the tied; fewer chosen than places is a shortfall
/// (unfilled places); otherwise complete. Never both (RULES §4.3).
fn settle(rows: &[Row], f: &Fill, places: u64) -> (Status, Option<Runoff>, u64) {
    if !f.tied.is_empty() {
        let runoff = Runoff {
            among: report_order(rows, &f.tied),
            seats: f.tied_places,
        };
        return (Status::RunoffRequired, Some(runoff), 0);
    }
    let unfilled = places.saturating_sub(f.chosen.len() as u64);
    let status = if unfilled == 0 {
        Status::Complete
    } else {
        Status::Shortfall
    };
    (status, None, unfilled)
}

fn decide(method: &ElectionMethod, round: &Round, r: &mut RoundResult) {
    // A rated evaluation ranks its people by approvals, not its cells.
    let people: Option<Vec<Row>> = r.ratings.as_ref().map(|all| {
        all.iter()
            .map(|p| Row {
                name: p.name.clone(),
                count: LineCount {
                    for_votes: p.approvals,
                    against: p.disapprovals,
                    abstain: p.blank,
                },
                write_in: false,
                above_threshold: false,
                flagged: p.flagged,
                removal: p.removal,
            })
            .collect()
    });
    let rows = people.as_ref().unwrap_or(&r.rows);
    let all: Vec<usize> = (0..rows.len()).collect();
    let above: Vec<usize> = all
        .iter()
        .copied()
        .filter(|i| rows[*i].above_threshold)
        .collect();
    let widen = method.list_tie == ListTie::Widen;
    // A runoff decides the places it was called for; it keeps the rule of
    // the round it resolves (RULES §2, the runoff stage).
    let runoff = round.kind == RoundKind::Runoff;
    let returned = r
        .ballot_box
        .as_ref()
        .map(|b| b.returned)
        .unwrap_or_default();
    match round.rule_kind() {
        RoundKind::Formal | RoundKind::Runoff | RoundKind::Supplementary => {
            // Open point 9: under `most_votes` a formal runoff elects the
            // most votes among the tied (at least one vote), no threshold.
            let eligible: Vec<usize> = if r.threshold_applies {
                above
            } else {
                all.iter()
                    .copied()
                    .filter(|i| rows[*i].count.for_votes >= 1)
                    .collect()
            };
            let f = fill(rows, &eligible, round.seats, false);
            (r.status, r.runoff, r.unfilled) = settle(rows, &f, round.seats);
            r.elected = elected_order(round, rows, &f.chosen);
        }
        RoundKind::Preliminary => {
            let places = if runoff {
                round.seats
            } else {
                round.next_size.unwrap_or(round.seats)
            };
            let f = fill(rows, &above, places, widen);
            let chosen = f.chosen.len() as u64;
            (r.status, r.runoff, r.unfilled) = settle(rows, &f, places);
            r.next_list = Some(names(rows, &f.chosen));
            if r.status == Status::Shortfall && !runoff {
                let formal = method.differential.for_office(round.office);
                r.list_may_proceed = Some(formal.check(round.seats, chosen).ok);
            }
        }
        RoundKind::Nomination | RoundKind::Evaluation => {
            let floor = match (round.rule_kind(), method.nomination_floor) {
                (RoundKind::Nomination, Some(f)) => f
                    .smallest_meeting(base_value(method.nomination_floor_base, round, returned))
                    .max(1),
                (RoundKind::Nomination, None) => 1,
                _ => 0,
            };
            let eligible: Vec<usize> = all
                .iter()
                .copied()
                .filter(|i| !rows[*i].flagged && rows[*i].count.for_votes >= floor)
                .collect();
            let places = if runoff {
                round.seats
            } else {
                round.next_size.unwrap_or(eligible.len() as u64)
            };
            let f = fill(rows, &eligible, places, widen);
            (r.status, r.runoff, r.unfilled) = settle(rows, &f, places);
            r.next_list = Some(names(rows, &f.chosen));
        }
        RoundKind::Cadre | RoundKind::Resolution => {
            let candidates = round.candidates.len() as u64;
            if candidates <= round.seats {
                // Each nominee (or motion) decided on their own.
                r.elected = report_order(rows, &above);
                r.unfilled = round.seats - above.len() as u64;
                r.status = Status::Complete;
            } else {
                // 差额表决: posts go in order of 同意 to nominees who pass.
                let f = fill(rows, &above, round.seats, false);
                r.elected = report_order(rows, &f.chosen);
                r.unfilled = round.seats - f.chosen.len() as u64 - f.tied_places;
                if f.tied.is_empty() {
                    r.status = Status::Complete;
                } else {
                    r.status = Status::RunoffRequired;
                    r.runoff = Some(Runoff {
                        among: report_order(rows, &f.tied),
                        seats: f.tied_places,
                    });
                }
            }
        }
    }
}

/// The default list of a supplementary round (RULES §4.6, T:
/// 从未当选的被选举人中按得票多少): every 被选举人 not elected — listed
/// candidates and write-ins alike — in order of votes, as many as the
/// office's list rule (or `supplementary_list`) needs for `seats`. A group
/// with equal votes at the cut-off stands whole (ties are never broken by
/// name or ballot order). `tally` is (name, for-votes) in report order
/// (ballot order, then write-ins); the list keeps that order.
pub fn supplementary_candidates(
    method: &ElectionMethod,
    office: Office,
    tally: &[(String, u64)],
    elected: &[String],
    seats: u64,
) -> Vec<String> {
    let mut rows: Vec<(usize, &String, u64)> = tally
        .iter()
        .filter(|(name, _)| !elected.contains(name))
        .enumerate()
        .map(|(i, (name, votes))| (i, name, *votes))
        .collect();
    rows.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    let rule = match method.supplementary_list {
        SupplementaryList::Differential => method.differential.for_office(office),
        SupplementaryList::EqualAllowed => DifferentialRule::None,
    };
    let need = usize::try_from(rule.check(seats, 0).min).unwrap_or(usize::MAX);
    let mut take = need.min(rows.len());
    while take > 0 && take < rows.len() && rows[take].2 == rows[take - 1].2 {
        take += 1;
    }
    let mut chosen: Vec<(usize, &String, u64)> = rows.into_iter().take(take).collect();
    chosen.sort_by_key(|r| r.0);
    chosen.into_iter().map(|r| r.1.clone()).collect()
}
