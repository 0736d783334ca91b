//! Matrix products with quantised GGUF weights (Q4_1 and Q8_0), computed by kernels
//! written for token-by-token generation ([`kernels`]).
//!
//! Generation on a CPU computes, per token, one product of every weight matrix with one
//! vector: the weights stream from memory once per token, so their layout and the work per
//! block decide the speed. candle has no SIMD kernel for Q4_1 (widening it to Q8_0 costs 1.7
//! times the bytes), and its Q8_0 kernel takes one row at a time. Here the weights are
//! regrouped at load, four rows per block side by side (the file's bytes per block, f16
//! scales kept), the activations are quantised once per product to 8-bit blocks, and each
//! pass takes four rows against one activation block: with AVX-512 VNNI when the CPU has
//! it (chosen at run time), else AVX2, else plain Rust, all three giving the same bits.
//! Rows are shared out in bands between candle's own worker threads.
//!
//! Every output element is computed by the same code whatever the number of input rows, so
//! a sentence gives the same numbers alone or in a batch, on any CPU.

mod kernels;

use crate::error::AiError;
use candle_core::quantized::gguf_file::Content;
use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};
use kernels::{BlockQ8, QK, QuadQ41, QuadQ80};
use std::io::{Read, Seek};
use std::sync::{Arc, Mutex};

/// The quads of one matrix: rows in groups of four (the last group repeats the last row),
/// each group's blocks in column order.
#[derive(Debug, Clone)]
enum Quads {
    Q41(Vec<QuadQ41>),
    Q80(Vec<QuadQ80>),
}

/// A weight matrix (`rows` outputs × `cols` inputs) in its GGUF quantisation.
#[derive(Debug, Clone)]
pub(crate) struct QMatrix {
    rows: usize,
    cols: usize,
    quads: Quads,
}

impl QMatrix {
    /// Whether this module computes with `dtype` (and `cols`).
    pub(crate) fn supports(dtype: GgmlDType, cols: usize) -> bool {
        matches!(dtype, GgmlDType::Q4_1 | GgmlDType::Q8_0) && cols.is_multiple_of(QK)
    }

    pub(crate) fn from_qtensor(q: &QTensor) -> Result<Self, AiError> {
        Self::stacked(std::slice::from_ref(q))
    }

    /// Matrices of one type and width stacked (rows of the first, then the next): one
    /// product then serves several projections of the same input.
    pub(crate) fn stacked(parts: &[QTensor]) -> Result<Self, AiError> {
        let Some(first) = parts.first() else {
            return Err(AiError::Inference("no matrix to stack".into()));
        };
        let dtype = first.dtype();
        let cols = first.shape().dims().last().copied().unwrap_or(0);
        let mut rows = 0;
        let mut data: Vec<u8> = Vec::new();
        for q in parts {
            let (r, c) = q.shape().dims2()?;
            if q.dtype() != dtype || c != cols || !Self::supports(dtype, c) {
                return Err(AiError::Inference(format!(
                    "no kernel for {:?} {r}x{c} stacked on {dtype:?} x{cols}",
                    q.dtype()
                )));
            }
            rows += r;
            data.extend_from_slice(&q.data()?);
        }
        let nb = cols / QK;
        let size = if dtype == GgmlDType::Q4_1 { 20 } else { 34 };
        if rows == 0 || data.len() != rows * nb * size {
            return Err(AiError::Inference(
                "quantised data has the wrong size".into(),
            ));
        }
        let block = |r: usize, b: usize| {
            let i = (r.min(rows - 1) * nb + b) * size;
            &data[i..i + size]
        };
        let quad_blocks = || {
            (0..rows.div_ceil(4))
                .flat_map(move |q| (0..nb).map(move |b| [0, 1, 2, 3].map(|r| block(4 * q + r, b))))
        };
        let quads = if dtype == GgmlDType::Q4_1 {
            Quads::Q41(quad_blocks().map(QuadQ41::from_blocks).collect())
        } else {
            Quads::Q80(quad_blocks().map(QuadQ80::from_blocks).collect())
        };
        Ok(Self { rows, cols, quads })
    }

    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Row `r` as f32 (an embedding lookup).
    pub(crate) fn row(&self, r: usize) -> Vec<f32> {
        let nb = self.cols / QK;
        let blocks = (r / 4) * nb..(r / 4 + 1) * nb;
        let mut out = Vec::with_capacity(self.cols);
        match &self.quads {
            Quads::Q41(v) => v[blocks].iter().for_each(|q| q.values(r % 4, &mut out)),
            Quads::Q80(v) => v[blocks].iter().for_each(|q| q.values(r % 4, &mut out)),
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
        let xq: Vec<BlockQ8> = xs.chunks_exact(QK).map(BlockQ8::quantize).collect();
        let (k41, k80) = kernels::best();
        let rows = kernels::best_rows();
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
                let mut put = |r: usize, i: usize, d: [f32; 4]| {
                    for (q, v) in d.iter().enumerate().take(r1 - r) {
                        local[i * (r1 - r0) + r + q - r0] = *v;
                    }
                };
                // A quad's weights (a few KB) stay in L1 while every input row passes, four
                // at a time where the CPU has such a kernel.
                for r in (r0..r1).step_by(4) {
                    let w = (r / 4) * nb..(r / 4 + 1) * nb;
                    let mut i = 0;
                    if let Some((r41, r80)) = rows {
                        while i + 4 <= m {
                            let xs = [0, 1, 2, 3].map(|j| &xq[(i + j) * nb..(i + j + 1) * nb]);
                            let d = match &self.quads {
                                Quads::Q41(v) => r41(&v[w.clone()], xs),
                                Quads::Q80(v) => r80(&v[w.clone()], xs),
                            };
                            for (j, dj) in d.into_iter().enumerate() {
                                put(r, i + j, dj);
                            }
                            i += 4;
                        }
                    }
                    for i in i..m {
                        let xi = &xq[i * nb..(i + 1) * nb];
                        let d = match &self.quads {
                            Quads::Q41(v) => k41(&v[w.clone()], xi),
                            Quads::Q80(v) => k80(&v[w.clone()], xi),
                        };
                        put(r, i, d);
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
            // The band's values, input row by input row.
            let r0 = bi * band;
            let width = local.len() / m.max(1);
            for (i, vals) in local.chunks_exact(width.max(1)).enumerate() {
                out[i * self.rows + r0..i * self.rows + r0 + width].copy_from_slice(vals);
            }
        }
        Ok(Tensor::from_vec(out, (m, self.rows), &Device::Cpu)?)
    }
}

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
            return Ok(Self::own(QMatrix::stacked(&qs)?, &qs));
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

    /// The outputs of a projection of `N` weights, as an array.
    pub(crate) fn forward_n<const N: usize>(&self, x: &Tensor) -> Result<[Tensor; N], AiError> {
        self.forward(x)?.try_into().map_err(|v: Vec<Tensor>| {
            AiError::Inference(format!("{} outputs where {N} were expected", v.len()))
        })
    }

    /// The single output of a one-matrix projection.
    pub(crate) fn forward1(&self, x: &Tensor) -> Result<Tensor, AiError> {
        let [y] = self.forward_n(x)?;
        Ok(y)
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
        kernels::lcg(seed)
            .take(n)
            .map(|s| ((s >> 33) as f32 / (1u64 << 31) as f32) - 0.5)
            .collect()
    }

    #[test]
    fn products_match_the_dequantised_products() {
        // 42 rows: ten quads and a tail of two.
        // Six input rows: four through the four-row kernels (where the CPU has them), two alone.
        let (rows, cols, m) = (42, 96, 6);
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
            for i in [1, 5] {
                let one = mat
                    .forward(&x.narrow(0, i, 1).unwrap())
                    .unwrap()
                    .to_vec2::<f32>()
                    .unwrap();
                assert_eq!(one[0], got[i]);
            }
            // Every kernel version this CPU runs gives the same bits.
            let xq: Vec<BlockQ8> = x
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()
                .chunks_exact(QK)
                .map(BlockQ8::quantize)
                .collect();
            let nb = cols / QK;
            let x0 = &xq[..nb];
            for (name, k41, k80) in kernels::all() {
                for quad in 0..rows.div_ceil(4) {
                    let w = quad * nb..(quad + 1) * nb;
                    let (a, b) = match &mat.quads {
                        Quads::Q41(v) => {
                            (k41(&v[w.clone()], x0), kernels::portable::q41(&v[w], x0))
                        }
                        Quads::Q80(v) => {
                            (k80(&v[w.clone()], x0), kernels::portable::q80(&v[w], x0))
                        }
                    };
                    assert_eq!(a.map(f32::to_bits), b.map(f32::to_bits), "{name} {dtype:?}");
                }
            }
            // Stacked: the same rows twice give the same numbers twice.
            let again = QTensor::quantize(&w, dtype).unwrap();
            let both = QMatrix::stacked(&[q, again]).unwrap();
            let two = both.forward(&x).unwrap().to_vec2::<f32>().unwrap();
            for (row, g) in two.iter().zip(&got) {
                assert_eq!(&row[..rows], &g[..]);
                assert_eq!(&row[rows..], &g[..]);
            }
        }
    }
}
