//! A hall for the stage pipelines (issue 11), shared by
//! `tests/pipelines.rs` (the service over HTTP) and
//! `tests/browser/review.rs` (the presidium's screens): a meeting with
//! its method and attendance, two counters, a scrutineer with a key and
//! the presidium; elections with the staff assigned; rounds made, opened,
//! double-entered, closed, cosigned and decided over the API.

use std::path::Path;

use serde_json::{json, Value};

use super::meeting::{cosigner, Meeting, Person};
use scrutineer::log::cosignature::Cosigner;

/// Ballots where line `i` is `Y` on the first `y[i]` ballots, `N` on the
/// next `n[i]`, `A` on the rest.
pub fn rated(count: usize, y: &[usize], n: &[usize]) -> Value {
    json!((0..count)
        .map(|b| {
            y.iter()
                .zip(n)
                .map(|(&y, &n)| {
                    if b < y {
                        'Y'
                    } else if b < y + n {
                        'N'
                    } else {
                        'A'
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>())
}

/// Who works a hall: the two counters' names, the scrutineer's name and
/// the seed of their key.
pub struct Staff<'a> {
    pub counters: [&'a str; 2],
    pub scrutineer: &'a str,
    pub seed: u8,
}

pub struct Hall {
    pub m: Meeting,
    pub org: Person,
    pub c1: Person,
    pub c2: Person,
    pub s: Person,
    pub ks: Cosigner,
    pub presidium: Person,
}

impl Hall {
    /// The meeting `m` under the grassroots-2020 preset with `present`
    /// attending, and its staff.
    pub fn new(m: Meeting, present: u64, staff: Staff<'_>) -> Hall {
        let org = m.organiser.clone();
        m.put(&org, "/method", json!({ "preset": "grassroots-2020" }))
            .expect(200);
        m.put(&org, "/attendance", json!({ "present": present }))
            .expect(200);
        let c1 = m.add("counter", staff.counters[0], None);
        let c2 = m.add("counter", staff.counters[1], None);
        let ks = cosigner(staff.scrutineer, staff.seed);
        let s = m.add("scrutineer", staff.scrutineer, Some(&ks));
        let presidium = m.add("presidium", "主席团", None);
        Hall {
            m,
            org,
            c1,
            c2,
            s,
            ks,
            presidium,
        }
    }

    /// A new election, the counters and the scrutineer assigned to it.
    pub fn election(&self, body: Value) -> String {
        let e = self
            .m
            .post(&self.org, "/elections", body)
            .expect(201)
            .json();
        let id = e["id"].as_str().expect("election id").to_string();
        for p in [&self.c1, &self.c2, &self.s] {
            self.m.assign(&id, p);
        }
        id
    }

    pub fn round(&self, election: &str, body: Value) -> Value {
        self.m
            .post(&self.org, &format!("/elections/{election}/rounds"), body)
            .expect(201)
            .json()
    }

    pub fn open(&self, round: &str, body: Value) -> Value {
        self.m
            .post(&self.org, &format!("/rounds/{round}/open"), body)
            .expect(200)
            .json()
    }

    /// Double entry of `ballots`, then close with `close` and cosign: the
    /// closed result.
    pub fn count(&self, round: &str, ballots: &Value, close: Value) -> Value {
        for (c, k) in [(&self.c1, "1"), (&self.c2, "2")] {
            self.m
                .enter(c, round, "b1", &format!("{round}-{k}"), ballots)
                .expect(201);
        }
        self.close(round, close)
    }

    pub fn close(&self, round: &str, close: Value) -> Value {
        let closed = self
            .m
            .post(&self.s, &format!("/rounds/{round}/close"), close)
            .expect(200)
            .json();
        self.m.cosign(&self.s, &self.ks, round).expect(201);
        closed["result"].clone()
    }

    pub fn decide(&self, round: &str, body: Value) -> Value {
        self.m
            .post(&self.presidium, &format!("/rounds/{round}/decisions"), body)
            .expect(201)
            .json()
    }

    /// The meeting's bundle, exported by an auditor and verified by the
    /// real `scrutineer verify` in `dir`: its output.
    pub fn verified(&self, dir: &Path) -> String {
        let auditor = self.m.add("auditor", "审计", None);
        let zip = self.m.get(&auditor, "/bundle").expect(200);
        super::bundle::verify_with_cli(dir, &zip.body, &[self.s.name.as_str()])
    }
}
