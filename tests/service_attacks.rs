//! Issue 13, the service's side: each test is named after the finding it
//! reproduces (visibility, malformed requests, cosignature times, start-up
//! integrity, ballot secrecy) and runs against a real SQLite file and real
//! HTTP on port 0. docs/service.md, "What an attacker can and cannot do",
//! lists them.

use crate::common;

use serde_json::{json, Value};

use common::http::{Client, Request};
use common::meeting::{cosigner, Meeting, Person};
use common::server::Server;
use scrutineer::log::cosignature::Cosigner;
use scrutineer::service::demo::cosignature_line;

const NAMES: [&str; 5] = ["丁一", "王二", "刘三", "张四", "陈五"];

/// A meeting with two elections: `s1` (and both counters) supervise e1,
/// `s2` supervises e2 only. Round r1 of e1 is open.
struct Setup {
    m: Meeting,
    c1: Person,
    c2: Person,
    s1: Person,
    k1: Cosigner,
    s2: Person,
    presidium: Person,
    auditor: Person,
}

fn setup(c: Client, setup_token: &str) -> Setup {
    let m = Meeting::create(c, setup_token, 30, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 28 }))
        .expect(200);
    for contest in ["委员", "书记"] {
        m.post(
            &org,
            "/elections",
            json!({ "contest": contest, "seats": 3 }),
        )
        .expect(201);
    }
    let c1 = m.add("counter", "甲计票", None);
    let c2 = m.add("counter", "乙计票", None);
    let k1 = cosigner("丙监票", 21);
    let s1 = m.add("scrutineer", "丙监票", Some(&k1));
    let k2 = cosigner("丁监票", 22);
    let s2 = m.add("scrutineer", "丁监票", Some(&k2));
    let presidium = m.add("presidium", "主席团", None);
    let auditor = m.add("auditor", "审计", None);
    for p in [&c1, &c2, &s1] {
        m.assign("e1", p);
    }
    m.assign("e2", &s2);
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": NAMES }),
    )
    .expect(201);
    m.post(&org, "/rounds/r1/open", json!({ "issued": 28 }))
        .expect(200);
    Setup {
        m,
        c1,
        c2,
        s1,
        k1,
        s2,
        presidium,
        auditor,
    }
}

/// Both counters enter `ballots` as batch `batch` of r1.
fn enter_both(s: &Setup, batch: &str, ballots: &Value) {
    s.m.enter(&s.c1, "r1", batch, &format!("c1-{batch}"), ballots)
        .expect(201);
    s.m.enter(&s.c2, "r1", batch, &format!("c2-{batch}"), ballots)
        .expect(201);
}

fn marks(n: usize, b: &str) -> Value {
    json!(vec![b; n])
}

#[test]
fn finding_8_unassigned_scrutineer_sees_no_result_statement_or_live_tally() {
    let server = Server::start("attack-visibility");
    let s = setup(server.client(), &server.setup);
    let m = &s.m;
    enter_both(&s, "b1", &marks(6, "YYYNN"));

    // Open round: the partial count.
    m.get(&s.s1, "/rounds/r1/result").expect(200);
    m.get(&s.s2, "/rounds/r1/result")
        .problem(403, "not_assigned");
    assert_eq!(
        m.get(&s.s2, "/rounds/r1").expect(200).json()["result"],
        Value::Null
    );
    assert_ne!(
        m.get(&s.s1, "/rounds/r1").expect(200).json()["result"],
        Value::Null
    );

    // Live: s2 gets the round's state, never its tally; s1 gets both.
    let mut own = m.c.events(&m.path("/rounds/r1/events"), &s.s1.token);
    let mut other = m.c.events(&m.path("/rounds/r1/events"), &s.s2.token);
    assert_eq!((own.status, other.status), (200, 200));
    own.next_named("state");
    assert_eq!(
        own.next_named("tally").json()["result"]["ballots"]["valid"],
        6
    );
    let first = other.next_event().unwrap().expect("state");
    assert_eq!(first.event, "state");
    enter_both(&s, "b2", &marks(5, "YYNYN"));
    let next = other.next_event().unwrap().expect("an update");
    assert_eq!(next.event, "state", "an unassigned scrutineer got {next:?}");
    loop {
        let t = own.next_named("tally").json();
        if t["result"]["ballots"]["valid"] == 11 {
            break;
        }
    }

    // Closed round: result and statement.
    m.post(&s.s1, "/rounds/r1/close", json!({ "returned": 11 }))
        .expect(200);
    m.get(&s.s2, "/rounds/r1/result")
        .problem(403, "not_assigned");
    m.get(&s.s2, "/rounds/r1/statement")
        .problem(403, "not_assigned");
    m.get(&s.s1, "/rounds/r1/statement").expect(200);
    m.get(&s.presidium, "/rounds/r1/statement").expect(200);
    m.get(&s.auditor, "/rounds/r1/result").expect(200);
    assert_eq!(
        m.get(&s.s2, "/rounds/r1").expect(200).json()["result"],
        Value::Null
    );
}

#[test]
fn finding_8_live_stream_of_an_unknown_round_is_a_404_and_makes_no_channel() {
    let server = Server::start("attack-channels");
    let s = setup(server.client(), &server.setup);
    let before = server.service.live().channels();
    for i in 0..50 {
        s.m.get(&s.presidium, &format!("/rounds/nope{i}/events"))
            .problem(404, "not_found");
    }
    assert_eq!(server.service.live().channels(), before);
    // A real round gets one channel, dropped once nobody listens.
    let live =
        s.m.c
            .events(&s.m.path("/rounds/r1/events"), &s.presidium.token);
    assert_eq!(live.status, 200);
    assert_eq!(server.service.live().viewers(&s.m.id, "r1"), 1);
    drop(live);
}

#[test]
fn finding_9_cosignature_timestamps_outside_the_window_are_refused() {
    let server = Server::start("attack-cosign-time");
    let s = setup(server.client(), &server.setup);
    let m = &s.m;
    enter_both(&s, "b1", &marks(6, "YYYNN"));
    m.post(&s.s1, "/rounds/r1/close", json!({ "returned": 6 }))
        .expect(200);
    let st = m.get(&s.s1, "/rounds/r1/statement").expect(200).json();
    let note = st["checkpoint"].as_str().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for ts in [0, 1, now - 24 * 3600, now + 3600] {
        let line = cosignature_line(note, &s.k1, ts).unwrap();
        let p = m
            .post(
                &s.s1,
                "/rounds/r1/cosignatures",
                json!({ "signature": line }),
            )
            .problem(422, "bad_cosignature");
        assert_eq!(p["field"], "signature");
        assert_eq!(p["timestamp"], ts, "{p}");
    }
    m.cosign(&s.s1, &s.k1, "r1").expect(201);
}

#[test]
fn finding_9_every_api_response_says_no_store() {
    let server = Server::start("attack-no-store");
    let s = setup(server.client(), &server.setup);
    let m = &s.m;
    let responses = [
        m.c.get("/api/health", ""),
        m.c.get("/api/openapi.json", ""),
        m.get(&s.s1, ""),
        m.get(&s.s1, "/rounds/r1/result"),
        m.get(&s.s2, "/rounds/r1/result"),
        m.get(&s.s1, "/rounds/r404"),
        m.c.get("/api/nothing", ""),
        m.c.get(&m.path(""), "bad-token"),
        m.enter(&s.c1, "r1", "b1", "k1", &marks(1, "YYYNN")),
        m.get(&s.auditor, "/bundle"),
    ];
    for r in responses {
        assert_eq!(r.header("cache-control"), Some("no-store"), "{r:?}");
    }
    let live = m.c.events(&m.path("/rounds/r1/events"), &s.s1.token);
    let cc = live
        .headers
        .iter()
        .find(|(k, _)| k == "cache-control")
        .map(|(_, v)| v.as_str());
    assert_eq!(cc, Some("no-store"));
}

#[test]
fn finding_9_malformed_headers_get_problem_documents() {
    let server = Server::start("attack-headers");
    let c = server.client();
    let m = Meeting::create(c, &server.setup, 30, json!([]));
    let path = m.path("");
    // Non-UTF-8 bytes (obs-text) in Authorization, Content-Type and
    // Idempotency-Key, sent raw.
    let raw = |head: &[u8]| raw(server.addr, head);
    let mut req =
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ")
            .into_bytes();
    req.extend_from_slice(b"\xff\xfe\r\n\r\n");
    raw(&req).problem(401, "token_invalid");
    let mut req = format!(
        "PUT {} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {}\r\nContent-Length: 2\r\nContent-Type: application/@json\r\n\r\n{{}}",
        m.path("/attendance"),
        m.organiser.token
    )
    .into_bytes();
    let at = req.iter().position(|b| *b == b'@').unwrap();
    req[at] = 0xc3;
    raw(&req).problem(415, "unsupported_media_type");
    // A NUL byte (or any byte httparse refuses) never reaches the
    // application: see the next test.
    let r = c.send(&Request::new("GET", &path).header("Authorization", "Basic abc"));
    r.problem(401, "token_invalid");
}

/// Sends `head` on a fresh connection and reads until the server closes it
/// (a read timeout fails the test: the connection must close).
fn raw_bytes(addr: std::net::SocketAddr, head: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(common::http::READ_TIMEOUT))
        .unwrap();
    s.write_all(head).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out)
        .expect("the server closes the connection");
    String::from_utf8_lossy(&out).into_owned()
}

/// The one response to `head`, sent raw.
fn raw(addr: std::net::SocketAddr, head: &[u8]) -> common::http::Response {
    parse_response(&raw_bytes(addr, head))
}

fn parse_response(text: &str) -> common::http::Response {
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    common::http::Response {
        status,
        headers,
        body: body.as_bytes().to_vec(),
    }
}

/// A refusal of the accept loop: the problem, `Connection: close` and
/// `no-store` (the connection closing is checked by [`raw_bytes`]).
fn closing_problem(r: &common::http::Response, status: u16, code: &str) {
    r.problem(status, code);
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(
        r.header("content-length"),
        Some(r.body.len().to_string().as_str())
    );
}

#[test]
fn finding_9_a_nul_byte_in_a_header_gets_a_problem_document() {
    let server = Server::start("attack-nul-header");
    let c = server.client();
    let m = Meeting::create(c, &server.setup, 30, json!([]));
    let path = m.path("");
    // hyper refuses these heads before any routing; its own answer was a
    // bare 400 (431) with no body.
    let nul = format!("GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\0b\r\n\r\n");
    let r = raw(server.addr, nul.as_bytes());
    closing_problem(&r, 400, "malformed_request");
    assert!(r.json()["message_en"]
        .as_str()
        .unwrap()
        .contains("malformed"));
    let bad_name = format!("GET {path} HTTP/1.1\r\nHost: x\r\nBad(Name): x\r\n\r\n");
    closing_problem(
        &raw(server.addr, bad_name.as_bytes()),
        400,
        "malformed_request",
    );
    let bad_method = format!("G(T {path} HTTP/1.1\r\nHost: x\r\n\r\n");
    closing_problem(
        &raw(server.addr, bad_method.as_bytes()),
        400,
        "malformed_request",
    );
    // A header line over the 64 KiB head buffer.
    let long = format!(
        "GET {path} HTTP/1.1\r\nHost: x\r\nX-Long: {}\r\n\r\n",
        "a".repeat(70 * 1024)
    );
    closing_problem(
        &raw(server.addr, long.as_bytes()),
        431,
        "request_head_too_large",
    );
    // After a kept-alive request: its response arrives whole, then the
    // problem document for the next head.
    let both = format!(
        "GET {path} HTTP/1.1\r\nHost: x\r\n\r\nGET {path} HTTP/1.1\r\nHost: x\r\nX: \0\r\n\r\n"
    );
    let text = raw_bytes(server.addr, both.as_bytes());
    let second = text.rfind("HTTP/1.1 400 ").expect("a second response");
    parse_response(&text[..second]).problem(401, "token_missing");
    closing_problem(&parse_response(&text[second..]), 400, "malformed_request");
    // The service still answers.
    c.send(&Request::new("GET", &path).header("Authorization", "Basic abc"))
        .problem(401, "token_invalid");
}

/// Every occurrence of `needle` in `hay`.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// The database file and its WAL, as bytes on disk.
fn db_bytes(server: &Server) -> Vec<(String, Vec<u8>)> {
    ["meeting.db", "meeting.db-wal"]
        .iter()
        .filter_map(|f| {
            std::fs::read(server.dir.path().join(f))
                .ok()
                .map(|b| (f.to_string(), b))
        })
        .collect()
}

#[test]
fn finding_7_reconciled_batches_leave_no_salt_reading_or_position_in_db_wal_or_bundle() {
    let server = Server::start("attack-secrecy");
    let s = setup(server.client(), &server.setup);
    let m = &s.m;
    // Readings in paper order; each marks string is distinct, so finding
    // one (quoted, as JSON keeps it) finds a reading.
    let b1 = ["YNAYN", "NYAYY", "AYNNY", "YYNAN", "NAYYN", "YANYA"];
    let b2_first = ["NNYYA", "YNNAY", "ANYYN", "NYYAN", "YAYNN"];
    let mut b2_second: Vec<Value> = b2_first.iter().map(|b| json!(b)).collect();
    b2_second[1] = json!("YNNAA");
    b2_second[3] = json!({ "void": "选票上有签名" });
    let mut salts = Vec::new();
    for (who, key, batch, ballots) in [
        (&s.c1, "c1-b1", "b1", json!(b1)),
        (&s.c2, "c2-b1", "b1", json!(b1)),
        (&s.c1, "c1-b2", "b2", json!(b2_first)),
        (&s.c2, "c2-b2", "b2", json!(b2_second)),
    ] {
        let r = m.enter(who, "r1", batch, key, &ballots).expect(201).json();
        salts.push(r["salt"].as_str().expect("salt").to_string());
    }
    let seen = m.get(&s.s1, "/rounds/r1/batches/b2").expect(200).json();
    assert_eq!(seen["differences"][1]["position"], 3, "{seen}");
    m.post(
        &s.s1,
        "/rounds/r1/batches/b2/resolutions",
        json!({ "position": 1, "resolution": "second" }),
    )
    .expect(200);
    let done = m
        .post(
            &s.s1,
            "/rounds/r1/batches/b2/resolutions",
            json!({ "position": 3, "resolution": "void", "reason": "选票上有签名，认定为废票" }),
        )
        .expect(200)
        .json();
    assert_eq!(done["state"], "reconciled");
    // The scrutineers keep how each difference was resolved, not where.
    assert_eq!(done["differences"], json!([]), "{done}");
    let kept = done["resolutions"].as_array().expect("resolutions");
    assert_eq!(kept.len(), 2, "{done}");
    assert!(kept.iter().all(|r| r.get("position").is_none()), "{done}");
    // A retry after reconciliation replays the reply without its salt.
    let retry = m
        .enter(&s.c2, "r1", "b2", "c2-b2", &json!(b2_second))
        .expect(201);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert!(retry.json().get("salt").is_none(), "{}", retry.text());

    let zip = m.get(&s.auditor, "/bundle").expect(200).body;
    let mut files = db_bytes(&server);
    files.push(("bundle.zip".into(), zip.clone()));
    let readings: Vec<String> = b1
        .iter()
        .chain(&b2_first)
        .chain(["YNNAA"].iter())
        .map(|b| format!("\"{b}\""))
        .collect();
    for (name, bytes) in &files {
        for salt in &salts {
            assert!(!contains(bytes, salt.as_bytes()), "{name} holds a salt");
        }
        for r in &readings {
            assert!(
                !contains(bytes, r.as_bytes()),
                "{name} holds the reading {r}"
            );
        }
        assert!(!contains(bytes, b"\"position\""), "{name} holds a position");
    }
    // The WAL was truncated after the erasure.
    if let Some((_, wal)) = files.iter().find(|(n, _)| n == "meeting.db-wal") {
        assert_eq!(wal.len(), 0, "the WAL still holds {} bytes", wal.len());
    }
    // The bundle still verifies and recounts.
    common::bundle::verified(&common::bundle::read(&zip));
}

#[test]
fn finding_7_live_tallies_never_move_by_one_ballot() {
    let server = Server::start("attack-live");
    let s = setup(server.client(), &server.setup);
    let m = &s.m;
    let mut live = m.c.events(&m.path("/rounds/r1/events"), &s.presidium.token);
    let marks = ["YYYNN", "NYYYN", "NNYYY", "YNNYY", "YYNNY", "YNYNY"];
    let mut polled = vec![];
    let mut salts = vec![];
    for i in 0..12 {
        let b = format!("b{i:02}");
        let one = json!([marks[i % marks.len()]]);
        for (who, k) in [(&s.c1, "c1"), (&s.c2, "c2")] {
            let r = m
                .enter(who, "r1", &b, &format!("{k}-{b}"), &one)
                .expect(201);
            salts.push(r.json()["salt"].as_str().unwrap().to_string());
        }
        let r = m.get(&s.s1, "/rounds/r1/result").expect(200).json();
        polled.push(r["result"]["ballots"]["valid"].as_u64().expect("valid"));
    }
    // Polling the partial result: steps of at least five.
    assert_eq!(polled, [0, 0, 0, 0, 5, 5, 5, 5, 5, 10, 10, 10]);
    // The stream: every tally sent is a step count; read until the state
    // shows all twelve reconciled.
    let mut shown = std::collections::BTreeSet::new();
    loop {
        let e = live.next_event().unwrap().expect("event");
        assert!(
            salts.iter().all(|s| !e.data.contains(s.as_str())),
            "a salt on the stream"
        );
        for mk in marks {
            assert!(
                !e.data.contains(&format!("\"{mk}\"")),
                "a reading on the stream"
            );
        }
        let v = e.json();
        if e.event == "tally" {
            shown.insert(v["result"]["ballots"]["valid"].as_u64().unwrap());
        } else if v["batches"]["reconciled"] == 12 {
            break;
        }
    }
    assert!(shown.iter().all(|n| n % 5 == 0), "tallies shown: {shown:?}");
    // Closing counts everything.
    m.post(&s.s1, "/rounds/r1/close", json!({ "returned": 12 }))
        .expect(200);
    let r = m.get(&s.s1, "/rounds/r1/result").expect(200).json();
    assert_eq!(r["result"]["ballots"]["valid"], 12);
}

/// Runs `scrutineer serve` on `db` and expects it to refuse to start:
/// returns its stderr (panics, after killing it, if it starts listening).
fn serve_refuses(db: &std::path::Path) -> String {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .arg("serve")
        .arg("--db")
        .arg(db)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn scrutineer serve");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    for line in stdout.lines() {
        if line.unwrap().starts_with("listening on") {
            let _ = child.kill();
            let _ = child.wait();
            panic!("scrutineer serve started on a database it should refuse");
        }
    }
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "exit {status}: {err}");
    err
}

/// A meeting with a closed round r1 (batch b1 of 6 ballots), written by
/// the real binary, which is then killed.
fn closed_meeting(db: &std::path::Path) -> String {
    let server = common::server::Binary::start(db, &[]);
    let s = setup(server.client(), &server.setup);
    enter_both(&s, "b1", &marks(6, "YYYNN"));
    s.m.post(&s.s1, "/rounds/r1/close", json!({ "returned": 6 }))
        .expect(200);
    s.m.id.clone()
}

fn sql(db: &std::path::Path, statements: &str) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(statements).unwrap();
}

#[test]
fn finding_6_a_deleted_log_tail_is_refused_at_start_naming_the_sizes() {
    let dir = common::server::TempDir::new("attack-tail");
    let db = dir.path().join("meeting.db");
    let meeting = closed_meeting(&db);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let size: i64 = conn
        .query_row("SELECT COUNT(*) FROM log_entry", [], |r| r.get(0))
        .unwrap();
    drop(conn);
    // Delete the last two entries and their checkpoints, so what is left
    // is a consistent, signed, shorter log.
    sql(
        &db,
        &format!(
            "DROP TRIGGER log_entry_no_delete; DROP TRIGGER log_checkpoint_no_delete;
             DELETE FROM log_entry WHERE seq >= {cut};
             DELETE FROM log_checkpoint WHERE size > {cut};",
            cut = size - 2
        ),
    );
    let err = serve_refuses(&db);
    assert!(
        err.contains(&format!("meeting {meeting} has {} entries", size - 2))
            && err.contains(&format!("has size {size}")),
        "{err}"
    );
}

#[test]
fn finding_6_an_edited_state_table_is_refused_at_start_naming_the_table_and_round() {
    let dir = common::server::TempDir::new("attack-state");
    let db = dir.path().join("meeting.db");
    closed_meeting(&db);
    for (edit, undo, names) in [
        (
            "UPDATE ballot_round SET returned = 7 WHERE id = 'r1'",
            "UPDATE ballot_round SET returned = 6 WHERE id = 'r1'",
            ["ballot_round", "round r1", "returned"],
        ),
        (
            "UPDATE ballot_round SET result = replace(result, '\"valid\":6', '\"valid\":7') WHERE id = 'r1'",
            "UPDATE ballot_round SET result = replace(result, '\"valid\":7', '\"valid\":6') WHERE id = 'r1'",
            ["ballot_round", "round r1", "result"],
        ),
        (
            "UPDATE batch SET ballots = 5 WHERE id = 'b1'",
            "UPDATE batch SET ballots = 6 WHERE id = 'b1'",
            ["batch", "round r1 batch b1", "ballots"],
        ),
        (
            "UPDATE ballot_round SET state = 'open' WHERE id = 'r1'",
            "UPDATE ballot_round SET state = 'closed' WHERE id = 'r1'",
            ["ballot_round", "round r1", "state is open"],
        ),
    ] {
        sql(&db, edit);
        let err = serve_refuses(&db);
        for n in names {
            assert!(err.contains(n), "{edit}: {n} not named in {err}");
        }
        sql(&db, undo);
    }
    // Undone, it starts again.
    let server = common::server::Binary::start(&db, &[]);
    server.client().get("/api/health", "").expect(200);
}

#[test]
fn finding_6_an_empty_or_missing_database_beside_a_sidecar_is_refused() {
    let dir = common::server::TempDir::new("attack-empty");
    let db = dir.path().join("meeting.db");
    closed_meeting(&db);
    assert!(dir.path().join("meeting.db.checkpoints").exists());
    for f in ["meeting.db-wal", "meeting.db-shm"] {
        let _ = std::fs::remove_file(dir.path().join(f));
    }
    std::fs::write(&db, b"").unwrap();
    let err = serve_refuses(&db);
    assert!(
        err.contains("is empty") && err.contains("not a fresh install"),
        "{err}"
    );
    std::fs::remove_file(&db).unwrap();
    let err = serve_refuses(&db);
    assert!(err.contains("does not exist"), "{err}");
    // Without a sidecar, an empty file is a fresh install.
    let fresh = dir.path().join("fresh.db");
    std::fs::write(&fresh, b"").unwrap();
    let server = common::server::Binary::start(&fresh, &[]);
    server.client().get("/api/health", "").expect(200);
}

#[test]
fn finding_9_an_import_with_no_ballots_is_refused() {
    let server = Server::start("attack-empty-import");
    let s = setup(server.client(), &server.setup);
    let m = &s.m;
    let header = format!("{},void\n", NAMES.join(","));
    // (An empty body is refused already: it lacks the header row.)
    let p =
        m.c.send(
            &Request::new("POST", &m.path("/rounds/r1/imports"))
                .token(&s.s1.token)
                .raw(header.as_bytes(), "text/csv"),
        )
        .problem(422, "import_empty");
    assert_eq!(p["field"], "body");
    let round = m.get(&s.s1, "/rounds/r1").expect(200).json();
    assert_eq!(round["batches"]["reconciled"], 0);
}

/// Issue 9 item 6, what people see is what was signed: the result table
/// of a running service is edited in its SQLite file (a claimed winner, a
/// changed fact); every read that would show the result — the result, the
/// round, the statement, a decision on it — refuses with 409
/// `result_mismatch` naming the round and never prints the edited result;
/// undone, the signed result is shown again.
#[test]
fn an_edited_result_table_is_refused_on_every_read_and_never_shown() {
    let server = Server::start("attack-shown");
    let s = setup(server.client(), &server.setup);
    let m = &s.m;
    enter_both(&s, "b1", &marks(6, "YYYNN"));
    m.post(&s.s1, "/rounds/r1/close", json!({ "returned": 6 }))
        .expect(200);
    let signed = m.get(&s.presidium, "/rounds/r1/result").expect(200).json();
    assert_eq!(signed["result"]["status"], "shortfall", "{signed}");
    assert_eq!(signed["result"]["elected"], json!([]));
    let db = server.dir.path().join("meeting.db");
    let reads = ["/rounds/r1/result", "/rounds/r1", "/rounds/r1/statement"];
    for (edit, undo) in [
        (
            r#"UPDATE ballot_round SET result = replace(result, '"elected":[]', '"elected":["张四"]') WHERE id = 'r1'"#,
            r#"UPDATE ballot_round SET result = replace(result, '"elected":["张四"]', '"elected":[]') WHERE id = 'r1'"#,
        ),
        (
            "UPDATE ballot_round SET issued = 27 WHERE id = 'r1'",
            "UPDATE ballot_round SET issued = 28 WHERE id = 'r1'",
        ),
    ] {
        sql(&db, edit);
        for who in [&s.presidium, &s.auditor, &s.s1] {
            for read in reads {
                let r = m.get(who, read);
                let p = r.problem(409, "result_mismatch");
                assert!(
                    p["message_zh"].as_str().unwrap().contains("本轮计票结果")
                        && p["message_en"].as_str().unwrap().contains("round r1"),
                    "{edit}: {read}: {p}"
                );
                assert!(
                    !r.text().contains("张四"),
                    "{edit}: {read} shows {}",
                    r.text()
                );
            }
        }
        m.post(
            &s.presidium,
            "/rounds/r1/decisions",
            json!({ "decision": "announce" }),
        )
        .problem(409, "result_mismatch");
        sql(&db, undo);
        assert_eq!(
            m.get(&s.presidium, "/rounds/r1/result").expect(200).json(),
            signed,
            "{undo}"
        );
    }
}
