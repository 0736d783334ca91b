//! Sentence embeddings (all-MiniLM-L6-v2 on our BERT encoder, [`crate::bert`]): mean
//! pooling over each sentence's tokens, L2-normalised. Sentences are batched by length (the
//! longest first) and packed without padding (not to the shipped tokenizer's fixed 128);
//! results come back in the input order. Cosine similarity is only an on-topic gate: it does not
//! see a changed number or a dropped negation; the rule engine carries the safety.

use crate::bert::{Bert, BertConfig};
use crate::error::{AiError, io};
use crate::manifest::ModelEntry;
use std::path::Path;
use tokenizers::{Tokenizer, TruncationParams};

pub struct Embedder {
    pub name: String,
    model: Bert,
    tokenizer: Tokenizer,
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
        let cfg_text = std::fs::read_to_string(config).map_err(|e| io(config, e))?;
        let cfg: BertConfig = serde_json::from_str(&cfg_text).map_err(|e| io(config, e))?;
        let model = Bert::load(weights, cfg)?;
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
            let ids: Vec<&[u32]> = chunk.iter().map(|&i| enc[i].get_ids()).collect();
            for (&i, v) in chunk.iter().zip(self.model.embed(&ids)?) {
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
