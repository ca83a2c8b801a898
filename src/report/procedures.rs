//! Reports of the procedures beyond one plain round (RULES §9): one paper
//! with several contests, as text and as the contract result JSON with a
//! `sections` array.
//!
//! Each section's own report is the one-round vote report
//! ([`super::vote_report::render`]) without its method section; the
//! method is printed once, at the end.

use serde::Serialize;

use crate::rules::groups::{GroupResult, OrganisationNominees};
use crate::rules::method::{BoxCheck, ElectionMethod};
use crate::rules::outcome::{BoxRuling, QuorumRuling, RoundResult, Row, Runoff, Status};
use crate::rules::paper::{section_names, Paper, PaperResult};
use crate::rules::procedure::Decision;
use crate::rules::record::{Deferral, Refusal};
use crate::rules::review::ReviewDecision;
use crate::rules::round::Round;
use crate::rules::roundfile::RoundFile;
use crate::rules::stage::NextRule;

use super::json::{self as result_json, ResultDoc};
use super::{method_text, shown, vote_report, Lang};

/// One round's vote report without the effective method at its end (the
/// caller prints it once).
pub fn report_without_method(
    method: &ElectionMethod,
    round: &Round,
    r: &RoundResult,
    lang: Lang,
) -> String {
    let full = vote_report::render(method, round, r, lang);
    let m = method_text::render(method, lang);
    match full.strip_suffix(m.as_str()) {
        // Drop the heading line that introduced the method.
        Some(body) => {
            let body = body.trim_end_matches('\n');
            match body.rfind('\n') {
                Some(i) => format!("{}\n", &body[..i]),
                None => String::new(),
            }
        }
        None => full,
    }
}

/// The stage-size rule of a next list, as printed beside it.
pub fn next_rule_line(rule: &NextRule, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!(
            "  下一阶段名单人数：{}。\n",
            rule.ratio.describe_zh(rule.of)
        ),
        Lang::En => format!("  Next list size: {}.\n", rule.ratio.describe_en(rule.of)),
    }
}

/// The vote report of a one-round file: the round's report, then what the
/// file adds (groups, the organisation's nominees, a next list's
/// stage-size rule, the qualification review, the nominee record), then
/// the method. A plain round file's report is exactly
/// [`vote_report::render`].
pub fn render_round(file: &RoundFile, d: &Decision, lang: Lang) -> String {
    let round = decided_round(file, d);
    let extra = extras_text(file, d, lang);
    if extra.is_empty() {
        return vote_report::render(&file.method, round, &d.result, lang);
    }
    let mut o = report_without_method(&file.method, round, &d.result, lang);
    if !d.refused.is_empty() && d.result.status == Status::ListRejected {
        // The list is refused by the record, not by a differential rule.
        let (status, step) = match lang {
            Lang::Zh => (
                "名单中有不得再提名为同一职位的人选，不能付诸表决（见附）",
                "调整候选人名单使其符合差额要求后，再付诸表决。",
            ),
            Lang::En => (
                "the list names a nominee who may not be nominated for the post again (see the annex)",
                "Revise the candidate list to meet the rule before any vote.",
            ),
        };
        o = o.replacen(
            lang.t(Status::ListRejected.zh(), Status::ListRejected.en()),
            status,
            1,
        );
        o = o.replacen(
            step,
            lang.t(
                "将不得再提名的人选移出名单后，再付诸表决。",
                "Take the nominee who may not be nominated off the list before any vote.",
            ),
            1,
        );
    }
    o.push_str(&format!(
        "{}\n{extra}\n",
        lang.t("附：本轮的其他程序", "Annex: the procedures of this round")
    ));
    o.push_str(&format!(
        "{}\n{}",
        lang.t("本轮适用的选举办法", "Effective method"),
        method_text::render(&file.method, lang)
    ));
    o
}

/// The round the result was decided on: the sums of the groups for a
/// round held by groups, the file's round otherwise.
fn decided_round<'a>(file: &'a RoundFile, d: &'a Decision) -> &'a Round {
    d.groups.as_ref().map(|g| &g.round).unwrap_or(&file.round)
}

fn extras_text(file: &RoundFile, d: &Decision, lang: Lang) -> String {
    let mut o = String::new();
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    if let Some(g) = &d.groups {
        if !file.extras.groups.is_empty() {
            o.push_str(&groups_text(file, g, lang));
        }
        if let Some(org) = &file.extras.organisation {
            let within = file.method.organisation_nominees
                == crate::rules::groups::OrganisationNominees::WithinList;
            o.push_str(&match lang {
                Lang::Zh => format!(
                    "  {}的人选，直接列入名单：{}（{}）。\n",
                    shown(&org.name),
                    join(&org.nominees, lang),
                    if within {
                        "占名单名额，其余名额按得票多少确定"
                    } else {
                        "不占按得票确定的名额"
                    }
                ),
                Lang::En => format!(
                    "  Nominees of the party organisation ({}), listed directly: {} ({}).\n",
                    shown(&org.name),
                    join(&org.nominees, lang),
                    if within {
                        "within the list; the vote fills the other places"
                    } else {
                        "beyond the places the vote fills"
                    }
                ),
            });
        }
    }
    if let Some(rule) = &file.next_rule {
        o.push_str(&next_rule_line(rule, lang));
    }
    if !file.extras.review.is_empty() {
        match &d.amended {
            Some(a) => {
                o.push_str(&format!("  {}\n", t("资格审查：", "Qualification review:")));
                for dec in &a.decisions {
                    o.push_str(&match lang {
                        Lang::Zh => format!(
                            "    {}：{}（{}；理由：{}）\n",
                            shown(&dec.name),
                            dec.action.zh(),
                            shown(&dec.by),
                            shown(&dec.reason)
                        ),
                        Lang::En => format!(
                            "    {}: {} ({}; reason: {})\n",
                            shown(&dec.name),
                            dec.action.en(),
                            shown(&dec.by),
                            shown(&dec.reason)
                        ),
                    });
                }
                o.push_str(&format!(
                    "  {}{}\n",
                    t("审查后的下一阶段名单：", "Next list as amended: "),
                    join(&a.list, lang)
                ));
            }
            None => o.push_str(&format!(
                "  {}\n",
                t(
                    "本轮未产生名单，资格审查不适用。",
                    "This round proposed no list: the review does not apply."
                )
            )),
        }
    }
    for r in &d.refused {
        let earlier: Vec<String> = r
            .failed
            .iter()
            .map(|e| match lang {
                Lang::Zh => format!(
                    "{}同意{}票、不同意{}票、弃权{}票，应到{}人，未通过",
                    if e.meeting.is_empty() {
                        "此前".to_string()
                    } else {
                        shown(&e.meeting).into_owned()
                    },
                    e.for_votes,
                    e.against,
                    e.abstain,
                    e.entitled
                ),
                Lang::En => format!(
                    "{}: {} for, {} against, {} abstaining of {} entitled, not passed",
                    if e.meeting.is_empty() {
                        "earlier".to_string()
                    } else {
                        shown(&e.meeting).into_owned()
                    },
                    e.for_votes,
                    e.against,
                    e.abstain,
                    e.entitled
                ),
            })
            .collect();
        o.push_str(&match lang {
            Lang::Zh => format!(
                "  不得再提名：{}已{}次未获通过{}职位（{}），按规定不得再提名为同一职位人选，名单不能付诸表决。\n",
                shown(&r.nominee),
                r.failed.len(),
                shown(&r.post),
                earlier.join("；")
            ),
            Lang::En => format!(
                "  May not be nominated again: {} failed {} times for {} ({}); the list cannot be voted on.\n",
                shown(&r.nominee),
                r.failed.len(),
                shown(&r.post),
                earlier.join("; ")
            ),
        });
    }
    for df in &file.extras.deferred {
        o.push_str(&match lang {
            Lang::Zh => format!(
                "  暂缓表决（缓议）：{}（理由：{}），本次会议不作投票，不计入弃权。\n",
                shown(&df.nominee),
                shown(&df.reason)
            ),
            Lang::En => format!(
                "  Deferred (缓议): {} (reason: {}); not voted at this meeting, not an abstention.\n",
                shown(&df.nominee),
                shown(&df.reason)
            ),
        });
    }
    o
}

fn join(names: &[String], lang: Lang) -> String {
    if names.is_empty() {
        return lang.t("无", "none").to_string();
    }
    names
        .iter()
        .map(|n| shown(n).into_owned())
        .collect::<Vec<_>>()
        .join(lang.t("、", ", "))
}

/// Each group's attendance, floor and for-votes beside the combined.
fn groups_text(file: &RoundFile, g: &GroupResult, lang: Lang) -> String {
    let mut o = String::new();
    o.push_str(&format!(
        "  {}\n",
        lang.t(
            "分组统计（各组分别公布，合计为各组之和）：",
            "By group (each posted separately; the combined is their sum):"
        )
    ));
    let group_names: Vec<String> = file
        .extras
        .groups
        .iter()
        .map(|grp| shown(&grp.name).into_owned())
        .collect();
    for ((_, r), name) in g.groups.iter().zip(&group_names) {
        let q = &r.quorum;
        o.push_str(&match lang {
            Lang::Zh => format!(
                "    {name}：应参加{}人，实参加{}人，须至少{}人，{}",
                q.entitled,
                q.present,
                q.required,
                if q.met {
                    "达到要求"
                } else {
                    "未达到要求"
                }
            ),
            Lang::En => format!(
                "    {name}: {} entitled, {} took part, at least {} needed: {}",
                q.entitled,
                q.present,
                q.required,
                if q.met { "met" } else { "not met" }
            ),
        });
        if let Some(b) = &r.ballot_box {
            o.push_str(&match lang {
                Lang::Zh => format!(
                    "；收回{}张，{}",
                    b.returned,
                    if b.valid {
                        "有效"
                    } else {
                        "多于规定，无效"
                    }
                ),
                Lang::En => format!(
                    "; {} returned, {}",
                    b.returned,
                    if b.valid { "valid" } else { "void" }
                ),
            });
        }
        if let Some(c) = &r.counts {
            o.push_str(&match lang {
                Lang::Zh => format!("；有效票{}张，无效票{}张", c.valid, c.invalid),
                Lang::En => format!("; {} valid, {} invalid", c.valid, c.invalid),
            });
        }
        o.push_str(lang.t("。\n", ".\n"));
    }
    if g.combined.rows.is_empty() {
        return o;
    }
    // Names as rows, groups then the combined as columns (for-votes).
    let mut header = format!("    {}", lang.t("姓名", "name"));
    for name in &group_names {
        header.push_str(&format!("  {name}"));
    }
    header.push_str(&format!("  {}", lang.t("合计", "combined")));
    o.push_str(&header);
    o.push('\n');
    for row in &g.combined.rows {
        let mut line = format!("    {}", shown(&row.name));
        if row.write_in {
            line.push_str(lang.t("（另提）", " (written)"));
        }
        for (_, r) in &g.groups {
            let n = r
                .rows
                .iter()
                .find(|x| x.name == row.name && x.write_in == row.write_in)
                .map(|x| x.count.for_votes)
                .unwrap_or(0);
            line.push_str(&format!("  {n}"));
        }
        line.push_str(&format!("  {}", row.count.for_votes));
        o.push_str(&line);
        o.push('\n');
    }
    o
}

/// The result JSON of a one-round file: CONTRACT §3 for the decided round
/// (the groups' sums for a round held by groups), plus what the file adds.
pub fn round_document<'a>(file: &'a RoundFile, d: &'a Decision) -> RoundDoc<'a> {
    RoundDoc {
        doc: result_json::document(&file.method, decided_round(file, d), &d.result),
        next_rule: file.next_rule.as_ref(),
        groups: d
            .groups
            .as_ref()
            .filter(|_| !file.extras.groups.is_empty())
            .map(|g| {
                g.groups
                    .iter()
                    .zip(&file.extras.groups)
                    .map(|((round, r), grp)| GroupDoc {
                        name: &grp.name,
                        result: result_json::document(&file.method, round, r),
                    })
                    .collect()
            }),
        organisation: file.extras.organisation.as_ref().map(|o| OrganisationDoc {
            name: &o.name,
            nominees: &o.nominees,
            placement: file.method.organisation_nominees,
        }),
        review: (!file.extras.review.is_empty()).then_some(&file.extras.review),
        amended_list: d.amended.as_ref().map(|a| a.list.as_slice()),
        refused: (!d.refused.is_empty()).then_some(&d.refused),
        deferred: (!file.extras.deferred.is_empty()).then_some(&file.extras.deferred),
    }
}

/// [`round_document`] as pretty JSON text with a final newline; for a plain
/// round exactly [`result_json::to_string`].
pub fn round_to_string(file: &RoundFile, d: &Decision) -> String {
    pretty(&round_document(file, d))
}

/// The vote report of a paper with several contests.
pub fn render_paper(method: &ElectionMethod, paper: &Paper, r: &PaperResult, lang: Lang) -> String {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let mut o = String::new();
    let title = t(
        "计票结果报告（一张选票，多项选举）",
        "Vote report (one paper, several contests)",
    );
    o.push_str(&format!(
        "{title}\n{}\n",
        "=".repeat(title.chars().count() * 2)
    ));
    let names = shown(&section_names(paper)).into_owned();
    o.push_str(&match lang {
        Lang::Zh => format!(
            "选举事项：{}（{}，同一张选票分{}项，各项分别计票）\n",
            names,
            paper.kind.zh(),
            paper.sections.len()
        ),
        Lang::En => format!(
            "Contests: {} ({}, {} sections on one paper, each counted on its own)\n",
            names.replace('、', ", "),
            paper.kind.en(),
            paper.sections.len()
        ),
    });
    o.push_str(&format!(
        "{}{}\n",
        t("结论：", "Outcome: "),
        lang.t(r.status.zh(), r.status.en())
    ));
    for (i, (round, sr)) in r.sections.iter().enumerate() {
        o.push_str(&format!(
            "  {}{}：{}\n",
            match lang {
                Lang::Zh => format!("第{}项 ", i + 1),
                Lang::En => format!("section {} ", i + 1),
            },
            contest(round, lang),
            lang.t(sr.status.zh(), sr.status.en())
        ));
    }
    if let Some(b) = &r.ballot_box {
        let base = match (b.base, lang) {
            (BoxCheck::Issued, Lang::Zh) => "发出选票数",
            (BoxCheck::Voters, Lang::Zh) => "投票人数",
            (BoxCheck::Issued, Lang::En) => "ballots issued",
            (BoxCheck::Voters, Lang::En) => "voters",
        };
        o.push_str(&match lang {
            Lang::Zh => format!(
                "  全张选票：发出{}张，收回{}张，不得多于{base}{}（{}）；整张认定为废票{}张。某一项所选人数多于应选人数的，仅该项无效，其他各项照常计票。\n",
                paper.issued,
                b.returned,
                b.limit,
                if b.valid { "选举有效" } else { "选举无效" },
                r.void_papers
            ),
            Lang::En => format!(
                "  Papers: issued {}, returned {}, at most {base} {} ({}); {} papers declared void as a whole. An overvote in one section voids only that section.\n",
                paper.issued,
                b.returned,
                b.limit,
                if b.valid { "valid" } else { "void" },
                r.void_papers
            ),
        });
    }
    o.push('\n');
    let counted = !matches!(r.status, Status::NoQuorum | Status::Void);
    for (i, (round, sr)) in r.sections.iter().enumerate() {
        let head = match lang {
            Lang::Zh => format!("第{}项：{}", i + 1, contest(round, lang)),
            Lang::En => format!("Section {}: {}", i + 1, contest(round, lang)),
        };
        o.push_str(&format!(
            "{head}\n{}\n",
            "-".repeat(head.chars().count() * 2)
        ));
        if let Some(rule) = &paper.sections[i].next_rule {
            o.push_str(&next_rule_line(rule, lang));
        }
        o.push_str(&report_without_method(method, round, sr, lang));
        if !counted {
            // Attendance and box are the paper's: one section says it all.
            break;
        }
    }
    o.push_str(&format!(
        "{}\n{}",
        t("本张选票适用的选举办法", "Effective method of this paper"),
        method_text::render(method, lang)
    ));
    o
}

fn contest(round: &Round, lang: Lang) -> String {
    if round.contest.is_empty() {
        lang.t(round.office.zh(), round.office.en()).to_string()
    } else {
        shown(&round.contest).into_owned()
    }
}

/// A round's contract result with what its file adds (each key only when
/// the file has it).
#[derive(Serialize)]
pub struct RoundDoc<'a> {
    #[serde(flatten)]
    pub doc: ResultDoc<'a>,
    /// The stage-size rule of `next_list` (RULES §9.2), when given so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rule: Option<&'a NextRule>,
    /// Each group's own result, as posted (RULES §9.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<GroupDoc<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation: Option<OrganisationDoc<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<&'a Vec<ReviewDecision>>,
    /// `next_list` as the qualification review amended it (RULES §9.4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amended_list: Option<&'a [String]>,
    /// Nominees the record forbids (RULES §9.6), with the earlier results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<&'a Vec<Refusal>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deferred: Option<&'a Vec<Deferral>>,
}

#[derive(Serialize)]
pub struct GroupDoc<'a> {
    pub name: &'a str,
    pub result: ResultDoc<'a>,
}

#[derive(Serialize)]
pub struct OrganisationDoc<'a> {
    pub name: &'a str,
    pub nominees: &'a [String],
    pub placement: OrganisationNominees,
}

/// A tally row of a paper, naming its section (0-based, paper order).
#[derive(Serialize)]
pub struct SectionRow<'a> {
    #[serde(flatten)]
    pub row: &'a Row,
    pub section: usize,
}

/// A runoff one section of a paper needs.
#[derive(Serialize)]
pub struct SectionRunoff<'a> {
    #[serde(flatten)]
    pub runoff: &'a Runoff,
    pub section: usize,
}

#[derive(Serialize)]
pub struct PaperBallotsDoc {
    pub issued: u64,
    pub returned: u64,
    /// Papers not declared void as a whole (a section may still be invalid
    /// on them: see each section's `ballots`).
    pub valid: u64,
    /// Papers declared void as a whole.
    pub invalid: u64,
}

/// The result of a paper (CONTRACT §3 with `sections`).
#[derive(Serialize)]
pub struct PaperDoc<'a> {
    pub contract: u32,
    pub status: &'static str,
    pub quorum_met: bool,
    pub box_valid: Option<bool>,
    pub ballots: PaperBallotsDoc,
    pub threshold: u64,
    pub tally: Vec<SectionRow<'a>>,
    pub elected: Vec<&'a str>,
    pub runoff: Option<SectionRunoff<'a>>,
    pub unfilled: u64,
    pub next_list: Option<()>,
    pub quorum: Option<&'a QuorumRuling>,
    pub box_check: Option<&'a BoxRuling>,
    pub sections: Vec<RoundDoc<'a>>,
    pub paper: &'a Paper,
    pub method: &'a ElectionMethod,
}

/// The result document of a paper: the required keys for the paper as a
/// whole — `tally` and `elected` of every section in paper order, each row
/// naming its `section`, `unfilled` summed, `runoff` the first section's
/// that needs one — and `sections`, each section's own complete result.
pub fn paper_document<'a>(
    method: &'a ElectionMethod,
    paper: &'a Paper,
    r: &'a PaperResult,
) -> PaperDoc<'a> {
    let first = r.sections.first().map(|(_, sr)| sr);
    let returned = r
        .ballot_box
        .as_ref()
        .map(|b| b.returned)
        .or(paper.returned)
        .unwrap_or(0);
    PaperDoc {
        contract: result_json::CONTRACT_VERSION,
        status: r.status.as_str(),
        quorum_met: first.is_some_and(|f| f.quorum.met),
        box_valid: r.ballot_box.as_ref().map(|b| b.valid),
        ballots: PaperBallotsDoc {
            issued: paper.issued,
            returned,
            valid: returned.saturating_sub(r.void_papers),
            invalid: r.void_papers,
        },
        threshold: first.map(|f| f.threshold).unwrap_or(0),
        tally: r
            .sections
            .iter()
            .enumerate()
            .flat_map(|(i, (_, sr))| {
                sr.rows
                    .iter()
                    .map(move |row| SectionRow { row, section: i })
            })
            .collect(),
        elected: r
            .sections
            .iter()
            .flat_map(|(_, sr)| sr.elected.iter().map(String::as_str))
            .collect(),
        runoff: r.sections.iter().enumerate().find_map(|(i, (_, sr))| {
            sr.runoff
                .as_ref()
                .map(|runoff| SectionRunoff { runoff, section: i })
        }),
        unfilled: r.sections.iter().map(|(_, sr)| sr.unfilled).sum(),
        next_list: None,
        quorum: first.map(|f| &f.quorum),
        box_check: r.ballot_box.as_ref(),
        sections: r
            .sections
            .iter()
            .enumerate()
            .map(|(i, (round, sr))| RoundDoc {
                doc: result_json::document(method, round, sr),
                next_rule: paper.sections[i].next_rule.as_ref(),
                groups: None,
                organisation: None,
                review: None,
                amended_list: None,
                refused: None,
                deferred: None,
            })
            .collect(),
        paper,
        method,
    }
}

/// [`paper_document`] as pretty JSON text with a final newline.
pub fn paper_to_string(method: &ElectionMethod, paper: &Paper, r: &PaperResult) -> String {
    pretty(&paper_document(method, paper, r))
}

/// Pretty JSON text with a final newline.
pub fn pretty<T: Serialize>(v: &T) -> String {
    let mut s =
        serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// The clauses a stage adopted on its own, as the printed 选举办法 shows
/// them under the meeting's: every clause of the stage's method text that
/// differs from the meeting's (both generated from the methods the
/// counting uses), headed by the stage.
pub fn stage_clauses(
    contest: &str,
    kind: crate::rules::RoundKind,
    round: usize,
    base: &ElectionMethod,
    stage: &ElectionMethod,
    lang: Lang,
) -> String {
    let clauses = |m: &ElectionMethod| -> Vec<String> {
        method_text::render(m, lang)
            .lines()
            .filter_map(|l| {
                let (head, rest) = l.split_once(['、', '.'])?;
                (!head.is_empty() && head.chars().count() <= 4).then(|| rest.trim().to_string())
            })
            .collect()
    };
    let before = clauses(base);
    let changed: Vec<String> = clauses(stage)
        .into_iter()
        .filter(|c| !before.contains(c))
        .collect();
    let contest = super::shown_text(contest);
    let mut out = match lang {
        Lang::Zh => format!(
            "\n本阶段选举办法：{contest}（第 {round} 轮，{}）另行通过以下条款：\n",
            kind.zh(),
        ),
        Lang::En => format!(
            "\nStage method: {contest} (round {round}, {}) adopted its own clauses:\n",
            kind.en(),
        ),
    };
    for c in changed {
        out.push_str(&format!("  {c}\n"));
    }
    out
}

/// One group round of a nomination or evaluation by groups, as the
/// printed 选举办法 lists it under its stage: only what is its own — its
/// electorate and its participation floor (the stage's clauses are
/// printed once, for the stage).
#[derive(Debug, Clone)]
pub struct GroupClause {
    /// As posted (党员推荐, 农户).
    pub name: String,
    /// Its number in the election.
    pub round: usize,
    /// The round it re-runs (the presidium's `rerun`), if any.
    pub rerun_of: Option<usize>,
    /// Its own electorate, once it opened.
    pub entitled: Option<u64>,
    /// The floor of its method (the stage's, or the meeting's).
    pub floor: Option<crate::rules::fraction::Fraction>,
}

/// The heading of a stage held by groups in the printed 选举办法, after
/// the stage's own clauses (if any), before its [`group_clause`]s.
pub fn groups_heading(
    contest: &str,
    kind: crate::rules::RoundKind,
    round: usize,
    own_clauses: bool,
    lang: Lang,
) -> String {
    let contest = super::shown_text(contest);
    match (lang, own_clauses) {
        (Lang::Zh, true) => "  本阶段由以下各组分别推荐、分别计票公布，合计为各组之和：\n".into(),
        (Lang::Zh, false) => format!(
            "\n分组进行：{contest}（第 {round} 轮，{}）由以下各组分别推荐、分别计票公布，合计为各组之和：\n",
            kind.zh()
        ),
        (Lang::En, true) => {
            "  This stage is held by the groups below, each counted and posted apart; the combined is their sum:\n".into()
        }
        (Lang::En, false) => format!(
            "\nBy groups: {contest} (round {round}, {}) is held by the groups below, each counted and posted apart; the combined is their sum:\n",
            kind.en()
        ),
    }
}

/// A group round's own line: its electorate and its floor (with the
/// smallest number taking part that meets it, once its electorate is
/// known), and the round it re-runs.
pub fn group_clause(g: &GroupClause, lang: Lang) -> String {
    use crate::rules::fraction::{percent, Comparison};
    let name = shown(&g.name);
    let n = g.round;
    match lang {
        Lang::Zh => {
            let head = match g.rerun_of {
                Some(of) => format!("“{name}”一组重新推荐（第 {n} 轮，重新举行第 {of} 轮）"),
                None => format!("“{name}”一组（第 {n} 轮）"),
            };
            let electorate = match g.entitled {
                Some(e) => format!("本组应参加 {e} 人；"),
                None => "本组应参加人数在该组开始投票时登记；".into(),
            };
            let floor = match (g.floor, g.entitled) {
                (None, _) => "不设参加人数要求".to_string(),
                (Some(f), e) => {
                    let rule = match f.comparison {
                        Comparison::Inclusive => {
                            format!(
                                "达到本组应参加人数的{}以上（含本数）",
                                percent(f.num, f.den)
                            )
                        }
                        Comparison::Strict => {
                            format!("超过本组应参加人数的{}", percent(f.num, f.den))
                        }
                    };
                    match e {
                        Some(e) => format!(
                            "参加人数须{rule}，即至少 {} 人，本组推荐方为有效",
                            f.smallest_meeting(e)
                        ),
                        None => format!("参加人数须{rule}，本组推荐方为有效"),
                    }
                }
            };
            format!("  {head}：{electorate}{floor}。\n")
        }
        Lang::En => {
            let head = match g.rerun_of {
                Some(of) => format!("group {name} held again (round {n}, re-running round {of})"),
                None => format!("group {name} (round {n})"),
            };
            let electorate = match g.entitled {
                Some(e) => format!("{e} entitled"),
                None => "its electorate recorded when it opens".into(),
            };
            let floor = match (g.floor, g.entitled) {
                (None, _) => "no participation floor".to_string(),
                (Some(f), Some(e)) => format!(
                    "held only if those taking part are {} of them, i.e. at least {}",
                    f.en(),
                    f.smallest_meeting(e)
                ),
                (Some(f), None) => format!(
                    "held only if those taking part are {} of its entitled",
                    f.en()
                ),
            };
            format!("  {head}: {electorate}; {floor}.\n")
        }
    }
}

#[cfg(test)]
mod group_clause_tests {
    use super::*;
    use crate::rules::fraction::{Comparison, Fraction};

    fn floor() -> Option<Fraction> {
        Some(Fraction {
            num: 4,
            den: 5,
            comparison: Comparison::Inclusive,
        })
    }

    #[test]
    fn a_group_line_says_its_electorate_and_floor_only() {
        let g = GroupClause {
            name: "农户".into(),
            round: 4,
            rerun_of: Some(3),
            entitled: Some(100),
            floor: floor(),
        };
        assert_eq!(
            group_clause(&g, Lang::Zh),
            "  “农户”一组重新推荐（第 4 轮，重新举行第 3 轮）：本组应参加 100 人；参加人数须达到本组应参加人数的80%以上（含本数），即至少 80 人，本组推荐方为有效。\n"
        );
        let first = GroupClause {
            rerun_of: None,
            entitled: None,
            round: 2,
            name: "党员".into(),
            ..g.clone()
        };
        assert_eq!(
            group_clause(&first, Lang::Zh),
            "  “党员”一组（第 2 轮）：本组应参加人数在该组开始投票时登记；参加人数须达到本组应参加人数的80%以上（含本数），本组推荐方为有效。\n"
        );
        assert_eq!(
            group_clause(&g, Lang::En),
            "  group 农户 held again (round 4, re-running round 3): 100 entitled; held only if those taking part are at least 4/5 of them, i.e. at least 80.\n"
        );
    }
}
