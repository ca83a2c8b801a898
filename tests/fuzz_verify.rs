//! Bounded fuzzing of the auditor's verifier on stable Rust, in every CI
//! run (issue 13): the same inputs as the nightly cargo-fuzz targets in
//! `fuzz/` (bundle bytes, zip bytes), but with proptest, a fixed seed and
//! a fixed number of cases, so it finishes in seconds in a debug build and
//! always tries the same inputs.
//!
//! Inputs are a real, signed bundle (the simulator's one-round meeting)
//! with its files mutated — bytes flipped, cut, spliced, files dropped,
//! doubled or renamed — its zip mutated the same way, and zips of random
//! files. `verify` must never panic, and must never say "verified" for a
//! bundle with a byte that differs from the signed one (a file may be
//! missing: intermediate checkpoints are optional evidence).

use crate::sim;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use scrutineer::bundle_io::{bundle_from_zip, verify_parallel, zip, zip_bytes};
use scrutineer::log::bundle::Bundle;
use scrutineer::log::event::Decision;
use scrutineer::log::verify::verify;
use scrutineer::rules::{Ballot, RoundKind};

/// Cases per target: a few seconds in a debug build.
const CASES: u32 = 500;

/// A fixed seed: every run tries the same inputs.
fn runner() -> TestRunner {
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[13; 32]))
}

/// A small real bundle: one formal round, a write-in, a void ballot,
/// cosigned and announced.
fn real_bundle() -> Bundle {
    let mut s = sim::Sim::new(12);
    s.attendance(12);
    s.open(
        "f1",
        RoundKind::Formal,
        2,
        &["丁一", "王二", "刘三"],
        None,
        12,
        12,
        12,
    );
    let mut ballots: Vec<Ballot> = sim::times(9, "YYN");
    ballots.push(sim::write_in("YNN", 1, "孙九"));
    ballots.push(sim::void("选票上署名"));
    ballots.extend(sim::times(1, "Y?N"));
    s.ballots("f1", &ballots, 5);
    s.close_and_tally("f1", 12);
    s.cosign("f1", &[0, 1]);
    s.decide("f1", Decision::Announce);
    s.finish(&[]);
    s.bundle()
}

/// One change to a sequence of bytes.
#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, bits: u8 },
    Cut { at: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Copy { from: usize, to: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, bits)| Mutation::Flip { at, bits }),
        any::<usize>().prop_map(|at| Mutation::Cut { at }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), any::<usize>(), 1usize..64).prop_map(|(from, to, len)| Mutation::Copy {
            from,
            to,
            len
        }),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let n = bytes.len();
    match m {
        Mutation::Flip { at, bits } if n > 0 => bytes[at % n] ^= bits,
        Mutation::Cut { at } => bytes.truncate(at % (n + 1)),
        Mutation::Insert { at, bytes: b } => {
            let at = at % (n + 1);
            bytes.splice(at..at, b.iter().copied());
        }
        Mutation::Copy { from, to, len } if n > 0 => {
            let from = from % n;
            let len = (*len).min(n - from);
            let chunk = bytes[from..from + len].to_vec();
            let to = to % n;
            let end = (to + len).min(n);
            bytes[to..end].copy_from_slice(&chunk[..end - to]);
        }
        _ => {}
    }
}

/// A change to a bundle as a whole, or to one of its files.
#[derive(Debug, Clone)]
enum Edit {
    Bytes { file: usize, m: Mutation },
    Drop { file: usize },
    Double { file: usize, to: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        6 => (any::<usize>(), mutation()).prop_map(|(file, m)| Edit::Bytes { file, m }),
        1 => any::<usize>().prop_map(|file| Edit::Drop { file }),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(file, to)| Edit::Double { file, to }),
    ]
}

fn edited(original: &Bundle, edits: &[Edit]) -> Bundle {
    let mut b = original.clone();
    for e in edits {
        let paths: Vec<String> = b.files().map(|(p, _)| p.to_owned()).collect();
        if paths.is_empty() {
            break;
        }
        match e {
            Edit::Bytes { file, m } => {
                let path = &paths[file % paths.len()];
                let mut bytes = b.get(path).unwrap_or_default().to_vec();
                apply(&mut bytes, m);
                b.put(path, bytes);
            }
            Edit::Drop { file } => {
                b.remove(&paths[file % paths.len()]);
            }
            Edit::Double { file, to } => {
                // One file's bytes under another's name.
                let bytes = b
                    .get(&paths[file % paths.len()])
                    .unwrap_or_default()
                    .to_vec();
                b.put(&paths[to % paths.len()], bytes);
            }
        }
    }
    b
}

/// Every file of `b` is the original's, byte for byte (files may be
/// missing: an intermediate checkpoint is optional evidence).
fn unchanged(b: &Bundle, original: &Bundle) -> bool {
    b.files().all(|(p, bytes)| original.get(p) == Some(bytes))
}

#[test]
fn verify_never_panics_on_mutated_bundles() {
    let original = real_bundle();
    assert!(verify(&original).is_verified(), "the real bundle verifies");
    runner()
        .run(&prop::collection::vec(edit(), 1..4), |edits| {
            let b = edited(&original, &edits);
            let r = verify(&b);
            if r.is_verified() {
                prop_assert!(
                    unchanged(&b, &original),
                    "a changed bundle verified: {edits:?}"
                );
            }
            Ok(())
        })
        .expect("verify on mutated bundles");
}

#[test]
fn verify_never_panics_on_mutated_zips() {
    let original = real_bundle();
    let zipped = zip_bytes(&original).expect("zips");
    runner()
        .run(&prop::collection::vec(mutation(), 1..4), |ms| {
            let mut bytes = zipped.clone();
            for m in &ms {
                apply(&mut bytes, m);
            }
            if let Ok(b) = bundle_from_zip(&bytes) {
                // The CLI's path: the same checks over the cores.
                let r = verify_parallel(&b);
                if r.is_verified() {
                    prop_assert!(unchanged(&b, &original), "a changed zip verified: {ms:?}");
                }
            }
            Ok(())
        })
        .expect("verify on mutated zips");
}

#[test]
fn verify_never_panics_on_random_zips() {
    // Random files under bundle-like and random names, zipped, sometimes
    // mutated; and plain random bytes.
    let name = prop_oneof![
        Just("origin".to_owned()),
        Just("log.vkey".to_owned()),
        Just("keys.txt".to_owned()),
        (0u64..20).prop_map(|i| format!("entries/{i:08}.bin")),
        (0u64..20).prop_map(|i| format!("checkpoints/{i:08}.note")),
        "[a-z/.]{1,12}",
    ];
    let files = prop::collection::vec((name, prop::collection::vec(any::<u8>(), 0..200)), 0..8);
    let input = (
        files,
        prop::collection::vec(mutation(), 0..3),
        any::<bool>(),
    );
    runner()
        .run(&input, |(files, ms, raw)| {
            let mut bytes = if raw {
                files.iter().flat_map(|(_, b)| b.iter().copied()).collect()
            } else {
                zip::write(files.iter().map(|(n, b)| (n.as_str(), b.as_slice())))
                    .unwrap_or_default()
            };
            for m in &ms {
                apply(&mut bytes, m);
            }
            if let Ok(b) = bundle_from_zip(&bytes) {
                prop_assert!(!verify(&b).is_verified(), "random bytes verified");
            }
            Ok(())
        })
        .expect("verify on random zips");
}
