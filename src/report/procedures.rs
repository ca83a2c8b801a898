//! Reports of the procedures beyond one plain round (RULES §9): one paper
//! with several contests, as text and as the contract result JSON with a
//! `sections` array.
//!
//! Each section's own report is the one-round vote report
//! ([`super::vote_report::render`]) without its method section; the
//! method is printed once, at the end.

use serde::Serialize;

use crate::rules::method::{BoxCheck, ElectionMethod};
use crate::rules::outcome::{BoxRuling, QuorumRuling, RoundResult, Row, Runoff, Status};
use crate::rules::paper::{section_names, Paper, PaperResult};
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
/// file adds (a next list's stage-size rule), then the method.
pub fn render_round(file: &RoundFile, r: &RoundResult, lang: Lang) -> String {
    let mut extra = String::new();
    if let Some(rule) = &file.next_rule {
        extra.push_str(&next_rule_line(rule, lang));
    }
    if extra.is_empty() {
        return vote_report::render(&file.method, &file.round, r, lang);
    }
    let mut o = report_without_method(&file.method, &file.round, r, lang);
    o.push_str(&format!(
        "{}\n{extra}\n",
        lang.t("附：名单的产生", "Note: how the list is drawn")
    ));
    o.push_str(&format!(
        "{}\n{}",
        lang.t("本轮适用的选举办法", "Effective method"),
        method_text::render(&file.method, lang)
    ));
    o
}

/// The result JSON of a one-round file: CONTRACT §3, plus `next_rule`
/// when the next list's size was given by a rule.
pub fn round_document<'a>(file: &'a RoundFile, r: &'a RoundResult) -> RoundDoc<'a> {
    RoundDoc {
        doc: result_json::document(&file.method, &file.round, r),
        next_rule: file.next_rule.as_ref(),
    }
}

/// [`round_document`] as pretty JSON text with a final newline; for a plain
/// round exactly [`result_json::to_string`].
pub fn round_to_string(file: &RoundFile, r: &RoundResult) -> String {
    pretty(&round_document(file, r))
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

/// A round's contract result with what its file adds.
#[derive(Serialize)]
pub struct RoundDoc<'a> {
    #[serde(flatten)]
    pub doc: ResultDoc<'a>,
    /// The stage-size rule of `next_list` (RULES §9.2), when given so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rule: Option<&'a NextRule>,
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
