//! The election page, the hall display and the live presidium chart in
//! headless Chromium (issue 12, item 3 and "An election page and report",
//! items 18, 19 and 20). The meeting is driven over the API — the counting
//! screens have their own test — up to an election that took a formal
//! round with a three-way tie, a runoff and a supplementary round; then the
//! people look: the presidium's chart does not draw the 应选 line through
//! the tied group, the election page lists all three elected in
//! surname-stroke order with the chair's words, the presidium announces
//! the whole election from it, and the hall display, open all along,
//! follows over the live stream and shows the list. Every Chinese page
//! visited is scanned for raw ids, English state words and hashes.

use serde_json::{json, Value};

use super::common::meeting::{copies, cosigner, Meeting, Person};
use super::common::webdriver::{key, Driver, Session};
use super::{check_i18n, confirm, Server};

/// Finds, in the visible text of a Chinese page, what a person should
/// never read there: a service id ("r1", "e2", "p3", "第 r1 轮"), an
/// English state word, and — where `hashes` — a hash or a log root.
const TECHNICAL_SCAN: &str = r#"
const [hashes, done] = arguments;
const bad = [];
const id = /(^|[^A-Za-z0-9_])[repbt][0-9]+(?![A-Za-z0-9_])/;
const words = /\b(draft|open|closed|certified|unofficial|complete|runoff_required|shortfall|void|no_quorum|pending|announced|tallied|reconciled|awaiting_second|differences)\b/i;
const hash = /([0-9a-f]{4} ){3}[0-9a-f]{4}|[0-9a-f]{16,}|[A-Za-z0-9+\/]{30,}={0,2}/;
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const text = n.nodeValue;
  if (!text.trim()) continue;
  const el = n.parentElement;
  if (!el || el.closest('script, style, kbd')) continue;
  // Where hashes may show, they are read as hashes, not as ids.
  if (!hashes && el.closest('.checkpoint, .fingerprint, .mono')) continue;
  if (!el.getClientRects().length) continue;
  // Hex groups ("3fa2 9c1d …") are hashes, handled below, not ids.
  if (id.test(text.replace(/([0-9a-f]{4}\s+)+[0-9a-f]{4}/g, ''))) bad.push('an id: "' + text.trim() + '"');
  if (words.test(text)) bad.push('an English state word: "' + text.trim() + '"');
  if (hashes && hash.test(text)) bad.push('a hash: "' + text.trim() + '"');
}
if (hashes && document.querySelector('.checkpoint')) bad.push('a checkpoint line');
done(bad);
"#;

pub(crate) fn scan(s: &Session, screen: &str, hashes: bool) {
    let now = s.exec("return document.documentElement.lang;", json!([]));
    assert_eq!(now, "zh-CN", "{screen}: the scan reads the Chinese page");
    let bad = s.cmd(
        "POST",
        "/execute/async",
        Some(json!({ "script": TECHNICAL_SCAN, "args": [hashes] })),
    );
    let bad: Vec<String> = bad
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    assert!(bad.is_empty(), "{screen}:\n{}", bad.join("\n"));
}

fn ballots(groups: &[(usize, &str)]) -> Value {
    json!(groups
        .iter()
        .flat_map(|(n, m)| copies(*n, json!(m)))
        .collect::<Vec<_>>())
}

fn link(server: &Server, page: &str, who: &Person) -> String {
    format!("{}/{page}#token={}", server.url, who.token)
}

/// Opens `page` as `who` in `s`, with `who`'s signing key on that
/// browser: the key the tests' client signs `who`'s API calls with
/// (`common::signing`), so that the person's acts on the page and
/// through the API are signed by one key, as on one device.
pub(crate) fn goto_as(s: &Session, server: &Server, page: &str, who: &Person, meeting: &str) {
    use base64::Engine as _;
    s.goto(&link(server, page, who));
    let key = super::common::signing::key_of(&who.token);
    let seed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.key.to_bytes());
    s.exec(
        "return (async () => {
           const [meeting, person, name, seed] = arguments;
           const keys = await import('/keys.js');
           if (!(await keys.loadKey(meeting, person))) await keys.importDemoSeed(meeting, person, name, seed);
           return true;
         })();",
        json!([meeting, who.id, key.name, seed]),
    );
}

#[test]
fn an_election_of_three_rounds_is_announced_whole_and_shown_in_the_hall() {
    let server = Server::start();
    let m = Meeting::create(server.client, &server.setup_token, 10, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 10 }))
        .expect(200);
    let c1 = m.add("counter", "计票甲", None);
    let c2 = m.add("counter", "计票乙", None);
    let ks = cosigner("监票丙", 61);
    let sc = m.add("scrutineer", "监票丙", Some(&ks));
    let presidium = m.add("presidium", "主席团", None);
    let display = m.add("display", "会场大屏", None);
    m.post(
        &org,
        "/elections",
        json!({ "contest": "支部委员会委员", "seats": 3 }),
    )
    .expect(201);
    for p in [&c1, &c2, &sc] {
        m.assign("e1", p);
    }
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": ["丁一", "王二", "刘三", "张四", "陈五"] }),
    )
    .expect(201);
    let open = |round: &str| {
        m.post(
            &org,
            &format!("/rounds/{round}/open"),
            json!({ "issued": 10 }),
        )
        .expect(200);
    };
    let finish = |round: &str, b: &Value| {
        m.enter(&c1, round, "T1", &format!("{round}-1"), b)
            .expect(201);
        m.enter(&c2, round, "T1", &format!("{round}-2"), b)
            .expect(201);
        m.post(
            &sc,
            &format!("/rounds/{round}/close"),
            json!({ "returned": 10 }),
        )
        .expect(200);
        m.cosign(&sc, &ks, round).expect(201);
    };
    let count = |round: &str, b: &Value| {
        open(round);
        finish(round, b);
    };
    // 丁一 9; 王二 = 刘三 = 张四 = 7 straddle the cut-off of 3 seats.
    count(
        "r1",
        &ballots(&[(3, "YYYNN"), (3, "YYNYN"), (3, "YNYYN"), (1, "NYYYN")]),
    );

    let driver = Driver::start();
    let hall = driver.session("hall");
    hall.set_window(1920, 1080);
    let s = driver.session("screens");
    s.set_window(1280, 900);

    hall.step("the hall display before anything is announced");
    // The display's own screen is the hall display.
    goto_as(&hall, &server, "presidium.html", &display, &m.id);
    hall.wait_for("location.pathname === '/hall.html'", 20);
    hall.wait_visible("#hall-wait");
    let contest = hall.text("#hall-contest");
    assert_eq!(contest, "支部委员会委员");
    scan(&hall, "hall (waiting)", true);

    s.step("the presidium's chart frames the tied group (item 18)");
    goto_as(&s, &server, "presidium.html", &presidium, &m.id);
    s.wait_visible("#chart .tally-row");
    s.wait_visible("#cutoff-tied");
    let chart = s.exec(
        "return { line: !!document.querySelector('#cutoff'),
                  order: [...document.querySelectorAll('#chart > div')].map((d) =>
                    d.classList.contains('tally-row') ? d.dataset.name : d.className) };",
        json!([]),
    );
    assert_eq!(
        chart["line"], false,
        "no 应选 line through the tie: {chart}"
    );
    assert_eq!(
        chart["order"],
        json!([
            "丁一",
            "cutoff tied",
            "王二",
            "刘三",
            "张四",
            "cutoff tied-end",
            "陈五"
        ]),
        "{chart}"
    );
    let title = s.text("#round-title");
    assert!(
        title.contains("第 1 轮") && !title.contains("r1"),
        "{title}"
    );
    check_i18n(&s, "presidium (tie)");
    scan(&s, "presidium (tie)", false);
    // Item 17: the scrutineer's, the organiser's and a counter's screens
    // are open on the finished round while the presidium decides.
    let scr = driver.session("scrutineer");
    goto_as(&scr, &server, "scrutiny.html", &sc, &m.id);
    scr.wait_visible("#round-title");
    let orgs = driver.session("organiser");
    goto_as(&orgs, &server, "setup.html", &org, &m.id);
    orgs.wait_visible("#rounds tr[data-round]");
    let cnt = driver.session("counter");
    goto_as(&cnt, &server, "count.html", &c1, &m.id);
    cnt.wait_visible("#rounds [data-i18n='count.no_open_round']");

    s.click("[data-decision=call_runoff]");
    confirm(&s);
    s.wait_visible("#outcome [data-i18n='presidium.next_round']");
    let next = s.text("#outcome [data-i18n='presidium.next_round']");
    assert!(next.contains("第 2 轮（重新投票）"), "{next}");
    scan(&s, "presidium (runoff called)", false);

    scr.step("the scrutineer's screen says what the presidium decided");
    scr.wait_visible("[data-live='live.next_round']");
    let banner = scr.text("#live-banner");
    assert!(
        banner.contains("第 1 轮（正式选举）之后举行第 2 轮（重新投票）"),
        "{banner}"
    );
    scan(&scr, "scrutiny (banner)", false);
    orgs.step("the organiser's screen shows the new round to open");
    orgs.wait_visible("[data-live='live.next_round']");
    orgs.wait_visible("form.open-round[data-round=r2]");
    scan(&orgs, "setup (banner)", false);

    // Runoff for 2 seats: 王二 6, the others short; then a supplementary
    // round for the last seat, which 刘三 wins.
    open("r2");
    scr.step("the scrutineer is offered the runoff once it opens");
    scr.wait_visible("[data-live='live.new_open']");
    scr.click("#live-go");
    scr.wait_for(
        "document.querySelector('#round-title')?.textContent.includes('第 2 轮')",
        20,
    );
    cnt.step("the counter is offered the runoff once it opens");
    cnt.wait_visible("[data-live='live.new_open']");
    scan(&cnt, "count (banner)", false);
    cnt.click("#live-go");
    cnt.wait_visible("#batch-start:not(.hidden) #round-heading");
    let heading = cnt.text("#round-heading");
    assert!(
        heading.contains("第 2 轮") && !heading.contains("r2"),
        "{heading}"
    );
    finish("r2", &ballots(&[(6, "YNN"), (2, "NYN"), (2, "NNY")]));
    scr.step("the scrutineer's screen follows the runoff's close");
    scr.wait_visible("[data-live='live.closed'], [data-live='live.certified']");
    let sup = m
        .post(
            &presidium,
            "/rounds/r2/decisions",
            json!({ "decision": "call_supplementary" }),
        )
        .expect(201)
        .json();
    let list = sup["round"]["candidates"].as_array().expect("list").clone();
    let marks: String = list
        .iter()
        .map(|n| if n == "刘三" { 'Y' } else { 'N' })
        .collect();
    count("r3", &ballots(&[(10, &marks)]));

    s.step("the election page: three rounds, one list, the chair's words");
    goto_as(&s, &server, "election.html?election=e1", &presidium, &m.id);
    s.wait_visible("#elected-list li");
    let page = s.exec(
        "return { names: [...document.querySelectorAll('#elected-list li')].map((li) => li.dataset.name),
                  rounds: [...document.querySelectorAll('#rounds-table tbody tr')].map((tr) => tr.dataset.number),
                  words: document.querySelector('#announcement').textContent,
                  heading: document.querySelector('#elected-heading').textContent,
                  badge: document.querySelector('#election-badge').dataset.complete };",
        json!([]),
    );
    assert_eq!(page["names"], json!(["丁一", "王二", "刘三"]), "{page}");
    assert_eq!(page["rounds"], json!(["1", "2", "3"]), "{page}");
    assert_eq!(page["badge"], "true", "{page}");
    assert!(
        page["heading"]
            .as_str()
            .unwrap_or("")
            .contains("按姓氏笔画为序"),
        "{page}"
    );
    let words = page["words"].as_str().unwrap_or("");
    assert!(
        words.starts_with("根据《中共测试支部党员大会选举办法》")
            && words.contains("经过正式选举、重新投票和另行选举，下列同志当选为支部委员会委员（按姓氏笔画为序）：丁一、王二、刘三。"),
        "{words}"
    );
    check_i18n(&s, "election");
    scan(&s, "election", false);

    s.step("the presidium announces the whole election at once");
    s.click("#announce-election");
    confirm(&s);
    s.wait_for(
        "document.querySelector('#election-badge')?.dataset.i18n === 'election.announced'",
        20,
    );
    assert_eq!(
        s.exec(
            "return !!document.querySelector('#announce-election');",
            json!([])
        ),
        false,
        "announced once"
    );

    hall.step("the hall display follows live and shows the whole list");
    hall.wait_for(
        "document.querySelectorAll('#hall-elected li').length === 3",
        20,
    );
    let shown = hall.exec(
        "return { names: [...document.querySelectorAll('#hall-elected li')].map((li) => li.textContent),
                  heading: document.querySelector('.hall-heading').textContent,
                  words: document.querySelector('#hall-words').textContent,
                  size: parseFloat(getComputedStyle(document.querySelector('#hall-elected')).fontSize),
                  scrolls: document.documentElement.scrollHeight > innerHeight };",
        json!([]),
    );
    assert_eq!(shown["names"], json!(["丁一", "王二", "刘三"]), "{shown}");
    assert_eq!(
        shown["heading"], "下列同志当选（按姓氏笔画为序）",
        "{shown}"
    );
    assert_eq!(shown["words"], json!(words), "{shown}");
    assert!(
        shown["size"].as_f64().unwrap_or(0.0) >= 60.0,
        "large type: {shown}"
    );
    assert_eq!(shown["scrolls"], false, "one screen, no scrolling: {shown}");
    scan(&hall, "hall (announced)", true);

    s.step("the organiser reads the announced election");
    goto_as(&s, &server, "election.html?election=e1", &org, &m.id);
    s.wait_visible("#elected-list li");
    assert_eq!(
        s.exec(
            "return [...document.querySelectorAll('#elected-list li')].map((li) => li.dataset.name);",
            json!([])
        ),
        json!(["丁一", "王二", "刘三"])
    );
    scan(&s, "election (organiser)", false);
}

/// Types the batch label and size on the batch screen and starts it.
fn start_batch(s: &Session, label: &str, size: usize) {
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

fn entered_marks(s: &Session) -> Value {
    s.exec(
        "return [...document.querySelectorAll('#entered li .marks-text')].map((x) => x.textContent).reverse();",
        json!([]),
    )
}

/// Items 24, 10, 11 and 22 on the counting screen: "same as previous" and
/// "rest abstain" keys; the note that entries are compared by position and
/// the reversed second entry caught before it is recorded; a batch
/// submitted in one tab is not brought back by another; the salt of the
/// receipt is shown.
#[test]
fn counting_accelerators_reversed_stacks_and_two_tabs() {
    let server = Server::start();
    let m = Meeting::create(server.client, &server.setup_token, 10, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 10 }))
        .expect(200);
    let c1 = m.add("counter", "计票甲", None);
    let c2 = m.add("counter", "计票乙", None);
    let sc = m.add("scrutineer", "监票丙", Some(&cosigner("监票丙", 71)));
    m.post(
        &org,
        "/elections",
        json!({ "contest": "支部委员会委员", "seats": 2 }),
    )
    .expect(201);
    for p in [&c1, &c2, &sc] {
        m.assign("e1", p);
    }
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": ["丁一", "王二", "刘三"] }),
    )
    .expect(201);
    m.post(&org, "/rounds/r1/open", json!({ "issued": 10 }))
        .expect(200);

    let driver = Driver::start();
    let s = driver.session("counter1");
    s.set_window(1280, 900);

    s.step("counter 1: R repeats the previous ballot, 0 marks the rest 弃权");
    goto_as(&s, &server, "count.html", &c1, &m.id);
    s.wait_visible("#order-note");
    let note = s.text("#order-note");
    assert!(
        note.contains("逐张比对") && note.contains("同一顺序"),
        "{note}"
    );
    start_batch(&s, "A1", 4);
    s.type_keys("12");
    s.keys(&[&[key::ENTER]]);
    // A line left unmarked is refused; 0 fills it with 弃权.
    s.wait_visible("#status .msg.warn");
    s.type_keys("0");
    s.keys(&[&[key::ENTER]]);
    s.type_keys("r");
    s.wait_for(
        "[...document.querySelectorAll('#lines .line')].map((l) => l.dataset.mark).join('') === 'YNA'",
        10,
    );
    // A key past the last line is still refused after R.
    s.type_keys("1");
    s.wait_visible("#status [data-i18n='count.past_last_line']");
    s.keys(&[&[key::ENTER]]);
    s.type_keys("2");
    s.click("#rest-blank");
    s.keys(&[&[key::ENTER]]);
    s.type_keys("1");
    s.type_keys("0");
    // Backspace undoes the filled lines one by one.
    s.keys(&[&[key::BACKSPACE]]);
    s.wait_for(
        "[...document.querySelectorAll('#lines .line')].map((l) => l.dataset.mark || '.').join('') === 'YA.'",
        10,
    );
    s.type_keys("2");
    s.keys(&[&[key::ENTER]]);
    assert_eq!(
        entered_marks(&s),
        json!(["YNA", "YNA", "NAA", "YAN"]),
        "the four ballots as keyed"
    );
    super::check_i18n(&s, "count (accelerators)");
    scan(&s, "count (accelerators)", false);

    s.step("two tabs on one batch: the one submitted is not brought back");
    let first = s.cmd("GET", "/window", None);
    let tab = s.cmd("POST", "/window/new", Some(json!({ "type": "tab" })));
    let tab = tab["handle"].as_str().expect("handle").to_string();
    s.cmd("POST", "/window", Some(json!({ "handle": tab })));
    goto_as(&s, &server, "count.html", &c1, &m.id);
    s.wait_visible("#status [data-i18n='count.draft_restored']");
    s.cmd("POST", "/window", Some(json!({ "handle": first })));
    s.keys(&[&[key::CONTROL, key::ENTER]]);
    s.wait_visible("dialog[open]");
    confirm(&s);
    s.wait_visible("#submitted:not(.hidden) #entry-salt");
    let salt = s.text("#entry-salt");
    assert!(
        salt.len() == 32 && salt.chars().all(|c| c.is_ascii_hexdigit()),
        "the receipt's salt is shown: {salt}"
    );
    s.cmd("POST", "/window", Some(json!({ "handle": tab })));
    s.wait_visible("[data-live='count.stale_submitted']");
    s.wait_visible("#batch-start:not(.hidden)");
    // A key typed in the stale tab writes nothing back.
    s.type_keys("1");
    assert_eq!(
        s.exec(
            "return Object.keys(localStorage).filter((k) => k.startsWith('scrutineer.draft.'));",
            json!([])
        ),
        json!([]),
        "no stale draft in storage"
    );
    s.goto(&format!("{}/count.html", server.url));
    s.wait_visible("#batch-start:not(.hidden)");
    assert_eq!(
        s.exec(
            "return !!document.querySelector(\"#status [data-i18n='count.draft_restored']\");",
            json!([])
        ),
        false,
        "a reload does not resurrect the submitted batch"
    );

    s.step("counter 2 keys the stack from the bottom: caught before it is recorded");
    let s2 = driver.session("counter2");
    s2.set_window(1280, 900);
    goto_as(&s2, &server, "count.html", &c2, &m.id);
    start_batch(&s2, "a1", 4);
    for keys in ["132", "20", "120", "r"] {
        s2.type_keys(keys);
        s2.keys(&[&[key::ENTER]]);
    }
    assert_eq!(entered_marks(&s2), json!(["YAN", "NAA", "YNA", "YNA"]));
    s2.keys(&[&[key::CONTROL, key::ENTER]]);
    s2.click("dialog[open] [data-action=confirm]");
    s2.wait_visible("dialog[open] [data-action=confirm][data-i18n='count.reversed_flip']");
    let text = s2.text("dialog[open]");
    assert!(text.contains("顺序") && text.contains("相反"), "{text}");
    let batch = m.get(&sc, "/rounds/r1/batches/A1").expect(200).json();
    assert_eq!(
        batch["state"], "awaiting_second",
        "nothing recorded: {batch}"
    );
    // Turned round, it is the same stack: one more confirmation, then
    // reconciled without a single difference.
    s2.click("dialog[open] [data-action=confirm][data-i18n='count.reversed_flip']");
    s2.wait_visible("dialog[open] [data-i18n='count.submit_confirm']");
    confirm(&s2);
    s2.wait_visible("#submitted:not(.hidden)");
    let batch = m.get(&sc, "/rounds/r1/batches/A1").expect(200).json();
    assert_eq!(batch["state"], "reconciled", "{batch}");
    super::check_i18n(&s2, "count (submitted)");
    scan(&s2, "count (submitted)", false);
}

/// Item 16: a printable A4 sheet of log-in slips, eight to a page, each
/// with the name, the role, the election, the QR code and two lines of
/// instructions; a link that only this computer can open is warned about.
#[test]
fn log_in_slips_print_eight_to_an_a4_page() {
    let server = Server::start();
    let m = Meeting::create(server.client, &server.setup_token, 10, json!([]));
    let org = m.organiser.clone();
    m.post(
        &org,
        "/elections",
        json!({ "contest": "支部委员会委员", "seats": 2 }),
    )
    .expect(201);
    let mut people = Vec::new();
    for i in 0..9 {
        let role = if i % 3 == 0 { "scrutineer" } else { "counter" };
        let p = m.add(role, &format!("工作人员{i}"), None);
        m.assign("e1", &p);
        people.push(p);
    }
    let driver = Driver::start();
    let s = driver.session("slips");
    s.set_window(1280, 900);
    s.step("the organiser opens the slips: links handed out are not shown again");
    goto_as(&s, &server, "slips.html", &org, &m.id);
    s.wait_visible("#slips-reissue");
    assert!(s.text("#slips-missing").contains("工作人员8"));
    s.click("#slips-reissue");
    confirm(&s);
    s.wait_for("document.querySelectorAll('#slips .slip').length === 9", 20);
    let slips = s.exec(
        "return [...document.querySelectorAll('#slips .slip')].map((x) => ({
           text: x.innerText, qr: !!x.querySelector('svg path'),
           url: x.querySelector('.slip-url').textContent }));",
        json!([]),
    );
    for (i, slip) in slips.as_array().expect("slips").iter().enumerate() {
        let text = slip["text"].as_str().unwrap_or("");
        assert!(text.contains(&format!("工作人员{i}")), "{text}");
        assert!(text.contains("支部委员会委员"), "{text}");
        assert!(text.contains("计票人") || text.contains("监票人"), "{text}");
        assert!(text.contains("扫描") && text.contains("仅限本人"), "{text}");
        assert_eq!(slip["qr"], true);
        assert!(slip["url"].as_str().unwrap_or("").contains("#token="));
    }
    // The new links work, and the earlier ones are revoked.
    let url = slips[0]["url"].as_str().unwrap_or("").to_string();
    let token = url.split("#token=").nth(1).unwrap_or("").to_string();
    let me = server.client.get("/api/me", &token);
    assert_eq!(me.status, 200);
    assert_eq!(server.client.get("/api/me", &people[0].token).status, 401);
    s.wait_visible("#slips-loopback");
    check_i18n(&s, "slips");
    scan(&s, "slips", false);
    let pdf = s.print_a4();
    let text = String::from_utf8_lossy(&pdf);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert_eq!(pages, 2, "nine slips on two A4 pages");
}
