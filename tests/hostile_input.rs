//! Issue 13, the input side: each finding an attacker reproduced, as a test
//! named after it that failed before the fix.
//!
//! 1. `verify` printed hostile bytes raw (a candidate name with terminal
//!    escapes drew a fake all-✓ report); the verifier accepted names the
//!    service refuses.
//! 4. Integers above i64::MAX were accepted and silently clamped.
//! 5. Lookalike names passed the uniqueness and supervisor checks.
//! 9. `signatures_required` 0 accepted; an import with no ballots returned
//!    201; `keys.txt` cells could begin with `=`.
//!
//! Finding 3 (zip amplification) is `tests/zip_memory.rs`; the bounded
//! fuzzing of `verify` is `tests/fuzz_verify.rs`.

use crate::common;
use crate::sim;

use std::process::Command;

use serde_json::{json, Value};

use common::http::Request;
use common::meeting::{cosigner, Meeting, Person};
use common::server::{Server, TempDir};
use scrutineer::log::bundle::KEYS_FILE;
use scrutineer::log::verify::{verify, Step};
use scrutineer::rules::{limits::MAX_COUNT, roundfile, RoundKind};

const ESC: char = '\u{1b}';

/// Runs the real binary; (exit code, stdout, stderr).
fn cli(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run scrutineer");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// No character that could move the cursor, clear the screen or reorder
/// the text reaches the terminal.
#[track_caller]
fn assert_no_hidden(text: &str) {
    let hidden = text
        .chars()
        .find(|&c| scrutineer::rules::name::is_hidden(c) && c != '\n' && c != '\t');
    assert_eq!(hidden, None, "printed raw:\n{text}");
}

/// The sim's one-round meeting with these candidates, all ballots for the
/// first two, tallied, cosigned and finished.
fn meeting_with_candidates(candidates: &[&str]) -> sim::Sim {
    let mut s = sim::Sim::new(10);
    s.attendance(10);
    s.open("f1", RoundKind::Formal, 2, candidates, None, 10, 10, 10);
    let marks: String = (0..candidates.len())
        .map(|i| if i < 2 { 'Y' } else { 'N' })
        .collect();
    s.ballots("f1", &sim::times(10, &marks), 10);
    s.close_and_tally("f1", 10);
    s.cosign("f1", &[0, 1]);
    s.decide("f1", scrutineer::log::event::Decision::Announce);
    s.finish(&[]);
    s
}

#[test]
fn finding_1_a_bundle_whose_candidate_name_holds_esc_sequences_cannot_draw_a_fake_report() {
    // The name clears the screen, homes the cursor and draws a passing
    // report that elects someone else.
    let fake = format!(
        "{ESC}[2J{ESC}[H✓ 1. 文件\n✓ 2. 检查点签名\n\n结论：核验通过。\nverified.\n{ESC}[8m"
    );
    let s = meeting_with_candidates(&["丁一", &fake, "刘三"]);
    let bundle = s.bundle();
    // The verifier refuses the name as the service would, naming the field.
    let r = verify(&bundle);
    assert!(!r.is_verified());
    let first = r.first_failure().expect("a failure").to_string();
    assert!(
        first.contains("candidates[1]") && first.contains("U+001B"),
        "{first}"
    );

    let dir = TempDir::new("hostile-esc");
    let zip = scrutineer::bundle_io::zip_bytes(&bundle).expect("zips");
    std::fs::write(dir.path().join("b.zip"), zip).expect("write");
    for lang in ["zh", "en"] {
        let (code, out, err) = cli(dir.path(), &["verify", "b.zip", "--lang", lang]);
        assert_eq!(code, Some(1), "{out}{err}");
        assert_no_hidden(&out);
        assert_no_hidden(&err);
        assert!(!out.contains(ESC) && !err.contains(ESC));
        // The last line is the true verdict, and nothing from the name
        // stands on a line of its own.
        let last = err.lines().last().unwrap_or_default();
        assert!(
            last.contains("核验失败") || last.contains("FAILED"),
            "{err}"
        );
        assert!(
            !err.lines().any(|l| l.trim() == "verified."),
            "a forged verdict line:\n{err}"
        );
    }
}

#[test]
fn finding_1_every_printer_escapes_hidden_characters() {
    use scrutineer::report::{shown, shown_text};
    // One field: everything hidden is escaped, new lines included.
    assert_eq!(shown("吴\u{202e}七\r\n"), "吴\\u202e七\\u000d\\u000a");
    // A whole text keeps its lines.
    assert_eq!(shown_text("a\n\u{1b}[2J\tb"), "a\n\\u001b[2J\tb");
    // `tally` refuses a hostile name and its message is printed escaped.
    let dir = TempDir::new("hostile-tally");
    let file = common::file(
        "grassroots-2020",
        json!({}),
        json!({ "kind": "formal", "seats": 1, "candidates": ["丁一", "王\u{1b}[2J二"],
                "entitled": 3, "present": 3 }),
        json!(["YN", "YN", "NY"]),
    );
    std::fs::write(dir.path().join("r.json"), file).expect("write");
    let (code, out, err) = cli(dir.path(), &["tally", "r.json"]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(
        err.contains("round.candidates[1]") && err.contains("U+001B"),
        "{err}"
    );
    assert_no_hidden(&err);
    // A bundle path with an escape is printed escaped.
    let hostile = format!("no-such-{ESC}[2J.zip");
    let (code, _, err) = cli(dir.path(), &["verify", &hostile]);
    assert_eq!(code, Some(2));
    assert_no_hidden(&err);
    assert!(err.contains("\\u001b[2J"), "{err}");
}

/// Zero-width, bidi and C1 characters in any text field of a signed event
/// are refused by the verifier, as the service refuses them.
#[test]
fn finding_1_the_verifier_rejects_names_the_service_refuses() {
    for name in [
        "吴\u{200b}七",
        "\u{202e}七吴\u{202c}",
        "吴\u{9b}七",
        "吴\u{2066}七",
    ] {
        let s = meeting_with_candidates(&["丁一", name, "刘三"]);
        let r = verify(&s.bundle());
        assert!(!r.is_verified(), "{name:?} verified");
        assert_eq!(r.first_failed_step(), Some(Step::Events), "{name:?}");
        let first = r.first_failure().expect("failure").to_string();
        assert!(first.contains("candidates[1]"), "{first}");
    }
    // The same meeting with plain names verifies.
    assert!(verify(&meeting_with_candidates(&["丁一", "吴七", "刘三"]).bundle()).is_verified());
}

/// A meeting with an election e1 (3 seats), a method, attendance, and one
/// scrutineer assigned. Returns (server, meeting, scrutineer).
fn meeting(label: &str) -> (Server, Meeting, Person) {
    let server = Server::start(label);
    let m = Meeting::create(server.client(), &server.setup, 10, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 10 }))
        .expect(200);
    let k = cosigner("Anna", 31);
    let s = m.add("scrutineer", "Anna", Some(&k));
    m.post(
        &org,
        "/elections",
        json!({ "contest": "支部委员会委员", "office": "committee", "seats": 1 }),
    )
    .expect(201);
    m.assign("e1", &s);
    (server, m, s)
}

fn propose(m: &Meeting, candidates: &[&str]) -> common::http::Response {
    let org = m.organiser.clone();
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": candidates }),
    )
}

#[test]
fn finding_5_lookalike_names_are_refused_naming_the_name_they_collide_with() {
    let (_server, m, _s) = meeting("hostile-names");
    // Zero-width space and a right-to-left override: refused outright.
    let p = propose(&m, &["吴七", "吴\u{200b}七"]).problem(422, "invalid_field");
    assert_eq!(p["field"], "candidates[1]");
    assert!(p["message_en"].as_str().unwrap().contains("U+200B"), "{p}");
    let p = propose(&m, &["吴七", "\u{202e}七吴\u{202c}"]).problem(422, "invalid_field");
    assert_eq!(p["field"], "candidates[1]");
    assert!(p["message_en"].as_str().unwrap().contains("U+202E"), "{p}");
    // NFD and NFC spellings are one name.
    let p = propose(&m, &["José", "Jose\u{301}"]).problem(422, "invalid_field");
    assert!(
        p["message_en"].as_str().unwrap().contains("listed twice"),
        "{p}"
    );
    // Latin and Cyrillic lookalikes: the message names the other one.
    let p = propose(&m, &["Popov", "\u{420}\u{43e}\u{440}\u{43e}v"]).problem(422, "invalid_field");
    assert_eq!(p["field"], "candidates[1]");
    let en = p["message_en"].as_str().unwrap();
    assert!(en.contains("looks the same as candidate Popov"), "{en}");
    // A lookalike of the election's scrutineer "Anna" (Cyrillic А, а).
    let p = propose(&m, &["丁一", "\u{410}nn\u{430}"]).problem(422, "candidate_is_supervisor");
    assert_eq!(p["field"], "candidates[1]");
    let en = p["message_en"].as_str().unwrap();
    assert!(en.contains("looks the same as Anna"), "{en}");
    // People of one role: a lookalike of a registered name is refused.
    let org = m.organiser.clone();
    let p = m
        .post(
            &org,
            "/people",
            json!({ "role": "scrutineer", "name": "\u{410}nna" }),
        )
        .problem(422, "invalid_field");
    assert!(
        p["message_en"].as_str().unwrap().contains("called Anna"),
        "{p}"
    );
    // A name sent decomposed is stored composed.
    let ok = propose(&m, &["Jose\u{301}", "丁一"]).expect(201).json();
    assert_eq!(ok["candidates"][0], "José", "{ok}");
}

#[test]
fn finding_5_round_files_refuse_hidden_and_lookalike_names() {
    let parse = |candidates: Value| {
        let text = common::file(
            "grassroots-2020",
            json!({}),
            json!({ "kind": "formal", "seats": 1, "candidates": candidates,
                    "entitled": 3, "present": 3 }),
            json!([]),
        );
        roundfile::parse(&text, None).map(|f| f.round.candidates)
    };
    let e = parse(json!(["吴七", "吴\u{200b}七"])).unwrap_err();
    assert!(
        e.message.contains("round.candidates[1]") && e.message.contains("U+200B"),
        "{e}"
    );
    let e = parse(json!(["\u{202e}七吴\u{202c}"])).unwrap_err();
    assert!(e.message.contains("U+202E"), "{e}");
    let e = parse(json!(["Popov", "\u{420}\u{43e}\u{440}\u{43e}v"])).unwrap_err();
    assert!(
        e.message.contains("looks the same as candidate \"Popov\""),
        "{e}"
    );
    let e = parse(json!(["José", "Jose\u{301}"])).unwrap_err();
    assert!(e.message.contains("listed twice"), "{e}");
    assert_eq!(
        parse(json!(["Jose\u{301}", "丁一"])).unwrap(),
        ["José", "丁一"]
    );
}

fn round_file_with(field: &str, v: Value) -> String {
    let mut round = json!({ "kind": "formal", "seats": 1, "candidates": ["丁一", "王二"],
                            "entitled": 10, "present": 3 });
    round[field] = v;
    common::file("grassroots-2020", json!({}), round, json!([]))
}

#[test]
fn finding_4_integers_above_i64_max_are_refused_in_round_files() {
    let max = MAX_COUNT;
    // At i64::MAX: accepted.
    let f = roundfile::parse(&round_file_with("entitled", json!(max)), None).expect("i64::MAX");
    assert_eq!(f.round.entitled, max);
    for v in [max + 1, u64::MAX] {
        for field in ["entitled", "seats", "returned"] {
            let e = roundfile::parse(&round_file_with(field, json!(v)), None)
                .expect_err("above i64::MAX");
            assert!(
                e.message.contains(&format!("round.{field}")) && e.message.contains("too large"),
                "{field}={v}: {e}"
            );
        }
        // In the method's overrides too, naming the parameter.
        let text = common::file(
            "grassroots-2020",
            json!({ "quorum": { "num": v } }),
            json!({ "kind": "formal", "seats": 1, "candidates": ["丁一"],
                    "entitled": 3, "present": 3 }),
            json!([]),
        );
        let e = roundfile::parse(&text, None).expect_err("override above i64::MAX");
        assert!(e.message.contains("quorum.num"), "{e}");
    }
}

#[test]
fn finding_4_integers_above_i64_max_are_refused_over_http() {
    let server = Server::start("hostile-ints");
    let c = server.client();
    let create = |n: Value| {
        c.post(
            "/api/meetings",
            &server.setup,
            &json!({ "name": "中共测试支部党员大会", "body": "members_assembly",
                     "voting_members": n, "exclusions": [], "organiser": "组织员" }),
        )
    };
    for v in [MAX_COUNT + 1, u64::MAX] {
        let p = create(json!(v)).problem(422, "number_too_large");
        assert_eq!(p["field"], "voting_members", "{p}");
        let p = c
            .post(
                "/api/meetings",
                &server.setup,
                &json!({ "name": "会", "body": "members_assembly", "voting_members": 10,
                         "exclusions": [{ "reason": "出国", "count": v, "approved_by": "组织部" }],
                         "organiser": "组织员" }),
            )
            .problem(422, "number_too_large");
        assert_eq!(p["field"], "exclusions[0].count", "{p}");
    }
    // At i64::MAX the meeting is created and reads back unchanged.
    let r = create(json!(MAX_COUNT)).expect(201).json();
    assert_eq!(r["meeting"]["voting_members"], json!(MAX_COUNT), "{r}");
    assert_eq!(r["meeting"]["entitled"], json!(MAX_COUNT), "{r}");
}

#[test]
fn finding_4_integers_above_i64_max_are_refused_in_import_files() {
    let (_server, m, s) = meeting("hostile-import-ints");
    let org = m.organiser.clone();
    propose(&m, &["丁一", "王二"]).expect(201);
    m.post(&org, "/rounds/r1/open", json!({ "issued": 10 }))
        .expect(200);
    let path = m.path("/rounds/r1/imports");
    for v in [MAX_COUNT, MAX_COUNT + 1, u64::MAX] {
        let body = format!("\"YN\"\n{{\"marks\":\"YN\",\"write_ins\":{{\"1\":{v}}}}}\n");
        let p =
            m.c.send(
                &Request::new("POST", &path)
                    .token(&s.token)
                    .raw(body.as_bytes(), "application/x-ndjson"),
            )
            .problem(422, "import_rejected");
        assert_eq!(p["field"], "line 2", "{p}");
    }
}

#[test]
fn finding_9_signatures_required_zero_is_refused() {
    let server = Server::start("hostile-sigs");
    let m = Meeting::create(server.client(), &server.setup, 10, json!([]));
    let org = m.organiser.clone();
    let p = m
        .put(
            &org,
            "/method",
            json!({ "preset": "grassroots-2020",
                    "overrides": { "signatures_required": { "num": 0, "den": 3 } } }),
        )
        .problem(422, "bad_method_parameter");
    assert_eq!(p["field"], "overrides.signatures_required", "{p}");
    m.put(
        &org,
        "/method",
        json!({ "preset": "grassroots-2020",
                "overrides": { "signatures_required": { "num": 1, "den": 3 } } }),
    )
    .expect(200);
}

#[test]
fn finding_9_an_import_with_no_ballots_is_refused() {
    let (server, m, s) = meeting("hostile-empty-import");
    let org = m.organiser.clone();
    propose(&m, &["丁一", "王二"]).expect(201);
    m.post(&org, "/rounds/r1/open", json!({ "issued": 10 }))
        .expect(200);
    let path = m.path("/rounds/r1/imports");
    for (body, media) in [("丁一,王二\n", "text/csv"), ("", "application/x-ndjson")] {
        let p =
            m.c.send(
                &Request::new("POST", &path)
                    .token(&s.token)
                    .raw(body.as_bytes(), media),
            )
            .problem(422, "import_empty");
        assert!(
            p["message_en"].as_str().unwrap().contains("no ballots"),
            "{p}"
        );
    }
    let batches = m.get(&s, "/rounds/r1/batches").expect(200).json();
    assert_eq!(batches, json!([]));
    // The offline command refuses it too (exit 2), and imports nothing.
    let dir = server.dir.path();
    std::fs::write(dir.join("empty.csv"), "丁一,王二\n").expect("write");
    {
        use base64::Engine as _;
        std::fs::write(
            dir.join("anna.key"),
            base64::engine::general_purpose::STANDARD.encode([31u8; 32]),
        )
        .expect("write");
    }
    let db = dir.join("meeting.db");
    let (code, out, err) = cli(
        dir,
        &[
            "import",
            "--db",
            db.to_str().expect("utf-8 path"),
            "--meeting",
            &m.id,
            "--round",
            "r1",
            "--as",
            &s.id,
            "--key",
            "anna.key",
            "empty.csv",
        ],
    );
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(err.contains("no ballots"), "{err}");
}

#[test]
fn finding_9_keys_txt_cells_cannot_start_a_formula() {
    let server = Server::start("hostile-keys");
    let m = Meeting::create(server.client(), &server.setup, 10, json!([]));
    let org = m.organiser.clone();
    let k = cosigner("formula", 41);
    m.add("scrutineer", "=HYPERLINK(\"http://x\",\"点此\")", Some(&k));
    m.add("scrutineer", "@SUM(A1)", Some(&cosigner("at", 42)));
    let zip = m.get(&org, "/bundle");
    let zip = if zip.status == 200 {
        zip
    } else {
        let a = m.add("auditor", "审计员", None);
        m.get(&a, "/bundle").expect(200)
    };
    let bundle = common::bundle::read(&zip.body);
    let keys = String::from_utf8(bundle.get(KEYS_FILE).expect("keys.txt").to_vec()).unwrap();
    for line in keys.lines().skip(1) {
        for cell in line.split('\t') {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\r']),
                "a formula cell {cell:?} in {line:?}"
            );
        }
    }
    assert!(keys.contains("\t'=HYPERLINK("), "{keys}");
    assert!(keys.contains("\t'@SUM(A1)"), "{keys}");
    // The quoted copy still matches the log.
    common::bundle::verified(&bundle);
}

/// The docs said ballot entries may be 4 MiB; the limit is 1 MiB for every
/// JSON body (`http::MAX_BODY`), entries included.
#[test]
fn finding_9_a_ballot_entry_body_is_limited_to_1_mib_as_documented() {
    assert_eq!(scrutineer::http::MAX_BODY, 1 << 20);
    let (_server, m, _s) = meeting("hostile-body-limit");
    let org = m.organiser.clone();
    propose(&m, &["丁一", "王二"]).expect(201);
    m.post(&org, "/rounds/r1/open", json!({ "issued": 10 }))
        .expect(200);
    let counter = m.add("counter", "赵计票", None);
    m.assign("e1", &counter);
    // 1 MiB + 1 byte of valid JSON: refused whole.
    let pad = (1 << 20) + 1 - r#"{"ballots":["YN"],"x":""}"#.len();
    let body = format!(r#"{{"ballots":["YN"],"x":"{}"}}"#, "a".repeat(pad));
    assert_eq!(body.len(), (1 << 20) + 1);
    m.c.send(
        &Request::new("POST", &m.path("/rounds/r1/batches/b1/entries"))
            .token(&counter.token)
            .header("Idempotency-Key", "k1")
            .raw(body.as_bytes(), "application/json"),
    )
    .problem(413, "payload_too_large");
}
