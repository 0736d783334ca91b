//! A llama-family decoder (SmolLM2, Llama, Qwen2-style GGUF files) for CPU inference, with
//! a batched forward pass over sequences of any lengths (see [`crate::decoder`]). Q4_1
//! weights run as stored in the file, with q/k/v and gate/up stacked into one product each
//! ([`crate::qlinear`]); Q4_0/Q5_0/Q5_1 are widened to Q8_0 at load ([`crate::decoder`]).

use crate::attention::{Heads, Rotary};
use crate::decoder::{SeqCache, architecture, attend_layer, finish, fweight, meta_f, meta_u, pack};
use crate::error::AiError;
use crate::qlinear::{Projection, TokenEmbedding};
use candle_core::quantized::gguf_file::Content;
use candle_core::{DType, Device, Tensor};
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
    /// q, k, v.
    qkv: Projection,
    bq: Option<Tensor>,
    bk: Option<Tensor>,
    bv: Option<Tensor>,
    wo: Projection,
    ffn_norm: Tensor,
    /// gate, up.
    gate_up: Projection,
    w_down: Projection,
}

pub struct Llama {
    pub config: LlamaConfig,
    embed: TokenEmbedding,
    layers: Vec<Layer>,
    norm: Tensor,
    output: Projection,
    rotary: Rotary,
    pub vocab_size: usize,
}

impl std::fmt::Debug for Llama {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Llama")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Llama {
    pub fn from_gguf<R: Read + Seek>(
        ct: &Content,
        r: &mut R,
        dev: &Device,
    ) -> Result<Self, AiError> {
        let arch = architecture(ct);
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
            rms_eps: meta_f(ct, &format!("{a}.attention.layer_norm_rms_epsilon")).unwrap_or(1e-5)
                as f64,
            rope_base: meta_f(ct, &format!("{a}.rope.freq_base")).unwrap_or(10_000.0),
            context_length: meta_u(ct, &format!("{a}.context_length"))
                .unwrap_or(2048)
                .min(8192),
            qkv_bias: arch == "qwen2",
            arch,
        };
        let embed = TokenEmbedding::load(ct, r, dev)?;
        let vocab_size = embed.vocab_size()?;
        let output = if ct.tensor_infos.contains_key("output.weight") {
            Projection::load(ct, r, &["output.weight".into()], dev)?
        } else {
            // Tied embeddings (SmolLM2).
            embed.tied_output()?
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
            let names = |ns: &[&str]| -> Vec<String> {
                ns.iter().map(|n| format!("{p}.{n}.weight")).collect()
            };
            layers.push(Layer {
                attn_norm: fweight(ct, r, &format!("{p}.attn_norm.weight"), dev)?,
                qkv: Projection::load(ct, r, &names(&["attn_q", "attn_k", "attn_v"]), dev)?,
                bq: bias(r, "attn_q")?,
                bk: bias(r, "attn_k")?,
                bv: bias(r, "attn_v")?,
                wo: Projection::load(ct, r, &names(&["attn_output"]), dev)?,
                ffn_norm: fweight(ct, r, &format!("{p}.ffn_norm.weight"), dev)?,
                gate_up: Projection::load(ct, r, &names(&["ffn_gate", "ffn_up"]), dev)?,
                w_down: Projection::load(ct, r, &names(&["ffn_down"]), dev)?,
            });
        }
        // llama rotates adjacent pairs; qwen2 the two halves (NeoX).
        let rotary = Rotary::new(
            config.head_dim,
            config.rope_base,
            config.context_length,
            config.arch != "qwen2",
        );
        Ok(Self {
            config,
            embed,
            layers,
            norm,
            output,
            rotary,
            vocab_size,
        })
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
        let (spans, all) = pack(seqs, c.n_layer, c.context_length)?;
        let mut x = self.embed.lookup(&all)?;
        let heads = Heads {
            n_head: c.n_head,
            n_kv: c.n_kv_head,
            head_dim: c.head_dim,
            scale: 1.0 / (c.head_dim as f32).sqrt(),
            window: None,
        };
        for (li, l) in self.layers.iter().enumerate() {
            let h = candle_nn::ops::rms_norm(&x, &l.attn_norm, c.rms_eps as f32)?;
            let add_bias = |y: Tensor, bias: &Option<Tensor>| -> candle_core::Result<Tensor> {
                match bias {
                    Some(bv) => y.broadcast_add(bv),
                    None => Ok(y),
                }
            };
            let [q_all, k_all, v_all] = l.qkv.forward_n(&h)?;
            let q_all = add_bias(q_all, &l.bq)?;
            let k_all = add_bias(k_all, &l.bk)?;
            let v_all = add_bias(v_all, &l.bv)?;
            let y = attend_layer(
                seqs,
                li,
                &spans,
                &q_all,
                &k_all,
                &v_all,
                &self.rotary,
                heads,
            )?;
            x = (x + l.wo.forward1(&y)?)?;
            let h = candle_nn::ops::rms_norm(&x, &l.ffn_norm, c.rms_eps as f32)?;
            let [gate, up] = l.gate_up.forward_n(&h)?;
            let gate = candle_nn::ops::silu(&gate)?;
            x = (x + l.w_down.forward1(&(gate * up)?)?)?;
        }
        let last = finish(&x, seqs, &spans, every_row)?;
        let last = candle_nn::ops::rms_norm(&last, &self.norm, c.rms_eps as f32)?;
        Ok(self.output.forward1(&last)?.to_dtype(DType::F32)?)
    }
}
