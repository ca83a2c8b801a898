//! Every kernel against the naive oracle, plus hand-checked cases.

use super::*;
use proptest::prelude::*;

/// Deterministic pseudo-random ballots: `for_weight`/16 of lines for, the
/// rest split between against and abstain; every `side_every`-th ballot
/// (0 = none) gets write-ins or a void declaration.
fn ballots(
    candidates: usize,
    n: usize,
    seed: u64,
    for_weight: u64,
    side_every: usize,
) -> PackedBallots {
    let mut rng = seed | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut packed = PackedBallots::new(candidates).expect("candidates ≥ 1");
    let mut marks = vec![Mark::Abstain; candidates];
    for i in 0..n {
        for m in marks.iter_mut() {
            let r = next() % 32;
            *m = if r < 2 * for_weight {
                Mark::For
            } else if r % 2 == 0 {
                Mark::Against
            } else {
                Mark::Abstain
            };
        }
        let (extra, void) = if side_every != 0 && i % side_every == 0 {
            let r = next();
            ((r % 4) as u8, r % 7 == 0)
        } else {
            (0, false)
        };
        packed
            .push_with(&marks, extra, void)
            .expect("one mark per line");
    }
    packed
}

fn all_kernels_agree(view: BallotsView<'_>, limit: u32) {
    let expected = naive::tally(view, limit);
    assert_eq!(
        expected.valid + expected.invalid,
        view.len() as u64,
        "oracle lost ballots"
    );
    for kernel in Kernel::ALL.into_iter().chain([Kernel::Auto]) {
        if kernel.is_available() {
            let got = tally_with(view, limit, kernel).expect("available");
            assert_eq!(got, expected, "{kernel:?}, limit {limit}");
            // Split over threads at ballots that fall anywhere in the
            // kernels' blocks and registers.
            for threads in [2, 3] {
                let got = tally_with_threads(view, limit, kernel, threads).expect("available");
                assert_eq!(
                    got, expected,
                    "{kernel:?} on {threads} threads, limit {limit}"
                );
            }
        }
    }
}

fn sizes() -> impl Strategy<Value = usize> {
    prop_oneof![
        prop::sample::select(vec![
            0, 1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 383, 384,
            385, 4095, 4096, 4097
        ]),
        0usize..5000,
    ]
}

fn limits() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..=72, Just(u32::MAX), any::<u32>()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_kernel_equals_naive(
        candidates in 1usize..=70,
        n in sizes(),
        seed in any::<u64>(),
        for_weight in 0u64..=16,
        side_every in prop_oneof![Just(0usize), 1usize..40],
        limit in limits(),
        cut in any::<(u16, u16)>(),
    ) {
        let packed = ballots(candidates, n, seed, for_weight, side_every);
        all_kernels_agree(packed.view(), limit);
        // An unaligned sub-range, with its share of the side table.
        let start = usize::from(cut.0) % (n + 1);
        let end = start + usize::from(cut.1) % (n - start + 1);
        let view = packed.slice(start..end).expect("in bounds");
        all_kernels_agree(view, limit);
        prop_assert_eq!(tally(&packed, limit), naive::tally(packed.view(), limit));
    }

    /// A tally with no limit is the tally under any limit of at least the
    /// most for-marks on a ballot (the verifier counts batches before it
    /// knows the round's limit); with a side table there is no such bound.
    #[test]
    fn no_limit_stands_for_any_limit_above_the_most_marks(
        candidates in 1usize..=70,
        n in sizes(),
        seed in any::<u64>(),
        for_weight in 0u64..=16,
        side_every in prop_oneof![Just(0usize), 1usize..40],
        above in 0u32..3,
    ) {
        let packed = ballots(candidates, n, seed, for_weight, side_every);
        let view = packed.view();
        let marks = |i: usize| {
            view.get(i).map_or(0, |m| m.iter().filter(|&&m| m == Mark::For).count() as u32)
        };
        let most = (0..view.len()).map(marks).max().unwrap_or(0);
        let has_side = (0..view.len()).any(|i| view.side(i) != Some(SideInfo::default()));
        match most_for_marks(&packed) {
            None => prop_assert!(has_side),
            Some(m) => {
                prop_assert!(!has_side);
                prop_assert_eq!(m, most);
                prop_assert_eq!(tally(&packed, m + above), tally(&packed, u32::MAX));
                if m > 0 {
                    prop_assert_ne!(tally(&packed, m - 1), tally(&packed, u32::MAX));
                }
            }
        }
    }

    /// Multi-word widths up to ten words and beyond (every slot period and
    /// in-register width of the fast kernels), with the limit near the mean
    /// number of for-marks so that overvotes are decided by the sum over
    /// several words.
    #[test]
    fn wide_ballots_equal_naive(
        candidates in prop_oneof![
            prop::sample::select(vec![33, 64, 65, 96, 100, 128, 129, 160, 192, 224, 256, 257, 288, 300, 320, 352, 544]),
            33usize..=330,
        ],
        n in prop_oneof![Just(0usize), 1usize..300, 300usize..1200],
        seed in any::<u64>(),
        for_weight in 0u64..=16,
        side_every in prop_oneof![Just(0usize), 1usize..40],
        offset in -12i64..=12,
        cut in any::<(u16, u16)>(),
    ) {
        let packed = ballots(candidates, n, seed, for_weight, side_every);
        let mean = (candidates as u64 * for_weight / 16) as i64;
        let limit = u32::try_from((mean + offset).max(0)).unwrap_or(0);
        all_kernels_agree(packed.view(), limit);
        all_kernels_agree(packed.view(), u32::MAX);
        let start = usize::from(cut.0) % (n + 1);
        let end = start + usize::from(cut.1) % (n - start + 1);
        all_kernels_agree(packed.slice(start..end).expect("in bounds"), limit);
    }

    #[test]
    fn marks_round_trip(
        candidates in 1usize..=70,
        n in 0usize..50,
        seed in any::<u64>(),
    ) {
        let packed = ballots(candidates, n, seed, 6, 3);
        let mut copy = PackedBallots::from_words(candidates, packed.words().to_vec())
            .expect("packed words are valid");
        for i in 0..n {
            let marks = packed.get(i).expect("in range");
            prop_assert_eq!(marks.len(), candidates);
            let side = packed.side(i).expect("in range");
            copy.set_side(i, side).expect("in range");
            let mut single = PackedBallots::new(candidates).expect("candidates ≥ 1");
            single.push_with(&marks, side.extra_selections, side.void).expect("right length");
            prop_assert_eq!(single.words(), packed.view().ballot_words(i).expect("in range"));
        }
        prop_assert_eq!(&copy, &packed);
        prop_assert_eq!(packed.get(n), None);
    }
}

/// Large enough that every kernel widens its byte counters (255 blocks of
/// 128 ballots for AVX-512), for single-word and multi-word ballots.
#[test]
fn long_runs_widen_byte_counters() {
    for candidates in [32, 40, 70, 100, 300] {
        let packed = ballots(candidates, 70_001, 7, 8, 997);
        for limit in [u32::MAX, 16, 40] {
            all_kernels_agree(packed.view(), limit);
        }
        all_kernels_agree(packed.slice(3..69_999).expect("in bounds"), 16);
    }
}

/// Overvotes that only the sum over several words shows: each word alone
/// is within the limit, the ballot is not; and the same at the limit.
#[test]
fn validity_spans_words() {
    for candidates in [64usize, 100, 160, 300] {
        let wpb = candidates.div_ceil(LINES_PER_WORD);
        let limit = 40u32;
        // Candidate lines in the order line 0 of every word, line 1 of
        // every word, …: the first `k` spread `k` for-marks evenly.
        let spread: Vec<usize> = (0..LINES_PER_WORD)
            .flat_map(|line| (0..wpb).map(move |word| word * LINES_PER_WORD + line))
            .filter(|&c| c < candidates)
            .collect();
        let mut packed = PackedBallots::new(candidates).expect("candidates ≥ 1");
        let mut expected_valid = 0;
        for (i, k) in [0usize, 1, 39, 40, 41, 42, 60, 40, 41]
            .into_iter()
            .enumerate()
        {
            let mut marks = vec![Mark::Against; candidates];
            for &c in &spread[..k] {
                marks[c] = Mark::For;
            }
            // The seventh ballot: 40 marks and one accepted write-in.
            let extra = u8::from(i == 7);
            expected_valid += u64::from(k + usize::from(extra) <= limit as usize);
            packed
                .push_with(&marks, extra, false)
                .expect("one mark per line");
            // No single word is over the limit on its own.
            let words = packed.view().ballot_words(i).expect("in range");
            assert!(words.iter().all(|w| (w & FOR_BITS).count_ones() <= limit));
        }
        assert_eq!(expected_valid, 4);
        let t = tally(&packed, limit);
        assert_eq!(t.valid, expected_valid, "{candidates} candidates");
        all_kernels_agree(packed.view(), limit);
        // Many copies, so that every kernel's full blocks (not only its
        // padded tail) see them, at every offset within a block.
        let words: Vec<u64> = packed
            .words()
            .iter()
            .copied()
            .cycle()
            .take(9 * wpb * 301)
            .collect();
        let many = PackedBallots::from_words(candidates, words).expect("valid words");
        all_kernels_agree(many.view(), limit);
        all_kernels_agree(many.slice(5..2000).expect("in bounds"), limit);
    }
}

/// Every line for on every ballot: the byte counters reach exactly 255
/// before they are widened.
#[test]
fn saturated_ballots() {
    for candidates in [32, 64, 128, 320] {
        let n = 40_000;
        let words = vec![FOR_BITS; n * candidates / 32];
        let packed = PackedBallots::from_words(candidates, words).expect("all for");
        let all = tally(&packed, u32::MAX);
        assert_eq!(all.for_votes, vec![n as u64; candidates]);
        assert_eq!(all.valid, n as u64);
        all_kernels_agree(packed.view(), u32::MAX);
        let none = tally(&packed, candidates as u32 - 1);
        assert_eq!((none.valid, none.invalid), (0, n as u64));
        all_kernels_agree(packed.view(), candidates as u32 - 1);
    }
}

fn check(candidates: usize, rows: &[(&str, u8, bool)], limit: u32, expected: Tally) {
    let mut packed = PackedBallots::new(candidates).expect("candidates ≥ 1");
    for &(row, extra, void) in rows {
        let marks: Vec<Mark> = row
            .chars()
            .map(|c| match c {
                'o' => Mark::For,
                'x' => Mark::Against,
                _ => Mark::Abstain,
            })
            .collect();
        packed
            .push_with(&marks, extra, void)
            .expect("one mark per line");
    }
    assert_eq!(tally(&packed, limit), expected);
    all_kernels_agree(packed.view(), limit);
}

#[test]
fn selections_at_the_limit() {
    // Three candidates, two seats: ○ for, × against, - abstain.
    check(
        3,
        &[
            ("oo-", 0, false), // two selections: valid
            ("ooo", 0, false), // three: over the limit
            ("ox-", 1, false), // one mark + one write-in: valid
            ("oox", 1, false), // two marks + one write-in: over
            ("---", 0, false), // blank: valid
            ("x--", 0, true),  // declared void
        ],
        2,
        Tally {
            for_votes: vec![2, 1, 0],
            against: vec![0, 1, 0],
            abstain: vec![1, 1, 3],
            valid: 3,
            invalid: 3,
        },
    );
}

#[test]
fn no_limit_and_zero_limit() {
    let rows = [("oxo", 0, false), ("---", 0, false), ("xxx", 3, false)];
    check(
        3,
        &rows,
        u32::MAX,
        Tally {
            for_votes: vec![1, 0, 1],
            against: vec![1, 2, 1],
            abstain: vec![1, 1, 1],
            valid: 3,
            invalid: 0,
        },
    );
    check(
        3,
        &rows,
        0,
        Tally {
            for_votes: vec![0, 0, 0],
            against: vec![0, 0, 0],
            abstain: vec![1, 1, 1],
            valid: 1,
            invalid: 2,
        },
    );
}

#[test]
fn raw_words_are_validated() {
    assert_eq!(PackedBallots::new(0), Err(PackError::NoCandidates));
    assert_eq!(
        PackedBallots::from_words(3, vec![0b11_00_01]).map(|_| ()),
        Err(PackError::InvalidCode { word: 0, line: 2 })
    );
    assert_eq!(
        PackedBallots::from_words(3, vec![0b01 << 6]).map(|_| ()),
        Err(PackError::NonZeroPadding { word: 0 })
    );
    assert_eq!(
        PackedBallots::from_words(33, vec![0; 3]).map(|_| ()),
        Err(PackError::PartialBallot {
            words: 3,
            words_per_ballot: 2
        })
    );
    // 11 in a full first word of a two-word ballot, line 31.
    assert_eq!(
        PackedBallots::from_words(33, vec![0b11 << 62, 0]).map(|_| ()),
        Err(PackError::InvalidCode { word: 0, line: 31 })
    );
    let packed = PackedBallots::from_words(3, vec![0b10_00_01]).expect("valid");
    assert_eq!(
        packed.get(0),
        Some(vec![Mark::For, Mark::Abstain, Mark::Against])
    );
}

#[test]
fn wrong_line_count_is_rejected() {
    let mut packed = PackedBallots::new(2).expect("candidates ≥ 1");
    assert_eq!(
        packed.push(&[Mark::For]),
        Err(PackError::WrongLineCount {
            expected: 2,
            got: 1
        })
    );
    assert!(packed.is_empty());
}

#[test]
fn side_table_follows_slices() {
    let mut packed = ballots(5, 10, 3, 4, 0);
    let void = SideInfo {
        extra_selections: 0,
        void: true,
    };
    packed.set_side(4, void).expect("in range");
    assert_eq!(packed.side(4), Some(void));
    let view = packed.slice(3..6).expect("in bounds");
    assert_eq!(view.side(1), Some(void));
    assert_eq!(view.side(0), Some(SideInfo::default()));
    assert_eq!(view.side(3), None);
    assert_eq!(
        tally_with(view, u32::MAX, Kernel::Auto).map(|t| t.invalid),
        Ok(1)
    );
    packed.set_side(4, SideInfo::default()).expect("in range");
    assert_eq!(tally(&packed, u32::MAX).invalid, 0);
    assert_eq!(
        packed.set_side(10, void),
        Err(PackError::NoSuchBallot {
            ballot: 10,
            len: 10
        })
    );
    assert!(packed.slice(5..11).is_none());
}

/// Any number of threads, more than there are ballots included, gives the
/// one-thread tally, and `tally` splits a round of `PARALLEL_MIN_BYTES`
/// over `TALLY_THREADS` threads with the same result; the threaded
/// baseline sums the same words.
#[test]
fn threads_split_anywhere() {
    for candidates in [32usize, 33, 64, 100, 300] {
        let packed = ballots(candidates, 1_001, 11, 8, 13);
        let limit = candidates as u32 / 2;
        let want = naive::tally(packed.view(), limit);
        for kernel in Kernel::ALL.into_iter().filter(|k| k.is_available()) {
            for threads in [0, 1, 2, 4, 7, 1_000, 1_001, 5_000] {
                let got = tally_with_threads(packed.view(), limit, kernel, threads);
                assert_eq!(got.as_ref(), Ok(&want), "{kernel:?}, {threads} threads");
            }
            let empty = packed.slice(0..0).expect("in bounds");
            let got = tally_with_threads(empty, limit, kernel, 2).expect("available");
            assert_eq!(got, Tally::zero(candidates));
        }
    }
    // A round large enough for `tally` to use its threads.
    let candidates = 64;
    let n = PARALLEL_MIN_BYTES / 16 + 3;
    let packed = ballots(candidates, n, 5, 8, 4_099);
    assert!(std::mem::size_of_val(packed.words()) >= PARALLEL_MIN_BYTES);
    let one = tally_with(packed.view(), 33, Kernel::Auto).expect("available");
    assert_eq!(tally(&packed, 33), one);
    assert_eq!(
        tally_with(packed.view(), 33, Kernel::Portable).expect("available"),
        one
    );
    let words = packed.words();
    let sum = words.iter().fold(0u64, |s, &w| s.wrapping_add(w));
    for kernel in Kernel::ALL.into_iter().filter(|k| k.is_available()) {
        for threads in [0, 1, 2, 3] {
            assert_eq!(baseline_sum_with_threads(words, kernel, threads), Ok(sum));
        }
    }
}

#[test]
fn auto_resolves_to_an_available_kernel() {
    let kernel = Kernel::Auto.resolve();
    assert_ne!(kernel, Kernel::Auto);
    assert!(kernel.is_available());
}
