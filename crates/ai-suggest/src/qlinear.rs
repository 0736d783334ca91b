//! Matrix products with quantised GGUF weights (Q4_1 and Q8_0) in their own blocks (scales
//! widened to f32 at load), computed by kernels written for token-by-token generation.
//!
//! Generation on a CPU computes, per token, one product of every weight matrix with one
//! vector. candle has no SIMD kernel for Q4_1 (widening it to Q8_0 costs 1.7 times the
//! bytes), and its Q8_0 kernel keeps one dependent chain of additions per row. Here the
//! activations are quantised once per product to 8-bit blocks (a scale and the scaled sum
//! per 32 values, as ggml's Q8_1), and four weight rows are taken at once against each
//! activation block with AVX2 (`maddubs`/`madd`, one accumulator per row, so the four
//! chains overlap); a Q4_1 block's minimum is applied once per block through the
//! activations' sum. Rows are shared out in bands between candle's own worker threads.
//!
//! Every output element is computed by the same code whatever the number of input rows, so
//! a sentence gives the same numbers alone or in a batch. Without AVX2 at compile time (the
//! workspace builds for x86-64-v3; an older CPU needs `RUSTFLAGS`) the same arithmetic runs
//! in plain Rust in the same order, with the same results.

use crate::error::AiError;
use candle_core::quantized::gguf_file::Content;
use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};
use std::io::{Read, Seek};
use std::sync::{Arc, Mutex};

const QK: usize = 32;

/// 32 activations as 8-bit values with their scale and the scaled sum.
#[derive(Debug, Clone, Copy, Default)]
struct BlockQ8 {
    d: f32,
    /// `d * sum(qs)`.
    s: f32,
    /// The 32 values, as four little-endian words of 8 bytes.
    qs: [i64; 4],
}

/// A Q4_1 block: value = `d * q + m`, q in 0..16; low nibbles hold values 0..16, high
/// nibbles 16..32. The file's f16 scale and minimum are widened to f32 once at load (24
/// bytes instead of 20): measured, converting them per block and row cost more than the
/// extra bytes (Gemma 3 generation +18 %); unpacking the 4-bit values to bytes as well
/// (40 bytes) made SmolLM2 generation 19 % slower, so they stay packed.
#[derive(Debug, Clone, Copy)]
struct BlockQ41 {
    d: f32,
    m: f32,
    qs: [u8; 16],
}

/// A Q8_0 block: value = `d * q`, q in -127..=127 (scale widened to f32 at load).
#[derive(Debug, Clone, Copy)]
struct BlockQ80 {
    d: f32,
    qs: [u8; 32],
}

fn h(bits: u16) -> f32 {
    half::f16::from_bits(bits).to_f32()
}

fn word(b: &[u8]) -> i64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[..8]);
    i64::from_le_bytes(w)
}

fn bits(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

/// The blocks of one matrix, in row-major order.
#[derive(Debug, Clone)]
enum Blocks {
    Q41(Vec<BlockQ41>),
    Q80(Vec<BlockQ80>),
}

/// A weight matrix (`rows` outputs × `cols` inputs) in its GGUF quantisation.
#[derive(Debug, Clone)]
pub(crate) struct QMatrix {
    rows: usize,
    cols: usize,
    blocks: Blocks,
}

impl QMatrix {
    /// Whether this module computes with `dtype` (and `cols`).
    pub(crate) fn supports(dtype: GgmlDType, cols: usize) -> bool {
        matches!(dtype, GgmlDType::Q4_1 | GgmlDType::Q8_0) && cols.is_multiple_of(QK)
    }

    pub(crate) fn from_qtensor(q: &QTensor) -> Result<Self, AiError> {
        let (rows, cols) = q.shape().dims2()?;
        if !Self::supports(q.dtype(), cols) {
            return Err(AiError::Inference(format!(
                "no kernel for {:?} {rows}x{cols}",
                q.dtype()
            )));
        }
        let data = q.data()?;
        let blocks = match q.dtype() {
            GgmlDType::Q4_1 => Blocks::Q41(
                data.chunks_exact(20)
                    .map(|b| {
                        let mut qs = [0u8; 16];
                        qs.copy_from_slice(&b[4..20]);
                        BlockQ41 {
                            d: h(bits(&b[0..])),
                            m: h(bits(&b[2..])),
                            qs,
                        }
                    })
                    .collect(),
            ),
            _ => Blocks::Q80(
                data.chunks_exact(34)
                    .map(|b| {
                        let mut qs = [0u8; 32];
                        qs.copy_from_slice(&b[2..34]);
                        BlockQ80 {
                            d: h(bits(&b[0..])),
                            qs,
                        }
                    })
                    .collect(),
            ),
        };
        let n = match &blocks {
            Blocks::Q41(v) => v.len(),
            Blocks::Q80(v) => v.len(),
        };
        if n != rows * cols / QK {
            return Err(AiError::Inference(
                "quantised data has the wrong size".into(),
            ));
        }
        Ok(Self { rows, cols, blocks })
    }

    /// Stack matrices of one type and width (rows of the first, then the next): one
    /// product then serves several projections of the same input.
    pub(crate) fn stack(parts: Vec<QMatrix>) -> Result<Self, AiError> {
        let cols = parts.first().map_or(0, |p| p.cols);
        let rows = parts.iter().map(|p| p.rows).sum();
        let mismatch = || AiError::Inference("stacked matrices differ in type or width".into());
        if parts.iter().any(|p| p.cols != cols) {
            return Err(mismatch());
        }
        let mut it = parts.into_iter();
        let Some(first) = it.next() else {
            return Err(mismatch());
        };
        let mut blocks = first.blocks;
        for p in it {
            match (&mut blocks, p.blocks) {
                (Blocks::Q41(a), Blocks::Q41(b)) => a.extend(b),
                (Blocks::Q80(a), Blocks::Q80(b)) => a.extend(b),
                _ => return Err(mismatch()),
            }
        }
        Ok(Self { rows, cols, blocks })
    }

    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Row `r` as f32 (an embedding lookup).
    pub(crate) fn row(&self, r: usize) -> Vec<f32> {
        let nb = self.cols / QK;
        let mut out = Vec::with_capacity(self.cols);
        match &self.blocks {
            Blocks::Q41(v) => {
                for b in &v[r * nb..(r + 1) * nb] {
                    let (d, m) = (b.d, b.m);
                    out.extend(b.qs.iter().map(|q| d * (q & 0x0F) as f32 + m));
                    out.extend(b.qs.iter().map(|q| d * (q >> 4) as f32 + m));
                }
            }
            Blocks::Q80(v) => {
                for b in &v[r * nb..(r + 1) * nb] {
                    let d = b.d;
                    out.extend(b.qs.iter().map(|&q| d * q as i8 as f32));
                }
            }
        }
        out
    }

    /// `x` (`m × cols`, f32) times the transpose of this matrix: `m × rows`.
    pub(crate) fn forward(&self, x: &Tensor) -> Result<Tensor, AiError> {
        let (m, k) = x.dims2()?;
        if k != self.cols {
            return Err(AiError::Inference(format!(
                "input width {k}, matrix width {}",
                self.cols
            )));
        }
        let xs: Vec<f32> = x.flatten_all()?.to_vec1()?;
        let nb = k / QK;
        let xq: Vec<BlockQ8> = xs.chunks_exact(QK).map(quantize_block).collect();
        // Work items: about 16 bands of weight rows (a multiple of 4, at least 16 rows), each
        // computing its rows for every input row; few bands, few allocations per product.
        let band = (self.rows / 16).next_multiple_of(4).max(16);
        let n_bands = self.rows.div_ceil(band);
        let results: Vec<Mutex<Vec<f32>>> = (0..n_bands).map(|_| Mutex::new(Vec::new())).collect();
        candle_core::utils::barrier_pool().execute_chunked(n_bands, |range| {
            for bi in range {
                let r0 = bi * band;
                let r1 = (r0 + band).min(self.rows);
                let mut local = vec![0f32; (r1 - r0) * m];
                for i in 0..m {
                    let xi = &xq[i * nb..(i + 1) * nb];
                    let mut r = r0;
                    while r < r1 {
                        // Four rows at a time (the last quad repeats its last row).
                        let rs = [
                            r,
                            (r + 1).min(r1 - 1),
                            (r + 2).min(r1 - 1),
                            (r + 3).min(r1 - 1),
                        ];
                        let d = self.dot4(rs, nb, xi);
                        for (q, v) in d.iter().enumerate().take(r1 - r) {
                            local[(r + q - r0) * m + i] = *v;
                        }
                        r += 4;
                    }
                }
                if let Ok(mut slot) = results[bi].lock() {
                    *slot = local;
                }
            }
        });
        let mut out = vec![0f32; m * self.rows];
        for (bi, res) in results.into_iter().enumerate() {
            let local = res
                .into_inner()
                .map_err(|_| AiError::Inference("a matrix worker failed".into()))?;
            let r0 = bi * band;
            for (j, v) in local.iter().enumerate() {
                out[(j % m) * self.rows + r0 + j / m] = *v;
            }
        }
        Ok(Tensor::from_vec(out, (m, self.rows), &Device::Cpu)?)
    }

    fn dot4(&self, rs: [usize; 4], nb: usize, x: &[BlockQ8]) -> [f32; 4] {
        match &self.blocks {
            Blocks::Q41(v) => dot4_q41(rs.map(|r| &v[r * nb..(r + 1) * nb]), x),
            Blocks::Q80(v) => dot4_q80(rs.map(|r| &v[r * nb..(r + 1) * nb]), x),
        }
    }
}

fn quantize_block(x: &[f32]) -> BlockQ8 {
    let amax = x.iter().fold(0f32, |a, v| a.max(v.abs()));
    let d = amax / 127.0;
    let id = if d > 0.0 { 1.0 / d } else { 0.0 };
    let mut sum = 0i32;
    let mut bytes = [0u8; 32];
    for (q, v) in bytes.iter_mut().zip(x) {
        let v = (v * id).round() as i8;
        sum += v as i32;
        *q = v as u8;
    }
    BlockQ8 {
        d,
        s: d * sum as f32,
        qs: [
            word(&bytes[0..]),
            word(&bytes[8..]),
            word(&bytes[16..]),
            word(&bytes[24..]),
        ],
    }
}

#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
#[allow(unsafe_code)]
mod avx2 {
    use super::{BlockQ8, BlockQ41, BlockQ80};
    use std::arch::x86_64::*;

    pub(super) fn dot4_q41(w: [&[BlockQ41]; 4], x: &[BlockQ8]) -> [f32; 4] {
        // SAFETY: this module is compiled only when the build targets CPUs with AVX2 and
        // FMA (its `cfg`), so the instructions exist wherever the binary runs.
        unsafe { q41(w, x) }
    }

    pub(super) fn dot4_q80(w: [&[BlockQ80]; 4], x: &[BlockQ8]) -> [f32; 4] {
        // SAFETY: as for `dot4_q41`.
        unsafe { q80(w, x) }
    }

    #[target_feature(enable = "avx2,fma")]
    fn load32(b: &[u8; 32]) -> __m256i {
        // SAFETY: reads exactly the 32 bytes of `b` (unaligned load).
        unsafe { _mm256_loadu_si256(b.as_ptr().cast()) }
    }

    #[target_feature(enable = "avx2,fma")]
    fn load16(b: &[u8; 16]) -> __m128i {
        // SAFETY: reads exactly the 16 bytes of `b` (unaligned load).
        unsafe { _mm_loadu_si128(b.as_ptr().cast()) }
    }

    #[target_feature(enable = "avx2,fma")]
    fn hsum(acc: __m256) -> f32 {
        let s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_movehdup_ps(s));
        _mm_cvtss_f32(s)
    }

    #[target_feature(enable = "avx2,fma")]
    fn load_x(b: &BlockQ8) -> __m256i {
        _mm256_set_epi64x(b.qs[3], b.qs[2], b.qs[1], b.qs[0])
    }

    #[target_feature(enable = "avx2,fma")]
    fn q41(w: [&[BlockQ41]; 4], x: &[BlockQ8]) -> [f32; 4] {
        let m4 = _mm256_set1_epi8(0x0F);
        let ones = _mm256_set1_epi16(1);
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut mins = [0f32; 4];
        for (b, bx) in x.iter().enumerate() {
            let qx = load_x(bx);
            for r in 0..4 {
                let bw = &w[r][b];
                mins[r] += bw.m * bx.s;
                let packed = load16(&bw.qs);
                let qw = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), m4);
                let p = _mm256_madd_epi16(_mm256_maddubs_epi16(qw, qx), ones);
                acc[r] =
                    _mm256_fmadd_ps(_mm256_set1_ps(bw.d * bx.d), _mm256_cvtepi32_ps(p), acc[r]);
            }
        }
        [0, 1, 2, 3].map(|r| hsum(acc[r]) + mins[r])
    }

    #[target_feature(enable = "avx2,fma")]
    fn q80(w: [&[BlockQ80]; 4], x: &[BlockQ8]) -> [f32; 4] {
        let ones = _mm256_set1_epi16(1);
        let mut acc = [_mm256_setzero_ps(); 4];
        for (b, bx) in x.iter().enumerate() {
            let qx = load_x(bx);
            let ax = _mm256_sign_epi8(qx, qx);
            for r in 0..4 {
                let bw = &w[r][b];
                let qw = load32(&bw.qs);
                // |x| (unsigned) times w carrying x's sign: x * w, pairwise, no overflow.
                let sw = _mm256_sign_epi8(qw, qx);
                let p = _mm256_madd_epi16(_mm256_maddubs_epi16(ax, sw), ones);
                acc[r] =
                    _mm256_fmadd_ps(_mm256_set1_ps(bw.d * bx.d), _mm256_cvtepi32_ps(p), acc[r]);
            }
        }
        [0, 1, 2, 3].map(|r| hsum(acc[r]))
    }
}

/// The kernels in plain Rust, same arithmetic in the same order as the AVX2 ones (a test
/// compares them bit for bit); used when the build does not target AVX2.
#[cfg_attr(
    all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    ),
    allow(dead_code)
)]
mod portable {
    use super::{BlockQ8, BlockQ41, BlockQ80};

    fn byte(words: &[i64], j: usize) -> u8 {
        (words[j / 8] >> (8 * (j % 8))) as u8
    }

    /// Sum of 8 lanes in the order (l0+l4, l1+l5, l2+l6, l3+l7), then pairs, then the two.
    fn hsum_lanes(l: [f32; 8]) -> f32 {
        let s = [l[0] + l[4], l[1] + l[5], l[2] + l[6], l[3] + l[7]];
        (s[0] + s[2]) + (s[1] + s[3])
    }

    /// The AVX2 lane layout in plain Rust: lane `l` sums values `4l..4l+4`.
    fn lanes_dot(acc: &mut [f32; 8], d: f32, prod: impl Fn(usize) -> i32) {
        for (l, a) in acc.iter_mut().enumerate() {
            let p: i32 = (4 * l..4 * l + 4).map(&prod).sum();
            *a = d.mul_add(p as f32, *a);
        }
    }

    pub(super) fn dot4_q41(w: [&[BlockQ41]; 4], x: &[BlockQ8]) -> [f32; 4] {
        let mut out = [0f32; 4];
        for (r, o) in out.iter_mut().enumerate() {
            let mut acc = [0f32; 8];
            let mut mins = 0f32;
            for (bw, bx) in w[r].iter().zip(x) {
                mins += bw.m * bx.s;
                lanes_dot(&mut acc, bw.d * bx.d, |j| {
                    let q = if j < 16 {
                        bw.qs[j] & 0x0F
                    } else {
                        bw.qs[j - 16] >> 4
                    };
                    q as i32 * byte(&bx.qs, j) as i8 as i32
                });
            }
            *o = hsum_lanes(acc) + mins;
        }
        out
    }

    pub(super) fn dot4_q80(w: [&[BlockQ80]; 4], x: &[BlockQ8]) -> [f32; 4] {
        let mut out = [0f32; 4];
        for (r, o) in out.iter_mut().enumerate() {
            let mut acc = [0f32; 8];
            for (bw, bx) in w[r].iter().zip(x) {
                lanes_dot(&mut acc, bw.d * bx.d, |j| {
                    bw.qs[j] as i8 as i32 * byte(&bx.qs, j) as i8 as i32
                });
            }
            *o = hsum_lanes(acc);
        }
        out
    }
}

#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
use avx2::{dot4_q41, dot4_q80};
#[cfg(not(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
)))]
use portable::{dot4_q41, dot4_q80};

/// Projections of one input by one or more weight matrices (q, k, v; gate, up; ...): Q4_1
/// and Q8_0 weights (also those widened to Q8_0 at load) stacked into one matrix and one
/// product with the kernels above; other types one candle product each.
#[derive(Debug, Clone)]
pub(crate) enum Projection {
    Own { m: Arc<QMatrix>, widths: Vec<usize> },
    Candle(Vec<QMatMul>),
}

impl Projection {
    /// Load the named weights (in output order).
    pub(crate) fn load<R: Read + Seek>(
        ct: &Content,
        r: &mut R,
        names: &[String],
        dev: &Device,
    ) -> Result<Self, AiError> {
        let qs = names
            .iter()
            .map(|n| crate::decoder::qtensor(ct, r, n, dev))
            .collect::<Result<Vec<_>, _>>()?;
        let first = qs.first().map(|q| q.dtype());
        let own = qs.iter().all(|q| {
            Some(q.dtype()) == first
                && q.shape()
                    .dims()
                    .last()
                    .is_some_and(|&c| QMatrix::supports(q.dtype(), c))
        });
        if own {
            let parts = qs
                .iter()
                .map(QMatrix::from_qtensor)
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Self::own(QMatrix::stack(parts)?, &qs));
        }
        Ok(Projection::Candle(
            qs.into_iter()
                .map(QMatMul::from_qtensor)
                .collect::<candle_core::Result<_>>()?,
        ))
    }

    fn own(m: QMatrix, parts: &[QTensor]) -> Self {
        let widths = parts.iter().map(|q| q.shape().dims()[0]).collect();
        Projection::Own {
            m: Arc::new(m),
            widths,
        }
    }

    /// A projection by one shared matrix (tied embeddings).
    pub(crate) fn shared(m: Arc<QMatrix>) -> Self {
        let widths = vec![m.rows()];
        Projection::Own { m, widths }
    }

    /// One output per weight, each `m × rows`.
    pub(crate) fn forward(&self, x: &Tensor) -> Result<Vec<Tensor>, AiError> {
        match self {
            Projection::Own { m, widths } => {
                let y = m.forward(x)?;
                if widths.len() == 1 {
                    return Ok(vec![y]);
                }
                let mut off = 0;
                let mut out = Vec::with_capacity(widths.len());
                for &w in widths {
                    out.push(y.narrow(1, off, w)?.contiguous()?);
                    off += w;
                }
                Ok(out)
            }
            Projection::Candle(ms) => ms.iter().map(|m| candle_product(m, x)).collect(),
        }
    }

    /// The single output of a one-matrix projection.
    pub(crate) fn forward1(&self, x: &Tensor) -> Result<Tensor, AiError> {
        self.forward(x)?
            .pop()
            .ok_or_else(|| AiError::Inference("a projection without weights".into()))
    }
}

/// `x` times a candle weight, with every row of `x` computed the same way whatever the
/// number of rows. candle 0.11 computes Q6_K products of one row on compact weights and of
/// several rows on repacked tiles (another summation order), so a sentence generated alone
/// and the same sentence in a batch would drift apart after a few tokens; a single row is
/// therefore sent as two (itself twice) and the first result kept.
fn candle_product(m: &QMatMul, x: &Tensor) -> Result<Tensor, AiError> {
    let row_dependent = matches!(m, QMatMul::QTensor(t) if t.dtype() == GgmlDType::Q6K);
    if row_dependent && x.dim(0)? == 1 {
        let two = Tensor::cat(&[x, x], 0)?;
        return Ok(m.forward(&two)?.narrow(0, 0, 1)?);
    }
    Ok(m.forward(x)?)
}

/// Token embeddings: rows of a quantised matrix (kept quantised, and shared with the output
/// projection when the model ties them) or, for other types, a dense f32 table.
#[derive(Debug, Clone)]
pub(crate) enum TokenEmbedding {
    Quantised(Arc<QMatrix>),
    Dense(Tensor),
}

impl TokenEmbedding {
    pub(crate) fn load<R: Read + Seek>(
        ct: &Content,
        r: &mut R,
        dev: &Device,
    ) -> Result<Self, AiError> {
        let q = ct.tensor(r, "token_embd.weight", dev)?;
        let cols = q.shape().dims().last().copied().unwrap_or(0);
        if QMatrix::supports(q.dtype(), cols) {
            Ok(Self::Quantised(Arc::new(QMatrix::from_qtensor(&q)?)))
        } else {
            Ok(Self::Dense(q.dequantize(dev)?))
        }
    }

    pub(crate) fn vocab_size(&self) -> Result<usize, AiError> {
        match self {
            Self::Quantised(m) => Ok(m.rows()),
            Self::Dense(t) => Ok(t.dim(0)?),
        }
    }

    /// `ids.len() × width` rows.
    pub(crate) fn lookup(&self, ids: &[u32]) -> Result<Tensor, AiError> {
        match self {
            Self::Quantised(m) => {
                let n = m.rows();
                let mut v = Vec::with_capacity(ids.len() * m.cols);
                for &i in ids {
                    if i as usize >= n {
                        return Err(AiError::Inference(format!(
                            "token id {i} >= vocabulary {n}"
                        )));
                    }
                    v.extend(m.row(i as usize));
                }
                Ok(Tensor::from_vec(v, (ids.len(), m.cols), &Device::Cpu)?)
            }
            Self::Dense(t) => {
                let ids_t = Tensor::from_vec(ids.to_vec(), ids.len(), t.device())?;
                Ok(t.index_select(&ids_t, 0)?)
            }
        }
    }

    /// The output projection of a model whose output weights are its embeddings.
    pub(crate) fn tied_output(&self) -> Result<Projection, AiError> {
        match self {
            Self::Quantised(m) => Ok(Projection::shared(m.clone())),
            Self::Dense(t) => Ok(Projection::Candle(vec![QMatMul::from_qtensor(
                QTensor::quantize(t, GgmlDType::Q8_0)?,
            )?])),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn random(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 33) as f32 / (1u64 << 31) as f32) - 0.5
            })
            .collect()
    }

    #[test]
    fn products_match_the_dequantised_products() {
        // 42 rows: ten quads and a tail of two.
        let (rows, cols, m) = (42, 96, 3);
        for dtype in [GgmlDType::Q4_1, GgmlDType::Q8_0] {
            let w = Tensor::from_vec(random(rows * cols, 1), (rows, cols), &Device::Cpu).unwrap();
            let q = QTensor::quantize(&w, dtype).unwrap();
            let x = Tensor::from_vec(random(m * cols, 2), (m, cols), &Device::Cpu).unwrap();
            let deq = q.dequantize(&Device::Cpu).unwrap();
            let want = x
                .matmul(&deq.t().unwrap())
                .unwrap()
                .to_vec2::<f32>()
                .unwrap();
            let mat = QMatrix::from_qtensor(&q).unwrap();
            let got = mat.forward(&x).unwrap().to_vec2::<f32>().unwrap();
            for (a, b) in want.iter().flatten().zip(got.iter().flatten()) {
                assert!((a - b).abs() < 0.02, "{dtype:?}: {a} vs {b}");
            }
            // Rows dequantise like candle's.
            let row5 = deq.get(5).unwrap().to_vec1::<f32>().unwrap();
            for (a, b) in row5.iter().zip(mat.row(5)) {
                assert!((a - b).abs() < 1e-6, "{dtype:?} row: {a} vs {b}");
            }
            // One input row alone gives the same numbers as within several.
            let one = mat
                .forward(&x.narrow(0, 1, 1).unwrap())
                .unwrap()
                .to_vec2::<f32>()
                .unwrap();
            assert_eq!(one[0], got[1]);
            // The portable kernels give the same bits as the ones in use.
            let xq: Vec<BlockQ8> = x
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()
                .chunks_exact(QK)
                .map(quantize_block)
                .collect();
            let nb = cols / QK;
            let x0 = &xq[..nb];
            match &mat.blocks {
                Blocks::Q41(v) => {
                    let rs = [0, 1, 2, 3].map(|r| &v[r * nb..(r + 1) * nb]);
                    assert_eq!(dot4_q41(rs, x0), portable::dot4_q41(rs, x0));
                }
                Blocks::Q80(v) => {
                    let rs = [0, 1, 2, 3].map(|r| &v[r * nb..(r + 1) * nb]);
                    assert_eq!(dot4_q80(rs, x0), portable::dot4_q80(rs, x0));
                }
            }
            // Stacked: the same rows twice give the same numbers twice.
            let both = QMatrix::stack(vec![mat.clone(), mat]).unwrap();
            let two = both.forward(&x).unwrap().to_vec2::<f32>().unwrap();
            for (row, g) in two.iter().zip(&got) {
                assert_eq!(&row[..rows], &g[..]);
                assert_eq!(&row[rows..], &g[..]);
            }
        }
    }
}
