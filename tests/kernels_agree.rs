//! The packed kernels and the rule engine agree: on every casebook round and
//! on random rounds, counting the plain ballots with each kernel (naive,
//! portable, AVX2, AVX-512 where the CPU has them) and the rest with the
//! reference reader gives the engine's result, byte for byte.
//!
//! And every kernel equals the reference kernel (`Kernel::Naive`) through
//! the public API at the widths where the fast kernels change shape — on
//! and beside every word boundary (63, 64, 65, 127, 128, 129, …) — for
//! ballots that are over the limit only because of a later word, on whole
//! sets and on sub-ranges ending in a partial block; on one thread and
//! split over two or three (`count::tally_with_threads`).

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

/// Widths at and around every word boundary up to eleven words, and the
/// benchmark's widths.
const BOUNDARY_WIDTHS: [usize; 27] = [
    1, 31, 32, 33, 63, 64, 65, 95, 96, 97, 127, 128, 129, 159, 160, 161, 191, 192, 193, 255, 256,
    257, 300, 319, 320, 321, 352,
];

/// One generated ballot: its marks and side-table data.
type Row = (Vec<count::Mark>, count::SideInfo);

/// Ballots of `candidates` lines around `limit`: random ones, and ones
/// whose for-marks (exactly `limit` or one more) start in a chosen word,
/// so that a ballot is over the limit only because of a later word; a few
/// carry write-ins or are declared void.
fn edge_ballots(candidates: usize, limit: usize, picks: &[(u8, u16, u8)]) -> Vec<Row> {
    use count::Mark;
    let words = candidates.div_ceil(count::LINES_PER_WORD);
    picks
        .iter()
        .map(|&(kind, at, noise)| {
            let mut marks: Vec<Mark> = (0..candidates)
                .map(|c| match (c as u16 ^ at).wrapping_mul(0x9E37) >> 14 {
                    0 => Mark::For,
                    1 | 2 => Mark::Against,
                    _ => Mark::Abstain,
                })
                .collect();
            if kind % 4 != 0 {
                // `limit` or `limit + 1` for-marks from the first line of
                // word `at % words` on, wrapping round; nothing else is for.
                for m in marks.iter_mut().filter(|m| **m == Mark::For) {
                    *m = Mark::Against;
                }
                let target = (limit + usize::from(kind % 2 == 1)).min(candidates);
                let start = (usize::from(at) % words) * count::LINES_PER_WORD;
                for k in 0..target {
                    marks[(start + k) % candidates] = Mark::For;
                }
            }
            let side = count::SideInfo {
                extra_selections: u8::from(noise % 11 == 0),
                void: noise % 13 == 0,
            };
            (marks, side)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    /// Every kernel the CPU has gives the reference's tally, through the
    /// public API, at widths on and beside word boundaries (63, 64, 65,
    /// 127, 128, 129, …), for ballots over the limit only in a later word,
    /// at the limit, with write-ins and void ones, on whole sets and on
    /// sub-ranges that start mid-block and end in a partial block.
    #[test]
    fn kernels_equal_reference_at_word_boundaries(
        width in prop::sample::select(BOUNDARY_WIDTHS.to_vec()),
        limit_at in 0usize..=100,
        picks in prop::collection::vec((any::<u8>(), any::<u16>(), any::<u8>()), 0..1200),
        cut in any::<(u16, u16)>(),
    ) {
        let limit = width * limit_at / 100;
        let mut packed = count::PackedBallots::new(width).unwrap();
        for (marks, side) in edge_ballots(width, limit, &picks) {
            packed.push_with(&marks, side.extra_selections, side.void).unwrap();
        }
        let n = packed.len();
        let start = usize::from(cut.0) % (n + 1);
        let end = start + usize::from(cut.1) % (n - start + 1);
        for view in [packed.view(), packed.slice(start..end).unwrap()] {
            for limit in [limit as u32, u32::MAX] {
                let want = count::tally_with(view, limit, Kernel::Naive).unwrap();
                prop_assert_eq!(want.valid + want.invalid, view.len() as u64);
                for kernel in Kernel::ALL.into_iter().chain([Kernel::Auto]).filter(|k| k.is_available()) {
                    let got = count::tally_with(view, limit, kernel).unwrap();
                    prop_assert_eq!(&got, &want, "{:?}, {} candidates, limit {}", kernel, width, limit);
                    for threads in [2, 3] {
                        let got = count::tally_with_threads(view, limit, kernel, threads).unwrap();
                        prop_assert_eq!(&got, &want, "{:?} on {} threads, {} candidates, limit {}", kernel, threads, width, limit);
                    }
                }
            }
        }
    }
}

/// Ballots over the limit only because of one later word, at every width
/// on a word boundary and beside it: every word before it holds no
/// for-mark, the word itself pushes the total one over (or exactly to) the
/// limit; repeated so that the kernels' full blocks, not only the padded
/// tail, see them at every offset.
#[test]
fn invalid_only_in_a_later_word() {
    use count::{Mark, PackedBallots, LINES_PER_WORD};
    for width in [
        33usize, 63, 64, 65, 96, 127, 128, 129, 160, 192, 300, 320, 321,
    ] {
        let words = width.div_ceil(LINES_PER_WORD);
        let limit = 5usize;
        let mut one = PackedBallots::new(width).unwrap();
        let mut expected_invalid = 0;
        for word in 1..words {
            for extra in [0usize, 1] {
                // `limit - 1` for-marks in word 0 would make every ballot
                // reach the limit only in the later word: one mark there
                // gives `limit`, two give `limit + 1`.
                let mut marks = vec![Mark::Against; width];
                for m in marks.iter_mut().take(limit - 1) {
                    *m = Mark::For;
                }
                let first = word * LINES_PER_WORD;
                for k in 0..=extra {
                    if first + k < width {
                        marks[first + k] = Mark::For;
                    }
                }
                let over = (limit - 1) + (extra + 1).min(width - first) > limit;
                expected_invalid += usize::from(over);
                one.push(&marks).unwrap();
            }
        }
        if one.is_empty() {
            continue;
        }
        let t = count::tally(&one, limit as u32);
        assert_eq!(t.invalid as usize, expected_invalid, "{width} candidates");
        let many = PackedBallots::from_words(
            width,
            one.words()
                .iter()
                .copied()
                .cycle()
                .take(one.words().len() * 257)
                .collect(),
        )
        .unwrap();
        for view in [many.view(), many.slice(3..many.len() - 5).unwrap()] {
            let want = count::tally_with(view, limit as u32, Kernel::Naive).unwrap();
            for kernel in Kernel::ALL.into_iter().filter(|k| k.is_available()) {
                assert_eq!(
                    count::tally_with(view, limit as u32, kernel).unwrap(),
                    want,
                    "{kernel:?}, {width} candidates"
                );
                assert_eq!(
                    count::tally_with_threads(view, limit as u32, kernel, 2).unwrap(),
                    want,
                    "{kernel:?} on 2 threads, {width} candidates"
                );
            }
        }
    }
}
