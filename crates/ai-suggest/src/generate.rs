//! Deterministic generation: greedy decoding with a token limit and stop sequences, over
//! batches of prompts packed into one forward pass (see [`crate::llama`] for why every
//! output stays byte-identical to generating it alone).

use crate::decoder::{SeqCache, argmax_rows};
use crate::error::{AiError, io};
use crate::gemma3::Gemma3;
use crate::gguf_tokenizer::GgufTokenizer;
use crate::llama::Llama;
use crate::manifest::{ModelEntry, Role};
use candle_core::Device;
use candle_core::quantized::gguf_file;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

/// Fixed decoding settings, recorded in provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decoding {
    /// Always `greedy`: the most likely token at each step, ties to the lowest id.
    pub strategy: String,
    pub max_new_tokens: usize,
    pub stop: Vec<String>,
    /// Most sequences per forward pass.
    pub batch_size: usize,
}

impl Default for Decoding {
    fn default() -> Self {
        Self {
            strategy: "greedy".into(),
            max_new_tokens: 96,
            stop: vec!["<|im_end|>".into(), "<end_of_turn>".into(), "\n\n".into()],
            batch_size: 8,
        }
    }
}

impl Decoding {
    /// The defaults for a prompt format: a `completion` prompt's answer ends at the first
    /// line break.
    pub fn for_format(prompt_format: &str) -> Self {
        let mut d = Self::default();
        if prompt_format == "completion" {
            d.stop.push("\n".into());
        }
        d
    }
}

/// One generated text with its counts and timings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generation {
    pub text: String,
    pub prompt_tokens: usize,
    pub generated_tokens: usize,
    /// Share of the batch's prefill and generation time, in milliseconds.
    pub prefill_ms: f64,
    pub generate_ms: f64,
}

/// A text generator. Implementations must be deterministic: the same prompts and settings
/// always give the same texts.
pub trait Generator {
    fn name(&self) -> &str;
    fn weights_sha256(&self) -> &str;
    fn prompt_format(&self) -> &str;
    fn generate(
        &mut self,
        prompts: &[String],
        decoding: &Decoding,
    ) -> Result<Vec<Generation>, AiError>;
}

/// The decoders this build runs, chosen by the GGUF's `general.architecture`.
#[derive(Debug)]
enum Decoder {
    /// llama, qwen2
    Llama(Llama),
    Gemma3(Gemma3),
}

impl Decoder {
    fn forward(
        &self,
        seqs: &mut [(&[u32], &mut SeqCache)],
    ) -> Result<candle_core::Tensor, AiError> {
        match self {
            Decoder::Llama(m) => m.forward(seqs),
            Decoder::Gemma3(m) => m.forward(seqs),
        }
    }

    fn context_length(&self) -> usize {
        match self {
            Decoder::Llama(m) => m.config.context_length,
            Decoder::Gemma3(m) => m.config.context_length,
        }
    }
}

/// A GGUF model (llama, qwen2, gemma3), run through candle on the CPU.
#[derive(Debug)]
pub struct GgufGenerator {
    name: String,
    sha256: String,
    prompt_format: String,
    model: Decoder,
    tokenizer: GgufTokenizer,
}

impl GgufGenerator {
    /// Load `entry` from `dir`, refusing any file whose hash differs from the manifest.
    pub fn load(entry: &ModelEntry, dir: &Path) -> Result<Self, AiError> {
        if entry.role != Role::Generator {
            return Err(AiError::Unsupported {
                model: entry.name.clone(),
                reason: "not a generator".into(),
            });
        }
        let paths = entry.verified_paths(dir)?;
        let path = paths.first().ok_or_else(|| AiError::Unsupported {
            model: entry.name.clone(),
            reason: "the manifest lists no file".into(),
        })?;
        let mut g = Self::load_file(path, &entry.name, &entry.prompt_format)?;
        g.sha256 = entry.files[0].sha256.clone();
        Ok(g)
    }

    /// Load a GGUF file directly (its hash is computed here). For tests and tools; the
    /// service loads through the manifest.
    pub fn load_file(path: &Path, name: &str, prompt_format: &str) -> Result<Self, AiError> {
        let sha256 = crate::manifest::sha256_file(path)?;
        let mut f = std::io::BufReader::new(std::fs::File::open(path).map_err(|e| io(path, e))?);
        let ct = gguf_file::Content::read(&mut f).map_err(|e| AiError::Unsupported {
            model: name.into(),
            reason: format!("not a readable GGUF file: {e}"),
        })?;
        let device = Device::Cpu;
        let tokenizer = GgufTokenizer::from_gguf(&ct)?;
        let model = match crate::decoder::architecture(&ct).as_str() {
            "gemma3" => Decoder::Gemma3(Gemma3::from_gguf(&ct, &mut f, &device)?),
            _ => Decoder::Llama(Llama::from_gguf(&ct, &mut f, &device)?),
        };
        Ok(Self {
            name: name.into(),
            sha256,
            prompt_format: prompt_format.into(),
            model,
            tokenizer,
        })
    }

    pub fn tokenizer(&self) -> &GgufTokenizer {
        &self.tokenizer
    }

    /// Generate for one batch of prompts (any lengths); finished sequences leave the batch.
    fn run_batch(
        &self,
        batch: &[Vec<u32>],
        d: &Decoding,
    ) -> Result<Vec<(Vec<u32>, f64, f64)>, AiError> {
        let b = batch.len();
        let stop_ids: Vec<u32> = self
            .tokenizer
            .eos_id
            .into_iter()
            .chain(
                d.stop
                    .iter()
                    .filter_map(|s| self.tokenizer.special.get(s).copied()),
            )
            .collect();
        let mut caches: Vec<SeqCache> = vec![SeqCache::default(); b];
        let t0 = Instant::now();
        let logits = {
            let mut seqs: Vec<(&[u32], &mut SeqCache)> = batch
                .iter()
                .map(|p| p.as_slice())
                .zip(caches.iter_mut())
                .collect();
            self.model.forward(&mut seqs)?
        };
        let mut next = argmax_rows(&logits)?;
        let prefill = t0.elapsed().as_secs_f64() * 1e3;
        let t1 = Instant::now();
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); b];
        let mut active: Vec<usize> = (0..b).collect();
        let ctx = self.model.context_length();
        for _ in 0..d.max_new_tokens {
            let mut still = Vec::with_capacity(active.len());
            for (k, &i) in active.iter().enumerate() {
                let tok = next[k];
                if stop_ids.contains(&tok) {
                    continue;
                }
                out[i].push(tok);
                if !self.hits_text_stop(&out[i], d)?
                    && out[i].len() < d.max_new_tokens
                    && caches[i].len < ctx
                {
                    still.push(i);
                }
            }
            active = still;
            if active.is_empty() {
                break;
            }
            let toks: Vec<[u32; 1]> = active
                .iter()
                .map(|&i| [*out[i].last().unwrap_or(&0)])
                .collect();
            let mut refs: Vec<Option<&mut SeqCache>> = caches.iter_mut().map(Some).collect();
            let mut seqs: Vec<(&[u32], &mut SeqCache)> = active
                .iter()
                .zip(&toks)
                .filter_map(|(&i, t)| refs[i].take().map(|c| (t.as_slice(), c)))
                .collect();
            next = argmax_rows(&self.model.forward(&mut seqs)?)?;
        }
        let gen_ms = t1.elapsed().as_secs_f64() * 1e3;
        Ok(out
            .into_iter()
            .map(|ids| (ids, prefill / b as f64, gen_ms / b as f64))
            .collect())
    }

    /// Raw speed on one prompt: prefill tokens/s, then `n` greedy steps ignoring stop
    /// tokens, generation tokens/s. For the benchmark.
    pub fn raw_speed(&self, prompt: &[u32], n: usize) -> Result<(f64, f64), AiError> {
        let mut cache = SeqCache::default();
        let t0 = Instant::now();
        let mut next = argmax_rows(&self.model.forward(&mut [(prompt, &mut cache)])?)?[0];
        let pre = prompt.len() as f64 / t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        for _ in 0..n {
            next = argmax_rows(&self.model.forward(&mut [(&[next][..], &mut cache)])?)?[0];
        }
        Ok((pre, n as f64 / t1.elapsed().as_secs_f64()))
    }

    /// `n` greedy tokens after `prompt` (ids, BOS included if wanted), ignoring stop tokens:
    /// for comparing with other implementations token by token.
    pub fn greedy_ids(&self, prompt: &[u32], n: usize) -> Result<Vec<u32>, AiError> {
        let mut cache = SeqCache::default();
        let mut out = Vec::with_capacity(n);
        let mut next = argmax_rows(&self.model.forward(&mut [(prompt, &mut cache)])?)?[0];
        for _ in 0..n {
            out.push(next);
            if out.len() == n {
                break;
            }
            next = argmax_rows(&self.model.forward(&mut [(&[next][..], &mut cache)])?)?[0];
        }
        Ok(out)
    }

    /// Logits after feeding `chunks` one after another into one cache (a prompt continued
    /// in several forward passes): for checking that positions carry over.
    pub fn logits_after(&self, chunks: &[&[u32]]) -> Result<Vec<f32>, AiError> {
        let mut cache = SeqCache::default();
        let mut last = None;
        for c in chunks {
            last = Some(self.model.forward(&mut [(*c, &mut cache)])?);
        }
        let last = last.ok_or_else(|| AiError::Inference("no tokens".into()))?;
        Ok(last.flatten_all()?.to_vec1()?)
    }

    fn hits_text_stop(&self, ids: &[u32], d: &Decoding) -> Result<bool, AiError> {
        let tail = &ids[ids.len().saturating_sub(4)..];
        let text = self.tokenizer.decode(tail)?;
        Ok(d.stop
            .iter()
            .any(|s| !s.starts_with('<') && text.contains(s.as_str())))
    }
}

fn cut_at_stop(text: &str, d: &Decoding) -> String {
    let mut end = text.len();
    for s in &d.stop {
        if let Some(i) = text.find(s.as_str()) {
            end = end.min(i);
        }
    }
    text[..end].trim().to_string()
}

impl Generator for GgufGenerator {
    fn name(&self) -> &str {
        &self.name
    }
    fn weights_sha256(&self) -> &str {
        &self.sha256
    }
    fn prompt_format(&self) -> &str {
        &self.prompt_format
    }

    fn generate(&mut self, prompts: &[String], d: &Decoding) -> Result<Vec<Generation>, AiError> {
        let encoded: Vec<Vec<u32>> = prompts
            .iter()
            .map(|p| self.tokenizer.encode_prompt(p))
            .collect::<Result<_, _>>()?;
        if let Some(i) = encoded.iter().position(Vec::is_empty) {
            return Err(AiError::Inference(format!("prompt {i} is empty")));
        }
        let mut results: Vec<Option<Generation>> = vec![None; prompts.len()];
        let order: Vec<usize> = (0..prompts.len()).collect();
        for chunk in order.chunks(d.batch_size.max(1)) {
            let batch: Vec<Vec<u32>> = chunk.iter().map(|&i| encoded[i].clone()).collect();
            let outs = self.run_batch(&batch, d)?;
            for (&i, (ids, pre, gen_ms)) in chunk.iter().zip(outs) {
                let text = cut_at_stop(&self.tokenizer.decode(&ids)?, d);
                results[i] = Some(Generation {
                    text,
                    prompt_tokens: encoded[i].len(),
                    generated_tokens: ids.len(),
                    prefill_ms: pre,
                    generate_ms: gen_ms,
                });
            }
        }
        results
            .into_iter()
            .map(|r| r.ok_or_else(|| AiError::Inference("a prompt was not generated".into())))
            .collect()
    }
}
