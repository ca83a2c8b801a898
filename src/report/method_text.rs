//! The election method (选举办法) as the clauses a meeting adopts, generated
//! from the parameters so that the printed text and the counting can never
//! disagree.

use crate::rules::fraction::{percent, Comparison, Fraction};
use crate::rules::method::*;
use crate::rules::preset;

use super::Lang;

fn base_zh(b: Base) -> &'static str {
    match b {
        Base::Entitled => "应到会有选举权人数",
        Base::Present => "实到会有选举权人数",
        Base::Returned => "收回选票数",
    }
}

fn base_en(b: Base) -> &'static str {
    match b {
        Base::Entitled => "the number entitled to vote",
        Base::Present => "the number present with a vote",
        Base::Returned => "the ballots returned",
    }
}

/// The base of a nomination floor (open point 10), as the clause names it.
fn floor_base_zh(b: Base) -> &'static str {
    match b {
        Base::Entitled => "本单位应参加推荐人数",
        Base::Present => "实际参加推荐人数",
        Base::Returned => "收回推荐票数",
    }
}

fn floor_base_en(b: Base) -> &'static str {
    match b {
        Base::Entitled => "those of the unit entitled to take part",
        Base::Present => "those who took part",
        Base::Returned => "the nomination ballots returned",
    }
}

fn ratio_zh(f: Fraction) -> String {
    let word = match f.comparison {
        Comparison::Strict => "以上（不含本数）",
        Comparison::Inclusive => "以上（含本数）",
    };
    format!("的{}{word}", percent(f.num, f.den))
}

/// (Chinese name, English name, the office's rule in a method).
type OfficeRow = (
    &'static str,
    &'static str,
    fn(&Differential) -> DifferentialRule,
);

const OFFICES: [OfficeRow; 8] = [
    ("委员", "committee members", |d| d.committee),
    ("纪委委员", "discipline committee members", |d| {
        d.discipline
    }),
    ("代表", "delegates", |d| d.delegate),
    ("候补委员", "alternate members", |d| d.alternate),
    ("常委", "standing committee members", |d| d.standing),
    ("书记", "secretary", |d| d.secretary),
    ("副书记", "deputy secretaries", |d| d.deputy_secretary),
    ("其他", "other posts", |d| d.other),
];

/// The full method text in `lang`.
pub fn render(m: &ElectionMethod, lang: Lang) -> String {
    match lang {
        Lang::Zh => render_zh(m),
        Lang::En => render_en(m),
    }
}

/// Cadre and resolution presets decide nominees or motions one by one; their
/// printed method leaves out the clauses about electing committees.
fn is_vote_method(m: &ElectionMethod) -> bool {
    m.preset.starts_with("cadre-") || m.preset.starts_with("branch-resolution")
}

fn render_zh(m: &ElectionMethod) -> String {
    let votes = is_vote_method(m);
    let mut clauses: Vec<String> = Vec::new();
    clauses.push(if votes {
        format!(
            "会议有效。到会成员{}，会议有效，方可进行票决或表决；否则不进行。",
            m.quorum.zh_of("应到会成员")
        )
    } else {
        format!(
            "会议有效。到会有选举权的人数{}，会议有效，方可进行选举；否则不进行选举。应到会人数已扣除经上级批准不计入的党员（因患重病、出国半年以上、受刑事处分等）。",
            m.quorum.zh_of("应到会有选举权人数")
        )
    });
    let mut list = String::from("候选人名单与差额。候选人按姓氏笔画排列。各项选举的候选人数：");
    for (zh, _, rule) in OFFICES {
        list.push_str(&format!("{zh}，{}；", rule(&m.differential).zh()));
    }
    list.push_str("差额比例以应选人数为基数计算，尾数按进一法。");
    if !votes {
        clauses.push(list);
    }
    let marks = match m.mark_convention {
        MarkConvention::BlankIsAbstain => {
            "对候选人赞成的，在其姓名下方空格内划“○”；不赞成的，划“×”；弃权的，不划任何符号。"
        }
        MarkConvention::BlankIsFor => {
            "对候选人同意的，不划任何符号；不同意的，划“×”；弃权的，划“○”。"
        }
    };
    let write_ins = match m.write_ins {
        WriteIns::AgainstLineOnly => {
            "不赞成的，可以另选他人，在“另选他人”栏内写上其姓名；投弃权票者不能另选他人。重新投票、票决和表决不得另选他人。"
        }
        WriteIns::None => "不得另选他人。",
    };
    if votes {
        clauses.push(format!(
            "划票。对每名拟任人选（每项议题）分别表示“同意”“不同意”或“缓议（弃权）”。{write_ins}"
        ));
    } else {
        clauses.push(format!("划票。{marks}{write_ins}"));
    }
    let illegible = match m.illegible {
        Illegible::Abstain => "符号无法辨认的，该栏按弃权计算",
        Illegible::VoidBallot => "有符号无法辨认的，该选票无效",
    };
    let misplaced = match m.write_in_misplaced {
        Disposition::Ignore => "未在不赞成栏另选他人的，所写姓名不计票，该栏按原符号计算",
        Disposition::VoidBallot => "未在不赞成栏另选他人的，该选票无效",
    };
    let names_candidate = match m.write_in_names_candidate {
        Disposition::Ignore => "另选他人所写为已列候选人的，所写姓名不计票",
        Disposition::VoidBallot => "另选他人所写为已列候选人的，该选票无效",
    };
    let write_in_rules = if m.write_ins == WriteIns::None {
        String::new()
    } else {
        format!("；{misplaced}；{names_candidate}")
    };
    let limit = if votes {
        "多名人选竞争较少职位时，同意人数多于职位数的为无效票"
    } else {
        "每张选票所选人数（赞成票与另选他人之和）等于或少于规定人数的为有效票，多于规定人数的为无效票；预选时规定人数为正式候选人数"
    };
    clauses.push(format!(
        "选票有效性。{limit}。{illegible}{write_in_rules}。选票上有署名、标记等情形的，由监票人认定为废票并记录理由。"
    ));
    let box_base = match m.box_check {
        BoxCheck::Issued => "发出的选票数",
        BoxCheck::Voters => {
            "投票人数（实际投票的人数；未单独记录的，按实到人数与发出选票数中较少者）"
        }
    };
    let valid_word = if votes { "表决" } else { "选举" };
    clauses.push(format!(
        "{valid_word}有效。投票结束后，监票人、计票人将投票人数和票数加以核对。收回的选票数等于或少于{box_base}的，{valid_word}有效；多于的，{valid_word}无效，应重新投票。更换选票的，收回作废的选票另行记录，发出选票数含更换的选票。"
    ));
    let mut election_clauses = Vec::new();
    election_clauses.push(format!(
        "当选。被选举人获得的赞成票{}，始得当选{}。达到当选票数的被选举人多于应选名额时，以得票多少为序，至取足应选名额为止。如遇票数相等不能确定当选人时，应就票数相等的被选举人重新投票，{}；重新投票以{}次为限，仍不能确定的，由主席团（会议主持人）决定。推荐、测评确定名单的最后位次遇票数相等而重新投票的，按得票多少确定，不适用当选票数；预选中的重新投票仍须获得预选规定的票数。",
        m.threshold.zh_of(base_zh(m.threshold_base)),
        if m.threshold == Fraction::strict(1, 2) {
            "（恰好半数不能当选）"
        } else {
            ""
        },
        match m.runoff_threshold {
            RunoffThreshold::Majority => "得票多的当选，但所得赞成票仍须达到当选票数",
            RunoffThreshold::MostVotes => "得票多的当选（不再要求达到当选票数，至少须得一票）",
        },
        m.max_runoff_rounds
    ));
    let supp_list = match m.supplementary_list {
        SupplementaryList::Differential => "按本办法规定的差额比例",
        SupplementaryList::EqualAllowed => "可以实行差额或者等额",
    };
    let reduction = match m.seat_reduction {
        SeatReduction::ElectorsMajority => "经半数以上选举人同意",
        SeatReduction::Presidium => "经主席团决定",
    };
    election_clauses.push(format!(
        "另行选举。当选人数少于应选名额时，对不足的名额另行选举，候选人从未当选的被选举人中按得票多少的顺序确定，{supp_list}；当选条件不变，不得以得票多少直接补足名额。另行选举以{}次为限。如当选人数接近应选名额，{reduction}，也可以减少名额，不再另行选举。",
        m.max_supplementary_rounds
    ));
    let list_tie = match m.list_tie {
        ListTie::Runoff => "在票数相等的人中重新投票确定",
        ListTie::Widen => "票数相等的一并列入",
    };
    election_clauses.push(format!(
        "预选。预选中获得赞成票{}的，按得票多少的顺序确定正式候选人；确定名单的最后位次遇票数相等时，{list_tie}；符合条件的人数不足时，由主席团决定另行预选或按差额要求确定名单。预选结果向主席团报告。",
        m.threshold.zh_of(base_zh(m.threshold_base))
    ));
    election_clauses.push(nomination_clause_zh(m));
    if !votes {
        clauses.append(&mut election_clauses);
    }
    let cadre = match m.cadre_differential {
        DifferentialRule::None => String::new(),
        rule => format!("差额表决时，{}。", rule.zh()),
    };
    let cadre = match m.max_failed_nominations {
        Some(n) => format!(
            "{cadre}对暂缓表决的人选，本次会议不作投票。同一人选{}次未获通过的，不得再提名为同一职位人选。",
            n
        ),
        None => format!("{cadre}对暂缓表决的人选，本次会议不作投票。"),
    };
    let vote_clause = format!(
        "通过。对每名拟任人选（每项议题）分别表决，同意票{}的，方为通过；多名人选竞争较少职位时，在通过的人选中按同意票多少确定。{cadre}",
        m.threshold.zh_of(match m.threshold_base {
            Base::Entitled => "应到会成员",
            b => base_zh(b),
        })
    );
    if votes {
        clauses.push(vote_clause);
    }
    clauses.push(format!(
        "计票与签字。计票人在监票人监督下计票。计票结束后，监票人在计票结果报告单上签字；{}监票人签字后，结果方为确认。",
        if m.signatures_required == Fraction::inclusive(1, 1) {
            "全体".to_string()
        } else {
            format!("{}的", m.signatures_required.zh())
        }
    ));
    // The preset's name is a developer's id: the Chinese text names what
    // it is for instead.
    let mut out = match preset::title(&m.preset) {
        "" => "选举办法\n\n".to_string(),
        title => format!("选举办法\n（{title}）\n\n"),
    };
    for (i, c) in clauses.iter().enumerate() {
        out.push_str(&format!("{}、{c}\n", zh_ordinal(i + 1)));
    }
    let sources = preset::sources(&m.preset);
    if !sources.is_empty() {
        out.push_str("\n依据：");
        out.push_str(&sources.join("；"));
        out.push_str("。\n");
    }
    out
}

fn zh_ordinal(n: usize) -> String {
    const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => D[n].to_string(),
        10 => "十".into(),
        11..=19 => format!("十{}", D[n - 10]),
        _ => n.to_string(),
    }
}

fn render_en(m: &ElectionMethod) -> String {
    let votes = is_vote_method(m);
    let mut c: Vec<String> = Vec::new();
    c.push(format!(
        "Quorum. The meeting may vote only if those present with a vote are {} of those entitled (after approved exclusions).",
        m.quorum.en()
    ));
    let mut list = String::from("Candidate lists. Candidates appear in surname-stroke order. ");
    for (_, en, rule) in OFFICES {
        list.push_str(&format!("{en}: {}; ", rule(&m.differential).en()));
    }
    list.push_str("ratios are of the seats, rounded up.");
    if !votes {
        c.push(list);
    }
    c.push(format!(
        "Marking. {} {}",
        match m.mark_convention {
            MarkConvention::BlankIsAbstain => "○ for, × against, no mark abstain.",
            MarkConvention::BlankIsFor => "No mark for, × against, ○ abstain.",
        },
        match m.write_ins {
            WriteIns::AgainstLineOnly =>
                "A voter against a candidate may write in another name on that line; an abstaining voter may not. Runoffs, cadre and resolution votes take no write-ins.",
            WriteIns::None => "No write-ins.",
        }
    ));
    c.push(format!(
        "Ballot validity. A ballot with more selections (for-marks plus write-ins) than allowed is invalid. An illegible mark {}. A write-in not beside an against mark {}. A write-in naming a listed candidate {}. The scrutineers may declare a ballot void, recording the reason.",
        match m.illegible {
            Illegible::Abstain => "counts as an abstention on its line",
            Illegible::VoidBallot => "voids the ballot",
        },
        match m.write_in_misplaced {
            Disposition::Ignore => "is disregarded",
            Disposition::VoidBallot => "voids the ballot",
        },
        match m.write_in_names_candidate {
            Disposition::Ignore => "is disregarded",
            Disposition::VoidBallot => "voids the ballot",
        }
    ));
    c.push(format!(
        "Ballot box. The round is valid if the ballots returned do not exceed {}; otherwise it is void and is held again.",
        match m.box_check {
            BoxCheck::Issued => "the ballots issued",
            BoxCheck::Voters => "the number who voted (as recorded, else the lesser of those present and the ballots issued)",
        }
    ));
    let mut elections = Vec::new();
    elections.push(format!(
        "Election. A candidate needs for-votes {} of {} (exactly half fails). If more qualify than there are seats, they are taken in order of votes; a tie across the last seat is decided by a runoff among exactly the tied, {}, at most {} time(s) before the presidium decides. A runoff after a tie at a nomination or evaluation cut-off ranks by votes without the threshold; after a preliminary tie the preliminary's test applies.",
        m.threshold.en(),
        base_en(m.threshold_base),
        match m.runoff_threshold {
            RunoffThreshold::Majority => "where the most votes win but the threshold still applies",
            RunoffThreshold::MostVotes => "where the most votes win (no threshold, at least one vote)",
        },
        m.max_runoff_rounds
    ));
    elections.push(format!(
        "Supplementary ballot. Unfilled seats go to a supplementary ballot among those not elected, in order of votes, {}; the threshold is unchanged; at most {} such round(s). Seats may instead be reduced {}.",
        match m.supplementary_list {
            SupplementaryList::Differential => "under the same differential rule",
            SupplementaryList::EqualAllowed => "as a differential or equal election",
        },
        m.max_supplementary_rounds,
        match m.seat_reduction {
            SeatReduction::ElectorsMajority => "with the consent of more than half of the electors",
            SeatReduction::Presidium => "by decision of the presidium",
        }
    ));
    elections.push(format!(
        "Preliminary ballot. Those with for-votes {} of {} become formal candidates in order of votes; a tie at the last place {}.",
        m.threshold.en(),
        base_en(m.threshold_base),
        match m.list_tie {
            ListTie::Runoff => "is decided by a runoff among the tied",
            ListTie::Widen => "puts all the tied on the list",
        }
    ));
    elections.push(nomination_clause_en(m));
    if !votes {
        c.append(&mut elections);
    }
    let vote_clause = format!(
        "Cadre and resolution votes. Quorum {} of members; each nominee or motion passes with for-votes {} of the members entitled; with more nominees than posts, posts go to those who pass in order of votes{}.",
        m.quorum.en(),
        m.threshold.en(),
        match m.cadre_differential {
            DifferentialRule::None => String::new(),
            rule => format!(" ({})", rule.en()),
        } + " A deferred nominee is not voted at this meeting."
            + &match m.max_failed_nominations {
                Some(n) => format!(
                    " A nominee who failed {n} times for a post may not be nominated for it again."
                ),
                None => String::new(),
            }
    );
    if votes {
        c.push(vote_clause);
    }
    c.push(format!(
        "Count and signatures. Counters count under the scrutineers' supervision; a result is certified when {} of the scrutineers have signed it.",
        m.signatures_required.en()
    ));
    let mut out = format!("Election method\n(preset {})\n\n", m.preset);
    for (i, clause) in c.iter().enumerate() {
        out.push_str(&format!("{}. {clause}\n", i + 1));
    }
    let sources = preset::sources(&m.preset);
    if !sources.is_empty() {
        out.push_str("\nSources: ");
        out.push_str(&sources.join("; "));
        out.push_str(".\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Chinese text a meeting adopts cites regulations, never a
    /// developer's file or id (no Latin letters at all), for every preset.
    #[test]
    fn chinese_text_cites_regulations_not_developer_files() {
        for name in preset::NAMES {
            let m = preset::preset(name).expect(name);
            let zh = render(&m, Lang::Zh);
            assert!(
                !zh.chars().any(|c| c.is_ascii_alphabetic()),
                "{name}: Latin text in the Chinese method:\n{zh}"
            );
            assert!(zh.contains("条例"), "{name} cites a regulation");
            let en = render(&m, Lang::En);
            assert!(!en.contains("RULES") && !en.contains(".md"), "{name}: {en}");
        }
    }
}

/// One clause of the method in both languages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Clause {
    pub zh: String,
    pub en: String,
}

/// The clause of nominations and evaluations (民主推荐与测评): the
/// participation floor, the nomination limit and floor, the evaluation
/// flags and the organisation's nominees, as the method text and a
/// nomination or evaluation round's own clauses print it.
fn nomination_clause_zh(m: &ElectionMethod) -> String {
    let limit = match m.nomination_limit {
        NominationLimit::Seats => "每张推荐票推荐人数不超过应选人数",
        NominationLimit::NextSize => "每张推荐票推荐人数不超过下一阶段名单人数",
        NominationLimit::Unlimited => "推荐人数不限",
    };
    let floor = match m.nomination_floor {
        Some(f) => format!(
            "得票{}的方可列入名单",
            f.zh_of(floor_base_zh(m.nomination_floor_base))
        ),
        None => "按得票多少的顺序列入名单".to_string(),
    };
    let participation = match m.participation_floor {
        Some(f) => format!(
            "参加推荐、测评的人数须{}，该轮方为有效（推荐、测评不适用选举的法定人数）",
            match f.comparison {
                Comparison::Inclusive =>
                    format!("达到应参加人数的{}以上（含本数）", percent(f.num, f.den)),
                Comparison::Strict => format!("超过应参加人数的{}", percent(f.num, f.den)),
            }
        ),
        None => "推荐、测评不设参加人数要求".to_string(),
    };
    let flag = match m.evaluation_flag {
        Some(f) => format!(
            "测评中不满意（不赞成）票{}{}的，不列为人选",
            base_zh(m.evaluation_base),
            ratio_zh(f)
        ),
        None => "测评结果按满意票多少排序".to_string(),
    };
    let removal = match m.evaluation_removal {
        Some(f) => format!(
            "；不满意（不赞成）票{}{}的，按程序提出免职（仍列入名单）",
            base_zh(m.evaluation_base),
            ratio_zh(f)
        ),
        None => String::new(),
    };
    let organisation = match m.organisation_nominees {
        OrganisationNominees::WithinList => "",
        OrganisationNominees::BeyondList => "；党组织推荐的人选直接列入，不占按得票确定的名额",
    };
    format!("民主推荐与测评。{participation}；{limit}，{floor}；{flag}{removal}{organisation}。")
}

/// [`nomination_clause_zh`] in English.
fn nomination_clause_en(m: &ElectionMethod) -> String {
    format!(
        "Nomination and evaluation. {}; {}; {}; {}.",
        match m.participation_floor {
            Some(f) => format!(
                "a nomination or evaluation round is held only if those taking part are {} of those entitled (its own floor, not the election's quorum)",
                f.en()
            ),
            None => "nomination and evaluation rounds have no participation floor".into(),
        },
        match m.nomination_limit {
            NominationLimit::Seats => "a nomination ballot names at most as many as the seats",
            NominationLimit::NextSize =>
                "a nomination ballot names at most as many as the next list",
            NominationLimit::Unlimited => "a nomination ballot may name any number",
        },
        match m.nomination_floor {
            Some(f) => format!(
                "nominees need {} of {} to be listed",
                f.en(),
                floor_base_en(m.nomination_floor_base)
            ),
            None => "nominees are listed in order of votes".into(),
        },
        match m.evaluation_flag {
            Some(f) => format!(
                "a person disapproved by {} of {} is not put to the vote",
                f.en(),
                base_en(m.evaluation_base)
            ),
            None => "evaluations rank by approvals".into(),
        } + &match m.evaluation_removal {
            Some(f) => format!(
                "; disapproval by {} of {} starts the removal procedure (the person stays listed)",
                f.en(),
                base_en(m.evaluation_base)
            ),
            None => String::new(),
        } + match m.organisation_nominees {
            OrganisationNominees::WithinList => "",
            OrganisationNominees::BeyondList => {
                "; the party organisation's nominees are listed on top of the places the vote fills"
            }
        }
    )
}

fn clause(zh: impl Into<String>, en: impl Into<String>) -> Clause {
    Clause {
        zh: zh.into(),
        en: en.into(),
    }
}

/// The base of the threshold in a round's clause (shorter than the full
/// method's wording).
fn clause_base(b: Base) -> (&'static str, &'static str) {
    match b {
        Base::Entitled => ("应到会人数", "voters entitled to attend"),
        Base::Present => ("实到会人数", "voters present"),
        Base::Returned => ("收回选票数", "ballots returned"),
    }
}

/// The clauses of `m` that the numbers of a round of `round`'s kind depend
/// on, as the round's report prints them (the `clauses` of a round in the
/// API). Which clauses apply is the rule engine's: the write-in clause
/// where `Round::accepts_write_ins`, the threshold where the kind has one.
pub fn round_clauses(m: &ElectionMethod, round: &crate::rules::Round) -> Vec<Clause> {
    use crate::rules::RoundKind;
    let mut out = Vec::new();
    let en_cmp = |f: &Fraction| f.en();
    out.push(clause(
        format!("实到会人数{}，会议有效。", m.quorum.zh_of("应到会人数")),
        format!(
            "The meeting is valid when those present are {} of those entitled.",
            en_cmp(&m.quorum)
        ),
    ));
    out.push(match m.box_check {
        BoxCheck::Issued => clause(
            "收回选票不多于发出选票，选举有效；多于发出选票，选举无效，应重新选举。",
            "The election is valid if no more ballots are returned than issued; otherwise void and held again.",
        ),
        BoxCheck::Voters => clause(
            "收回选票不多于投票人数，选举有效；多于投票人数，选举无效，应重新选举。",
            "The election is valid if no more ballots are returned than voters; otherwise void and held again.",
        ),
    });
    let (base_zh, base_en) = clause_base(m.threshold_base);
    match round.kind {
        // A preliminary ballot makes formal candidates, not members (入选).
        RoundKind::Preliminary => {
            out.push(clause(
                format!("预选中获得赞成票{}的，按得票多少的顺序确定为正式候选人。", m.threshold.zh_of(base_zh)),
                format!(
                    "In a preliminary ballot those with for-votes {} of {base_en} become formal candidates, in order of votes.",
                    en_cmp(&m.threshold)
                ),
            ));
            out.push(clause(
                "确定正式候选人名单的最后位次遇票数相等时，按选举办法的规定处理；入选人数不足时，由主席团决定。",
                "A tie at the last place on the formal list is settled as the method says; if too few qualify, the presidium decides.",
            ));
        }
        // A nomination or evaluation lists people by its own rules: the
        // floor, the limit, the flags (RULES §2.2, §9).
        RoundKind::Nomination | RoundKind::Evaluation => {
            out.push(clause(nomination_clause_zh(m), nomination_clause_en(m)));
        }
        _ => {
            out.push(clause(
                format!(
                    "被选举人获得的赞成票{}，始得当选。",
                    m.threshold.zh_of(base_zh)
                ),
                format!(
                    "A candidate is elected with for-votes {} of the {base_en}.",
                    en_cmp(&m.threshold)
                ),
            ));
            out.push(clause(
                "得票过半数的被选举人多于应选名额时，以得票多少为序；票数相等不能确定当选人时，应就票数相等的被选举人重新投票。",
                "If more pass than seats, they are taken in order of votes; a tie at the cut-off is decided by a runoff among the tied.",
            ));
        }
    }
    out.push(clause(
        "所选人数多于应选人数的选票为无效票。",
        "A ballot with more selections than seats is invalid.",
    ));
    if round.accepts_write_ins(m) {
        out.push(clause(
            "对候选人投不赞成票的，可以另选他人；投弃权票的，不能另选他人。",
            "A voter against a candidate may write in another name; an abstaining voter may not.",
        ));
    }
    out.push(match m.illegible {
        Illegible::Abstain => clause(
            "无法辨认的符号，该行按弃权计。",
            "An illegible mark counts as abstain on that line.",
        ),
        Illegible::VoidBallot => clause(
            "有无法辨认符号的选票为无效票。",
            "A ballot with an illegible mark is invalid.",
        ),
    });
    out.push(clause(
        format!(
            "依据：{}。完整的选举办法附后（见附件）。",
            preset::title(&m.preset)
        ),
        format!(
            "Basis: {}. The full method is attached (see the annex).",
            preset::title_en(&m.preset)
        ),
    ));
    out
}
