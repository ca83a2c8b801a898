//! Tally kernels against the physical limit: a prefetching sum over the
//! same bytes, in the same process.
//!
//! For each ballot width (32, 64, 100 and 300 candidates: one, two, four and
//! ten words per ballot) the same 1 GiB buffer — larger than any last-level
//! cache this runs on — is filled with that width's ballots and read by:
//! - `sum_avx512`, `sum_avx2`: `count::baseline_sum`, a plain sum of every
//!   word with four register accumulators and the kernels' software
//!   prefetch; the physical baseline (each runs only where the CPU has it;
//!   on a CPU with neither, `sum_plain`, a `u64` fold, stands in);
//! - `avx512`, `avx2`, `portable`: `tally_with` with that kernel;
//! - `naive`: the reference, on the first 16 MiB only (it runs at a few
//!   tens of MB/s; its throughput does not depend on the size);
//! - on both cores: `sum_avx2_2t` (or `sum_avx512_2t`), the same sum on
//!   two threads each over its half (`baseline_sum_with_threads`), and the
//!   kernel `auto` picks on two threads (`tally_with_threads`, what
//!   `tally` does for rounds of 8 MiB or more), e.g. `avx2_2t`.
//!
//! The same kernels then count a branch meeting of 3,000 ballots (24–240
//! KB, L2-resident) against the same sums over those bytes, and SHA-256 of
//! those bytes is timed beside them so that a build regression of the
//! SHA-NI path (the `target-cpu=native` trap in PERFORMANCE-NOTES.md) shows
//! in the same report.
//!
//! The final summary prints one line per width and size: the kernel that
//! `Kernel::Auto` picks on this CPU as a share of the best prefetching sum
//! available here, over the same bytes, followed on the same line by the
//! other kernels' shares (and portable against naive); for 1 GiB a second
//! line gives the two-thread kernel as a share of the two-thread sum (and
//! of the one-thread sum); each from the
//! *fastest* iteration (the machines are shared, and a disturbance only
//! ever slows a run down). It also says which baselines and kernels could
//! not run here.
//!
//! Data: xorshift, per line 1/2 for, 1/4 against, 1/4 abstain; the limit
//! (seats) is `c/2 + 3·isqrt(c)/4` for `c` candidates, about 1.5 standard
//! deviations above the mean number of for-marks, so the per-ballot
//! validity check runs and 5–11% of ballots are over the limit.

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use scrutineer::count::LINES_PER_WORD;
use scrutineer::count::{
    baseline_sum, baseline_sum_with_threads, tally_with, tally_with_threads, BallotsView, Kernel,
    PackedBallots,
};
use sha2::{Digest, Sha256};
use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// For-bits of a word (low bit of each 2-bit line).
const FOR_BITS: u64 = 0x5555_5555_5555_5555;

/// The large buffer: 1 GiB of words.
const LARGE_WORDS: usize = 1 << 27;

/// Ballots of the L2-resident meeting.
const MEETING: usize = 3_000;

/// The naive kernel reads this many bytes of the large buffer.
const NAIVE_BYTES: usize = 16 << 20;

const WIDTHS: [usize; 4] = [32, 64, 100, 300];

/// Fastest per-iteration time of each benchmark: (size, name) → time.
static BEST: Mutex<Vec<(String, &'static str, Duration, usize)>> = Mutex::new(Vec::new());

fn record(size: &str, name: &'static str, per_iter: Duration, bytes: usize) {
    let mut best = BEST.lock().unwrap_or_else(|e| e.into_inner());
    match best.iter_mut().find(|(s, n, _, _)| s == size && *n == name) {
        Some(entry) => entry.2 = entry.2.min(per_iter),
        None => best.push((size.to_string(), name, per_iter, bytes)),
    }
}

/// Fill `words` with `words.len() / wpb` deterministic ballots of
/// `candidates` lines (the remainder is dropped).
fn fill(words: &mut Vec<u64>, candidates: usize, seed: u64) {
    let wpb = candidates.div_ceil(LINES_PER_WORD);
    let last_lines = candidates - (wpb - 1) * LINES_PER_WORD;
    let last_mask = if last_lines == LINES_PER_WORD {
        u64::MAX
    } else {
        (1u64 << (2 * last_lines)) - 1
    };
    words.truncate(words.len() - words.len() % wpb);
    let mut state = seed | 1;
    for ballot in words.chunks_exact_mut(wpb) {
        for (j, slot) in ballot.iter_mut().enumerate() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Turn every 11 into 01: for 1/2, against 1/4, abstain 1/4.
            let both = state & (state >> 1) & FOR_BITS;
            let word = state ^ (both << 1);
            *slot = if j == wpb - 1 { word & last_mask } else { word };
        }
    }
}

fn limit_for(candidates: usize) -> u32 {
    (candidates / 2 + 3 * candidates.isqrt() / 4) as u32
}

/// Threads of the two-thread runs: both cores of the machines this runs on.
const THREADS: usize = 2;

/// The name of a SIMD kernel's baseline sum.
fn sum_name(kernel: Kernel) -> &'static str {
    match kernel {
        Kernel::Avx512 => "sum_avx512",
        Kernel::Avx2 => "sum_avx2",
        _ => "sum_plain",
    }
}

/// The same baseline on [`THREADS`] threads, each over its half.
fn sum_name_threads(kernel: Kernel) -> &'static str {
    match kernel {
        Kernel::Avx512 => "sum_avx512_2t",
        Kernel::Avx2 => "sum_avx2_2t",
        _ => "sum_plain_2t",
    }
}

/// A kernel on [`THREADS`] threads (`tally_with_threads`).
fn kernel_name_threads(kernel: Kernel) -> &'static str {
    match kernel {
        Kernel::Naive => "naive_2t",
        Kernel::Portable => "portable_2t",
        Kernel::Avx2 => "avx2_2t",
        Kernel::Avx512 => "avx512_2t",
        Kernel::Auto => "auto_2t",
    }
}

fn kernel_name(kernel: Kernel) -> &'static str {
    match kernel {
        Kernel::Naive => "naive",
        Kernel::Portable => "portable",
        Kernel::Avx2 => "avx2",
        Kernel::Avx512 => "avx512",
        Kernel::Auto => "auto",
    }
}

/// Time `f` under criterion, also keeping the fastest iteration.
fn bench<R>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    size: &str,
    name: &'static str,
    bytes: usize,
    mut f: impl FnMut() -> R,
) {
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(BenchmarkId::new(name, size), |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(f());
            }
            let elapsed = start.elapsed();
            record(size, name, elapsed / iters.max(1) as u32, bytes);
            elapsed
        })
    });
}

/// Every baseline and kernel over one view; with `threads`, also the
/// fastest kernel and its baseline sum on [`THREADS`] threads.
fn bench_view(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    size: &str,
    view: BallotsView<'_>,
    limit: u32,
    naive_view: BallotsView<'_>,
    threads: bool,
) {
    let bytes = view.words().len() * 8;
    if threads {
        let auto = Kernel::Auto.resolve();
        let sum_kernel = match auto {
            Kernel::Avx512 | Kernel::Avx2 => auto,
            _ => Kernel::Portable,
        };
        bench(group, size, sum_name_threads(sum_kernel), bytes, || {
            baseline_sum_with_threads(black_box(view.words()), sum_kernel, THREADS)
        });
        bench(group, size, kernel_name_threads(auto), bytes, || {
            tally_with_threads(black_box(view), limit, auto, THREADS)
        });
    }
    for kernel in [Kernel::Avx512, Kernel::Avx2] {
        if kernel.is_available() {
            bench(group, size, sum_name(kernel), bytes, || {
                baseline_sum(black_box(view.words()), kernel)
            });
        }
    }
    if !Kernel::Avx2.is_available() && !Kernel::Avx512.is_available() {
        bench(group, size, sum_name(Kernel::Portable), bytes, || {
            baseline_sum(black_box(view.words()), Kernel::Portable)
        });
    }
    for kernel in [Kernel::Avx512, Kernel::Avx2, Kernel::Portable] {
        if kernel.is_available() {
            bench(group, size, kernel_name(kernel), bytes, || {
                tally_with(black_box(view), limit, kernel)
            });
        }
    }
    let naive_bytes = naive_view.words().len() * 8;
    bench(group, size, "naive", naive_bytes, || {
        tally_with(black_box(naive_view), limit, Kernel::Naive)
    });
}

fn count(c: &mut Criterion) {
    let mut words = Vec::with_capacity(LARGE_WORDS);
    {
        let mut group = c.benchmark_group("count_1GiB");
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(2))
            .sampling_mode(SamplingMode::Flat);
        for candidates in WIDTHS {
            words.resize(LARGE_WORDS, 0);
            fill(&mut words, candidates, 0x9E37_79B9_7F4A_7C15);
            let packed = PackedBallots::from_words(candidates, std::mem::take(&mut words))
                .expect("generated words hold no 11 code");
            let view = packed.view();
            let naive_ballots = NAIVE_BYTES / 8 / view.words_per_ballot();
            let naive_view = view.slice(0..naive_ballots).expect("in bounds");
            let size = format!("{candidates}c_1GiB");
            bench_view(
                &mut group,
                &size,
                view,
                limit_for(candidates),
                naive_view,
                true,
            );
            words = packed.into_words();
        }
        group.finish();
    }
    drop(words);

    let mut group = c.benchmark_group("count_meeting");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(500))
        .sampling_mode(SamplingMode::Flat);
    for candidates in WIDTHS {
        let wpb = candidates.div_ceil(LINES_PER_WORD);
        let mut words = vec![0u64; MEETING * wpb];
        fill(&mut words, candidates, 0x2545_F491_4F6C_DD1D);
        let packed = PackedBallots::from_words(candidates, words).expect("valid words");
        let view = packed.view();
        let size = format!("{candidates}c_{MEETING}");
        bench_view(&mut group, &size, view, limit_for(candidates), view, false);
        // SHA-256 of the same bytes: not a baseline for the kernel, but kept
        // beside it so a regression of the SHA-NI path shows.
        let bytes: Vec<u8> = view.words().iter().flat_map(|w| w.to_le_bytes()).collect();
        bench(&mut group, &size, "sha256", bytes.len(), || {
            Sha256::digest(black_box(&bytes))
        });
    }
    group.finish();
    summary();
}

/// Print one line per width and size: the kernel `auto` picks on this CPU
/// as a share of the best prefetching sum available, over the same bytes,
/// then the other kernels on the same line.
fn summary() {
    let best = BEST.lock().unwrap_or_else(|e| e.into_inner());
    let rate = |size: &str, name: &str| {
        best.iter()
            .find(|(s, n, _, _)| s == size && *n == name)
            .map(|(_, _, t, bytes)| *bytes as f64 / t.as_secs_f64())
    };
    let auto = kernel_name(Kernel::Auto.resolve());
    println!();
    println!("summary: fastest iteration of each; the kernel is `{auto}` (what `auto` picks here)");
    for kernel in [Kernel::Avx512, Kernel::Avx2] {
        if !kernel.is_available() {
            println!(
                "  {} kernel and {} baseline: unavailable on this CPU",
                kernel_name(kernel),
                sum_name(kernel)
            );
        }
    }
    for (suffix, what) in [("1GiB", "1 GiB"), ("3000", "3,000 ballots, L2")] {
        for candidates in WIDTHS {
            let size = format!("{candidates}c_{suffix}");
            let sums = [Kernel::Avx512, Kernel::Avx2, Kernel::Portable]
                .into_iter()
                .filter_map(|k| rate(&size, sum_name(k)).map(|r| (sum_name(k), r)));
            let Some((base, base_rate)) = sums.max_by(|a, b| a.1.total_cmp(&b.1)) else {
                continue;
            };
            // Without AVX2 the baseline is a plain (not prefetching) sum.
            let label = match base {
                "sum_plain" => "plain sum".to_string(),
                other => format!("prefetching {} sum", other.trim_start_matches("sum_")),
            };
            let share = |name: &str| rate(&size, name).map(|r| 100.0 * r / base_rate);
            let Some(kernel_rate) = rate(&size, auto) else {
                continue;
            };
            let mut line = format!(
                "width {candidates:>3} ({what:>17}): {auto} {:5.1}% of the {label} \
                 ({:.2} of {:.2} GB/s)",
                100.0 * kernel_rate / base_rate,
                kernel_rate / 1e9,
                base_rate / 1e9,
            );
            for name in ["avx512", "avx2"] {
                if name != auto {
                    if let Some(p) = share(name) {
                        line += &format!("; {name} {p:.1}%");
                    }
                }
            }
            if let (Some(p), Some(portable), Some(naive)) = (
                share("portable"),
                rate(&size, "portable"),
                rate(&size, "naive"),
            ) {
                line += &format!("; portable {p:.1}% = {:.1}x naive", portable / naive);
            }
            if let Some(p) = share("naive") {
                line += &format!("; naive {p:.2}%");
            }
            println!("{line}");
            // Both cores: the kernel on two threads against the sum on two
            // threads over the same bytes (and against one thread's sum).
            let sum2 = sum_name_threads(match Kernel::Auto.resolve() {
                k @ (Kernel::Avx512 | Kernel::Avx2) => k,
                _ => Kernel::Portable,
            });
            if let (Some(k2), Some(s2)) = (
                rate(&size, kernel_name_threads(Kernel::Auto.resolve())),
                rate(&size, sum2),
            ) {
                println!(
                    "width {candidates:>3} ({:>17}): {auto} {:5.1}% of the same sum on {THREADS} threads \
                     ({:.2} of {:.2} GB/s); {:.1}% of the one-thread sum",
                    format!("{what}, {THREADS} threads"),
                    100.0 * k2 / s2,
                    k2 / 1e9,
                    s2 / 1e9,
                    100.0 * k2 / base_rate,
                );
            }
        }
    }
    for candidates in WIDTHS {
        if let Some(r) = rate(&format!("{candidates}c_{MEETING}"), "sha256") {
            println!(
                "width {candidates:>3} (3,000 ballots, L2): sha256 {:.2} GB/s (SHA-NI check)",
                r / 1e9
            );
        }
    }
}

criterion_group!(benches, count);
criterion_main!(benches);
