//! Bulk import of ballot-reader files into an open round: over HTTP (a
//! scrutineer posts the file) and offline (`scrutineer import` on the
//! database, signed with the scrutineer's key file). An imported file is
//! ONE reading: it counts only once a second, independent reading —
//! another scrutineer's import of the same paper, or counters' double
//! entry of its batches — is reconciled with it, never beyond the ballots
//! issued. A file with one bad row changes nothing and names the line; a
//! reconciled file counts exactly as `scrutineer tally` would, and the
//! bundle verifies.

use crate::common;

use std::process::Command;

use serde_json::{json, Value};

use common::bundle;
use common::http::{Request, Response};
use common::meeting::{cosigner, Meeting, Person};
use common::server::Server;

const NAMES: [&str; 4] = ["丁一", "王二", "刘三", "张四"];

/// A meeting with an open formal round r1 (3 seats, 4 candidates, 10
/// present, `issued` ballots issued), two assigned scrutineers (keys
/// seeded 21 and 22) and a counter; returns (server, meeting, scrutineers,
/// counter).
fn open_round(label: &str, issued: u64) -> (Server, Meeting, [Person; 2], Person) {
    let server = Server::start(label);
    let m = Meeting::create(server.client(), &server.setup, 10, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 10 }))
        .expect(200);
    let s1 = m.add("scrutineer", "王五", Some(&cosigner("王五", 21)));
    let s2 = m.add("scrutineer", "赵六", Some(&cosigner("赵六", 22)));
    let counter = m.add("counter", "钱七", None);
    m.post(
        &org,
        "/elections",
        json!({ "contest": "支部委员会委员", "office": "committee", "seats": 3 }),
    )
    .expect(201);
    for p in [&s1, &s2, &counter] {
        m.assign("e1", p);
    }
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": NAMES }),
    )
    .expect(201);
    m.post(&org, "/rounds/r1/open", json!({ "issued": issued }))
        .expect(200);
    (server, m, [s1, s2], counter)
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

/// Posts a ballot file as `who` (signed by their device key); `second_of`
/// names the import it reads again.
fn import(m: &Meeting, who: &Person, body: &str, second_of: Option<&str>) -> Response {
    let path = match second_of {
        Some(p) => m.path(&format!("/rounds/r1/imports?second_of={p}")),
        None => m.path("/rounds/r1/imports"),
    };
    m.c.send(
        &Request::new("POST", &path)
            .token(&who.token)
            .raw(body.as_bytes(), "text/csv"),
    )
}

fn batches_counted(m: &Meeting, who: &Person) -> Value {
    m.get(who, "/rounds/r1").expect(200).json()["batches"].clone()
}

/// The result `scrutineer tally` gives for the ten ballots of [`ROWS`].
fn offline_tally(server: &Server) -> Value {
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
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn imports_over_http_all_or_nothing() {
    let (_server, m, [s, _], _) = open_round("import-http", 10);
    let path = m.path("/rounds/r1/imports");

    // One bad row among good ones: 422 naming the line, nothing imported.
    let mut bad = ROWS.to_vec();
    bad[4] = "Y,Y,X,A,";
    let p = import(&m, &s, &csv(&bad), None).problem(422, "import_rejected");
    assert_eq!(p["field"], "line 6");
    assert!(
        p["message_en"].as_str().unwrap().contains("body:6:3:"),
        "{p}"
    );
    let batches = m.get(&s, "/rounds/r1/batches").expect(200).json();
    assert_eq!(batches, json!([]), "{batches}");
    m.c.send(
        &Request::new("POST", &path)
            .token(&s.token)
            .raw(b"whatever", "application/json"),
    )
    .problem(415, "unsupported_media_type");
    // Other roles may not import.
    let org = m.organiser.clone();
    m.c.send(
        &Request::new("POST", &path)
            .token(&org.token)
            .raw(csv(&ROWS).as_bytes(), "text/csv"),
    )
    .problem(403, "forbidden_role");
    // Unsigned, the import is refused and lists the entries to sign: one
    // `entry_committed` per batch, in the scrutineer's name.
    let p =
        m.c.send_raw(
            &Request::new("POST", &path)
                .token(&s.token)
                .raw(csv(&ROWS).as_bytes(), "text/csv"),
        )
        .problem(428, "signature_required");
    let entries = p["sign"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{p}");
    assert_eq!(entries[0]["kind"], "reconciliation", "{p}");
}

/// Done when (issue 9): a single scrutineer's import does not count. The
/// round holds the file as one reading awaiting its second: nothing is
/// counted, the round cannot close on it, and the bundle's verifier
/// agrees that no ballot counts — its log holds the importer's signed
/// commitment and no `ballot_batch`.
#[test]
fn one_scrutineers_import_does_not_count() {
    let (_server, m, [s, _], _) = open_round("import-one", 10);
    let done = import(&m, &s, &csv(&ROWS), None).expect(201).json();
    assert_eq!(
        (
            &done["reading"],
            &done["ballots"],
            &done["batch_prefix"],
            &done["awaiting_second"]
        ),
        (&json!("first"), &json!(10), &json!("imp1"), &json!(1)),
        "{done}"
    );
    let b = batches_counted(&m, &s);
    assert_eq!(
        (
            &b["ballots_counted"],
            &b["reconciled"],
            &b["awaiting_second"]
        ),
        (&json!(0), &json!(0), &json!(1)),
        "{b}"
    );
    let batch = m
        .get(&s, "/rounds/r1/batches/imp1-00001")
        .expect(200)
        .json();
    assert_eq!(batch["state"], "awaiting_second", "{batch}");
    assert_eq!(batch["entries"][0]["counter"], "王五", "{batch}");
    let p = m
        .post(&s, "/rounds/r1/close", json!({ "returned": 10 }))
        .problem(409, "batches_pending");
    assert!(p.to_string().contains("imp1-00001"), "{p}");

    let zip = m.get(&s, "/bundle").expect(200);
    let b = bundle::read(&zip.body);
    let report = bundle::verified(&b);
    assert_eq!(report.ballots, 0, "one reading counts no ballot");
    let events = bundle::events(&b);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, scrutineer::log::event::Event::BallotBatch { .. })),
        "no ballot_batch for one reading"
    );
    let committed: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            scrutineer::log::event::Event::EntryCommitted {
                counter, ballots, ..
            } => Some((counter.clone(), *ballots)),
            _ => None,
        })
        .collect();
    assert_eq!(committed, vec![("王五".to_string(), 10)]);
}

/// A second scrutineer's import of the same file reconciles it: the
/// batches count, the tally is the engine's, the bundle verifies with two
/// signed readings before each `ballot_batch`.
#[test]
fn a_second_scrutineers_import_reconciles_and_counts() {
    let (server, m, [s1, s2], _) = open_round("import-two", 10);
    import(&m, &s1, &csv(&ROWS), None).expect(201);
    let done = import(&m, &s2, &csv(&ROWS), Some("imp1"))
        .expect(201)
        .json();
    assert_eq!(
        (&done["reading"], &done["reconciled"], &done["differences"]),
        (&json!("second"), &json!(1), &json!(0)),
        "{done}"
    );
    let b = batches_counted(&m, &s1);
    assert_eq!(b["ballots_counted"], 10, "{b}");
    // Read twice, it cannot be read a third time.
    import(&m, &s2, &csv(&ROWS), Some("imp1")).problem(409, "same_reader");
    let closed = m
        .post(&s1, "/rounds/r1/close", json!({ "returned": 10 }))
        .expect(200)
        .json();
    let result = &closed["result"];
    let offline = offline_tally(&server);
    assert_eq!(result["tally"], offline["tally"]);
    assert_eq!(result["elected"], offline["elected"]);
    assert_eq!(result["ballots"], offline["ballots"]);

    let zip = m.get(&s1, "/bundle").expect(200);
    let report = bundle::verified(&bundle::read(&zip.body));
    assert_eq!(report.ballots, 10);
}

/// A second reading that differs from the first leaves differences the
/// scrutineers resolve, as for any batch; the last resolution counts it.
#[test]
fn a_differing_second_reading_leaves_differences_to_resolve() {
    let (_server, m, [s1, s2], _) = open_round("import-differs", 10);
    import(&m, &s1, &csv(&ROWS), None).expect(201);
    let mut other = ROWS.to_vec();
    other[2] = "Y,Y,Y,A,"; // the reader saw a mark on line 2 of paper 3
    let done = import(&m, &s2, &csv(&other), Some("imp1"))
        .expect(201)
        .json();
    assert_eq!(done["differences"], 1, "{done}");
    let batch = m
        .get(&s1, "/rounds/r1/batches/imp1-00001")
        .expect(200)
        .json();
    assert_eq!(batch["state"], "differences", "{batch}");
    let d = &batch["differences"][0];
    assert_eq!(d["position"], 2, "{batch}");
    assert_eq!(d["lines"][0]["candidate"], "刘三", "{batch}");
    assert_eq!(batches_counted(&m, &s1)["ballots_counted"], 0);
    // The paper says A: the first reading was right.
    let r = m
        .post(
            &s1,
            "/rounds/r1/batches/imp1-00001/resolutions",
            json!({ "position": 2, "resolution": "first" }),
        )
        .expect(200)
        .json();
    assert_eq!(r["state"], "reconciled", "{r}");
    assert_eq!(batches_counted(&m, &s1)["ballots_counted"], 10);
    m.post(&s1, "/rounds/r1/close", json!({ "returned": 10 }))
        .expect(200);
    let zip = m.get(&s1, "/bundle").expect(200);
    assert_eq!(bundle::verified(&bundle::read(&zip.body)).ballots, 10);

    // A second reading of a different number of ballots is not the same
    // paper: refused with both numbers.
    let (_server, m, [s1, s2], _) = open_round("import-count-differs", 10);
    import(&m, &s1, &csv(&ROWS), None).expect(201);
    let p = import(&m, &s2, &csv(&ROWS[..9]), Some("imp1")).problem(422, "reading_count_differs");
    assert_eq!(
        (&p["ballots"], &p["first_reading"]),
        (&json!(9), &json!(10)),
        "{p}"
    );
}

/// The same scrutineer may not give both readings, and a second reading
/// names an import that exists.
#[test]
fn the_same_scrutineer_cannot_read_twice() {
    let (_server, m, [s1, _], _) = open_round("import-same", 10);
    import(&m, &s1, &csv(&ROWS), None).expect(201);
    let p = import(&m, &s1, &csv(&ROWS), Some("imp1")).problem(409, "same_reader");
    assert_eq!(p["field"], "second_of", "{p}");
    assert!(
        p["message_en"]
            .as_str()
            .unwrap()
            .contains("another person's"),
        "{p}"
    );
    import(&m, &s1, &csv(&ROWS), Some("imp7")).problem(404, "not_found");
    // Nothing counted, the first reading still waits.
    let b = batches_counted(&m, &s1);
    assert_eq!(
        (&b["ballots_counted"], &b["awaiting_second"]),
        (&json!(0), &json!(1))
    );
}

/// Counters' double entry of an imported batch is its second reading too.
#[test]
fn a_counters_entry_is_the_second_reading_of_an_imported_batch() {
    let (_server, m, [s1, _], counter) = open_round("import-counter", 10);
    import(&m, &s1, &csv(&ROWS), None).expect(201);
    let ballots = json!([
        "YYYN", "YYNY", "YYAA", "YNYA", "YYYA", "YYNN", "AYYN",
        { "marks": "YNAY", "write_ins": { "1": "李七" } },
        "Y?YA",
        { "void": "选票上有签名" }
    ]);
    let r = m
        .enter(&counter, "r1", "imp1-00001", "k1", &ballots)
        .expect(201)
        .json();
    assert_eq!(
        (&r["entry"], &r["batch_state"]),
        (&json!("second"), &json!("reconciled")),
        "{r}"
    );
    assert_eq!(batches_counted(&m, &s1)["ballots_counted"], 10);
    m.post(&s1, "/rounds/r1/close", json!({ "returned": 10 }))
        .expect(200);
    let zip = m.get(&s1, "/bundle").expect(200);
    assert_eq!(bundle::verified(&bundle::read(&zip.body)).ballots, 10);
}

/// Never beyond the ballots issued: a file of 1,000,000 ballots into a
/// round with 100 issued is refused with the numbers, and so is an entry
/// that would pass them; the refusal changes nothing.
#[test]
fn an_import_beyond_the_ballots_issued_is_refused() {
    let (_server, m, [s1, _], counter) = open_round("import-over", 100);
    let mut body = format!("{},void\n", NAMES.join(","));
    body.reserve(9_000_000);
    for _ in 0..1_000_000 {
        body.push_str("Y,Y,A,N,\n");
    }
    let p = import(&m, &s1, &body, None).problem(422, "ballots_over_issued");
    assert_eq!(
        (&p["issued"], &p["read"], &p["adding"]),
        (&json!(100), &json!(0), &json!(1_000_000)),
        "{p}"
    );
    let text = p["message_en"].as_str().unwrap();
    assert!(
        text.contains("100 ballots were issued") && text.contains("1000000"),
        "{p}"
    );
    assert!(
        p["message_zh"]
            .as_str()
            .unwrap()
            .contains("发出选票 100 张"),
        "{p}"
    );
    assert_eq!(
        m.get(&s1, "/rounds/r1/batches").expect(200).json(),
        json!([])
    );

    // 95 read, then a batch of 10 would make 105.
    let rows: Vec<&str> = std::iter::repeat_n("Y,Y,A,N,", 95).collect();
    import(&m, &s1, &csv(&rows), None).expect(201);
    let p = m
        .enter(&counter, "r1", "b1", "k1", &json!(vec!["YYAN"; 10]))
        .problem(422, "ballots_over_issued");
    assert_eq!(
        (&p["read"], &p["adding"], &p["total"]),
        (&json!(95), &json!(10), &json!(105)),
        "{p}"
    );
    m.enter(&counter, "r1", "b1", "k2", &json!(vec!["YYAN"; 5]))
        .expect(201);
}

#[test]
fn imports_offline_with_the_cli() {
    let (server, m, [s1, s2], _) = open_round("import-cli", 10);
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
    use base64::Engine as _;
    for (name, seed) in [("k1.key", 21u8), ("k2.key", 22)] {
        let text = base64::engine::general_purpose::STANDARD.encode([seed; 32]);
        std::fs::write(dir.join(name), format!("{text}\n")).unwrap();
    }
    let run = |who: &Person, key: &str, second_of: Option<&str>, file: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_scrutineer"));
        c.args(["import", "--db"]).arg(&db).args([
            "--meeting",
            &meeting,
            "--round",
            "r1",
            "--as",
            &who.id,
            "--key",
            key,
        ]);
        if let Some(p) = second_of {
            c.args(["--second-of", p]);
        }
        c.arg(file).current_dir(&dir).output().unwrap()
    };
    let out = run(&s1, "k1.key", None, "bad.csv");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv:3:") && err.contains("nothing was imported"),
        "{err}"
    );
    // Someone else's key file is refused.
    let out = run(&s1, "k2.key", None, "ballots.jsonl");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not the signing key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&s1, "k1.key", None, "ballots.jsonl");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("imported 7 ballots") && text.contains("first reading"),
        "{text}"
    );
    let out = run(&s1, "k1.key", None, "missing.csv");
    assert_eq!(out.status.code(), Some(2));

    // One reading: the log verifies and counts nothing.
    let report = |db: &std::path::Path| {
        let conn = scrutineer::store::open(db).unwrap();
        let b = scrutineer::service::bundle::meeting_bundle(&conn, &meeting).unwrap();
        scrutineer::log::verify::verify(&b)
    };
    let r = report(&db);
    assert!(r.is_verified(), "{:?}", r.first_failure());
    assert_eq!(r.ballots, 0);
    // The same scrutineer cannot give the second reading.
    let out = run(&s1, "k1.key", Some("imp1"), "ballots.jsonl");
    assert_eq!(out.status.code(), Some(2));
    // Another scrutineer's reading completes it.
    let out = run(&s2, "k2.key", Some("imp1"), "ballots.jsonl");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 batches reconciled"));
    let r = report(&db);
    assert!(r.is_verified(), "{:?}", r.first_failure());
    assert_eq!(r.ballots, 7);
}
