//! The packed kernels and the rule engine agree: on every casebook round and
//! on random rounds, counting the plain ballots with each kernel (naive,
//! portable, AVX2, AVX-512 where the CPU has them) and the rest with the
//! reference reader gives the engine's result, byte for byte.

use std::path::Path;

use proptest::prelude::*;

use scrutineer::count::{self, Kernel};
use scrutineer::log::event::BatchBallots;
use scrutineer::report;
use scrutineer::rules::tally::{count as reference, Counts, InvalidReason, LineCount};
use scrutineer::rules::{self, roundfile, Ballot, ElectionMethod, Round};

/// Counts of `ballots` with `kernel` for the plain ones.
fn kernel_counts(
    method: &ElectionMethod,
    round: &Round,
    ballots: &[Ballot],
    kernel: Kernel,
) -> Counts {
    let batch = BatchBallots::from_ballots(round.candidates.len(), ballots).unwrap();
    let special = batch
        .to_ballots()
        .unwrap()
        .split_off(batch.plain_count as usize);
    let mut c = reference(method, round, &special);
    let packed = batch.packed().unwrap();
    let limit = round
        .selection_limit(method)
        .map_or(u32::MAX, |l| u32::try_from(l).unwrap_or(u32::MAX));
    let t = count::tally_with(packed.view(), limit, kernel).unwrap();
    for (i, line) in c.lines.iter_mut().enumerate() {
        *line = LineCount {
            for_votes: line.for_votes + t.for_votes[i],
            against: line.against + t.against[i],
            abstain: line.abstain + t.abstain[i],
        };
    }
    c.valid += t.valid;
    c.invalid += t.invalid;
    if t.invalid > 0 {
        *c.invalid_by_reason
            .entry(InvalidReason::Overvote)
            .or_default() += t.invalid;
    }
    c
}

fn check(text: &str) {
    let f = roundfile::parse(text, None).unwrap();
    let want = rules::evaluate(&f.method, &f.round, &f.ballots);
    let want = report::json::to_string(&f.method, &f.round, &want);
    for kernel in Kernel::ALL.into_iter().filter(|k| k.is_available()) {
        let counts = kernel_counts(&f.method, &f.round, &f.ballots, kernel);
        let got = rules::outcome::evaluate_counts(&f.method, &f.round, counts);
        assert_eq!(
            report::json::to_string(&f.method, &f.round, &got),
            want,
            "{kernel:?}"
        );
    }
}

#[test]
fn every_casebook_round() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/casebook");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".json") && !name.ends_with(".expected.json") {
            check(&std::fs::read_to_string(&p).unwrap());
            n += 1;
        }
    }
    assert!(n >= 10);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Random formal rounds of 1–129 candidates (one- to five-word ballots)
    /// with overvotes, write-ins, illegible marks and void ballots.
    #[test]
    fn random_rounds(
        candidates in prop_oneof![1usize..40, 40usize..130],
        seats in prop_oneof![1u64..6, 6u64..130],
        ballots in prop::collection::vec((prop::collection::vec(0u8..4, 130), 0u8..12), 0..300),
    ) {
        let names: Vec<String> = (0..candidates).map(|i| format!("候选人{i:02}")).collect();
        let marks: Vec<serde_json::Value> = ballots.iter().map(|(m, extra)| {
            let s: String = m[..candidates].iter().map(|c| ['Y', 'N', 'A', 'A'][*c as usize]).collect();
            match extra {
                0 => serde_json::json!({ "void": "签名" }),
                1 => serde_json::json!(s.replacen('A', "?", 1)),
                2 if s.contains('N') => {
                    let line = s.find('N').unwrap_or(0);
                    serde_json::json!({ "marks": s, "write_ins": { line.to_string(): "李七" } })
                }
                _ => serde_json::json!(s),
            }
        }).collect();
        let n = marks.len();
        let text = serde_json::json!({
            "method": { "preset": "grassroots-2020", "overrides": { "differential": { "committee": { "kind": "none" } } } },
            "round": { "kind": "formal", "seats": seats.min(candidates as u64), "candidates": names,
                       "entitled": n.max(1), "present": n.max(1) },
            "ballots": marks,
        }).to_string();
        check(&text);
    }
}
