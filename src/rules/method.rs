//! The election method (选举办法): every counting parameter a meeting adopts.
//!
//! RULES.md leaves several points open (§8). Each is a named field here with
//! a documented default taken from a preset (see [`crate::rules::preset`]),
//! so a meeting can adopt exactly the text it voted on and every report can
//! print the full effective method. Field names are the names that
//! `overrides` in a round file accept; `scrutineer method PRESET --json`
//! prints them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::fraction::{percent, Comparison, Fraction};
use super::kind::{Office, RoundKind};

/// Which number a threshold is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    /// 应到会有选举权人数 (after approved exclusions).
    Entitled,
    /// 实到会有选举权人数.
    Present,
    /// 收回选票数 (used by evaluation percentages).
    Returned,
}

/// What the returned ballots are compared with (RULES §3.3, open point 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoxCheck {
    /// 收回选票数等于或者少于发出选票数 (2020 templates).
    Issued,
    /// 收回选票数等于或者少于投票人数 (1990 templates): the number who
    /// voted, recorded or at most min(present, issued) (RULES §3.3).
    Voters,
}

/// What happens to a ballot that breaks a write-in rule (open point 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// The write-in is disregarded; the line keeps its mark.
    Ignore,
    /// The whole ballot is invalid.
    VoidBallot,
}

/// Where write-ins (另选他人) are accepted at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteIns {
    /// Only beside a line marked against (投弃权票者不能另选他人).
    AgainstLineOnly,
    /// Never (cadre and resolution votes).
    None,
}

/// How an illegible mark on a line counts (open point 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Illegible {
    /// The line counts as an abstention.
    Abstain,
    /// The whole ballot is invalid.
    VoidBallot,
}

/// What a blank line means on paper. Round files and entry screens always
/// record the voter's meaning (`Y`/`N`/`A`); this parameter decides what the
/// ballot instructions and the counters' key hints say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkConvention {
    /// ○ for, × against, no mark abstain.
    BlankIsAbstain,
    /// No mark for, × against, ○ abstain (同意的不划任何符号).
    BlankIsFor,
}

/// A tie straddling the cut-off of a list-producing round (nomination,
/// evaluation, preliminary). Electing rounds always require a runoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListTie {
    /// Re-vote among exactly the tied for the places left.
    Runoff,
    /// Put all the tied on the next list (the list grows).
    Widen,
}

/// Most selections a nomination ballot may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NominationLimit {
    /// Up to `seats` names (CONTRACT default).
    Seats,
    /// Up to `next_size` names.
    NextSize,
    /// Any number.
    Unlimited,
}

/// Who is elected in a runoff after a tie in a formal or supplementary
/// round (open point 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunoffThreshold {
    /// The majority threshold applies again (RULES §2: default).
    Majority,
    /// The most votes among the tied (得票多的当选), at least one vote.
    MostVotes,
}

/// The candidate list of a supplementary round (open point 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplementaryList {
    /// The office's differential rule applies to the unfilled seats.
    Differential,
    /// An equal election is also allowed (candidates ≥ unfilled seats).
    EqualAllowed,
}

/// Who may reduce the seats after a shortfall (RULES §4.6, open point 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeatReduction {
    /// Members' assembly: more than half of the electors consent.
    ElectorsMajority,
    /// Congress: the presidium decides.
    Presidium,
}

/// The rule a candidate list must meet (RULES §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DifferentialRule {
    /// No rule beyond candidates ≥ seats.
    None,
    /// 等额: exactly as many candidates as seats.
    Equal,
    /// 差额 with no fixed ratio: at least one more candidate than seats.
    MoreThanSeats,
    /// 差额 of at least a ratio: `(candidates − seats) × den ≥ seats × num`
    /// (进一法; strict comparison for "多于").
    MinRatio {
        num: u64,
        den: u64,
        comparison: Comparison,
    },
    /// seats + min … seats + max (standing committee: +1…+2).
    Extra { min: u64, max: u64 },
    /// A ratio between a minimum and a maximum (三票制 差额表决 20%…50%).
    RatioRange { min: Fraction, max: Fraction },
}

/// The differential rule per office (CONTRACT `round.office`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Differential {
    pub committee: DifferentialRule,
    pub discipline: DifferentialRule,
    pub delegate: DifferentialRule,
    pub alternate: DifferentialRule,
    pub standing: DifferentialRule,
    pub secretary: DifferentialRule,
    pub deputy_secretary: DifferentialRule,
    pub other: DifferentialRule,
}

impl Differential {
    /// The same rule for every office.
    pub const fn uniform(rule: DifferentialRule) -> Self {
        Differential {
            committee: rule,
            discipline: rule,
            delegate: rule,
            alternate: rule,
            standing: rule,
            secretary: rule,
            deputy_secretary: rule,
            other: rule,
        }
    }

    pub fn for_office(&self, office: Office) -> DifferentialRule {
        match office {
            Office::Committee => self.committee,
            Office::Discipline => self.discipline,
            Office::Delegate => self.delegate,
            Office::Alternate => self.alternate,
            Office::Standing => self.standing,
            Office::Secretary => self.secretary,
            Office::DeputySecretary => self.deputy_secretary,
            Office::Other => self.other,
        }
    }
}

/// The effective election method (选举办法) of a meeting.
///
/// Serialised field names are the override names; the order of fields is the
/// order of clauses in the printed method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionMethod {
    /// The preset this method started from (informational).
    pub preset: String,
    /// Quorum: `present` against `entitled` (RULES §3.1, open point 2).
    pub quorum: Fraction,
    /// Majority needed to be elected or to pass: `for` against
    /// `threshold_base` (RULES §4.1: strict 1/2, exactly half fails).
    pub threshold: Fraction,
    /// The base of the threshold (open point 1).
    pub threshold_base: Base,
    /// The base of the ballot-box check (open point 3).
    pub box_check: BoxCheck,
    /// The differential rule of each office (RULES §3.2).
    pub differential: Differential,
    /// The list rule of a supplementary round (open point 6).
    pub supplementary_list: SupplementaryList,
    /// Differential rule of a cadre vote with more nominees than posts
    /// (差额表决, RULES §5); `none` lets any number of nominees stand.
    pub cadre_differential: DifferentialRule,
    /// Where write-ins are accepted (RULES §3.4).
    pub write_ins: WriteIns,
    /// A write-in beside a line not marked against, or in a round that
    /// allows none (open point 5).
    pub write_in_misplaced: Disposition,
    /// A write-in naming a candidate printed on the ballot (open point 5).
    pub write_in_names_candidate: Disposition,
    /// An illegible mark (open point 4).
    pub illegible: Illegible,
    /// What a blank line means on paper.
    pub mark_convention: MarkConvention,
    /// A tie at the cut-off of a list-producing round (RULES §4.5).
    pub list_tie: ListTie,
    /// Threshold of a runoff after a formal or supplementary tie (open
    /// point 9).
    pub runoff_threshold: RunoffThreshold,
    /// Participation floor of nomination and evaluation rounds: those who
    /// took part against those entitled (RULES §3.1: their own floor, not
    /// the election's quorum; S 公推直选 80%以上, 以上 includes the number).
    /// `None`: no floor.
    pub participation_floor: Option<Fraction>,
    /// Most names on a nomination ballot.
    pub nomination_limit: NominationLimit,
    /// Optional floor of for-votes to be listed after a nomination round
    /// (不是多数群众拥护的不得列为考察对象), against `nomination_floor_base`.
    pub nomination_floor: Option<Fraction>,
    /// The base of `nomination_floor` (open point 10): the unit's members
    /// (`entitled`), or those who took part (`present`, `returned`).
    pub nomination_floor_base: Base,
    /// Whether the party organisation's nominees (党组织推荐, listed
    /// directly) take places of the next list or come on top of it
    /// (RULES §9.1; the seed is silent).
    #[serde(default)]
    pub organisation_nominees: OrganisationNominees,
    /// Evaluation: share of disapprovals (against `evaluation_base`) that
    /// flags a person as not to be put to the vote (不满意 ≥ 30%). Off by
    /// default (RULES §2.2: 两推一选 and 公推直选 list by 赞成票 only).
    pub evaluation_flag: Option<Fraction>,
    /// Evaluation percentages are of this base (RULES §2.2: returned).
    pub evaluation_base: Base,
    /// Evaluation: share of disapprovals (against `evaluation_base`) that
    /// starts the removal procedure (S 案例25: 不满意票超过三分之一 →
    /// 免去现职或责令辞职). Reported per person beside `evaluation_flag`;
    /// it does not take anyone off a list. Off by default.
    #[serde(default)]
    pub evaluation_removal: Option<Fraction>,
    /// Runoffs among the same tied group before the presidium decides
    /// otherwise (open point 8).
    pub max_runoff_rounds: u32,
    /// Supplementary rounds before the presidium decides otherwise
    /// (open point 6).
    pub max_supplementary_rounds: u32,
    /// Who may reduce the seats instead of a supplementary round (open point 7).
    pub seat_reduction: SeatReduction,
    /// Failed cadre votes for one post after which a nominee may not be
    /// nominated for it again (S 案例26: 两次未获通过的，不得再提名为同一
    /// 职位人选); `None`: not tracked.
    #[serde(default = "two_failures")]
    pub max_failed_nominations: Option<u32>,
    /// Share of the registered scrutineers whose signatures make a result
    /// certified (k-of-n; default all of them).
    pub signatures_required: Fraction,
}

/// Whether the organisation's nominees take places of the next list or
/// come on top of it (the seed is silent: a method parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationNominees {
    /// They count toward the list's size (案例2: the 1:3 list *is* the
    /// 代表初步人选, and they are 代表初步人选): the vote fills the rest.
    #[default]
    WithinList,
    /// They are added beyond the list the vote fills.
    BeyondList,
}

/// S 案例26: two failed votes for the same post.
fn two_failures() -> Option<u32> {
    Some(2)
}

/// A method that cannot be built: an unknown preset, an unknown override,
/// or a parameter with an impossible value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MethodError {
    /// `expected`: the presets there are.
    UnknownPreset {
        name: String,
        expected: &'static [&'static str],
    },
    UnknownParameter {
        name: String,
    },
    BadParameter {
        name: String,
        message: String,
    },
}

impl std::fmt::Display for MethodError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MethodError::UnknownPreset { name, expected } => write!(
                f,
                "unknown preset `{name}`; expected one of: {}",
                expected.join(", ")
            ),
            MethodError::UnknownParameter { name } => write!(
                f,
                "unknown method parameter `{name}`; expected one of: {}",
                ElectionMethod::PARAMETERS.join(", ")
            ),
            MethodError::BadParameter { name, message } => {
                write!(f, "method parameter `{name}`: {message}")
            }
        }
    }
}

impl std::error::Error for MethodError {}

impl ElectionMethod {
    /// The names `overrides` accepts, in clause order.
    pub const PARAMETERS: &'static [&'static str] = &[
        "quorum",
        "threshold",
        "threshold_base",
        "box_check",
        "differential",
        "supplementary_list",
        "cadre_differential",
        "write_ins",
        "write_in_misplaced",
        "write_in_names_candidate",
        "illegible",
        "mark_convention",
        "list_tie",
        "runoff_threshold",
        "participation_floor",
        "nomination_limit",
        "nomination_floor",
        "nomination_floor_base",
        "organisation_nominees",
        "evaluation_flag",
        "evaluation_base",
        "evaluation_removal",
        "max_runoff_rounds",
        "max_supplementary_rounds",
        "seat_reduction",
        "max_failed_nominations",
        "signatures_required",
    ];

    /// This method (a preset's, see `ElectionMethod::from_preset` in
    /// [`crate::rules::preset`]) with a meeting's overrides applied.
    ///
    /// Overrides merge into the preset's parameters: an object merges key by
    /// key (so `{"quorum": {"comparison": "inclusive"}}` changes only the
    /// strictness), except a differential rule whose `kind` changes, which is
    /// replaced whole.
    pub fn with_overrides(self, overrides: &Map<String, Value>) -> Result<Self, MethodError> {
        let base = self;
        if overrides.is_empty() {
            return Ok(base);
        }
        let mut value = serde_json::to_value(&base).map_err(|e| MethodError::BadParameter {
            name: "preset".into(),
            message: e.to_string(),
        })?;
        for (name, new) in overrides {
            if name == "preset" || !Self::PARAMETERS.contains(&name.as_str()) {
                return Err(MethodError::UnknownParameter { name: name.clone() });
            }
            if let Some((path, v)) = super::limits::first_too_large(new) {
                return Err(MethodError::BadParameter {
                    name: if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{name}.{path}")
                    },
                    message: super::limits::too_large_message(v),
                });
            }
            // `value` is an object: it was serialised from a struct.
            if let Some(slot) = value.get_mut(name) {
                merge(slot, new);
            }
        }
        // Each override merges into its own field, and each field reads on
        // its own: a bad override leaves the method unreadable to the end.
        // So read once, and only when that fails find the first override
        // after which the method no longer reads, to name it.
        let method: ElectionMethod = match serde_json::from_value(value) {
            Ok(method) => method,
            Err(e) => {
                return Err(Self::first_bad_override(&base, overrides).unwrap_or(
                    MethodError::BadParameter {
                        name: "overrides".into(),
                        message: e.to_string(),
                    },
                ))
            }
        };
        method.validate()?;
        Ok(method)
    }

    /// The attendance rule a round of rule kind `kind` must meet before it
    /// starts: a nomination's or an evaluation's own participation floor
    /// (none: always met), every other round the election's quorum.
    pub fn participation_rule(&self, kind: RoundKind) -> Fraction {
        match kind {
            RoundKind::Nomination | RoundKind::Evaluation => self
                .participation_floor
                .unwrap_or(Fraction::inclusive(0, 1)),
            _ => self.quorum,
        }
    }

    /// k of the k-of-n rule: how many of `n` scrutineers must cosign a
    /// result to certify it — the smallest number meeting
    /// `signatures_required` of `n`, at least 1 and at most `n` (with no
    /// scrutineer it is 1, so nothing is certified). The service and the
    /// verifier both count with this.
    pub fn cosignatures_required(&self, n: u64) -> u64 {
        self.signatures_required
            .smallest_meeting(n)
            .clamp(1, n.max(1))
    }

    /// The first of `overrides` after whose merge into `base` the method no
    /// longer reads, as the error naming it (`with_overrides`).
    fn first_bad_override(
        base: &ElectionMethod,
        overrides: &Map<String, Value>,
    ) -> Option<MethodError> {
        let mut value = serde_json::to_value(base).ok()?;
        for (name, new) in overrides {
            if let Some(slot) = value.get_mut(name) {
                merge(slot, new);
            }
            if let Err(e) = serde_json::from_value::<ElectionMethod>(value.clone()) {
                return Some(MethodError::BadParameter {
                    name: name.clone(),
                    message: e.to_string(),
                });
            }
        }
        None
    }

    /// Reject parameters no meeting could adopt (a zero denominator, a
    /// majority fraction above one).
    pub fn validate(&self) -> Result<(), MethodError> {
        let bad = |name: &str, message: &str| MethodError::BadParameter {
            name: name.to_string(),
            message: message.to_string(),
        };
        let fractions = [
            ("quorum", Some(self.quorum)),
            ("threshold", Some(self.threshold)),
            ("participation_floor", self.participation_floor),
            ("nomination_floor", self.nomination_floor),
            ("evaluation_flag", self.evaluation_flag),
            ("evaluation_removal", self.evaluation_removal),
            ("signatures_required", Some(self.signatures_required)),
        ];
        for (name, f) in fractions {
            if let Some(f) = f {
                if f.den == 0 {
                    return Err(bad(name, "denominator must be at least 1"));
                }
                if f.num > f.den {
                    return Err(bad(name, "fraction must not exceed 1"));
                }
            }
        }
        if self.max_failed_nominations == Some(0) {
            return Err(bad(
                "max_failed_nominations",
                "must be at least 1 (or null: not tracked); 0 would refuse every nomination",
            ));
        }
        // "0 of the scrutineers" would certify a result nobody signed.
        if self.signatures_required.num == 0 {
            return Err(bad(
                "signatures_required",
                "must be more than 0: at least one scrutineer must cosign a result",
            ));
        }
        let offices = [
            ("differential.committee", self.differential.committee),
            ("differential.discipline", self.differential.discipline),
            ("differential.delegate", self.differential.delegate),
            ("differential.alternate", self.differential.alternate),
            ("differential.standing", self.differential.standing),
            ("differential.secretary", self.differential.secretary),
            (
                "differential.deputy_secretary",
                self.differential.deputy_secretary,
            ),
            ("differential.other", self.differential.other),
            ("cadre_differential", self.cadre_differential),
        ];
        for (name, rule) in offices {
            match rule {
                DifferentialRule::MinRatio { den: 0, .. } => {
                    return Err(bad(name, "denominator must be at least 1"))
                }
                DifferentialRule::Extra { min, max } if min > max => {
                    return Err(bad(name, "min must not exceed max"))
                }
                DifferentialRule::RatioRange { min, max } if min.den == 0 || max.den == 0 => {
                    return Err(bad(name, "denominator must be at least 1"))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

pub(crate) fn merge(slot: &mut Value, new: &Value) {
    match (slot, new) {
        (Value::Object(old), Value::Object(new))
            if new.get("kind").is_none() || new.get("kind") == old.get("kind") =>
        {
            for (k, v) in new {
                match old.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        old.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, new) => *slot = new.clone(),
    }
}

/// The result of checking a candidate list against a differential rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListCheck {
    pub ok: bool,
    pub seats: u64,
    pub candidates: u64,
    /// Fewest candidates the rule allows.
    pub min: u64,
    /// Most candidates the rule allows, if bounded.
    pub max: Option<u64>,
}

impl DifferentialRule {
    /// Check `candidates` for `seats` (进一法: the minimum is rounded up).
    pub fn check(&self, seats: u64, candidates: u64) -> ListCheck {
        let (min, max) = match *self {
            DifferentialRule::None => (seats, None),
            DifferentialRule::Equal => (seats, Some(seats)),
            DifferentialRule::MoreThanSeats => (seats.saturating_add(1), None),
            DifferentialRule::MinRatio {
                num,
                den,
                comparison,
            } => {
                let f = Fraction {
                    num,
                    den,
                    comparison,
                };
                (seats.saturating_add(f.smallest_meeting(seats)), None)
            }
            DifferentialRule::Extra { min, max } => {
                (seats.saturating_add(min), Some(seats.saturating_add(max)))
            }
            DifferentialRule::RatioRange { min, max } => (
                seats.saturating_add(min.smallest_meeting(seats)),
                Some(seats.saturating_add(largest_excess(max, seats))),
            ),
        };
        let ok = candidates >= min && max.is_none_or(|m| candidates <= m);
        ListCheck {
            ok,
            seats,
            candidates,
            min,
            max,
        }
    }

    /// The rule as a clause: "差额比例不少于20%".
    pub fn zh(&self) -> String {
        match *self {
            DifferentialRule::None => "不作差额要求".into(),
            DifferentialRule::Equal => "实行等额选举".into(),
            DifferentialRule::MoreThanSeats => "实行差额选举，候选人数多于应选人数".into(),
            DifferentialRule::MinRatio {
                num,
                den,
                comparison,
            } => {
                let word = match comparison {
                    Comparison::Strict => "多于",
                    Comparison::Inclusive => "不少于",
                };
                format!(
                    "候选人数应多于应选人数，差额比例{word}{}",
                    percent(num, den)
                )
            }
            DifferentialRule::Extra { min, max } => {
                format!("候选人数比应选人数多{min}至{max}人")
            }
            DifferentialRule::RatioRange { min, max } => format!(
                "差额比例在{}至{}之间",
                percent(min.num, min.den),
                percent(max.num, max.den)
            ),
        }
    }

    pub fn en(&self) -> String {
        match *self {
            DifferentialRule::None => "no differential requirement".into(),
            DifferentialRule::Equal => "equal election (as many candidates as seats)".into(),
            DifferentialRule::MoreThanSeats => "more candidates than seats".into(),
            DifferentialRule::MinRatio {
                num,
                den,
                comparison,
            } => {
                let word = match comparison {
                    Comparison::Strict => "more than",
                    Comparison::Inclusive => "at least",
                };
                format!("differential ratio {word} {}", percent(num, den))
            }
            DifferentialRule::Extra { min, max } => {
                format!("{min} to {max} more candidates than seats")
            }
            DifferentialRule::RatioRange { min, max } => format!(
                "differential ratio between {} and {}",
                percent(min.num, min.den),
                percent(max.num, max.den)
            ),
        }
    }
}

/// The largest excess `e` with `e / seats` within `max` (≤ for inclusive,
/// < for strict).
fn largest_excess(max: Fraction, seats: u64) -> u64 {
    let product = seats as u128 * max.num as u128;
    let den = max.den.max(1) as u128;
    let e = match max.comparison {
        Comparison::Inclusive => product / den,
        // e × den < product ⇔ e ≤ (product − 1) / den; none when product is 0.
        Comparison::Strict if product == 0 => 0,
        Comparison::Strict => (product - 1) / den,
    };
    u64::try_from(e).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn min_ratio(num: u64, den: u64, comparison: Comparison) -> DifferentialRule {
        DifferentialRule::MinRatio {
            num,
            den,
            comparison,
        }
    }

    /// (rule, seats, candidates, ok, min)
    fn check(rule: DifferentialRule, seats: u64, candidates: u64, ok: bool, min: u64) {
        let c = rule.check(seats, candidates);
        assert_eq!(
            (c.ok, c.min),
            (ok, min),
            "{rule:?} {seats} seats {candidates} candidates"
        );
    }

    #[test]
    fn twenty_percent_rounds_up() {
        let r = min_ratio(1, 5, Comparison::Inclusive);
        // 5 seats × 20% = 1 exactly: 6 is enough.
        check(r, 5, 5, false, 6);
        check(r, 5, 6, true, 6);
        check(r, 5, 7, true, 6);
        // 7 seats × 20% = 1.4 → 进一法: 2 more, 9 candidates.
        check(r, 7, 8, false, 9);
        check(r, 7, 9, true, 9);
        // 3 seats × 20% = 0.6 → 1 more.
        check(r, 3, 3, false, 4);
        check(r, 3, 4, true, 4);
    }

    #[test]
    fn strictly_more_than_twenty_percent() {
        let r = min_ratio(1, 5, Comparison::Strict);
        // 5 seats: exactly 20% (6) is not more than 20%.
        check(r, 5, 6, false, 7);
        check(r, 5, 7, true, 7);
        // 7 seats: 2 more is 28.6% > 20%.
        check(r, 7, 9, true, 9);
        check(r, 7, 8, false, 9);
    }

    #[test]
    fn ten_percent() {
        let r = min_ratio(1, 10, Comparison::Inclusive);
        check(r, 5, 5, false, 6);
        check(r, 5, 6, true, 6);
        check(r, 10, 11, true, 11);
        check(r, 11, 12, false, 13);
        check(r, 11, 13, true, 13);
    }

    #[test]
    fn standing_committee_one_or_two_more() {
        let r = DifferentialRule::Extra { min: 1, max: 2 };
        check(r, 5, 5, false, 6);
        check(r, 5, 6, true, 6);
        check(r, 5, 7, true, 6);
        check(r, 5, 8, false, 6);
    }

    #[test]
    fn equal_election() {
        let r = DifferentialRule::Equal;
        check(r, 1, 1, true, 1);
        check(r, 1, 2, false, 1);
        check(r, 2, 1, false, 2);
    }

    #[test]
    fn cadre_ratio_range() {
        let r = DifferentialRule::RatioRange {
            min: Fraction::inclusive(1, 5),
            max: Fraction::inclusive(1, 2),
        };
        // 4 posts: at least 4.8 → 5, at most 6.
        check(r, 4, 4, false, 5);
        check(r, 4, 5, true, 5);
        check(r, 4, 6, true, 5);
        check(r, 4, 7, false, 5);
        let strict_max = DifferentialRule::RatioRange {
            min: Fraction::inclusive(1, 5),
            max: Fraction::strict(1, 2),
        };
        check(strict_max, 4, 6, false, 5);
        check(strict_max, 4, 5, true, 5);
    }
}
