//! A Gemma 3 decoder (GGUF `gemma3`, e.g. Gemma 3 270M) for CPU inference, written here
//! rather than taken from candle-transformers, whose `quantized_gemma3` differs from the
//! model in three ways that matter (upstream candle issue 3745 and our own measurements):
//!
//! - the feed-forward activation is GELU with the tanh approximation (candle used SiLU);
//! - rotary tables cover the context we allow (capped at 8,192 positions, two tables for the
//!   whole model), not 131,072 positions per layer;
//! - a forward of several tokens after position 0 (a prompt continued, a batch step) uses
//!   the right positions and a causal, sliding-window mask.
//!
//! Per layer: RMS norms before and after attention and before and after the feed-forward
//! network (GGUF norm weights already hold Gemma's `1 + w`), RMS norms of each head's
//! queries and keys, NeoX rotary embeddings with base 10,000 on sliding-window layers and
//! the file's `rope.freq_base` on global layers (every sixth layer is global), attention
//! scaled by `1/sqrt(key_length)`, token embeddings scaled by `sqrt(embedding_length)` and
//! tied to the output projection. The embedding matrix stays quantised (262,144 × 640 in
//! Q8_0 is 178 MB; dequantised it would be 671 MB) and serves both.

use crate::attention::{Heads, Rotary};
use crate::decoder::{SeqCache, architecture, attend_layer, finish, fweight, meta_f, meta_u, pack};
use crate::error::AiError;
use crate::qlinear::{Projection, TokenEmbedding};
use candle_core::quantized::gguf_file::Content;
use candle_core::{DType, Device, Tensor};
use std::io::{Read, Seek};

/// Hyper-parameters read from the GGUF metadata.
#[derive(Debug, Clone)]
pub struct Gemma3Config {
    pub n_layer: usize,
    pub n_embd: usize,
    pub n_head: usize,
    pub n_kv_head: usize,
    pub head_dim: usize,
    pub rms_eps: f64,
    pub rope_base_global: f32,
    pub rope_base_local: f32,
    pub sliding_window: usize,
    /// Every `swa_pattern`-th layer is global; the others use the sliding window.
    pub swa_pattern: usize,
    pub context_length: usize,
}

struct Layer {
    attn_norm: Tensor,
    /// q, k, v.
    qkv: Projection,
    q_norm: Tensor,
    k_norm: Tensor,
    wo: Projection,
    post_attn_norm: Tensor,
    ffn_norm: Tensor,
    /// gate, up.
    gate_up: Projection,
    w_down: Projection,
    post_ffn_norm: Tensor,
}

pub struct Gemma3 {
    pub config: Gemma3Config,
    /// Token embeddings, quantised.
    embed: TokenEmbedding,
    /// The same matrix as the output projection.
    output: Projection,
    layers: Vec<Layer>,
    norm: Tensor,
    rope_local: Rotary,
    rope_global: Rotary,
    pub vocab_size: usize,
}

impl std::fmt::Debug for Gemma3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gemma3")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Gemma3 {
    pub fn from_gguf<R: Read + Seek>(
        ct: &Content,
        r: &mut R,
        dev: &Device,
    ) -> Result<Self, AiError> {
        let arch = architecture(ct);
        if arch != "gemma3" {
            return Err(AiError::Unsupported {
                model: "gguf".into(),
                reason: format!("architecture {arch:?}; this back-end runs gemma3"),
            });
        }
        let n_embd = meta_u(ct, "gemma3.embedding_length")?;
        let n_head = meta_u(ct, "gemma3.attention.head_count")?;
        let config = Gemma3Config {
            n_layer: meta_u(ct, "gemma3.block_count")?,
            n_embd,
            n_head,
            n_kv_head: meta_u(ct, "gemma3.attention.head_count_kv").unwrap_or(n_head),
            head_dim: meta_u(ct, "gemma3.attention.key_length").unwrap_or(256),
            rms_eps: meta_f(ct, "gemma3.attention.layer_norm_rms_epsilon").unwrap_or(1e-6) as f64,
            rope_base_global: meta_f(ct, "gemma3.rope.freq_base").unwrap_or(1_000_000.0),
            rope_base_local: 10_000.0,
            sliding_window: meta_u(ct, "gemma3.attention.sliding_window").unwrap_or(512),
            swa_pattern: 6,
            context_length: meta_u(ct, "gemma3.context_length")
                .unwrap_or(8192)
                .min(8192),
        };
        if ct.metadata.contains_key("gemma3.rope.scaling.type")
            && ct
                .metadata
                .get("gemma3.rope.scaling.type")
                .and_then(|v| v.to_string().ok())
                .is_some_and(|s| s != "none")
        {
            return Err(AiError::Unsupported {
                model: "gguf".into(),
                reason: "rope scaling (larger Gemma 3 models) is not implemented".into(),
            });
        }
        let embed = TokenEmbedding::load(ct, r, dev)?;
        let vocab_size = embed.vocab_size()?;
        let output = embed.tied_output()?;
        let norm = fweight(ct, r, "output_norm.weight", dev)?;
        let mut layers = Vec::with_capacity(config.n_layer);
        for i in 0..config.n_layer {
            let p = format!("blk.{i}");
            let f = |r: &mut R, n: &str| fweight(ct, r, &format!("{p}.{n}.weight"), dev);
            let q = |r: &mut R, ns: &[&str]| {
                let names: Vec<String> = ns.iter().map(|n| format!("{p}.{n}.weight")).collect();
                Projection::load(ct, r, &names, dev)
            };
            layers.push(Layer {
                attn_norm: f(r, "attn_norm")?,
                qkv: q(r, &["attn_q", "attn_k", "attn_v"])?,
                q_norm: f(r, "attn_q_norm")?,
                k_norm: f(r, "attn_k_norm")?,
                wo: q(r, &["attn_output"])?,
                post_attn_norm: f(r, "post_attention_norm")?,
                ffn_norm: f(r, "ffn_norm")?,
                gate_up: q(r, &["ffn_gate", "ffn_up"])?,
                w_down: q(r, &["ffn_down"])?,
                post_ffn_norm: f(r, "post_ffw_norm")?,
            });
        }
        let rope_local = Rotary::new(
            config.head_dim,
            config.rope_base_local,
            config.context_length,
            false,
        );
        let rope_global = Rotary::new(
            config.head_dim,
            config.rope_base_global,
            config.context_length,
            false,
        );
        Ok(Self {
            config,
            embed,
            output,
            layers,
            norm,
            rope_local,
            rope_global,
            vocab_size,
        })
    }

    fn is_global(&self, layer: usize) -> bool {
        (layer + 1).is_multiple_of(self.config.swa_pattern)
    }

    /// Forward a batch: for each sequence, its new tokens and its cache (updated). Returns
    /// the logits of each sequence's last new token (batch × vocab), or with `every_row` of every
    /// new token (new tokens × vocab, in order).
    pub fn forward(
        &self,
        seqs: &mut [(&[u32], &mut SeqCache)],
        every_row: bool,
    ) -> Result<Tensor, AiError> {
        let c = &self.config;
        let eps = c.rms_eps as f32;
        let (spans, all) = pack(seqs, c.n_layer, c.context_length)?;
        let n = all.len();
        let mut x = (self.embed.lookup(&all)? * (c.n_embd as f64).sqrt())?;
        for (li, l) in self.layers.iter().enumerate() {
            let global = self.is_global(li);
            let rotary = if global {
                &self.rope_global
            } else {
                &self.rope_local
            };
            let heads = Heads {
                n_head: c.n_head,
                n_kv: c.n_kv_head,
                head_dim: c.head_dim,
                scale: 1.0 / (c.head_dim as f32).sqrt(),
                window: (!global).then_some(c.sliding_window),
            };
            let h = candle_nn::ops::rms_norm(&x, &l.attn_norm, eps)?;
            let [q_all, k_all, v_all] = l.qkv.forward_n(&h)?;
            // Per-head RMS norm of queries and keys (over head_dim, the last dimension).
            let q_all = candle_nn::ops::rms_norm(
                &q_all.reshape((n, c.n_head, c.head_dim))?,
                &l.q_norm,
                eps,
            )?
            .reshape((n, c.n_head * c.head_dim))?;
            let k_all = candle_nn::ops::rms_norm(
                &k_all.reshape((n, c.n_kv_head, c.head_dim))?,
                &l.k_norm,
                eps,
            )?
            .reshape((n, c.n_kv_head * c.head_dim))?;
            let y = attend_layer(seqs, li, &spans, &q_all, &k_all, &v_all, rotary, heads)?;
            let y = candle_nn::ops::rms_norm(&l.wo.forward1(&y)?, &l.post_attn_norm, eps)?;
            x = (x + y)?;
            let h = candle_nn::ops::rms_norm(&x, &l.ffn_norm, eps)?;
            let [gate, up] = l.gate_up.forward_n(&h)?;
            let y = l.w_down.forward1(&(gate.gelu()? * up)?)?;
            x = (x + candle_nn::ops::rms_norm(&y, &l.post_ffn_norm, eps)?)?;
        }
        let last = finish(&x, seqs, &spans, every_row)?;
        let last = candle_nn::ops::rms_norm(&last, &self.norm, eps)?;
        Ok(self.output.forward1(&last)?.to_dtype(DType::F32)?)
    }
}
