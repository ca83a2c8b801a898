//! Crash safety: the real binary is killed with SIGKILL in the middle of
//! ballot entry and restarted on the same database file. Every acknowledged
//! entry is there exactly once (a retry returns the original response),
//! nothing unacknowledged is half-applied (a retry either replays or
//! applies it whole, never conflicts), and the log still verifies.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use common::bundle;
use common::http::{Client, Request};
use common::meeting::{cosigner, Meeting, Person};
use common::server::{Binary, TempDir};
use scrutineer::log::event::Event;

const BATCHES: usize = 400;
const PER_BATCH: usize = 10;

fn batch_ballots(b: usize) -> Value {
    let marks = ["YYYNNA", "YNYAYN", "AYYYNY", "NNYYYA", "YAAYYY"];
    json!((0..PER_BATCH)
        .map(|i| marks[(b + i) % marks.len()])
        .collect::<Vec<_>>())
}

fn entry_request(m: &Meeting, counter: &Person, b: usize) -> Request {
    Request::new(
        "POST",
        &m.path(&format!("/rounds/r1/batches/b{b:03}/entries")),
    )
    .token(&counter.token)
    .header("Idempotency-Key", &format!("{}-{b}", counter.id))
    .json(&json!({ "ballots": batch_ballots(b) }))
}

/// What a client thread saw: acknowledged responses, and the request in
/// flight when the connection died.
#[derive(Default)]
struct Seen {
    acked: BTreeMap<(String, usize), (u16, Value)>,
    in_flight: BTreeSet<(String, usize)>,
}

#[test]
fn sigkill_during_batch_entry_loses_nothing_acknowledged() {
    let dir = TempDir::new("crash");
    let db = dir.path().join("crash.db");
    let server = Binary::start(&db, &[]);
    let mut m = Meeting::create(server.client(), &server.setup, 5000, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 4800 }))
        .expect(200);
    m.post(&org, "/elections", json!({ "contest": "委员", "seats": 5 }))
        .expect(201);
    let c1 = m.add("counter", "甲计票", None);
    let c2 = m.add("counter", "乙计票", None);
    let k = cosigner("丙监票", 7);
    let s = m.add("scrutineer", "丙监票", Some(&k));
    for p in [&c1, &c2, &s] {
        m.assign("e1", p);
    }
    let names = ["丁一", "王二", "刘三", "张四", "陈五", "周六"];
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": names }),
    )
    .expect(201);
    m.post(&org, "/rounds/r1/open", json!({ "issued": 4800 }))
        .expect(200);

    // Two counters enter batches as fast as they can.
    let acks = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let threads: Vec<_> = [c1.clone(), c2.clone()]
        .into_iter()
        .map(|counter| {
            let (acks, seen) = (acks.clone(), seen.clone());
            let meeting = Meeting {
                c: m.c,
                id: m.id.clone(),
                organiser: org.clone(),
            };
            std::thread::spawn(move || {
                for b in 0..BATCHES {
                    let key = (counter.id.clone(), b);
                    seen.lock().unwrap().in_flight.insert(key.clone());
                    match meeting
                        .c
                        .try_send_signed(&entry_request(&meeting, &counter, b))
                    {
                        Ok(r) if r.status == 201 => {
                            let mut s = seen.lock().unwrap();
                            s.in_flight.remove(&key);
                            s.acked.insert(key, (r.status, r.json()));
                            acks.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(r) => panic!("entry refused: {} {}", r.status, r.text()),
                        // The server died: this request may or may not have committed.
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    while acks.load(Ordering::SeqCst) < 60 {
        assert!(
            !threads.iter().all(|t| t.is_finished()),
            "both counters stopped before 60 entries were acknowledged"
        );
        std::thread::yield_now();
    }
    let mut server = server;
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reaped");
    for t in threads {
        t.join().expect("client thread");
    }
    let seen = Arc::try_unwrap(seen).ok().unwrap().into_inner().unwrap();
    assert!(seen.acked.len() >= 60);
    assert!(
        seen.acked.len() < 2 * BATCHES,
        "the kill came too late to test anything"
    );

    // Restart on the same file: tokens, rounds and entries are all there.
    let server = Binary::start(&db, &[]);
    m.c = Client::new(server.addr);
    let people = [(&c1.id, &c1), (&c2.id, &c2)];
    let counter = |id: &str| people.iter().find(|p| p.0 == id).unwrap().1;
    for ((who, b), (status, body)) in &seen.acked {
        let r = m.c.send(&entry_request(&m, counter(who), *b));
        assert_eq!(r.status, *status, "{}", r.text());
        assert_eq!(
            r.header("idempotent-replayed"),
            Some("true"),
            "acked entry {who}/{b} was lost"
        );
        // Once the batch is reconciled the stored reply has lost its salt
        // (erased with the readings); nothing else differs.
        let replayed = r.json();
        let mut acked = body.clone();
        if replayed.get("salt").is_none() {
            acked.as_object_mut().unwrap().remove("salt");
        }
        assert_eq!(replayed, acked, "acked entry {who}/{b} changed");
    }
    let mut recovered = 0;
    for (who, b) in &seen.in_flight {
        let r = m.c.send(&entry_request(&m, counter(who), *b)).expect(201);
        if r.header("idempotent-replayed") == Some("true") {
            recovered += 1; // committed before the kill, acknowledged now
        }
    }
    let entered: BTreeSet<(String, usize)> =
        seen.acked.keys().chain(&seen.in_flight).cloned().collect();

    // Exactly once: each (batch, counter) entered once, reconciled batches
    // counted once.
    let listed = m.get(&s, "/rounds/r1/batches").expect(200).json();
    let mut entries = 0;
    let mut reconciled = 0;
    for b in listed.as_array().unwrap() {
        let n = b["entries"].as_array().unwrap().len();
        entries += n;
        if b["state"] == "reconciled" {
            reconciled += 1;
            assert_eq!(b["ballots"], PER_BATCH);
            assert_eq!(n, 2);
        } else {
            assert_eq!(b["state"], "awaiting_second");
            assert_eq!(n, 1);
        }
    }
    assert_eq!(entries, entered.len());
    let round = m.get(&s, "/rounds/r1").expect(200).json();
    assert_eq!(round["batches"]["ballots_counted"], reconciled * PER_BATCH);

    // The log verifies, with the library and with the real `scrutineer
    // verify`, and holds each entry and each batch exactly once.
    let zip = m.get(&s, "/bundle").expect(200).body;
    let b = bundle::read(&zip);
    let report = bundle::verified(&b);
    assert_eq!(report.ballots, reconciled as u64 * PER_BATCH as u64);
    bundle::verify_with_cli(dir.path(), &zip, &[]);
    let mut committed = BTreeSet::new();
    let mut batches = BTreeSet::new();
    for e in &bundle::events(&b) {
        match e {
            Event::EntryCommitted { batch, counter, .. } => {
                assert!(
                    committed.insert((batch.clone(), counter.clone())),
                    "entry twice: {batch} {counter}"
                );
            }
            Event::BallotBatch { batch, .. } => {
                assert!(batches.insert(batch.clone()), "batch twice: {batch}")
            }
            _ => {}
        }
    }
    assert_eq!(committed.len(), entered.len());
    assert_eq!(batches.len(), reconciled);
    eprintln!(
        "crash test: {} acknowledged, {} in flight ({recovered} had committed), {reconciled} batches reconciled",
        seen.acked.len(),
        seen.in_flight.len()
    );
}
