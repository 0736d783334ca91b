//! What the GGUF decoders ([`crate::llama`], [`crate::gemma3`]) share: reading weights and
//! metadata, the per-sequence key/value cache, packing a batch of sequences into one matrix
//! and greedy picking (attention and rotary embeddings: [`crate::attention`]).
//!
//! Batching without padding: the tokens of every sequence in a batch are packed into one
//! matrix for the projections and the feed-forward network (where the work is, and where
//! each row is computed independently of the others), while attention runs per sequence
//! over that sequence's own cache and positions. Every sequence's arithmetic is therefore
//! exactly what it would be alone: generation is byte-identical whatever batch a sentence
//! lands in (replay relies on it), and sequences of any lengths share a forward pass.

use crate::attention::{Heads, LayerKv, Rotary, attend};
use crate::error::AiError;
use candle_core::quantized::gguf_file::Content;
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{D, Device, Tensor};
use std::io::{Read, Seek};

/// One sequence's key/value cache: per layer, keys and values so far.
#[derive(Debug, Clone, Default)]
pub struct SeqCache {
    pub(crate) layers: Vec<LayerKv>,
    /// Tokens seen so far (the position of the next token).
    pub len: usize,
}

impl SeqCache {
    /// Forget every position from `len` on (rejected draft tokens).
    pub(crate) fn truncate(&mut self, len: usize) {
        for l in &mut self.layers {
            l.truncate(len, self.len);
        }
        self.len = self.len.min(len);
    }

    /// A copy of the first `len` positions only.
    pub(crate) fn head(&self, len: usize) -> Self {
        Self {
            layers: self.layers.iter().map(|l| l.head(len, self.len)).collect(),
            len: len.min(self.len),
        }
    }
}

/// Where one sequence's new tokens sit in the packed batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    /// First row in the packed matrix.
    pub off: usize,
    /// New tokens.
    pub t: usize,
    /// Position of the first new token.
    pub pos: usize,
}

/// Check a batch against the context, size every cache for `n_layer`, and pack the new
/// tokens of all sequences in order.
pub(crate) fn pack(
    seqs: &mut [(&[u32], &mut SeqCache)],
    n_layer: usize,
    context_length: usize,
) -> Result<(Vec<Span>, Vec<u32>), AiError> {
    let mut spans = Vec::with_capacity(seqs.len());
    let mut all: Vec<u32> = Vec::new();
    for (toks, cache) in seqs.iter_mut() {
        if toks.is_empty() {
            return Err(AiError::Inference("a sequence has no new tokens".into()));
        }
        if cache.len + toks.len() > context_length {
            return Err(AiError::Inference(format!(
                "sequence of {} tokens exceeds the context of {context_length}",
                cache.len + toks.len(),
            )));
        }
        if cache.layers.len() != n_layer {
            cache.layers = vec![LayerKv::default(); n_layer];
        }
        spans.push(Span {
            off: all.len(),
            t: toks.len(),
            pos: cache.len,
        });
        all.extend_from_slice(toks);
    }
    Ok((spans, all))
}

/// Attention of layer `layer` for every sequence of a packed batch (`q`, `k`, `v`: the
/// projection rows before rotation); each sequence's cache of that layer grows. Returns
/// `n × n_head·head_dim`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn attend_layer(
    seqs: &mut [(&[u32], &mut SeqCache)],
    layer: usize,
    spans: &[Span],
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    rotary: &Rotary,
    heads: Heads,
) -> Result<Tensor, AiError> {
    let mut slots: Vec<&mut LayerKv> = seqs
        .iter_mut()
        .map(|(_, cache)| &mut cache.layers[layer])
        .collect();
    let y = attend(
        q.flatten_all()?.to_vec1()?,
        k.flatten_all()?.to_vec1()?,
        &v.flatten_all()?.to_vec1::<f32>()?,
        spans,
        &mut slots,
        rotary,
        heads,
    );
    let n: usize = spans.iter().map(|s| s.t).sum();
    Ok(Tensor::from_vec(
        y,
        (n, heads.n_head * heads.head_dim),
        &Device::Cpu,
    )?)
}

/// After the last layer: advance every cache and take each sequence's last row, or with
/// `all` every new row (in packed order).
pub(crate) fn finish(
    x: &Tensor,
    seqs: &mut [(&[u32], &mut SeqCache)],
    spans: &[Span],
    all: bool,
) -> Result<Tensor, AiError> {
    for ((_, cache), s) in seqs.iter_mut().zip(spans) {
        cache.len += s.t;
    }
    if all {
        return Ok(x.clone());
    }
    let last: Vec<Tensor> = spans
        .iter()
        .map(|s| x.narrow(0, s.off + s.t - 1, 1))
        .collect::<candle_core::Result<_>>()?;
    Ok(Tensor::cat(&last, 0)?)
}

/// Index of the largest logit of each row; ties go to the lowest index.
pub fn argmax_rows(logits: &Tensor) -> Result<Vec<u32>, AiError> {
    Ok(logits.argmax(D::Minus1)?.to_vec1::<u32>()?)
}

/// A metadata number.
pub(crate) fn meta_u(ct: &Content, key: &str) -> Result<usize, AiError> {
    ct.metadata
        .get(key)
        .ok_or_else(|| AiError::Unsupported {
            model: "gguf".into(),
            reason: format!("missing metadata {key}"),
        })?
        .to_u32()
        .map(|v| v as usize)
        .map_err(|e| AiError::Unsupported {
            model: "gguf".into(),
            reason: format!("{key}: {e}"),
        })
}

pub(crate) fn meta_f(ct: &Content, key: &str) -> Option<f32> {
    ct.metadata.get(key).and_then(|v| v.to_f32().ok())
}

/// Read a weight for matrix products, widening block types without SIMD kernels in candle
/// or here (Q4_0/Q5_0/Q5_1) to Q8_0: 8-bit blocks hold the 4/5-bit values (and their block
/// scale) with far less error than the original quantisation.
pub(crate) fn qtensor<R: Read + Seek>(
    ct: &Content,
    r: &mut R,
    name: &str,
    dev: &Device,
) -> Result<QTensor, AiError> {
    let q = ct.tensor(r, name, dev)?;
    Ok(match q.dtype() {
        GgmlDType::Q4_0 | GgmlDType::Q5_0 | GgmlDType::Q5_1
            if q.shape().dims().last().is_some_and(|d| d % 32 == 0) =>
        {
            QTensor::quantize(&q.dequantize(dev)?, GgmlDType::Q8_0)?
        }
        _ => q,
    })
}

/// A small weight (norms, biases) as f32.
pub(crate) fn fweight<R: Read + Seek>(
    ct: &Content,
    r: &mut R,
    name: &str,
    dev: &Device,
) -> Result<Tensor, AiError> {
    Ok(ct.tensor(r, name, dev)?.dequantize(dev)?)
}

pub(crate) fn architecture(ct: &Content) -> String {
    ct.metadata
        .get("general.architecture")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .unwrap_or_default()
}
