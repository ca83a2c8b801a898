//! `scrutineer witness` as its own process on loopback, spoken to in C2SP
//! tlog-witness by a meeting log: it cosigns a first checkpoint and a
//! consistent extension, refuses a rollback (409 with its latest size as
//! `text/x.tlog.size`), a fork (422), an unknown log (404) and a checkpoint
//! not signed by the log's key (403) — and remembers across a restart.
//!
//! Then `scrutineer serve` and `scrutineer witness` as two processes: the
//! meeting names the witness, the service submits its checkpoints, the
//! bundle carries the witness's cosignatures and `scrutineer verify`
//! requires them; a bundle without them, or rolled back below what the
//! witness saw, fails; a service restarted on an old copy of its database
//! (a rollback, then a fork) is refused by the witness, and says so.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use ed25519_dalek::SigningKey;

use crate::common::http::{Client, Request};
use crate::common::server::TempDir;
use scrutineer::log::checkpoint::Checkpoint;
use scrutineer::log::cosignature::verify_cosignatures;
use scrutineer::log::merkle::{Tree, TreeSize};
use scrutineer::log::note::{KeyName, Note, NoteSigner, VerifierKey};
use scrutineer::log::witness::request_body;

const ORIGIN: &str = "scrutineer.example/m/2026-county-7";

struct WitnessProcess {
    child: Child,
    client: Client,
    addr: std::net::SocketAddr,
    key: VerifierKey,
}

impl Drop for WitnessProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &TempDir, log_key: &VerifierKey) -> WitnessProcess {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .arg("witness")
        .arg("--db")
        .arg(dir.path().join("witness.db"))
        .arg("--key")
        .arg(dir.path().join("witness.key"))
        .args(["--name", "witness.example.org/county-committee"])
        .args(["--log", &log_key.to_string()])
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn scrutineer witness");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let (mut addr, mut key) = (None, None);
    let mut line = String::new();
    while addr.is_none() || key.is_none() {
        line.clear();
        assert!(
            stdout.read_line(&mut line).expect("read stdout") > 0,
            "the witness exited before it was ready"
        );
        if let Some(a) = line.trim().strip_prefix("witness listening on http://") {
            addr = Some(a.parse().expect("address"));
        } else if let Some(k) = line.trim().strip_prefix("witness key ") {
            key = Some(VerifierKey::parse(k).expect("a witness vkey"));
        }
    }
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        while stdout.read_line(&mut sink).is_ok_and(|n| n > 0) {
            sink.clear();
        }
    });
    let addr = addr.expect("address");
    WitnessProcess {
        child,
        client: Client::new(addr),
        addr,
        key: key.expect("key"),
    }
}

fn log_signer(seed: u8, origin: &str) -> NoteSigner {
    NoteSigner::new(
        KeyName::new(origin).expect("name"),
        SigningKey::from_bytes(&[seed; 32]),
    )
}

fn tree(n: u8, fork_at: Option<u8>) -> Tree {
    let mut t = Tree::new();
    for i in 0..n {
        t.append(&[if Some(i) == fork_at { 0xee } else { i }, 0x5c]);
    }
    t
}

fn signed(t: &Tree, signer: &NoteSigner, origin: &str) -> String {
    Checkpoint::new(origin, t.size(), t.root())
        .expect("checkpoint")
        .sign(signer)
        .to_string()
}

fn add(
    w: &WitnessProcess,
    old: u64,
    t: &Tree,
    signer: &NoteSigner,
    origin: &str,
) -> (u16, String, Option<String>) {
    let proof = if old == 0 || old == t.size().0 {
        Vec::new()
    } else {
        t.consistency_proof(TreeSize(old), t.size()).expect("proof")
    };
    let body = request_body(old, &proof, &signed(t, signer, origin));
    let r = w
        .client
        .send(&Request::new("POST", "/add-checkpoint").raw(body.as_bytes(), "text/plain"));
    let content_type = r.header("content-type").map(str::to_owned);
    (r.status, r.text(), content_type)
}

#[test]
fn witness_cosigns_consistent_checkpoints_and_refuses_rollback_and_forks() {
    let dir = TempDir::new("witness");
    let log = log_signer(3, ORIGIN);
    let w = start(&dir, log.verifier_key());

    // A first checkpoint (old 0), then a consistent extension.
    let t3 = tree(3, None);
    let (status, body, _) = add(&w, 0, &t3, &log, ORIGIN);
    assert_eq!(status, 200, "{body}");
    let mut note = Note::parse(&signed(&t3, &log, ORIGIN)).expect("note");
    let line = Note::parse(&format!("{}\n{body}", signed(&t3, &log, ORIGIN)))
        .expect("the response lines append to the note")
        .signatures()
        .last()
        .cloned()
        .expect("a cosignature line");
    note.add_signature(line);
    let verified = verify_cosignatures(&note, std::slice::from_ref(&w.key)).expect("verifies");
    assert_eq!(verified.len(), 1);

    let t5 = tree(5, None);
    assert_eq!(add(&w, 3, &t5, &log, ORIGIN).0, 200);

    // Rolled back to 3: 409, the body is the witness's latest size.
    let (status, body, content_type) = add(&w, 0, &t3, &log, ORIGIN);
    assert_eq!((status, body.as_str()), (409, "5\n"));
    assert_eq!(content_type.as_deref(), Some("text/x.tlog.size"));

    // A fork of the tree at entry 1, grown to 7, offered from 5: 422.
    let forked = tree(7, Some(1));
    let proof = forked
        .consistency_proof(TreeSize(5), TreeSize(7))
        .expect("proof");
    let body = request_body(5, &proof, &signed(&forked, &log, ORIGIN));
    let r = w
        .client
        .send(&Request::new("POST", "/add-checkpoint").raw(body.as_bytes(), "text/plain"));
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("does not extend"), "{}", r.text());

    // Another tree of the held size 5: the log signed two trees of size 5.
    let (status, body, _) = add(&w, 5, &tree(5, Some(2)), &log, ORIGIN);
    assert_eq!(status, 409);
    assert!(body.contains("two different trees of size 5"), "{body}");

    // Not signed by the trusted key: 403; an origin it does not witness: 404.
    let impostor = log_signer(4, ORIGIN);
    assert_eq!(add(&w, 5, &tree(6, None), &impostor, ORIGIN).0, 403);
    let other = "scrutineer.example/m/elsewhere";
    assert_eq!(add(&w, 0, &t3, &log_signer(3, other), other).0, 404);
    // Unreadable: 400.
    let r = w
        .client
        .send(&Request::new("POST", "/add-checkpoint").raw(b"old 01\n\n", "text/plain"));
    assert_eq!(r.status, 400);

    // Restarted on the same state: the same key, and it still holds 5.
    let key = w.key.clone();
    drop(w);
    let w = start(&dir, log.verifier_key());
    assert_eq!(w.key, key, "the witness key survives a restart");
    let (status, body, _) = add(&w, 0, &t3, &log, ORIGIN);
    assert_eq!((status, body.as_str()), (409, "5\n"));
    assert_eq!(add(&w, 5, &tree(8, None), &log, ORIGIN).0, 200);
}

const WITNESS: &str = "witness.example.org/county-committee";

/// Polls `GET …/witnesses` (bounded) until `done` holds for the first
/// witness; returns it.
fn wait_for_witness(
    m: &crate::common::meeting::Meeting,
    who: &crate::common::meeting::Person,
    what: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let v = m.get(who, "/witnesses").expect(200).json();
        let w = v["witnesses"][0].clone();
        if done(&w) {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the witness never got to: {what}; last seen {v}"
        );
        std::thread::yield_now();
    }
}

fn cli_verify(dir: &std::path::Path, name: &str, bundle: &[u8], args: &[&str]) -> (i32, String) {
    let path = dir.join(name);
    std::fs::write(&path, bundle).expect("write the bundle");
    let out = Command::new(env!("CARGO_BIN_EXE_scrutineer"))
        .arg("verify")
        .arg(&path)
        .args(args)
        .output()
        .expect("run scrutineer verify");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn copy_db(from: &std::path::Path, to: &std::path::Path) {
    for ext in ["", "-wal", ".checkpoints"] {
        let f = std::path::PathBuf::from(format!("{}{ext}", from.display()));
        if f.exists() {
            std::fs::copy(&f, format!("{}{ext}", to.display())).expect("copy the database");
        }
    }
}

#[test]
fn the_service_submits_to_its_named_witness_and_verify_requires_the_cosignatures() {
    use crate::common::bundle;
    use crate::common::meeting::{copies, cosigner, Meeting};
    use crate::common::server::Binary;
    use scrutineer::log::verify::{check_entries, verify_pinned_with, Step};
    use serde_json::json;

    let dir = TempDir::new("witnessed");
    let db = dir.path().join("m.db");
    let mut server = Binary::start(&db, &[]);
    let m = Meeting::create(server.client(), &server.setup, 10, json!([]));
    let org = m.organiser.clone();
    let log_key = m.get(&org, "/checkpoint").expect(200).json()["log_key"]
        .as_str()
        .expect("log key")
        .to_string();
    let w = start(&dir, &VerifierKey::parse(&log_key).expect("log vkey"));
    let url = format!("http://{}/add-checkpoint", w.addr);
    // A key not named as the witness says: refused, nothing logged.
    m.post(
        &org,
        "/witnesses",
        json!({ "name": "witness.example.org/other", "key": w.key.to_string(), "url": url }),
    )
    .problem(422, "invalid_field");
    m.post(
        &org,
        "/witnesses",
        json!({ "name": WITNESS, "key": w.key.to_string(), "url": url }),
    )
    .expect(201);

    // The meeting: one election, two counters, one scrutineer, one round.
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 10 }))
        .expect(200);
    m.post(
        &org,
        "/elections",
        json!({ "contest": "支部委员会委员", "seats": 2 }),
    )
    .expect(201);
    let c1 = m.add("counter", "计票一", None);
    let c2 = m.add("counter", "计票二", None);
    let k = cosigner("监票一", 61);
    let s1 = m.add("scrutineer", "监票一", Some(&k));
    let auditor = m.add("auditor", "审计", None);
    for p in [&c1, &c2, &s1] {
        m.assign("e1", p);
    }
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": ["甲", "乙", "丙"] }),
    )
    .expect(201);
    m.post(&org, "/rounds/r1/open", json!({ "issued": 10 }))
        .expect(200);
    // Once a round is open the witnesses are fixed.
    m.post(
        &org,
        "/witnesses",
        json!({ "name": "witness.example.org/late", "key": cosigner("witness.example.org/late", 62).verifier_key().to_string(), "url": url }),
    )
    .problem(409, "witnesses_fixed");
    let ballots = json!(copies(10, json!("YYN")));
    m.enter(&c1, "r1", "b1", "k1", &ballots).expect(201);
    m.enter(&c2, "r1", "b1", "k2", &ballots).expect(201);
    m.post(&s1, "/rounds/r1/close", json!({ "returned": 10 }))
        .expect(200);
    m.cosign(&s1, &k, "r1").expect(201);

    // The witness catches up with the log, off the request path.
    let v = wait_for_witness(&m, &auditor, "the whole log", |w| w["behind"] == json!(0));
    let ws = &v["witnesses"][0];
    assert_eq!(ws["name"], WITNESS, "{v}");
    assert!(ws["refusal"].is_null(), "{v}");
    assert!(ws["last_error"].is_null(), "{v}");
    let pinned = ws["checkpoint"]["note"]
        .as_str()
        .expect("latest cosigned note");
    assert_eq!(v["required"], 1);

    // The bundle carries the witness's lines; verify requires them.
    let zip = m.get(&auditor, "/bundle").expect(200).body;
    let (code, out) = cli_verify(dir.path(), "b.zip", &zip, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(WITNESS), "{out}");
    assert!(out.contains("见证人联署：1/1 个，须 1 个"), "{out}");
    assert!(out.contains("监票一（监票人） 公钥指纹："), "{out}");
    assert!(out.contains("选举 e1："), "{out}");
    let (code, out) = cli_verify(dir.path(), "b.zip", &zip, &["--json"]);
    assert_eq!(code, 0, "{out}");
    let j: serde_json::Value = serde_json::from_str(out.trim()).expect("verify --json");
    assert_eq!(j["witnesses"][0]["name"], WITNESS);
    assert_eq!(j["rounds"][0]["witnessed"][0]["name"], WITNESS);
    assert!(j["holders"]
        .as_array()
        .expect("holders")
        .iter()
        .any(|h| h["election"] == "e1" && h["name"] == "监票一" && h["role"] == "scrutineer"));
    // The witness's key pinned by name, and a wrong one.
    let (code, out) = cli_verify(
        dir.path(),
        "b.zip",
        &zip,
        &["--cosigner-key", &format!("{WITNESS}={}", w.key)],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out) = cli_verify(
        dir.path(),
        "b.zip",
        &zip,
        &[
            "--lang",
            "en",
            "--cosigner-key",
            &format!("{WITNESS}={}", k.verifier_key()),
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("witness {WITNESS}'s key in the bundle")),
        "{out}"
    );

    // Without the witness's line on the result checkpoint: fails, naming it.
    let b = bundle::read(&zip);
    let size = j["rounds"][0]["checkpoint"].as_u64().expect("result size");
    let path = scrutineer::log::bundle::checkpoint_path(size);
    let note = String::from_utf8(b.get(&path).expect("result note").to_vec()).expect("utf-8");
    let stripped: String = note
        .lines()
        .filter(|l| !l.starts_with(&format!("— {WITNESS} ")))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(
        stripped, note,
        "the result checkpoint carries the witness's line"
    );
    let mut cut = b.clone();
    cut.put(&path, stripped.into_bytes());
    let r = verify_pinned_with(&cut, &[], &Default::default(), check_entries);
    assert_eq!(
        r.first_failed_step(),
        Some(Step::Cosignatures),
        "{:?}",
        r.first_failure()
    );
    let f = r.first_failure().expect("a failure");
    assert!(f.message.contains(&format!("missing: {WITNESS}")), "{f}");
    assert!(
        f.zh.as_deref()
            .unwrap_or("")
            .contains(&format!("缺少：{WITNESS}")),
        "{f:?}"
    );

    // Rolled back to the result checkpoint (the cosignature entry cut
    // off): it verifies alone, and fails against the witness's latest.
    let mut old = b.clone();
    let last = j["entries"].as_u64().expect("entries");
    for i in size..last {
        old.remove(&scrutineer::log::bundle::entry_path(i));
    }
    for s in size + 1..=last {
        old.remove(&scrutineer::log::bundle::checkpoint_path(s));
    }
    let alone = verify_pinned_with(&old, &[], &Default::default(), check_entries);
    assert!(alone.is_verified(), "{:?}", alone.first_failure());
    let from_witness = w.client.send(&Request::new(
        "GET",
        &format!("/latest/{}", j["origin"].as_str().expect("origin")),
    ));
    assert_eq!(from_witness.status, 200, "{}", from_witness.text());
    for (source, text) in [
        ("api", pinned.to_string()),
        ("witness", from_witness.text()),
    ] {
        let pins = scrutineer::log::pins::Pins {
            checkpoints: vec![(source.to_string(), text)],
            witnesses: vec![w.key.clone()],
            ..Default::default()
        };
        let r = verify_pinned_with(&old, &[], &pins, check_entries);
        assert_eq!(r.first_failed_step(), Some(Step::Pins), "{source}");
        assert!(
            r.failures().any(|f| f.message.contains("rolled back")),
            "{source}: {:?}",
            r.failures().map(|f| f.to_string()).collect::<Vec<_>>()
        );
    }

    // The service's database restored from an old copy: the witness saw
    // more, so the copy is a rollback; once it grows past what the witness
    // saw, it is a fork. Both are refused, and the refusal is shown.
    drop(server);
    let copy_dir = TempDir::new("witnessed-copy");
    let old_db = copy_dir.path().join("m.db");
    copy_db(&db, &old_db);
    server = Binary::start(&db, &[]);
    let m = Meeting {
        c: server.client(),
        id: m.id.clone(),
        organiser: org.clone(),
    };
    for i in 0..3 {
        m.add("auditor", &format!("审计{i}"), None);
    }
    let ahead = wait_for_witness(&m, &auditor, "the grown log", |w| w["behind"] == json!(0));
    let held = ahead["witnesses"][0]["cosigned_size"]
        .as_u64()
        .expect("size");
    drop(server);
    let restored = Binary::start(&old_db, &[]);
    let m = Meeting {
        c: restored.client(),
        id: m.id.clone(),
        organiser: org.clone(),
    };
    let v = wait_for_witness(&m, &auditor, "a refusal of the rolled-back log", |w| {
        !w["refusal"].is_null()
    });
    let refusal = &v["witnesses"][0]["refusal"];
    assert!(refusal["zh"].as_str().unwrap_or("").contains("拒绝"), "{v}");
    // The restored service writes on: its tree passes the size the
    // witness holds, with other entries — a fork, which the witness
    // refuses as inconsistent.
    let mut n = v["log_size"].as_u64().expect("log size");
    let mut i = 0;
    while n <= held + 1 {
        m.add("auditor", &format!("另一审计{i}"), None);
        i += 1;
        n = m.get(&auditor, "/witnesses").expect(200).json()["log_size"]
            .as_u64()
            .expect("log size");
    }
    let v = wait_for_witness(&m, &auditor, "a 422 for the forked log", |w| {
        w["refusal"]["status"] == json!(422)
    });
    let refusal = &v["witnesses"][0]["refusal"];
    assert!(
        refusal["message"]
            .as_str()
            .unwrap_or("")
            .contains("does not extend"),
        "{v}"
    );
    // The refusal stays on the record of the witness too.
    drop(restored);
}
