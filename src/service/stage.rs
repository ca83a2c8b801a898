//! Stages of an election in the meeting service (issue 11, RULES §9): the
//! method parts a stage adopts on its own, nominations by groups and their
//! combination, ballot papers with several contests, stage sizes set by a
//! ratio, a cadre vote's record (failed twice for the same post) and its
//! deferred nominees, replacement ballots and the number who voted.
//!
//! Each procedure is one or more ordinary rounds (docs/service.md,
//! "Stages"): what this module adds is checked before the round opens,
//! logged as `stage_method_adopted` and `stage_recorded`
//! (`log::stage::StageFacts`) next to its `round_opened`, and replayed by
//! the verifier (`log::replay_stages`).
//!
//! - **Stage method** (`method` of a new round): overrides of
//!   `rules::stage_method::STAGE_PARAMETERS` on the meeting's method,
//!   logged at once; the round, and every runoff or re-run it calls, is
//!   decided under it.
//! - **Groups** (`groups`): one round per group (党员推荐, 群众推荐（农户）),
//!   each with its own electorate given when it opens, its own floor, its
//!   own ballots and its own signed, cosigned result (posted apart), and a
//!   combined round that opens once every group is closed and held: its
//!   facts are the groups' sums, its counts the sums of their signed
//!   counts. The party organisation's nominees (`organisation`) are listed
//!   directly, first on the proposed list.
//! - **Paper** (`sections`): one round per section, each in its own
//!   election (书记, 副书记, 委员), opened and closed with the same ballots
//!   issued, returned, replaced and voted; each section is counted as its
//!   own contest, so an overvote voids only its own section. A nomination
//!   paper tallies each post level apart (对不同职务层次人员的推荐票分别
//!   统计, RULES §9.1): each section gives its own `next_size` or
//!   `next_rule`, and every section meets the nomination's floor.
//! - **Stage size** (`next_rule`): `next_size` from a ratio (进一法).
//! - **Rating** (`rating`): an evaluation by levels (优秀/称职/基本称职/
//!   不称职) or items (德、能、勤、绩、廉); the round's lines are its cells
//!   (`rules::rating`), a ballot ticks at most one level per row.
//! - **Cadre record** (`record`, `posts`, `deferred`): a nominee whose
//!   record (given, plus this meeting's own cadre votes) holds
//!   `max_failed_nominations` failed votes for the post is refused
//!   (`422 nomination_refused`, citing them); deferred nominees are not on
//!   the ballot and are recorded apart.

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde_json::{json, Map, Value};

use super::draft::{OrganisationRequest, SectionRequest};
use super::lookup::{enum_parse, facts, load_election, load_round, text, Loaded, Stage, MAX_NAME};
use super::result::signed_result;
use super::{Actor, Error, Kind, Tx};
use crate::log::event::Event;
use crate::log::stage::{Combined, GroupOf, NextRuleFacts, OrganisationFacts, PaperOf, StageFacts};
use crate::rules::method::MethodError;
use crate::rules::record::{Deferral, EarlierResult};
use crate::rules::stage::NextRule;
use crate::rules::tally::Counts;
use crate::rules::{ElectionMethod, RoundKind};
use crate::state::RoundState;
use crate::store;

/// The stage parts of `POST …/elections/{e}/rounds`, checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct Prepared {
    pub overrides: Option<Map<String, Value>>,
    pub method: Option<ElectionMethod>,
    pub facts: StageFacts,
}

/// The next size a rule gives (`next_rule`), checked; `given` must then be
/// absent or the same.
pub(crate) fn next_size_of(rule: &NextRuleFacts, given: Option<u64>) -> Result<u64, Error> {
    let r = NextRule::new(rule.ratio, rule.of)
        .map_err(|e| Error::invalid("next_rule", format!("next_rule：{e}"), e.to_string()))?;
    let size = r.size.min;
    if given.is_some_and(|g| g != size) {
        return Err(Error::invalid(
            "next_size",
            format!("下一阶段人数与所定比例不符：按比例应为 {size} 人"),
            format!("next_size differs from next_rule, which gives {size}"),
        ));
    }
    Ok(size)
}

/// The stage method of a new round (`method`), from the meeting's.
pub(crate) fn stage_method_of(
    base: &ElectionMethod,
    overrides: &Map<String, Value>,
) -> Result<ElectionMethod, Error> {
    use crate::rules::stage_method::{stage_parameter_zh, STAGE_PARAMETERS};
    crate::rules::stage_method::stage_method(base, overrides).map_err(|e| {
        let name = match &e {
            MethodError::UnknownParameter { name } | MethodError::BadParameter { name, .. } => {
                name.split('.').next().unwrap_or(name).to_string()
            }
            MethodError::UnknownPreset { .. } => String::new(),
        };
        let zh = match stage_parameter_zh(&name) {
            Some(label) => format!("本阶段选举办法的“{label}”填写有误，须为该项允许的取值"),
            None => format!(
                "这一项由大会通过的选举办法统一规定，本阶段不能另定；本阶段可以另定的只有：{}",
                STAGE_PARAMETERS
                    .iter()
                    .filter_map(|p| stage_parameter_zh(p))
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        };
        let field = if name.is_empty() {
            "method".to_string()
        } else {
            format!("method.{name}")
        };
        Error::new(
            Kind::Unprocessable,
            "bad_method_parameter",
            zh,
            format!("stage method: {e}"),
        )
        .at(field)
    })
}

/// The failed votes of this meeting's own closed cadre rounds, per nominee
/// and post (the post is the contest), in the record's shape.
fn own_record(conn: &Connection, meeting: &str) -> Result<Vec<EarlierResult>, Error> {
    let mut out = Vec::new();
    for row in store::round::rounds(conn, meeting, None)? {
        if row.kind != "cadre" || row.state != RoundState::Closed {
            continue;
        }
        let l = super::lookup::loaded(conn, meeting, row)?;
        let Ok(result) = signed_result(conn, meeting, &l) else {
            continue;
        };
        if result["status"] != "complete" {
            continue;
        }
        let elected: Vec<&str> = result["elected"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for row in result["tally"].as_array().into_iter().flatten() {
            let Some(name) = row["name"].as_str() else {
                continue;
            };
            let post = l
                .stage
                .facts
                .posts
                .get(name)
                .cloned()
                .unwrap_or_else(|| l.contest.clone());
            out.push(EarlierResult {
                nominee: name.to_string(),
                post,
                meeting: format!(
                    "本次会议{}第{}轮",
                    l.contest,
                    round_number(conn, meeting, &l.row)?
                ),
                for_votes: row["for"].as_u64().unwrap_or(0),
                against: row["against"].as_u64().unwrap_or(0),
                abstain: row["abstain"].as_u64().unwrap_or(0),
                entitled: l.row.entitled.unwrap_or(0),
                passed: elected.contains(&name),
            });
        }
    }
    Ok(out)
}

/// The 1-based number of a round in its election, as people name it
/// ("第 2 轮"; the screens count the same way, web/rounds.js).
pub(crate) fn round_number(
    conn: &Connection,
    meeting: &str,
    row: &store::round::RoundRow,
) -> Result<usize, Error> {
    let rows = store::round::rounds(conn, meeting, Some(&row.election))?;
    Ok(rows
        .iter()
        .position(|r| r.id == row.id)
        .map_or(0, |i| i + 1))
}

/// The nominees of a cadre vote its record refuses (given, plus this
/// meeting's own closed cadre votes): the one rule for creating and
/// opening the round and for the `stage.refused` a draft shows.
fn cadre_refusals(
    conn: &Connection,
    meeting: &str,
    method: &ElectionMethod,
    contest: &str,
    candidates: &[String],
    record: &[EarlierResult],
    posts: &BTreeMap<String, String>,
) -> Result<Vec<crate::rules::record::Refusal>, Error> {
    let mut all = record.to_vec();
    all.extend(own_record(conn, meeting)?);
    Ok(crate::rules::record::refusals(
        candidates,
        |n| posts.get(n).cloned().unwrap_or_else(|| contest.to_string()),
        &all,
        method.max_failed_nominations,
    ))
}

/// What opening a draft cadre vote would refuse now (`stage.refused`):
/// a nominee may have failed a second time since the draft was made.
/// Empty for any other round.
pub(crate) fn refused_now(
    conn: &Connection,
    meeting: &str,
    l: &Loaded,
    method: Option<&ElectionMethod>,
) -> Result<Value, Error> {
    let Some(method) = method else {
        return Ok(json!([]));
    };
    if l.kind != RoundKind::Cadre || l.row.state != RoundState::Draft {
        return Ok(json!([]));
    }
    let f = &l.stage.facts;
    let refused = cadre_refusals(
        conn,
        meeting,
        method,
        &l.contest,
        &l.candidates,
        &f.record,
        &f.posts,
    )?;
    serde_json::to_value(refused).map_err(Error::internal)
}

/// The qualification review that made this round's list (`amended_by`):
/// the latest `review` decision of an earlier round of the election whose
/// amended list is this round's list (in any order, as `list_not_accepted`
/// requires), as logged, with the number of the round it was taken on;
/// `null` when the list was not amended.
pub(crate) fn amended_by(conn: &Connection, meeting: &str, l: &Loaded) -> Result<Value, Error> {
    let rows = store::round::rounds(conn, meeting, Some(&l.row.election))?;
    // A rated evaluation's lines are cells: its list is its people.
    let mut mine = match &l.stage.facts.rating {
        Some(r) => r.people.clone(),
        None => l.candidates.clone(),
    };
    mine.sort();
    let mut found = Value::Null;
    for (i, row) in rows.iter().enumerate() {
        if row.id == l.row.id {
            break;
        }
        let decisions: Vec<Value> = serde_json::from_str(&row.decisions).unwrap_or_default();
        for d in decisions.iter().filter(|d| d["decision"] == "review") {
            let mut list: Vec<String> = d["list"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            list.sort();
            if list == mine {
                found = json!({ "round": row.id, "number": i + 1, "review": d });
            }
        }
    }
    Ok(found)
}

/// Checks a cadre vote's record and deferrals; refuses a nominee the
/// record forbids (`422 nomination_refused`, with the earlier results).
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_cadre(
    conn: &Connection,
    meeting: &str,
    method: &ElectionMethod,
    kind: RoundKind,
    contest: &str,
    candidates: &[String],
    record: &mut Vec<EarlierResult>,
    posts: &BTreeMap<String, String>,
    deferred: &[Deferral],
) -> Result<(), Error> {
    if kind != RoundKind::Cadre && (!record.is_empty() || !posts.is_empty() || !deferred.is_empty())
    {
        return Err(Error::invalid(
            "record",
            "提名记录、拟任职务和暂缓表决只适用于干部任用票决",
            "record, posts and deferred apply to a cadre vote only",
        ));
    }
    for (i, d) in deferred.iter().enumerate() {
        text(&format!("deferred[{i}].reason"), &d.reason, 500)?;
        if candidates.contains(&d.nominee) {
            return Err(Error::invalid(
                format!("deferred[{i}].nominee"),
                format!("{} 已暂缓表决，本次会议不作投票，不能列在票上", d.nominee),
                format!(
                    "{} is deferred: not voted at this meeting, so not on the ballot",
                    d.nominee
                ),
            ));
        }
    }
    for (k, _) in posts.iter() {
        if !candidates.contains(k) {
            return Err(Error::invalid(
                "posts",
                format!("拟任职务所列的 {k} 不在表决名单上"),
                format!("posts names {k}, who is not on the list"),
            ));
        }
    }
    if kind != RoundKind::Cadre {
        return Ok(());
    }
    let refused = cadre_refusals(conn, meeting, method, contest, candidates, record, posts)?;
    if let Some(r) = refused.first() {
        let cites: Vec<String> = r
            .failed
            .iter()
            .map(|f| {
                format!(
                    "{}：同意{}、不同意{}、弃权{}（应到{}）",
                    f.meeting, f.for_votes, f.against, f.abstain, f.entitled
                )
            })
            .collect();
        return Err(Error::new(
            Kind::Unprocessable,
            "nomination_refused",
            format!(
                "{} 已{}次未获通过{}职位，不得再提名为同一职位人选：{}",
                r.nominee,
                r.failed.len(),
                r.post,
                cites.join("；")
            ),
            format!(
                "{} failed {} times for {}, and may not be nominated for it again",
                r.nominee,
                r.failed.len(),
                r.post
            ),
        )
        .at("candidates")
        .with(json!({ "refused": refused })));
    }
    // The meeting's own votes are logged already; the record keeps what
    // was given, so the verifier can add the same votes from the log.
    let _ = record;
    Ok(())
}

/// Reads `groups` and `organisation` of a new round.
pub(crate) fn check_groups(
    kind: RoundKind,
    groups: &[String],
    organisation: Option<&OrganisationRequest>,
    candidates: &[String],
) -> Result<(Vec<String>, Option<OrganisationFacts>), Error> {
    if !matches!(kind, RoundKind::Nomination | RoundKind::Evaluation) {
        return Err(Error::invalid(
            "groups",
            "分组推荐或测评只适用于推荐和测评轮次",
            "groups apply to nomination and evaluation rounds only",
        ));
    }
    if groups.len() > 16 {
        return Err(Error::invalid(
            "groups",
            "分组最多16个",
            "at most 16 groups",
        ));
    }
    let mut names = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let n = text(&format!("groups[{i}]"), g, MAX_NAME)?;
        if names.contains(&n) {
            return Err(Error::invalid(
                format!("groups[{i}]"),
                format!("分组 {n} 重复"),
                format!("group {n} is given twice"),
            ));
        }
        names.push(n);
    }
    let org = match organisation {
        None => None,
        Some(o) => {
            if kind != RoundKind::Nomination {
                return Err(Error::invalid(
                    "organisation",
                    "党组织推荐只适用于推荐轮次",
                    "the organisation's nominees apply to a nomination round only",
                ));
            }
            let mut nominees = Vec::new();
            for (i, n) in o.nominees.iter().enumerate() {
                let n = text(&format!("organisation.nominees[{i}]"), n, MAX_NAME)?;
                if candidates.contains(&n) || nominees.contains(&n) {
                    return Err(Error::invalid(
                        format!("organisation.nominees[{i}]"),
                        format!("党组织推荐人选 {n} 直接列入名单，不再列在推荐票上，也不能重复"),
                        format!("{n} is listed directly by the organisation, so not on the nomination ballot, and only once"),
                    ));
                }
                nominees.push(n);
            }
            let name = match &o.name {
                Some(n) => text("organisation.name", n, MAX_NAME)?,
                None => "党组织推荐".to_string(),
            };
            Some(OrganisationFacts { name, nominees })
        }
    };
    Ok((names, org))
}

/// The places the vote fills when the organisation lists `listed` names
/// directly, of a list of `size`.
pub(crate) fn vote_places(method: &ElectionMethod, size: u64, listed: u64) -> u64 {
    match method.organisation_nominees {
        crate::rules::groups::OrganisationNominees::WithinList => size.saturating_sub(listed),
        crate::rules::groups::OrganisationNominees::BeyondList => size,
    }
}

/// Saves a new round's stage and logs its stage method, if any.
pub(crate) fn after_create(
    tx: &mut Tx<'_>,
    actor: &Actor,
    round: &str,
    prepared: &Prepared,
) -> Result<(), Error> {
    let stage = Stage {
        overrides: prepared.overrides.clone(),
        method: prepared.method.clone(),
        facts: prepared.facts.clone(),
        replaced: None,
        voted: None,
    };
    if stage == Stage::default() {
        return Ok(());
    }
    stage.save(tx, round)?;
    if let (Some(o), Some(m)) = (&prepared.overrides, &prepared.method) {
        tx.log(
            Some(actor.role),
            &Event::StageMethodAdopted {
                round: round.to_string(),
                overrides: o.clone(),
                method: Box::new(m.clone()),
                by: Some(actor.name.clone()),
            },
        )?;
    }
    Ok(())
}

/// A round called by a decision on `parent` (runoff, supplementary,
/// re-run) keeps the parent's stage method; a re-run of a group round is
/// a round of the same group of the same combination (its own electorate,
/// its own floor), which the combination then counts in its place
/// ([`groups_in_force`]). The verifier follows the same rule.
pub(crate) fn inherit(tx: &Tx<'_>, parent: &Loaded, child: &str) -> Result<(), Error> {
    let rerun = store::round::round(&tx.tx, tx.meeting(), child)?
        .and_then(|r| r.origin_decision)
        .and_then(|d| serde_json::from_str::<Value>(&d).ok())
        .is_some_and(|d| d["decision"] == "rerun");
    let group = parent.stage.facts.group.clone().filter(|_| rerun);
    if parent.stage.method.is_none() && group.is_none() {
        return Ok(());
    }
    let stage = Stage {
        overrides: parent.stage.overrides.clone(),
        method: parent.stage.method.clone(),
        facts: StageFacts {
            group,
            ..StageFacts::default()
        },
        ..Stage::default()
    };
    stage.save(tx, child)
}

/// `POST …/rounds/{r}/open` beyond `issued`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OpenFacts {
    pub entitled: u64,
    pub present: u64,
    pub issued: u64,
}

/// The facts a round opens with: the meeting's attendance; a group's own
/// electorate; a combined round's sums of its groups; a paper section's
/// issue shared with the sections already open.
#[allow(clippy::too_many_arguments)]
pub(crate) fn open_facts(
    conn: &Connection,
    meeting: &str,
    meeting_entitled: u64,
    meeting_present: Option<u64>,
    l: &Loaded,
    issued: Option<u64>,
    entitled: Option<u64>,
    present: Option<u64>,
) -> Result<OpenFacts, Error> {
    let f = &l.stage.facts;
    if let Some(c) = &f.combined {
        let (mut e, mut p, mut i) = (0u64, 0u64, 0u64);
        for gl in groups_in_force(conn, meeting, c)? {
            e = e.saturating_add(gl.row.entitled.unwrap_or(0));
            p = p.saturating_add(gl.row.present.unwrap_or(0));
            i = i.saturating_add(gl.row.issued.unwrap_or(0));
        }
        if entitled.is_some() || present.is_some() || issued.is_some_and(|n| n != i) {
            return Err(Error::invalid(
                "issued",
                format!("汇总轮次的人数和票数为各组之和（发出选票 {i}），不另行填写"),
                format!("a combined round's facts are its groups' sums (issued {i}); give none"),
            ));
        }
        return Ok(OpenFacts {
            entitled: e,
            present: p,
            issued: i,
        });
    }
    let Some(issued) = issued else {
        return Err(Error::invalid(
            "issued",
            "须填写发出选票张数",
            "issued (ballots issued) is required",
        ));
    };
    if f.group.is_some() {
        let (Some(e), Some(p)) = (entitled, present) else {
            return Err(Error::invalid(
                "entitled",
                "分组推荐的轮次须填写本组应参加人数和实参加人数",
                "a group round needs its own electorate: entitled and present",
            ));
        };
        if p > e {
            return Err(Error::invalid(
                "present",
                format!("实参加 {p} 多于应参加 {e}"),
                format!("{p} present is more than the {e} entitled"),
            ));
        }
        return Ok(OpenFacts {
            entitled: e,
            present: p,
            issued,
        });
    }
    if entitled.is_some() || present.is_some() {
        return Err(Error::invalid(
            "entitled",
            "应到、实到人数取自会议签到；只有分组轮次另行填写",
            "entitled and present come from the meeting's attendance; only a group round gives its own",
        ));
    }
    let present = meeting_present.ok_or_else(|| {
        Error::conflict(
            "attendance_not_recorded",
            "尚未登记实到会人数",
            "attendance has not been recorded",
        )
    })?;
    if let Some(p) = &f.paper {
        for s in &p.sections {
            if s == &l.row.id {
                continue;
            }
            let sl = load_round(conn, meeting, s)?;
            if let Some(other) = sl.row.issued.filter(|n| *n != issued) {
                return Err(Error::invalid(
                    "issued",
                    format!("同一张选票的各部分发出选票数须相同：{s} 为 {other}"),
                    format!(
                        "every section of one paper has the same ballots issued: {s} has {other}"
                    ),
                ));
            }
        }
    }
    Ok(OpenFacts {
        entitled: meeting_entitled,
        present,
        issued,
    })
}

/// Logs the round's procedure facts (before its `round_opened`). A cadre
/// vote is checked against the record again: a nominee may have failed a
/// second time since the draft was made.
pub(crate) fn log_facts(
    tx: &mut Tx<'_>,
    actor: &Actor,
    l: &Loaded,
    method: &ElectionMethod,
) -> Result<(), Error> {
    if l.kind == RoundKind::Cadre {
        let f = &l.stage.facts;
        let mut record = f.record.clone();
        check_cadre(
            &tx.tx,
            tx.meeting(),
            method,
            l.kind,
            &l.contest,
            &l.candidates,
            &mut record,
            &f.posts,
            &f.deferred,
        )?;
    }
    if l.stage.facts.is_empty() {
        return Ok(());
    }
    tx.log(
        Some(actor.role),
        &Event::StageRecorded {
            round: l.row.id.clone(),
            facts: Box::new(l.stage.facts.clone()),
            by: Some(actor.name.clone()),
        },
    )?;
    Ok(())
}

/// What closing a round records beyond `returned`: replacement ballots
/// and the number who voted, the same for every section of a paper; a
/// combined round's counts (the sums of its groups' signed counts) and
/// its returned (their sum).
pub(crate) fn close_facts(
    conn: &Connection,
    meeting: &str,
    l: &mut Loaded,
    returned: u64,
    replaced: Option<u64>,
    voted: Option<u64>,
) -> Result<Option<Counts>, Error> {
    if let Some(p) = l.stage.facts.paper.clone() {
        for s in &p.sections {
            if s == &l.row.id {
                continue;
            }
            let sl = load_round(conn, meeting, s)?;
            if sl.row.state != RoundState::Closed {
                continue;
            }
            let same = sl.row.returned == Some(returned)
                && sl.stage.replaced == replaced
                && sl.stage.voted == voted;
            if !same {
                return Err(Error::invalid(
                    "returned",
                    format!(
                        "同一张选票的各部分收回选票、更换选票和投票人数须相同：{s} 为收回 {}、更换 {}、投票 {}",
                        sl.row.returned.unwrap_or(0),
                        sl.stage.replaced.unwrap_or(0),
                        sl.stage.voted.map_or("未记录".to_string(), |v| v.to_string())
                    ),
                    format!("every section of one paper has the same returned, replaced and voted: see {s}"),
                ));
            }
        }
    }
    l.stage.replaced = replaced;
    l.stage.voted = voted;
    // The facts must agree (replaced ≤ issued, voted ≤ min(present, issued)).
    facts(l, Some(returned))?.validate().map_err(|e| {
        let field = e.field.strip_prefix("round.").unwrap_or(e.field);
        Error::invalid(field, format!("{field}：{}", e.message), e.message.clone())
    })?;
    let Some(c) = l.stage.facts.combined.clone() else {
        return Ok(None);
    };
    let mut sum = 0u64;
    let mut all = Vec::new();
    for gl in groups_in_force(conn, meeting, &c)? {
        let g = &gl.row.id;
        sum = sum.saturating_add(gl.row.returned.unwrap_or(0));
        let Some(t) = gl.row.tally_index else {
            return Err(Error::internal(format!("group round {g} has no tally")));
        };
        let record = super::result::logged_record(conn, meeting, g, t)?
            .ok_or_else(|| Error::internal(format!("group round {g}: no signed record")))?;
        all.push(crate::log::record::counts(&record));
    }
    if returned != sum {
        return Err(Error::invalid(
            "returned",
            format!("汇总轮次收回选票为各组之和 {sum}"),
            format!("a combined round's returned is its groups' sum, {sum}"),
        ));
    }
    let refs: Vec<&Counts> = all.iter().collect();
    Ok(Some(crate::rules::groups::sum_counts(
        &refs,
        l.candidates.len(),
    )))
}

/// The stage of a round as `GET …/rounds/{r}` shows it; `null` when
/// there is none.
pub(crate) fn stage_json(l: &Loaded, method: Option<&ElectionMethod>) -> Value {
    let s = &l.stage;
    if *s == Stage::default() {
        return Value::Null;
    }
    let next_rule = s.facts.next_rule.and_then(|r| {
        NextRule::new(r.ratio, r.of).ok().map(|n| {
            json!({
                "ratio": r.ratio, "of": r.of, "size": n.size,
                "rule_zh": r.ratio.describe_zh(r.of), "rule_en": r.ratio.describe_en(r.of),
            })
        })
    });
    let organisation = s
        .facts
        .combined
        .as_ref()
        .and_then(|c| c.organisation.as_ref());
    json!({
        "method": s.overrides.as_ref().map(|o| json!({
            "overrides": o,
            "effective": s.method,
        })),
        "group": s.facts.group,
        "combined": s.facts.combined,
        "organisation": organisation,
        "placement": organisation.and(method.map(|m| m.organisation_nominees)),
        "paper": s.facts.paper,
        "next_rule": next_rule,
        "record": s.facts.record,
        "posts": s.facts.posts,
        "deferred": s.facts.deferred,
        "rating": s.facts.rating.as_ref().map(|r| json!({
            "people": r.people, "levels": r.levels, "items": r.items,
            "approve": r.approve, "disapprove": r.disapprove,
            "rule_zh": r.describe_zh(), "rule_en": r.describe_en(),
        })),
        "replaced": s.replaced,
        "voted": s.voted,
    })
}

/// The group rounds' results of a combined round, as posted apart (for
/// the combined round's result): `[{round, number, named, name, state,
/// result, superseded}]`, each group as the combination counts it — the
/// latest re-run of the round it names ([`groups_in_force`]'s rule),
/// with the earlier rounds of its chain as `superseded` (`[{round,
/// number, status}]`, oldest first; `status` that of its signed result,
/// `no_quorum` or `void`).
pub(crate) fn group_results(conn: &Connection, meeting: &str, l: &Loaded) -> Result<Value, Error> {
    let Some(c) = &l.stage.facts.combined else {
        return Ok(Value::Null);
    };
    let mut out = Vec::new();
    for named in &c.groups {
        let chain = group_chain(conn, meeting, named)?;
        let mut superseded = Vec::new();
        for id in &chain[..chain.len().saturating_sub(1)] {
            let sl = load_round(conn, meeting, id)?;
            // A superseded round is closed: a re-run is decided on its
            // signed result.
            let status = match sl.row.state {
                RoundState::Closed => signed_result(conn, meeting, &sl)?["status"].clone(),
                _ => Value::Null,
            };
            superseded.push(json!({
                "round": id,
                "number": round_number(conn, meeting, &sl.row)?,
                "status": status,
            }));
        }
        let current = chain.last().unwrap_or(named);
        let gl = load_round(conn, meeting, current)?;
        let result = if gl.row.state == RoundState::Closed {
            signed_result(conn, meeting, &gl)?
        } else {
            Value::Null
        };
        out.push(json!({
            "round": current,
            "number": round_number(conn, meeting, &gl.row)?,
            "named": named,
            "name": gl.stage.facts.group.as_ref().map(|x| x.name.clone()),
            "state": gl.row.state,
            "result": result,
            "superseded": superseded,
        }));
    }
    Ok(Value::Array(out))
}

/// The round a `rerun` decision on round `id` created, if any.
fn rerun_of(conn: &Connection, meeting: &str, id: &str) -> Result<Option<String>, Error> {
    let Some(row) = store::round::round(conn, meeting, id)? else {
        return Ok(None);
    };
    let decisions: Vec<Value> = serde_json::from_str(&row.decisions).unwrap_or_default();
    Ok(decisions
        .iter()
        .find(|d| d["decision"] == "rerun")
        .and_then(|d| d["round"].as_str())
        .map(str::to_string))
}

/// Group round `named` followed through its re-runs
/// (`log::stage::rerun_chain`, the rule the verifier follows too): the
/// chain, `named` first, the round in force last.
pub(crate) fn group_chain(
    conn: &Connection,
    meeting: &str,
    named: &str,
) -> Result<Vec<String>, Error> {
    crate::log::stage::rerun_chain(named, |r| rerun_of(conn, meeting, r))
}

/// The group rounds a combination counts: for each round it names, the
/// latest re-run of it, which must be closed and held (not `no_quorum`,
/// `void` or `list_rejected`) — the one rule of opening and closing a
/// combined round (`log::stage::rerun_chain`). Refused (`409 group_not_held`) naming the
/// group and its round number otherwise: not counted yet, a re-run still
/// open, or held without its floor and not re-run.
fn groups_in_force(conn: &Connection, meeting: &str, c: &Combined) -> Result<Vec<Loaded>, Error> {
    let mut out = Vec::new();
    for named in &c.groups {
        let chain = group_chain(conn, meeting, named)?;
        let current = chain.last().unwrap_or(named);
        let gl = load_round(conn, meeting, current)?;
        let name = gl
            .stage
            .facts
            .group
            .as_ref()
            .map_or(String::new(), |g| g.name.clone());
        let n = round_number(conn, meeting, &gl.row)?;
        let rerun = chain.len() > 1;
        let closed = gl.row.state == RoundState::Closed;
        let status = if closed {
            signed_result(conn, meeting, &gl)?["status"]
                .as_str()
                .unwrap_or("")
                .to_string()
        } else {
            String::new()
        };
        let refuse = |zh: String, en: String| {
            Error::conflict("group_not_held", zh, en).with(json!({
                "group": name, "round": current, "number": n, "chain": chain,
            }))
        };
        if !closed {
            return Err(if rerun {
                refuse(
                    format!("“{name}”的重新推荐（第 {n} 轮）尚未结束计票，汇总须待重新推荐计票完毕"),
                    format!("the re-run of group {name} (round {n}) is not closed yet; the combination waits for it"),
                )
            } else {
                refuse(
                    format!("“{name}”（第 {n} 轮）尚未结束计票，汇总须待各组推荐均已有效进行并计票"),
                    format!("group {name} (round {n}) is not closed yet; the combination waits for every group"),
                )
            });
        }
        if matches!(status.as_str(), "no_quorum" | "void" | "list_rejected") {
            return Err(refuse(
                format!("“{name}”（第 {n} 轮）未达到参加人数要求或投票无效，须经主席团决定重新推荐，汇总计入重新推荐的结果"),
                format!("group {name} (round {n}) was not held ({status}); the presidium may re-run it, and the combination counts the re-run"),
            ));
        }
        out.push(gl);
    }
    Ok(out)
}

/// The proposed list of a combined round with the organisation's
/// nominees: they first, then the vote's list.
pub(crate) fn with_organisation(l: &Loaded, list: Vec<String>) -> Vec<String> {
    match l
        .stage
        .facts
        .combined
        .as_ref()
        .and_then(|c| c.organisation.as_ref())
    {
        Some(o) => {
            let mut all = o.nominees.clone();
            all.extend(list);
            all
        }
        None => list,
    }
}

/// Builds the stage facts of group rounds and their combination.
pub(crate) fn group_facts(
    combined_id: &str,
    group_ids: &[String],
    names: &[String],
    organisation: Option<OrganisationFacts>,
) -> (StageFacts, Vec<StageFacts>) {
    let combined = StageFacts {
        combined: Some(Combined {
            groups: group_ids.to_vec(),
            organisation,
        }),
        ..StageFacts::default()
    };
    let groups = names
        .iter()
        .map(|n| StageFacts {
            group: Some(GroupOf {
                of: combined_id.to_string(),
                name: n.clone(),
            }),
            ..StageFacts::default()
        })
        .collect();
    (combined, groups)
}

/// The paper facts of its section rounds.
pub(crate) fn paper_facts(section_ids: &[String]) -> PaperOf {
    PaperOf {
        paper: format!("paper-{}", section_ids.first().map_or("", |s| s.as_str())),
        sections: section_ids.to_vec(),
    }
}

/// The stage clauses of the 选举办法: each round that adopted its own
/// method parts, with its clauses, printed once for its stage; a stage
/// held by groups then lists each group round (and each re-run of one,
/// in the order of its chain) with only what is its own — its electorate
/// and its floor (`report::procedures::group_clause`).
pub(crate) fn method_text(
    conn: &Connection,
    meeting: &str,
    base: &ElectionMethod,
    lang: crate::report::Lang,
) -> Result<String, Error> {
    let mut out = String::new();
    for row in store::round::rounds(conn, meeting, None)? {
        let stage = Stage::load(conn, meeting, &row.id)?;
        // A group round's clauses are its stage's, printed with it.
        if stage.facts.group.is_some() {
            continue;
        }
        let number = round_number(conn, meeting, &row)?;
        if let Some(r) = &stage.facts.rating {
            let e = load_election(conn, meeting, &row.election)?;
            out.push_str(&match lang {
                crate::report::Lang::Zh => format!(
                    "\n{}（第 {} 轮）测评办法：{}。\n",
                    e.contest,
                    number,
                    r.describe_zh()
                ),
                crate::report::Lang::En => format!(
                    "\n{} (round {}) rating: {}.\n",
                    e.contest,
                    number,
                    r.describe_en()
                ),
            });
        }
        let own = matches!((&stage.method, &stage.overrides), (Some(_), Some(_)));
        if !own && stage.facts.combined.is_none() {
            continue;
        }
        let e = load_election(conn, meeting, &row.election)?;
        let kind: RoundKind = enum_parse(&row.kind)?;
        if let (Some(m), true) = (&stage.method, own) {
            out.push_str(&crate::report::procedures::stage_clauses(
                &e.contest, kind, number, base, m, lang,
            ));
        }
        let Some(c) = &stage.facts.combined else {
            continue;
        };
        out.push_str(&crate::report::procedures::groups_heading(
            &e.contest, kind, number, own, lang,
        ));
        for named in &c.groups {
            let chain = group_chain(conn, meeting, named)?;
            let mut before: Option<usize> = None;
            for id in &chain {
                let gl = load_round(conn, meeting, id)?;
                let n = round_number(conn, meeting, &gl.row)?;
                let floor = gl.stage.method.as_ref().unwrap_or(base).participation_floor;
                let clause = crate::report::procedures::GroupClause {
                    name: gl
                        .stage
                        .facts
                        .group
                        .as_ref()
                        .map_or(String::new(), |g| g.name.clone()),
                    round: n,
                    rerun_of: before,
                    entitled: gl.row.entitled,
                    floor,
                };
                out.push_str(&crate::report::procedures::group_clause(&clause, lang));
                before = Some(n);
            }
        }
    }
    Ok(out)
}

/// `POST …/rounds` with `sections`: one draft round per section, each in
/// its own election, bound as one paper. Returns the first section's
/// round and the paper (the reply shows them).
#[allow(clippy::too_many_arguments)]
pub(crate) fn create_paper(
    tx: &mut Tx<'_>,
    actor: &Actor,
    election: &str,
    m: &store::meeting::MeetingRow,
    method: &ElectionMethod,
    req: &super::draft::NewRound,
    sections: &[SectionRequest],
    prepared: &Prepared,
) -> Result<(Loaded, PaperOf), Error> {
    if sections.len() < 2 || sections.len() > crate::rules::paper::MAX_SECTIONS {
        return Err(Error::invalid(
            "sections",
            format!("一张选票须有2至{}个部分", crate::rules::paper::MAX_SECTIONS),
            format!(
                "a paper has 2 to {} sections",
                crate::rules::paper::MAX_SECTIONS
            ),
        ));
    }
    if !req.candidates.is_empty()
        || req.seats.is_some()
        || req.groups.is_some()
        || !req.record.is_empty()
        || !req.deferred.is_empty()
    {
        return Err(Error::invalid(
            "sections",
            "一张选票分几部分选举时，候选人和名额须逐部分列出，不在整张选票上填写",
            "a paper gives candidates and seats per section, in sections",
        ));
    }
    if !matches!(
        req.kind,
        RoundKind::Formal | RoundKind::Preliminary | RoundKind::Nomination
    ) {
        return Err(Error::invalid(
            "kind",
            "一票多部分只适用于推荐、预选和正式选举",
            "a paper of several contests is a nomination, preliminary or formal ballot",
        ));
    }
    if req.next_size.is_some() || req.next_rule.is_some() {
        let field = if req.next_rule.is_some() {
            "next_rule"
        } else {
            "next_size"
        };
        return Err(Error::invalid(
            field,
            "一张选票分几部分时，下一阶段人数须在各部分中分别填写，不在整张选票上填写",
            "a paper gives each section's next_size (or next_rule) in sections",
        ));
    }
    if sections[0].election != election {
        return Err(Error::invalid(
            "sections[0].election",
            format!("第一部分须为本选举 {election}"),
            format!("the first section is this election, {election}"),
        ));
    }
    let mut ids = Vec::new();
    for (i, s) in sections.iter().enumerate() {
        if sections[..i].iter().any(|o| o.election == s.election) {
            return Err(Error::invalid(
                format!("sections[{i}].election"),
                format!("选举 {} 在同一张选票上出现两次", s.election),
                format!("election {} is on the paper twice", s.election),
            ));
        }
        let in_section = |e: Error| {
            let field = match &e.field {
                Some(f) => format!("sections[{i}].{f}"),
                None => format!("sections[{i}]"),
            };
            e.at(field)
        };
        // A section's own next stage (a post level's list, RULES §9.1),
        // as a single round takes it.
        let next_size = match &s.next_rule {
            Some(rule) => Some(next_size_of(rule, s.next_size).map_err(in_section)?),
            None => s.next_size,
        };
        let row = super::draft::draft_checked(
            tx,
            &s.election,
            req.kind,
            &s.candidates,
            None,
            s.seats,
            next_size,
            method,
            m.entitled,
        )
        .map_err(in_section)?;
        ids.push((row.id, s.next_rule));
    }
    let paper = paper_facts(&ids.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>());
    for (id, next_rule) in &ids {
        let mut p = prepared.clone();
        p.facts.paper = Some(paper.clone());
        p.facts.next_rule = *next_rule;
        after_create(tx, actor, id, &p)?;
    }
    let meeting = tx.meeting().to_string();
    let l = load_round(&tx.tx, &meeting, &ids[0].0)?;
    Ok((l, paper))
}

/// `POST …/rounds` with `groups`: the combined round, then one round per
/// group. Returns the combined round (the reply shows it).
#[allow(clippy::too_many_arguments)]
pub(crate) fn create_groups(
    tx: &mut Tx<'_>,
    actor: &Actor,
    election: &str,
    m: &store::meeting::MeetingRow,
    method: &ElectionMethod,
    req: &super::draft::NewRound,
    groups: &[String],
    prepared: &Prepared,
) -> Result<Loaded, Error> {
    let (names, organisation) =
        check_groups(req.kind, groups, req.organisation.as_ref(), &req.candidates)?;
    if names.is_empty() {
        return Err(Error::invalid(
            "groups",
            "至少一个分组",
            "at least one group",
        ));
    }
    if !req.record.is_empty() || !req.deferred.is_empty() {
        return Err(Error::invalid(
            "record",
            "提名记录和暂缓表决只适用于干部任用票决",
            "record and deferred apply to a cadre vote only",
        ));
    }
    let listed = organisation.as_ref().map_or(0, |o| o.nominees.len() as u64);
    let next_size = req.next_size.map(|n| vote_places(method, n, listed));
    if let (Some(n), Some(_)) = (req.next_size, &organisation) {
        if method.organisation_nominees == crate::rules::groups::OrganisationNominees::WithinList
            && listed > n
        {
            return Err(Error::invalid(
                "organisation.nominees",
                format!("党组织推荐 {listed} 名，多于名单人数 {n}"),
                format!("{listed} organisation nominees, more than the list of {n}"),
            ));
        }
    }
    let combined = super::draft::draft_checked(
        tx,
        election,
        req.kind,
        &req.candidates,
        None,
        req.seats,
        next_size,
        method,
        m.entitled,
    )?;
    let mut ids = Vec::new();
    for _ in &names {
        let row = super::draft::draft_checked(
            tx,
            election,
            req.kind,
            &req.candidates,
            None,
            req.seats,
            next_size,
            method,
            m.entitled,
        )?;
        ids.push(row.id);
    }
    let (cf, gf) = group_facts(&combined.id, &ids, &names, organisation);
    let mut p = prepared.clone();
    p.facts.combined = cf.combined;
    after_create(tx, actor, &combined.id, &p)?;
    for (id, f) in ids.iter().zip(gf) {
        let mut p = prepared.clone();
        p.facts = StageFacts {
            group: f.group,
            ..StageFacts::default()
        };
        after_create(tx, actor, id, &p)?;
    }
    let meeting = tx.meeting().to_string();
    load_round(&tx.tx, &meeting, &combined.id)
}

/// The rating of a new evaluation round (`rating`), checked; its cells
/// become the round's lines.
pub(crate) fn rating_of(
    req: &super::draft::NewRound,
    spec: &crate::rules::rating::RatingSpec,
) -> Result<crate::rules::rating::Rating, Error> {
    if req.kind != RoundKind::Evaluation || req.groups.is_some() || req.sections.is_some() {
        return Err(Error::invalid(
            "rating",
            "分等次或分项测评只适用于测评轮次（不分组、不分部分）",
            "a rating by levels or items is an evaluation round (not by groups, not a paper)",
        ));
    }
    let mut people = Vec::new();
    for (i, c) in req.candidates.iter().enumerate() {
        people.push(text(&format!("candidates[{i}]"), c, MAX_NAME)?);
    }
    let rating = crate::rules::rating::Rating::new(&people, spec).map_err(|e| {
        let field = e.split(':').next().unwrap_or("rating").to_string();
        Error::invalid(
            format!("rating.{field}"),
            format!("测评等次：{e}"),
            format!("rating: {e}"),
        )
    })?;
    let cells = rating.rows() * rating.levels.len();
    if cells > super::draft::MAX_CANDIDATES {
        return Err(Error::invalid(
            "rating",
            format!(
                "测评表格过大：{cells} 格（人数×项目×等次），最多 {} 格",
                super::draft::MAX_CANDIDATES
            ),
            format!(
                "the rating table has {cells} cells (people × items × levels); at most {}",
                super::draft::MAX_CANDIDATES
            ),
        ));
    }
    Ok(rating)
}

/// Each ballot of a rated evaluation ticks at most one level per row, and
/// marks a cell ticked (`Y`) or blank (`A`) only.
pub(crate) fn check_rating_ballots(
    l: &Loaded,
    ballots: &[crate::rules::Ballot],
) -> Result<(), Error> {
    let Some(r) = &l.stage.facts.rating else {
        return Ok(());
    };
    for (i, b) in ballots.iter().enumerate() {
        if let crate::rules::Ballot::Marked { marks, .. } = b {
            r.check_marks(marks).map_err(|e| {
                Error::invalid(
                    format!("ballots[{i}]"),
                    format!(
                        "第{}张测评表：{e}（一行只能选一个等次，多选的该行作空白录入）",
                        i + 1
                    ),
                    format!("ballot {}: {e}", i + 1),
                )
            })?;
        }
    }
    Ok(())
}

/// The stage facts of round `l` as the election's page lists them
/// (`GET …/elections/{e}/result`, each round's `stage`), every round
/// named by its number in the election (`numbers`: round id → number):
/// what it is in its stage (`role`: `group`, with its `group` name, the
/// combination it is `of` and its own `electorate`; `combined`, with its `groups` as counted,
/// each with the rounds its re-runs superseded; `section` of a paper),
/// the next stage's size with its rule (`next_size`, `next_rule`), the
/// qualification review its list came from (`amended_by`) and the one
/// taken on it (`review`), and the re-run relation (`rerun_of`,
/// `superseded_by`). `null` for a round with none of these. `reasons`:
/// whether the review's decisions (with their reasons) are shown, or the
/// amended list only.
pub(crate) fn election_stage(
    conn: &Connection,
    meeting: &str,
    l: &Loaded,
    numbers: &BTreeMap<String, usize>,
    reasons: bool,
) -> Result<Value, Error> {
    let number = |id: &str| numbers.get(id).copied();
    let f = &l.stage.facts;
    let mut out = Map::new();
    if let Some(g) = &f.group {
        out.insert("role".into(), json!("group"));
        out.insert("group".into(), json!(g.name));
        out.insert("of".into(), json!(number(&g.of)));
        // A group's own: its electorate (once it opened); the next
        // stage's size is its combination's.
        if let (Some(e), Some(p)) = (l.row.entitled, l.row.present) {
            out.insert("electorate".into(), json!({ "entitled": e, "present": p }));
        }
    } else if let Some(c) = &f.combined {
        out.insert("role".into(), json!("combined"));
        let mut groups = Vec::new();
        for named in &c.groups {
            let chain = group_chain(conn, meeting, named)?;
            let current = chain.last().unwrap_or(named);
            let name = load_round(conn, meeting, current)?
                .stage
                .facts
                .group
                .map(|g| g.name);
            groups.push(json!({
                "name": name,
                "number": number(current),
                "superseded": chain[..chain.len().saturating_sub(1)]
                    .iter()
                    .map(|r| number(r))
                    .collect::<Vec<_>>(),
            }));
        }
        out.insert("groups".into(), Value::Array(groups));
        if let Some(o) = &c.organisation {
            out.insert(
                "organisation".into(),
                json!({ "name": o.name, "nominees": o.nominees }),
            );
        }
    } else if f.paper.is_some() {
        out.insert("role".into(), json!("section"));
    }
    if let Some(n) = l.row.next_size.filter(|_| f.group.is_none()) {
        out.insert("next_size".into(), json!(n));
    }
    if let Some(r) = f.next_rule {
        if let Ok(n) = NextRule::new(r.ratio, r.of) {
            out.insert(
                "next_rule".into(),
                json!({
                    "size": n.size.min,
                    "rule_zh": r.ratio.describe_zh(r.of),
                    "rule_en": r.ratio.describe_en(r.of),
                }),
            );
        }
    }
    let review_of = |d: &Value| {
        let mut v = json!({ "list": d["list"] });
        if reasons {
            v["decisions"] = d["decisions"].clone();
        }
        v
    };
    let a = amended_by(conn, meeting, l)?;
    if !a.is_null() {
        let mut v = review_of(&a["review"]);
        v["number"] = a["number"].clone();
        out.insert("amended_by".into(), v);
    }
    let decisions: Vec<Value> = serde_json::from_str(&l.row.decisions).unwrap_or_default();
    if let Some(d) = decisions.iter().find(|d| d["decision"] == "review") {
        out.insert("review".into(), review_of(d));
    }
    if let Some(d) = decisions.iter().find(|d| d["decision"] == "rerun") {
        out.insert(
            "superseded_by".into(),
            json!(d["round"].as_str().and_then(number)),
        );
    }
    let origin = l
        .row
        .origin_decision
        .as_deref()
        .and_then(|d| serde_json::from_str::<Value>(d).ok());
    if origin.is_some_and(|d| d["decision"] == "rerun") {
        out.insert(
            "rerun_of".into(),
            json!(l.row.parent.as_deref().and_then(number)),
        );
    }
    Ok(if out.is_empty() {
        Value::Null
    } else {
        Value::Object(out)
    })
}
