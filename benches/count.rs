//! Tally kernels against a plain sum over the same bytes.
//!
//! `bandwidth` is the physical baseline: reading every packed word once and
//! adding it up. `kernel` is what `tally` runs on this CPU (`Kernel::Auto`);
//! `portable` and `naive` are the fallbacks. Ratios only mean something
//! within one run (the machines are shared and noisy).
//!
//! Data: one line in two is for, one in four against, one in four abstain;
//! the limit (seats) is a little above the mean number of for-marks, so the
//! validity check runs and a few percent of ballots are over the limit.

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use scrutineer::count::{tally_with, Kernel, PackedBallots, LINES_PER_WORD};
use sha2::{Digest, Sha256};
use std::hint::black_box;
use std::time::Duration;

/// For-bits of a word (low bit of each 2-bit line).
const FOR_BITS: u64 = 0x5555_5555_5555_5555;

/// Deterministic ballots from a xorshift generator.
fn ballots(candidates: usize, n: usize, seed: u64) -> PackedBallots {
    let mut state = seed | 1;
    let wpb = candidates.div_ceil(LINES_PER_WORD);
    let last_lines = candidates - (wpb - 1) * LINES_PER_WORD;
    let last_mask = if last_lines == LINES_PER_WORD {
        u64::MAX
    } else {
        (1u64 << (2 * last_lines)) - 1
    };
    let mut words = Vec::with_capacity(n * wpb);
    for _ in 0..n {
        for j in 0..wpb {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Turn every 11 into 01: for 1/2, against 1/4, abstain 1/4.
            let both = state & (state >> 1) & FOR_BITS;
            let word = state ^ (both << 1);
            words.push(if j == wpb - 1 { word & last_mask } else { word });
        }
    }
    PackedBallots::from_words(candidates, words).expect("generated words hold no 11 code")
}

fn count(c: &mut Criterion) {
    let mut group = c.benchmark_group("count");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sampling_mode(SamplingMode::Flat);
    // (ballots, candidates, limit): a large congress-sized load that does not
    // fit in cache, and a branch meeting that does.
    for (n, candidates, limit) in [(10_000_000, 32, 19), (3_000, 30, 18)] {
        let packed = ballots(candidates, n, 0x9E37_79B9_7F4A_7C15);
        let view = packed.view();
        let size = format!("{n}x{candidates}");
        group.throughput(Throughput::Elements(n as u64));
        for (name, kernel) in [
            ("kernel", Kernel::Auto),
            ("portable", Kernel::Portable),
            ("naive", Kernel::Naive),
        ] {
            group.bench_with_input(BenchmarkId::new(name, &size), &view, |b, view| {
                b.iter(|| tally_with(black_box(*view), limit, kernel))
            });
        }
        group.bench_with_input(BenchmarkId::new("bandwidth", &size), &view, |b, view| {
            b.iter(|| {
                black_box(*view)
                    .words()
                    .iter()
                    .fold(0u64, |sum, &w| sum.wrapping_add(w))
            })
        });
        // SHA-256 of the same bytes: not a baseline for the kernel, but kept
        // beside it so a build regression of the SHA-NI path (the
        // `target-cpu=native` trap in PERFORMANCE-NOTES.md) shows in the same
        // report.
        let bytes: Vec<u8> = view.words().iter().flat_map(|w| w.to_le_bytes()).collect();
        group.bench_with_input(BenchmarkId::new("sha256", &size), &bytes, |b, bytes| {
            b.iter(|| Sha256::digest(black_box(bytes)))
        });
    }
    group.finish();
}

criterion_group!(benches, count);
criterion_main!(benches);
