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

/// A counter's first request is answered from a reader's snapshot,
/// outside the writer lock (docs/service.md, "Signed changes prepared
/// outside the writer"): when the state moves between that answer and
/// the signed request, the writer does not accept the signature over the
/// stale entry. Here another counter's first reading of the same batch,
/// under another case of its label, commits in between: the signed
/// request is answered with a fresh 428 (`stale`), nothing of it is
/// logged, and signed again it is the batch's second reading under the
/// label as first written. A prepare that would pass the ballots issued
/// is refused from the snapshot, as the writer refuses it.
#[test]
fn a_prepared_entry_gone_stale_is_signed_again_never_applied() {
    use common::http::Request;

    let server = Server::start("prepare-stale");
    let m = Meeting::create(server.client(), &server.setup, 100, json!([]));
    let org = m.organiser.clone();
    m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
        .expect(200);
    m.put(&org, "/attendance", json!({ "present": 90 }))
        .expect(200);
    m.post(&org, "/elections", json!({ "contest": "委员", "seats": 2 }))
        .expect(201);
    let (ka, kb) = (cosigner("计票甲", 71), cosigner("计票乙", 72));
    let (a, b) = (
        m.add("counter", "计票甲", Some(&ka)),
        m.add("counter", "计票乙", Some(&kb)),
    );
    m.assign("e1", &a);
    m.assign("e1", &b);
    m.post(
        &org,
        "/elections/e1/rounds",
        json!({ "kind": "formal", "candidates": ["甲", "乙", "丙"] }),
    )
    .expect(201);
    m.post(&org, "/rounds/r1/open", json!({ "issued": 6 }))
        .expect(200);
    let papers = json!(["YYN", "YNY", "NYY"]);
    let entry = |who: &common::meeting::Person, label: &str, key: &str, ballots: &Value| {
        Request::new(
            "POST",
            &m.path(&format!("/rounds/r1/batches/{label}/entries")),
        )
        .token(&who.token)
        .header("Idempotency-Key", key)
        .json(&json!({ "ballots": ballots }))
    };

    // A asks for the entry to sign for batch "B1"; nothing is written.
    let req = entry(&a, "B1", "a-1", &papers);
    let first = m.c.send_raw(&req);
    let problem = first.problem(428, "signature_required");
    assert_eq!(problem["sign"]["stale"], false, "{problem}");
    let size_before = m.get(&org, "/checkpoint").expect(200).json()["size"].clone();

    // B's reading of "b1" commits in between.
    let rb = m.enter(&b, "r1", "b1", "b-1", &papers);
    assert_eq!(rb.status, 201, "{}", rb.text());
    assert_eq!(rb.json()["entry"], "first");

    // A's signature over the prepared entry no longer fits: a fresh 428.
    let key = common::signing::key_of(&a.token);
    let (ts, sigs) = common::signing::sign_problem(&first.json(), &key.key).expect("to sign");
    let signed = req
        .clone()
        .header("Scrutineer-Timestamp", &ts)
        .header("Scrutineer-Signature", &sigs);
    let stale = m.c.send_raw(&signed);
    let problem = stale.problem(428, "signature_required");
    assert_eq!(problem["sign"]["stale"], true, "{problem}");
    let size = m.get(&org, "/checkpoint").expect(200).json()["size"].clone();
    assert_eq!(
        size.as_u64(),
        size_before.as_u64().map(|s| s + 1),
        "only B's entry was logged"
    );

    // Signed again, A's reading is the batch's second, under "b1".
    let ra = m.c.send(&req);
    assert_eq!(ra.status, 201, "{}", ra.text());
    let body = ra.json();
    assert_eq!(body["batch"], "b1");
    assert_eq!(body["entry"], "second");
    assert_eq!(body["batch_state"], "reconciled");

    // 3 of 6 ballots issued are counted: a batch of 4 is refused when it
    // is prepared, from the snapshot, as the writer refuses it.
    let four = json!(["YYN", "YNY", "NYY", "YYN"]);
    let over = m.c.send_raw(&entry(&a, "b2", "a-2", &four));
    let problem = over.problem(422, "ballots_over_issued");
    assert_eq!(problem["read"], 3, "{problem}");
    assert_eq!(problem["adding"], 4, "{problem}");
}
