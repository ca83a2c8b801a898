//! Group commit (docs/service.md "Group commit"): concurrent writes share
//! one transaction, each in its own savepoint. Writes that fail in the
//! middle of a group (a counter entering a batch twice) change nothing,
//! every write that was acknowledged is there exactly once, reconciled
//! batches have their readings erased, and the log verifies.

use crate::common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use common::bundle;
use common::meeting::{cosigner, Meeting};
use common::server::Server;

const COUNTERS: usize = 8;
const BATCHES: usize = 12;

fn ballots(pair: usize, b: usize) -> Value {
    let marks = ["YYNNA", "YNYAY", "AYYNY", "NNYYA"];
    json!((0..5)
        .map(|i| marks[(pair + b + i) % marks.len()])
        .collect::<Vec<_>>())
}

#[test]
fn concurrent_writes_fail_alone_and_commit_together() {
    let server = Server::start("group-commit");
    let m = Meeting::create(server.client(), &server.setup, 1000, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 900 }))
        .expect(200);
    m.post(&org, "/elections", json!({ "contest": "委员", "seats": 3 }))
        .expect(201);
    let counters: Vec<_> = (0..COUNTERS)
        .map(|i| {
            let k = cosigner(&format!("计票{i}"), 40 + i as u8);
            let p = m.add("counter", &format!("计票{i}"), Some(&k));
            m.assign("e1", &p);
            p
        })
        .collect();
    let k = cosigner("监票", 60);
    let s = m.add("scrutineer", "监票", Some(&k));
    m.assign("e1", &s);
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": ["甲", "乙", "丙", "丁", "戊"] }),
    )
    .expect(201);
    m.post(&org, "/rounds/r1/open", json!({ "issued": 900 }))
        .expect(200);

    // Pairs of counters enter the same batches at the same time; after each
    // entry a counter enters the same batch again under another key, which
    // must fail (already entered) without touching anyone else's write.
    let acked = Arc::new(Mutex::new(Vec::new()));
    std::thread::scope(|scope| {
        for (i, counter) in counters.iter().enumerate() {
            let (acked, m) = (acked.clone(), &m);
            scope.spawn(move || {
                let pair = i / 2;
                for b in 0..BATCHES {
                    let batch = format!("p{pair}b{b:02}");
                    let r = m.enter(
                        counter,
                        "r1",
                        &batch,
                        &format!("{i}-{b}"),
                        &ballots(pair, b),
                    );
                    assert_eq!(r.status, 201, "{}", r.text());
                    let size: u64 = r
                        .header("scrutineer-checkpoint")
                        .and_then(|h| h.split(' ').next())
                        .and_then(|s| s.parse().ok())
                        .expect("checkpoint header");
                    acked
                        .lock()
                        .unwrap()
                        .push((counter.id.clone(), batch.clone(), size));
                    let again = m.enter(
                        counter,
                        "r1",
                        &batch,
                        &format!("{i}-{b}-again"),
                        &ballots(pair, b),
                    );
                    assert_eq!(again.status, 409, "{}", again.text());
                }
            });
        }
    });
    let acked = Arc::try_unwrap(acked).unwrap().into_inner().unwrap();
    assert_eq!(acked.len(), COUNTERS * BATCHES);
    // Each acknowledged write has its own checkpoint.
    let sizes: BTreeSet<u64> = acked.iter().map(|a| a.2).collect();
    assert_eq!(
        sizes.len(),
        acked.len(),
        "two writes answered with one checkpoint"
    );

    // Every acknowledged entry is there once; every batch reconciled.
    let listed = m.get(&s, "/rounds/r1/batches").expect(200).json();
    let batches = listed.as_array().unwrap();
    assert_eq!(batches.len(), COUNTERS / 2 * BATCHES);
    for b in batches {
        assert_eq!(b["state"], "reconciled", "{b}");
        assert_eq!(b["entries"].as_array().unwrap().len(), 2, "{b}");
    }
    let round = m.get(&s, "/rounds/r1").expect(200).json();
    assert_eq!(
        round["batches"]["ballots_counted"],
        COUNTERS / 2 * BATCHES * 5
    );

    // The readings are erased from the database.
    let db = rusqlite::Connection::open(server.dir.path().join("meeting.db")).expect("db");
    let kept: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM batch_entry WHERE ballots IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert_eq!(kept, 0, "readings of reconciled batches kept");

    // The log verifies, with each entry once.
    let zip = m.get(&s, "/bundle").expect(200).body;
    let b = bundle::read(&zip);
    let report = bundle::verified(&b);
    assert_eq!(report.ballots, (COUNTERS / 2 * BATCHES * 5) as u64);
    let mut committed = BTreeSet::new();
    for e in &bundle::events(&b) {
        if let scrutineer::log::event::Event::EntryCommitted { batch, counter, .. } = e {
            assert!(
                committed.insert((batch.clone(), counter.clone())),
                "entry twice: {batch} {counter}"
            );
        }
    }
    assert_eq!(committed.len(), acked.len());
    assert!(
        *sizes.last().unwrap() <= report.entries,
        "a checkpoint beyond the log"
    );
}
