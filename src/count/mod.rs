//! Packed ballots and the tally kernels.
//!
//! PURE: no I/O, no clock, no randomness. This is the only module where
//! `unsafe` and SIMD may appear, and only in `simd.rs`, behind the safe
//! [`tally`] / [`tally_with`] API with a scalar reference beside it.
//!
//! # Layout
//! - `packed.rs` — [`Mark`], [`PackedBallots`], [`BallotsView`]: 2 bits per
//!   candidate line, whole `u64` words per ballot, sparse side table.
//! - `naive.rs` — the reference kernel (oracle): decode and increment.
//! - `portable.rs` — SWAR Harley-Seal vertical counters on plain `u64`, and
//!   the slot state shared by all multi-word kernels.
//! - `simd.rs` — AVX2 and AVX-512 versions of the same design, and the
//!   prefetching baseline sums (x86-64, selected at run time; never
//!   `-C target-cpu=native`, see PERFORMANCE-NOTES).
//!
//! # Rules counted
//! A ballot is *invalid* and counts for nobody when it was declared void
//! (废票) or when its selections — for-marks plus accepted write-ins — exceed
//! `limit` (the seats, 应选人数). Every valid ballot counts once per
//! candidate as for, against or abstain (an illegible mark was packed as
//! abstain). `limit = u32::MAX` means no limit.
//!
//! # Kernel design (portable, AVX2, AVX-512)
//! Counting is a *positional popcount*: because `11` never occurs, counting
//! how often each bit position is set across all valid ballots gives the
//! for-votes (even bits) and against-votes (odd bits) at once; abstentions
//! are `valid − for − against`. The kernels:
//! 1. mask each ballot by its validity — a popcount of its for-bits compared
//!    with `limit` (skipped when `limit ≥ candidates`, as nothing can exceed);
//! 2. add 16 masked words (or vectors) with a Harley-Seal carry-save adder
//!    tree, which leaves one "sixteens" word per block instead of 16 words
//!    to count bit by bit;
//! 3. add each sixteens word into byte-wide counters (one shift-and-add per
//!    bit of a byte), and widen those into `u64` counters every 255 blocks.
//!
//! With ≤ 32 candidates a ballot is one word, so validity is checked per
//! lane and the loop reads nothing but the packed words.
//!
//! Longer ballots are read **in place**, with no gather and no transpose
//! (see `portable::Slots`): registers of `L` consecutive words (`L` = 1, 4,
//! 8) are added into `lcm(words per ballot, L) / L` slots whose lanes each
//! count one fixed word column, so word `i` of the stream lands in column
//! `i % words per ballot` without being moved. Validity:
//! - when a register holds whole ballots (2 or 4 words with AVX2, 2, 4 or
//!   8 with AVX-512) the `W` lanes of a ballot are summed by in-register
//!   swaps and the ballot is masked inside the kernel, as for one word;
//! - otherwise a first pass over an L1-sized chunk (8 KiB) sums each
//!   ballot's for-marks with loads aligned to the ballot (its last, partial
//!   register loaded as the ballot's last four words with the lanes already
//!   counted masked off; AVX2 shares one horizontal sum and compare among
//!   four ballots) and lists the ones over the limit; the
//!   chunk is then counted as if all were valid, and the listed ballots are
//!   copied to a reject buffer whose positional counts are subtracted at
//!   the end (overvotes are rare; at worst this is a second count).
//!
//! The AVX2 multi-word kernels are compiled per width up to ten words (320
//! candidates) so that their loops unroll and register indices are
//! constants; the adder tree's sixteens are parked in a buffer and added
//! into the byte counters after each run of blocks, since eight byte
//! counters and the tree do not fit AVX2's 16 vector registers together.
//!
//! The side table is not read in the loop: every ballot is first counted as
//! if it had no entry, then the few with an entry that turns them invalid
//! are subtracted (an entry can only invalidate a ballot).
//!
//! [`tally`] counts a round of [`PARALLEL_MIN_BYTES`] or more on
//! [`TALLY_THREADS`] scoped threads ([`tally_with_threads`]): each counts a
//! contiguous run of the ballots (with its share of the side table) with
//! the same kernel, and the tallies are added — the same numbers as one
//! thread, for any split.
//!
//! [`baseline_sum`] is the physical baseline the benchmarks compare with: a
//! prefetching sum of the same words (docs/performance.md), and
//! [`baseline_sum_with_threads`] the same on several threads.
//!
//! # Example
//! ```
//! use scrutineer::count::{tally, Mark, PackedBallots};
//!
//! let mut ballots = PackedBallots::new(3)?;
//! ballots.push(&[Mark::For, Mark::Against, Mark::Abstain])?;
//! // Two for-marks and one accepted write-in: over a limit of two seats.
//! ballots.push_with(&[Mark::For, Mark::For, Mark::Abstain], 1, false)?;
//! let result = tally(&ballots, 2);
//! assert_eq!(result.for_votes, [1, 0, 0]);
//! assert_eq!(result.against, [0, 1, 0]);
//! assert_eq!((result.valid, result.invalid), (1, 1));
//! # Ok::<(), scrutineer::count::PackError>(())
//! ```

#![deny(unsafe_code)]

mod naive;
mod packed;
mod portable;
mod simd;
#[cfg(test)]
mod tests;

pub use packed::{BallotsView, Mark, PackError, PackedBallots, SideInfo, LINES_PER_WORD};

use packed::FOR_BITS;
use std::fmt;

/// Per-candidate result of counting one round's ballots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// 赞成 per candidate, over valid ballots.
    pub for_votes: Vec<u64>,
    /// 不赞成 per candidate, over valid ballots.
    pub against: Vec<u64>,
    /// 弃权 (including illegible) per candidate, over valid ballots.
    pub abstain: Vec<u64>,
    /// Ballots that counted (有效票).
    pub valid: u64,
    /// Ballots over the selection limit or declared void (无效票).
    pub invalid: u64,
}

impl Tally {
    fn zero(candidates: usize) -> Tally {
        Tally {
            for_votes: vec![0; candidates],
            against: vec![0; candidates],
            abstain: vec![0; candidates],
            valid: 0,
            invalid: 0,
        }
    }

    /// Add the tally of other ballots of the same round.
    fn add(&mut self, other: &Tally) {
        let lines = [
            (&mut self.for_votes, &other.for_votes),
            (&mut self.against, &other.against),
            (&mut self.abstain, &other.abstain),
        ];
        for (mine, theirs) in lines {
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m += t;
            }
        }
        self.valid += other.valid;
        self.invalid += other.invalid;
    }
}

/// Which counting implementation to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// Decode every line and increment: the reference.
    Naive,
    /// SWAR vertical counters, plain Rust on any target.
    Portable,
    /// AVX2 (x86-64, detected at run time).
    Avx2,
    /// AVX-512 F + BW + VPOPCNTDQ (x86-64, detected at run time).
    Avx512,
    /// The fastest kernel available on this CPU.
    Auto,
}

impl Kernel {
    /// Every kernel that can be named, `Auto` excluded.
    pub const ALL: [Kernel; 4] = [
        Kernel::Naive,
        Kernel::Portable,
        Kernel::Avx2,
        Kernel::Avx512,
    ];

    /// Whether this CPU can run the kernel.
    pub fn is_available(self) -> bool {
        match self {
            Kernel::Naive | Kernel::Portable | Kernel::Auto => true,
            Kernel::Avx2 => simd::avx2_available(),
            Kernel::Avx512 => simd::avx512_available(),
        }
    }

    /// What `Auto` resolves to on this CPU (other kernels resolve to
    /// themselves).
    pub fn resolve(self) -> Kernel {
        match self {
            Kernel::Auto if Kernel::Avx512.is_available() => Kernel::Avx512,
            Kernel::Auto if Kernel::Avx2.is_available() => Kernel::Avx2,
            Kernel::Auto => Kernel::Portable,
            other => other,
        }
    }
}

/// A kernel was requested that this CPU cannot run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelUnavailable(pub Kernel);

impl fmt::Display for KernelUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the {:?} kernel is not available on this CPU", self.0)
    }
}

impl std::error::Error for KernelUnavailable {}

/// Threads [`tally`] counts a round on once its packed ballots reach
/// [`PARALLEL_MIN_BYTES`]: both cores of the machines this runs on. Each
/// thread counts a contiguous half of the ballots with the same kernel; the
/// halves' tallies are added, so the result is the same as on one thread.
pub const TALLY_THREADS: usize = 2;

/// Packed bytes from which [`tally`] splits a round over
/// [`TALLY_THREADS`] threads (8 MiB: 0.25–1 M ballots; starting a thread
/// costs tens of microseconds, counting 8 MiB about half a millisecond).
/// Every meeting-sized round stays on the calling thread.
pub const PARALLEL_MIN_BYTES: usize = 8 << 20;

/// Count all ballots with the fastest kernel this CPU has, on
/// [`TALLY_THREADS`] threads for rounds of [`PARALLEL_MIN_BYTES`] or more.
///
/// A ballot is invalid when void or when `for-marks + extra_selections >
/// limit`; `limit = u32::MAX` means no limit.
pub fn tally(ballots: &PackedBallots, limit: u32) -> Tally {
    let view = ballots.view();
    let threads = if std::mem::size_of_val(view.words()) >= PARALLEL_MIN_BYTES {
        TALLY_THREADS
    } else {
        1
    };
    count_split(view, limit, Kernel::Auto.resolve(), threads)
}

/// The most for-marks on any one ballot, when no ballot has a side-table
/// entry (no write-in, none declared void); `None` otherwise. Then no
/// ballot is invalid under a `limit` of at least this, so [`tally`] with
/// such a limit equals `tally(ballots, u32::MAX)`: a verifier can count a
/// batch before it knows the round's limit and compare afterwards.
pub fn most_for_marks(ballots: &PackedBallots) -> Option<u32> {
    let view = ballots.view();
    if view.side_entries().next().is_some() {
        return None;
    }
    let words = view.words();
    let most = match view.words_per_ballot() {
        1 => words
            .iter()
            .map(|w| (w & FOR_BITS).count_ones())
            .max()
            .unwrap_or(0),
        wpb => words
            .chunks_exact(wpb)
            .map(|b| b.iter().map(|w| (w & FOR_BITS).count_ones()).sum::<u32>())
            .max()
            .unwrap_or(0),
    };
    Some(most)
}

/// [`tally_with`] on `threads` threads: the view is cut into `threads`
/// contiguous runs of ballots (fewer when it has fewer ballots), each
/// counted by `kernel` on its own thread, and their tallies added. Equal
/// to [`tally_with`] for every split (property-tested); `threads` of 0 or 1
/// counts on the calling thread.
pub fn tally_with_threads(
    ballots: BallotsView<'_>,
    limit: u32,
    kernel: Kernel,
    threads: usize,
) -> Result<Tally, KernelUnavailable> {
    let kernel = kernel.resolve();
    if !kernel.is_available() {
        return Err(KernelUnavailable(kernel));
    }
    Ok(count_split(ballots, limit, kernel, threads))
}

/// Count a view with a chosen kernel (benchmarks, tests, sub-ranges).
pub fn tally_with(
    ballots: BallotsView<'_>,
    limit: u32,
    kernel: Kernel,
) -> Result<Tally, KernelUnavailable> {
    let kernel = kernel.resolve();
    if !kernel.is_available() {
        return Err(KernelUnavailable(kernel));
    }
    Ok(count(ballots, limit, kernel))
}

/// A plain sum of `words`, read the way the kernel `kernel` reads memory:
/// the physical baseline the benchmarks compare the kernels with (every
/// byte loaded once, nothing computed). `Avx2` and `Avx512` prefetch like
/// the kernels and keep four register accumulators; `Naive` and
/// `Portable` are a plain `u64` fold.
pub fn baseline_sum(words: &[u64], kernel: Kernel) -> Result<u64, KernelUnavailable> {
    let kernel = kernel.resolve();
    let sum = match kernel {
        Kernel::Avx2 => simd::sum_avx2(words),
        Kernel::Avx512 => simd::sum_avx512(words),
        Kernel::Naive | Kernel::Portable | Kernel::Auto => {
            Some(words.iter().fold(0u64, |s, &w| s.wrapping_add(w)))
        }
    };
    sum.ok_or(KernelUnavailable(kernel))
}

/// [`baseline_sum`] on `threads` threads, each summing a contiguous share
/// of `words`: the baseline of [`tally_with_threads`] (what the memory
/// delivers to that many cores reading the same bytes).
pub fn baseline_sum_with_threads(
    words: &[u64],
    kernel: Kernel,
    threads: usize,
) -> Result<u64, KernelUnavailable> {
    let threads = threads.clamp(1, words.len().max(1));
    let share = words.len().div_ceil(threads).max(1);
    let mut parts = words.chunks(share);
    let first = parts.next().unwrap_or(&[]);
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .map(|part| {
                (
                    part,
                    std::thread::Builder::new().spawn_scoped(s, move || baseline_sum(part, kernel)),
                )
            })
            .collect();
        let mut sum = baseline_sum(first, kernel)?;
        for (part, handle) in handles {
            let part_sum = match handle {
                Ok(handle) => handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?,
                // No thread could be started: sum this part here.
                Err(_) => baseline_sum(part, kernel)?,
            };
            sum = sum.wrapping_add(part_sum);
        }
        Ok(sum)
    })
}

/// Count `view` on `threads` threads (at most one per ballot): the first
/// run of ballots on the calling thread, the others on scoped threads, the
/// tallies added. A thread that cannot be started leaves its run to the
/// calling thread; a panic in a counting thread (a bug) is passed on.
fn count_split(view: BallotsView<'_>, limit: u32, kernel: Kernel, threads: usize) -> Tally {
    let n = view.len();
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        return count(view, limit, kernel);
    }
    let runs: Vec<BallotsView<'_>> = (0..threads)
        .filter_map(|i| view.slice(i * n / threads..(i + 1) * n / threads))
        .collect();
    let (first, rest) = match runs.split_first() {
        Some((first, rest)) => (*first, rest),
        None => return count(view, limit, kernel),
    };
    std::thread::scope(|s| {
        let handles: Vec<_> = rest
            .iter()
            .map(|&run| {
                let handle =
                    std::thread::Builder::new().spawn_scoped(s, move || count(run, limit, kernel));
                (run, handle)
            })
            .collect();
        let mut total = count(first, limit, kernel);
        for (run, handle) in handles {
            let part = match handle {
                Ok(handle) => handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err(_) => count(run, limit, kernel),
            };
            total.add(&part);
        }
        total
    })
}

/// Dispatch to an available, resolved kernel. (The portable fallbacks for
/// the SIMD kernels are unreachable after the availability check, and
/// would still count correctly.)
fn count(view: BallotsView<'_>, limit: u32, kernel: Kernel) -> Tally {
    let wpb = view.words_per_ballot();
    match kernel {
        Kernel::Naive => return naive::tally(view, limit),
        Kernel::Avx2 if wpb == 1 => {
            if let Some(column) = simd::Avx2Column::new() {
                return single(view, limit, column);
            }
        }
        Kernel::Avx2 => {
            if let Some(slots) = simd::Avx2Slots::new(wpb) {
                return wide(view, limit, slots);
            }
        }
        Kernel::Avx512 if wpb == 1 => {
            if let Some(column) = simd::Avx512Column::new() {
                return single(view, limit, column);
            }
        }
        Kernel::Avx512 => {
            if let Some(slots) = simd::Avx512Slots::new(wpb) {
                return wide(view, limit, slots);
            }
        }
        Kernel::Portable | Kernel::Auto => {}
    }
    if wpb == 1 {
        single(view, limit, portable::SwarColumn::new())
    } else {
        wide(view, limit, portable::SwarSlots::new(wpb))
    }
}

/// Positional popcount of one-word ballots (≤ 32 candidates), the part each
/// fast kernel implements in its own instruction set.
trait ColumnCounter {
    /// Words per block; [`run`](Self::run) takes whole blocks only.
    const BLOCK: usize;

    /// Add `words` (a multiple of `BLOCK` long) to the counters.
    ///
    /// With `limit = Some(l)`, a word with more than `l` for-bits is skipped
    /// as invalid. Returns the number of words counted.
    fn run(&mut self, words: &[u64], limit: Option<u64>) -> u64;

    /// Add the per-bit-position totals into `counts` (64 entries).
    fn finish(self, counts: &mut [u64]);
}

/// Positional popcount of multi-word ballots read in place (see
/// [`portable::Slots`] for how registers map to word columns), and the
/// per-word for-marks the validity check sums up.
trait SlotCounter: Sized {
    /// An empty counter of the same kind and width.
    fn fresh(&self) -> Self;

    /// Words per block, a whole number of ballots; [`run`](Self::run)
    /// takes whole blocks only.
    fn block_words(&self) -> usize;

    /// Add `words` (whole blocks, starting at a ballot) to the counters,
    /// every ballot as valid.
    fn run(&mut self, words: &[u64]);

    /// Write to `over` the indices (within `chunk`, whole `wpb`-word
    /// ballots) of the ballots with more than `limit` for-marks, in order;
    /// return how many. `over` holds one slot per ballot.
    fn over_limit(&self, chunk: &[u64], wpb: usize, limit: u64, over: &mut [usize]) -> usize;

    /// Add `words` (whole blocks) to the counters, skipping ballots with
    /// more than `limit` for-marks, and return how many were counted; or
    /// `None`, leaving the counters as they were, when this counter cannot
    /// mask ballots inside the kernel (only when a register holds whole
    /// ballots can it).
    fn run_checked(&mut self, words: &[u64], limit: u64) -> Option<u64> {
        let _ = (words, limit);
        None
    }

    /// Add the per-position totals into `counts` (`64 * wpb` entries).
    fn finish(self, counts: &mut [u64]);
}

/// The largest [`ColumnCounter::BLOCK`] (AVX-512: 16 registers of 8).
const MAX_BLOCK: usize = 128;

/// Words a multi-word kernel checks and counts at a time (rounded to whole
/// blocks): 8 KiB, so the counting pass re-reads the chunk from L1.
const CHUNK_WORDS: usize = 1024;

/// Count one-word ballots: the validity mask is applied lane by lane inside
/// the kernel.
fn single<C: ColumnCounter>(view: BallotsView<'_>, limit: u32, mut column: C) -> Tally {
    debug_assert!(C::BLOCK <= MAX_BLOCK);
    let words = view.words();
    let n = view.len();
    // Nothing can exceed a limit of at least the number of candidates: skip
    // the per-ballot popcount entirely (equal elections, nomination rounds).
    let check = ((limit as usize) < view.candidates()).then_some(u64::from(limit));
    let mut counts = vec![0u64; 64];
    let full = n - n % C::BLOCK;
    let mut valid = column.run(&words[..full], check);
    // The last partial block, padded with blank ballots, which pass any
    // limit and are taken off again.
    let tail = &words[full..];
    if !tail.is_empty() {
        let mut buf = [0u64; MAX_BLOCK];
        buf[..tail.len()].copy_from_slice(tail);
        let padded = tail.len().next_multiple_of(C::BLOCK);
        valid += column.run(&buf[..padded], check);
        valid -= (padded - tail.len()) as u64;
    }
    column.finish(&mut counts);
    finish_tally(view, limit, counts, valid)
}

/// Count multi-word ballots, a chunk at a time: first the for-marks of
/// every ballot are compared with the limit, then every ballot
/// of the chunk is counted as valid, in place, and the invalid ones are copied
/// to a reject buffer whose own positional counts are subtracted at the
/// end. Overvotes are rare, so the extra work is small; even when every
/// ballot is over the limit it is at most a second count.
fn wide<S: SlotCounter>(view: BallotsView<'_>, limit: u32, mut counter: S) -> Tally {
    let wpb = view.words_per_ballot();
    let words = view.words();
    let check = ((limit as usize) < view.candidates()).then_some(u64::from(limit));
    let block = counter.block_words();
    let chunk_words = block * (CHUNK_WORDS / block).max(1);
    // Indices (within the chunk) of the chunk's invalid ballots.
    let mut over = vec![0usize; chunk_words / wpb];
    let mut reject: Option<(S, Vec<u64>)> = None;
    let mut invalid = 0u64;

    let full = words.len() - words.len() % block;
    let tail_buf = (full < words.len()).then(|| {
        let mut buf = vec![0u64; block];
        buf[..words.len() - full].copy_from_slice(&words[full..]);
        buf
    });
    let tail = tail_buf.as_deref();
    // The tail block is padded with blank (all-abstain) ballots, which
    // count nothing and are never over a limit.
    let mut in_place = check.is_some();
    for chunk in words[..full].chunks(chunk_words).chain(tail) {
        if let (Some(limit), true) = (check, in_place) {
            if let Some(counted) = counter.run_checked(chunk, limit) {
                invalid += (chunk.len() / wpb) as u64 - counted;
                continue;
            }
            in_place = false;
        }
        if let Some(limit) = check {
            let found = counter.over_limit(chunk, wpb, limit, &mut over);
            if found > 0 {
                let (rejects, buf) = reject.get_or_insert_with(|| (counter.fresh(), Vec::new()));
                for &b in &over[..found] {
                    buf.extend_from_slice(&chunk[b * wpb..(b + 1) * wpb]);
                    if buf.len() == block {
                        rejects.run(buf);
                        buf.clear();
                    }
                }
                invalid += found as u64;
            }
        }
        counter.run(chunk);
    }

    let mut counts = vec![0u64; 64 * wpb];
    counter.finish(&mut counts);
    if let Some((mut rejects, mut buf)) = reject {
        if !buf.is_empty() {
            buf.resize(block, 0);
            rejects.run(&buf);
        }
        let mut subtract = vec![0u64; 64 * wpb];
        rejects.finish(&mut subtract);
        for (count, rejected) in counts.iter_mut().zip(subtract) {
            *count -= rejected;
        }
    }
    let valid = view.len() as u64 - invalid;
    finish_tally(view, limit, counts, valid)
}

/// Side-table corrections and decoding of positional counts (`64 * wpb`,
/// over `valid` ballots counted as if no ballot had a side-table entry).
fn finish_tally(view: BallotsView<'_>, limit: u32, mut counts: Vec<u64>, mut valid: u64) -> Tally {
    let n = view.len();
    let limit64 = u64::from(limit);
    // Side-table ballots were counted as if plain; withdraw those that an
    // entry makes invalid.
    for (i, info) in view.side_entries() {
        let Some(ballot) = view.ballot_words(i) else {
            continue;
        };
        let marks = selections(ballot);
        let counted = marks <= limit64;
        let invalid = info.void || marks + u64::from(info.extra_selections) > limit64;
        if counted && invalid {
            for_each_bit(ballot, |at| counts[at] -= 1);
            valid -= 1;
        }
    }

    let mut tally = Tally::zero(view.candidates());
    for c in 0..view.candidates() {
        let at = (c / LINES_PER_WORD) * 64 + 2 * (c % LINES_PER_WORD);
        tally.for_votes[c] = counts[at];
        tally.against[c] = counts[at + 1];
        tally.abstain[c] = valid - counts[at] - counts[at + 1];
    }
    tally.valid = valid;
    tally.invalid = n as u64 - valid;
    tally
}

/// For-marks on a ballot.
#[inline(always)]
fn selections(ballot: &[u64]) -> u64 {
    ballot
        .iter()
        .map(|w| u64::from((w & FOR_BITS).count_ones()))
        .sum()
}

/// Call `f` with the counter index (`word * 64 + bit`) of each set bit of a
/// ballot.
fn for_each_bit(ballot: &[u64], mut f: impl FnMut(usize)) {
    for (j, &word) in ballot.iter().enumerate() {
        let mut bits = word;
        while bits != 0 {
            f(j * 64 + bits.trailing_zeros() as usize);
            bits &= bits - 1;
        }
    }
}
