//! Sentence embeddings (all-MiniLM-L6-v2 through candle's BERT): mean pooling over the
//! attention mask, L2-normalised. Sentences are batched by length (the longest first) and
//! each batch is padded to its longest sentence, not to the shipped tokenizer's fixed 128,
//! so a long outlier does not make a whole batch of short sentences expensive; results come
//! back in the input order. Cosine similarity is only an on-topic gate: it does not
//! see a changed number or a dropped negation; the rule engine carries the safety.

use crate::error::{AiError, io};
use crate::manifest::ModelEntry;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use std::path::Path;
use tokenizers::{Tokenizer, TruncationParams};

pub struct Embedder {
    pub name: String,
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn find<'a>(paths: &'a [std::path::PathBuf], suffix: &str) -> Result<&'a Path, AiError> {
    paths
        .iter()
        .find(|p| p.to_string_lossy().ends_with(suffix))
        .map(|p| p.as_path())
        .ok_or_else(|| AiError::Unsupported {
            model: "embedder".into(),
            reason: format!("the manifest lists no {suffix}"),
        })
}

impl Embedder {
    /// Load from the manifest's verified files (`model.safetensors`, `config.json`,
    /// `tokenizer.json`).
    pub fn load(entry: &ModelEntry, dir: &Path) -> Result<Self, AiError> {
        let paths = entry.verified_paths(dir)?;
        Self::load_files(
            &entry.name,
            find(&paths, "model.safetensors")?,
            find(&paths, "config.json")?,
            find(&paths, "tokenizer.json")?,
        )
    }

    pub fn load_files(
        name: &str,
        weights: &Path,
        config: &Path,
        tokenizer: &Path,
    ) -> Result<Self, AiError> {
        let device = Device::Cpu;
        let cfg_text = std::fs::read_to_string(config).map_err(|e| io(config, e))?;
        let cfg: Config = serde_json::from_str(&cfg_text).map_err(|e| io(config, e))?;
        let bytes = std::fs::read(weights).map_err(|e| io(weights, e))?;
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &device)?;
        let model = BertModel::load(vb, &cfg)?;
        let mut tk = Tokenizer::from_file(tokenizer).map_err(|e| io(tokenizer, e))?;
        tk.with_padding(None);
        tk.with_truncation(Some(TruncationParams {
            max_length: 256,
            ..TruncationParams::default()
        }))
        .map_err(|e| io(tokenizer, e))?;
        Ok(Self {
            name: name.into(),
            model,
            tokenizer: tk,
            device,
        })
    }

    /// Unit vectors, one per sentence (in the order given), in batches of `batch`.
    pub fn embed(&self, sentences: &[String], batch: usize) -> Result<Vec<Vec<f32>>, AiError> {
        let enc = self
            .tokenizer
            .encode_batch(sentences.to_vec(), true)
            .map_err(|e| AiError::Inference(format!("tokenize: {e}")))?;
        let mut order: Vec<usize> = (0..enc.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(enc[i].get_ids().len()));
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); sentences.len()];
        for chunk in order.chunks(batch.max(1)) {
            let len = chunk
                .iter()
                .map(|&i| enc[i].get_ids().len())
                .max()
                .unwrap_or(0);
            let row = |i: usize, f: fn(&tokenizers::Encoding) -> &[u32]| -> Vec<u32> {
                let mut v = f(&enc[i]).to_vec();
                v.resize(len, 0);
                v
            };
            let ids: Vec<u32> = chunk
                .iter()
                .flat_map(|&i| row(i, |e| e.get_ids()))
                .collect();
            let mask: Vec<u32> = chunk
                .iter()
                .flat_map(|&i| row(i, |e| e.get_attention_mask()))
                .collect();
            let b = chunk.len();
            let ids = Tensor::from_vec(ids, (b, len), &self.device)?;
            let mask = Tensor::from_vec(mask, (b, len), &self.device)?;
            let types = ids.zeros_like()?;
            let hidden = self.model.forward(&ids, &types, Some(&mask))?;
            let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
            let summed = hidden.broadcast_mul(&m)?.sum(1)?;
            let counts = m.sum(1)?.clamp(1e-9, f64::MAX)?;
            let mean = summed.broadcast_div(&counts)?;
            let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
            let unit = mean.broadcast_div(&norm)?;
            for (&i, v) in chunk.iter().zip(unit.to_vec2::<f32>()?) {
                out[i] = v;
            }
        }
        Ok(out)
    }
}

/// Cosine similarity of two unit vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
