//! The vote report (计票结果报告) of one round, as plain text.
//!
//! It states every number with the rule that produced it: attendance and
//! the quorum rule, the list rule, the box check, each candidate's counts,
//! the threshold and its base, the outcome and what must happen next, the
//! signature lines, and the full effective method as an annex.
//!
//! A round that proposes a list (预选, 推荐, 测评) speaks of 入选, not
//! 当选, and lists candidates by votes (RULES §4.5); a round that elects
//! lists them in ballot (姓氏笔画) order. Write-ins get only a for-count:
//! they have no against or abstain line to count.

use crate::rules::method::{Base, BoxCheck, ElectionMethod, SeatReduction};
use crate::rules::outcome::{RoundResult, Status};
use crate::rules::round::{Round, RoundKind};

use super::{method_text, shown, Lang};

/// Display width of a string in a monospace terminal (CJK counts 2).
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum()
}

fn pad(s: &str, w: usize) -> String {
    let mut out = s.to_string();
    for _ in width(s)..w {
        out.push(' ');
    }
    out
}

fn lpad(s: &str, w: usize) -> String {
    let mut out = String::new();
    for _ in width(s)..w {
        out.push(' ');
    }
    out.push_str(s);
    out
}

/// Render the report.
pub fn render(method: &ElectionMethod, round: &Round, r: &RoundResult, lang: Lang) -> String {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en);
    let mut o = String::new();
    let title = t("计票结果报告", "Vote report");
    o.push_str(&format!("{title}\n{}\n", "=".repeat(width(title))));
    let contest = if round.contest.is_empty() {
        lang.t(round.office.zh(), round.office.en()).to_string()
    } else {
        shown(&round.contest).into_owned()
    };
    o.push_str(&format!(
        "{}{contest}（{}）\n",
        t("选举事项：", "Contest: "),
        lang.t(round.kind.zh(), round.kind.en())
    ));
    o.push_str(&format!(
        "{}{}\n\n",
        t("结论：", "Outcome: "),
        lang.t(r.status.zh(), r.status.en())
    ));

    // Cadre and resolution votes speak of members, nominees and 表决.
    let vote = round.kind.is_vote();
    let pick =
        |election: &'static str, vote_word: &'static str| if vote { vote_word } else { election };

    // 1. Attendance and quorum.
    let q = &r.quorum;
    o.push_str(&format!("{}\n", t("一、到会情况", "1. Attendance")));
    o.push_str(&format!(
        "  {}{}　{}{}\n",
        lang.t(
            pick("应到会有选举权人数：", "应到会成员："),
            "Entitled to vote: "
        ),
        q.entitled,
        lang.t(
            pick("实到会有选举权人数：", "实到会成员："),
            "Present with a vote: "
        ),
        q.present
    ));
    // Nomination and evaluation rounds have their own participation floor
    // (RULES §3.1), not the election's quorum.
    let list_round = matches!(
        round.rule_kind(),
        RoundKind::Nomination | RoundKind::Evaluation
    );
    o.push_str(&match (lang, list_round) {
        (Lang::Zh, true) => format!(
            "  参加人数：参加人数须{}，即至少{}人；实到{}人，{}。\n\n",
            q.rule.zh_of("应参加人数"),
            q.required,
            q.present,
            if q.met {
                "达到要求"
            } else {
                "未达到要求，本轮不能进行"
            }
        ),
        (Lang::Zh, false) => format!(
            "  法定人数：到会人数须{}，即至少{}人；实到{}人，{}。\n\n",
            q.rule.zh_of(pick("应到会人数", "应到会成员")),
            q.required,
            q.present,
            if q.met {
                "会议有效"
            } else {
                pick("会议不能进行选举", "会议不能进行表决")
            }
        ),
        (Lang::En, true) => format!(
            "  Participation floor: those taking part must be {} of entitled, i.e. at least {}; {} present: {}.\n\n",
            q.rule.en(),
            q.required,
            q.present,
            if q.met { "floor met" } else { "floor not met, the round cannot be held" }
        ),
        (Lang::En, false) => format!(
            "  Quorum: present must be {} of entitled, i.e. at least {}; {} present: {}.\n\n",
            q.rule.en(),
            q.required,
            q.present,
            if q.met { "quorum met" } else { "no quorum" }
        ),
    });
    if r.status == Status::NoQuorum {
        o.push_str(&next_steps(method, round, r, lang));
        o.push_str(&method_section(method, lang));
        return o;
    }

    // 2. The candidate list.
    o.push_str(&format!(
        "{}\n",
        lang.t(
            pick("二、候选人名单", "二、拟任人选（议题）"),
            "2. Candidate list"
        )
    ));
    o.push_str(&format!(
        "  {}{}　{}{}\n",
        lang.t(pick("应选人数：", "职位（议题）数："), "Seats: "),
        round.seats,
        lang.t(pick("候选人数：", "拟任人选（议题）数："), "Candidates: "),
        round.candidates.len()
    ));
    if let Some(next) = round.next_size {
        o.push_str(&format!(
            "  {}{next}\n",
            t("下一阶段名单人数：", "Next list size: ")
        ));
    }
    match &r.list {
        Some(l) => o.push_str(&format!(
            "  {}{}。{}{}\n\n",
            t("差额要求：", "Rule: "),
            lang.t(&l.rule_zh, &l.rule_en),
            lang.t(&l.message_zh, &l.message_en),
            if l.check.ok {
                t("，符合要求。", ": meets the rule.")
            } else {
                t(
                    "，不符合要求，名单不能付诸表决。",
                    ": the list cannot be voted on.",
                )
            }
        )),
        None => o.push_str(&format!(
            "  {}\n\n",
            t("本轮不作差额要求。", "No list rule applies to this round.")
        )),
    }
    if r.status == Status::ListRejected {
        o.push_str(&next_steps(method, round, r, lang));
        o.push_str(&method_section(method, lang));
        return o;
    }

    // 3. Ballots.
    o.push_str(&format!("{}\n", t("三、选票情况", "3. Ballots")));
    if let Some(b) = &r.ballot_box {
        let base = match (b.base, lang) {
            (BoxCheck::Issued, Lang::Zh) => "发出选票数",
            (BoxCheck::Voters, Lang::Zh) => "投票人数",
            (BoxCheck::Issued, Lang::En) => "ballots issued",
            (BoxCheck::Voters, Lang::En) => "voters",
        };
        let replaced = match (round.replaced, lang) {
            (0, _) => String::new(),
            (n, Lang::Zh) => format!("（含更换{n}张，收回作废{n}张）"),
            (n, Lang::En) => format!(" ({n} replacing spoiled ballots taken back)"),
        };
        let voters = match (b.base, round.voted, lang) {
            (BoxCheck::Voters, Some(v), Lang::Zh) => format!("投票人数{v}人（监票人记录）；"),
            (BoxCheck::Voters, None, Lang::Zh) => format!(
                "投票人数{}人（未单独记录，按实到人数与发出选票数中较少者）；",
                b.limit
            ),
            (BoxCheck::Voters, Some(v), Lang::En) => {
                format!("{v} voted (recorded by the scrutineers); ")
            }
            (BoxCheck::Voters, None, Lang::En) => format!(
                "{} voted (not recorded: the lesser of present and issued); ",
                b.limit
            ),
            (BoxCheck::Issued, _, _) => String::new(),
        };
        o.push_str(&match lang {
            Lang::Zh => format!(
                "  发出选票{}张{replaced}，收回{}张；{voters}收回数不得多于{base}{}：{}。\n",
                round.issued,
                b.returned,
                b.limit,
                if b.valid {
                    pick("选举有效", "表决有效")
                } else {
                    pick("选举无效", "表决无效")
                }
            ),
            Lang::En => format!(
                "  Issued {}{replaced}, returned {}; {voters}returned may not exceed {base} ({}): {}.\n",
                round.issued,
                b.returned,
                b.limit,
                if b.valid { "valid" } else { "void" }
            ),
        });
        if let Some(n) = b.returned_over_present {
            o.push_str(&match lang {
                Lang::Zh => format!(
                    "  注意：收回选票{}张，多于实到{}人{n}张，须由监票人查明并说明。\n",
                    b.returned, round.present
                ),
                Lang::En => format!(
                    "  Note: {} ballots returned, {n} more than the {} present; the scrutineers must explain it.\n",
                    b.returned, round.present
                ),
            });
        }
        if let Some(n) = b.issued_unexplained {
            o.push_str(&match lang {
                Lang::Zh => format!(
                    "  注意：发出选票{}张，多于实到{}人与更换{}张之和{n}张，须由监票人查明并说明。\n",
                    round.issued, round.present, round.replaced
                ),
                Lang::En => format!(
                    "  Note: {} ballots issued, {n} more than the {} present plus {} replaced; the scrutineers must explain it.\n",
                    round.issued, round.present, round.replaced
                ),
            });
        }
    }
    if let Some(c) = &r.counts {
        o.push_str(&match lang {
            Lang::Zh => format!("  有效票{}张，无效票{}张", c.valid, c.invalid),
            Lang::En => format!("  Valid {}, invalid {}", c.valid, c.invalid),
        });
        let reasons: Vec<String> = c
            .invalid_by_reason
            .iter()
            .map(|(reason, n)| format!("{}{n}", lang.t(reason.zh(), reason.en()).to_string() + " "))
            .collect();
        if !reasons.is_empty() {
            o.push_str(&format!("（{}）", reasons.join("；")));
        }
        o.push('\n');
        for (reason, n) in &c.void_reasons {
            o.push_str(&format!(
                "    {}{} × {n}\n",
                t("废票理由：", "void: "),
                shown(reason)
            ));
        }
        if c.ignored_write_ins > 0 {
            o.push_str(&format!(
                "  {}{}\n",
                t("不计票的另选他人：", "Write-ins disregarded: "),
                c.ignored_write_ins
            ));
        }
        if c.illegible_marks > 0 {
            o.push_str(&format!(
                "  {}{}\n",
                t(
                    "无法辨认按弃权计算的符号：",
                    "Illegible marks counted as abstentions: "
                ),
                c.illegible_marks
            ));
        }
    }
    o.push('\n');
    if r.status == Status::Void {
        o.push_str(&next_steps(method, round, r, lang));
        o.push_str(&method_section(method, lang));
        return o;
    }

    // 4. Counts per candidate.
    o.push_str(&format!("{}\n", t("四、得票情况", "4. Votes")));
    let base_name = match (method.threshold_base, lang) {
        (Base::Entitled, Lang::Zh) => pick("应到会有选举权人数", "应到会成员"),
        (Base::Present, Lang::Zh) => "实到会有选举权人数",
        (Base::Returned, Lang::Zh) => "收回选票数",
        (Base::Entitled, Lang::En) => "entitled",
        (Base::Present, Lang::En) => "present",
        (Base::Returned, Lang::En) => "returned",
    };
    o.push_str(&match lang {
        Lang::Zh => format!(
            "  {}：{}须{}（{}），即至少{}票{}。\n",
            if round.kind.is_vote() {
                "通过票数"
            } else if round.proposes_list() {
                "入选票数"
            } else {
                "当选票数"
            },
            pick("赞成票", "同意票"),
            method.threshold.zh_of(base_name),
            r.threshold_base,
            r.threshold,
            if r.threshold_applies {
                ""
            } else {
                "（本轮按得票排序，不适用）"
            }
        ),
        Lang::En => format!(
            "  Threshold: for-votes {} of {base_name} ({}), i.e. at least {}{}.\n",
            method.threshold.en(),
            r.threshold_base,
            r.threshold,
            if r.threshold_applies {
                ""
            } else {
                " (not applied: this round ranks)"
            }
        ),
    });
    let name_w = r
        .rows
        .iter()
        .map(|row| width(&shown(&row.name)))
        .max()
        .unwrap_or(4)
        .max(8)
        + 2;
    let (h_for, h_against, h_abstain, h_mark) = match (round.kind, lang) {
        (RoundKind::Cadre, Lang::Zh) => ("同意", "不同意", "缓议/弃权", "过半"),
        (_, Lang::Zh) => ("赞成", "不赞成", "弃权", "过半"),
        (_, Lang::En) => ("for", "against", "abstain", "above"),
    };
    o.push_str(&format!(
        "  {}{}{}{}  {}\n",
        pad(t("姓名", "name"), name_w),
        lpad(h_for, 8),
        lpad(h_against, 10),
        lpad(h_abstain, 10),
        h_mark
    ));
    // List rounds rank by votes (ties in ballot order); write-ins after.
    let mut rows: Vec<_> = r.rows.iter().collect();
    if round.proposes_list() {
        rows.sort_by_key(|row| (row.write_in, std::cmp::Reverse(row.count.for_votes)));
    }
    for row in rows {
        let mut name = shown(&row.name).into_owned();
        if row.write_in {
            name.push_str(t("（另选）", " (write-in)"));
        }
        let mark = if row.above_threshold { "✓" } else { "" };
        let flag = if row.flagged {
            t("  不满意达到测评标准", "  flagged by evaluation")
        } else {
            ""
        };
        let flag = if row.removal {
            format!("{flag}{}", t("  不满意达到免职标准", "  removal procedure"))
        } else {
            flag.to_string()
        };
        let (against, abstain) = if row.write_in {
            (String::new(), String::new())
        } else {
            (row.count.against.to_string(), row.count.abstain.to_string())
        };
        o.push_str(&format!(
            "  {}{}{}{}  {mark}{flag}\n",
            pad(&name, name_w),
            lpad(&row.count.for_votes.to_string(), 8),
            lpad(&against, 10),
            lpad(&abstain, 10),
        ));
    }
    o.push('\n');
    if let (Some(rating), Some(people)) = (&round.rating, &r.ratings) {
        o.push_str(&ratings_table(rating, people, lang));
    }

    // 5. Result.
    o.push_str(&format!("{}\n", t("五、结果", "5. Result")));
    if round.proposes_list() {
        if let Some(list) = &r.next_list {
            o.push_str(&format!(
                "  {}{}\n",
                match round.rule_kind() {
                    RoundKind::Preliminary => t(
                        "入选正式候选人（按得票多少为序）：",
                        "Formal candidates (in order of votes): ",
                    ),
                    _ => t(
                        "入选下一阶段名单（按得票多少为序）：",
                        "Next list (in order of votes): ",
                    ),
                },
                join(list, lang)
            ));
        }
    } else {
        let label = if round.kind.is_vote() {
            t("通过：", "Passed: ")
        } else {
            t("当选（按姓氏笔画为序）：", "Elected (in ballot order): ")
        };
        o.push_str(&format!("  {label}{}\n", join(&r.elected, lang)));
    }
    if let Some(ro) = &r.runoff {
        o.push_str(&match lang {
            Lang::Zh => format!(
                "  票数相等：{}得票相等，跨越最后名额，须就这{}人重新投票，确定{}名。\n",
                ro.among.join("、"),
                ro.among.len(),
                ro.seats
            ),
            Lang::En => format!(
                "  Tie: {} have equal votes across the cut-off; a runoff among these {} decides {} place(s).\n",
                ro.among.join(", "),
                ro.among.len(),
                ro.seats
            ),
        });
    }
    if r.unfilled > 0 {
        o.push_str(&match lang {
            Lang::Zh => format!("  未满名额：{}名。\n", r.unfilled),
            Lang::En => format!("  Unfilled: {}.\n", r.unfilled),
        });
    }
    o.push('\n');
    o.push_str(&next_steps(method, round, r, lang));
    o.push_str(&method_section(method, lang));
    o
}

/// A rated evaluation (`rules::rating`): the rule, then per person (and
/// item) the count of each level, approvals, the worst item's
/// disapprovals and the flags.
fn ratings_table(
    rating: &crate::rules::rating::Rating,
    people: &[crate::rules::rating::PersonRating],
    lang: Lang,
) -> String {
    let t = |zh: &'static str, en: &'static str| match lang {
        Lang::Zh => zh,
        Lang::En => en,
    };
    let mut o = String::new();
    o.push_str(&format!(
        "  {}{}\n",
        t("测评等次统计（", "Ratings ("),
        match lang {
            Lang::Zh => format!("{}）", rating.describe_zh()),
            Lang::En => format!("{})", rating.describe_en()),
        }
    ));
    let name_w = people
        .iter()
        .map(|p| width(&p.name))
        .max()
        .unwrap_or(4)
        .max(6)
        + 2
        + if rating.items.is_empty() { 0 } else { 6 };
    let mut head = format!("  {}", pad(t("姓名", "name"), name_w));
    for l in &rating.levels {
        head.push_str(&lpad(l, 10));
    }
    head.push_str(&lpad(t("未选", "blank"), 8));
    o.push_str(&head);
    o.push('\n');
    for p in people {
        for it in &p.items {
            let label = match &it.item {
                Some(i) => format!("{}·{i}", p.name),
                None => p.name.clone(),
            };
            let mut line = format!("  {}", pad(&label, name_w));
            for n in &it.levels {
                line.push_str(&lpad(&n.to_string(), 10));
            }
            line.push_str(&lpad(&it.blank.to_string(), 8));
            o.push_str(&line);
            o.push('\n');
        }
        let mut flags = String::new();
        if p.flagged {
            flags.push_str(t("  不列为人选", "  not listed (flag)"));
        }
        if p.removal {
            flags.push_str(t("  达到免职标准", "  removal procedure"));
        }
        o.push_str(&match lang {
            Lang::Zh => format!(
                "    {}：赞成{}票，不赞成{}票{}{}\n",
                p.name,
                p.approvals,
                p.disapprovals,
                p.worst_item
                    .as_ref()
                    .map_or(String::new(), |w| format!("（{w}）")),
                flags
            ),
            Lang::En => format!(
                "    {}: approvals {}, disapprovals {}{}{}\n",
                p.name,
                p.approvals,
                p.disapprovals,
                p.worst_item
                    .as_ref()
                    .map_or(String::new(), |w| format!(" ({w})")),
                flags
            ),
        });
    }
    o.push('\n');
    o
}

fn join(names: &[String], lang: Lang) -> String {
    if names.is_empty() {
        return lang.t("无", "none").to_string();
    }
    let names: Vec<_> = names.iter().map(|n| shown(n)).collect();
    names.join(lang.t("、", ", "))
}

/// What the rules leave to people after this outcome.
fn next_steps(method: &ElectionMethod, round: &Round, r: &RoundResult, lang: Lang) -> String {
    let t = |zh: &'static str, en: &'static str| lang.t(zh, en).to_string();
    let step = match r.status {
        Status::NoQuorum => t(
            "不进行选举，待到会人数符合要求后再行选举。",
            "Do not vote; hold the round when enough members are present.",
        ),
        Status::ListRejected => t(
            "调整候选人名单使其符合差额要求后，再付诸表决。",
            "Revise the candidate list to meet the rule before any vote.",
        ),
        Status::Void => t(
            "本轮选举无效，不公布计票结果，应重新投票。",
            "The round is void: publish no tally and hold the vote again.",
        ),
        Status::RunoffRequired => match lang {
            Lang::Zh => format!(
                "由主席团（会议主持人）组织就票数相等的被选举人重新投票（本办法以{}次为限）。",
                method.max_runoff_rounds
            ),
            Lang::En => format!(
                "The presidium calls a runoff among the tied (at most {} under this method).",
                method.max_runoff_rounds
            ),
        },
        Status::Shortfall if round.proposes_list() => match (lang, r.list_may_proceed) {
            (Lang::Zh, Some(true)) => "符合条件的人数不足，主席团可决定另行预选补足，或以现有名单（仍符合差额要求）进入正式选举。".into(),
            (Lang::Zh, _) => "符合条件的人数不足，由主席团决定另行预选补足名单。".into(),
            (Lang::En, Some(true)) => "Too few qualified: the presidium may hold another preliminary for the missing places, or proceed with this list (it still meets the formal rule).".into(),
            (Lang::En, _) => "Too few qualified: the presidium decides on another round for the missing places.".into(),
        },
        Status::Shortfall => {
            let who = match (method.seat_reduction, lang) {
                (SeatReduction::ElectorsMajority, Lang::Zh) => "经半数以上选举人同意",
                (SeatReduction::Presidium, Lang::Zh) => "经主席团决定",
                (SeatReduction::ElectorsMajority, Lang::En) => "with the consent of more than half of the electors",
                (SeatReduction::Presidium, Lang::En) => "by presidium decision",
            };
            match lang {
                Lang::Zh => format!(
                    "对不足的{}个名额另行选举（本办法以{}次为限）；如当选人数接近应选名额，{who}，也可减少名额。",
                    r.unfilled, method.max_supplementary_rounds
                ),
                Lang::En => format!(
                    "Hold a supplementary ballot for the {} unfilled seat(s) (at most {} under this method), or reduce the seats {who}.",
                    r.unfilled, method.max_supplementary_rounds
                ),
            }
        }
        Status::Complete if round.proposes_list() => t(
            "由主席团确认下一阶段名单。",
            "The presidium confirms the next list.",
        ),
        Status::Complete => t(
            "监票人签字后，由会议主持人宣布结果。",
            "After the scrutineers sign, the chair announces the result.",
        ),
    };
    format!("{}\n  {step}\n\n", t("六、下一步", "6. Next step"))
}

/// The lines the record is signed on (RULES §6: the scrutineers sign the
/// record; the chair announces).
fn signatures(lang: Lang) -> String {
    let line = "＿＿＿＿＿＿＿＿";
    match lang {
        Lang::Zh => format!(
            "七、签字\n  总监票人：{line}\n  监票人：{line}　{line}　{line}\n  计票人：{line}　{line}　{line}\n  会议主持人（主席团）：{line}\n  日期：＿＿＿＿年＿＿月＿＿日\n\n"
        ),
        Lang::En => "7. Signatures\n  Chief scrutineer: ________\n  Scrutineers: ________  ________  ________\n  Counters: ________  ________  ________\n  Chair (presidium): ________\n  Date: ________\n\n".to_string(),
    }
}

/// The signature lines, then the full method as the annex the report
/// refers to.
fn method_section(method: &ElectionMethod, lang: Lang) -> String {
    format!(
        "{}{}\n{}",
        signatures(lang),
        lang.t(
            "附件：本轮适用的选举办法（全文）",
            "Annex: the effective method (full text)"
        ),
        method_text::render(method, lang)
    )
}
