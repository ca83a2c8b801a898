//! `scrutineer witness` as its own process on loopback, spoken to in C2SP
//! tlog-witness by a meeting log: it cosigns a first checkpoint and a
//! consistent extension, refuses a rollback (409 with its latest size as
//! `text/x.tlog.size`), a fork (422), an unknown log (404) and a checkpoint
//! not signed by the log's key (403) — and remembers across a restart.

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
    WitnessProcess {
        child,
        client: Client::new(addr.expect("address")),
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
