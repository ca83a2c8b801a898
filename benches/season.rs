//! A provincial election season: the higher organisation verifies the audit
//! bundles of many meetings (issue 15, item 5). 10,000 realistic meetings —
//! 50 to 500 ballots a round, 3 to 5 rounds, three scrutineers of whom two
//! cosign every result — are simulated once as zip files, then verified
//! from the zip bytes as `scrutineer verify BUNDLE.zip` does (read the zip,
//! check every step, replay every tally), one bundle per task on every
//! core. The same-run baseline is SHA-256 over the same zip bytes on the
//! same cores: the least any verifier must do is read and hash every byte.
//!
//! Run: `cargo bench --bench season` (`SEASON_MEETINGS=N` for another
//! size; `SEASON_EVENTS=all` for the decode time by kind of event). Ends
//! with `season: … bundles/s …, ratio N.NNx` — the goal is ≥ 1,000
//! bundles/s. Results: docs/performance.md, "A season".

#[path = "../tests/sim/mod.rs"]
mod sim;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use scrutineer::bundle_io::{bundle_from_zip, zip_bytes};
use scrutineer::log::entry::{AuthorRole, Entry};
use scrutineer::log::event;
use scrutineer::log::note::Note;
use scrutineer::log::sigbatch::{self, Item};
use scrutineer::log::verify::verify;
use scrutineer::log::verify::{check_entries_strict, verify_checked_with, Signatures};
use scrutineer::rules::{Ballot, Mark, RoundKind};
use sha2::{Digest, Sha256};

/// A small deterministic generator (xorshift64), so every run verifies the
/// same season.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

const SURNAMES: [&str; 12] = [
    "丁", "王", "刘", "张", "陈", "周", "吴", "郑", "孙", "李", "赵", "钱",
];
const GIVEN: [&str; 8] = ["一", "二", "三", "四", "五", "六", "七", "八"];

/// One meeting: 3–5 formal rounds, each for 3–7 seats with one more
/// candidate than seats (差额), 50–500 ballots entered in batches of 50,
/// tallied, and cosigned by two of the three scrutineers.
fn meeting(rng: &mut Rng) -> Vec<u8> {
    let rounds = rng.range(3, 5);
    let voters = rng.range(50, 500);
    let entitled = voters + rng.range(0, voters / 10);
    let mut s = sim::Sim::new(entitled);
    s.attendance(voters);
    for r in 0..rounds {
        let seats = rng.range(3, 7) as usize;
        let names: Vec<String> = (0..=seats)
            .map(|i| format!("{}{}{}", SURNAMES[(r as usize + i) % 12], GIVEN[i % 8], r))
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let id = format!("f{r}");
        s.open(
            &id,
            RoundKind::Formal,
            seats as u64,
            &names,
            None,
            entitled,
            voters,
            voters,
        );
        let ballots: Vec<Ballot> = (0..voters)
            .map(|_| {
                // Up to `seats` for-marks; the rest against or abstain.
                let mut chosen = 0;
                let marks = (0..names.len())
                    .map(|_| match rng.next() % 4 {
                        0 | 1 if chosen < seats => {
                            chosen += 1;
                            Mark::For
                        }
                        2 => Mark::Against,
                        _ => Mark::Abstain,
                    })
                    .collect();
                Ballot::marked(marks)
            })
            .collect();
        s.ballots(&id, &ballots, 50);
        s.close_and_tally(&id, voters);
        s.cosign(&id, &[0, 1]);
    }

    zip_bytes(&s.bundle()).expect("a zip")
}

fn season(n: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng(0x5eed_2026_1201_0001);
    (0..n).map(|_| meeting(&mut rng)).collect()
}

fn verify_zip(zip: &[u8]) -> bool {
    match bundle_from_zip(zip) {
        Ok(bundle) => verify(&bundle).is_verified(),
        Err(_) => false,
    }
}

/// [`verify_zip`] with every signature checked by `verify_strict` alone
/// (`scrutineer verify --strict`).
fn verify_zip_strict(zip: &[u8]) -> bool {
    match bundle_from_zip(zip) {
        Ok(bundle) => verify_checked_with(
            &bundle,
            &[],
            &Default::default(),
            Signatures::Strict,
            check_entries_strict,
        )
        .is_verified(),
        Err(_) => false,
    }
}

/// Runs `work` over every bundle, one bundle at a time per core.
fn on_all_cores(bundles: &[Vec<u8>], work: impl Fn(&[u8]) -> bool + Sync) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let ok = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..cores {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(zip) = bundles.get(i) else { break };
                if work(zip) {
                    ok.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    ok.into_inner()
}

/// The baseline's work per bundle: hash every byte (always "succeeds").
fn sha256(zip: &[u8]) -> bool {
    black_box(Sha256::digest(zip));
    true
}

/// `SEASON_EVENTS=all` (or a kind, e.g. `tally_published`): the time
/// `event::decode` takes on the first bundle's payloads, and
/// `event::encode` on their events (beside the `serde_json::Value` it
/// replaced), summed by kind of event. The kind named is decoded 100 times
/// as often, for a profiler.
fn decode_by_kind(zip: &[u8], profiled: &str) {
    let Ok(bundle) = bundle_from_zip(zip) else {
        return;
    };
    let mut by_kind: BTreeMap<String, [Duration; 3]> = BTreeMap::new();
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let timed = |reps: u32, f: &dyn Fn()| {
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        t.elapsed() / reps
    };
    for bytes in &bundle.parts().entries {
        let Ok(entry) = Entry::decode(bytes) else {
            continue;
        };
        let payload = entry.payload();
        let Ok(event) = event::decode(payload) else {
            continue;
        };
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(payload) else {
            continue;
        };
        let kind = value["type"].as_str().unwrap_or("?").to_owned();
        let reps = if kind == profiled { 20_000 } else { 200 };
        let through_value = || {
            let mut v = serde_json::to_value(&event).unwrap_or_default();
            if let Some(map) = v.as_object_mut() {
                map.insert("v".into(), 1.into());
            }
            serde_json::to_vec(&v).unwrap_or_default()
        };
        assert_eq!(event::encode(&event), through_value());
        let row = by_kind.entry(kind.clone()).or_default();
        row[0] += timed(reps, &|| {
            black_box(event::decode(black_box(payload)).is_ok());
        });
        row[1] += timed(200, &|| {
            black_box(event::encode(black_box(&event)));
        });
        row[2] += timed(200, &|| {
            black_box(through_value());
        });
        let count = counts.entry(kind).or_default();
        count.0 += 1;
        count.1 += payload.len();
    }
    for (kind, [decode, encode, value]) in &by_kind {
        let (n, bytes) = counts[kind];
        eprintln!(
            "season: {kind:22} {n:4} events {bytes:7} bytes: decode {:7.1} µs, encode {:7.1} µs (through a Value {:7.1} µs)",
            decode.as_secs_f64() * 1e6,
            encode.as_secs_f64() * 1e6,
            value.as_secs_f64() * 1e6,
        );
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("SEASON_MEETINGS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let t = Instant::now();
    let bundles = season(n);
    let bytes: usize = bundles.iter().map(Vec::len).sum();
    eprintln!(
        "season: {n} meetings simulated in {:.1} s, {:.1} MB of zip bytes ({:.1} KB a bundle)",
        t.elapsed().as_secs_f64(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e3 / n as f64
    );
    assert_eq!(
        on_all_cores(&bundles, verify_zip),
        n,
        "every bundle verifies"
    );

    let one = &bundles[0];
    if let Ok(b) = bundle_from_zip(one) {
        let count = |prefix: &str| b.files().filter(|(p, _)| p.starts_with(prefix)).count();
        let parts = b.parts();
        let signed: Vec<Entry> = parts
            .entries
            .iter()
            .filter_map(|e| Entry::decode(e).ok())
            .filter(|e| e.role() != AuthorRole::Service && e.signature().is_some())
            .collect();
        let signers: BTreeSet<&[u8; 32]> = signed.iter().map(Entry::author).collect();
        let note_lines: usize = parts
            .checkpoints
            .iter()
            .filter_map(|f| Note::from_bytes(f.bytes).ok())
            .map(|n| n.signatures().len())
            .sum();
        eprintln!(
            "season: the first bundle has {} entries ({} signed by {} persons) and {} checkpoints ({} signature lines)",
            count("entries/"),
            signed.len(),
            signers.len(),
            count("checkpoints/"),
            note_lines,
        );
    }
    if let Ok(kind) = std::env::var("SEASON_EVENTS") {
        decode_by_kind(one, &kind);
    }
    let mut g = c.benchmark_group("season: one meeting bundle");
    g.throughput(Throughput::Bytes(one.len() as u64));
    g.bench_function("sha256 of the zip (baseline)", |b| {
        b.iter(|| black_box(Sha256::digest(one)))
    });
    g.bench_function("verify the zip", |b| b.iter(|| black_box(verify_zip(one))));
    g.bench_function("verify the zip, --strict", |b| {
        b.iter(|| black_box(verify_zip_strict(one)))
    });
    g.finish();

    // The signatures of a bundle alone: 60 entry signatures by 6 keys
    // (52-byte signed messages, as an entry's), in one batch and one by one.
    let signers: Vec<SigningKey> = (1..=6u8)
        .map(|k| SigningKey::from_bytes(&[k; 32]))
        .collect();
    let owned: Vec<([u8; 32], [u8; 52], [u8; 64])> = (0..60u8)
        .map(|i| {
            let k = &signers[i as usize % 6];
            let m = [i; 52];
            (k.verifying_key().to_bytes(), m, k.sign(&m).to_bytes())
        })
        .collect();
    let items: Vec<Item<'_>> = owned
        .iter()
        .map(|(key, message, signature)| Item {
            key,
            message,
            signature,
        })
        .collect();
    let mut g = c.benchmark_group("season: 60 signatures by 6 keys");
    g.throughput(Throughput::Elements(60));
    g.bench_function("sigbatch::verify", |b| {
        b.iter(|| black_box(sigbatch::verify(&items)))
    });
    g.bench_function("verify_strict each", |b| {
        b.iter(|| {
            owned.iter().all(|(key, message, signature)| {
                VerifyingKey::from_bytes(key).is_ok_and(|k| {
                    k.verify_strict(message, &Signature::from_bytes(signature))
                        .is_ok()
                })
            })
        })
    });
    g.finish();

    // The season, interleaved with its baseline so both see the same machine.
    let mut base = Vec::new();
    let mut full = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        black_box(on_all_cores(&bundles, sha256));
        base.push(t.elapsed());
        let t = Instant::now();
        black_box(on_all_cores(&bundles, verify_zip));
        full.push(t.elapsed());
    }
    let (base, full) = (median(base), median(full));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    eprintln!(
        "season: {n} bundles verified on {cores} cores in {:.2} s = {:.0} bundles/s; sha256 of the same bytes {:.1} ms; ratio {:.2}x",
        full.as_secs_f64(),
        n as f64 / full.as_secs_f64(),
        base.as_secs_f64() * 1e3,
        full.as_secs_f64() / base.as_secs_f64()
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
