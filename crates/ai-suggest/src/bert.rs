//! A BERT encoder (all-MiniLM-L6-v2) for sentence embeddings, written for throughput on
//! a CPU: the sentences of a batch are packed into one matrix without padding (every
//! linear layer is one product over all their tokens; attention runs per sentence and head
//! over that sentence's own tokens, so no mask and no work on padding), the products run on
//! the `gemm` crate in row bands shared out on candle's worker pool (one pool: candle's
//! products would start a second one, rayon's, and the two fight over the cores), and the
//! bias, GELU, residual and layer norm are applied to each band as soon as its product is
//! done, while it is still in cache.
//!
//! Each sentence's numbers do not depend on the other sentences of its batch except
//! through the bands' boundaries, which only move rows between identical computations:
//! a sentence's vector is the same alone or batched.

use crate::attention::dot;
use crate::error::{AiError, io};
use candle_core::{DType, Device, Tensor};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

/// The parts of a BERT `config.json` this encoder reads.
#[derive(Debug, Clone, serde::Deserialize)]
pub(crate) struct BertConfig {
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default = "default_act")]
    pub hidden_act: String,
}

fn default_eps() -> f64 {
    1e-12
}

fn default_act() -> String {
    "gelu".into()
}

/// `y = x·Wᵀ + b`, `W` row-major `n_out × n_in`.
#[derive(Debug, Clone)]
struct Linear {
    w: Vec<f32>,
    b: Vec<f32>,
    n_in: usize,
    n_out: usize,
}

#[derive(Debug, Clone)]
struct Norm {
    g: Vec<f32>,
    b: Vec<f32>,
    eps: f32,
}

impl Norm {
    fn apply(&self, row: &mut [f32]) {
        let n = row.len() as f32;
        let mean = row.iter().sum::<f32>() / n;
        let var = row.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / n;
        let inv = 1.0 / (var + self.eps).sqrt();
        for ((x, g), b) in row.iter_mut().zip(&self.g).zip(&self.b) {
            *x = (*x - mean) * inv * g + b;
        }
    }
}

#[derive(Debug, Clone)]
struct Layer {
    /// Query, key and value stacked (`3h × h`).
    qkv: Linear,
    out: Linear,
    attn_norm: Norm,
    up: Linear,
    down: Linear,
    ffn_norm: Norm,
}

#[derive(Debug, Clone)]
pub(crate) struct Bert {
    cfg: BertConfig,
    word: Vec<f32>,
    pos: Vec<f32>,
    /// Token type 0 (single sentences).
    type0: Vec<f32>,
    emb_norm: Norm,
    layers: Vec<Layer>,
    vocab: usize,
}

/// Where one sentence's tokens sit in the packed matrix.
#[derive(Debug, Clone, Copy)]
struct Span {
    off: usize,
    len: usize,
}

impl Bert {
    pub(crate) fn load(weights: &Path, cfg: BertConfig) -> Result<Self, AiError> {
        if cfg.hidden_act != "gelu" {
            return Err(AiError::Unsupported {
                model: "embedder".into(),
                reason: format!(
                    "activation {:?}; this encoder runs \"gelu\"",
                    cfg.hidden_act
                ),
            });
        }
        let h = cfg.hidden_size;
        if cfg.num_attention_heads == 0 || !h.is_multiple_of(cfg.num_attention_heads) {
            return Err(AiError::Unsupported {
                model: "embedder".into(),
                reason: format!(
                    "{h} values do not split into {} heads",
                    cfg.num_attention_heads
                ),
            });
        }
        let ts = candle_core::safetensors::load(weights, &Device::Cpu)
            .map_err(|e| io(weights, std::io::Error::other(e.to_string())))?;
        let w = Weights { ts: &ts };
        let eps = cfg.layer_norm_eps as f32;
        let word = w.get("embeddings.word_embeddings.weight", None)?;
        let vocab = word.len() / h;
        let pos = w.get(
            "embeddings.position_embeddings.weight",
            Some(cfg.max_position_embeddings * h),
        )?;
        let mut type0 = w.get("embeddings.token_type_embeddings.weight", None)?;
        type0.truncate(h);
        let emb_norm = w.norm("embeddings.LayerNorm", h, eps)?;
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for i in 0..cfg.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            let (q, k, v) = (
                w.linear(&format!("{p}.attention.self.query"), h, h)?,
                w.linear(&format!("{p}.attention.self.key"), h, h)?,
                w.linear(&format!("{p}.attention.self.value"), h, h)?,
            );
            let qkv = Linear {
                w: [q.w, k.w, v.w].concat(),
                b: [q.b, k.b, v.b].concat(),
                n_in: h,
                n_out: 3 * h,
            };
            layers.push(Layer {
                qkv,
                out: w.linear(&format!("{p}.attention.output.dense"), h, h)?,
                attn_norm: w.norm(&format!("{p}.attention.output.LayerNorm"), h, eps)?,
                up: w.linear(&format!("{p}.intermediate.dense"), h, cfg.intermediate_size)?,
                down: w.linear(&format!("{p}.output.dense"), cfg.intermediate_size, h)?,
                ffn_norm: w.norm(&format!("{p}.output.LayerNorm"), h, eps)?,
            });
        }
        Ok(Self {
            cfg,
            word,
            pos,
            type0,
            emb_norm,
            layers,
            vocab,
        })
    }

    /// Mean-pooled, L2-normalised vectors of the sentences (token ids, special tokens
    /// included), in order.
    pub(crate) fn embed(&self, sentences: &[&[u32]]) -> Result<Vec<Vec<f32>>, AiError> {
        let h = self.cfg.hidden_size;
        let mut spans = Vec::with_capacity(sentences.len());
        let mut n = 0;
        for s in sentences {
            if s.is_empty() || s.len() > self.cfg.max_position_embeddings {
                return Err(AiError::Inference(format!(
                    "a sentence of {} tokens (1 to {} allowed)",
                    s.len(),
                    self.cfg.max_position_embeddings
                )));
            }
            spans.push(Span {
                off: n,
                len: s.len(),
            });
            n += s.len();
        }
        // Embeddings: word + position + token type 0, normalised.
        let mut x = vec![0f32; n * h];
        for (s, span) in sentences.iter().zip(&spans) {
            for (t, &id) in s.iter().enumerate() {
                let id = id as usize;
                if id >= self.vocab {
                    return Err(AiError::Inference(format!(
                        "token id {id} >= vocabulary {}",
                        self.vocab
                    )));
                }
                let row = &mut x[(span.off + t) * h..(span.off + t + 1) * h];
                let wr = &self.word[id * h..(id + 1) * h];
                let pr = &self.pos[t * h..(t + 1) * h];
                for (((o, a), b), c) in row.iter_mut().zip(wr).zip(pr).zip(&self.type0) {
                    *o = a + b + c;
                }
                self.emb_norm.apply(row);
            }
        }
        for l in &self.layers {
            let qkv = linear(&l.qkv, &x, n, |_, _| {})?;
            let ctx = self.attention(&qkv, &spans);
            // x = norm(x + ctx·Woᵀ + b), band by band.
            x = linear(&l.out, &ctx, n, |r0, band| {
                residual_norm(band, &x[r0 * h..r0 * h + band.len()], &l.attn_norm, h)
            })?;
            let up = linear(&l.up, &x, n, |_, band| band.iter_mut().for_each(gelu))?;
            x = linear(&l.down, &up, n, |r0, band| {
                residual_norm(band, &x[r0 * h..r0 * h + band.len()], &l.ffn_norm, h)
            })?;
        }
        Ok(spans
            .iter()
            .map(|s| {
                let mut mean = vec![0f32; h];
                for row in x[s.off * h..(s.off + s.len) * h].chunks_exact(h) {
                    mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
                }
                let inv_len = 1.0 / s.len as f32;
                mean.iter_mut().for_each(|m| *m *= inv_len);
                let norm = mean.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
                mean.iter_mut().for_each(|m| *m /= norm);
                mean
            })
            .collect())
    }

    /// Self-attention of every sentence over its own tokens; `qkv` rows are
    /// `[q | k | v]`. Returns `n × h`.
    fn attention(&self, qkv: &[f32], spans: &[Span]) -> Vec<f32> {
        let h = self.cfg.hidden_size;
        let heads = self.cfg.num_attention_heads;
        let d = h / heads;
        let scale = 1.0 / (d as f32).sqrt();
        let n: usize = spans.iter().map(|s| s.len).sum();
        let items = spans.len() * heads;
        let results: Vec<Mutex<Vec<f32>>> = (0..items).map(|_| Mutex::new(Vec::new())).collect();
        candle_core::utils::barrier_pool().execute_chunked(items, |range| {
            let mut scores = Vec::new();
            for item in range {
                let (s, head) = (spans[item / heads], item % heads);
                let at = |t: usize, part: usize| {
                    let o = (s.off + t) * 3 * h + part * h + head * d;
                    &qkv[o..o + d]
                };
                let mut out = vec![0f32; s.len * d];
                for i in 0..s.len {
                    let q = at(i, 0);
                    scores.clear();
                    scores.extend((0..s.len).map(|j| dot(q, at(j, 1)) * scale));
                    let max = scores.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
                    let mut sum = 0f32;
                    for v in scores.iter_mut() {
                        *v = (*v - max).exp();
                        sum += *v;
                    }
                    let o = &mut out[i * d..(i + 1) * d];
                    for (j, p) in scores.iter().enumerate() {
                        let p = p / sum;
                        for (oo, vv) in o.iter_mut().zip(at(j, 2)) {
                            *oo = p.mul_add(*vv, *oo);
                        }
                    }
                }
                if let Ok(mut slot) = results[item].lock() {
                    *slot = out;
                }
            }
        });
        let mut y = vec![0f32; n * h];
        for (item, res) in results.into_iter().enumerate() {
            let out = res.into_inner().unwrap_or_default();
            let (s, head) = (spans[item / heads], item % heads);
            for (t, o) in out.chunks_exact(d).enumerate() {
                let at = (s.off + t) * h + head * d;
                y[at..at + d].copy_from_slice(o);
            }
        }
        y
    }
}

/// `band += residual`, then each row normalised.
fn residual_norm(band: &mut [f32], residual: &[f32], norm: &Norm, h: usize) {
    band.iter_mut().zip(residual).for_each(|(y, r)| *y += r);
    band.chunks_exact_mut(h).for_each(|row| norm.apply(row));
}

/// GELU with the error function, `x/2 · (1 + erf(x/√2))`. erf by Abramowitz and Stegun
/// 7.1.28 (absolute error below 3e-7), multiplications and one division only, so the
/// loop vectorises; the exact `erf` of libm costs more than the products around it.
fn gelu(x: &mut f32) {
    const A: [f32; 6] = [
        0.070_523_08,
        0.042_282_01,
        0.009_270_527,
        0.000_152_014_3,
        0.000_276_567_2,
        0.000_043_063_8,
    ];
    let z = (*x * std::f32::consts::FRAC_1_SQRT_2).abs();
    let p = 1.0 + z * (A[0] + z * (A[1] + z * (A[2] + z * (A[3] + z * (A[4] + z * A[5])))));
    let p2 = p * p;
    let p4 = p2 * p2;
    let p8 = p4 * p4;
    let e = 1.0 - 1.0 / (p8 * p8);
    let erf = if *x < 0.0 { -e } else { e };
    *x = 0.5 * *x * (1.0 + erf);
}

/// `x` (`n × n_in`) times `Wᵀ` plus `b`, in row bands on candle's workers; `post(first
/// row, band)` runs on each band right after its product.
fn linear(
    l: &Linear,
    x: &[f32],
    n: usize,
    post: impl Fn(usize, &mut [f32]) + Sync,
) -> Result<Vec<f32>, AiError> {
    if x.len() != n * l.n_in {
        return Err(AiError::Inference(format!(
            "input of {} values for {n} rows of {}",
            x.len(),
            l.n_in
        )));
    }
    let mut y: Vec<f32> = Vec::with_capacity(n * l.n_out);
    for _ in 0..n {
        y.extend_from_slice(&l.b);
    }
    let threads = candle_core::utils::get_num_threads().max(1);
    // Bands of at least 16 rows, two per thread when there are enough rows.
    let rows = n.div_ceil(2 * threads).max(16);
    let bands: Vec<Mutex<(usize, &mut [f32])>> = y
        .chunks_mut(rows * l.n_out)
        .enumerate()
        .map(|(i, c)| Mutex::new((i * rows, c)))
        .collect();
    candle_core::utils::barrier_pool().execute_chunked(bands.len(), |range| {
        for bi in range {
            if let Ok(mut guard) = bands[bi].lock() {
                let (r0, band) = &mut *guard;
                let m = band.len() / l.n_out;
                product::gemm_bias(
                    m,
                    l.n_out,
                    l.n_in,
                    band,
                    &x[*r0 * l.n_in..(*r0 + m) * l.n_in],
                    &l.w,
                );
                post(*r0, band);
            }
        }
    });
    drop(bands);
    Ok(y)
}

#[allow(unsafe_code)]
mod product {
    /// `dst (m × n) += lhs (m × k) · rhsᵀ`, `rhs` row-major `n × k`, on this thread.
    pub(super) fn gemm_bias(
        m: usize,
        n: usize,
        k: usize,
        dst: &mut [f32],
        lhs: &[f32],
        rhs: &[f32],
    ) {
        assert!(dst.len() == m * n && lhs.len() == m * k && rhs.len() == n * k);
        // SAFETY: the three slices hold exactly the elements the strides below address
        // (checked above): dst row-major m × n, lhs row-major m × k, and rhs read as its
        // transpose (k × n: row stride 1, column stride k).
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                dst.as_mut_ptr(),
                1,
                n as isize,
                true,
                lhs.as_ptr(),
                1,
                k as isize,
                rhs.as_ptr(),
                k as isize,
                1,
                1.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            )
        }
    }
}

/// Named f32 weights from a safetensors file (`bert.` prefix and `gamma`/`beta` layer
/// norm names accepted, as older BERT checkpoints use them).
struct Weights<'a> {
    ts: &'a HashMap<String, Tensor>,
}

impl Weights<'_> {
    fn get(&self, name: &str, len: Option<usize>) -> Result<Vec<f32>, AiError> {
        let alt = |n: &str| {
            n.replace("LayerNorm.weight", "LayerNorm.gamma")
                .replace("LayerNorm.bias", "LayerNorm.beta")
        };
        let t = [
            name.to_string(),
            format!("bert.{name}"),
            alt(name),
            alt(&format!("bert.{name}")),
        ]
        .iter()
        .find_map(|n| self.ts.get(n))
        .ok_or_else(|| AiError::Unsupported {
            model: "embedder".into(),
            reason: format!("the weights have no {name}"),
        })?;
        let v: Vec<f32> = t.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?;
        if len.is_some_and(|l| v.len() < l) {
            return Err(AiError::Unsupported {
                model: "embedder".into(),
                reason: format!(
                    "{name} has {} values, {} expected",
                    v.len(),
                    len.unwrap_or(0)
                ),
            });
        }
        Ok(v)
    }

    fn linear(&self, p: &str, n_in: usize, n_out: usize) -> Result<Linear, AiError> {
        let w = self.get(&format!("{p}.weight"), Some(n_in * n_out))?;
        let b = self.get(&format!("{p}.bias"), Some(n_out))?;
        if w.len() != n_in * n_out || b.len() != n_out {
            return Err(AiError::Unsupported {
                model: "embedder".into(),
                reason: format!("{p} is not {n_out} × {n_in}"),
            });
        }
        Ok(Linear { w, b, n_in, n_out })
    }

    fn norm(&self, p: &str, h: usize, eps: f32) -> Result<Norm, AiError> {
        let g = self.get(&format!("{p}.weight"), Some(h))?;
        let b = self.get(&format!("{p}.bias"), Some(h))?;
        if g.len() != h || b.len() != h {
            return Err(AiError::Unsupported {
                model: "embedder".into(),
                reason: format!("{p} does not have {h} values"),
            });
        }
        Ok(Norm { g, b, eps })
    }
}
