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
    /// Most draft tokens checked per forward pass, shared by the sequences in it (0: none).
    /// A draft is the continuation of the latest earlier occurrence of the text's last
    /// three tokens (in the prompt or the output so far); the model checks it in the same
    /// pass and only the tokens it would have picked itself are kept. Like `batch_size`, this changes the speed, never the output:
    /// every logit is computed by the same code whatever the tokens fed with it.
    #[serde(default)]
    pub draft_tokens: usize,
}

impl Default for Decoding {
    fn default() -> Self {
        Self {
            strategy: "greedy".into(),
            max_new_tokens: 96,
            stop: vec!["<|im_end|>".into(), "<end_of_turn>".into(), "\n\n".into()],
            batch_size: 8,
            draft_tokens: 8,
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
    /// How likely the model finds each of `answers` after `prompt`: the sum of the log
    /// probabilities of the answer's tokens and of the end of the answer, for ranking
    /// candidate rewrites. Deterministic like generation.
    fn score(&mut self, prompt: &str, answers: &[String]) -> Result<Vec<Score>, AiError>;
}

/// A candidate answer's likelihood under the model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Sum of natural-log probabilities of the answer's tokens and of its end.
    pub logprob: f64,
    /// Tokens scored (the answer's, plus the end).
    pub tokens: usize,
}

impl Score {
    /// Mean log probability per token (higher is likelier).
    pub fn mean(&self) -> f64 {
        self.logprob / self.tokens.max(1) as f64
    }
}

/// Natural-log probability of `token` under one row of logits, in f64 and a fixed order.
fn log_prob(row: &[f32], token: u32) -> f64 {
    let max = row.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x)) as f64;
    let sum: f64 = row.iter().map(|&x| (x as f64 - max).exp()).sum();
    row.get(token as usize)
        .map_or(f64::NEG_INFINITY, |&x| x as f64 - max - sum.ln())
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
        all: bool,
    ) -> Result<candle_core::Tensor, AiError> {
        match self {
            Decoder::Llama(m) => m.forward(seqs, all),
            Decoder::Gemma3(m) => m.forward(seqs, all),
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
    /// The last prompt's keys and values (its ids, its cache): a later prompt sharing its
    /// beginning (the template's instructions) starts from there instead of recomputing it.
    prefix: Option<(Vec<u32>, SeqCache)>,
}

/// The fewest shared tokens worth starting from a stored prefix.
const MIN_PREFIX: usize = 8;

fn common_len(a: &[u32], b: &[u32]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
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
            prefix: None,
        })
    }

    pub fn tokenizer(&self) -> &GgufTokenizer {
        &self.tokenizer
    }

    /// A cache holding the first `k` positions of `prompt` from the stored prefix, where
    /// they agree on at least [`MIN_PREFIX`] tokens (one token at least is left to feed).
    /// Keys and values do not depend on the pass that computed them (the model code is
    /// batch- and split-independent), so the output is the same as from scratch.
    fn start_cache(&self, prompt: &[u32]) -> SeqCache {
        if let Some((ids, cache)) = &self.prefix {
            let k = common_len(ids, prompt)
                .min(prompt.len().saturating_sub(1))
                .min(cache.len);
            if k >= MIN_PREFIX {
                return cache.head(k);
            }
        }
        SeqCache::default()
    }

    /// Forget the stored prefix: the next prompts are computed from their first token (for
    /// tests and measurements; the output is the same either way).
    pub fn clear_prefix(&mut self) {
        self.prefix = None;
    }

    /// Store the beginning the prompts share (the template's instructions) when it is
    /// longer than what the stored prefix offers; returns the milliseconds spent.
    fn share_prefix(&mut self, prompts: &[Vec<u32>]) -> Result<f64, AiError> {
        let Some(first) = prompts.first() else {
            return Ok(0.0);
        };
        let shared = prompts
            .iter()
            .map(|p| common_len(first, p).min(p.len().saturating_sub(1)))
            .min()
            .unwrap_or(0);
        if prompts.len() < 2 || shared < MIN_PREFIX || self.start_cache(first).len >= shared {
            return Ok(0.0);
        }
        let t0 = Instant::now();
        let mut cache = SeqCache::default();
        self.model
            .forward(&mut [(&first[..shared], &mut cache)], false)?;
        self.prefix = Some((first[..shared].to_vec(), cache));
        Ok(t0.elapsed().as_secs_f64() * 1e3)
    }

    /// Generate for one batch of prompts (any lengths); finished sequences leave the batch.
    fn run_batch(
        &mut self,
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
        let t0 = Instant::now();
        let mut caches: Vec<SeqCache> = batch.iter().map(|p| self.start_cache(p)).collect();
        let logits = {
            let mut seqs: Vec<(&[u32], &mut SeqCache)> = batch
                .iter()
                .zip(caches.iter_mut())
                .map(|(p, c)| (&p[c.len..], c))
                .collect();
            self.model.forward(&mut seqs, false)?
        };
        self.prefix = Some((batch[0].clone(), caches[0].clone()));
        // Tokens picked by the model and not yet emitted, per sequence.
        let mut picked: Vec<Vec<u32>> =
            argmax_rows(&logits)?.into_iter().map(|t| vec![t]).collect();
        let prefill = t0.elapsed().as_secs_f64() * 1e3;
        let t1 = Instant::now();
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); b];
        let mut active: Vec<usize> = (0..b).collect();
        let ctx = self.model.context_length();
        loop {
            // Emit the picked tokens one by one, with the checks of one-token steps.
            let mut still = Vec::with_capacity(active.len());
            for &i in &active {
                let mut going = true;
                for &tok in &picked[i] {
                    if stop_ids.contains(&tok) {
                        going = false;
                        break;
                    }
                    out[i].push(tok);
                    if self.hits_text_stop(&out[i], d)?
                        || out[i].len() >= d.max_new_tokens
                        || batch[i].len() + out[i].len() > ctx
                    {
                        going = false;
                        break;
                    }
                }
                if going {
                    still.push(i);
                }
            }
            active = still;
            if active.is_empty() {
                break;
            }
            // Feed each sequence its last token and a draft of what may follow. Drafts pay
            // while a pass is bound by reading the weights, not by arithmetic: the batch
            // shares `draft_tokens` extra rows.
            let per_seq = d.draft_tokens / active.len();
            let feeds: Vec<Vec<u32>> = active
                .iter()
                .map(|&i| {
                    let last = *out[i].last().unwrap_or(&0);
                    let room = (d.max_new_tokens - out[i].len() - 1)
                        .min(ctx.saturating_sub(caches[i].len + 1))
                        .min(per_seq);
                    let mut feed = vec![last];
                    feed.extend(draft(&batch[i], &out[i], room));
                    feed
                })
                .collect();
            let mut refs: Vec<Option<&mut SeqCache>> = caches.iter_mut().map(Some).collect();
            let mut seqs: Vec<(&[u32], &mut SeqCache)> = active
                .iter()
                .zip(&feeds)
                .filter_map(|(&i, f)| refs[i].take().map(|c| (f.as_slice(), c)))
                .collect();
            let all = feeds.iter().any(|f| f.len() > 1);
            let logits = self.model.forward(&mut seqs, all)?;
            let rows = argmax_rows(&logits)?;
            let mut at = 0;
            for (&i, feed) in active.iter().zip(&feeds) {
                let n = if all { feed.len() } else { 1 };
                let got = &rows[at..at + n];
                at += n;
                // The model's own picks hold while the draft agrees with them.
                let agree = feed[1..]
                    .iter()
                    .zip(got)
                    .take_while(|(a, b)| a == b)
                    .count();
                picked[i] = got[..=agree].to_vec();
                let keep = caches[i].len - (feed.len() - 1 - agree);
                caches[i].truncate(keep);
            }
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
        let mut next = argmax_rows(&self.model.forward(&mut [(prompt, &mut cache)], false)?)?[0];
        let pre = prompt.len() as f64 / t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        for _ in 0..n {
            next = argmax_rows(
                &self
                    .model
                    .forward(&mut [(&[next][..], &mut cache)], false)?,
            )?[0];
        }
        Ok((pre, n as f64 / t1.elapsed().as_secs_f64()))
    }

    /// `n` greedy tokens after `prompt` (ids, BOS included if wanted), ignoring stop tokens:
    /// for comparing with other implementations token by token.
    pub fn greedy_ids(&self, prompt: &[u32], n: usize) -> Result<Vec<u32>, AiError> {
        let mut cache = SeqCache::default();
        let mut out = Vec::with_capacity(n);
        let mut next = argmax_rows(&self.model.forward(&mut [(prompt, &mut cache)], false)?)?[0];
        for _ in 0..n {
            out.push(next);
            if out.len() == n {
                break;
            }
            next = argmax_rows(
                &self
                    .model
                    .forward(&mut [(&[next][..], &mut cache)], false)?,
            )?[0];
        }
        Ok(out)
    }

    /// Logits after feeding `chunks` one after another into one cache (a prompt continued
    /// in several forward passes): for checking that positions carry over.
    pub fn logits_after(&self, chunks: &[&[u32]]) -> Result<Vec<f32>, AiError> {
        let mut cache = SeqCache::default();
        let mut last = None;
        for c in chunks {
            last = Some(self.model.forward(&mut [(*c, &mut cache)], false)?);
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

/// Tokens of prompt + output that must repeat an earlier stretch before a draft is made.
/// Shorter matches were measured: they guess wrong too often (SmolLM2 on 32 CDISC sentences:
/// drafts from 1- to 3-token matches made generation 7 % slower, 3-token matches only 17 %
/// faster).
const DRAFT_MATCH: usize = 3;

/// Up to `max` tokens that followed the latest earlier occurrence of the last
/// [`DRAFT_MATCH`] tokens of prompt + output. Rewrites mostly copy the sentence in the
/// prompt, so its continuation is a good guess; a wrong guess costs only the extra rows.
fn draft(prompt: &[u32], out: &[u32], max: usize) -> Vec<u32> {
    let text: Vec<u32> = prompt.iter().chain(out).copied().collect();
    if max == 0 || text.len() <= DRAFT_MATCH {
        return Vec::new();
    }
    let n = DRAFT_MATCH;
    let tail = &text[text.len() - n..];
    // The latest match that is not the tail itself.
    (0..text.len() - n)
        .rev()
        .find(|&s| &text[s..s + n] == tail)
        .map(|start| text[start + n..(start + n + max).min(text.len())].to_vec())
        .unwrap_or_default()
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
    fn score(&mut self, prompt: &str, answers: &[String]) -> Result<Vec<Score>, AiError> {
        let ids = self.tokenizer.encode_prompt(prompt)?;
        let Some((&last, head)) = ids.split_last() else {
            return Err(AiError::Inference("the prompt is empty".into()));
        };
        // The prompt without its last token, once; each answer is fed after that token.
        let mut cache = self.start_cache(&ids);
        if cache.len < head.len() {
            self.model
                .forward(&mut [(&head[cache.len..], &mut cache)], false)?;
        }
        self.prefix = Some((head.to_vec(), cache.clone()));
        let end = self
            .tokenizer
            .special
            .get("<|im_end|>")
            .copied()
            .or(self.tokenizer.eos_id);
        let newline = self.tokenizer.encode("\n")?;
        let mut out = Vec::with_capacity(answers.len());
        for a in answers {
            let mut feed = vec![last];
            feed.extend(self.tokenizer.encode(a)?);
            // The answer's end: the chat end token, or the line break of a completion.
            let stop: Vec<u32> = if self.prompt_format == "completion" {
                newline.clone()
            } else {
                end.into_iter().collect()
            };
            let targets: Vec<u32> = feed[1..].iter().chain(&stop).copied().collect();
            feed.extend(stop.iter().take(stop.len().saturating_sub(1)));
            if cache.len + feed.len() > self.model.context_length() {
                return Err(AiError::Inference(
                    "prompt and answer exceed the model's context".into(),
                ));
            }
            let mut c = cache.clone();
            let logits = self.model.forward(&mut [(&feed, &mut c)], true)?;
            let rows: Vec<Vec<f32>> = logits.to_vec2()?;
            let logprob = targets
                .iter()
                .zip(&rows)
                .map(|(&t, row)| log_prob(row, t))
                .sum();
            out.push(Score {
                logprob,
                tokens: targets.len(),
            });
        }
        Ok(out)
    }

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
        let shared_ms = self.share_prefix(&encoded)? / prompts.len() as f64;
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
                    prefill_ms: pre + shared_ms,
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

#[cfg(test)]
mod tests {
    use super::draft;

    #[test]
    fn drafts_continue_the_latest_match_of_the_last_three_tokens() {
        // Prompt "1 2 3 4 5 | 1 2 3 7 8"; output so far "1 2 3": it last occurred before
        // "7 8".
        let prompt = [1, 2, 3, 4, 5, 1, 2, 3, 7, 8];
        assert_eq!(draft(&prompt, &[1, 2, 3], 4), vec![7, 8, 1, 2]);
        assert_eq!(draft(&prompt, &[1, 2, 3], 1), vec![7]);
        assert_eq!(draft(&prompt, &[2, 3, 4], 3), vec![5, 1, 2]);
        // Only two tokens repeat ("2 3" after 9), no room, or too little text: no draft.
        assert!(draft(&prompt, &[9, 2, 3], 4).is_empty());
        assert!(draft(&prompt, &[1, 2, 3], 0).is_empty());
        assert!(draft(&[5, 6], &[7], 4).is_empty());
    }
}
