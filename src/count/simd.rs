//! AVX2 and AVX-512 column counters: the portable Harley-Seal design with
//! 4 or 8 ballots per register. The only file of the crate with `unsafe`.
//!
//! Safety design: a column counter can only be created by `new()`, which
//! returns `None` unless the CPU features its kernel needs were detected at
//! run time. Every call into a `#[target_feature]` function goes through a
//! method of that counter, so holding one is the proof the call is sound.
//! The remaining `unsafe` are unaligned loads and stores of whole `[u64; N]`
//! arrays, prefetch hints (which never fault) and, for multi-word ballots,
//! one strided gather whose indices are bounded by the chunk. The crate is
//! built for the baseline target; these functions are compiled for their
//! features only (see PERFORMANCE-NOTES on why never `-C target-cpu=native`).
//!
//! Per register of `L` ballots (single-word ballots, validity checked):
//! - AVX-512 (F, BW, VPOPCNTDQ): `vpandq` for-bits, `vpopcntq`, compare with
//!   the limit into a lane mask, zero-masking move; the mask also counts the
//!   valid ballots. The carry-save adders are two `vpternlogq` each
//!   (majority `0xE8`, three-way xor `0x96`).
//! - AVX2: popcount of the for-bits by nibble lookup (`vpshufb` on a table of
//!   `popcount(n & 0b0101)`) and `vpsadbw`, `vpcmpgtq` against the limit,
//!   `vpandn`; adders are five bitwise operations.
//!
//! Both then add the block's sixteens into byte counters (eight
//! shift-and-add per block) which are widened in safe code every 255 blocks,
//! and prefetch 4 KiB ahead: on 80 MB of ballots that took AVX-512 from
//! about 110% to 125-140% of a plain (SSE2) sum and AVX2 from about 75% to
//! 100-115% (same-run comparisons on the development machine).
//!
//! The packed form never holds the code `11` (the safe constructors reject
//! it). Were it to occur, these kernels would count the line as both for and
//! against and its for-bit as a selection; they never read past the slice
//! and cannot cause undefined behaviour either way.

#![allow(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{avx2_available, avx512_available, Avx2Column, Avx512Column};

#[cfg(not(target_arch = "x86_64"))]
pub(crate) use other::{avx2_available, avx512_available, Avx2Column, Avx512Column};

#[cfg(target_arch = "x86_64")]
mod x86 {
    use crate::count::packed::FOR_BITS;
    use crate::count::portable::LaneCounters;
    use crate::count::{split_chunk, split_chunk_from, ColumnCounter, CHUNK};
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

        fn split_chunk(
            &self,
            chunk: &[u64],
            wpb: usize,
            limit: Option<u64>,
            columns: &mut [[u64; CHUNK]],
        ) -> u64 {
            // SAFETY: `self` was created by `new`, which checked the features.
            unsafe { split_chunk_avx2(chunk, wpb, limit, columns) }
        }
    }

    /// The portable [`split_chunk`] compiled for AVX2.
    #[target_feature(enable = "avx2,popcnt")]
    fn split_chunk_avx2(
        chunk: &[u64],
        wpb: usize,
        limit: Option<u64>,
        columns: &mut [[u64; CHUNK]],
    ) -> u64 {
        split_chunk(chunk, wpb, limit, columns)
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

        fn split_chunk(
            &self,
            chunk: &[u64],
            wpb: usize,
            limit: Option<u64>,
            columns: &mut [[u64; CHUNK]],
        ) -> u64 {
            // SAFETY: `self` was created by `new`, which checked the features.
            unsafe { split_chunk_avx512(chunk, wpb, limit, columns) }
        }
    }

    /// [`split_chunk`] for AVX-512: eight ballots at a time, each word
    /// column gathered into a register (`vpgatherqq` with a stride of
    /// `wpb`), its for-bits popcounted and summed per ballot, then the
    /// columns are masked by the limit. Ballots after the last group of
    /// eight go through the portable code.
    #[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
    fn split_chunk_avx512(
        chunk: &[u64],
        wpb: usize,
        limit: Option<u64>,
        columns: &mut [[u64; CHUNK]],
    ) -> u64 {
        let ballots = chunk.len() / wpb;
        let groups = ballots / 8;
        let stride = load8(&std::array::from_fn(|i| (i * wpb) as u64));
        let for_bits = _mm512_set1_epi64(FOR_BITS as i64);
        let lim = _mm512_set1_epi64(limit.unwrap_or(u64::MAX).min(i64::MAX as u64) as i64);
        let mut valid = 0u64;
        for g in 0..groups {
            let first = g * 8 * wpb;
            let mut marks = _mm512_setzero_si512();
            for (j, column) in columns.iter_mut().enumerate() {
                let base = chunk[first + j..].as_ptr().cast::<i64>();
                // SAFETY: lane i reads `chunk[first + j + i*wpb]`; with
                // i < 8, j < wpb and g < groups = ballots / 8 that index is
                // below `ballots * wpb ≤ chunk.len()`, so every read is in
                // bounds and 8-byte aligned (scale 8 over `u64`s).
                let words = unsafe { _mm512_i64gather_epi64::<8>(stride, base) };
                let at = slot8(column, g);
                store8(at, words);
                marks = _mm512_add_epi64(
                    marks,
                    _mm512_popcnt_epi64(_mm512_and_si512(words, for_bits)),
                );
            }
            let ok = _mm512_cmple_epu64_mask(marks, lim);
            valid += u64::from(ok.count_ones());
            if ok != 0xff {
                for column in columns.iter_mut() {
                    let at = slot8(column, g);
                    store8(at, _mm512_maskz_mov_epi64(ok, load8(at)));
                }
            }
        }
        valid + split_chunk_from(chunk, wpb, limit, columns, groups * 8)
    }

    /// Words `8g .. 8g+8` of a column buffer as an array.
    #[inline(always)]
    fn slot8(column: &mut [u64; CHUNK], g: usize) -> &mut [u64; 8] {
        let (groups, _) = column.as_chunks_mut::<8>();
        &mut groups[g]
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

    /// Count `words` (whole 64-word blocks) into `st`, 4 words a register.
    #[target_feature(enable = "avx2")]
    fn add_avx2<const CHECK: bool>(st: &mut LaneCounters<4>, words: &[u64], limit: u64) -> u64 {
        // popcount(n & 0b0101): the for-bits of a nibble.
        let table = _mm256_setr_epi8(
            0, 1, 0, 1, 1, 2, 1, 2, 0, 1, 0, 1, 1, 2, 1, 2, //
            0, 1, 0, 1, 1, 2, 1, 2, 0, 1, 0, 1, 1, 2, 1, 2,
        );
        let nibble = _mm256_set1_epi8(0x0f);
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
        let mut bytes = st.bytes.map(|b| load4(&b));

        let (blocks, _) = words.as_chunks::<64>();
        for block in blocks {
            prefetch(block);
            let (v, _) = block.as_chunks::<4>();
            macro_rules! input {
                ($i:expr) => {{
                    let w = load4(&v[$i]);
                    if CHECK {
                        let lo = _mm256_and_si256(w, nibble);
                        let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(w), nibble);
                        let per_byte = _mm256_add_epi8(
                            _mm256_shuffle_epi8(table, lo),
                            _mm256_shuffle_epi8(table, hi),
                        );
                        let marks = _mm256_sad_epu8(per_byte, zero);
                        let over = _mm256_cmpgt_epi64(marks, lim);
                        rejected = _mm256_sub_epi64(rejected, over);
                        _mm256_andnot_si256(over, w)
                    } else {
                        w
                    }
                }};
            }
            let s = harley_seal!(csa256, input, ones, twos, fours, eights);
            add_bytes!(
                bytes,
                s,
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

        store4(&mut st.ones, ones);
        store4(&mut st.twos, twos);
        store4(&mut st.fours, fours);
        store4(&mut st.eights, eights);
        for (dst, &b) in st.bytes.iter_mut().zip(&bytes) {
            store4(dst, b);
        }
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
}

/// Other architectures: the SIMD kernels do not exist; their counters are
/// uninhabited so the dispatch code still type-checks.
#[cfg(not(target_arch = "x86_64"))]
mod other {
    use crate::count::ColumnCounter;

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
