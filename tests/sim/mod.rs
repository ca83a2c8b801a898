//! A small meeting simulator: builds a real, signed log of a meeting without
//! the HTTP service, the way the service writes it — keys, events, ballot
//! batches, tallies computed by the rule engine, a checkpoint signed by the
//! log key right after each tally (the result checkpoint), the scrutineers'
//! cosignatures of it recorded as `result_cosigned` entries. Used by
//! `tests/verify.rs`.
#![allow(dead_code)]

use std::collections::BTreeMap;

use ed25519_dalek::SigningKey;
use serde_json::{json, Map, Value};

use scrutineer::log::bundle::Bundle;
use scrutineer::log::checkpoint::Checkpoint;
use scrutineer::log::cosignature::Cosigner;
use scrutineer::log::entry::{AuthorRole, Entry, EntryKind};
use scrutineer::log::event::{self, BatchBallots, Body, Decision, Event};
use scrutineer::log::merkle::Tree;
use scrutineer::log::note::{KeyName, Note, NoteSigner, VerifierKey};
use scrutineer::log::signer::LogSigner;
use scrutineer::rules::{self, Ballot, ElectionMethod, Mark, Office, Round, RoundKind};

pub const ORIGIN: &str = "scrutineer.example/m/2024-branch-7";
pub const START_MS: u64 = 1_717_200_000_000;

/// Changes a result (round id, contract JSON) before it is published.
pub type Corruption = Box<dyn Fn(&str, &mut Value)>;

/// Which scrutineers (indices) cosign the result of a round (by id).
pub type Cosigning = Box<dyn Fn(&str) -> Vec<usize>>;

/// A meeting being logged.
pub struct Sim {
    pub signer: LogSigner,
    service: SigningKey,
    pub tree: Tree,
    pub entries: Vec<Vec<u8>>,
    /// Signed checkpoint notes, by increasing size.
    pub notes: Vec<String>,
    pub method: ElectionMethod,
    pub scrutineers: Vec<(String, SigningKey, Cosigner)>,
    pub counter: (String, SigningKey),
    /// The second counter: the other reading of every batch.
    pub counter2: (String, SigningKey),
    /// The organiser (会务组织者): adopts the method, records attendance,
    /// opens rounds.
    pub organiser: (String, SigningKey),
    /// The presidium (主席团): takes the decisions.
    pub presidium: (String, SigningKey),
    clock: u64,
    /// Rounds opened: id → (round facts, ballots).
    pub rounds: Vec<(String, Round, Vec<Ballot>)>,
    /// Rounds tallied: id → the result checkpoint (signed at the tally).
    pub results: BTreeMap<String, Checkpoint>,
    /// Changes a published result before it is logged (a lying service).
    pub corrupt_tally: Option<Corruption>,
    /// Which scrutineers cosign the result of a round in [`meeting_with`]
    /// (default: 0 and 2, two of three).
    pub who_cosigns: Cosigning,
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

impl Sim {
    /// A meeting with `entitled` members, the grassroots-2020 method with
    /// `signatures_required` 2/3, three scrutineers and one counter.
    pub fn new(entitled: u64) -> Sim {
        Sim::new_seeded(entitled, [11, 12, 13])
    }

    /// [`Sim::new`] with the three scrutineers' keys made from `seeds`
    /// (a forger's meeting: same log key, other scrutineer keys).
    pub fn new_seeded(entitled: u64, seeds: [u8; 3]) -> Sim {
        let log_key = key(1);
        let note_signer = NoteSigner::new(KeyName::new(ORIGIN).expect("valid"), log_key.clone());
        let signer = LogSigner::new(ORIGIN, note_signer, None).expect("valid origin");
        let mut overrides = Map::new();
        overrides.insert(
            "signatures_required".into(),
            json!({"num": 2, "den": 3, "comparison": "inclusive"}),
        );
        let method = ElectionMethod::from_preset("grassroots-2020", &overrides).expect("preset");
        let scrutineers = [
            ("张监票", "zhang.jianpiao", seeds[0]),
            ("李监票", "li.jianpiao", seeds[1]),
            ("王监票", "wang.jianpiao", seeds[2]),
        ]
        .into_iter()
        .map(|(name, key_name, seed)| {
            let k = key(seed);
            let c = Cosigner::new(KeyName::new(key_name).expect("valid"), k.clone());
            (name.to_owned(), k, c)
        })
        .collect();
        let mut sim = Sim {
            signer,
            service: log_key,
            tree: Tree::new(),
            entries: Vec::new(),
            notes: Vec::new(),
            method: method.clone(),
            scrutineers,
            counter: ("赵计票".to_owned(), key(21)),
            counter2: ("周计票".to_owned(), key(22)),
            organiser: ("钱组织".to_owned(), key(31)),
            presidium: ("孙主席".to_owned(), key(41)),
            clock: START_MS,
            rounds: Vec::new(),
            results: BTreeMap::new(),
            corrupt_tally: None,
            who_cosigns: Box::new(|_| vec![0, 2]),
        };
        sim.service(Event::MeetingCreated {
            meeting: "m-2024-7".into(),
            name: "第七党支部党员大会".into(),
            body: Body::MembersAssembly,
            entitled,
            exclusions: vec![],
            place: None,
        });
        let organiser = sim.organiser.clone();
        sim.register(AuthorRole::Clerk, "organiser", &organiser.0, &organiser.1);
        sim.organiser_does(Event::MethodAdopted {
            preset: "grassroots-2020".into(),
            overrides,
            method: Box::new(method),
            by: Some(organiser.0.clone()),
        });
        for (name, k, _) in sim.scrutineers.clone() {
            sim.register(AuthorRole::Scrutineer, "scrutineer", &name, &k);
        }
        let counter = sim.counter.clone();
        sim.register(AuthorRole::Counter, "counter", &counter.0, &counter.1);
        let counter2 = sim.counter2.clone();
        sim.register(AuthorRole::Counter, "counter", &counter2.0, &counter2.1);
        let presidium = sim.presidium.clone();
        sim.register(
            AuthorRole::Presidium,
            "presidium",
            &presidium.0,
            &presidium.1,
        );
        sim.checkpoint();
        sim
    }

    /// The log's verifier key.
    pub fn log_vkey(&self) -> VerifierKey {
        self.signer.note_signer().verifier_key().clone()
    }

    /// Appends an entry signed by `key` in `role`.
    pub fn append(&mut self, role: AuthorRole, key: &SigningKey, event: &Event) -> u64 {
        let kind = kind_of(event);
        self.clock += 1_000;
        let entry = Entry::sign(kind, self.clock, role, key, &event::encode(event))
            .expect("fits in an entry");
        let bytes = entry.encode();
        self.tree.append(&bytes);
        self.entries.push(bytes);
        self.entries.len() as u64 - 1
    }

    /// The C2SP vkey (type 0x04) of `k` under `name`.
    pub fn vkey_of(name: &str, k: &SigningKey) -> String {
        Cosigner::new(KeyName::new(name).expect("valid"), k.clone())
            .verifier_key()
            .to_string()
    }

    /// A person registers their key, in an entry signed by that key
    /// (a C2SP vkey of type 0x04, as the web UI makes).
    pub fn register(&mut self, role: AuthorRole, role_name: &str, name: &str, k: &SigningKey) {
        let seed: String = k.verifying_key().as_bytes()[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let vkey = Sim::vkey_of(&format!("key-{seed}"), k);
        let vkey = self
            .scrutineers
            .iter()
            .find(|s| s.0 == name)
            .map_or(vkey, |s| s.2.verifier_key().to_string());
        self.append(
            role,
            k,
            &Event::KeyRegistered {
                role: role_name.into(),
                name: name.into(),
                key: vkey,
                person: None,
            },
        );
    }

    /// Appends an entry signed by the organiser.
    pub fn organiser_does(&mut self, event: Event) -> u64 {
        let k = self.organiser.1.clone();
        self.append(AuthorRole::Clerk, &k, &event)
    }

    /// Appends the service's own (unsigned) entry.
    pub fn service(&mut self, event: Event) -> u64 {
        let key = self.service.clone();
        self.append(AuthorRole::Service, &key, &event)
    }

    /// Signs a checkpoint of the whole tree.
    pub fn checkpoint(&mut self) -> Note {
        let (_, note) = self.signer.sign_tree(&self.tree).expect("consistent");
        self.notes.push(note.to_string());
        note
    }

    pub fn attendance(&mut self, present: u64) {
        let by = Some(self.organiser.0.clone());
        self.organiser_does(Event::AttendanceRecorded { present, by });
    }

    /// Opens a round with the facts given.
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        &mut self,
        id: &str,
        kind: RoundKind,
        seats: u64,
        candidates: &[&str],
        next_size: Option<u64>,
        entitled: u64,
        present: u64,
        issued: u64,
    ) {
        let candidates: Vec<String> = candidates.iter().map(|c| c.to_string()).collect();
        let opened = Event::RoundOpened {
            resolves: None,
            round: id.into(),
            contest: "支部委员会委员".into(),
            kind,
            office: Office::Committee,
            seats,
            candidates,
            next_size,
            entitled,
            present,
            issued,
            election: None,
            by: Some(self.organiser.0.clone()),
        };
        let round = event::round_of(&opened, None).expect("a round");
        self.organiser_does(opened);
        self.rounds.push((id.into(), round, Vec::new()));
    }

    /// Logs ballots of round `id` in batches of at most `per_batch`, each
    /// after the two counters' readings of it (their commitments).
    pub fn ballots(&mut self, id: &str, ballots: &[Ballot], per_batch: usize) {
        let lines = self.round(id).candidates.len();
        for (b, chunk) in ballots.chunks(per_batch.max(1)).enumerate() {
            let batch = format!("{id}-b{:03}", self.batch_count(id) + b);
            self.readings(id, &batch, chunk.len() as u64);
            let enc = BatchBallots::from_ballots(lines, chunk).expect("ballots match the round");
            self.service(Event::BallotBatch {
                round: id.into(),
                batch,
                ballots: enc,
            });
        }
        let slot = self.rounds.iter_mut().find(|r| r.0 == id).expect("opened");
        slot.2.extend_from_slice(ballots);
    }

    /// The two counters' readings of batch `batch` of round `id` (`n`
    /// ballots), which a `ballot_batch` of it needs.
    pub fn readings(&mut self, id: &str, batch: &str, n: u64) {
        for (counter, digest) in [(self.counter.clone(), "ab"), (self.counter2.clone(), "cd")] {
            self.append(
                AuthorRole::Counter,
                &counter.1,
                &Event::EntryCommitted {
                    round: id.into(),
                    batch: batch.into(),
                    counter: counter.0.clone(),
                    ballots: n,
                    digest: digest.repeat(32),
                },
            );
        }
    }

    fn batch_count(&self, id: &str) -> usize {
        self.rounds
            .iter()
            .find(|r| r.0 == id)
            .map_or(0, |r| r.2.len())
    }

    pub fn round(&self, id: &str) -> &Round {
        &self.rounds.iter().find(|r| r.0 == id).expect("opened").1
    }

    /// Closes round `id` with `returned` papers, publishes the tally the
    /// engine computes (through `corrupt_tally`, if set) and signs the
    /// result checkpoint, which ends with the tally; returns the tally's
    /// signed record (as JSON).
    pub fn close_and_tally(&mut self, id: &str, returned: u64) -> Value {
        let (name, k, _) = self.scrutineers[0].clone();
        self.append(
            AuthorRole::Scrutineer,
            &k,
            &Event::RoundClosed {
                round: id.into(),
                returned,
                replaced: None,
                voted: None,
                by: Some(name),
            },
        );
        let slot = self.rounds.iter_mut().find(|r| r.0 == id).expect("opened");
        slot.1.returned = Some(returned);
        let (round, ballots) = (slot.1.clone(), slot.2.clone());
        rules::check_ballots(&self.method, &round, &ballots).expect("ballots fit the round");
        let result = rules::evaluate(&self.method, &round, &ballots);
        let record = scrutineer::log::record::record(&self.method, &round, &result);
        let mut value: Value = serde_json::to_value(&record).expect("a record");
        if let Some(corrupt) = &self.corrupt_tally {
            corrupt(id, &mut value);
        }
        self.service(Event::TallyPublished {
            round: id.into(),
            record: Box::new(serde_json::from_value(value.clone()).expect("still a record")),
        });
        let note = self.checkpoint();
        let checkpoint = Checkpoint::parse(note.text()).expect("a checkpoint");
        self.results.insert(id.into(), checkpoint);
        value
    }

    /// The scrutineers at `which` cosign the result checkpoint of round
    /// `id`; each cosignature is logged as `result_cosigned`, signed by
    /// the scrutineer's key as the service has them do (the exporter puts
    /// the lines on the checkpoint's note). Then a checkpoint.
    pub fn cosign(&mut self, id: &str, which: &[usize]) {
        let checkpoint = self.results[id].clone();
        for &s in which {
            let (name, key, cosigner) = self.scrutineers[s].clone();
            let event = cosignature_event(id, &name, &cosigner, &checkpoint, checkpoint.size().0);
            self.append(AuthorRole::Scrutineer, &key, &event);
        }
        self.checkpoint();
    }

    pub fn decide(&mut self, id: &str, decision: Decision) {
        let (name, k) = self.presidium.clone();
        self.append(
            AuthorRole::Presidium,
            &k,
            &Event::PresidiumDecision {
                round: id.into(),
                decision,
                by: Some(name),
            },
        );
    }

    /// Signs the final checkpoint, with cosignature lines on its note by
    /// the scrutineers at `which` (they certify no result: results are
    /// certified on their result checkpoints).
    pub fn finish(&mut self, which: &[usize]) {
        let (checkpoint, mut note) = self.signer.sign_tree(&self.tree).expect("consistent");
        for (i, &s) in which.iter().enumerate() {
            let line = self.scrutineers[s]
                .2
                .cosign(&checkpoint, START_MS / 1000 + 3_600 + i as u64)
                .expect("timestamp");
            note.add_signature(line);
        }
        self.notes.push(note.to_string());
    }

    /// The bundle, straight from memory.
    pub fn bundle(&self) -> Bundle {
        Bundle::from_log(ORIGIN, &self.log_vkey(), &self.entries, &self.notes).expect("bundle")
    }
}

/// A `result_cosigned` event of round `id` by `name`, whose cosigner signs
/// `checkpoint` but claims the checkpoint of size `claimed`.
pub fn cosignature_event(
    id: &str,
    name: &str,
    cosigner: &Cosigner,
    checkpoint: &Checkpoint,
    claimed: u64,
) -> Event {
    let line = cosigner
        .cosign(checkpoint, START_MS / 1000 + 3_600)
        .expect("timestamp");
    Event::ResultCosigned {
        round: id.into(),
        scrutineer: name.into(),
        checkpoint_size: claimed,
        signature: scrutineer::log::bundle::cosignature_value(&line),
    }
}

/// The entry kind of an event.
pub fn kind_of(event: &Event) -> EntryKind {
    event.entry_kind()
}

/// `n` ballots with the marks `YNA?` string.
pub fn times(n: usize, marks: &str) -> Vec<Ballot> {
    let m = Ballot::parse_marks(marks).expect("marks");
    vec![Ballot::marked(m); n]
}

pub fn void(reason: &str) -> Ballot {
    Ballot::Void {
        reason: reason.into(),
    }
}

pub fn write_in(marks: &str, line: usize, name: &str) -> Ballot {
    Ballot::Marked {
        marks: Ballot::parse_marks(marks).expect("marks"),
        write_ins: vec![(line, name.into())],
        names: vec![],
    }
}

/// The realistic meeting of the tests: a preliminary ballot (8 → 6), a
/// formal ballot for 5 seats with a tie for the last seat, its runoff.
pub fn meeting() -> Sim {
    meeting_with(|_| {})
}

/// The same meeting, with `setup` applied to the simulator before any
/// round (e.g. to corrupt a tally, or to choose who cosigns).
pub fn meeting_with(setup: impl FnOnce(&mut Sim)) -> Sim {
    meeting_seeded([11, 12, 13], setup)
}

/// [`meeting_with`], the scrutineers' keys made from `seeds`.
pub fn meeting_seeded(seeds: [u8; 3], setup: impl FnOnce(&mut Sim)) -> Sim {
    let mut sim = Sim::new_seeded(500, seeds);
    setup(&mut sim);
    sim.attendance(480);
    let pre = [
        "丁一", "王二", "刘三", "张四", "陈五", "周六", "吴七", "郑八",
    ];
    sim.open(
        "p1",
        RoundKind::Preliminary,
        5,
        &pre,
        Some(6),
        500,
        480,
        480,
    );
    let mut ballots = Vec::new();
    ballots.extend(times(150, "YYYYYYNN"));
    ballots.extend(times(130, "YYYYNYYN"));
    ballots.extend(times(120, "YYYNYYAN"));
    ballots.extend(times(70, "NYYYYYNA"));
    ballots.push(void("选票上署名"));
    ballots.push(write_in("YYYYYNNN", 6, "孙九"));
    ballots.extend(times(2, "Y?YYYYNN"));
    sim.ballots("p1", &ballots, 120);
    let p1 = sim.close_and_tally("p1", ballots.len() as u64);
    let who = (sim.who_cosigns)("p1");
    sim.cosign("p1", &who);
    sim.decide(
        "p1",
        Decision::AcceptList {
            list: names(&p1["next_list"]),
        },
    );
    sim.checkpoint();

    // Formal: 4 certain, 王二... tie for the fifth seat.
    let formal: Vec<String> = names(&p1["next_list"]);
    let formal: Vec<&str> = formal.iter().map(String::as_str).collect();
    sim.attendance(478);
    sim.open("f1", RoundKind::Formal, 5, &formal, None, 500, 478, 478);
    // Each ballot: YYY on the first three, one N among lines 3..5.
    let mut ballots = Vec::new();
    ballots.extend(times(100, "YYYNYY"));
    ballots.extend(times(185, "YYYYNY"));
    ballots.extend(times(185, "YYYYYN"));
    ballots.push(void("无法辨认"));
    ballots.push(times(1, "YYYYYY").remove(0)); // six selections for five seats
    ballots.push(write_in("YYYYNN", 4, "孙九"));
    sim.ballots("f1", &ballots, 100);
    let f1 = sim.close_and_tally("f1", ballots.len() as u64);
    let who = (sim.who_cosigns)("f1");
    sim.cosign("f1", &who);
    let runoff = &f1["runoff"];
    let among = names(&runoff["among"]);
    sim.decide(
        "f1",
        Decision::CallRunoff {
            round: "f1-r".into(),
            among: among.clone(),
            seats: runoff["seats"].as_u64().unwrap_or(1),
        },
    );
    sim.checkpoint();

    let among: Vec<&str> = among.iter().map(String::as_str).collect();
    sim.open("f1-r", RoundKind::Runoff, 1, &among, None, 500, 478, 478);
    let mut ballots = Vec::new();
    ballots.extend(times(260, "YN"));
    ballots.extend(times(190, "NY"));
    ballots.extend(times(20, "AA"));
    ballots.extend(times(3, "YY"));
    sim.ballots("f1-r", &ballots, 200);
    sim.close_and_tally("f1-r", ballots.len() as u64);
    let who = (sim.who_cosigns)("f1-r");
    sim.cosign("f1-r", &who);
    sim.decide("f1-r", Decision::Announce);
    sim.finish(&[]);
    sim
}

pub fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Ballots for a bench: `n` plain ballots over `lines` candidates, in a
/// fixed pseudo-random pattern with at most `seats` for-marks each.
pub fn plain_ballots(n: usize, lines: usize, seats: usize) -> Vec<Ballot> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|_| {
            let mut marks = vec![Mark::Abstain; lines];
            let mut chosen = 0;
            for m in marks.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *m = match state % 3 {
                    0 if chosen < seats => {
                        chosen += 1;
                        Mark::For
                    }
                    1 => Mark::Against,
                    _ => Mark::Abstain,
                };
            }
            Ballot::marked(marks)
        })
        .collect()
}
