//! AVX2 and AVX-512 column counters: the portable Harley-Seal design with
//! 4 or 8 ballots per register. The only file of the crate with `unsafe`.
//!
//! Safety design: a column counter can only be created by `new()`, which
//! returns `None` unless the CPU features its kernel needs were detected at
//! run time. Every call into a `#[target_feature]` function goes through a
//! method of that counter, so holding one is the proof the call is sound.
//! The remaining `unsafe` are unaligned loads and stores of whole `[u64; N]`
//! arrays, prefetch hints (which never fault) and masked loads of a
//! ballot's last partial register (`vpmaskmovq`, `vmovdqu64` with a zero
//! mask), whose masked-out lanes are never read. There are no gathers. The
//! crate is built for the baseline target; these functions are compiled for
//! their features only (see PERFORMANCE-NOTES on why never
//! `-C target-cpu=native`).
//!
//! Per register of `L` ballots (single-word ballots, validity checked):
//! - AVX-512 (F, BW, VPOPCNTDQ): `vpandq` for-bits, `vpopcntq`, compare with
//!   the limit into a lane mask, zero-masking move; the mask also counts the
//!   valid ballots. The carry-save adders are two `vpternlogq` each
//!   (majority `0xE8`, three-way xor `0x96`).
//! - AVX2: the for-bits of each byte folded into its low nibble (bits 4
//!   and 6 shifted onto 1 and 3) and looked up in a popcount table
//!   (`vpshufb`), `vpsadbw`, `vpcmpgtq` against the limit, `vpandn`;
//!   adders are five bitwise operations.
//!
//! Both then add the block's sixteens into byte counters (eight
//! shift-and-add per block) which are widened in safe code every 255
//! blocks, and prefetch 4 KiB ahead. The AVX2 kernels park each block's
//! sixteens in a buffer and add them into the byte counters after a run of
//! blocks: AVX2 has 16 vector registers, too few for the adder tree, the
//! validity check and eight byte counters at once. Multi-word ballots use the same adder
//! tree over slot counters (`Slots`, see `mod.rs`); `fused_*` check
//! validity in the registers when a register holds whole ballots, `over_*`
//! list the overvotes of a chunk otherwise.
//!
//! `sum_avx2` / `sum_avx512` are the benchmarks' physical baseline: a sum
//! with four register accumulators and the same prefetch.
//!
//! The packed form never holds the code `11` (the safe constructors reject
//! it). Were it to occur, these kernels would count the line as both for and
//! against and its for-bit as a selection; they never read past the slice
//! and cannot cause undefined behaviour either way.

#![allow(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{
    avx2_available, avx512_available, sum_avx2, sum_avx512, Avx2Column, Avx2Slots, Avx512Column,
    Avx512Slots,
};

#[cfg(not(target_arch = "x86_64"))]
pub(crate) use other::{
    avx2_available, avx512_available, sum_avx2, sum_avx512, Avx2Column, Avx2Slots, Avx512Column,
    Avx512Slots,
};

#[cfg(target_arch = "x86_64")]
mod x86 {
    use crate::count::packed::FOR_BITS;
    use crate::count::portable::{LaneCounters, Slots, MAX_RUN_BLOCKS};
    use crate::count::{ColumnCounter, SlotCounter};
    use std::arch::x86_64::*;

    pub(crate) fn avx2_available() -> bool {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("popcnt")
    }

    pub(crate) fn avx512_available() -> bool {
        is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vpopcntdq")
            && is_x86_feature_detected!("popcnt")
    }

    /// AVX2 column counter; exists only on a CPU with AVX2 and POPCNT.
    #[derive(Clone)]
    pub(crate) struct Avx2Column(LaneCounters<4>);

    impl Avx2Column {
        pub(crate) fn new() -> Option<Self> {
            avx2_available().then(|| Avx2Column(LaneCounters::new()))
        }
    }

    impl ColumnCounter for Avx2Column {
        const BLOCK: usize = 64;

        fn run(&mut self, words: &[u64], limit: Option<u64>) -> u64 {
            // SAFETY: `self` was created by `new`, which checked AVX2 and
            // POPCNT.
            unsafe {
                match limit {
                    Some(limit) => add_avx2::<true>(&mut self.0, words, limit),
                    None => add_avx2::<false>(&mut self.0, words, 0),
                }
            }
        }

        fn finish(self, counts: &mut [u64]) {
            self.0.finish(counts);
        }
    }

    /// AVX-512 column counter; exists only on a CPU with AVX-512 F, BW,
    /// VPOPCNTDQ and POPCNT.
    #[derive(Clone)]
    pub(crate) struct Avx512Column(LaneCounters<8>);

    impl Avx512Column {
        pub(crate) fn new() -> Option<Self> {
            avx512_available().then(|| Avx512Column(LaneCounters::new()))
        }
    }

    impl ColumnCounter for Avx512Column {
        const BLOCK: usize = 128;

        fn run(&mut self, words: &[u64], limit: Option<u64>) -> u64 {
            // SAFETY: `self` was created by `new`, which checked AVX-512 F,
            // BW, VPOPCNTDQ and POPCNT.
            unsafe {
                match limit {
                    Some(limit) => add_avx512::<true>(&mut self.0, words, limit),
                    None => add_avx512::<false>(&mut self.0, words, 0),
                }
            }
        }

        fn finish(self, counts: &mut [u64]) {
            self.0.finish(counts);
        }
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    fn load4(words: &[u64; 4]) -> __m256i {
        // SAFETY: reads exactly the 32 bytes of `words`; `loadu` has no
        // alignment requirement.
        unsafe { _mm256_loadu_si256(words.as_ptr().cast()) }
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    fn store4(dst: &mut [u64; 4], v: __m256i) {
        // SAFETY: writes exactly the 32 bytes of `dst`; no alignment needed.
        unsafe { _mm256_storeu_si256(dst.as_mut_ptr().cast(), v) }
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn load8(words: &[u64; 8]) -> __m512i {
        // SAFETY: reads exactly the 64 bytes of `words`; `loadu` has no
        // alignment requirement.
        unsafe { _mm512_loadu_si512(words.as_ptr().cast()) }
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn store8(dst: &mut [u64; 8], v: __m512i) {
        // SAFETY: writes exactly the 64 bytes of `dst`; no alignment needed.
        unsafe { _mm512_storeu_si512(dst.as_mut_ptr().cast(), v) }
    }

    /// How far ahead of the block being counted to prefetch, in bytes.
    const PREFETCH_AHEAD: usize = 4096;

    /// Hint that the cache lines `PREFETCH_AHEAD` bytes past `block` will be
    /// read soon.
    #[inline(always)]
    fn prefetch<const N: usize>(block: &[u64; N]) {
        let at = block.as_ptr().cast::<i8>().wrapping_add(PREFETCH_AHEAD);
        for line in 0..(N * 8).div_ceil(64) {
            // SAFETY: a prefetch is a hint that never faults, even for an
            // address past the end of the slice; `wrapping_add` forms the
            // address without dereferencing it.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(at.wrapping_add(64 * line)) }
        }
    }

    /// Carry-save adder on 256-bit vectors: `(carry, sum)`.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn csa256(a: __m256i, b: __m256i, c: __m256i) -> (__m256i, __m256i) {
        let u = _mm256_xor_si256(a, b);
        let carry = _mm256_or_si256(_mm256_and_si256(a, b), _mm256_and_si256(u, c));
        (carry, _mm256_xor_si256(u, c))
    }

    /// Carry-save adder on 512-bit vectors: majority and three-way xor.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn csa512(a: __m512i, b: __m512i, c: __m512i) -> (__m512i, __m512i) {
        (
            _mm512_ternarylogic_epi64::<0xE8>(a, b, c),
            _mm512_ternarylogic_epi64::<0x96>(a, b, c),
        )
    }

    /// The Harley-Seal tree over 16 inputs produced by `$input!(i)`; updates
    /// `$ones.. $eights` and yields the block's sixteens.
    macro_rules! harley_seal {
        ($csa:ident, $input:ident, $ones:ident, $twos:ident, $fours:ident, $eights:ident) => {{
            let (twos_a, o) = $csa($ones, $input!(0), $input!(1));
            let (twos_b, o) = $csa(o, $input!(2), $input!(3));
            let (fours_a, t) = $csa($twos, twos_a, twos_b);
            let (twos_a, o) = $csa(o, $input!(4), $input!(5));
            let (twos_b, o) = $csa(o, $input!(6), $input!(7));
            let (fours_b, t) = $csa(t, twos_a, twos_b);
            let (eights_a, f) = $csa($fours, fours_a, fours_b);
            let (twos_a, o) = $csa(o, $input!(8), $input!(9));
            let (twos_b, o) = $csa(o, $input!(10), $input!(11));
            let (fours_a, t) = $csa(t, twos_a, twos_b);
            let (twos_a, o) = $csa(o, $input!(12), $input!(13));
            let (twos_b, o) = $csa(o, $input!(14), $input!(15));
            let (fours_b, t) = $csa(t, twos_a, twos_b);
            let (eights_b, f) = $csa(f, fours_a, fours_b);
            let (sixteens, e) = $csa($eights, eights_a, eights_b);
            ($ones, $twos, $fours, $eights) = (o, t, f, e);
            sixteens
        }};
    }

    /// Add bit `j` of every byte of `$s` into `$bytes[j]`, for j in 0..8.
    macro_rules! add_bytes {
        ($bytes:ident, $s:ident, $low:ident, $add:ident, $and:ident, $srli:ident) => {{
            $bytes[0] = $add($bytes[0], $and($s, $low));
            $bytes[1] = $add($bytes[1], $and($srli::<1>($s), $low));
            $bytes[2] = $add($bytes[2], $and($srli::<2>($s), $low));
            $bytes[3] = $add($bytes[3], $and($srli::<3>($s), $low));
            $bytes[4] = $add($bytes[4], $and($srli::<4>($s), $low));
            $bytes[5] = $add($bytes[5], $and($srli::<5>($s), $low));
            $bytes[6] = $add($bytes[6], $and($srli::<6>($s), $low));
            $bytes[7] = $add($bytes[7], $and($srli::<7>($s), $low));
        }};
    }

    /// Blocks whose sixteens the AVX2 kernels park before adding them into
    /// the byte counters.
    const PARKED_BLOCKS: usize = 64;

    /// Count `words` (whole 64-word blocks) into `st`, 4 words a register.
    #[target_feature(enable = "avx2")]
    fn add_avx2<const CHECK: bool>(st: &mut LaneCounters<4>, words: &[u64], limit: u64) -> u64 {
        let table = popcount_table();
        // limit < candidates ≤ 64 here when CHECK, so the signed compare is
        // exact; clamp anyway so a huge limit cannot wrap negative.
        let lim = _mm256_set1_epi64x(limit.min(i64::MAX as u64) as i64);
        let low = _mm256_set1_epi8(1);
        let zero = _mm256_setzero_si256();
        let mut rejected = zero;
        let mut ones = load4(&st.ones);
        let mut twos = load4(&st.twos);
        let mut fours = load4(&st.fours);
        let mut eights = load4(&st.eights);
        // The blocks' sixteens are parked here and added into the byte
        // counters after each piece, so that the eight byte counters do not
        // compete with the adder tree for the 16 vector registers.
        let mut parked = [zero; PARKED_BLOCKS];

        let (blocks, _) = words.as_chunks::<64>();
        for piece in blocks.chunks(PARKED_BLOCKS) {
            for (out, block) in parked.iter_mut().zip(piece) {
                prefetch(block);
                let (v, _) = block.as_chunks::<4>();
                macro_rules! input {
                    ($i:expr) => {{
                        let w = load4(&v[$i]);
                        if CHECK {
                            let per_byte = for_marks_per_byte(w, table);
                            let marks = _mm256_sad_epu8(per_byte, zero);
                            let over = _mm256_cmpgt_epi64(marks, lim);
                            rejected = _mm256_sub_epi64(rejected, over);
                            _mm256_andnot_si256(over, w)
                        } else {
                            w
                        }
                    }};
                }
                *out = harley_seal!(csa256, input, ones, twos, fours, eights);
            }
            let mut bytes = [zero; 8];
            for (b, src) in bytes.iter_mut().zip(&st.bytes) {
                *b = load4(src);
            }
            for &x in &parked[..piece.len()] {
                add_bytes!(
                    bytes,
                    x,
                    low,
                    _mm256_add_epi8,
                    _mm256_and_si256,
                    _mm256_srli_epi64
                );
                if st.block_done() {
                    for (dst, &b) in st.bytes.iter_mut().zip(&bytes) {
                        store4(dst, b);
                    }
                    st.widen();
                    bytes = [zero; 8];
                }
            }
            for (dst, &b) in st.bytes.iter_mut().zip(&bytes) {
                store4(dst, b);
            }
        }

        store4(&mut st.ones, ones);
        store4(&mut st.twos, twos);
        store4(&mut st.fours, fours);
        store4(&mut st.eights, eights);
        let mut lanes = [0u64; 4];
        store4(&mut lanes, rejected);
        let counted = blocks.len() as u64 * 64;
        counted - lanes.iter().sum::<u64>()
    }

    /// Count `words` (whole 128-word blocks) into `st`, 8 words a register.
    #[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq")]
    fn add_avx512<const CHECK: bool>(st: &mut LaneCounters<8>, words: &[u64], limit: u64) -> u64 {
        let for_bits = _mm512_set1_epi64(FOR_BITS as i64);
        let lim = _mm512_set1_epi64(limit.min(i64::MAX as u64) as i64);
        let low = _mm512_set1_epi8(1);
        let one = _mm512_set1_epi64(1);
        let zero = _mm512_setzero_si512();
        let mut accepted = zero;
        let mut ones = load8(&st.ones);
        let mut twos = load8(&st.twos);
        let mut fours = load8(&st.fours);
        let mut eights = load8(&st.eights);
        let mut bytes = st.bytes.map(|b| load8(&b));

        let (blocks, _) = words.as_chunks::<128>();
        for block in blocks {
            prefetch(block);
            let (v, _) = block.as_chunks::<8>();
            macro_rules! input {
                ($i:expr) => {{
                    let w = load8(&v[$i]);
                    if CHECK {
                        let marks = _mm512_popcnt_epi64(_mm512_and_si512(w, for_bits));
                        let ok = _mm512_cmple_epu64_mask(marks, lim);
                        accepted = _mm512_mask_add_epi64(accepted, ok, accepted, one);
                        _mm512_maskz_mov_epi64(ok, w)
                    } else {
                        w
                    }
                }};
            }
            let s = harley_seal!(csa512, input, ones, twos, fours, eights);
            add_bytes!(
                bytes,
                s,
                low,
                _mm512_add_epi8,
                _mm512_and_si512,
                _mm512_srli_epi64
            );
            if st.block_done() {
                for (dst, &b) in st.bytes.iter_mut().zip(&bytes) {
                    store8(dst, b);
                }
                st.widen();
                bytes = [zero; 8];
            }
        }

        store8(&mut st.ones, ones);
        store8(&mut st.twos, twos);
        store8(&mut st.fours, fours);
        store8(&mut st.eights, eights);
        for (dst, &b) in st.bytes.iter_mut().zip(&bytes) {
            store8(dst, b);
        }
        if CHECK {
            let mut lanes = [0u64; 8];
            store8(&mut lanes, accepted);
            lanes.iter().sum()
        } else {
            blocks.len() as u64 * 128
        }
    }

    /// AVX2 slot counter for multi-word ballots; exists only on a CPU with
    /// AVX2 and POPCNT.
    #[derive(Clone)]
    pub(crate) struct Avx2Slots(Slots<4>);

    impl Avx2Slots {
        pub(crate) fn new(wpb: usize) -> Option<Self> {
            avx2_available().then(|| Avx2Slots(Slots::new(wpb)))
        }
    }

    impl SlotCounter for Avx2Slots {
        fn fresh(&self) -> Self {
            Avx2Slots(self.0.fresh())
        }

        fn block_words(&self) -> usize {
            self.0.block_words()
        }

        fn run(&mut self, words: &[u64]) {
            // SAFETY: `self` was created by `new`, which checked AVX2.
            unsafe { slots_avx2(&mut self.0, words) }
        }

        fn over_limit(&self, chunk: &[u64], wpb: usize, limit: u64, over: &mut [usize]) -> usize {
            // SAFETY: as above.
            unsafe { over_avx2(chunk, wpb, limit, over) }
        }

        fn run_checked(&mut self, words: &[u64], limit: u64) -> Option<u64> {
            match self.0.wpb() {
                2 => {
                    // SAFETY: `self` was created by `new`, which checked the
                    // features.
                    Some(unsafe { fused_avx2::<2>(&mut self.0, words, limit) })
                }
                4 => {
                    // SAFETY: as above.
                    Some(unsafe { fused_avx2::<4>(&mut self.0, words, limit) })
                }
                _ => None,
            }
        }

        fn finish(self, counts: &mut [u64]) {
            self.0.finish(counts);
        }
    }

    /// AVX-512 slot counter for multi-word ballots; exists only on a CPU
    /// with AVX-512 F, BW, VPOPCNTDQ and POPCNT.
    #[derive(Clone)]
    pub(crate) struct Avx512Slots(Slots<8>);

    impl Avx512Slots {
        pub(crate) fn new(wpb: usize) -> Option<Self> {
            avx512_available().then(|| Avx512Slots(Slots::new(wpb)))
        }
    }

    impl SlotCounter for Avx512Slots {
        fn fresh(&self) -> Self {
            Avx512Slots(self.0.fresh())
        }

        fn block_words(&self) -> usize {
            self.0.block_words()
        }

        fn run(&mut self, words: &[u64]) {
            // SAFETY: `self` was created by `new`, which checked AVX-512 F,
            // BW, VPOPCNTDQ.
            unsafe { slots_avx512(&mut self.0, words) }
        }

        fn over_limit(&self, chunk: &[u64], wpb: usize, limit: u64, over: &mut [usize]) -> usize {
            // SAFETY: as above.
            unsafe { over_avx512(chunk, wpb, limit, over) }
        }

        fn run_checked(&mut self, words: &[u64], limit: u64) -> Option<u64> {
            match self.0.wpb() {
                2 => {
                    // SAFETY: `self` was created by `new`, which checked the
                    // features.
                    Some(unsafe { fused_avx512::<2>(&mut self.0, words, limit) })
                }
                4 => {
                    // SAFETY: as above.
                    Some(unsafe { fused_avx512::<4>(&mut self.0, words, limit) })
                }
                8 => {
                    // SAFETY: as above.
                    Some(unsafe { fused_avx512::<8>(&mut self.0, words, limit) })
                }
                _ => None,
            }
        }

        fn finish(self, counts: &mut [u64]) {
            self.0.finish(counts);
        }
    }

    /// Add the whole blocks of `$words` into the slots `$st`, `$lanes`
    /// words a register: for each slot, its state is loaded into registers
    /// once per piece and its 16 registers of every block (register
    /// `16 * period * block + i * period + slot`) go through the
    /// Harley-Seal tree. The first slot's pass prefetches each block's
    /// lines `PREFETCH_AHEAD` bytes ahead; the other passes read L1.
    macro_rules! run_slots {
        ($st:ident, $words:ident, $lanes:literal, $load:ident, $store:ident,
         $csa:ident, $add:ident, $and:ident, $srli:ident, $low:expr) => {{
            let period = $st.period;
            let block = $st.block_words();
            let low = $low;
            for piece in $words.chunks(block * MAX_RUN_BLOCKS) {
                let (regs, _) = piece.as_chunks::<$lanes>();
                let blocks = piece.len() / block;
                $st.reserve(blocks);
                for (p, s) in $st.state.iter_mut().enumerate() {
                    let mut ones = $load(&s.ones);
                    let mut twos = $load(&s.twos);
                    let mut fours = $load(&s.fours);
                    let mut eights = $load(&s.eights);
                    let mut bytes = s.bytes.map(|b| $load(&b));
                    for v in regs.chunks_exact(16 * period).take(blocks) {
                        if p == 0 {
                            prefetch_lines(v.as_flattened());
                        }
                        macro_rules! input {
                            ($i:expr) => {
                                $load(&v[$i * period + p])
                            };
                        }
                        let sixteens = harley_seal!($csa, input, ones, twos, fours, eights);
                        add_bytes!(bytes, sixteens, low, $add, $and, $srli);
                    }
                    $store(&mut s.ones, ones);
                    $store(&mut s.twos, twos);
                    $store(&mut s.fours, fours);
                    $store(&mut s.eights, eights);
                    for (dst, &b) in s.bytes.iter_mut().zip(&bytes) {
                        $store(dst, b);
                    }
                }
            }
        }};
    }

    /// [`SlotCounter::run`] for AVX2: [`slots_avx2_p`] compiled for the
    /// slot periods of ballots of up to ten words, the generic
    /// [`run_slots`] beyond.
    #[target_feature(enable = "avx2")]
    fn slots_avx2(st: &mut Slots<4>, words: &[u64]) {
        match st.period {
            1 => slots_avx2_p::<1>(st, words),
            2 => slots_avx2_p::<2>(st, words),
            3 => slots_avx2_p::<3>(st, words),
            5 => slots_avx2_p::<5>(st, words),
            7 => slots_avx2_p::<7>(st, words),
            9 => slots_avx2_p::<9>(st, words),
            _ => slots_avx2_any(st, words),
        }
    }

    /// [`run_slots`] for a period `P` known when compiling, so that the
    /// register indices are constants, and with the blocks' sixteens
    /// parked in a buffer and added into the byte counters after each
    /// slot's pass, which keeps the adder tree's registers free of the
    /// eight byte counters (AVX2 has 16 vector registers).
    #[target_feature(enable = "avx2")]
    fn slots_avx2_p<const P: usize>(st: &mut Slots<4>, words: &[u64]) {
        let low = _mm256_set1_epi8(1);
        let zero = _mm256_setzero_si256();
        let block = 16 * P * 4;
        let mut sixteens = [zero; MAX_RUN_BLOCKS];
        for piece in words.chunks(block * MAX_RUN_BLOCKS) {
            let (regs, _) = piece.as_chunks::<4>();
            let blocks = piece.len() / block;
            st.reserve(blocks);
            for (p, s) in st.state.iter_mut().enumerate().take(P) {
                let mut ones = load4(&s.ones);
                let mut twos = load4(&s.twos);
                let mut fours = load4(&s.fours);
                let mut eights = load4(&s.eights);
                for (out, v) in sixteens.iter_mut().zip(regs.chunks_exact(16 * P)) {
                    if p == 0 {
                        prefetch_lines(v.as_flattened());
                    }
                    macro_rules! input {
                        ($i:expr) => {
                            load4(&v[$i * P + p])
                        };
                    }
                    *out = harley_seal!(csa256, input, ones, twos, fours, eights);
                }
                store4(&mut s.ones, ones);
                store4(&mut s.twos, twos);
                store4(&mut s.fours, fours);
                store4(&mut s.eights, eights);
                let mut bytes = [zero; 8];
                for (b, src) in bytes.iter_mut().zip(&s.bytes) {
                    *b = load4(src);
                }
                for &x in &sixteens[..blocks] {
                    add_bytes!(
                        bytes,
                        x,
                        low,
                        _mm256_add_epi8,
                        _mm256_and_si256,
                        _mm256_srli_epi64
                    );
                }
                for (dst, &b) in s.bytes.iter_mut().zip(&bytes) {
                    store4(dst, b);
                }
            }
        }
    }

    #[target_feature(enable = "avx2")]
    fn slots_avx2_any(st: &mut Slots<4>, words: &[u64]) {
        run_slots!(
            st,
            words,
            4,
            load4,
            store4,
            csa256,
            _mm256_add_epi8,
            _mm256_and_si256,
            _mm256_srli_epi64,
            _mm256_set1_epi8(1)
        );
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq")]
    fn slots_avx512(st: &mut Slots<8>, words: &[u64]) {
        run_slots!(
            st,
            words,
            8,
            load8,
            store8,
            csa512,
            _mm512_add_epi8,
            _mm512_and_si512,
            _mm512_srli_epi64,
            _mm512_set1_epi8(1)
        );
    }

    /// Count whole blocks of `W`-word ballots (`W` = 2 or 4), masking
    /// each ballot by its validity in the registers. Registers are taken in
    /// pairs ([`masked_pair`]) so that the two registers' ballots share one
    /// horizontal sum, one compare and one count of the rejected; the
    /// blocks' sixteens are parked and added into the byte counters after
    /// each piece, as in [`add_avx2`]. Returns the number of valid ballots.
    #[target_feature(enable = "avx2")]
    fn fused_avx2<const W: usize>(st: &mut Slots<4>, words: &[u64], limit: u64) -> u64 {
        const { assert!(W == 2 || W == 4) };
        let table = popcount_table();
        let lim = _mm256_set1_epi64x(limit.min(i64::MAX as u64) as i64);
        let low = _mm256_set1_epi8(1);
        let zero = _mm256_setzero_si256();
        let mut rejected = zero;
        let mut counted = 0usize;
        let mut parked = [zero; MAX_RUN_BLOCKS];
        for piece in words.chunks(64 * MAX_RUN_BLOCKS) {
            let (blocks, _) = piece.as_chunks::<64>();
            st.reserve(blocks.len());
            counted += blocks.len() * 64;
            let s = &mut st.state[0];
            let mut ones = load4(&s.ones);
            let mut twos = load4(&s.twos);
            let mut fours = load4(&s.fours);
            let mut eights = load4(&s.eights);
            for (out, block) in parked.iter_mut().zip(blocks) {
                prefetch(block);
                let (v, _) = block.as_chunks::<4>();
                let mut d = [zero; 16];
                for (pair, regs) in d
                    .as_chunks_mut::<2>()
                    .0
                    .iter_mut()
                    .zip(v.as_chunks::<2>().0)
                {
                    *pair = masked_pair::<W>(regs, table, lim, &mut rejected);
                }
                macro_rules! input {
                    ($i:expr) => {
                        d[$i]
                    };
                }
                *out = harley_seal!(csa256, input, ones, twos, fours, eights);
            }
            store4(&mut s.ones, ones);
            store4(&mut s.twos, twos);
            store4(&mut s.fours, fours);
            store4(&mut s.eights, eights);
            let mut bytes = [zero; 8];
            for (b, src) in bytes.iter_mut().zip(&s.bytes) {
                *b = load4(src);
            }
            for &x in &parked[..blocks.len()] {
                add_bytes!(
                    bytes,
                    x,
                    low,
                    _mm256_add_epi8,
                    _mm256_and_si256,
                    _mm256_srli_epi64
                );
            }
            for (dst, &b) in s.bytes.iter_mut().zip(&bytes) {
                store4(dst, b);
            }
        }
        let mut lanes = [0u64; 4];
        store4(&mut lanes, rejected);
        // `masked_pair` counts a rejected two-word ballot once, a four-word
        // one twice.
        (counted / W) as u64 - lanes.iter().sum::<u64>() / (W as u64 / 2)
    }

    /// Two registers of `W`-word ballots (`W` = 2 or 4) with the ballots
    /// over `lim` zeroed; `rejected` is decreased by one per rejected
    /// two-word ballot and by two per rejected four-word ballot (in
    /// all-ones lanes, i.e. −1 each).
    ///
    /// - `W` = 2, registers `[A0 A1 B0 B1]`, `[C0 C1 D0 D1]`: the per-byte
    ///   counts are added as `[A0+A1, C0+C1 | B0+B1, D0+D1]` (two unpacks),
    ///   one `vpsadbw` gives `[A, C | B, D]`, one compare the four ballots'
    ///   masks, two unpacks spread them back over the words.
    /// - `W` = 4, registers `[A0..A3]`, `[B0..B3]`: one `vpsadbw` each, an
    ///   unpack-and-add and a lane swap give `[A, B | A, B]`, one compare,
    ///   two unpacks spread the masks.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn masked_pair<const W: usize>(
        regs: &[[u64; 4]; 2],
        table: __m256i,
        lim: __m256i,
        rejected: &mut __m256i,
    ) -> [__m256i; 2] {
        let zero = _mm256_setzero_si256();
        let (r0, r1) = (load4(&regs[0]), load4(&regs[1]));
        let (p0, p1) = (for_marks_per_byte(r0, table), for_marks_per_byte(r1, table));
        let over = if W == 2 {
            let bytes =
                _mm256_add_epi8(_mm256_unpacklo_epi64(p0, p1), _mm256_unpackhi_epi64(p0, p1));
            _mm256_cmpgt_epi64(_mm256_sad_epu8(bytes, zero), lim)
        } else {
            let (s0, s1) = (_mm256_sad_epu8(p0, zero), _mm256_sad_epu8(p1, zero));
            let t = _mm256_add_epi64(_mm256_unpacklo_epi64(s0, s1), _mm256_unpackhi_epi64(s0, s1));
            let totals = _mm256_add_epi64(t, _mm256_permute4x64_epi64::<0x4E>(t));
            _mm256_cmpgt_epi64(totals, lim)
        };
        *rejected = _mm256_sub_epi64(*rejected, over);
        [
            _mm256_andnot_si256(_mm256_unpacklo_epi64(over, over), r0),
            _mm256_andnot_si256(_mm256_unpackhi_epi64(over, over), r1),
        ]
    }

    /// [`fused_avx2`] for AVX-512: `vpopcntq`, swaps by `vpshufd` and
    /// `vshufi64x2`, a mask register for the ballots within the limit.
    #[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq")]
    fn fused_avx512<const W: usize>(st: &mut Slots<8>, words: &[u64], limit: u64) -> u64 {
        const { assert!(W == 2 || W == 4 || W == 8) };
        let for_bits = _mm512_set1_epi64(FOR_BITS as i64);
        let lim = _mm512_set1_epi64(limit.min(i64::MAX as u64) as i64);
        let low = _mm512_set1_epi8(1);
        let one = _mm512_set1_epi64(1);
        let zero = _mm512_setzero_si512();
        let mut accepted = zero;
        for piece in words.chunks(128 * MAX_RUN_BLOCKS) {
            let (blocks, _) = piece.as_chunks::<128>();
            st.reserve(blocks.len());
            let s = &mut st.state[0];
            let mut ones = load8(&s.ones);
            let mut twos = load8(&s.twos);
            let mut fours = load8(&s.fours);
            let mut eights = load8(&s.eights);
            let mut bytes = s.bytes.map(|b| load8(&b));
            for block in blocks {
                prefetch(block);
                let (v, _) = block.as_chunks::<8>();
                macro_rules! input {
                    ($i:expr) => {{
                        let w = load8(&v[$i]);
                        let mut marks = _mm512_popcnt_epi64(_mm512_and_si512(w, for_bits));
                        marks = _mm512_add_epi64(marks, _mm512_shuffle_epi32::<0x4E>(marks));
                        if W >= 4 {
                            marks =
                                _mm512_add_epi64(marks, _mm512_shuffle_i64x2::<0xB1>(marks, marks));
                        }
                        if W >= 8 {
                            marks =
                                _mm512_add_epi64(marks, _mm512_shuffle_i64x2::<0x4E>(marks, marks));
                        }
                        let ok = _mm512_cmple_epu64_mask(marks, lim);
                        accepted = _mm512_mask_add_epi64(accepted, ok, accepted, one);
                        _mm512_maskz_mov_epi64(ok, w)
                    }};
                }
                let sixteens = harley_seal!(csa512, input, ones, twos, fours, eights);
                add_bytes!(
                    bytes,
                    sixteens,
                    low,
                    _mm512_add_epi8,
                    _mm512_and_si512,
                    _mm512_srli_epi64
                );
            }
            store8(&mut s.ones, ones);
            store8(&mut s.twos, twos);
            store8(&mut s.fours, fours);
            store8(&mut s.eights, eights);
            for (dst, &b) in s.bytes.iter_mut().zip(&bytes) {
                store8(dst, b);
            }
        }
        let mut lanes = [0u64; 8];
        store8(&mut lanes, accepted);
        lanes.iter().sum::<u64>() / W as u64
    }

    /// Registers whose per-byte counts (at most 4 each) can be added up
    /// in bytes before one could overflow.
    const BYTE_SUM_REGS: usize = 63;

    /// [`SlotCounter::over_limit`] for AVX2: [`over_avx2_w`] for ballots
    /// of up to ten words (320 candidates), compiled for each width so that
    /// its loops unroll; [`over_avx2_any`] beyond.
    #[target_feature(enable = "avx2")]
    fn over_avx2(chunk: &[u64], wpb: usize, limit: u64, over: &mut [usize]) -> usize {
        match wpb {
            2 => over_avx2_w::<2>(chunk, limit, over),
            3 => over_avx2_w::<3>(chunk, limit, over),
            4 => over_avx2_w::<4>(chunk, limit, over),
            5 => over_avx2_w::<5>(chunk, limit, over),
            6 => over_avx2_w::<6>(chunk, limit, over),
            7 => over_avx2_w::<7>(chunk, limit, over),
            8 => over_avx2_w::<8>(chunk, limit, over),
            9 => over_avx2_w::<9>(chunk, limit, over),
            10 => over_avx2_w::<10>(chunk, limit, over),
            _ => over_avx2_any(chunk, wpb, limit, over),
        }
    }

    /// The over-limit check for `W`-word ballots, with loads aligned to
    /// each ballot (no gather) and the horizontal sums shared by four
    /// ballots.
    ///
    /// A ballot's full registers are reduced to per-byte for-mark counts
    /// ([`for_marks_per_byte`]) and added up in bytes. Its last, partial
    /// register is loaded as the ballot's *last four* words — still inside
    /// the ballot when it has four or more — with the lanes already counted
    /// zeroed; a two- or three-word ballot uses a masked load
    /// (`vpmaskmovq`). One `vpsadbw` leaves four partial sums per ballot;
    /// four ballots' partial sums are added across lanes together (two
    /// unpacks, two lane swaps), compared with the limit at once, and the
    /// over-limit ballots appended to `over` without a branch.
    #[target_feature(enable = "avx2")]
    fn over_avx2_w<const W: usize>(chunk: &[u64], limit: u64, over: &mut [usize]) -> usize {
        // Per-byte sums of at most ceil(W / 4) registers of 4 must fit a byte.
        const { assert!(W >= 2 && W <= 252) };
        let table = popcount_table();
        let lim = _mm256_set1_epi64x(limit.min(i64::MAX as u64) as i64);
        let keep = tail_keep(W);
        let (ballots, _) = chunk.as_chunks::<W>();
        let (quads, rest) = ballots.as_chunks::<4>();
        let mut found = 0;
        for (q, quad) in quads.iter().enumerate() {
            prefetch_lines(quad.as_flattened());
            let s = [
                partial_w(&quad[0], keep, table),
                partial_w(&quad[1], keep, table),
                partial_w(&quad[2], keep, table),
                partial_w(&quad[3], keep, table),
            ];
            let bits = over_four(s, lim);
            for k in 0..4 {
                over[found] = 4 * q + k;
                found += ((bits >> k) & 1) as usize;
            }
        }
        for (k, ballot) in rest.iter().enumerate() {
            over[found] = 4 * quads.len() + k;
            found += usize::from(hsum(partial_w(ballot, keep, table)) > limit);
        }
        found
    }

    /// The lanes of a `wpb`-word ballot's last partial register that belong
    /// to it: the top `wpb % 4` of its last four words, or, for a ballot
    /// shorter than a register, the first `wpb` of a masked load.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn tail_keep(wpb: usize) -> __m256i {
        let rem = wpb % 4;
        load4(&std::array::from_fn(|l| {
            let kept = if wpb >= 4 { l >= 4 - rem } else { l < rem };
            if kept {
                u64::MAX
            } else {
                0
            }
        }))
    }

    /// The four partial for-mark sums (`vpsadbw` lanes) of one ballot.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn partial_w<const W: usize>(ballot: &[u64; W], keep: __m256i, table: __m256i) -> __m256i {
        let (regs, _) = ballot.as_chunks::<4>();
        let mut bytes = _mm256_setzero_si256();
        for r in regs {
            bytes = _mm256_add_epi8(bytes, for_marks_per_byte(load4(r), table));
        }
        if !W.is_multiple_of(4) {
            let w = match ballot.last_chunk::<4>() {
                Some(last) => _mm256_and_si256(load4(last), keep),
                // SAFETY: fewer than four words: the mask selects the `W`
                // words of the ballot; masked-out lanes are not read and
                // cannot fault.
                None => unsafe { _mm256_maskload_epi64(ballot.as_ptr().cast(), keep) },
            };
            bytes = _mm256_add_epi8(bytes, for_marks_per_byte(w, table));
        }
        _mm256_sad_epu8(bytes, _mm256_setzero_si256())
    }

    /// Bit `k` set when ballot `k`'s four partial sums `s[k]` add up to
    /// more than `lim` (in every lane).
    #[target_feature(enable = "avx2")]
    #[inline]
    fn over_four(s: [__m256i; 4], lim: __m256i) -> i32 {
        // [s0.0+s0.1, s1.0+s1.1 | s0.2+s0.3, s1.2+s1.3], and s2, s3.
        let t0 = _mm256_add_epi64(
            _mm256_unpacklo_epi64(s[0], s[1]),
            _mm256_unpackhi_epi64(s[0], s[1]),
        );
        let t1 = _mm256_add_epi64(
            _mm256_unpacklo_epi64(s[2], s[3]),
            _mm256_unpackhi_epi64(s[2], s[3]),
        );
        // [S0, S1, S2, S3]: each ballot's for-marks.
        let totals = _mm256_add_epi64(
            _mm256_permute2x128_si256::<0x20>(t0, t1),
            _mm256_permute2x128_si256::<0x31>(t0, t1),
        );
        _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(totals, lim)))
    }

    /// The sum of the four lanes of `v`.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn hsum(v: __m256i) -> u64 {
        let v = _mm256_add_epi64(v, _mm256_shuffle_epi32::<0x4E>(v));
        let v = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
        _mm_cvtsi128_si64(v) as u64
    }

    /// The over-limit check for ballots of any length, one at a time.
    #[target_feature(enable = "avx2")]
    fn over_avx2_any(chunk: &[u64], wpb: usize, limit: u64, over: &mut [usize]) -> usize {
        let table = popcount_table();
        let zero = _mm256_setzero_si256();
        let keep = tail_keep(wpb);
        let mut found = 0;
        for (b, ballot) in chunk.chunks_exact(wpb).enumerate() {
            prefetch_lines(ballot);
            let (regs, _) = ballot.as_chunks::<4>();
            let mut total = zero;
            for group in regs.chunks(BYTE_SUM_REGS) {
                let mut bytes = zero;
                for r in group {
                    bytes = _mm256_add_epi8(bytes, for_marks_per_byte(load4(r), table));
                }
                total = _mm256_add_epi64(total, _mm256_sad_epu8(bytes, zero));
            }
            if !wpb.is_multiple_of(4) {
                let w = match ballot.last_chunk::<4>() {
                    Some(last) => _mm256_and_si256(load4(last), keep),
                    // SAFETY: fewer than four words: the mask selects the
                    // ballot's words; masked-out lanes are not read and
                    // cannot fault.
                    None => unsafe { _mm256_maskload_epi64(ballot.as_ptr().cast(), keep) },
                };
                let bytes = for_marks_per_byte(w, table);
                total = _mm256_add_epi64(total, _mm256_sad_epu8(bytes, zero));
            }
            over[found] = b;
            found += usize::from(hsum(total) > limit);
        }
        found
    }

    /// `popcount(n)` for each nibble `n`, in both 128-bit halves.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn popcount_table() -> __m256i {
        _mm256_setr_epi8(
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, //
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
        )
    }

    /// For-marks of each byte of `w` (0 to 4): the for-bits 0, 2, 4, 6 of
    /// a byte are folded into its low nibble (bits 4 and 6 shifted to 1
    /// and 3), then looked up in a popcount `table`.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn for_marks_per_byte(w: __m256i, table: __m256i) -> __m256i {
        let even = _mm256_and_si256(w, _mm256_set1_epi8(0x05));
        let high = _mm256_and_si256(_mm256_srli_epi16::<3>(w), _mm256_set1_epi8(0x0a));
        _mm256_shuffle_epi8(table, _mm256_or_si256(even, high))
    }

    /// [`over_avx2`] for AVX-512: `vpopcntq` per register and a
    /// zero-masking load of the last partial one.
    #[target_feature(enable = "avx512f,avx512vpopcntdq")]
    fn over_avx512(chunk: &[u64], wpb: usize, limit: u64, over: &mut [usize]) -> usize {
        let for_bits = _mm512_set1_epi64(FOR_BITS as i64);
        let rem = wpb % 8;
        let tail_mask: __mmask8 = (1u8 << rem).wrapping_sub(1);
        let mut found = 0;
        for (b, ballot) in chunk.chunks_exact(wpb).enumerate() {
            prefetch_lines(ballot);
            let (regs, last) = ballot.as_chunks::<8>();
            let mut total = _mm512_setzero_si512();
            for r in regs {
                let marks = _mm512_popcnt_epi64(_mm512_and_si512(load8(r), for_bits));
                total = _mm512_add_epi64(total, marks);
            }
            if rem != 0 {
                // SAFETY: `last` holds the `rem` words the mask selects;
                // masked-out lanes are not read and cannot fault.
                let w = unsafe { _mm512_maskz_loadu_epi64(tail_mask, last.as_ptr().cast()) };
                let marks = _mm512_popcnt_epi64(_mm512_and_si512(w, for_bits));
                total = _mm512_add_epi64(total, marks);
            }
            over[found] = b;
            found += usize::from(_mm512_reduce_add_epi64(total) as u64 > limit);
        }
        found
    }

    /// Prefetch every cache line of `words`, `PREFETCH_AHEAD` bytes on.
    #[inline(always)]
    fn prefetch_lines(words: &[u64]) {
        let at = words.as_ptr().cast::<i8>().wrapping_add(PREFETCH_AHEAD);
        for line in 0..(words.len() * 8).div_ceil(64) {
            // SAFETY: a prefetch is a hint that never faults, even for an
            // address past the end of the slice; `wrapping_add` forms the
            // address without dereferencing it.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(at.wrapping_add(64 * line)) }
        }
    }

    /// The AVX2 baseline: a sum of all words, four accumulators, prefetching
    /// like the kernels. `None` without AVX2.
    pub(crate) fn sum_avx2(words: &[u64]) -> Option<u64> {
        // SAFETY: called only once AVX2 was detected.
        avx2_available().then(|| unsafe { sum_avx2_on(words) })
    }

    #[target_feature(enable = "avx2")]
    fn sum_avx2_on(words: &[u64]) -> u64 {
        let (blocks, rest) = words.as_chunks::<16>();
        let mut acc = [_mm256_setzero_si256(); 4];
        for block in blocks {
            prefetch(block);
            let (v, _) = block.as_chunks::<4>();
            for (a, v) in acc.iter_mut().zip(v) {
                *a = _mm256_add_epi64(*a, load4(v));
            }
        }
        let total = _mm256_add_epi64(
            _mm256_add_epi64(acc[0], acc[1]),
            _mm256_add_epi64(acc[2], acc[3]),
        );
        let mut lanes = [0u64; 4];
        store4(&mut lanes, total);
        lanes
            .iter()
            .chain(rest)
            .fold(0u64, |s, &w| s.wrapping_add(w))
    }

    /// The AVX-512 baseline, as [`sum_avx2`] with 8-word registers. `None`
    /// without AVX-512 F.
    pub(crate) fn sum_avx512(words: &[u64]) -> Option<u64> {
        // SAFETY: called only once AVX-512 F (and the rest of the kernel's
        // features) was detected.
        avx512_available().then(|| unsafe { sum_avx512_on(words) })
    }

    #[target_feature(enable = "avx512f")]
    fn sum_avx512_on(words: &[u64]) -> u64 {
        let (blocks, rest) = words.as_chunks::<32>();
        let mut acc = [_mm512_setzero_si512(); 4];
        for block in blocks {
            prefetch(block);
            let (v, _) = block.as_chunks::<8>();
            for (a, v) in acc.iter_mut().zip(v) {
                *a = _mm512_add_epi64(*a, load8(v));
            }
        }
        let total = _mm512_add_epi64(
            _mm512_add_epi64(acc[0], acc[1]),
            _mm512_add_epi64(acc[2], acc[3]),
        );
        let mut lanes = [0u64; 8];
        store8(&mut lanes, total);
        lanes
            .iter()
            .chain(rest)
            .fold(0u64, |s, &w| s.wrapping_add(w))
    }
}

/// Other architectures: the SIMD kernels do not exist; their counters are
/// uninhabited so the dispatch code still type-checks.
#[cfg(not(target_arch = "x86_64"))]
mod other {
    use crate::count::{ColumnCounter, SlotCounter};

    pub(crate) fn avx2_available() -> bool {
        false
    }

    pub(crate) fn avx512_available() -> bool {
        false
    }

    #[derive(Clone)]
    pub(crate) enum Avx2Column {}

    #[derive(Clone)]
    pub(crate) enum Avx512Column {}

    #[derive(Clone)]
    pub(crate) enum Avx2Slots {}

    #[derive(Clone)]
    pub(crate) enum Avx512Slots {}

    pub(crate) fn sum_avx2(_: &[u64]) -> Option<u64> {
        None
    }

    pub(crate) fn sum_avx512(_: &[u64]) -> Option<u64> {
        None
    }

    impl Avx2Slots {
        pub(crate) fn new(_: usize) -> Option<Self> {
            None
        }
    }

    impl Avx512Slots {
        pub(crate) fn new(_: usize) -> Option<Self> {
            None
        }
    }

    impl SlotCounter for Avx2Slots {
        fn fresh(&self) -> Self {
            match *self {}
        }
        fn block_words(&self) -> usize {
            match *self {}
        }
        fn run(&mut self, _: &[u64]) {
            match *self {}
        }
        fn over_limit(&self, _: &[u64], _: usize, _: u64, _: &mut [usize]) -> usize {
            match *self {}
        }
        fn finish(self, _: &mut [u64]) {
            match self {}
        }
    }

    impl SlotCounter for Avx512Slots {
        fn fresh(&self) -> Self {
            match *self {}
        }
        fn block_words(&self) -> usize {
            match *self {}
        }
        fn run(&mut self, _: &[u64]) {
            match *self {}
        }
        fn over_limit(&self, _: &[u64], _: usize, _: u64, _: &mut [usize]) -> usize {
            match *self {}
        }
        fn finish(self, _: &mut [u64]) {
            match self {}
        }
    }

    impl Avx2Column {
        pub(crate) fn new() -> Option<Self> {
            None
        }
    }

    impl Avx512Column {
        pub(crate) fn new() -> Option<Self> {
            None
        }
    }

    impl ColumnCounter for Avx2Column {
        const BLOCK: usize = 64;
        fn run(&mut self, _: &[u64], _: Option<u64>) -> u64 {
            match *self {}
        }
        fn finish(self, _: &mut [u64]) {
            match self {}
        }
    }

    impl ColumnCounter for Avx512Column {
        const BLOCK: usize = 128;
        fn run(&mut self, _: &[u64], _: Option<u64>) -> u64 {
            match *self {}
        }
        fn finish(self, _: &mut [u64]) {
            match self {}
        }
    }
}
