//! A llama-family decoder (SmolLM2, Llama, Qwen2-style GGUF files) for CPU inference, with
//! a batched forward pass over sequences of equal length.
//!
//! Weights in Q4_0/Q4_1/Q5_0/Q5_1 are requantised to Q8_0 at load: candle has SIMD kernels
//! for Q8_0 but not for those, and 8-bit blocks hold the 4/5-bit values (and their block
//! scale) with far less error than the original quantisation.
//!
//! Batching without padding: the tokens of every sequence in a batch are packed into one
//! matrix for the projections and the feed-forward network (where the work is, and where
//! each row is computed independently of the others), while attention runs per sequence
//! over that sequence's own cache and positions. Every sequence's arithmetic is therefore
//! exactly what it would be alone: generation is byte-identical whatever batch a sentence
//! lands in (replay relies on it), and sequences of any lengths share a forward pass.

use crate::error::AiError;
use candle_core::quantized::gguf_file::Content;
use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{D, DType, Device, Module, Tensor};
use std::io::{Read, Seek};

/// Hyper-parameters read from the GGUF metadata.
#[derive(Debug, Clone)]
pub struct LlamaConfig {
    pub arch: String,
    pub n_layer: usize,
    pub n_embd: usize,
    pub n_head: usize,
    pub n_kv_head: usize,
    pub head_dim: usize,
    pub rms_eps: f64,
    pub rope_base: f32,
    pub context_length: usize,
    /// Qwen2 has biases on q, k, v.
    pub qkv_bias: bool,
}

struct Layer {
    attn_norm: Tensor,
    wq: QMatMul,
    wk: QMatMul,
    wv: QMatMul,
    bq: Option<Tensor>,
    bk: Option<Tensor>,
    bv: Option<Tensor>,
    wo: QMatMul,
    ffn_norm: Tensor,
    w_gate: QMatMul,
    w_up: QMatMul,
    w_down: QMatMul,
}

/// One sequence's key/value cache: per layer, keys and values so far.
#[derive(Debug, Clone, Default)]
pub struct SeqCache {
    layers: Vec<Option<(Tensor, Tensor)>>,
    /// Tokens seen so far (the position of the next token).
    pub len: usize,
}

pub struct Llama {
    pub config: LlamaConfig,
    embed: Tensor,
    layers: Vec<Layer>,
    norm: Tensor,
    output: QMatMul,
    cos: Tensor,
    sin: Tensor,
    pub vocab_size: usize,
}

impl std::fmt::Debug for Llama {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Llama")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn meta_u(ct: &Content, key: &str) -> Result<usize, AiError> {
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

/// Load a weight for matrix products, requantising slow block types to Q8_0.
fn qweight<R: Read + Seek>(
    ct: &Content,
    r: &mut R,
    name: &str,
    dev: &Device,
) -> Result<QMatMul, AiError> {
    let q = ct.tensor(r, name, dev)?;
    let q = match q.dtype() {
        GgmlDType::Q4_0 | GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1
            if q.shape().dims().last().is_some_and(|d| d % 32 == 0) =>
        {
            QTensor::quantize(&q.dequantize(dev)?, GgmlDType::Q8_0)?
        }
        _ => q,
    };
    Ok(QMatMul::from_qtensor(q)?)
}

fn fweight<R: Read + Seek>(
    ct: &Content,
    r: &mut R,
    name: &str,
    dev: &Device,
) -> Result<Tensor, AiError> {
    Ok(ct.tensor(r, name, dev)?.dequantize(dev)?)
}

impl Llama {
    pub fn from_gguf<R: Read + Seek>(
        ct: &Content,
        r: &mut R,
        dev: &Device,
    ) -> Result<Self, AiError> {
        let arch = ct
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_default();
        if arch != "llama" && arch != "qwen2" {
            return Err(AiError::Unsupported {
                model: "gguf".into(),
                reason: format!("architecture {arch:?}; this back-end runs llama and qwen2"),
            });
        }
        let a = arch.as_str();
        let n_embd = meta_u(ct, &format!("{a}.embedding_length"))?;
        let n_head = meta_u(ct, &format!("{a}.attention.head_count"))?;
        let n_kv_head = meta_u(ct, &format!("{a}.attention.head_count_kv")).unwrap_or(n_head);
        let head_dim =
            meta_u(ct, &format!("{a}.rope.dimension_count")).unwrap_or(n_embd / n_head.max(1));
        let config = LlamaConfig {
            n_layer: meta_u(ct, &format!("{a}.block_count"))?,
            n_embd,
            n_head,
            n_kv_head,
            head_dim,
            rms_eps: ct
                .metadata
                .get(&format!("{a}.attention.layer_norm_rms_epsilon"))
                .and_then(|v| v.to_f32().ok())
                .unwrap_or(1e-5) as f64,
            rope_base: ct
                .metadata
                .get(&format!("{a}.rope.freq_base"))
                .and_then(|v| v.to_f32().ok())
                .unwrap_or(10_000.0),
            context_length: meta_u(ct, &format!("{a}.context_length"))
                .unwrap_or(2048)
                .min(8192),
            qkv_bias: arch == "qwen2",
            arch,
        };
        let embed_q = ct.tensor(r, "token_embd.weight", dev)?;
        let embed = embed_q.dequantize(dev)?;
        let vocab_size = embed.dim(0)?;
        let output = if ct.tensor_infos.contains_key("output.weight") {
            qweight(ct, r, "output.weight", dev)?
        } else {
            // Tied embeddings (SmolLM2).
            QMatMul::from_qtensor(QTensor::quantize(&embed, GgmlDType::Q8_0)?)?
        };
        let norm = fweight(ct, r, "output_norm.weight", dev)?;
        let mut layers = Vec::with_capacity(config.n_layer);
        for i in 0..config.n_layer {
            let p = format!("blk.{i}");
            let bias = |r: &mut R, n: &str| -> Result<Option<Tensor>, AiError> {
                let name = format!("{p}.{n}.bias");
                if config.qkv_bias && ct.tensor_infos.contains_key(&name) {
                    Ok(Some(fweight(ct, r, &name, dev)?))
                } else {
                    Ok(None)
                }
            };
            layers.push(Layer {
                attn_norm: fweight(ct, r, &format!("{p}.attn_norm.weight"), dev)?,
                wq: qweight(ct, r, &format!("{p}.attn_q.weight"), dev)?,
                wk: qweight(ct, r, &format!("{p}.attn_k.weight"), dev)?,
                wv: qweight(ct, r, &format!("{p}.attn_v.weight"), dev)?,
                bq: bias(r, "attn_q")?,
                bk: bias(r, "attn_k")?,
                bv: bias(r, "attn_v")?,
                wo: qweight(ct, r, &format!("{p}.attn_output.weight"), dev)?,
                ffn_norm: fweight(ct, r, &format!("{p}.ffn_norm.weight"), dev)?,
                w_gate: qweight(ct, r, &format!("{p}.ffn_gate.weight"), dev)?,
                w_up: qweight(ct, r, &format!("{p}.ffn_up.weight"), dev)?,
                w_down: qweight(ct, r, &format!("{p}.ffn_down.weight"), dev)?,
            });
        }
        let (cos, sin) = rope_tables(
            config.head_dim,
            config.rope_base,
            config.context_length,
            dev,
        )?;
        Ok(Self {
            config,
            embed,
            layers,
            norm,
            output,
            cos,
            sin,
            vocab_size,
        })
    }

    /// Forward a batch: for each sequence, its new tokens and its cache (updated). Returns
    /// the logits of each sequence's last new token (batch × vocab).
    pub fn forward(&self, seqs: &mut [(&[u32], &mut SeqCache)]) -> Result<Tensor, AiError> {
        let c = &self.config;
        let dev = self.embed.device().clone();
        let mut offsets = Vec::with_capacity(seqs.len());
        let mut all: Vec<u32> = Vec::new();
        for (toks, cache) in seqs.iter_mut() {
            if toks.is_empty() {
                return Err(AiError::Inference("a sequence has no new tokens".into()));
            }
            if cache.len + toks.len() > c.context_length {
                return Err(AiError::Inference(format!(
                    "sequence of {} tokens exceeds the context of {}",
                    cache.len + toks.len(),
                    c.context_length
                )));
            }
            if cache.layers.len() != c.n_layer {
                cache.layers = vec![None; c.n_layer];
            }
            offsets.push((all.len(), toks.len(), cache.len));
            all.extend_from_slice(toks);
        }
        let n = all.len();
        let mut x = self
            .embed
            .index_select(&Tensor::from_vec(all, n, &dev)?, 0)?;
        for (li, l) in self.layers.iter().enumerate() {
            let h = candle_nn::ops::rms_norm(&x, &l.attn_norm, c.rms_eps as f32)?;
            let add_bias = |y: Tensor, bias: &Option<Tensor>| -> candle_core::Result<Tensor> {
                match bias {
                    Some(bv) => y.broadcast_add(bv),
                    None => Ok(y),
                }
            };
            let q_all = add_bias(l.wq.forward(&h)?, &l.bq)?;
            let k_all = add_bias(l.wk.forward(&h)?, &l.bk)?;
            let v_all = add_bias(l.wv.forward(&h)?, &l.bv)?;
            let mut ys = Vec::with_capacity(seqs.len());
            for (si, &(off, t, pos)) in offsets.iter().enumerate() {
                let heads = |m: &Tensor, nh: usize| -> candle_core::Result<Tensor> {
                    m.narrow(0, off, t)?
                        .reshape((1, t, nh, c.head_dim))?
                        .transpose(1, 2)?
                        .contiguous()
                };
                let q = heads(&q_all, c.n_head)?;
                let k = heads(&k_all, c.n_kv_head)?;
                let v = heads(&v_all, c.n_kv_head)?;
                let cos = self.cos.narrow(0, pos, t)?;
                let sin = self.sin.narrow(0, pos, t)?;
                let (q, k) = if c.arch == "qwen2" {
                    (
                        candle_nn::rotary_emb::rope(&q, &cos, &sin)?,
                        candle_nn::rotary_emb::rope(&k, &cos, &sin)?,
                    )
                } else {
                    (
                        candle_nn::rotary_emb::rope_i(&q, &cos, &sin)?,
                        candle_nn::rotary_emb::rope_i(&k, &cos, &sin)?,
                    )
                };
                let cache = &mut seqs[si].1.layers[li];
                let (k, v) = match cache.as_ref() {
                    Some((kc, vc)) => (Tensor::cat(&[kc, &k], 2)?, Tensor::cat(&[vc, &v], 2)?),
                    None => (k, v),
                };
                *cache = Some((k.clone(), v.clone()));
                let rep = c.n_head / c.n_kv_head.max(1);
                let k = candle_transformers::utils::repeat_kv(k, rep)?.contiguous()?;
                let v = candle_transformers::utils::repeat_kv(v, rep)?.contiguous()?;
                let att = (q.matmul(&k.t()?)? / (c.head_dim as f64).sqrt())?;
                let att = if t > 1 {
                    att.broadcast_add(&causal_mask(t, pos, &dev)?)?
                } else {
                    att
                };
                let att = candle_nn::ops::softmax_last_dim(&att)?;
                ys.push(att.matmul(&v)?.transpose(1, 2)?.reshape((t, c.n_embd))?);
            }
            let y = Tensor::cat(&ys, 0)?;
            x = (x + l.wo.forward(&y)?)?;
            let h = candle_nn::ops::rms_norm(&x, &l.ffn_norm, c.rms_eps as f32)?;
            let gate = candle_nn::ops::silu(&l.w_gate.forward(&h)?)?;
            let up = l.w_up.forward(&h)?;
            x = (x + l.w_down.forward(&(gate * up)?)?)?;
        }
        for ((_, cache), &(_, t, _)) in seqs.iter_mut().zip(&offsets) {
            cache.len += t;
        }
        let last: Vec<Tensor> = offsets
            .iter()
            .map(|&(off, t, _)| x.narrow(0, off + t - 1, 1))
            .collect::<candle_core::Result<_>>()?;
        let last = Tensor::cat(&last, 0)?;
        let last = candle_nn::ops::rms_norm(&last, &self.norm, c.rms_eps as f32)?;
        Ok(self.output.forward(&last)?.to_dtype(DType::F32)?)
    }
}

fn rope_tables(
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

/// Additive mask (t × (pos + t)): 0 where a query may look, -inf where it may not.
fn causal_mask(t: usize, pos: usize, dev: &Device) -> Result<Tensor, AiError> {
    let kv = pos + t;
    let m: Vec<f32> = (0..t)
        .flat_map(|i| (0..kv).map(move |j| if j > pos + i { f32::NEG_INFINITY } else { 0.0 }))
        .collect();
    Ok(Tensor::from_vec(m, (t, kv), dev)?)
}

/// Index of the largest logit of each row; ties go to the lowest index.
pub fn argmax_rows(logits: &Tensor) -> Result<Vec<u32>, AiError> {
    Ok(logits.argmax(D::Minus1)?.to_vec1::<u32>()?)
}
