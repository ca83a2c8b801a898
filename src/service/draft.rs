//! A new round before it opens: the request of `POST …/elections/{e}/rounds`
//! ([`NewRound`], with its stage parts), its list checked — names, the
//! method's list rule, no supervisor among the candidates, the accepted
//! list — and saved as a draft (`draft_checked`, `draft_round`). Used
//! by the round's creation, the stages' papers and groups, and the rounds
//! a presidium decision calls.

use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{json, Value};

use super::lookup::{enum_parse, load_election, text, MAX_NAME};
use super::{Error, Kind, Role, Tx};
use crate::rules::{self, name, ElectionMethod, Office, Round, RoundKind};
use crate::state::RoundState;
use crate::store::{self, round::RoundRow};

/// `POST …/elections/{e}/rounds`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRound {
    pub kind: RoundKind,
    /// Absent only for a paper (`sections`).
    #[serde(default)]
    pub candidates: Vec<String>,
    #[serde(default)]
    pub seats: Option<u64>,
    #[serde(default)]
    pub next_size: Option<u64>,
    /// The stage's own method parts (overrides of
    /// `rules::stage_method::STAGE_PARAMETERS`), issue 11.
    #[serde(default)]
    pub method: Option<serde_json::Map<String, Value>>,
    /// `next_size` set by a ratio (RULES §9.2).
    #[serde(default)]
    pub next_rule: Option<crate::log::stage::NextRuleFacts>,
    /// A nomination or evaluation held by groups (RULES §9.1, §9.5).
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    /// The party organisation's nominees, listed directly.
    #[serde(default)]
    pub organisation: Option<OrganisationRequest>,
    /// Several contests on one paper (RULES §9.7), each in its election.
    #[serde(default)]
    pub sections: Option<Vec<SectionRequest>>,
    /// A cadre vote's earlier results (RULES §9.6).
    #[serde(default)]
    pub record: Vec<rules::record::EarlierResult>,
    /// Each nominee's post, when not the contest.
    #[serde(default)]
    pub posts: std::collections::BTreeMap<String, String>,
    /// Nominees deferred before the vote (缓议): not on the ballot.
    #[serde(default)]
    pub deferred: Vec<rules::record::Deferral>,
    /// An evaluation by levels or items (RULES §2.2): `candidates` are the
    /// people; the round's lines are the cells (`rules::rating`).
    #[serde(default)]
    pub rating: Option<rules::rating::RatingSpec>,
}

impl NewRound {
    /// A round of `kind` with its list and nothing of issue 11's.
    pub fn plain(kind: RoundKind, candidates: Vec<String>, next_size: Option<u64>) -> NewRound {
        NewRound {
            kind,
            candidates,
            seats: None,
            next_size,
            method: None,
            next_rule: None,
            groups: None,
            organisation: None,
            sections: None,
            record: Vec::new(),
            posts: Default::default(),
            deferred: Vec::new(),
            rating: None,
        }
    }
}

/// Most candidates on one ballot.
pub const MAX_CANDIDATES: usize = 200;

/// Validates a new round's facts against the method, as far as they are
/// known before it opens. `entitled` is the meeting's.
pub(crate) fn validate_draft(
    method: &ElectionMethod,
    kind: RoundKind,
    office: Office,
    seats: u64,
    candidates: &[String],
    next_size: Option<u64>,
    entitled: u64,
) -> Result<(), Error> {
    if candidates.len() > MAX_CANDIDATES {
        return Err(Error::invalid(
            "candidates",
            format!(
                "候选人过多：{} 名，最多 {MAX_CANDIDATES} 名",
                candidates.len()
            ),
            format!(
                "too many candidates: {}, at most {MAX_CANDIDATES}",
                candidates.len()
            ),
        ));
    }
    let round = Round {
        kind,
        office,
        contest: String::new(),
        seats,
        candidates: candidates.to_vec(),
        entitled,
        present: entitled,
        issued: 0,
        returned: None,
        next_size,
        replaced: 0,
        voted: None,
        resolves: None,
        rating: None,
    };
    round.validate().map_err(|e| {
        let field = e.field.strip_prefix("round.").unwrap_or(e.field);
        Error::invalid(field, format!("{field}：{}", e.message), e.message.clone())
    })?;
    check_list(method, &round)
}

/// Refuses a list that breaks the method's differential rule, with the
/// numbers (RULES §3.2).
pub(crate) fn check_list(method: &ElectionMethod, round: &Round) -> Result<(), Error> {
    if let Some(r) = rules::outcome::list_ruling(method, round) {
        if !r.check.ok {
            return Err(Error::new(
                Kind::Unprocessable,
                "candidate_list_rejected",
                format!("{}（{}）", r.message_zh, r.rule_zh),
                format!("{} ({})", r.message_en, r.rule_en),
            )
            .at("candidates")
            .with(json!({
                "seats": r.check.seats,
                "candidates": r.check.candidates,
                "min": r.check.min,
                "max": r.check.max,
            })));
        }
    }
    Ok(())
}

/// Checks candidate names (non-empty, unique) and that no counter or
/// scrutineer of the election is among them.
pub(crate) fn check_candidates(
    conn: &Connection,
    meeting: &str,
    election: &str,
    candidates: &[String],
) -> Result<Vec<String>, Error> {
    let mut names: Vec<String> = Vec::with_capacity(candidates.len());
    // Skeleton → the first name with it (each computed once).
    let mut looks = std::collections::BTreeMap::new();
    for (i, c) in candidates.iter().enumerate() {
        let field = format!("candidates[{i}]");
        let name = text(&field, c, MAX_NAME)?;
        let skeleton = name::skeleton(&name);
        if let Some(same) = looks.get(&skeleton).map(|&k: &usize| names[k].clone()) {
            return Err(if same == name {
                Error::invalid(
                    field,
                    format!("候选人 {name} 重复"),
                    format!("candidate {name} is listed twice"),
                )
            } else {
                Error::invalid(
                    field,
                    format!("候选人 {name} 与 {same} 字形相同或相近，无法区分"),
                    format!("candidate {name} looks the same as candidate {same}"),
                )
            });
        }
        looks.insert(skeleton, names.len());
        names.push(name);
    }
    let supervisors = store::meeting::assigned(conn, meeting, election)?;
    for (i, name) in names.iter().enumerate() {
        let found = name::alike(name, supervisors.iter().map(|p| p.name.as_str()));
        if let Some(p) = found.and_then(|f| supervisors.iter().find(|p| p.name == f)) {
            let role_zh = if p.role == Role::Counter {
                "计票人"
            } else {
                "监票人"
            };
            let same = &p.name;
            return Err(Error::new(
                Kind::Unprocessable,
                "candidate_is_supervisor",
                if same == name {
                    format!("{name} 是本选举的{role_zh}，不能作为候选人")
                } else {
                    format!("{name} 与本选举的{role_zh} {same} 字形相同或相近，不能作为候选人")
                },
                if same == name {
                    format!(
                        "{name} is a {} of this election and cannot be a candidate",
                        p.role
                    )
                } else {
                    format!(
                        "{name} looks the same as {same}, a {} of this election, and cannot be a candidate",
                        p.role
                    )
                },
            )
            .at(format!("candidates[{i}]")));
        }
    }
    Ok(names)
}

/// A draft round of `election`, checked as `POST …/rounds` checks it:
/// the names, the method's list rule, no supervisor among the candidates
/// and, once the presidium accepted a list, exactly that list (of
/// `people`, where the lines are not names: a rated evaluation's cells
/// rate the people of the list); saved.
#[allow(clippy::too_many_arguments)]
pub(crate) fn draft_checked(
    tx: &mut Tx<'_>,
    election: &str,
    kind: RoundKind,
    candidates: &[String],
    people: Option<&[String]>,
    seats: Option<u64>,
    next_size: Option<u64>,
    method: &ElectionMethod,
    entitled: u64,
) -> Result<RoundRow, Error> {
    let meeting = tx.meeting().to_string();
    let e = load_election(&tx.tx, &meeting, election)?;
    let office: Office = enum_parse(&e.office)?;
    let candidates = check_candidates(&tx.tx, &meeting, &e.id, candidates)?;
    let seats = seats.unwrap_or(e.seats);
    validate_draft(
        method,
        kind,
        office,
        seats,
        &candidates,
        next_size,
        entitled,
    )?;
    if let Some(list) = &e.accepted_list {
        let accepted: Vec<String> = serde_json::from_str(list).map_err(Error::internal)?;
        let mut a = accepted.clone();
        let mut c = people.map_or_else(|| candidates.clone(), <[String]>::to_vec);
        a.sort();
        c.sort();
        if a != c {
            return Err(Error::new(
                Kind::Unprocessable,
                "list_not_accepted",
                format!("候选人名单须为主席团通过的名单：{}", accepted.join("、")),
                format!(
                    "the list must be the one the presidium accepted: {}",
                    accepted.join(", ")
                ),
            )
            .at("candidates"));
        }
    }
    let row = draft_round(
        tx,
        &e.id,
        kind,
        &e.office,
        seats,
        &candidates,
        next_size,
        None,
    )?;
    store::round::save_round(&tx.tx, &meeting, &row)?;
    Ok(row)
}

/// A new round in the `draft` state with the next round id of the meeting;
/// `parent` is the round whose decision called it (runoff, supplementary).
#[allow(clippy::too_many_arguments)]
pub(crate) fn draft_round(
    tx: &mut Tx<'_>,
    election: &str,
    kind: RoundKind,
    office: &str,
    seats: u64,
    candidates: &[String],
    next_size: Option<u64>,
    parent: Option<String>,
) -> Result<RoundRow, Error> {
    let meeting = tx.meeting().to_string();
    let id = format!(
        "r{}",
        store::meeting::next_number(&tx.tx, &meeting, store::meeting::Sequence::Round)?
    );
    Ok(RoundRow {
        id,
        election: election.to_string(),
        kind: kind.as_str().into(),
        office: office.to_string(),
        seats,
        candidates: serde_json::to_string(candidates).map_err(Error::internal)?,
        next_size,
        state: RoundState::Draft,
        entitled: None,
        present: None,
        issued: None,
        returned: None,
        result: None,
        tally_index: None,
        tally_size: None,
        cosigners: None,
        required: None,
        certified: false,
        announced: false,
        parent,
        origin_decision: None,
        decisions: "[]".into(),
    })
}

/// The party organisation's nominees in a request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationRequest {
    #[serde(default)]
    pub name: Option<String>,
    pub nominees: Vec<String>,
}

/// One section of a paper in a request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionRequest {
    pub election: String,
    pub candidates: Vec<String>,
    #[serde(default)]
    pub seats: Option<u64>,
    /// A nomination section's list length (its post level's next stage,
    /// RULES §9.1): as `next_size` of a single nomination round.
    #[serde(default)]
    pub next_size: Option<u64>,
    /// The section's `next_size` set by a ratio (RULES §9.2), as
    /// `next_rule` of a single round.
    #[serde(default)]
    pub next_rule: Option<crate::log::stage::NextRuleFacts>,
}
