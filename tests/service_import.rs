//! Bulk import of ballot-reader files into an open round: over HTTP (a
//! scrutineer posts the file) and offline (`scrutineer import` on the
//! database). A file with one bad row changes nothing and names the line;
//! a good file counts exactly as `scrutineer tally` would, and the bundle
//! still verifies.

use crate::common;

use std::process::Command;

use serde_json::{json, Value};

use common::bundle;
use common::http::Request;
use common::meeting::{cosigner, Meeting};
use common::server::Server;

const NAMES: [&str; 4] = ["丁一", "王二", "刘三", "张四"];

/// A meeting with an open formal round r1 (3 seats, 4 candidates, 10
/// present) and an assigned scrutineer; returns (server, meeting, scrutineer token).
fn open_round(label: &str) -> (Server, Meeting, common::meeting::Person) {
    let server = Server::start(label);
    let m = Meeting::create(server.client(), &server.setup, 10, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 10 }))
        .expect(200);
    let k = cosigner("王五", 21);
    let s = m.add("scrutineer", "王五", Some(&k));
    m.post(
        &org,
        "/elections",
        json!({ "contest": "支部委员会委员", "office": "committee", "seats": 3 }),
    )
    .expect(201);
    m.assign("e1", &s);
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": NAMES }),
    )
    .expect(201);
    m.post(&org, "/rounds/r1/open", json!({ "issued": 10 }))
        .expect(200);
    (server, m, s)
}

fn csv(rows: &[&str]) -> String {
    let mut s = format!("{},void\n", NAMES.join(","));
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

/// Ten ballots: seven plain, a write-in, an illegible mark, a void one.
const ROWS: [&str; 10] = [
    "Y,Y,Y,N,",
    "Y,Y,N,Y,",
    "Y,Y,A,A,",
    "Y,N,Y,A,",
    "Y,Y,Y,A,",
    "Y,Y,N,N,",
    "A,Y,Y,N,",
    "Y,N:李七,A,Y,",
    "Y,?,Y,A,",
    ",,,,选票上有签名",
];

#[test]
fn imports_over_http_all_or_nothing() {
    let (server, m, s) = open_round("import-http");
    let path = m.path("/rounds/r1/imports");
    let post = |body: &str, media: &str| {
        m.c.send(
            &Request::new("POST", &path)
                .token(&s.token)
                .raw(body.as_bytes(), media),
        )
    };

    // One bad row among good ones: 422 naming the line, nothing imported.
    let mut bad = ROWS.to_vec();
    bad[4] = "Y,Y,X,A,";
    let p = post(&csv(&bad), "text/csv").problem(422, "import_rejected");
    assert_eq!(p["field"], "line 6");
    assert!(
        p["message_en"].as_str().unwrap().contains("body:6:3:"),
        "{p}"
    );
    let batches = m.get(&s, "/rounds/r1/batches").expect(200).json();
    assert_eq!(batches, json!([]), "{batches}");
    post("whatever", "application/json").problem(415, "unsupported_media_type");
    // Other roles may not import.
    let org = m.organiser.clone();
    m.c.send(
        &Request::new("POST", &path)
            .token(&org.token)
            .raw(csv(&ROWS).as_bytes(), "text/csv"),
    )
    .problem(403, "forbidden_role");

    // The good file: one reconciled batch; the tally is the engine's.
    let done = post(&csv(&ROWS), "text/csv").expect(201).json();
    assert_eq!(done["ballots"], 10);
    assert_eq!(
        (done["plain"].as_u64(), done["special"].as_u64()),
        (Some(7), Some(3))
    );
    let closed = m
        .post(&s, "/rounds/r1/close", json!({ "returned": 10 }))
        .expect(200)
        .json();
    let result = &closed["result"];
    let file = json!({
        "method": { "preset": "grassroots-2020" },
        "round": { "kind": "formal", "contest": "支部委员会委员", "seats": 3,
                   "candidates": NAMES, "entitled": 10, "present": 10, "issued": 10, "returned": 10 },
    });
    let dir = server.dir.path();
    std::fs::write(dir.join("round.json"), file.to_string()).unwrap();
    std::fs::write(dir.join("ballots.csv"), csv(&ROWS)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .args(["tally", "round.json", "--ballots", "ballots.csv", "--json"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let offline: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["tally"], offline["tally"]);
    assert_eq!(result["elected"], offline["elected"]);
    assert_eq!(result["ballots"], offline["ballots"]);

    let zip = m.get(&s, "/bundle").expect(200);
    let report = bundle::verified(&bundle::read(&zip.body));
    assert!(report.is_verified(), "{:?}", report.first_failure());
}

#[test]
fn imports_offline_with_the_cli() {
    let (server, m, _s) = open_round("import-cli");
    let dir = server.dir.path().to_path_buf();
    let db = dir.join("meeting.db");
    let meeting = m.id.clone();
    // The offline import writes the database directly. A running server
    // caches the meeting's log, so in use it is stopped first; here it is
    // idle and never asked again (dropping it would remove the directory).
    let jsonl: String = ROWS[..7]
        .iter()
        .map(|r| {
            let marks: String = r.split(',').take(4).collect();
            format!("\"{marks}\"\n")
        })
        .collect();
    std::fs::write(dir.join("ballots.jsonl"), &jsonl).unwrap();
    std::fs::write(dir.join("bad.csv"), csv(&["Y,Y,Y,N,", "Y,Y"])).unwrap();
    let run = |file: &str| {
        Command::new(env!("CARGO_BIN_EXE_scrutineer"))
            .args(["import", "--db"])
            .arg(&db)
            .args(["--meeting", &meeting, "--round", "r1", file])
            .current_dir(&dir)
            .output()
            .unwrap()
    };
    let out = run("bad.csv");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv:3:") && err.contains("nothing was imported"),
        "{err}"
    );
    let out = run("ballots.jsonl");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("imported 7 ballots"), "{text}");
    let out = run("missing.csv");
    assert_eq!(out.status.code(), Some(2));

    // Reopened, the service sees the imported batch and its log verifies.
    let conn = scrutineer::store::open(&db).unwrap();
    let b = scrutineer::service::bundle::meeting_bundle(&conn, &meeting).unwrap();
    let report = scrutineer::log::verify::verify(&b);
    assert!(report.is_verified(), "{:?}", report.first_failure());
    assert_eq!(report.ballots, 7);
}
