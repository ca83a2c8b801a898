//! A pipeline stage through the presidium's screens in headless Chromium
//! (issue 11, RULES §9): a nomination by two groups with the party
//! organisation's nominee listed directly, each group's tally shown apart
//! and the combined tally with the nominee first; the next stage's size
//! with its printed rule (进一法); the presidium accepting the list and
//! taking the qualification review (资格审查) on its screen, striking one
//! nominee with the reason, signed on its device; the next stage (a
//! four-level evaluation) showing the amended list with the reason and its
//! rating rule and flags; a cadre vote's draft showing the failed-twice
//! refusal with the earlier results; the report and the printed method
//! with the stage's own clauses; the election page with each round's
//! stage, its size rule, the review and the amended list, and a group
//! held without its floor re-run into its combination (the failed round
//! shown as superseded). The counting is set up over HTTP (the
//! counter's screen has its own test); the presidium's acts go through the
//! browser. Every screen added is checked in zh-CN and en, and the Chinese
//! pages are scanned for raw ids and English state words.

use serde_json::{json, Value};

use super::common::meeting::Meeting;
use super::common::stage::{rated, Hall, Staff};
use super::common::webdriver::{Driver, Session};
use super::screens::{goto_as, scan};
use super::{check_i18n, confirm, Server, I18N_CHECK};

/// The text checks of the page as it stands, in its current language
/// (the dialog open: its labels were made in that language).
fn check_now(s: &Session, what: &str) {
    let bad = s.cmd(
        "POST",
        "/execute/async",
        Some(json!({ "script": I18N_CHECK, "args": [] })),
    );
    assert_eq!(bad, json!([]), "{what}");
}

/// The text of the first element matching `css`, read in one script (the
/// screens re-render on live updates; an element found first may be
/// replaced before its text is read).
fn text_of(s: &Session, css: &str) -> String {
    s.exec(
        "return document.querySelector(arguments[0])?.textContent ?? '';",
        json!([css]),
    )
    .as_str()
    .unwrap_or("")
    .to_string()
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("round id").to_string()
}

#[test]
fn a_stage_with_groups_review_and_refusal_on_the_presidiums_screens() {
    let server = Server::start();
    let m = Meeting::create(server.client, &server.setup_token, 50, json!([]));
    let staff = Staff {
        counters: ["计票甲", "计票乙"],
        scrutineer: "监票丙",
        seed: 81,
    };
    let h = Hall::new(m, 45, staff);
    let presidium = h.presidium.clone();
    let e = h.election(json!({ "contest": "出席镇党代会代表", "office": "delegate", "seats": 2 }));

    // The nomination: two groups, the organisation's 钱一 listed directly;
    // 1:3 per seat of 2 = 6 names, 5 by the vote.
    let people = [
        "丁一", "王二", "刘三", "张四", "陈五", "周六", "吴七", "郑八",
    ];
    let nom = h.round(
        &e,
        json!({
            "kind": "nomination",
            "candidates": people,
            "groups": ["党员推荐", "群众推荐"],
            "organisation": { "nominees": ["钱一"] },
            "next_rule": { "ratio": { "kind": "times", "num": 3, "den": 1 }, "of": 2 },
            "method": { "nomination_limit": "unlimited" },
        }),
    );
    let combined = id(&nom);
    assert_eq!(nom["next_size"], 5, "{nom}");
    assert_eq!(nom["stage"]["next_rule"]["size"]["min"], 6, "{nom}");
    let groups: Vec<String> = nom["stage"]["combined"]["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g.as_str().expect("id").to_string())
        .collect();
    h.open(
        &groups[0],
        json!({ "issued": 16, "entitled": 20, "present": 16 }),
    );
    h.count(
        &groups[0],
        &rated(16, &[16, 15, 14, 13, 12, 11, 2, 1], &[0; 8]),
        json!({ "returned": 16 }),
    );
    h.open(
        &groups[1],
        json!({ "issued": 24, "entitled": 30, "present": 24 }),
    );
    h.count(
        &groups[1],
        &rated(24, &[24, 22, 20, 18, 16, 14, 3, 0], &[0; 8]),
        json!({ "returned": 24 }),
    );
    h.open(&combined, json!({}));
    let all = h.close(&combined, json!({ "returned": 40 }));
    assert_eq!(all["status"], "complete", "{all}");

    let driver = Driver::start();
    let s = driver.session("presidium");
    s.set_window(1280, 900);

    s.step("the combined round: each group apart, the combined tally with 钱一 first");
    goto_as(&s, &server, "presidium.html", &presidium, &h.m.id);
    s.wait_visible(&format!("#rounds [data-round={combined}]"));
    s.click(&format!("#rounds [data-round={combined}]"));
    s.wait_visible("#groups-card .group-tally table");
    s.wait_visible("#combined-tally");
    let page = s.exec(
        "return { groups: [...document.querySelectorAll('#groups .group-tally')].map((g) => ({
                    name: g.querySelector('h3').textContent,
                    first: g.querySelector('tbody tr')?.dataset.name,
                    rows: g.querySelectorAll('tbody tr').length })),
                  combined: [...document.querySelectorAll('#combined-tally tbody tr')].map((r) => r.dataset.name + ':' + r.dataset.standing),
                  rule: document.querySelector('#stage-next-rule')?.textContent,
                  size: document.querySelector('#stage-next-rule')?.dataset.size,
                  organisation: document.querySelector('#stage-organisation')?.textContent };",
        json!([]),
    );
    assert_eq!(
        page["groups"],
        json!([
            { "name": "党员推荐", "first": "丁一", "rows": 8 },
            { "name": "群众推荐", "first": "丁一", "rows": 8 },
        ]),
        "{page}"
    );
    let combined_rows = page["combined"].as_array().expect("rows");
    assert_eq!(combined_rows.len(), 9, "{page}");
    assert_eq!(combined_rows[0], "钱一:organisation", "{page}");
    let rule = page["rule"].as_str().unwrap_or("");
    assert!(rule.contains("进一法") && rule.contains("为6名"), "{page}");
    assert_eq!(page["size"], "6", "{page}");
    assert!(
        page["organisation"].as_str().unwrap_or("").contains("钱一"),
        "{page}"
    );
    check_i18n(&s, "presidium (combined nomination)");
    scan(&s, "presidium (combined nomination)", false);

    s.step("a group round says which group it is and where the combination is");
    s.click(&format!("#rounds [data-round={}]", groups[1]));
    s.wait_visible("#stage-group");
    let line = text_of(&s, "#stage-group");
    assert!(
        line.contains("群众推荐") && line.contains("第 1 轮"),
        "{line}"
    );
    // A group's list is not accepted apart: its combination's is.
    assert_eq!(
        s.exec(
            "return { hidden: document.querySelector('#groups-card').classList.contains('hidden'),
                      offered: [...document.querySelectorAll('[data-decision]')].map((b) => b.dataset.decision) };",
            json!([])
        ),
        json!({ "hidden": true, "offered": [] })
    );
    scan(&s, "presidium (group)", false);

    s.step("the presidium accepts the list, then reviews it: one struck with the reason");
    s.click(&format!("#rounds [data-round={combined}]"));
    s.wait_visible("[data-decision=accept_list]");
    assert_eq!(
        s.exec(
            "return !!document.querySelector('[data-decision=review]');",
            json!([])
        ),
        false,
        "no review before a list is accepted"
    );
    s.click("[data-decision=accept_list]");
    confirm(&s);
    s.wait_visible("[data-decision=review]");
    s.click("[data-decision=review]");
    s.wait_visible("#review-list");
    let listed = s.exec(
        "return [...document.querySelectorAll('#review-list tbody tr')].map((r) => r.dataset.name);",
        json!([]),
    );
    assert_eq!(
        listed,
        json!(["钱一", "丁一", "王二", "刘三", "张四", "陈五"]),
        "the list the service offers to review"
    );
    check_now(&s, "the review form in zh-CN");
    scan(&s, "presidium (review form)", false);
    // Nothing struck or added: the form says so and stays open.
    s.click("dialog[open] [data-action=confirm]");
    s.wait_visible("#review-error");
    // Struck without a reason: still refused on the screen.
    s.click("#review-list input[data-name='刘三']");
    s.click("dialog[open] [data-action=confirm]");
    s.wait_for(
        "document.querySelector('#review-error [data-i18n]')?.dataset.i18n === 'presidium.review_reason_needed'",
        10,
    );
    s.fill(
        "#review-list input[data-reason-for='刘三']",
        "考察中发现不符合代表条件",
    );
    s.fill("#review-by", "镇党委");
    confirm(&s);
    s.wait_visible("#decisions-taken [data-taken=review] [data-review=strike]");
    let taken = text_of(&s, "#decisions-taken [data-taken=review]");
    assert!(
        taken.contains("钱一、丁一、王二、张四、陈五")
            && taken.contains("划去 刘三：考察中发现不符合代表条件（镇党委）"),
        "{taken}"
    );
    s.wait_for("!document.querySelector('[data-decision=review]')", 10);
    check_i18n(&s, "presidium (reviewed)");
    scan(&s, "presidium (reviewed)", false);
    // (A review is taken once: the form in English is seen on the next
    // stage's review below.)

    // The logged decision is the presidium's, signed on its device.
    let round =
        h.m.get(&presidium, &format!("/rounds/{combined}"))
            .expect(200)
            .json();
    let review = round["decisions"]
        .as_array()
        .and_then(|d| d.iter().find(|x| x["decision"] == "review"))
        .cloned()
        .expect("review logged");
    assert_eq!(review["decisions"][0]["name"], "刘三", "{review}");
    assert_eq!(review["decisions"][0]["by"], "镇党委", "{review}");

    // The next stage: a four-level evaluation of the amended list, +20%
    // of the 2 seats = 3; 不称职 ≥ 1/4 starts the removal procedure.
    let amended = ["钱一", "丁一", "王二", "张四", "陈五"];
    let ev = h.round(
        &e,
        json!({
            "kind": "evaluation",
            "candidates": amended,
            "next_rule": { "ratio": { "kind": "more", "num": 1, "den": 5 }, "of": 2 },
            "rating": { "levels": ["优秀", "称职", "基本称职", "不称职"] },
            "method": {
                "evaluation_removal": { "num": 1, "den": 4, "comparison": "inclusive" },
            },
        }),
    );
    let ev = id(&ev);
    h.open(&ev, json!({ "issued": 45 }));
    // 不称职: 钱一 0, 丁一 2, 王二 12 (≥ 45/4), 张四 5, 陈五 8; 优秀 for
    // 钱一 on 30 ballots, the rest 称职.
    let unfit = [0, 2, 12, 5, 8];
    let ballots: Vec<String> = (0..45)
        .map(|b| {
            unfit
                .iter()
                .enumerate()
                .map(|(p, &k)| match (p, b) {
                    (_, b) if b < k => "AAAY",
                    (0, b) if b < 30 => "YAAA",
                    _ => "AYAA",
                })
                .collect()
        })
        .collect();
    let r = h.count(&ev, &json!(ballots), json!({ "returned": 45 }));
    assert_eq!(r["status"], "complete", "{r}");

    s.step("the next stage shows the amended list with the reason, the rating rule and flags");
    goto_as(&s, &server, "presidium.html", &presidium, &h.m.id);
    s.wait_visible(&format!("#rounds [data-round={ev}]"));
    s.click(&format!("#rounds [data-round={ev}]"));
    s.wait_visible("#stage-amended");
    let amended_text = text_of(&s, "#stage-amended");
    assert!(
        amended_text.contains("第 1 轮（民主推荐）")
            && amended_text.contains("划去 刘三：考察中发现不符合代表条件（镇党委）")
            && amended_text.contains("钱一、丁一、王二、张四、陈五"),
        "{amended_text}"
    );
    s.wait_visible("#ratings tbody tr");
    let ratings = s.exec(
        "return { flagged: [...document.querySelectorAll('#ratings [data-flag=removal]')].map((f) => f.closest('tr').dataset.name),
                  rule: document.querySelector('#stage-rating').textContent,
                  next: document.querySelector('#stage-next-rule').textContent };",
        json!([]),
    );
    assert_eq!(ratings["flagged"], json!(["王二"]), "{ratings}");
    assert!(
        ratings["rule"]
            .as_str()
            .unwrap_or("")
            .contains("优秀、称职、基本称职、不称职"),
        "{ratings}"
    );
    assert!(
        ratings["next"].as_str().unwrap_or("").contains("为3名"),
        "{ratings}"
    );
    check_i18n(&s, "presidium (evaluation after review)");
    scan(&s, "presidium (evaluation after review)", false);

    s.step("the review form in English");
    s.click("[data-decision=accept_list]");
    confirm(&s);
    s.wait_visible("[data-decision=review]");
    s.click("#lang-toggle");
    s.wait_for("document.documentElement.lang === 'en'", 10);
    s.click("[data-decision=review]");
    s.wait_visible("#review-list");
    check_now(&s, "the review form in English");
    s.click("dialog[open] [data-action=cancel]");
    s.wait_for("!document.querySelector('dialog[open]')", 10);
    s.click("#lang-toggle");
    s.wait_for("document.documentElement.lang === 'zh-CN'", 10);

    s.step("a cadre vote's second nomination, drafted before the vote, is refused after it");
    let e2 = h.election(json!({ "contest": "办公室主任", "office": "other", "seats": 1 }));
    let earlier = json!([{ "nominee": "张三", "post": "办公室主任", "meeting": "2025年3月党委会",
        "for": 3, "against": 6, "abstain": 0, "entitled": 9, "passed": false }]);
    let vote = id(&h.round(
        &e2,
        json!({ "kind": "cadre", "candidates": ["张三"], "record": earlier }),
    ));
    let draft = id(&h.round(
        &e2,
        json!({ "kind": "cadre", "candidates": ["张三"], "record": earlier }),
    ));
    h.open(&vote, json!({ "issued": 45 }));
    let mut b: Vec<&str> = std::iter::repeat_n("Y", 10).collect();
    b.extend(std::iter::repeat_n("N", 35));
    let failed = h.count(&vote, &json!(b), json!({ "returned": 45 }));
    assert_eq!(failed["elected"], json!([]), "{failed}");
    h.m.post(
        &h.org,
        &format!("/rounds/{draft}/open"),
        json!({ "issued": 45 }),
    )
    .problem(422, "nomination_refused");

    goto_as(&s, &server, "presidium.html", &presidium, &h.m.id);
    s.wait_visible(&format!("#rounds [data-round={draft}]"));
    s.click(&format!("#rounds [data-round={draft}]"));
    s.wait_visible("[data-refused='张三']");
    let refusal = s.exec(
        "const r = document.querySelector(\"[data-refused='张三']\");
         return { text: r.querySelector('p').textContent,
                  earlier: [...r.querySelectorAll('li')].map((li) => li.textContent) };",
        json!([]),
    );
    assert!(
        refusal["text"]
            .as_str()
            .unwrap_or("")
            .contains("已 2 次未获通过办公室主任职位"),
        "{refusal}"
    );
    let earlier_lines = refusal["earlier"].as_array().expect("earlier");
    assert_eq!(earlier_lines.len(), 2, "{refusal}");
    assert!(
        earlier_lines[0]
            .as_str()
            .unwrap_or("")
            .contains("2025年3月党委会：张三，办公室主任，同意 3，不同意 6"),
        "{refusal}"
    );
    assert!(
        earlier_lines[1]
            .as_str()
            .unwrap_or("")
            .contains("本次会议办公室主任第1轮：张三，办公室主任，同意 10，不同意 35"),
        "{refusal}"
    );
    check_i18n(&s, "presidium (refusal)");
    scan(&s, "presidium (refusal)", false);

    s.step("the combined round's report: the stage and each group's tally");
    goto_as(
        &s,
        &server,
        &format!("report.html?round={combined}"),
        &presidium,
        &h.m.id,
    );
    s.wait_visible("#r-stage");
    s.wait_for(
        "document.querySelectorAll('.r-group table').length === 2",
        20,
    );
    let report = text_of(&s, "#r-stage");
    assert!(
        report.contains("进一法") && report.contains("钱一"),
        "{report}"
    );
    check_i18n(&s, "report (combined nomination)");
    scan(&s, "report (combined nomination)", false);

    s.step("the printed method: each stage's own clauses, by round number");
    goto_as(&s, &server, "method.html?adopted=1", &presidium, &h.m.id);
    s.wait_for(
        "[...document.querySelectorAll('.clause, .method-title, p')].some((p) => p.textContent.includes('本阶段选举办法'))",
        20,
    );
    let text = s.exec("return document.body.innerText;", json!([]));
    let text = text.as_str().unwrap_or("");
    assert!(
        text.contains("本阶段选举办法：出席镇党代会代表（第 1 轮，民主推荐）"),
        "{text}"
    );
    assert!(
        text.contains("出席镇党代会代表（第 4 轮）测评办法"),
        "{text}"
    );
    scan(&s, "method (stages)", false);

    s.step("the election page: each round's stage, the size with its rule, the review and the amended list");
    goto_as(
        &s,
        &server,
        &format!("election.html?election={e}"),
        &presidium,
        &h.m.id,
    );
    s.wait_visible("#rounds-table [data-stage=combined]");
    let rows = stage_rows(&s);
    let row = |n: &str| -> Vec<String> {
        rows.as_array()
            .and_then(|a| a.iter().find(|r| r["n"] == n))
            .map(|r| {
                r["facts"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        row("1")[..3],
        [
            "combined:各组推荐结果合计：“党员推荐”计第 2 轮；“群众推荐”计第 3 轮",
            "organisation:党组织推荐人选直接列入：钱一",
            "size:下一阶段名单人数：以2名为基数，按3倍确定，尾数按进一法取整，为6名",
        ],
        "{rows}"
    );
    assert!(
        row("1")[3].starts_with("review:经资格审查调整后的名单：钱一、丁一、王二、张四、陈五")
            && row("1")[3].contains("划去 刘三：考察中发现不符合代表条件（镇党委）"),
        "{rows}"
    );
    assert_eq!(
        row("2"),
        [
            "group:分组推荐中“党员推荐”一组，单独计票、单独公布，合计见第 1 轮",
            "electorate:本组应参加 20 人，实参加 16 人"
        ],
        "{rows}"
    );
    assert_eq!(
        row("4")[1],
        "amended:本轮名单为第 1 轮之后经资格审查调整的名单：钱一、丁一、王二、张四、陈五",
        "{rows}"
    );
    check_i18n(&s, "election (stages)");
    scan(&s, "election (stages)", false);

    s.step("a group held without its floor, re-run into its combination, on the election page");
    let e3 = h.election(json!({ "contest": "村党支部委员", "seats": 1 }));
    let nom = h.round(
        &e3,
        json!({ "kind": "nomination", "candidates": ["丁一", "王二"],
                "groups": ["党员", "农户"], "next_size": 2 }),
    );
    let (combined3, g3) = (id(&nom), nom["stage"]["combined"]["groups"].clone());
    let (members, households) = (
        g3[0].as_str().expect("id").to_string(),
        g3[1].as_str().expect("id").to_string(),
    );
    h.open(
        &members,
        json!({ "issued": 16, "entitled": 20, "present": 16 }),
    );
    let one_each = |a: usize, b: usize| -> Value {
        let mut v: Vec<&str> = std::iter::repeat_n("YA", a).collect();
        v.extend(std::iter::repeat_n("AY", b));
        json!(v)
    };
    h.count(&members, &one_each(10, 6), json!({ "returned": 16 }));
    // 23 of 30 households: below 80%, not held; the presidium re-runs it.
    h.open(
        &households,
        json!({ "issued": 23, "entitled": 30, "present": 23 }),
    );
    h.m.cosign(&h.s, &h.ks, &households).expect(201);
    let again =
        h.m.post(
            &presidium,
            &format!("/rounds/{households}/decisions"),
            json!({ "decision": "rerun" }),
        )
        .expect(201)
        .json();
    let again = id(&again["round"]);
    h.open(
        &again,
        json!({ "issued": 24, "entitled": 30, "present": 24 }),
    );
    h.count(&again, &one_each(20, 4), json!({ "returned": 24 }));
    h.open(&combined3, json!({}));
    h.close(&combined3, json!({ "returned": 40 }));
    goto_as(
        &s,
        &server,
        &format!("election.html?election={e3}"),
        &presidium,
        &h.m.id,
    );
    s.wait_visible("#rounds-table [data-stage=superseded]");
    let rows = stage_rows(&s);
    assert_eq!(
        rows,
        json!([
            { "n": "1", "facts": [
                "combined:各组推荐结果合计：“党员”计第 2 轮；“农户”计第 4 轮（第 3 轮未能有效进行，已重新推荐，不计入）",
                "size:下一阶段名单 2 名" ] },
            { "n": "2", "facts": [
                "group:分组推荐中“党员”一组，单独计票、单独公布，合计见第 1 轮", "electorate:本组应参加 20 人，实参加 16 人" ] },
            { "n": "3", "facts": [
                "group:分组推荐中“农户”一组，单独计票、单独公布，合计见第 1 轮", "electorate:本组应参加 30 人，实参加 23 人",
                "superseded:本轮未能有效进行，已由第 4 轮重新举行，本轮结果不计入" ] },
            { "n": "4", "facts": [
                "group:分组推荐中“农户”一组，单独计票、单独公布，合计见第 1 轮", "electorate:本组应参加 30 人，实参加 24 人",
                "rerun-of:重新举行第 3 轮" ] },
        ]),
        "{rows}"
    );
    check_i18n(&s, "election (re-run group)");
    scan(&s, "election (re-run group)", false);

    s.step("the combination on the presidium's screen: the re-run counted, the failed round superseded");
    goto_as(&s, &server, "presidium.html", &presidium, &h.m.id);
    s.wait_visible(&format!("#rounds [data-round={combined3}]"));
    s.click(&format!("#rounds [data-round={combined3}]"));
    s.wait_visible("#groups [data-superseded]");
    let line = text_of(&s, "#groups [data-superseded]");
    assert_eq!(
        line, "“农户”计第 4 轮（第 3 轮未能有效进行，已重新推荐，不计入）",
        "{line}"
    );
    check_i18n(&s, "presidium (re-run group)");
    scan(&s, "presidium (re-run group)", false);
}

/// The election page's rounds, each with its stage lines
/// (`data-stage:text`).
fn stage_rows(s: &Session) -> Value {
    s.exec(
        "return [...document.querySelectorAll('#rounds-table tbody tr')].map((tr) => ({
           n: tr.dataset.number,
           facts: [...tr.querySelectorAll('.stage-facts > div')].map((d) => d.dataset.stage + ':' + d.textContent) }));",
        json!([]),
    )
}
