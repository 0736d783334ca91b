//! Dot products of four weight rows with one activation row, over quantised blocks laid
//! out four rows at a time ("quads"), in three versions that give the same bits: AVX-512
//! VNNI, AVX2 (with FMA and F16C) and plain Rust. The x86 versions are chosen at run time
//! (`is_x86_feature_detected!` for every extension their `#[target_feature]` enables), so
//! a build for an older CPU (`-C target-cpu=x86-64`) still uses them where they exist.
//!
//! The layout: for each group of four rows and each block of 32 columns, one quad holds
//! the four rows' scales and values side by side, so a product streams through memory
//! once, in order, a whole cache line at a time. Within a quad, 128-bit lane `r` holds
//! row `r`: for Q4_1 its 16 packed bytes (low nibble: column `k`, high nibble: column
//! `16 + k`), for Q8_0 its bytes 0..16 in the first 64 bytes and 16..32 in the next 64.
//! Q8_0 values are stored plus 128 (as unsigned bytes), the form VNNI multiplies.
//!
//! The arithmetic every version performs, so that results are identical bit for bit on
//! any CPU (replay of a proposal must not depend on the machine's instruction set):
//! for row `r` and block `b`, four exact integer partial sums
//! `P_j = Σ_{k=4j..4j+3} w[k]·x[k] + w[16+k]·x[16+k]` (j = 0..4), then four float
//! accumulators `acc_j = fma(d_w·d_x, P_j as f32, acc_j)`, and at the end
//! `(acc_0 + acc_1) + (acc_2 + acc_3)`, plus for Q4_1 the minima accumulated as
//! `mins = fma(m_w, s_x, mins)` over the blocks.

/// Values per block.
pub(crate) const QK: usize = 32;

/// 32 activations quantised to 8 bits, with what the kernels need precomputed.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
pub(crate) struct BlockQ8 {
    /// The values, -127..=127.
    pub qs: [i8; 32],
    /// The scale.
    pub d: f32,
    /// `d * sum(qs)`, for the Q4_1 minima.
    pub s: f32,
    /// `-128 · (Σ qs[4j..4j+4] + Σ qs[16+4j..16+4j+4])`: what storing Q8_0 weights plus
    /// 128 adds to `P_j`, taken away before it.
    pub corr: [i32; 4],
}

impl BlockQ8 {
    pub(crate) fn quantize(x: &[f32]) -> Self {
        let amax = x.iter().fold(0f32, |a, v| a.max(v.abs()));
        let d = amax / 127.0;
        let id = if d > 0.0 { 1.0 / d } else { 0.0 };
        let mut qs = [0i8; 32];
        for (q, v) in qs.iter_mut().zip(x) {
            *q = (v * id).round() as i8;
        }
        let sum: i32 = qs.iter().map(|&q| q as i32).sum();
        let lane = |j: usize| -> i32 {
            (4 * j..4 * j + 4)
                .map(|k| qs[k] as i32 + qs[16 + k] as i32)
                .sum()
        };
        Self {
            qs,
            d,
            s: d * sum as f32,
            corr: [0, 1, 2, 3].map(|j| -128 * lane(j)),
        }
    }
}

/// Block `b` of four Q4_1 rows: value = `d·q + m`, scales as the file's f16 bits.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub(crate) struct QuadQ41 {
    pub d: [u16; 4],
    pub m: [u16; 4],
    pub qs: [u8; 64],
}

/// Block `b` of four Q8_0 rows: value = `d·(q - 128)`.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub(crate) struct QuadQ80 {
    pub d: [u16; 4],
    pub qs: [u8; 128],
}

impl QuadQ41 {
    /// From the file's four 20-byte blocks (f16 d, f16 m, 16 bytes).
    pub(crate) fn from_blocks(b: [&[u8]; 4]) -> Self {
        let mut q = Self {
            d: [0; 4],
            m: [0; 4],
            qs: [0; 64],
        };
        for (r, blk) in b.iter().enumerate() {
            q.d[r] = u16::from_le_bytes([blk[0], blk[1]]);
            q.m[r] = u16::from_le_bytes([blk[2], blk[3]]);
            q.qs[16 * r..16 * r + 16].copy_from_slice(&blk[4..20]);
        }
        q
    }

    /// Row `r`'s 32 values.
    pub(crate) fn values(&self, r: usize, out: &mut Vec<f32>) {
        let (d, m) = (h(self.d[r]), h(self.m[r]));
        let qs = &self.qs[16 * r..16 * r + 16];
        out.extend(qs.iter().map(|q| d * (q & 0x0F) as f32 + m));
        out.extend(qs.iter().map(|q| d * (q >> 4) as f32 + m));
    }
}

impl QuadQ80 {
    /// From the file's four 34-byte blocks (f16 d, 32 signed bytes).
    pub(crate) fn from_blocks(b: [&[u8]; 4]) -> Self {
        let mut q = Self {
            d: [0; 4],
            qs: [0; 128],
        };
        for (r, blk) in b.iter().enumerate() {
            q.d[r] = u16::from_le_bytes([blk[0], blk[1]]);
            for k in 0..16 {
                q.qs[16 * r + k] = blk[2 + k] ^ 0x80;
                q.qs[64 + 16 * r + k] = blk[18 + k] ^ 0x80;
            }
        }
        q
    }

    fn signed(&self, r: usize, k: usize) -> i8 {
        let i = if k < 16 {
            16 * r + k
        } else {
            64 + 16 * r + k - 16
        };
        (self.qs[i] ^ 0x80) as i8
    }

    /// Row `r`'s 32 values.
    pub(crate) fn values(&self, r: usize, out: &mut Vec<f32>) {
        let d = h(self.d[r]);
        out.extend((0..QK).map(|k| d * self.signed(r, k) as f32));
    }
}

fn h(bits: u16) -> f32 {
    half::f16::from_bits(bits).to_f32()
}

/// A kernel: four rows (`nb` quads) against one activation row (`nb` blocks).
pub(crate) type Kernel<Q> = fn(&[Q], &[BlockQ8]) -> [f32; 4];

/// The fastest kernels this CPU runs, all giving the same bits.
pub(crate) fn best() -> (Kernel<QuadQ41>, Kernel<QuadQ80>) {
    #[cfg(target_arch = "x86_64")]
    {
        if vnni::available() {
            return (vnni::q41, vnni::q80);
        }
        if avx2::available() {
            return (avx2::q41, avx2::q80);
        }
    }
    (portable::q41, portable::q80)
}

/// A kernel: four weight rows against four activation rows (`[activation row][weight row]`).
pub(crate) type RowsKernel<Q> = fn(&[Q], [&[BlockQ8]; 4]) -> [[f32; 4]; 4];

/// Kernels taking four activation rows at once (each weight block unpacked once for the
/// four), where this CPU has them; they give the same bits as four single-row calls.
pub(crate) fn best_rows() -> Option<(RowsKernel<QuadQ41>, RowsKernel<QuadQ80>)> {
    #[cfg(target_arch = "x86_64")]
    if vnni::available() {
        return Some((vnni::q41_rows, vnni::q80_rows));
    }
    None
}

/// The versions this CPU can run, by name.
#[cfg(test)]
#[allow(clippy::type_complexity)]
pub(crate) fn all() -> Vec<(&'static str, Kernel<QuadQ41>, Kernel<QuadQ80>)> {
    let mut v: Vec<(&'static str, Kernel<QuadQ41>, Kernel<QuadQ80>)> =
        vec![("portable", portable::q41, portable::q80)];
    #[cfg(target_arch = "x86_64")]
    {
        if avx2::available() {
            v.push(("avx2", avx2::q41, avx2::q80));
        }
        if vnni::available() {
            v.push(("avx512-vnni", vnni::q41, vnni::q80));
        }
    }
    v
}

/// The reference: plain Rust, used on a CPU without AVX2, FMA and F16C (and by the tests).
pub(crate) mod portable {
    use super::{BlockQ8, QuadQ41, QuadQ80, h};

    /// The sums of four rows' accumulators, `(a0 + a1) + (a2 + a3)` each.
    fn finish(acc: [[f32; 4]; 4]) -> [f32; 4] {
        acc.map(|a| (a[0] + a[1]) + (a[2] + a[3]))
    }

    /// `acc_j = fma(d, P_j, acc_j)` for one row.
    fn accumulate(acc: &mut [f32; 4], d: f32, p: impl Fn(usize) -> i32) {
        for (j, a) in acc.iter_mut().enumerate() {
            let s: i32 = (4 * j..4 * j + 4).map(|k| p(k) + p(16 + k)).sum();
            *a = d.mul_add(s as f32, *a);
        }
    }

    pub(crate) fn q41(w: &[QuadQ41], x: &[BlockQ8]) -> [f32; 4] {
        let mut acc = [[0f32; 4]; 4];
        let mut mins = [0f32; 4];
        for (bw, bx) in w.iter().zip(x) {
            for r in 0..4 {
                mins[r] = h(bw.m[r]).mul_add(bx.s, mins[r]);
                let qs = &bw.qs[16 * r..16 * r + 16];
                accumulate(&mut acc[r], h(bw.d[r]) * bx.d, |k| {
                    let q = if k < 16 {
                        qs[k] & 0x0F
                    } else {
                        qs[k - 16] >> 4
                    };
                    q as i32 * bx.qs[k] as i32
                });
            }
        }
        let s = finish(acc);
        [0, 1, 2, 3].map(|r| s[r] + mins[r])
    }

    pub(crate) fn q80(w: &[QuadQ80], x: &[BlockQ8]) -> [f32; 4] {
        let mut acc = [[0f32; 4]; 4];
        for (bw, bx) in w.iter().zip(x) {
            for (r, a) in acc.iter_mut().enumerate() {
                accumulate(a, h(bw.d[r]) * bx.d, |k| {
                    bw.signed(r, k) as i32 * bx.qs[k] as i32
                });
            }
        }
        finish(acc)
    }
}

/// Four lanes as an array (SSE, part of every x86-64 CPU).
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
fn out(v: std::arch::x86_64::__m128) -> [f32; 4] {
    let mut o = [0f32; 4];
    // SAFETY: `o` has room for the four f32 stored.
    unsafe { std::arch::x86_64::_mm_storeu_ps(o.as_mut_ptr(), v) };
    o
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx2 {
    use super::{BlockQ8, QuadQ41, QuadQ80, out};
    use std::arch::x86_64::*;
    use std::sync::OnceLock;

    /// Whether this CPU has every extension the functions below enable (constant `true`
    /// in a build that targets x86-64-v3, where the compiler already knows).
    pub(super) fn available() -> bool {
        static HAS: OnceLock<bool> = OnceLock::new();
        *HAS.get_or_init(|| {
            is_x86_feature_detected!("avx2")
                && is_x86_feature_detected!("fma")
                && is_x86_feature_detected!("f16c")
        })
    }

    pub(super) fn q41(w: &[QuadQ41], x: &[BlockQ8]) -> [f32; 4] {
        assert!(
            available(),
            "AVX2 kernel on a CPU without AVX2, FMA and F16C"
        );
        // SAFETY: the CPU has AVX2, FMA and F16C, the features `q41_impl` enables (checked
        // above); its memory accesses stay within `w` and `x`.
        unsafe { q41_impl(w, x) }
    }

    pub(super) fn q80(w: &[QuadQ80], x: &[BlockQ8]) -> [f32; 4] {
        assert!(
            available(),
            "AVX2 kernel on a CPU without AVX2, FMA and F16C"
        );
        // SAFETY: as for `q41`.
        unsafe { q80_impl(w, x) }
    }

    /// 16 bytes at `p`, in both 128-bit lanes.
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn bcast16(p: *const i8) -> __m256i {
        // SAFETY: callers pass a pointer to at least 16 readable bytes.
        unsafe { _mm256_broadcastsi128_si256(_mm_loadu_si128(p.cast())) }
    }

    /// Four f16 scales at `p` as f32.
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn scales(p: *const u16) -> __m128 {
        // SAFETY: callers pass a pointer to four u16 (8 bytes).
        unsafe { _mm_cvtph_ps(_mm_loadl_epi64(p.cast())) }
    }

    /// Rows (0, 1) and (2, 3) of the scale `d_w · d_x`, each repeated over its four lanes.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn spread(d: __m128, dx: f32) -> (__m256, __m256) {
        let d = _mm256_castps128_ps256(d);
        let dx = _mm256_set1_ps(dx);
        (
            _mm256_mul_ps(
                _mm256_permutevar8x32_ps(d, _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1)),
                dx,
            ),
            _mm256_mul_ps(
                _mm256_permutevar8x32_ps(d, _mm256_setr_epi32(2, 2, 2, 2, 3, 3, 3, 3)),
                dx,
            ),
        )
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    fn finish(a01: __m256, a23: __m256) -> __m128 {
        let r0 = _mm256_castps256_ps128(a01);
        let r1 = _mm256_extractf128_ps(a01, 1);
        let r2 = _mm256_castps256_ps128(a23);
        let r3 = _mm256_extractf128_ps(a23, 1);
        _mm_hadd_ps(_mm_hadd_ps(r0, r1), _mm_hadd_ps(r2, r3))
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn q41_impl(w: &[QuadQ41], x: &[BlockQ8]) -> [f32; 4] {
        let m4 = _mm256_set1_epi8(0x0F);
        let ones = _mm256_set1_epi16(1);
        let (mut a01, mut a23) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let mut mins = _mm_setzero_ps();
        for (bw, bx) in w.iter().zip(x) {
            // SAFETY: every pointer below points into `bw` or `bx` with the bytes read.
            let (xlo, xhi, d, m, q01, q23) = unsafe {
                (
                    bcast16(bx.qs.as_ptr()),
                    bcast16(bx.qs.as_ptr().add(16)),
                    scales(bw.d.as_ptr()),
                    scales(bw.m.as_ptr()),
                    _mm256_loadu_si256(bw.qs.as_ptr().cast()),
                    _mm256_loadu_si256(bw.qs.as_ptr().add(32).cast()),
                )
            };
            let p = |q: __m256i| {
                let lo = _mm256_maddubs_epi16(_mm256_and_si256(q, m4), xlo);
                let hi = _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4), xhi);
                // Pairs are at most 2·15·127 each: their sum fits in 16 bits.
                _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_add_epi16(lo, hi), ones))
            };
            let (s01, s23) = spread(d, bx.d);
            a01 = _mm256_fmadd_ps(s01, p(q01), a01);
            a23 = _mm256_fmadd_ps(s23, p(q23), a23);
            mins = _mm_fmadd_ps(m, _mm_set1_ps(bx.s), mins);
        }
        out(_mm_add_ps(finish(a01, a23), mins))
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn q80_impl(w: &[QuadQ80], x: &[BlockQ8]) -> [f32; 4] {
        let ones = _mm256_set1_epi16(1);
        let flip = _mm256_set1_epi8(-128);
        let (mut a01, mut a23) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        for (bw, bx) in w.iter().zip(x) {
            // SAFETY: every pointer below points into `bw` or `bx` with the bytes read.
            let (xlo, xhi, d, lo01, lo23, hi01, hi23) = unsafe {
                let q = bw.qs.as_ptr();
                (
                    bcast16(bx.qs.as_ptr()),
                    bcast16(bx.qs.as_ptr().add(16)),
                    scales(bw.d.as_ptr()),
                    _mm256_loadu_si256(q.cast()),
                    _mm256_loadu_si256(q.add(32).cast()),
                    _mm256_loadu_si256(q.add(64).cast()),
                    _mm256_loadu_si256(q.add(96).cast()),
                )
            };
            // |w| (unsigned, 128 for -128) times x carrying w's sign: w·x pairwise, at most
            // 2·128·127, no saturation; the two halves summed in 32 bits.
            let dot = |q: __m256i, x: __m256i| {
                let w = _mm256_xor_si256(q, flip);
                _mm256_madd_epi16(
                    _mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(x, w)),
                    ones,
                )
            };
            let p01 = _mm256_add_epi32(dot(lo01, xlo), dot(hi01, xhi));
            let p23 = _mm256_add_epi32(dot(lo23, xlo), dot(hi23, xhi));
            let (s01, s23) = spread(d, bx.d);
            a01 = _mm256_fmadd_ps(s01, _mm256_cvtepi32_ps(p01), a01);
            a23 = _mm256_fmadd_ps(s23, _mm256_cvtepi32_ps(p23), a23);
        }
        out(finish(a01, a23))
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod vnni {
    use super::{BlockQ8, QuadQ41, QuadQ80, out};
    use std::arch::x86_64::*;
    use std::sync::OnceLock;

    pub(super) fn available() -> bool {
        static HAS: OnceLock<bool> = OnceLock::new();
        *HAS.get_or_init(|| {
            is_x86_feature_detected!("avx2")
                && is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx512bw")
                && is_x86_feature_detected!("avx512vl")
                && is_x86_feature_detected!("avx512vnni")
                && is_x86_feature_detected!("fma")
                && is_x86_feature_detected!("f16c")
        })
    }

    pub(super) fn q41(w: &[QuadQ41], x: &[BlockQ8]) -> [f32; 4] {
        assert!(available(), "AVX-512 VNNI kernel on a CPU without it");
        // SAFETY: the CPU has the features (checked above).
        let [o] = unsafe { q41_impl(w, [x]) };
        o
    }

    pub(super) fn q80(w: &[QuadQ80], x: &[BlockQ8]) -> [f32; 4] {
        assert!(available(), "AVX-512 VNNI kernel on a CPU without it");
        // SAFETY: the CPU has the features (checked above).
        let [o] = unsafe { q80_impl(w, [x]) };
        o
    }

    pub(super) fn q41_rows(w: &[QuadQ41], xs: [&[BlockQ8]; 4]) -> [[f32; 4]; 4] {
        assert!(available(), "AVX-512 VNNI kernel on a CPU without it");
        // SAFETY: the CPU has the features (checked above).
        unsafe { q41_impl(w, xs) }
    }

    pub(super) fn q80_rows(w: &[QuadQ80], xs: [&[BlockQ8]; 4]) -> [[f32; 4]; 4] {
        assert!(available(), "AVX-512 VNNI kernel on a CPU without it");
        // SAFETY: the CPU has the features (checked above).
        unsafe { q80_impl(w, xs) }
    }

    /// 16 bytes at `p` in all four 128-bit lanes.
    #[target_feature(enable = "avx2,avx512f,avx512bw,avx512vl,avx512vnni,fma,f16c")]
    unsafe fn bcast16(p: *const i8) -> __m512i {
        // SAFETY: callers pass a pointer to at least 16 readable bytes.
        unsafe { _mm512_broadcast_i32x4(_mm_loadu_si128(p.cast())) }
    }

    /// Row `r`'s weight scale over lane `r`'s four values.
    #[target_feature(enable = "avx2,avx512f,avx512bw,avx512vl,avx512vnni,fma,f16c")]
    fn spread(d: __m128) -> __m512 {
        let idx = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
        _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(d))
    }

    #[target_feature(enable = "avx2,avx512f,avx512bw,avx512vl,avx512vnni,fma,f16c")]
    fn finish(acc: __m512) -> __m128 {
        let r0 = _mm512_extractf32x4_ps::<0>(acc);
        let r1 = _mm512_extractf32x4_ps::<1>(acc);
        let r2 = _mm512_extractf32x4_ps::<2>(acc);
        let r3 = _mm512_extractf32x4_ps::<3>(acc);
        _mm_hadd_ps(_mm_hadd_ps(r0, r1), _mm_hadd_ps(r2, r3))
    }

    /// Four weight rows against `N` activation rows: each weight block is unpacked once
    /// for all of them, and every output gets exactly the operations of `N = 1`.
    #[target_feature(enable = "avx2,avx512f,avx512bw,avx512vl,avx512vnni,fma,f16c")]
    unsafe fn q41_impl<const N: usize>(w: &[QuadQ41], xs: [&[BlockQ8]; N]) -> [[f32; 4]; N] {
        let m4 = _mm512_set1_epi8(0x0F);
        let mut acc = [_mm512_setzero_ps(); N];
        let mut mins = [_mm_setzero_ps(); N];
        let nb = xs.iter().map(|x| x.len()).fold(w.len(), usize::min);
        for (b, bw) in w[..nb].iter().enumerate() {
            // SAFETY: the pointers point into `bw`; `d` and `m` are adjacent (`repr(C)`),
            // 16 bytes of f16 scales.
            let (dm, q) = unsafe {
                (
                    _mm256_cvtph_ps(_mm_loadu_si128(bw.d.as_ptr().cast())),
                    _mm512_loadu_si512(bw.qs.as_ptr().cast()),
                )
            };
            let lo = _mm512_and_si512(q, m4);
            let hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
            let d = spread(_mm256_castps256_ps128(dm));
            let m = _mm256_extractf128_ps::<1>(dm);
            for j in 0..N {
                let bx = &xs[j][b];
                // SAFETY: both pointers point into `bx.qs` with 16 bytes after them.
                let (xlo, xhi) =
                    unsafe { (bcast16(bx.qs.as_ptr()), bcast16(bx.qs.as_ptr().add(16))) };
                let p = _mm512_dpbusd_epi32(
                    _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, xlo),
                    hi,
                    xhi,
                );
                let s = _mm512_mul_ps(d, _mm512_set1_ps(bx.d));
                acc[j] = _mm512_fmadd_ps(s, _mm512_cvtepi32_ps(p), acc[j]);
                mins[j] = _mm_fmadd_ps(m, _mm_set1_ps(bx.s), mins[j]);
            }
        }
        std::array::from_fn(|j| out(_mm_add_ps(finish(acc[j]), mins[j])))
    }

    /// As [`q41_impl`], for Q8_0.
    #[target_feature(enable = "avx2,avx512f,avx512bw,avx512vl,avx512vnni,fma,f16c")]
    unsafe fn q80_impl<const N: usize>(w: &[QuadQ80], xs: [&[BlockQ8]; N]) -> [[f32; 4]; N] {
        let mut acc = [_mm512_setzero_ps(); N];
        let nb = xs.iter().map(|x| x.len()).fold(w.len(), usize::min);
        for (b, bw) in w[..nb].iter().enumerate() {
            // SAFETY: the pointers point into `bw` with the bytes read.
            let (d, lo, hi) = unsafe {
                (
                    _mm_cvtph_ps(_mm_loadl_epi64(bw.d.as_ptr().cast())),
                    _mm512_loadu_si512(bw.qs.as_ptr().cast()),
                    _mm512_loadu_si512(bw.qs.as_ptr().add(64).cast()),
                )
            };
            let d = spread(d);
            for j in 0..N {
                let bx = &xs[j][b];
                // SAFETY: the pointers point into `bx` with the bytes read.
                let (xlo, xhi, corr) = unsafe {
                    (
                        bcast16(bx.qs.as_ptr()),
                        bcast16(bx.qs.as_ptr().add(16)),
                        _mm512_broadcast_i32x4(_mm_loadu_si128(bx.corr.as_ptr().cast())),
                    )
                };
                // Weights are stored plus 128 (unsigned, as VNNI multiplies them); starting
                // from the correction gives the exact signed sums.
                let p = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(corr, lo, xlo), hi, xhi);
                let s = _mm512_mul_ps(d, _mm512_set1_ps(bx.d));
                acc[j] = _mm512_fmadd_ps(s, _mm512_cvtepi32_ps(p), acc[j]);
            }
        }
        std::array::from_fn(|j| out(finish(acc[j])))
    }
}

/// A linear congruential generator: deterministic test data.
#[cfg(test)]
pub(crate) fn lcg(seed: u64) -> impl Iterator<Item = u64> {
    std::iter::successors(Some(seed), |s| {
        Some(
            s.wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407),
        )
    })
    .skip(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic bytes.
    fn bytes(n: usize, seed: u64) -> Vec<u8> {
        lcg(seed).take(n).map(|s| (s >> 56) as u8).collect()
    }

    /// A scale between about 1/4096 and 1/16 as f16 bits, from a random byte.
    fn scale(b: u8) -> u16 {
        half::f16::from_f32((1 + b as u32) as f32 / 4096.0).to_bits()
    }

    /// `scripts/portable-kernels.sh` (a CI step) builds these tests with `-C
    /// target-cpu=x86-64` and sets `DUALCHECK_EXPECT_BASELINE_CPU=1`: the build must then
    /// know none of the extensions the x86 kernels enable, so that they run only after
    /// run-time detection and the portable version is what a CPU without them gets. (The
    /// test below compares every version's bits in either build.)
    #[test]
    fn the_build_targets_the_cpu_the_ci_step_asked_for() {
        let known = [
            ("avx2", cfg!(target_feature = "avx2")),
            ("fma", cfg!(target_feature = "fma")),
            ("f16c", cfg!(target_feature = "f16c")),
        ];
        eprintln!("compile-time target features: {known:?}");
        if std::env::var_os("DUALCHECK_EXPECT_BASELINE_CPU").is_some() {
            assert!(
                known.iter().all(|k| !k.1),
                "not a baseline build: {known:?}"
            );
            let names: Vec<_> = all().iter().map(|v| v.0).collect();
            assert_eq!(names[0], "portable");
        }
    }

    #[test]
    fn every_version_gives_the_same_bits_on_any_bytes() {
        let nb = 9;
        // Weight bytes over the whole range (Q8_0's -128 included), activations at ±127.
        let raw = bytes(4 * nb * 34, 7);
        let block = |r: usize, b: usize, size: usize| -> Vec<u8> {
            let i = (r * nb + b) * 34;
            let mut v = raw[i..i + size].to_vec();
            let (d, m) = (scale(v[0]), scale(v[2]));
            v[0..2].copy_from_slice(&d.to_le_bytes());
            v[2..4].copy_from_slice(&m.to_le_bytes());
            v
        };
        let quads41: Vec<QuadQ41> = (0..nb)
            .map(|b| {
                let bl = [0, 1, 2, 3].map(|r| block(r, b, 20));
                QuadQ41::from_blocks([0, 1, 2, 3].map(|r| bl[r].as_slice()))
            })
            .collect();
        let quads80: Vec<QuadQ80> = (0..nb)
            .map(|b| {
                let bl = [0, 1, 2, 3].map(|r| block(r, b, 34));
                QuadQ80::from_blocks([0, 1, 2, 3].map(|r| bl[r].as_slice()))
            })
            .collect();
        let xs: Vec<f32> = bytes(nb * QK, 11)
            .iter()
            .map(|&b| (b as i8) as f32 / 16.0)
            .collect();
        let x: Vec<BlockQ8> = xs.chunks_exact(QK).map(BlockQ8::quantize).collect();
        assert!(
            x.iter()
                .any(|b| b.qs.contains(&127) || b.qs.contains(&-127))
        );
        assert!(quads80.iter().any(|q| q.qs.contains(&0)), "a -128 weight");

        let want41 = portable::q41(&quads41, &x);
        let want80 = portable::q80(&quads80, &x);
        // The portable version against the plain definition, in f64.
        let mut row = Vec::new();
        for r in 0..4 {
            for (name, want, quads) in [("Q4_1", want41[r], 0), ("Q8_0", want80[r], 1)] {
                row.clear();
                for b in 0..nb {
                    if quads == 0 {
                        quads41[b].values(r, &mut row);
                    } else {
                        quads80[b].values(r, &mut row);
                    }
                }
                let exact: f64 = row
                    .iter()
                    .zip(
                        x.iter()
                            .flat_map(|b| b.qs.iter().map(move |&q| q as f32 * b.d)),
                    )
                    .map(|(w, x)| *w as f64 * x as f64)
                    .sum();
                assert!(
                    (exact - want as f64).abs() < 1e-3 * (1.0 + exact.abs()),
                    "{name} row {r}: {exact} vs {want}"
                );
            }
        }
        let versions = all();
        eprintln!(
            "kernel versions compared: {:?}",
            versions.iter().map(|v| v.0).collect::<Vec<_>>()
        );
        // Four activation rows at once: the same bits as one by one.
        if let Some((r41, r80)) = best_rows() {
            let more: Vec<Vec<BlockQ8>> = (0..4u64)
                .map(|seed| {
                    let xs: Vec<f32> = bytes(nb * QK, 20 + seed)
                        .iter()
                        .map(|&b| (b as i8) as f32 / (1.0 + seed as f32))
                        .collect();
                    xs.chunks_exact(QK).map(BlockQ8::quantize).collect()
                })
                .collect();
            let xs = [0, 1, 2, 3].map(|j| more[j].as_slice());
            let (got41, got80) = (r41(&quads41, xs), r80(&quads80, xs));
            for j in 0..4 {
                let want = (
                    portable::q41(&quads41, xs[j]),
                    portable::q80(&quads80, xs[j]),
                );
                assert_eq!(
                    got41[j].map(f32::to_bits),
                    want.0.map(f32::to_bits),
                    "rows Q4_1"
                );
                assert_eq!(
                    got80[j].map(f32::to_bits),
                    want.1.map(f32::to_bits),
                    "rows Q8_0"
                );
            }
        }
        for (name, k41, k80) in versions {
            assert_eq!(
                k41(&quads41, &x).map(f32::to_bits),
                want41.map(f32::to_bits),
                "{name} Q4_1"
            );
            assert_eq!(
                k80(&quads80, &x).map(f32::to_bits),
                want80.map(f32::to_bits),
                "{name} Q8_0"
            );
        }
    }
}
