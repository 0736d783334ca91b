//! What the GGUF decoders ([`crate::llama`], [`crate::gemma3`]) share: reading weights and
//! metadata, the per-sequence key/value cache, packing a batch of sequences into one matrix,
//! attention of one sequence over its own cache, rotary tables, masks and greedy picking.
//!
//! Batching without padding: the tokens of every sequence in a batch are packed into one
//! matrix for the projections and the feed-forward network (where the work is, and where
//! each row is computed independently of the others), while attention runs per sequence
//! over that sequence's own cache and positions. Every sequence's arithmetic is therefore
//! exactly what it would be alone: generation is byte-identical whatever batch a sentence
//! lands in (replay relies on it), and sequences of any lengths share a forward pass.

use crate::error::AiError;
use candle_core::quantized::gguf_file::Content;
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{D, DType, Device, Tensor};
use std::io::{Read, Seek};

/// One sequence's key/value cache: per layer, keys and values so far.
#[derive(Debug, Clone, Default)]
pub struct SeqCache {
    pub(crate) layers: Vec<Option<(Tensor, Tensor)>>,
    /// Tokens seen so far (the position of the next token).
    pub len: usize,
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
            cache.layers = vec![None; n_layer];
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

/// After the last layer: advance every cache and take each sequence's last row.
pub(crate) fn finish(
    x: &Tensor,
    seqs: &mut [(&[u32], &mut SeqCache)],
    spans: &[Span],
) -> Result<Tensor, AiError> {
    for ((_, cache), s) in seqs.iter_mut().zip(spans) {
        cache.len += s.t;
    }
    let last: Vec<Tensor> = spans
        .iter()
        .map(|s| x.narrow(0, s.off + s.t - 1, 1))
        .collect::<candle_core::Result<_>>()?;
    Ok(Tensor::cat(&last, 0)?)
}

/// Rows `span` of a packed projection as `(1, heads, t, head_dim)`.
pub(crate) fn heads(
    m: &Tensor,
    s: Span,
    n_heads: usize,
    head_dim: usize,
) -> candle_core::Result<Tensor> {
    m.narrow(0, s.off, s.t)?
        .reshape((1, s.t, n_heads, head_dim))?
        .transpose(1, 2)?
        .contiguous()
}

/// Attention of one sequence (`q`, `k`, `v` as `(1, heads, t, head_dim)`, rotary already
/// applied) over its cache slot, which is extended with `k` and `v`. `window` limits how far
/// back a query may look (sliding-window layers). Returns `(t, heads * head_dim)`.
pub(crate) fn attend(
    q: &Tensor,
    k: Tensor,
    v: Tensor,
    slot: &mut Option<(Tensor, Tensor)>,
    s: Span,
    scale: f64,
    window: Option<usize>,
) -> Result<Tensor, AiError> {
    let (_, n_head, _, head_dim) = q.dims4()?;
    let n_kv = k.dim(1)?;
    let (k, v) = match slot.as_ref() {
        Some((kc, vc)) => (Tensor::cat(&[kc, &k], 2)?, Tensor::cat(&[vc, &v], 2)?),
        None => (k, v),
    };
    *slot = Some((k.clone(), v.clone()));
    let rep = n_head / n_kv.max(1);
    let k = candle_transformers::utils::repeat_kv(k, rep)?.contiguous()?;
    let v = candle_transformers::utils::repeat_kv(v, rep)?.contiguous()?;
    let att = (q.matmul(&k.t()?)? * scale)?;
    let kv = s.pos + s.t;
    let limited = window.is_some_and(|w| kv > w);
    let att = if s.t > 1 || limited {
        att.broadcast_add(&mask(s.t, s.pos, window, q.device())?)?
    } else {
        att
    };
    let att = candle_nn::ops::softmax_last_dim(&att)?;
    Ok(att
        .matmul(&v)?
        .transpose(1, 2)?
        .reshape((s.t, n_head * head_dim))?)
}

/// Additive mask (t × (pos + t)): 0 where a query may look (itself and earlier tokens, no
/// further back than `window`), -inf elsewhere.
pub(crate) fn mask(
    t: usize,
    pos: usize,
    window: Option<usize>,
    dev: &Device,
) -> Result<Tensor, AiError> {
    let kv = pos + t;
    let m: Vec<f32> = (0..t)
        .flat_map(|i| {
            let p = pos + i;
            (0..kv).map(move |j| {
                let visible = j <= p && window.is_none_or(|w| p - j < w);
                if visible { 0.0 } else { f32::NEG_INFINITY }
            })
        })
        .collect();
    Ok(Tensor::from_vec(m, (t, kv), dev)?)
}

/// Rotary tables (`n` positions × `head_dim / 2`) for frequency base `base`.
pub(crate) fn rope_tables(
    head_dim: usize,
    base: f32,
    n: usize,
    dev: &Device,
) -> Result<(Tensor, Tensor), AiError> {
    let inv: Vec<f32> = (0..head_dim)
        .step_by(2)
        .map(|i| 1.0 / base.powf(i as f32 / head_dim as f32))
        .collect();
    let inv = Tensor::new(inv.as_slice(), dev)?;
    let pos = Tensor::arange(0u32, n as u32, dev)?
        .to_dtype(DType::F32)?
        .reshape((n, 1))?;
    let f = pos.matmul(&inv.reshape((1, head_dim / 2))?)?;
    Ok((f.cos()?, f.sin()?))
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn mask_is_causal_and_honours_the_window() {
        let m = mask(2, 3, None, &Device::Cpu)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        assert_eq!(m[0][..4], [0.0; 4]);
        assert!(m[0][4].is_infinite());
        assert_eq!(m[1], [0.0; 5]);
        let w = mask(2, 3, Some(2), &Device::Cpu)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        // Query at position 3 sees 2 and 3; at 4 sees 3 and 4.
        let seen =
            |row: &[f32]| -> Vec<usize> { (0..row.len()).filter(|&j| row[j] == 0.0).collect() };
        assert_eq!(seen(&w[0]), vec![2, 3]);
        assert_eq!(seen(&w[1]), vec![3, 4]);
    }
}
