//! The portable kernel: Harley-Seal vertical counters on plain `u64` (SWAR).
//!
//! One `u64` is one "vector" of 64 bit positions. Sixteen masked words go
//! through a carry-save adder tree that keeps running `ones`, `twos`,
//! `fours`, `eights` words and emits one `sixteens` word per block; that word
//! is added into eight byte-wide counter words (bit `j` of every byte goes to
//! `bytes[j]`), which are widened into `u64` counters every 255 blocks before
//! a byte can overflow. About a dozen integer operations per ballot instead
//! of a decode-and-branch per candidate line.

use super::packed::FOR_BITS;
use super::{ColumnCounter, SlotCounter};

/// Words per Harley-Seal block.
const BLOCK: usize = 16;
/// Blocks that byte counters can take before one could overflow.
const BLOCKS_PER_WIDEN: u32 = 255;
/// The low bit of every byte.
const LOW_BYTE_BITS: u64 = 0x0101_0101_0101_0101;
/// The low byte of every 16-bit field.
const LOW_HALF_BYTES: u64 = 0x00ff_00ff_00ff_00ff;

/// Harley-Seal counter state for `L` lanes of 64 bit positions, kept as
/// plain arrays so that it can live between calls in safe code; the SIMD
/// kernels load it into registers for the duration of a run. Every lane
/// counts the same 64 positions (one word column), so lanes are summed when
/// widening.
#[derive(Clone)]
pub(crate) struct LaneCounters<const L: usize> {
    pub(crate) ones: [u64; L],
    pub(crate) twos: [u64; L],
    pub(crate) fours: [u64; L],
    pub(crate) eights: [u64; L],
    /// Byte `b` of lane `l` of `bytes[j]` counts sixteens at bit position
    /// `8*b + j`.
    pub(crate) bytes: [[u64; L]; 8],
    /// Blocks added into `bytes` since they were last widened.
    pub(crate) blocks: u32,
    /// Widened totals per bit position.
    counts: [u64; 64],
}

impl<const L: usize> LaneCounters<L> {
    pub(crate) const fn new() -> Self {
        // `widen` and `finish` sum lanes in narrow fields.
        const { assert!(L <= 8) };
        LaneCounters {
            ones: [0; L],
            twos: [0; L],
            fours: [0; L],
            eights: [0; L],
            bytes: [[0; L]; 8],
            blocks: 0,
            counts: [0; 64],
        }
    }

    /// Record one more block in `bytes`; true when they must be widened now.
    #[inline(always)]
    pub(crate) fn block_done(&mut self) -> bool {
        self.blocks += 1;
        self.blocks == BLOCKS_PER_WIDEN
    }

    /// Move the byte counters (in units of 16) into the `u64` totals.
    ///
    /// Lanes are summed first in 16-bit fields (at most 8 × 255), so the
    /// work is per byte position, not per lane and byte.
    pub(crate) fn widen(&mut self) {
        for (j, lanes) in self.bytes.iter_mut().enumerate() {
            let (mut even, mut odd) = (0u64, 0u64);
            for lane in lanes.iter_mut() {
                even += *lane & LOW_HALF_BYTES;
                odd += (*lane >> 8) & LOW_HALF_BYTES;
                *lane = 0;
            }
            for k in 0..4 {
                self.counts[16 * k + j] += 16 * ((even >> (16 * k)) & 0xffff);
                self.counts[16 * k + 8 + j] += 16 * ((odd >> (16 * k)) & 0xffff);
            }
        }
        self.blocks = 0;
    }

    /// Add the per-position totals, residual carries included, to `counts`.
    pub(crate) fn finish(mut self, counts: &mut [u64]) {
        self.widen();
        // The residual ones..eights weigh 1 + 2 + 4 + 8 = 15 at most per lane,
        // so with at most 8 lanes a byte-wide sum (≤ 120) cannot overflow.
        let weighted = [
            (self.ones, 1),
            (self.twos, 2),
            (self.fours, 4),
            (self.eights, 8),
        ];
        for j in 0..8 {
            let mut residual = 0u64;
            for (lanes, weight) in weighted {
                for word in lanes {
                    residual += weight * ((word >> j) & LOW_BYTE_BITS);
                }
            }
            for b in 0..8 {
                self.counts[8 * b + j] += (residual >> (8 * b)) & 0xff;
            }
        }
        for (count, total) in counts.iter_mut().zip(self.counts) {
            *count += total;
        }
    }
}

/// The portable column counter: one lane, one `u64` at a time.
#[derive(Clone)]
pub(crate) struct SwarColumn(LaneCounters<1>);

impl SwarColumn {
    pub(crate) fn new() -> Self {
        SwarColumn(LaneCounters::new())
    }

    #[inline(always)]
    fn add<const CHECK: bool>(&mut self, words: &[u64], limit: u64) -> u64 {
        let st = &mut self.0;
        let (mut ones, mut twos, mut fours, mut eights) =
            (st.ones[0], st.twos[0], st.fours[0], st.eights[0]);
        let mut counted = 0u64;
        for block in words.chunks_exact(BLOCK) {
            let mut d = [0u64; BLOCK];
            for (x, &w) in d.iter_mut().zip(block) {
                *x = if CHECK {
                    let ok = u64::from(for_marks(w) <= limit);
                    counted += ok;
                    w & ok.wrapping_neg()
                } else {
                    w
                };
            }
            let sixteens = csa16(&mut ones, &mut twos, &mut fours, &mut eights, &d);
            for (j, byte) in st.bytes.iter_mut().enumerate() {
                byte[0] += (sixteens >> j) & LOW_BYTE_BITS;
            }
            if st.block_done() {
                st.widen();
            }
        }
        (st.ones[0], st.twos[0], st.fours[0], st.eights[0]) = (ones, twos, fours, eights);
        if CHECK {
            counted
        } else {
            words.len() as u64
        }
    }
}

impl ColumnCounter for SwarColumn {
    const BLOCK: usize = BLOCK;

    fn run(&mut self, words: &[u64], limit: Option<u64>) -> u64 {
        match limit {
            Some(limit) => self.add::<true>(words, limit),
            None => self.add::<false>(words, 0),
        }
    }

    fn finish(self, counts: &mut [u64]) {
        self.0.finish(counts);
    }
}

/// Carry-save adder: `(carry, sum)` of three bit vectors, bit by bit.
#[inline(always)]
fn csa(a: u64, b: u64, c: u64) -> (u64, u64) {
    let u = a ^ b;
    ((a & b) | (u & c), u ^ c)
}

/// The Harley-Seal tree over `BLOCK` (16) words: adds `d` into the running ones,
/// twos, fours and eights and returns the sixteens word of the block.
#[inline(always)]
fn csa16(
    ones: &mut u64,
    twos: &mut u64,
    fours: &mut u64,
    eights: &mut u64,
    d: &[u64; BLOCK],
) -> u64 {
    let (twos_a, o) = csa(*ones, d[0], d[1]);
    let (twos_b, o) = csa(o, d[2], d[3]);
    let (fours_a, t) = csa(*twos, twos_a, twos_b);
    let (twos_a, o) = csa(o, d[4], d[5]);
    let (twos_b, o) = csa(o, d[6], d[7]);
    let (fours_b, t) = csa(t, twos_a, twos_b);
    let (eights_a, f) = csa(*fours, fours_a, fours_b);
    let (twos_a, o) = csa(o, d[8], d[9]);
    let (twos_b, o) = csa(o, d[10], d[11]);
    let (fours_a, t) = csa(t, twos_a, twos_b);
    let (twos_a, o) = csa(o, d[12], d[13]);
    let (twos_b, o) = csa(o, d[14], d[15]);
    let (fours_b, t) = csa(t, twos_a, twos_b);
    let (eights_b, f) = csa(f, fours_a, fours_b);
    let (sixteens, e) = csa(*eights, eights_a, eights_b);
    (*ones, *twos, *fours, *eights) = (o, t, f, e);
    sixteens
}

/// For-marks in one word, by SWAR (no popcount instruction on the baseline
/// x86-64 target): the for-bits already sit in 2-bit fields, so one
/// reduction step fewer than a general popcount.
#[inline(always)]
pub(crate) fn for_marks(w: u64) -> u64 {
    let x = w & FOR_BITS;
    let x = (x & 0x3333_3333_3333_3333) + ((x >> 2) & 0x3333_3333_3333_3333);
    let x = (x + (x >> 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    x.wrapping_mul(0x0101_0101_0101_0101) >> 56
}

/// Harley-Seal state of one slot of a [`Slots`] counter: `L` lanes, each
/// counting its own word column (unlike [`LaneCounters`], lanes are never
/// summed with each other).
#[derive(Clone)]
pub(crate) struct SlotState<const L: usize> {
    pub(crate) ones: [u64; L],
    pub(crate) twos: [u64; L],
    pub(crate) fours: [u64; L],
    pub(crate) eights: [u64; L],
    /// Byte `b` of lane `l` of `bytes[j]` counts sixteens at bit position
    /// `8*b + j` of that lane's word column.
    pub(crate) bytes: [[u64; L]; 8],
}

/// Counters for multi-word ballots read in place, `L` words a register.
///
/// The words of `wpb`-word ballots are read as consecutive registers of
/// `L` words, with no gather and no transpose. Word `i` of the stream is
/// word column `i % wpb`, so register `r`, lane `l` always holds column
/// `(r * L + l) % wpb`, and that pattern repeats every
/// `period = lcm(wpb, L) / L` registers. Register `r` is therefore added
/// into *slot* `r % period`, whose lanes each count one fixed column; the
/// slots' lanes are mapped back to columns only when widening. A block is
/// 16 registers per slot (one Harley-Seal tree each).
#[derive(Clone)]
pub(crate) struct Slots<const L: usize> {
    /// Words per ballot.
    wpb: usize,
    /// Registers before the column pattern repeats: `lcm(wpb, L) / L`.
    pub(crate) period: usize,
    /// One state per slot, `period` of them.
    pub(crate) state: Vec<SlotState<L>>,
    /// Blocks added into the byte counters since they were last widened.
    blocks: usize,
    /// Widened totals, `64 * wpb` (counter index `word * 64 + bit`).
    counts: Vec<u64>,
}

/// Most blocks one [`Slots::reserve`] may announce.
pub(crate) const MAX_RUN_BLOCKS: usize = 64;

impl<const L: usize> Slots<L> {
    pub(crate) fn new(wpb: usize) -> Self {
        const { assert!(L >= 1 && L <= 8) };
        let wpb = wpb.max(1);
        let period = lcm(wpb, L) / L;
        let zero = SlotState {
            ones: [0; L],
            twos: [0; L],
            fours: [0; L],
            eights: [0; L],
            bytes: [[0; L]; 8],
        };
        Slots {
            wpb,
            period,
            state: vec![zero; period],
            blocks: 0,
            counts: vec![0; 64 * wpb],
        }
    }

    /// Words per ballot.
    pub(crate) fn wpb(&self) -> usize {
        self.wpb
    }

    /// An empty counter of the same width.
    pub(crate) fn fresh(&self) -> Self {
        Slots::new(self.wpb)
    }

    /// Words per block: 16 registers per slot. A whole number of ballots.
    pub(crate) fn block_words(&self) -> usize {
        16 * self.period * L
    }

    /// Announce that `blocks` (≤ [`MAX_RUN_BLOCKS`]) more blocks are about
    /// to be added; widens first if a byte counter could overflow.
    pub(crate) fn reserve(&mut self, blocks: usize) {
        debug_assert!(blocks <= MAX_RUN_BLOCKS);
        if self.blocks + blocks > BLOCKS_PER_WIDEN as usize {
            self.widen();
        }
        self.blocks += blocks;
    }

    /// The word column that lane `l` of slot `p` counts.
    fn column(&self, p: usize, l: usize) -> usize {
        (p * L + l) % self.wpb
    }

    /// Move the byte counters (in units of 16) into the `u64` totals.
    fn widen(&mut self) {
        for p in 0..self.period {
            for l in 0..L {
                let base = 64 * self.column(p, l);
                for j in 0..8 {
                    let word = std::mem::take(&mut self.state[p].bytes[j][l]);
                    for b in 0..8 {
                        self.counts[base + 8 * b + j] += 16 * ((word >> (8 * b)) & 0xff);
                    }
                }
            }
        }
        self.blocks = 0;
    }

    /// Add the per-position totals, residual carries included, to `counts`
    /// (`64 * wpb` entries).
    pub(crate) fn finish(mut self, counts: &mut [u64]) {
        self.widen();
        // The residual ones..eights of a lane weigh 1 + 2 + 4 + 8 = 15 at
        // most per bit position: summed a bit of every byte at a time, as
        // in `LaneCounters::finish`, without a branch per set bit.
        for p in 0..self.period {
            let s = &self.state[p];
            for l in 0..L {
                let base = 64 * self.column(p, l);
                let weighted = [
                    (s.ones[l], 1),
                    (s.twos[l], 2),
                    (s.fours[l], 4),
                    (s.eights[l], 8),
                ];
                for j in 0..8 {
                    let residual: u64 = weighted
                        .iter()
                        .map(|&(word, weight)| weight * ((word >> j) & LOW_BYTE_BITS))
                        .sum();
                    for b in 0..8 {
                        self.counts[base + 8 * b + j] += (residual >> (8 * b)) & 0xff;
                    }
                }
            }
        }
        for (count, total) in counts.iter_mut().zip(&self.counts) {
            *count += total;
        }
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn lcm(a: usize, b: usize) -> usize {
    a / gcd(a, b) * b
}

/// The portable slot counter: one word a "register", so one slot per word
/// column.
#[derive(Clone)]
pub(crate) struct SwarSlots(Slots<1>);

impl SwarSlots {
    pub(crate) fn new(wpb: usize) -> Self {
        SwarSlots(Slots::new(wpb))
    }
}

impl SlotCounter for SwarSlots {
    fn fresh(&self) -> Self {
        SwarSlots(self.0.fresh())
    }

    fn block_words(&self) -> usize {
        self.0.block_words()
    }

    fn run(&mut self, words: &[u64]) {
        let st = &mut self.0;
        let period = st.period;
        let block = st.block_words();
        for piece in words.chunks(block * MAX_RUN_BLOCKS) {
            let blocks = piece.len() / block;
            st.reserve(blocks);
            for (p, s) in st.state.iter_mut().enumerate() {
                let (mut ones, mut twos, mut fours, mut eights) =
                    (s.ones[0], s.twos[0], s.fours[0], s.eights[0]);
                for block in piece.chunks_exact(block) {
                    let d: [u64; BLOCK] = std::array::from_fn(|i| block[i * period + p]);
                    let sixteens = csa16(&mut ones, &mut twos, &mut fours, &mut eights, &d);
                    for (j, byte) in s.bytes.iter_mut().enumerate() {
                        byte[0] += (sixteens >> j) & LOW_BYTE_BITS;
                    }
                }
                (s.ones[0], s.twos[0], s.fours[0], s.eights[0]) = (ones, twos, fours, eights);
            }
        }
    }

    fn over_limit(&self, chunk: &[u64], wpb: usize, limit: u64, over: &mut [usize]) -> usize {
        over_limit(chunk, wpb, limit, over)
    }

    fn finish(self, counts: &mut [u64]) {
        self.0.finish(counts);
    }
}

/// [`SlotCounter::over_limit`] in plain Rust. Branch-free compaction:
/// overvotes are random, and a mispredicted branch per ballot would cost
/// more than checking a short ballot.
#[inline(always)]
pub(crate) fn over_limit(chunk: &[u64], wpb: usize, limit: u64, over: &mut [usize]) -> usize {
    let mut found = 0;
    for (b, ballot) in chunk.chunks_exact(wpb).enumerate() {
        over[found] = b;
        found += usize::from(ballot.iter().map(|&w| for_marks(w)).sum::<u64>() > limit);
    }
    found
}
