//! The counter's screen for the stages of issue 11 in headless Chromium:
//!
//! - a ballot paper with three sections (村党支部书记, 副书记, 委员), each
//!   its own round in its own election, entered as one sheet by two
//!   counters from the keyboard: the sections in print order, the cursor
//!   flowing from one into the next, one paper overvoting the 委员 section
//!   (that section alone is shown void), each section submitted as its own
//!   batch; a difference in one section resolved by a scrutineer; every
//!   section closed and its own tally checked (the overvote is invalid in
//!   委员 only);
//! - a four-level evaluation (优秀/称职/基本称职/不称职) entered as a
//!   table, one digit per person, a second tick in a row refused as the
//!   service refuses it, a row left blank; two counters reconcile; the
//!   ranking and the flags (30% 不称职 not listed, 1/4 the removal
//!   procedure) checked;
//! - a nomination paper of two post levels (正职, 副职) offered as one
//!   sheet, each section's limit its own `next_size`: an over-named 副职
//!   part shown void alone.
//!
//! Each screen is checked in both languages and scanned for raw ids and
//! English state words in Chinese text.

use serde_json::{json, Value};

use super::common::meeting::{cosigner, Meeting, Person};
use super::common::webdriver::{key, Driver, Session};
use super::screens::{goto_as, scan};
use super::{check_i18n, confirm, Server};

/// WebDriver's Delete key.
const DELETE: &str = "\u{E017}";

fn entered(s: &Session) -> u64 {
    s.exec(
        "return document.querySelectorAll('#entered li').length;",
        json!([]),
    )
    .as_u64()
    .unwrap_or(0)
}

/// Starts a batch of `size` papers on the batch screen, keyboard only.
fn start_batch(s: &Session, label: &str, size: usize) {
    s.wait_visible("#batch-label");
    // The language toggle of a check may hold the focus.
    s.click("#batch-label");
    s.wait_for(
        "document.activeElement && document.activeElement.id === 'batch-label'",
        20,
    );
    s.type_keys(label);
    s.keys(&[&[key::TAB]]);
    s.type_keys(&size.to_string());
    s.keys(&[&[key::ENTER]]);
    s.wait_for(
        "document.activeElement && document.activeElement.id === 'ballot'",
        10,
    );
}

/// Enter: the ballot goes into the batch (`n` entered so far after it).
fn next(s: &Session, n: usize) {
    s.keys(&[&[key::ENTER]]);
    s.wait_for(
        &format!("document.querySelectorAll('#entered li').length === {n}"),
        10,
    );
}

/// Ctrl+Enter, confirmed: the batch is submitted; the reply card's text.
fn submit(s: &Session) -> String {
    s.keys(&[&[key::CONTROL, key::ENTER]]);
    s.wait_visible("dialog[open]");
    s.keys(&[&[key::ENTER]]);
    s.wait_visible("#submitted-card");
    s.text("#submitted-card")
}

/// The marks of the ballot on screen, line by line (rows: their level).
fn marks_on_screen(s: &Session) -> String {
    s.exec(
        "return [...document.querySelectorAll('#lines .line')].map(l => l.dataset.mark || '.').join('');",
        json!([]),
    )
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// The papers of the three-section ballot, as keys in print order: 书记
/// (1 line), 副书记 (1 line), 委员 (4 lines, 3 seats). Paper 2 selects
/// all four in 委员.
const PAPERS: [&str; 8] = [
    "111112", "121111", "211121", "111211", "111112", "112111", "131121", "111112",
];

fn result(m: &Meeting, who: &Person, round: &str) -> Value {
    m.get(who, &format!("/rounds/{round}/result"))
        .expect(200)
        .json()["result"]
        .clone()
}

fn row<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["tally"]
        .as_array()
        .and_then(|rows| rows.iter().find(|x| x["name"] == name))
        .unwrap_or_else(|| panic!("no row {name} in {r}"))
}

#[test]
fn a_paper_of_three_sections_and_a_rated_evaluation_entered_by_two_counters() {
    let server = Server::start();
    let m = Meeting::create(server.client, &server.setup_token, 8, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 8 }))
        .expect(200);
    let c1 = m.add("counter", "计票甲", None);
    let c2 = m.add("counter", "计票乙", None);
    let ks = cosigner("监票丙", 71);
    let sc = m.add("scrutineer", "监票丙", Some(&ks));
    let presidium = m.add("presidium", "主席团", None);
    let election = |contest: &str, office: &str, seats: u64| -> String {
        let e = m
            .post(
                &org,
                "/elections",
                json!({ "contest": contest, "office": office, "seats": seats }),
            )
            .expect(201)
            .json();
        let e = e["id"].as_str().expect("election").to_string();
        for p in [&c1, &c2, &sc] {
            m.assign(&e, p);
        }
        e
    };
    let secretary = election("村党支部书记", "secretary", 1);
    let deputy = election("村党支部副书记", "deputy_secretary", 1);
    let committee = election("村党支部委员", "committee", 3);
    let paper = m
        .post(
            &org,
            &format!("/elections/{secretary}/rounds"),
            json!({
                "kind": "formal",
                "sections": [
                    { "election": secretary, "candidates": ["丁一"] },
                    { "election": deputy, "candidates": ["王二"] },
                    { "election": committee, "candidates": ["刘三", "张四", "陈五", "周六"] },
                ],
            }),
        )
        .expect(201)
        .json();
    let sections: Vec<String> = paper["paper"]["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .map(|s| s.as_str().expect("round").to_string())
        .collect();
    assert_eq!(sections.len(), 3, "{paper}");
    for r in &sections {
        m.post(&org, &format!("/rounds/{r}/open"), json!({ "issued": 8 }))
            .expect(200);
    }

    let driver = Driver::start();
    let a = driver.session("stages-counter-1");
    a.set_window(1280, 900);
    let b = driver.session("stages-counter-2");
    b.set_window(1280, 900);

    a.step("the paper opens as one sheet, its sections in print order");
    goto_as(&a, &server, "count.html", &c1, &m.id);
    a.wait_visible("#sheet-note");
    let heading = a.text("#round-heading");
    assert!(
        heading.contains("3个部分")
            && heading.contains("村党支部书记 / 村党支部副书记 / 村党支部委员"),
        "{heading}"
    );
    let note = a.text("#sheet-note");
    assert!(note.contains("互不关联"), "{note}");
    check_i18n(&a, "paper batch screen");
    scan(&a, "paper batch screen", false);

    a.step("the choice screen offers the paper whole, and each section alone");
    a.click("#other-round");
    a.wait_visible("#rounds [data-paper]");
    assert_eq!(
        a.exec(
            "return [...document.querySelectorAll('#rounds [data-round]')].map(b => b.dataset.round);",
            json!([])
        ),
        json!(sections)
    );
    let offer = a.text("#rounds [data-paper]");
    assert!(
        offer.contains("一张选票（3个部分）")
            && offer.contains("村党支部书记、村党支部副书记、村党支部委员"),
        "{offer}"
    );
    check_i18n(&a, "choice of a paper or its sections");
    scan(&a, "choice of a paper or its sections", false);
    a.click("#rounds [data-paper]");
    a.wait_visible("#sheet-note");
    start_batch(&a, "K1", PAPERS.len());
    let heads = a.exec(
        "return [...document.querySelectorAll('#lines .section-head')].map(h => h.dataset.round);",
        json!([]),
    );
    assert_eq!(heads, json!(sections), "one head per section, in order");
    assert_eq!(
        a.exec(
            "return document.querySelectorAll('#lines .line').length;",
            json!([])
        ),
        6
    );

    a.step("keyboard entry flows from one section into the next");
    a.type_keys("1");
    a.wait_for(
        "document.querySelector('#lines .line.current')?.dataset.section === '1'",
        10,
    );
    a.type_keys("1");
    a.wait_for(
        "document.querySelector('#lines .line.current')?.dataset.section === '2'",
        10,
    );
    a.type_keys("1112");
    next(&a, 1);

    a.step("an overvote in 委员 voids that section alone, said plainly");
    a.type_keys(PAPERS[1]);
    a.wait_visible(".section-head[data-section='2'].overvote");
    assert_eq!(
        a.exec(
            "return document.querySelectorAll('.section-head.overvote').length;",
            json!([])
        ),
        1,
        "书记 and 副书记 stay valid"
    );
    let warning = a.text("#overvote-warning");
    assert!(
        warning.contains("“村党支部委员”部分选了 4 人，超过最多可选的 3 人")
            && warning.contains("其他部分照常有效"),
        "{warning}"
    );
    a.snapshot("paper-overvote");
    check_i18n(&a, "paper entry with an overvoted section");
    scan(&a, "paper entry with an overvoted section", false);
    a.keys(&[&[key::ENTER]]);
    a.wait_visible("dialog[open].danger");
    let dialog = a.text("dialog[open]");
    assert!(
        dialog.contains("村党支部委员") && dialog.contains("其他部分照常计票"),
        "{dialog}"
    );
    confirm(&a);
    a.wait_for("document.querySelectorAll('#entered li').length === 2", 10);
    for (i, p) in PAPERS.iter().enumerate().skip(2) {
        a.type_keys(p);
        next(&a, i + 1);
    }
    assert_eq!(entered(&a), 8);

    a.step("the batch goes to each section's round as its own batch");
    let card = submit(&a);
    for contest in ["村党支部书记", "村党支部副书记", "村党支部委员"] {
        assert!(card.contains(contest), "{card}");
    }
    assert_eq!(
        a.exec(
            "return [...document.querySelectorAll('#submitted-card .section-reply')].map(d => d.dataset.state);",
            json!([])
        ),
        json!(["awaiting_second", "awaiting_second", "awaiting_second"])
    );
    check_i18n(&a, "paper submitted");
    for r in &sections {
        let batches = m
            .get(&sc, &format!("/rounds/{r}/batches"))
            .expect(200)
            .json();
        assert_eq!(batches[0]["id"], "K1", "{batches}");
        assert_eq!(batches[0]["entries"][0]["ballots"], 8, "{batches}");
    }

    b.step("the second counter enters the same stack, one 副书记 mark read otherwise");
    goto_as(&b, &server, "count.html", &c2, &m.id);
    b.wait_visible("#sheet-note");
    start_batch(&b, "K1", PAPERS.len());
    for (i, p) in PAPERS.iter().enumerate() {
        // Paper 3's 副书记 line read as against.
        let keys = if i == 2 { "221121" } else { p };
        b.type_keys(keys);
        if i == 1 {
            b.keys(&[&[key::ENTER]]);
            b.wait_visible("dialog[open].danger");
            confirm(&b);
            b.wait_for("document.querySelectorAll('#entered li').length === 2", 10);
        } else {
            next(&b, i + 1);
        }
    }
    submit(&b);
    assert_eq!(
        b.exec(
            "return [...document.querySelectorAll('#submitted-card .section-reply')].map(d => d.dataset.state);",
            json!([])
        ),
        json!(["reconciled", "differences", "reconciled"]),
        "each section compared on its own"
    );

    b.step("the scrutineer resolves the 副书记 difference; each section closes");
    let batch = m
        .get(&sc, &format!("/rounds/{}/batches/K1", sections[1]))
        .expect(200)
        .json();
    let diffs = batch["differences"].as_array().expect("differences");
    assert_eq!(diffs.len(), 1, "{batch}");
    assert_eq!(diffs[0]["position"], 2, "{batch}");
    // The section's batch holds its own line only, nothing of the paper's
    // other sections.
    assert_eq!(diffs[0]["first"]["marks"], "Y", "{batch}");
    assert_eq!(diffs[0]["second"]["marks"], "N", "{batch}");
    m.post(
        &sc,
        &format!("/rounds/{}/batches/K1/resolutions", sections[1]),
        json!({ "position": 2, "resolution": "first" }),
    )
    .expect(200);
    for r in &sections {
        m.post(&sc, &format!("/rounds/{r}/close"), json!({ "returned": 8 }))
            .expect(200);
    }
    let sec = result(&m, &presidium, &sections[0]);
    assert_eq!(
        (
            row(&sec, "丁一")["for"].as_u64(),
            row(&sec, "丁一")["against"].as_u64()
        ),
        (Some(7), Some(1)),
        "{sec}"
    );
    assert_eq!(sec["ballots"]["invalid"], 0, "{sec}");
    let dep = result(&m, &presidium, &sections[1]);
    assert_eq!(
        (
            row(&dep, "王二")["for"].as_u64(),
            row(&dep, "王二")["against"].as_u64(),
            row(&dep, "王二")["abstain"].as_u64()
        ),
        (Some(6), Some(1), Some(1)),
        "{dep}"
    );
    assert_eq!(dep["ballots"]["invalid"], 0, "{dep}");
    let com = result(&m, &presidium, &sections[2]);
    assert_eq!(
        com["ballots"]["invalid"], 1,
        "the overvote voids 委员 only: {com}"
    );
    let fors: Vec<Option<u64>> = ["刘三", "张四", "陈五", "周六"]
        .iter()
        .map(|n| row(&com, n)["for"].as_u64())
        .collect();
    assert_eq!(fors, [Some(6), Some(6), Some(5), Some(4)], "{com}");
    assert_eq!(com["elected"], json!(["刘三", "张四", "陈五"]), "{com}");

    a.step("a four-level evaluation, entered as a table");
    let rated = election("村党支部委员人选", "committee", 2);
    let ev = m
        .post(
            &org,
            &format!("/elections/{rated}/rounds"),
            json!({
                "kind": "evaluation",
                "candidates": ["丁一", "王二", "刘三"],
                "next_size": 2,
                "rating": { "levels": ["优秀", "称职", "基本称职", "不称职"] },
                "method": {
                    "evaluation_flag": { "num": 3, "den": 10, "comparison": "inclusive" },
                    "evaluation_removal": { "num": 1, "den": 4, "comparison": "inclusive" },
                },
            }),
        )
        .expect(201)
        .json();
    let ev = ev["id"].as_str().expect("round").to_string();
    m.post(&org, &format!("/rounds/{ev}/open"), json!({ "issued": 8 }))
        .expect(200);
    // One digit per person (丁一, 王二, 刘三): the level, 0 for a row
    // left blank.
    let sheets = ["114", "124", "244", "141", "212", "123", "110", "231"];
    goto_as(&a, &server, "count.html", &c1, &m.id);
    a.wait_visible("#sheet-note .rating-rule");
    let rule = a.text("#sheet-note");
    assert!(
        rule.contains("每人每项只能选一个等次（多选的该项无效）"),
        "the service's rule is shown: {rule}"
    );
    check_i18n(&a, "rating batch screen");
    scan(&a, "rating batch screen", false);
    start_batch(&a, "T1", sheets.len());
    assert_eq!(
        a.exec(
            "return [...document.querySelectorAll('#lines .rating-row')].map(r => r.querySelectorAll('[data-level]').length);",
            json!([])
        ),
        json!([5, 5, 5]),
        "four levels and the blank row per person"
    );

    a.step("a second tick in a row is refused; Delete clears the row");
    a.type_keys("11");
    a.keys(&[&[key::ARROW_UP]]);
    a.type_keys("2");
    a.wait_visible("#status [data-i18n='count.rating_two_ticks']");
    let refused = a.text("#status");
    assert!(
        refused.contains("王二这一行已选“优秀”") && refused.contains("请按 0"),
        "{refused}"
    );
    assert_eq!(
        marks_on_screen(&a),
        "11.",
        "the refused tick changed nothing"
    );
    a.snapshot("rating-two-ticks");
    check_i18n(&a, "rating entry, a second tick refused");
    scan(&a, "rating entry, a second tick refused", false);
    a.keys(&[&[DELETE]]);
    a.wait_for(
        "document.querySelector('#lines .line[data-line=\"1\"]').dataset.mark === ''",
        10,
    );
    a.type_keys("14");
    assert_eq!(marks_on_screen(&a), "114");
    next(&a, 1);
    for (i, k) in sheets.iter().enumerate().skip(1) {
        a.type_keys(k);
        next(&a, i + 1);
    }
    submit(&a);

    b.step("the second counter enters the same table; the batch reconciles");
    goto_as(&b, &server, "count.html", &c2, &m.id);
    b.wait_visible("#sheet-note .rating-rule");
    start_batch(&b, "T1", sheets.len());
    for (i, k) in sheets.iter().enumerate() {
        b.type_keys(k);
        next(&b, i + 1);
    }
    let card = submit(&b);
    assert_eq!(
        b.exec(
            "return document.querySelector('#submitted-card .section-reply').dataset.state;",
            json!([])
        ),
        "reconciled",
        "{card}"
    );
    m.post(
        &sc,
        &format!("/rounds/{ev}/close"),
        json!({ "returned": 8 }),
    )
    .expect(200);
    let r = result(&m, &presidium, &ev);
    let person = |name: &str| -> Value {
        r["ratings"]
            .as_array()
            .and_then(|a| a.iter().find(|p| p["name"] == name))
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        person("丁一")["items"][0]["levels"],
        json!([5, 3, 0, 0]),
        "{r}"
    );
    assert_eq!(
        person("王二")["items"][0]["levels"],
        json!([3, 2, 1, 2]),
        "{r}"
    );
    assert_eq!(
        person("刘三")["items"][0]["levels"],
        json!([2, 1, 1, 3]),
        "{r}"
    );
    assert_eq!(person("刘三")["items"][0]["blank"], 1, "{r}");
    assert_eq!(
        [
            person("丁一")["approvals"].clone(),
            person("王二")["approvals"].clone(),
            person("刘三")["approvals"].clone()
        ],
        [json!(8), json!(5), json!(3)]
    );
    // 30% of 8: 3 不称职 and more are not listed; 1/4: 2 and more go to the
    // removal procedure.
    assert!(person("丁一")["flagged"].is_null(), "{r}");
    assert!(person("王二")["flagged"].is_null(), "{r}");
    assert_eq!(person("刘三")["flagged"], true, "{r}");
    assert!(person("丁一")["removal"].is_null(), "{r}");
    assert_eq!(person("王二")["removal"], true, "{r}");
    assert_eq!(person("刘三")["removal"], true, "{r}");
    assert_eq!(r["next_list"], json!(["丁一", "王二"]), "{r}");

    a.step("a per-item evaluation: one row per person and item");
    let items = m
        .post(
            &org,
            &format!("/elections/{rated}/rounds"),
            json!({
                "kind": "evaluation",
                "candidates": ["丁一", "王二"],
                "next_size": 2,
                "rating": { "levels": ["满意", "基本满意", "不满意"], "items": ["德", "能"] },
            }),
        )
        .expect(201)
        .json();
    let items = items["id"].as_str().expect("round").to_string();
    m.post(
        &org,
        &format!("/rounds/{items}/open"),
        json!({ "issued": 8 }),
    )
    .expect(200);
    goto_as(&a, &server, "count.html", &c1, &m.id);
    a.wait_visible("#sheet-note .rating-rule");
    start_batch(&a, "T2", 1);
    let rows = a.exec(
        "return [...document.querySelectorAll('#lines .rating-row')].map(r => [r.querySelector('.name').textContent, r.querySelectorAll('[data-level]').length]);",
        json!([])
    );
    assert_eq!(
        rows,
        json!([["丁一德", 4], ["丁一能", 4], ["王二德", 4], ["王二能", 4]]),
        "three levels and the blank row per person and item"
    );
    a.type_keys("1230");
    assert_eq!(marks_on_screen(&a), "1230");
    check_i18n(&a, "per-item rating entry");
    scan(&a, "per-item rating entry", false);
    next(&a, 1);
    let card = submit(&a);
    assert!(card.contains("T2"), "{card}");
    // Sent as the round's cells: the level's line ticked, the rest blank;
    // the row entered 0 all blank.
    let own = m
        .get(&c1, &format!("/rounds/{items}/batches/T2"))
        .expect(200)
        .json();
    assert_eq!(
        own["own_entry"]["ballots"],
        json!(["YAAAYAAAYAAA"]),
        "{own}"
    );
}

/// A nomination paper of two post levels (正职, 副职; RULES §9.1, 对不同
/// 职务层次人员的推荐票分别统计) is offered as one sheet like any paper:
/// each section's limit is its own `next_size` (1 and 2), and naming
/// three for the two 副职 places voids that part alone.
#[test]
fn a_nomination_paper_of_two_post_levels_on_the_entry_screen() {
    let server = Server::start();
    let m = Meeting::create(server.client, &server.setup_token, 10, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 8 }))
        .expect(200);
    let c1 = m.add("counter", "计票甲", None);
    let election = |contest: &str, seats: u64| -> String {
        let e = m
            .post(
                &org,
                "/elections",
                json!({ "contest": contest, "office": "other", "seats": seats }),
            )
            .expect(201)
            .json();
        let e = e["id"].as_str().expect("election").to_string();
        m.assign(&e, &c1);
        e
    };
    let chief = election("正职", 1);
    let deputy = election("副职", 2);
    let paper = m
        .post(
            &org,
            &format!("/elections/{chief}/rounds"),
            json!({ "kind": "nomination", "sections": [
                { "election": chief, "candidates": ["甲", "乙"], "next_size": 1 },
                { "election": deputy, "candidates": ["丙", "丁", "戊"], "next_size": 2 },
            ] }),
        )
        .expect(201)
        .json();
    let sections: Vec<String> = paper["paper"]["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .map(|s| s.as_str().expect("round").to_string())
        .collect();
    for r in &sections {
        m.post(&org, &format!("/rounds/{r}/open"), json!({ "issued": 8 }))
            .expect(200);
    }

    let driver = Driver::start();
    let a = driver.session("stages-nomination-paper");
    a.set_window(1280, 900);
    a.step("the nomination paper opens as one sheet, a section per post level");
    goto_as(&a, &server, "count.html", &c1, &m.id);
    a.wait_visible("#sheet-note");
    let heading = a.text("#round-heading");
    assert!(
        heading.contains("2个部分") && heading.contains("正职 / 副职"),
        "{heading}"
    );
    start_batch(&a, "N1", 1);
    let heads = a.exec(
        "return [...document.querySelectorAll('#lines .section-head')].map(h => h.dataset.round);",
        json!([]),
    );
    assert_eq!(heads, json!(sections), "one head per post level, in order");

    a.step("three named for the two 副职 places void that part alone");
    a.type_keys("12111");
    a.wait_visible(".section-head[data-section='1'].overvote");
    assert_eq!(
        a.exec(
            "return document.querySelectorAll('.section-head.overvote').length;",
            json!([])
        ),
        1,
        "正职 stays valid"
    );
    let warning = a.text("#overvote-warning");
    assert!(
        warning.contains("“副职”部分选了 3 人，超过最多可选的 2 人"),
        "{warning}"
    );
    check_i18n(&a, "nomination paper with an over-named post level");
}
