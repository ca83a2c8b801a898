//! End-to-end tests of the web UI in headless Chromium (Debian's `chromium`
//! and `chromium-driver`, installed by `.ci/run`), against the real binary
//! (`scrutineer serve` on a fresh database).
//!
//! One small meeting runs through the screens the way the people at the
//! table would use them: the organiser sets it up and records the check-in;
//! two counters enter the same paper batch from the keyboard, with one
//! difference; a scrutineer reconciles it and closes the round; the result
//! is a tie at the cut-off; both scrutineers sign in the browser with their
//! own WebCrypto keys; the presidium calls the runoff; the runoff is
//! entered (one counter on a tablet-width screen), closed, signed and
//! announced; the certified report shows the fingerprints and the log
//! root. A 9-candidate round's report prints on exactly one A4 page (the
//! full method follows as its annex); the papers of a 36-candidate round,
//! a preliminary, a void round and the draft method print page by page.
//! Every screen visited is checked in zh-CN (the default) and en: each
//! visible text comes from the string tables.
//!
//! Missing Chromium is a failure with instructions, never a skip. On a
//! failure the page is saved under `target/browser-screenshots/`.

mod common;
#[path = "browser/meeting.rs"]
mod meeting;
#[path = "browser/review.rs"]
mod review;
#[path = "browser/screens.rs"]
mod screens;
#[path = "browser/stages.rs"]
mod stages;

use std::collections::BTreeMap;

use common::http::{Client, Request};
use common::server::{Binary, TempDir};
use common::webdriver::{self, key, Driver, Session};
use serde_json::{json, Value};

/// The real binary under test, and the API as the tests call it directly.
struct Server {
    url: String,
    setup_token: String,
    client: Client,
    _binary: Binary,
    _dir: TempDir,
}

impl Server {
    fn start() -> Server {
        let dir = TempDir::new("browser");
        let binary = Binary::start(&dir.path().join("meeting.db"), &[]);
        Server {
            url: format!("http://{}", binary.addr),
            setup_token: binary.setup.clone(),
            client: binary.client(),
            _binary: binary,
            _dir: dir,
        }
    }

    /// An API call that must succeed (2xx); its JSON body. It is made
    /// from the browser of `s`, which is every person's device in these
    /// tests: the entries it logs are signed with the key that browser
    /// holds for the token's holder (made there if it has none), as the
    /// page's own calls are (web/app.js `api`).
    fn ok(&self, s: &Session, token: &str, method: &str, path: &str, body: Option<Value>) -> Value {
        let res = device_api(s, token, method, path, body);
        let status = res["status"].as_u64().unwrap_or(0);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {}",
            res["text"]
        );
        res["json"].clone()
    }
}

/// An API call from the browser of `s` as `token`'s holder, signed with
/// the key that browser holds for them (made there if it has none), as
/// the pages' own calls are (web/app.js `api`): `{status, json, text}`.
fn device_api(s: &Session, token: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let idem = path
        .ends_with("/entries")
        .then(|| format!("browser-test-{}", token.len() + path.len()));
    s.exec(
        r#"return (async () => {
             const [token, method, path, body, idem] = arguments;
             const keys = await import('/keys.js');
             const call = async (extra) => {
               const headers = { Authorization: `Bearer ${token}`, ...extra };
               if (idem) headers['Idempotency-Key'] = idem;
               if (body !== null) headers['Content-Type'] = 'application/json';
               const r = await fetch(`/api${path}`, { method, headers, body: body === null ? undefined : JSON.stringify(body) });
               const text = await r.text();
               let json = null;
               try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
               return { status: r.status, json, text };
             };
             const who = await (await fetch('/api/me', { headers: { Authorization: `Bearer ${token}` } })).json();
             let r = await call({});
             for (let i = 0; i < 3 && (r.status === 428 || (r.status === 409 && r.json?.code === 'key_required')); i++) {
               if (r.status === 409) {
                 await keys.registerDeviceKey(who, async (p, b) => {
                   let q = await fetch(`/api${p}`, { method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(b) });
                   if (q.status === 428) {
                     const h = await keys.signatureHeaders(await q.json(), who);
                     q = await fetch(`/api${p}`, { method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...h }, body: JSON.stringify(b) });
                   }
                   if (!q.ok) throw new Error(`register key: ${q.status} ${await q.text()}`);
                 });
                 r = await call({});
               } else {
                 r = await call(await keys.signatureHeaders(r.json, who));
               }
             }
             return r;
           })();"#,
        json!([token, method, path, body, idem]),
    )
}

/// Checks the rendered page: every visible text node is either a table
/// string in the current language (with its arguments), data marked
/// `data-raw`, or neutral (digits and punctuation); in English no Chinese
/// shows outside data. Returns the problems found.
const I18N_CHECK: &str = r#"
const done = arguments[arguments.length - 1];
import('/i18n.js').then((m) => {
  const lang = m.lang();
  const bad = [];
  const neutral = /^[\s\d·.,:;()（）\/%#+\-—–|…、：，。　]*$/;
  const cjk = /[\u3400-\u9fff]/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.nodeValue;
    if (!text.trim()) continue;
    const el = n.parentElement;
    if (!el || el.closest('[data-raw], kbd, script, style')) continue;
    if (!el.getClientRects().length) continue;
    const other = el.closest('[lang]');
    if (other && other !== document.documentElement) continue;
    if (el.dataset.i18n !== undefined) {
      let args = null;
      try { args = el.dataset.i18nArgs ? JSON.parse(el.dataset.i18nArgs) : null; } catch (e) { args = null; }
      const want = m.t(el.dataset.i18n, args);
      if (want.startsWith('[')) bad.push('missing key ' + el.dataset.i18n);
      else if (el.textContent !== want) bad.push(`${el.dataset.i18n} shows "${el.textContent}", not "${want}"`);
      let own = want;
      for (const v of Object.values(args || {})) own = own.split(String(v)).join('');
      if (lang === 'en' && cjk.test(own)) bad.push('Chinese in the English view: ' + own);
    } else if (!neutral.test(text)) {
      bad.push(`text outside the tables: "${text.trim()}" in <${el.tagName.toLowerCase()} class="${el.className}">`);
    }
  }
  for (const el of document.querySelectorAll('[placeholder], [aria-label]')) {
    if (el.closest('[data-raw]') || !el.getClientRects().length) continue;
    const v = (el.getAttribute('placeholder') || '') + (el.getAttribute('aria-label') || '');
    if (lang === 'en' && cjk.test(v) && !('rawLabel' in el.dataset)) bad.push('Chinese attribute in the English view: ' + v);
  }
  done(bad);
}).catch((e) => done(['cannot load i18n.js: ' + e]));
"#;

/// A page that re-renders on a language change after fetching (the papers:
/// the method text in the other language) marks the part being redone
/// `data-ready=false` from within the toggle's click until it is laid out.
const SETTLED: &str = "!document.querySelector('[data-ready=false]')";

fn check_i18n(s: &Session, screen: &str) {
    for lang in ["zh-CN", "en"] {
        let now = s.exec("return document.documentElement.lang;", json!([]));
        if now != lang {
            s.click("#lang-toggle");
            s.wait_for(
                &format!("document.documentElement.lang === '{lang}' && {SETTLED}"),
                10,
            );
        }
        let bad = s.cmd(
            "POST",
            "/execute/async",
            Some(json!({ "script": I18N_CHECK, "args": [] })),
        );
        let bad: Vec<String> = bad
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| v.as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default();
        assert!(bad.is_empty(), "{screen} in {lang}:\n{}", bad.join("\n"));
    }
    s.click("#lang-toggle");
    s.wait_for(
        &format!("document.documentElement.lang === 'zh-CN' && {SETTLED}"),
        10,
    );
}

/// web/qr.js draws exactly the modules of a reference encoder
/// (fixtures/qr/vectors.json: Project Nayuki's qrcodegen), mask included.
fn qr_matches_reference_vectors(s: &Session) {
    s.step("the QR encoder against reference vectors");
    let fixture: Value = serde_json::from_str(include_str!("../fixtures/qr/vectors.json"))
        .expect("fixtures/qr/vectors.json");
    let got = s.cmd(
        "POST",
        "/execute/async",
        Some(json!({ "args": [fixture["vectors"]], "script":
            "const [vectors, done] = arguments;
             import('/qr.js').then((q) => done(vectors.map((v) => {
               const c = q.encode(v.text, { ecl: v.ecl });
               return { version: c.version, mask: c.mask, modules: q.toText(c).split('\\n') };
             }))).catch((e) => done(String(e)));" })),
    );
    let vectors = fixture["vectors"].as_array().expect("vectors");
    assert_eq!(got.as_array().map(Vec::len), Some(vectors.len()), "{got}");
    for (v, g) in vectors.iter().zip(got.as_array().into_iter().flatten()) {
        assert_eq!(g["version"], v["version"], "version for {}", v["text"]);
        assert_eq!(g["mask"], v["mask"], "mask for {}", v["text"]);
        assert_eq!(g["modules"], v["modules"], "modules for {}", v["text"]);
    }
}

/// Clicks the confirm button of the open dialog.
fn confirm(s: &Session) {
    s.click("dialog[open] [data-action=confirm]");
    s.wait_for("!document.querySelector('dialog[open]')", 10);
}

/// The meeting as the organiser set it up through the setup screens.
struct Meeting {
    /// Log-in links by person name.
    links: BTreeMap<String, String>,
    organiser_token: String,
    meeting: String,
    election: String,
}

const CANDIDATES: [&str; 3] = ["丁一", "王二", "刘三"];

impl Meeting {
    /// The token in a person's log-in link.
    fn token_of(&self, name: &str) -> String {
        self.links[name]
            .split("#token=")
            .nth(1)
            .and_then(|t| t.split('&').next())
            .unwrap_or_else(|| panic!("no token in the link of {name}"))
            .to_string()
    }
}

fn set_up(s: &Session, server: &Server) -> Meeting {
    s.step("the landing page without a log-in link");
    s.goto(&server.url);
    s.wait_visible("#status .msg");
    check_i18n(s, "landing");

    qr_matches_reference_vectors(s);

    s.step("setup: create the meeting with the setup link serve printed");
    s.goto(&format!("{}/#setup={}", server.url, server.setup_token));
    s.wait_visible("#m-name");
    let address = s.exec("return location.href;", json!([]));
    assert!(
        !address.as_str().unwrap_or("").contains(&server.setup_token),
        "the setup token leaves the address bar: {address}"
    );
    s.fill("#m-name", "中共测试支部党员大会");
    s.select("#m-body", "members_assembly");
    s.fill("#m-voting", "8");
    s.fill("#m-organiser", "张秘书");
    s.click("#add-exclusion");
    s.fill(".exclusion .x-reason", "因患重病不能参加");
    s.fill(".exclusion .x-count", "1");
    s.fill(".exclusion .x-approved", "上级党委组织部");
    check_i18n(s, "create meeting");
    s.click("#create-meeting");
    s.wait_visible("#setup");
    s.wait_for(
        "document.querySelector('#meeting-facts').textContent.includes('7')",
        10,
    );

    s.step("setup: adopt the method");
    s.select("#preset", "grassroots-2020");
    s.click("#adopt-method");
    s.wait_visible("#method-card.done");

    s.step("setup: check-in");
    s.click("#roster-box summary");
    s.fill(
        "#roster",
        "党员一\n党员二\n党员三\n党员四\n党员五\n党员六\n党员七",
    );
    s.wait_for("document.querySelector('#present').value === '7'", 10);
    s.click("#record-attendance");
    s.wait_visible("#attendance-card.done .badge.ok");

    s.step("setup: election");
    s.fill("#e-contest", "支部委员会委员");
    s.select("#e-office", "committee");
    s.fill("#e-seats", "2");
    s.click("#add-election");
    let election = s
        .wait_for(
            "document.querySelector('#elections tr[data-election]')?.dataset.election",
            10,
        )
        .as_str()
        .expect("election id")
        .to_string();

    s.step("setup: people and their links");
    let people = [
        ("counter", "计票甲"),
        ("counter", "计票乙"),
        ("scrutineer", "监票丙"),
        ("scrutineer", "监票丁"),
        // Assigned, but never registers a key (item 1).
        ("scrutineer", "监票戊"),
        ("presidium", "主席团"),
        ("auditor", "审计员"),
    ];
    for (role, name) in people {
        s.select("#p-role", role);
        s.fill("#p-name", name);
        // 监票戊 is added without ticking the election (item 8).
        if (role == "counter" || role == "scrutineer") && name != "监票戊" {
            s.click(&format!(".p-election[value={election}]"));
        }
        s.click("#add-person");
        s.wait_visible(&format!(".link-row[data-name={name}] .login-link"));
    }

    s.step("setup: a person added without an election is assigned later");
    s.select("#p-role", "scrutineer");
    s.fill("#p-name", "监票戊");
    s.click(&format!(".p-election[value={election}]"));
    s.click("#add-person");
    s.wait_visible("#status .msg.error");
    let again = s.text("#status .msg.error");
    assert!(
        again.contains("指派"),
        "adding again points to the assign action: {again}"
    );
    s.select(".link-row[data-name=监票戊] .assign-election", &election);
    s.click(".link-row[data-name=监票戊] .assign-btn");
    s.wait_for(
        &format!("document.querySelector('#elections tr[data-election={election}]').textContent.includes('监票戊')"),
        10,
    );
    assert_eq!(
        s.exec("return document.querySelectorAll('.link-row[data-name=监票戊] .assign-election').length;", json!([])),
        0,
        "nothing left to assign"
    );

    s.step("setup: a link as a QR code for a tablet");
    s.click(".link-row[data-name=计票乙] button[data-i18n='setup.qr']");
    s.wait_visible("dialog[open] svg.link-qr path");
    confirm(s);

    s.step("setup: the formal round");
    add_round(s, &election, &CANDIDATES, 2);
    let round = draft_round(s, &election);
    open_round(s, &round, 8);
    check_i18n(s, "setup");

    let links: BTreeMap<String, String> = serde_json::from_value(s.exec(
        "const out = {};
         for (const row of document.querySelectorAll('.link-row')) {
           const input = row.querySelector('.login-link');
           if (input) out[row.dataset.name] = input.value;
         }
         return out;",
        json!([]),
    ))
    .expect("links");
    assert!(
        links.contains_key("张秘书"),
        "the organiser's own link is listed: {links:?}"
    );
    let organiser_token = s
        .exec(
            "return sessionStorage.getItem('scrutineer.token');",
            json!([]),
        )
        .as_str()
        .expect("organiser token")
        .to_string();
    let meeting = server.ok(s, &organiser_token, "GET", "/me", None)["meeting"]
        .as_str()
        .expect("meeting id")
        .to_string();
    Meeting {
        links,
        organiser_token,
        meeting,
        election,
    }
}

fn add_round(s: &Session, election: &str, candidates: &[&str], seats: u32) {
    let base = format!(".election-rounds[data-election={election}]");
    s.click(&format!("{base} details.add-round summary"));
    s.select(&format!("{base} .r-kind"), "formal");
    s.fill(&format!("{base} .r-candidates"), &candidates.join("\n"));
    s.fill(&format!("{base} .r-seats"), &seats.to_string());
    s.click(&format!("{base} details.add-round button[type=submit]"));
    s.wait_visible(&format!("{base} tr[data-state=draft]"));
}

fn draft_round(s: &Session, election: &str) -> String {
    s.wait_for(
        &format!("document.querySelector('.election-rounds[data-election={election}] tr[data-state=draft]')?.dataset.round"),
        10,
    )
    .as_str()
    .expect("draft round")
    .to_string()
}

fn open_round(s: &Session, round: &str, issued: u32) {
    s.step(&format!("organiser opens {round}"));
    s.fill(
        &format!("form.open-round[data-round={round}] .issued"),
        &issued.to_string(),
    );
    s.click(&format!(
        "form.open-round[data-round={round}] button[type=submit]"
    ));
    confirm(s);
    s.wait_visible(&format!("tr[data-round={round}][data-state=open]"));
}

/// One paper ballot as a counter types it: mark keys, then Enter.
/// A `(line, name)` write-in is typed after the line's against mark.
struct Paper<'a> {
    keys: &'a str,
    write_in: Option<(usize, &'a str)>,
}

const fn paper(keys: &str) -> Paper<'_> {
    Paper {
        keys,
        write_in: None,
    }
}

fn entered(s: &Session) -> u64 {
    s.exec(
        "return document.querySelectorAll('#entered li').length;",
        json!([]),
    )
    .as_u64()
    .unwrap_or(0)
}

/// A counter logs in and enters one batch with the keyboard only.
fn enter_batch(s: &Session, link: &str, batch: &str, papers: &[Paper], exercise: bool) -> Value {
    s.goto(link);
    s.wait_for(
        "document.activeElement && document.activeElement.id === 'batch-label'",
        20,
    );
    s.type_keys(batch);
    s.keys(&[&[key::TAB]]);
    s.type_keys(&papers.len().to_string());
    s.keys(&[&[key::ENTER]]);
    s.wait_for(
        "document.activeElement && document.activeElement.id === 'ballot'",
        10,
    );
    for (i, p) in papers.iter().enumerate() {
        if exercise && i == 0 {
            s.step("counter: an overvoted ballot is warned about before it is accepted");
            s.type_keys(&"1".repeat(p.keys.len()));
            s.wait_visible("#overvote-warning");
            s.keys(&[&[key::ENTER]]);
            s.wait_visible("dialog[open].danger");
            s.snapshot("overvote-warning");
            let text = s.text("dialog[open]");
            assert!(
                text.contains("无效票"),
                "the warning says the ballot is invalid: {text}"
            );
            s.keys(&[&[key::ESCAPE]]);
            s.wait_for("!document.querySelector('dialog[open]')", 10);
            assert_eq!(entered(s), 0, "a cancelled overvote is not entered");
            // Undo every mark, back to an empty ballot.
            for _ in 0..p.keys.len() {
                s.keys(&[&[key::BACKSPACE]]);
            }
            s.wait_for(
                "[...document.querySelectorAll('#lines .line')].every(l => !l.dataset.mark)",
                10,
            );
        }
        match p.write_in {
            None => s.type_keys(p.keys),
            Some((line, name)) => {
                s.type_keys(&p.keys[..=line]);
                s.type_keys("w");
                s.wait_for(
                    &format!(
                        "document.activeElement?.matches('.writein-input[data-line=\"{line}\"]')"
                    ),
                    10,
                );
                // Typed into the focused field (no click): CJK text goes
                // through the element's input, as an IME would commit it.
                s.fill(&format!(".writein-input[data-line=\"{line}\"]"), name);
                s.keys(&[&[key::ENTER]]);
                s.wait_for(
                    "document.activeElement && document.activeElement.id === 'ballot'",
                    10,
                );
                s.type_keys(&p.keys[line + 1..]);
            }
        }
        s.keys(&[&[key::ENTER]]);
        s.wait_for(
            &format!(
                "document.querySelectorAll('#entered li').length === {}",
                i + 1
            ),
            10,
        );
        if exercise && i == 1 {
            s.step("counter: Backspace on an empty ballot takes the last one back");
            s.keys(&[&[key::BACKSPACE]]);
            s.wait_for("document.querySelectorAll('#entered li').length === 1", 10);
            s.wait_for(
                "[...document.querySelectorAll('#lines .line')].every(l => l.dataset.mark)",
                10,
            );
            let marks = "return [...document.querySelectorAll('#lines .line')].map(l => l.dataset.mark).join('');";
            let before = s.exec(marks, json!([]));

            s.step("counter: a key after the last line is ignored with a hint");
            s.type_keys("3");
            s.wait_visible("#status .msg.warn");
            assert!(
                s.text("#status").contains("多按的键不计入"),
                "{}",
                s.text("#status")
            );
            assert_eq!(
                s.exec(marks, json!([])),
                before,
                "the last mark is not overwritten"
            );

            s.step(
                "counter: Backspace on a reopened ballot clears its marks, never the ballot before",
            );
            for left in (0..p.keys.len()).rev() {
                s.keys(&[&[key::BACKSPACE]]);
                s.wait_for(
                    &format!(
                        "document.querySelectorAll('#lines .line[data-mark=\"\"]').length === {}",
                        p.keys.len() - left
                    ),
                    10,
                );
            }
            s.keys(&[&[key::BACKSPACE]]);
            s.wait_for(
                "document.querySelector('#status').textContent.includes('不会撤回前一张')",
                10,
            );
            assert_eq!(entered(s), 1, "the ballot before stays entered");
            s.type_keys(p.keys);
            s.wait_for(
                &format!(
                    "{} === {before}",
                    marks.trim_start_matches("return ").trim_end_matches(';')
                ),
                10,
            );
            s.keys(&[&[key::ENTER]]);
            s.wait_for("document.querySelectorAll('#entered li').length === 2", 10);
        }
    }
    let progress = s.text("#batch-progress");
    assert!(
        progress.contains(&format!("{0} / {0}", papers.len())),
        "running count of ballots entered against the batch: {progress}"
    );
    if exercise {
        check_i18n(s, "ballot entry");
        s.wait_for(
            "document.activeElement && document.activeElement.id === 'ballot'",
            10,
        )
        .to_string();
    }
    s.keys(&[&[key::CONTROL, key::ENTER]]);
    s.wait_visible("dialog[open]");
    s.keys(&[&[key::ENTER]]);
    s.wait_visible("#submitted-card");
    s.exec(
        "return { text: document.querySelector('#submitted-card').innerText };",
        json!([]),
    )
}

/// The entry screen fits the window: no horizontal scroll, and the ballot
/// lines and the buttons are within the viewport width.
fn assert_entry_fits(s: &Session, what: &str) {
    let v = s.exec(
        "const w = document.documentElement.clientWidth;
         const out = { scroll: document.documentElement.scrollWidth, width: w, outside: [] };
         for (const el of document.querySelectorAll('#lines .mark, #lines .name, #next-ballot, #undo, #submit-batch')) {
           const r = el.getBoundingClientRect();
           if (r.left < 0 || r.right > w + 0.5 || r.width === 0) out.outside.push(el.id || el.className);
         }
         return out;",
        json!([]),
    );
    assert!(
        v["scroll"].as_f64() <= v["width"].as_f64()
            && v["outside"].as_array().is_some_and(|a| a.is_empty()),
        "entry screen at {what} needs horizontal scrolling: {v}"
    );
}

fn scrutineer_makes_key(s: &Session, link: &str) -> String {
    s.goto(link);
    s.click("#make-key");
    confirm(s);
    s.wait_visible("#key-card.done");
    // The private key is a non-extractable CryptoKey kept in IndexedDB.
    let flags = s.cmd("POST", "/execute/async", Some(json!({ "args": [], "script":
        "const done = arguments[0];
         const r = indexedDB.open('scrutineer-keys', 1);
         r.onsuccess = () => { const q = r.result.transaction('keys').objectStore('keys').getAll();
           q.onsuccess = () => done(q.result.map(k => [k.privateKey.type, k.privateKey.extractable])); };
         r.onerror = () => done(null);" })));
    assert!(
        flags
            .as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(|k| k == &json!(["private", false]))),
        "private keys stored non-extractable: {flags}"
    );
    s.text("#my-fingerprint")
}

fn sign(s: &Session, link: &str, round: &str) {
    s.goto(link);
    s.click(&format!("#rounds [data-round={round}]"));
    s.wait_for(
        &format!("document.querySelector('#rounds [data-round={round}]')?.getAttribute('aria-pressed') === 'true'"),
        10,
    );
    s.wait_for("!document.querySelector('#sign').disabled", 20);
    s.click("#sign");
    confirm(s);
    s.wait_for(
        "document.querySelector('#sign').dataset.i18n === 'scrutiny.signed'",
        20,
    );
}

#[test]
fn a_small_meeting_runs_through_the_ui() {
    let server = Server::start();
    let driver = Driver::start();
    let s = driver.session("meeting");
    s.set_window(1280, 800);

    // The pages are served by the binary, with a policy that allows no
    // other host.
    let res = server.client.send(&Request::new("GET", "/count.html"));
    assert_eq!(res.status, 200);
    assert!(res
        .header("content-security-policy")
        .is_some_and(|c| c.contains("default-src 'self'")));

    let m = set_up(&s, &server);
    let link = |name: &str| {
        m.links
            .get(name)
            .unwrap_or_else(|| panic!("no link for {name}"))
            .clone()
    };

    // 7 papers, candidates 丁一 王二 刘三, 2 seats, base 7 (entitled):
    // 丁一 5, 王二 4, 刘三 4 → 丁一 elected, 王二 and 刘三 tied at the cut-off.
    let first = [
        paper("112"),
        paper("112"),
        paper("121"),
        paper("121"),
        paper("113"),
        paper("311"),
        Paper {
            keys: "231",
            write_in: Some((0, "李七")),
        },
    ];
    // The second counter reads paper 3 differently (刘三: abstain).
    let mut second: Vec<Paper> = first
        .iter()
        .map(|p| Paper {
            keys: p.keys,
            write_in: p.write_in,
        })
        .collect();
    second[2] = paper("123");

    s.step("counter 1 enters batch B1");
    let done = enter_batch(&s, &link("计票甲"), "B1", &first, true);
    assert!(
        done["text"].as_str().unwrap_or("").contains("第一次录入"),
        "{done}"
    );

    s.step("counter 2 enters batch B1 without seeing the first entry");
    s.goto(&link("计票乙"));
    s.wait_visible("#batch-form");
    assert_eq!(
        s.exec(
            "return document.querySelectorAll('#my-batches tbody tr').length;",
            json!([])
        ),
        0,
        "the second counter sees none of the first counter's batches"
    );
    // Typed in lower case: the same paper batch as B1.
    let done = enter_batch(&s, &link("计票乙"), "b1", &second, false);
    let text = done["text"].as_str().unwrap_or("");
    assert!(
        text.contains("第二次录入") && text.contains("不一致"),
        "{text}"
    );
    assert!(
        !text.contains("121"),
        "the second counter is not shown the first entry: {text}"
    );

    s.step("counter 1 renames a batch before submitting it, and cancels another");
    s.goto(&link("计票甲"));
    s.wait_for("document.activeElement?.id === 'batch-label'", 20);
    s.type_keys("X9");
    s.keys(&[&[key::TAB]]);
    s.type_keys("1");
    s.keys(&[&[key::ENTER]]);
    s.wait_for("document.activeElement?.id === 'ballot'", 10);
    s.click("#rename-batch");
    s.wait_visible("dialog[open] #new-label");
    s.fill("#new-label", "S1");
    confirm(&s);
    s.wait_for(
        "document.querySelector('#batch-title').textContent.includes('S1')",
        10,
    );
    s.wait_for("document.activeElement?.id === 'ballot'", 10);
    s.type_keys("123");
    s.keys(&[&[key::ENTER]]);
    s.wait_for("document.querySelectorAll('#entered li').length === 1", 10);
    s.keys(&[&[key::CONTROL, key::ENTER]]);
    s.wait_visible("dialog[open]");
    s.keys(&[&[key::ENTER]]);
    s.wait_visible("#submitted-card");
    s.click("#next-batch");
    s.wait_for("document.activeElement?.id === 'batch-label'", 10);
    s.type_keys("X8");
    s.keys(&[&[key::TAB]]);
    s.type_keys("2");
    s.keys(&[&[key::ENTER]]);
    s.wait_for("document.activeElement?.id === 'ballot'", 10);
    s.type_keys("112");
    s.keys(&[&[key::ENTER]]);
    s.wait_for("document.querySelectorAll('#entered li').length === 1", 10);
    s.click("#cancel-batch");
    s.wait_visible("dialog[open].danger");
    confirm(&s);
    s.wait_visible("#batch-form");
    s.wait_for(
        "document.querySelectorAll('#my-batches tbody tr').length === 2",
        10,
    );
    let mine = s.exec(
        "return [...document.querySelectorAll('#my-batches tbody tr')].map(r => r.dataset.batch).sort();",
        json!([]),
    );
    assert_eq!(
        mine,
        json!(["B1", "S1"]),
        "the cancelled batch left nothing"
    );
    check_i18n(&s, "batch start");

    s.step("scrutineer 丁 makes a key before the round is closed");
    let fp_ding = scrutineer_makes_key(&s, &link("监票丁"));

    s.step("scrutineer 丙 reconciles the difference side by side");
    let fp_bing = scrutineer_makes_key(&s, &link("监票丙"));
    assert_ne!(fp_bing, fp_ding);
    assert_eq!(
        fp_bing.split(' ').count(),
        16,
        "fingerprint in 4-hex groups: {fp_bing}"
    );
    s.click("[data-open-batch=B1]");
    s.wait_visible(".difference[data-position=\"2\"]");
    let row = s.exec(
        "const d = document.querySelector('.difference[data-position=\"2\"]');
         return { diff: [...d.querySelectorAll('tr.diff')].map(r => r.dataset.line),
                  cells: [...d.querySelectorAll('tr.diff td.mk')].map(c => c.dataset.mark) };",
        json!([]),
    );
    assert_eq!(
        row["diff"],
        json!(["2"]),
        "only line 3 (刘三) differs: {row}"
    );
    assert_eq!(
        row["cells"],
        json!(["Y", "A"]),
        "first and second reading side by side: {row}"
    );
    check_i18n(&s, "reconciliation");
    s.click(".difference[data-position=\"2\"] [data-resolve=first]");
    confirm(&s);
    s.wait_visible("tr[data-batch=B1][data-state=reconciled]");

    s.step("scrutineer discards the stray batch S1");
    s.wait_visible("tr[data-batch=S1][data-state=awaiting_second]");
    assert_eq!(
        s.exec(
            "return document.querySelectorAll('[data-discard-batch=B1]').length;",
            json!([])
        ),
        0,
        "a reconciled batch cannot be discarded"
    );
    s.click("[data-discard-batch=S1]");
    s.wait_visible("dialog[open] #discard-reason");
    s.fill("#discard-reason", "批次编号写错，实为 B1 中的一张");
    confirm(&s);
    s.wait_for("!document.querySelector('tr[data-batch=S1]')", 10);

    s.step("a returned count that voids the election is warned about and typed twice");
    s.fill("#returned", "9");
    s.click("#close-round");
    s.wait_visible("dialog[open] #void-warning");
    let warning = s.text("dialog[open]");
    assert!(
        warning.contains("无效") && warning.contains("9") && warning.contains("8"),
        "a distinct warning that the election would be void: {warning}"
    );
    assert!(
        !warning.contains("与已录入"),
        "not the mismatch wording: {warning}"
    );
    s.fill("#returned-again", "8");
    s.click("dialog[open] [data-action=confirm]");
    s.wait_visible("dialog[open] #retype-mismatch");
    s.keys(&[&[key::ESCAPE]]);
    s.wait_for("!document.querySelector('dialog[open]')", 10);
    assert_eq!(
        s.exec(
            "return document.querySelector('#round-title [data-status]')?.dataset.status;",
            json!([])
        ),
        "unofficial-partial",
        "nothing was closed"
    );

    s.step("closing is refused while a scrutineer of the election has no key");
    s.wait_visible("#close-keys #keyless");
    assert!(
        s.text("#keyless").contains("监票戊"),
        "the warning names who has no key"
    );
    s.fill("#returned", "7");
    s.click("#close-round");
    confirm(&s);
    s.wait_visible("#status .msg.error");
    let refusal = s.text("#status .msg.error");
    assert!(
        refusal.contains("监票戊") && refusal.contains("主席团"),
        "the refusal names the scrutineer and the way out: {refusal}"
    );
    assert_eq!(
        s.exec(
            "return document.querySelector('#round-title [data-status]')?.dataset.status;",
            json!([])
        ),
        "unofficial-partial",
        "the round stays open"
    );

    s.step("the presidium decides to proceed without 监票戊");
    s.goto(&link("主席团"));
    s.wait_visible("#outcome #keyless");
    s.click("[data-decision=proceed_without]");
    s.wait_visible("dialog[open] #decision-reason");
    s.fill("#decision-reason", "因病缺席，未能登记公钥");
    confirm(&s);
    s.wait_visible("#decisions-taken li[data-taken=proceed_without]");
    let taken = s.text("#decisions-taken");
    assert!(
        taken.contains("监票戊") && taken.contains("监票丙"),
        "{taken}"
    );
    assert_eq!(
        s.exec(
            "return document.querySelectorAll('[data-decision=proceed_without]').length;",
            json!([])
        ),
        0,
        "the decision is offered no more once taken"
    );

    s.step("scrutineer closes the round: a tie at the cut-off");
    s.goto(&link("监票丙"));
    s.wait_visible("#close-keys #excused");
    s.fill("#returned", "7");
    s.click("#close-round");
    confirm(&s);
    s.wait_visible(".outcome-text[data-status=runoff_required]");
    let tally = s.exec(
        "return [...document.querySelectorAll('#tally tbody tr')].map(r => [r.dataset.name, r.dataset.standing]);",
        json!([]),
    );
    assert_eq!(
        tally,
        json!([
            ["丁一", "elected"],
            ["王二", "runoff"],
            ["刘三", "runoff"],
            ["李七", "below"]
        ]),
        "{tally}"
    );
    let r1 = s
        .exec(
            "return document.querySelector('#rounds [aria-pressed=true]').dataset.round;",
            json!([]),
        )
        .as_str()
        .expect("round id")
        .to_string();

    s.step("both scrutineers sign in the browser");
    sign(&s, &link("监票丙"), &r1);
    check_i18n(&s, "scrutiny");
    sign(&s, &link("监票丁"), &r1);

    s.step("presidium sees the outcome and calls the runoff");
    s.goto(&link("主席团"));
    s.wait_visible(&format!("#rounds [data-round={r1}][aria-pressed=true]"));
    s.wait_visible("#outcome .outcome-text[data-status=runoff_required]");
    s.wait_for(
        "document.querySelector('#round-title [data-status]')?.dataset.status === 'certified'",
        20,
    );
    let cp = s.text("#round-checkpoint");
    assert!(
        cp.contains("数据截至日志检查点 #"),
        "the view states its checkpoint: {cp}"
    );
    assert!(
        s.exec("return document.querySelectorAll('#chart .tally-row').length === 4 && !document.querySelector('#cutoff') && !!document.querySelector('#cutoff-tied') && !!document.querySelector('#chart .threshold');", json!([])) == true,
        "per-candidate bars with the threshold line; the seat cut-off frames the tie instead of splitting it"
    );
    check_i18n(&s, "presidium");
    s.click("[data-decision=call_runoff]");
    confirm(&s);
    s.wait_visible("#outcome [data-i18n='presidium.next_round']");

    s.step("organiser opens the runoff");
    s.goto(&link("张秘书"));
    let r2 = draft_round(&s, &m.election);
    let runoff = server.ok(
        &s,
        &m.organiser_token,
        "GET",
        &format!("/meetings/{}/rounds/{r2}", m.meeting),
        None,
    );
    assert_eq!(runoff["kind"], "runoff");
    assert_eq!(runoff["candidates"], json!(["王二", "刘三"]));
    open_round(&s, &r2, 7);

    s.step("runoff: counter 1 at 1280×800");
    let runoff_papers = [
        paper("12"),
        paper("12"),
        paper("12"),
        paper("12"),
        paper("12"),
        paper("21"),
        paper("21"),
    ];
    enter_batch(&s, &link("计票甲"), "R1", &runoff_papers, false);

    s.step("runoff: counter 2 on a tablet (768×1024)");
    s.set_window(768, 1024);
    s.goto(&link("计票乙"));
    s.wait_for(
        "document.activeElement && document.activeElement.id === 'batch-label'",
        20,
    );
    s.type_keys("R1");
    s.keys(&[&[key::TAB]]);
    s.type_keys("7");
    s.keys(&[&[key::ENTER]]);
    s.wait_for(
        "document.activeElement && document.activeElement.id === 'ballot'",
        10,
    );
    s.type_keys("12");
    assert_entry_fits(&s, "768×1024");
    s.snapshot("entry-tablet");
    s.set_window(1280, 800);
    s.wait_for("document.documentElement.clientWidth > 1000", 10);
    assert_entry_fits(&s, "1280×800");
    s.snapshot("entry-laptop");
    s.keys(&[&[key::BACKSPACE], &[key::BACKSPACE]]);
    // Back at laptop size, the same counter finishes the batch.
    enter_batch_continue(&s, &runoff_papers);

    s.step("presidium follows the runoff live while it is closed");
    s.goto(&link("主席团"));
    s.click(&format!("#rounds [data-round={r2}]"));
    s.wait_for("document.querySelector('#round-title [data-status]')?.dataset.status === 'unofficial-partial'", 20);
    s.wait_for("document.querySelector('#chart .tally-row[data-name=王二] .counts')?.textContent.includes('5')", 20);
    s.wait_visible("#live");
    let before = s.text("#round-checkpoint");
    // The scrutineer closes the round elsewhere; this page hears of it
    // over its event stream, without reloading.
    s.exec("window.__same_page = true;", json!([]));
    proceed_without_wu(&s, &server, &m, &r2);
    server.ok(
        &s,
        &m.token_of("监票丙"),
        "POST",
        &format!("/meetings/{}/rounds/{r2}/close", m.meeting),
        Some(json!({ "returned": 7 })),
    );
    s.wait_visible("#outcome .outcome-text[data-status=complete]");
    assert_eq!(
        s.exec("return window.__same_page === true;", json!([])),
        true,
        "updated live, not reloaded"
    );
    assert_ne!(
        s.text("#round-checkpoint"),
        before,
        "the view names the newer checkpoint"
    );
    assert_eq!(
        s.exec(
            "return document.querySelectorAll('#decisions [data-decision]').length;",
            json!([])
        ),
        0,
        "no decision on a result the scrutineers have not signed"
    );

    s.step("runoff: both scrutineers sign");
    sign(&s, &link("监票丙"), &r2);
    sign(&s, &link("监票丁"), &r2);

    s.step("presidium announces the runoff result");
    s.goto(&link("主席团"));
    s.click(&format!("#rounds [data-round={r2}]"));
    s.wait_for(
        "document.querySelector('#round-title [data-status]')?.dataset.status === 'certified'",
        20,
    );
    s.click("[data-decision=announce]");
    confirm(&s);
    s.wait_visible("#outcome .badge.ok");
    s.wait_visible("#decisions-taken li[data-taken=announce]");
    assert_eq!(
        s.exec(
            "return document.querySelectorAll('[data-decision=announce]').length;",
            json!([])
        ),
        0,
        "an announcement is made once"
    );

    s.step("the certified report of the runoff");
    s.goto(&format!("{}/report.html?round={r2}", server.url));
    s.wait_visible("#sheet[data-ready=true]");
    let report = s.exec(
        "return { text: document.querySelector('#sheet').innerText,
                  unofficial: !document.querySelector('#r-unofficial').classList.contains('hidden'),
                  root: document.querySelector('#r-root').textContent,
                  receipt: document.querySelector('#r-qr').dataset.receipt,
                  qr: !!document.querySelector('#r-qr svg path'),
                  states: [...document.querySelectorAll('#r-scrutineers tbody tr')]
                    .map((tr) => tr.dataset.state) };",
        json!([]),
    );
    let text = report["text"].as_str().unwrap_or("");
    assert_eq!(report["unofficial"], false, "certified: {text}");
    assert!(text.contains("王二") && text.contains("当选"), "{text}");
    assert!(
        text.contains(&fp_bing) && text.contains(&fp_ding),
        "both fingerprints printed: {text}"
    );
    assert_eq!(
        report["states"],
        json!(["report.signed_verified", "report.signed_verified"]),
        "the presidium's report checks both cosignatures: {report}"
    );
    let root = report["root"].as_str().unwrap_or("");
    assert!(
        root.split(' ').count() == 16 && root.split(' ').all(|g| g.len() == 4),
        "log root in 4-hex groups: {root}"
    );
    assert_eq!(report["qr"], true, "a QR code");
    assert!(
        report["receipt"]
            .as_str()
            .unwrap_or("")
            .contains(&m.meeting),
        "the receipt names the log: {report}"
    );
    check_i18n(&s, "report");

    s.step("the organiser's report of the announced runoff lists the signers");
    s.goto(&link("张秘书"));
    s.wait_visible("#setup");
    s.goto(&format!("{}/report.html?round={r2}", server.url));
    s.wait_visible("#sheet[data-ready=true]");
    let organiser = s.exec(
        "return { text: document.querySelector('#sheet').innerText,
                  states: [...document.querySelectorAll('#r-scrutineers tbody tr')]
                    .map((tr) => tr.dataset.state) };",
        json!([]),
    );
    let text = organiser["text"].as_str().unwrap_or("");
    assert!(
        text.contains(&fp_bing) && text.contains(&fp_ding),
        "the organiser sees both fingerprints: {text}"
    );
    assert_eq!(
        organiser["states"],
        json!(["report.signed", "report.signed"]),
        "{organiser}"
    );

    s.step("auditor downloads the bundle");
    s.goto(&link("审计员"));
    s.wait_for(
        "document.querySelector('#verify-cmd').textContent.startsWith('scrutineer verify ')",
        20,
    );
    s.click("#download");
    s.wait_visible("#status .msg.ok");
    let name = s.text("#download-link");
    assert!(
        name.ends_with("-bundle.zip"),
        "the bundle is offered as a file: {name}"
    );
    check_i18n(&s, "audit");

    a4_report(&s, &server, &m);
}

/// Finishes a batch the counter already started on screen.
fn enter_batch_continue(s: &Session, papers: &[Paper]) {
    for (i, p) in papers.iter().enumerate() {
        s.type_keys(p.keys);
        s.keys(&[&[key::ENTER]]);
        s.wait_for(
            &format!(
                "document.querySelectorAll('#entered li').length === {}",
                i + 1
            ),
            10,
        );
    }
    s.keys(&[&[key::CONTROL, key::ENTER]]);
    s.wait_visible("dialog[open]");
    s.keys(&[&[key::ENTER]]);
    s.wait_visible("#submitted-card");
}

/// The presidium's decision, through the API, that `round` proceeds
/// without 监票戊, who has no key.
fn proceed_without_wu(s: &Session, server: &Server, m: &Meeting, round: &str) {
    server.ok(
        s,
        &m.token_of("主席团"),
        "POST",
        &format!("/meetings/{}/rounds/{round}/decisions", m.meeting),
        Some(json!({ "decision": "proceed_without", "without": ["监票戊"], "reason": "因病缺席" })),
    );
}

/// A 9-candidate round (set up through the API), signed in the browser:
/// its report prints on exactly one A4 page.
fn a4_report(s: &Session, server: &Server, m: &Meeting) {
    s.step("a 9-candidate round for the A4 check");
    let org = &m.organiser_token;
    let mt = &m.meeting;
    let e = server.ok(
        s,
        org,
        "POST",
        &format!("/meetings/{mt}/elections"),
        Some(json!({
        "contest": "纪律检查委员会委员", "office": "discipline", "seats": 7 })),
    );
    let e = e["id"].as_str().expect("election id").to_string();
    let people = server.ok(s, org, "GET", &format!("/meetings/{mt}/people"), None);
    let token_of = |name: &str| m.token_of(name);
    for p in people.as_array().expect("people") {
        if p["role"] == "counter" || p["role"] == "scrutineer" {
            server.ok(
                s,
                org,
                "POST",
                &format!("/meetings/{mt}/elections/{e}/assignments"),
                Some(json!({ "person": p["id"] })),
            );
        }
    }
    let names = [
        "丁一",
        "王二",
        "刘三",
        "张四",
        "陈五",
        "周六",
        "吴七",
        "郑八",
        "欧阳九",
    ];
    let r = server.ok(
        s,
        org,
        "POST",
        &format!("/meetings/{mt}/elections/{e}/rounds"),
        Some(json!({
        "kind": "formal", "candidates": names, "seats": 7 })),
    );
    let r = r["id"].as_str().expect("round id").to_string();
    server.ok(
        s,
        org,
        "POST",
        &format!("/meetings/{mt}/rounds/{r}/open"),
        Some(json!({ "issued": 7 })),
    );
    let ballots = json!(["YYYYYYYNN", "YYYYYYNYN", "YYYYYNYYN", "YYYYNYYYN", "YYYNYYYNA",
                         { "marks": "YYNYYYANN", "write_ins": { "8": "李七" } }, { "void": "选票上有签名" }]);
    for c in ["计票甲", "计票乙"] {
        server.ok(
            s,
            &token_of(c),
            "POST",
            &format!("/meetings/{mt}/rounds/{r}/batches/D1/entries"),
            Some(json!({ "ballots": ballots })),
        );
    }
    s.step("a counter's screen follows the round: it closes while a batch is on screen");
    s.goto(&m.links["计票甲"]);
    s.wait_for("document.activeElement?.id === 'batch-label'", 20);
    s.type_keys("D2");
    s.keys(&[&[key::TAB]]);
    s.type_keys("1");
    s.keys(&[&[key::ENTER]]);
    s.wait_for("document.activeElement?.id === 'ballot'", 10);
    s.type_keys("1");
    proceed_without_wu(s, server, m, &r);
    server.ok(
        s,
        &token_of("监票丙"),
        "POST",
        &format!("/meetings/{mt}/rounds/{r}/close"),
        Some(json!({ "returned": 7 })),
    );
    s.wait_visible("#round-closed");
    let banner = s.text("#round-closed");
    assert!(
        banner.contains("已结束计票") && banner.contains("D2") && !banner.contains("closed"),
        "a clear banner in Chinese: {banner}"
    );
    let marks =
        "return [...document.querySelectorAll('#lines .line')].map(l => l.dataset.mark).join('');";
    let before = s.exec(marks, json!([]));
    s.type_keys("2");
    assert_eq!(
        s.exec(marks, json!([])),
        before,
        "no entry into a closed round"
    );
    check_i18n(s, "round closed on the counter's screen");

    sign(s, &m.links["监票丙"], &r);
    sign(s, &m.links["监票丁"], &r);

    s.step("the 9-candidate report prints on one A4 page");
    s.goto(&format!("{}/report.html?round={r}", server.url));
    s.wait_visible("#sheet[data-ready=true]");
    assert_eq!(
        s.exec(
            "return document.querySelectorAll('#r-tally tbody tr').length;",
            json!([])
        ),
        10,
        "9 candidates and one write-in"
    );
    let laid_out = s.exec(PAGES, json!([]));
    let laid_out = laid_out.as_array().expect("pages");
    let report: Vec<&Value> = laid_out.iter().filter(|p| p["kind"] == "report").collect();
    assert_eq!(
        report.len(),
        1,
        "the report of a 9-candidate round is one A4 page (the method follows as its annex): {laid_out:?}"
    );
    assert_eq!(report[0]["no"], "第 1 页 共 1 页");
    assert_eq!(report[0]["sign"], true, "with its signature block");
    keep_pages(s, "report-9", laid_out.len());
    assert_eq!(
        pdf_pages(s, "report-9-candidates.pdf"),
        laid_out.len(),
        "the print is the pages on screen"
    );
}

/// `serve` on every interface as `https://scrutineer.test`, with the
/// certificate it made, and a Chromium session that maps that name to
/// 127.0.0.1 and trusts exactly that certificate (by its public key): a
/// LAN origin, not loopback.
fn lan_https(
    dir: &TempDir,
    session: &str,
) -> (Binary, scrutineer::http::tls::Tls, Driver, Session) {
    let db = dir.path().join("https.db");
    let https = Binary::start(
        &db,
        &[
            "--listen",
            "0.0.0.0:0",
            "--public-url",
            "https://scrutineer.test",
        ],
    );
    let mut crt = db.as_os_str().to_owned();
    crt.push(".tls.crt");
    let mut key = db.as_os_str().to_owned();
    key.push(".tls.key");
    let tls = scrutineer::http::tls::load(crt.as_ref(), key.as_ref()).expect("certificate");
    let driver = Driver::start();
    let s = driver.session_with(
        session,
        &[
            "--host-resolver-rules=MAP scrutineer.test 127.0.0.1".to_string(),
            format!("--ignore-certificate-errors-spki-list={}", tls.spki_sha256),
        ],
    );
    (https, tls, driver, s)
}

/// Issue 9, item 1: on a name that is not loopback the pages are a secure
/// context only over HTTPS. Chromium maps `scrutineer.test` to 127.0.0.1
/// and trusts exactly the certificate `serve` made (by its public key);
/// there WebCrypto exists. Over `--insecure-http` the scrutiny page says
/// it must be opened over HTTPS instead of calling the browser unsupported.
#[test]
fn a_non_loopback_origin_has_webcrypto_over_https_only() {
    let dir = TempDir::new("browser-https");
    let (https, tls, _driver, s) = lan_https(&dir, "https");
    s.step("open the scrutiny page over HTTPS on a LAN name");
    s.goto(&format!(
        "https://scrutineer.test:{}/scrutiny.html",
        https.addr.port()
    ));
    s.wait_for(
        "location.protocol === 'https:' && window.isSecureContext === true \
         && typeof crypto.subtle === 'object' && crypto.subtle !== null",
        20,
    );
    let fp = s.exec(
        "return fetch('/api/server').then((r) => r.json()).then((j) => j.fingerprint);",
        json!([]),
    );
    assert_eq!(fp, json!(tls.fingerprint));

    s.step("the same name over plain HTTP");
    let plain = Binary::start(
        &dir.path().join("plain.db"),
        &["--listen", "0.0.0.0:0", "--insecure-http"],
    );
    let c = Client::new(std::net::SocketAddr::from((
        [127, 0, 0, 1],
        plain.addr.port(),
    )));
    let made = c
        .post(
            "/api/meetings",
            &plain.setup,
            &json!({ "name": "测试支部党员大会", "body": "members_assembly", "voting_members": 10 }),
        )
        .expect(201)
        .json();
    let m = made["meeting"]["id"].as_str().unwrap();
    let org = made["organiser"]["token"]["token"].as_str().unwrap();
    let sc = c
        .post(
            &format!("/api/meetings/{m}/people"),
            org,
            &json!({ "role": "scrutineer", "name": "张监票" }),
        )
        .expect(201)
        .json();
    let token = sc["token"]["token"].as_str().unwrap();
    s.goto(&format!(
        "http://scrutineer.test:{}/scrutiny.html#token={token}",
        plain.addr.port()
    ));
    s.wait_for("!!document.querySelector('#key-insecure')", 20);
    assert_eq!(
        s.exec("return window.isSecureContext;", json!([])),
        json!(false)
    );
    assert_eq!(
        s.exec("return typeof crypto.subtle;", json!([])),
        json!("undefined")
    );
}

/// Issue 9, done-when: on a non-loopback HTTPS origin, keys are made in
/// the browser for the organiser, two counters, a scrutineer and the
/// presidium; they enter, close, cosign and decide, each change signed on
/// this device; `scrutineer verify` checks every one of those signatures
/// (step 6) and the scrutineer's cosignature.
#[test]
fn over_https_every_person_signs_in_the_browser_and_verify_checks_it() {
    let dir = TempDir::new("browser-https-signed");
    let (https, _tls, _driver, s) = lan_https(&dir, "https-signed");
    s.goto(&format!("https://scrutineer.test:{}/", https.addr.port()));
    s.wait_for("window.isSecureContext === true && !!crypto.subtle", 20);
    let ok = |token: &str, method: &str, path: &str, body: Option<Value>| -> Value {
        let r = device_api(&s, token, method, path, body);
        let status = r["status"].as_u64().unwrap_or(0);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {}",
            r["text"]
        );
        r["json"].clone()
    };
    s.step("the organiser sets up the meeting, from this browser");
    let made = ok(
        &https.setup,
        "POST",
        "/meetings",
        Some(
            json!({ "name": "测试支部党员大会", "body": "members_assembly", "voting_members": 3, "organiser": "组织员" }),
        ),
    );
    let m = made["meeting"]["id"].as_str().expect("meeting").to_string();
    let org = made["organiser"]["token"]["token"]
        .as_str()
        .expect("token")
        .to_string();
    let mp = |rest: &str| format!("/meetings/{m}{rest}");
    ok(
        &org,
        "PUT",
        &mp("/method"),
        Some(json!({ "preset": "grassroots-2020" })),
    );
    ok(
        &org,
        "PUT",
        &mp("/attendance"),
        Some(json!({ "present": 3 })),
    );
    ok(
        &org,
        "POST",
        &mp("/elections"),
        Some(json!({ "contest": "支部书记", "seats": 1 })),
    );
    let mut tokens = std::collections::BTreeMap::new();
    for (role, name) in [
        ("counter", "计票甲"),
        ("counter", "计票乙"),
        ("scrutineer", "监票丙"),
        ("presidium", "主席团"),
    ] {
        let p = ok(
            &org,
            "POST",
            &mp("/people"),
            Some(json!({ "role": role, "name": name })),
        );
        if role != "presidium" {
            ok(
                &org,
                "POST",
                &mp("/elections/e1/assignments"),
                Some(json!({ "person": p["id"] })),
            );
        }
        tokens.insert(
            name,
            p["token"]["token"].as_str().expect("token").to_string(),
        );
    }
    let r = ok(
        &org,
        "POST",
        &mp("/elections/e1/rounds"),
        Some(json!({ "kind": "formal", "candidates": ["甲", "乙"] })),
    );
    let r = r["id"].as_str().expect("round").to_string();
    ok(
        &org,
        "POST",
        &mp(&format!("/rounds/{r}/open")),
        Some(json!({ "issued": 3 })),
    );
    s.step("the counters enter, the scrutineer closes and cosigns, the presidium announces");
    for c in ["计票甲", "计票乙"] {
        ok(
            &tokens[c],
            "POST",
            &mp(&format!("/rounds/{r}/batches/b1/entries")),
            Some(json!({ "ballots": ["YN", "YN", "NY"] })),
        );
    }
    let sc = &tokens["监票丙"];
    // The scrutineer makes their key on this device and registers it (the
    // registration signed by the new key), as the scrutiny page does.
    let me = ok(sc, "GET", "/me", None);
    let vkey = s.exec(
        "return (async () => {
           const [who] = arguments;
           const keys = await import('/keys.js');
           const rec = await keys.deviceKey(who);
           return keys.verifierKey(rec.name, rec.publicRaw);
         })();",
        json!([me]),
    );
    ok(
        sc,
        "PUT",
        &mp(&format!(
            "/people/{}/key",
            me["person"].as_str().expect("person")
        )),
        Some(json!({ "key": vkey })),
    );
    ok(
        sc,
        "POST",
        &mp(&format!("/rounds/{r}/close")),
        Some(json!({ "returned": 3 })),
    );
    let note = ok(sc, "GET", &mp(&format!("/rounds/{r}/statement")), None)["checkpoint"]
        .as_str()
        .expect("checkpoint")
        .to_string();
    let line = s.exec(
        "return (async () => {
           const [meeting, person, note] = arguments;
           const keys = await import('/keys.js');
           return keys.cosign(await keys.loadKey(meeting, person), note);
         })();",
        json!([m, me["person"], note]),
    );
    ok(
        sc,
        "POST",
        &mp(&format!("/rounds/{r}/cosignatures")),
        Some(json!({ "signature": line })),
    );
    ok(
        &tokens["主席团"],
        "POST",
        &mp(&format!("/rounds/{r}/decisions")),
        Some(json!({ "decision": "announce" })),
    );
    s.step("verify checks every signature made in the browser");
    let zip = s.exec(
        "return (async () => {
           const [token, path] = arguments;
           const r = await fetch(`/api${path}`, { headers: { Authorization: `Bearer ${token}` } });
           const b = new Uint8Array(await r.arrayBuffer());
           let bin = '';
           for (const x of b) bin += String.fromCharCode(x);
           return btoa(bin);
         })();",
        json!([tokens["主席团"], mp("/bundle")]),
    );
    let zip = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(zip.as_str().expect("base64"))
            .expect("zip")
    };
    let bundle = common::bundle::read(&zip);
    let parts = bundle.parts();
    let roles: std::collections::BTreeSet<String> = parts
        .entries
        .iter()
        .map(|e| {
            scrutineer::log::entry::Entry::decode(e)
                .expect("entry")
                .role()
                .name()
                .to_string()
        })
        .collect();
    for role in ["clerk", "counter", "scrutineer", "presidium", "service"] {
        assert!(roles.contains(role), "no entry by {role}: {roles:?}");
    }
    let out = common::bundle::verify_with_cli(dir.path(), &zip, &["监票丙"]);
    assert!(
        out.contains("1 / 1") || out.contains("1 of 1") || out.contains("监票丙"),
        "{out}"
    );
}

/// Issue 9: a `cosign_key=` in a link is the demonstration's only. In the
/// `--demo` meeting the scrutiny screen imports it and labels it as the
/// demo's key; in any other meeting it refuses it and keeps no key.
#[test]
fn a_key_in_a_link_is_taken_only_in_the_demo_meeting() {
    let dir = TempDir::new("browser-demo-key");
    let mut demo = Binary::start(&dir.path().join("demo.db"), &["--demo"]);
    let login = demo.line_starting("login scrutineer ");
    let url = login.rsplit(' ').next().unwrap().to_string();
    assert!(url.contains("cosign_key="), "{login}");
    let driver = Driver::start();
    let s = driver.session("demo-key");
    s.step("the demo scrutineer's link");
    s.goto(&url);
    s.wait_for("!!document.querySelector('#key-demo')", 20);

    s.step("the same kind of link in a real meeting");
    let real = Binary::start(&dir.path().join("real.db"), &[]);
    let c = real.client();
    let made = c
        .post(
            "/api/meetings",
            &real.setup,
            &json!({ "name": "测试支部党员大会", "body": "members_assembly", "voting_members": 10 }),
        )
        .expect(201)
        .json();
    let m = made["meeting"]["id"].as_str().unwrap();
    let org = made["organiser"]["token"]["token"].as_str().unwrap();
    let sc = c
        .post(
            &format!("/api/meetings/{m}/people"),
            org,
            &json!({ "role": "scrutineer", "name": "张监票" }),
        )
        .expect(201)
        .json();
    let token = sc["token"]["token"].as_str().unwrap();
    let planted = url.split("cosign_key=").nth(1).unwrap();
    s.goto(&format!(
        "http://{}/#token={token}&cosign_key={planted}",
        real.addr
    ));
    s.wait_for(
        "!!document.querySelector('#status [data-i18n=\"key.demo_refused\"]') \
         && !!document.querySelector('#make-key')",
        20,
    );
}

/// Checks that the Chinese text of the page (outside data: names, hashes,
/// ids marked `data-raw`) holds no raw id (`r1`, `f2`, `m3fa…`), no English
/// state word and no missing string key. Returns what it found.
const NO_RAW_IDS: &str = r#"
const root = document.querySelector(arguments[0]);
const copy = root.cloneNode(true);
for (const el of copy.querySelectorAll('[data-raw], kbd, script, style')) el.remove();
const text = copy.textContent;
const bad = [];
const words = /\b(complete|runoff_required|runoff|shortfall|void|no_quorum|list_rejected|certified|unofficial|closed|open|draft|formal|preliminary|supplementary|elected|scrutineer|counter|presidium|true|false|null|undefined|NaN)\b/gi;
for (const m of text.matchAll(words)) bad.push('English word: ' + m[0]);
for (const m of text.matchAll(/\b[a-z]\d+(-[a-z0-9]+)?\b/g)) bad.push('raw id: ' + m[0]);
for (const m of text.matchAll(/\[[a-z_]+\.[a-z_.]+\]/g)) bad.push('missing key: ' + m[0]);
return bad;
"#;

/// The pages of a paper as laid out on screen: per page its kind, the
/// running head (title, meeting, 第 N 页 共 M 页) and its text.
const PAGES: &str = r#"
return [...document.querySelectorAll('#sheet .page')].map((p) => ({
  kind: p.dataset.kind,
  title: p.querySelector('.ph-title').textContent,
  meeting: p.querySelector('.ph-meeting').textContent,
  no: p.querySelector('.page-no').textContent,
  text: p.querySelector('.page-body').innerText,
  overflow: p.querySelector('.page-body').scrollHeight > p.querySelector('.page-body').clientHeight + 1,
  sign: !!p.querySelector('#r-sign'),
  tallyRows: [...p.querySelectorAll('.tally tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent)),
}));
"#;

/// A screenshot of each page, kept under target/browser-screenshots/ for
/// people to look at.
fn keep_pages(s: &Session, name: &str, n: usize) {
    s.set_window(900, 1250);
    for i in 0..n {
        s.exec(
            "document.querySelectorAll('#sheet .page')[arguments[0]].scrollIntoView();",
            json!([i]),
        );
        s.save_screenshot(&format!("{name}-page{}", i + 1));
    }
    s.set_window(1280, 900);
}

/// The pages printed by Chromium, counted in the PDF.
fn pdf_pages(s: &Session, file: &str) -> usize {
    let pdf = s.print_a4();
    let dir = webdriver::screenshot_dir();
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(file), &pdf);
    let text = String::from_utf8_lossy(&pdf);
    text.matches("/Type /Page").count() - text.matches("/Type /Pages").count()
}

/// Issue 12 items 14 and 15, issue 9 item 5: the papers a secretary files.
/// A 36-candidate delegate election prints on labelled pages (title,
/// meeting, 第 N 页 共 M 页 on each; the signature block with the chief
/// scrutineer, each scrutineer and counter by name and the chair on the
/// last; the full method as the annex), with the date, time and place, its
/// write-in row without 序号 or zeros, and the round's checkpoint, root and
/// fingerprints as `verify` prints them; a preliminary sheet speaks of 入选
/// and ranks by votes; a void round prints its ruling, not a table; the
/// draft method prints for adoption. No page shows a raw id or an English
/// state word in Chinese, and every string is in both languages.
#[test]
fn papers_print_page_by_page() {
    use common::meeting::{cosigner, Meeting, Person};
    let server = Server::start();
    let c = server.client;
    let r = c
        .post(
            "/api/meetings",
            &server.setup_token,
            &json!({ "name": "中共某区第三次代表大会", "body": "members_assembly",
                     "voting_members": 60, "organiser": "会务组",
                     "place": "区委党校大礼堂" }),
        )
        .expect(201)
        .json();
    let o = &r["organiser"];
    let m = Meeting {
        c,
        id: r["meeting"]["id"].as_str().expect("id").into(),
        organiser: Person {
            id: o["person"].as_str().expect("person").into(),
            role: "organiser".into(),
            name: "会务组".into(),
            token: o["token"]["token"].as_str().expect("token").into(),
            token_id: o["token"]["id"].as_str().expect("token id").into(),
        },
    };
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 58 }))
        .expect(200);
    let (k1, k2) = (cosigner("监票丙", 61), cosigner("监票丁", 62));
    let counters = [
        m.add("counter", "计票甲", None),
        m.add("counter", "计票乙", None),
    ];
    let scrutineers = [
        m.add("scrutineer", "监票丙", Some(&k1)),
        m.add("scrutineer", "监票丁", Some(&k2)),
    ];
    let presidium = m.add("presidium", "主席团", None);

    // One election: its staff assigned, a round opened with `issued`.
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
        for p in counters.iter().chain(&scrutineers) {
            m.assign(&e, p);
        }
        e
    };
    let round = |e: &str, body: Value, issued: u64| -> String {
        let r = m
            .post(&org, &format!("/elections/{e}/rounds"), body)
            .expect(201)
            .json();
        let r = r["id"].as_str().expect("round").to_string();
        m.post(
            &org,
            &format!("/rounds/{r}/open"),
            json!({ "issued": issued }),
        )
        .expect(200);
        r
    };
    let count = |r: &str, ballots: &Value, returned: u64| {
        for (i, c) in counters.iter().enumerate() {
            m.enter(c, r, "B1", &format!("papers-{r}-{i}"), ballots)
                .expect(201);
        }
        m.post(
            &scrutineers[0],
            &format!("/rounds/{r}/close"),
            json!({ "returned": returned }),
        )
        .expect(200);
        m.cosign(&scrutineers[0], &k1, r).expect(201);
        m.cosign(&scrutineers[1], &k2, r).expect(201);
    };

    // 36 candidates for 30 delegates (20% more), 58 ballots; one writes in.
    const SURNAMES: &str =
        "丁王刘张陈周吴郑孙钱赵李杨黄徐朱胡郭何高林罗梁宋谢唐韩冯于董萧程曹袁邓许";
    let names: Vec<String> = SURNAMES.chars().map(|c| format!("{c}代表")).collect();
    assert_eq!(names.len(), 36);
    let e36 = election("出席上级党代会代表", "delegate", 30);
    let r36 = round(
        &e36,
        json!({ "kind": "formal", "candidates": names, "seats": 30 }),
        58,
    );
    let mut ballots: Vec<Value> = (0..58)
        .map(|j| {
            let marks: String = (0..36)
                .map(|i| if (i + j) % 6 == 0 { 'A' } else { 'Y' })
                .collect();
            json!(marks)
        })
        .collect();
    // Ballot 1 is against 丁代表 and writes in 白某 there: 30 selections.
    let mut marks: Vec<char> = ballots[1].as_str().expect("marks").chars().collect();
    marks[0] = 'N';
    ballots[1] = json!({ "marks": marks.iter().collect::<String>(), "write_ins": { "0": "白某" } });
    count(&r36, &json!(ballots), 58);

    // A preliminary: 8 for 6 formal candidates of 5 seats.
    let pre_names = [
        "丁一", "王二", "刘三", "张四", "陈五", "周六", "吴七", "郑八",
    ];
    let ep = election("委员会委员", "committee", 5);
    let rp = round(
        &ep,
        json!({ "kind": "preliminary", "candidates": pre_names, "seats": 5, "next_size": 6 }),
        58,
    );
    // 郑八 (last on the ballot) gets the most votes, 丁一 (first) fewest:
    // for-votes 24 30 36 44 48 52 56 58 (6 for, 2 abstain on each ballot;
    // the abstentions dealt out in ballot order, two lines per ballot).
    let abstain: Vec<usize> = [34, 28, 22, 14, 10, 6, 2, 0]
        .iter()
        .enumerate()
        .flat_map(|(i, n)| std::iter::repeat_n(i, *n))
        .collect();
    let pre: Vec<Value> = (0..58)
        .map(|j| {
            let marks: String = (0..8)
                .map(|i| {
                    if abstain[j] == i || abstain[j + 58] == i {
                        'A'
                    } else {
                        'Y'
                    }
                })
                .collect();
            json!(marks)
        })
        .collect();
    count(&rp, &json!(pre), 58);

    // A void round: more ballots returned than issued.
    let ev = election("纪律检查委员会委员", "discipline", 3);
    let rv = round(
        &ev,
        json!({ "kind": "formal", "candidates": ["甲一", "乙二", "丙三", "丁四"], "seats": 3 }),
        58,
    );
    m.post(
        &scrutineers[0],
        &format!("/rounds/{rv}/close"),
        json!({ "returned": 59, "confirm_void": 59 }),
    )
    .expect(200);

    let driver = Driver::start();
    let s = driver.session("papers");
    s.set_window(1280, 900);
    let open = |path: &str| {
        s.goto(&format!("{}{path}#token={}", server.url, presidium.token));
        s.wait_visible("#sheet[data-ready=true]");
    };

    s.step("the 36-candidate report: labelled pages, signatures on the last");
    open(&format!("/report.html?round={r36}"));
    let pages = s.exec(PAGES, json!([]));
    let pages = pages.as_array().expect("pages");
    let report: Vec<&Value> = pages.iter().filter(|p| p["kind"] == "report").collect();
    let annex: Vec<&Value> = pages.iter().filter(|p| p["kind"] == "annex").collect();
    assert!(
        report.len() >= 2,
        "36 candidates take more than one page: {pages:?}"
    );
    for (i, p) in report.iter().enumerate() {
        assert_eq!(p["title"], "计票结果报告单");
        assert!(
            p["meeting"]
                .as_str()
                .unwrap_or("")
                .contains("中共某区第三次代表大会"),
            "{p}"
        );
        assert_eq!(p["no"], format!("第 {} 页 共 {} 页", i + 1, report.len()));
        assert_eq!(p["overflow"], false, "nothing cut off page {}", i + 1);
        assert_eq!(
            p["sign"],
            i + 1 == report.len(),
            "the signature block on the last page only"
        );
    }
    assert!(!annex.is_empty(), "the method is attached");
    for (i, p) in annex.iter().enumerate() {
        assert_eq!(p["title"], "计票结果报告单");
        assert_eq!(
            p["no"],
            format!("附件 第 {} 页 共 {} 页", i + 1, annex.len())
        );
        assert_eq!(p["overflow"], false);
    }
    let annex_text: String = annex
        .iter()
        .map(|p| p["text"].as_str().unwrap_or(""))
        .collect();
    assert!(
        annex_text.contains("附件：选举办法全文")
            && annex_text.contains("会议有效")
            && annex_text.contains("另行选举"),
        "the full method: {annex_text}"
    );
    let rows: Vec<&Value> = report
        .iter()
        .flat_map(|p| p["tallyRows"].as_array().into_iter().flatten())
        .collect();
    assert_eq!(
        rows.len(),
        37,
        "36 candidates and one write-in across the pages"
    );
    assert_eq!(rows[0][0], "1");
    assert_eq!(rows[35][0], "36");
    let write_in = rows[36].as_array().expect("write-in row");
    assert_eq!(write_in[0], "", "a write-in has no 序号: {write_in:?}");
    let wname = write_in[1].as_str().unwrap_or("");
    assert!(
        wname.contains("白某") && wname.contains("（另选他人）"),
        "{wname}"
    );
    assert_eq!(
        (&write_in[3], &write_in[4]),
        (&json!(""), &json!("")),
        "no zeros: {write_in:?}"
    );
    let first = report[0]["text"].as_str().unwrap_or("").replace('\n', "");
    assert!(first.contains("地点：区委党校大礼堂"), "{first}");
    assert!(
        first.contains("（北京时间）") && first.contains("计票时间："),
        "{first}"
    );
    let last = report[report.len() - 1]["text"].as_str().unwrap_or("");
    for who in [
        "总监票人",
        "监票丙",
        "监票丁",
        "计票甲",
        "计票乙",
        "会议主持人（主席团）",
    ] {
        assert!(last.contains(who), "{who} signs on the last page: {last}");
    }
    // Paper binds the record: the round's checkpoint and root as the
    // service signed them, and both fingerprints.
    let view = m
        .get(&presidium, &format!("/rounds/{r36}/result"))
        .expect(200)
        .json();
    let size = view["checkpoint"]["size"].as_u64().expect("size");
    let all: String = report
        .iter()
        .map(|p| p["text"].as_str().unwrap_or(""))
        .collect();
    assert!(
        all.contains(&format!("本轮结果检查点：{size} 条记录")),
        "{all}"
    );
    let root = s.text("#r-root");
    assert!(
        root.split(' ').count() == 16 && root.split(' ').all(|g| g.len() == 4),
        "{root}"
    );
    for c in view["cosigners"].as_array().expect("cosigners") {
        let fp = c["fingerprint"].as_str().expect("fingerprint");
        assert!(all.contains(fp), "fingerprint {fp} printed");
        assert_eq!(
            fp,
            cosigner(
                c["name"].as_str().unwrap_or(""),
                if c["name"] == "监票丙" { 61 } else { 62 }
            )
            .verifier_key()
            .fingerprint()
        );
    }
    assert_eq!(
        s.exec(NO_RAW_IDS, json!(["#sheet"])),
        json!([]),
        "no raw ids or English words"
    );
    keep_pages(&s, "report-36", pages.len());
    assert_eq!(
        pdf_pages(&s, "report-36-candidates.pdf"),
        pages.len(),
        "the print is the pages on screen"
    );
    check_i18n(&s, "36-candidate report");
    let en = s.exec(PAGES, json!([]));
    assert_eq!(
        en.as_array().map(Vec::len),
        Some(pages.len()),
        "the same pages after switching back"
    );

    s.step("the preliminary sheet: 入选, by votes");
    open(&format!("/report.html?round={rp}"));
    let pages = s.exec(PAGES, json!([]));
    let pages = pages.as_array().expect("pages");
    let text: String = pages
        .iter()
        .filter(|p| p["kind"] == "report")
        .map(|p| p["text"].as_str().unwrap_or(""))
        .collect();
    assert!(
        text.contains("入选正式候选人（按得票多少为序）：郑八、吴七、周六、陈五、张四、刘三"),
        "{text}"
    );
    assert!(
        text.contains("五、预选结果") && text.contains("得票情况（按得票多少为序）"),
        "{text}"
    );
    assert!(
        !text.contains("当选"),
        "a preliminary elects nobody: {text}"
    );
    let fors: Vec<u64> = pages
        .iter()
        .flat_map(|p| p["tallyRows"].as_array().into_iter().flatten())
        .map(|r| r[2].as_str().unwrap_or("0").parse().unwrap_or(0))
        .collect();
    assert_eq!(fors.len(), 8);
    assert!(
        fors.windows(2).all(|w| w[0] >= w[1]),
        "ranked by votes: {fors:?}"
    );
    assert_eq!(s.exec(NO_RAW_IDS, json!(["#sheet"])), json!([]));
    check_i18n(&s, "preliminary report");

    s.step("the void round prints its ruling");
    open(&format!("/report.html?round={rv}"));
    let ruling = s.text("#r-ruling");
    assert!(
        ruling.contains("收回选票 59 张，多于发出选票 58 张") && ruling.contains("本轮选举无效"),
        "{ruling}"
    );
    assert_eq!(
        s.exec(
            "return document.querySelectorAll('#sheet .tally').length;",
            json!([])
        ),
        0,
        "no empty table"
    );
    assert_eq!(s.exec(NO_RAW_IDS, json!(["#sheet"])), json!([]));
    check_i18n(&s, "void report");

    s.step("the draft method prints for adoption");
    open("/method.html");
    let pages = s.exec(PAGES, json!([]));
    let pages = pages.as_array().expect("pages");
    assert!(!pages.is_empty());
    for (i, p) in pages.iter().enumerate() {
        assert_eq!(p["title"], "选举办法（草案）");
        assert_eq!(p["no"], format!("第 {} 页 共 {} 页", i + 1, pages.len()));
        assert_eq!(p["overflow"], false);
    }
    let text: String = pages
        .iter()
        .map(|p| p["text"].as_str().unwrap_or(""))
        .collect();
    assert!(
        text.contains("提请会议讨论通过") && text.contains("会议于"),
        "{text}"
    );
    assert!(
        !text.contains("RULES") && !text.contains("开放问题"),
        "{text}"
    );
    let width = s.exec("return document.documentElement.scrollWidth;", json!([]));
    assert!(
        width.as_u64().unwrap_or(9999) <= 1280,
        "wraps to the page: {width}"
    );
    assert_eq!(s.exec(NO_RAW_IDS, json!(["#sheet"])), json!([]));
    assert_eq!(pdf_pages(&s, "method-draft.pdf"), pages.len());
    check_i18n(&s, "draft method");
}
