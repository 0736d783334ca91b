//! Tokenizers built from a GGUF file's own metadata (`tokenizer.ggml.*`), so the model file
//! is the single pinned artefact.
//!
//! Supported:
//! - `tokenizer.ggml.model = gpt2` (byte-level BPE: SmolLM2, Qwen2). The pre-tokenizer
//!   splits digits one by one, then applies the byte-level split without a prefix space
//!   (SmolLM2's `smollm` pre-tokenizer).
//! - `tokenizer.ggml.model = llama` (SentencePiece BPE: Gemma 3). The file carries pieces
//!   and scores (minus the merge rank), not merges: the merges are derived from the
//!   vocabulary, each piece split in every way whose two halves are pieces, ranked by the
//!   piece's score; spaces become `▁` before merging, unknown characters fall back to byte
//!   tokens (`<0x..>`), and user-defined tokens (whitespace runs, HTML tags; token type 4)
//!   are matched in the raw text first. (A Unigram model built from the scores tokenizes
//!   differently from SentencePiece; this BPE does not.)
//!
//! In both, control tokens (token type 3) are special tokens, matched before the model and
//! skipped when decoding.

use crate::error::AiError;
use candle_core::quantized::gguf_file::{Content, Value};
use std::collections::HashMap;
use tokenizers::decoders::byte_fallback::ByteFallback;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::decoders::fuse::Fuse;
use tokenizers::decoders::sequence::Sequence as DecoderSequence;
use tokenizers::models::bpe::BPE;
use tokenizers::normalizers::replace::Replace;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::{AddedToken, DecoderWrapper, PreTokenizerWrapper, Tokenizer};

/// GGUF token types.
const TOKEN_NORMAL: i32 = 1;
const TOKEN_CONTROL: i32 = 3;
const TOKEN_USER_DEFINED: i32 = 4;

/// A tokenizer and the ids generation needs.
#[derive(Debug, Clone)]
pub struct GgufTokenizer {
    pub inner: Tokenizer,
    pub eos_id: Option<u32>,
    pub bos_id: Option<u32>,
    /// The model expects its BOS token before a prompt (`tokenizer.ggml.add_bos_token`).
    pub add_bos: bool,
    /// Id of each special token by text (`<|im_end|>` ...).
    pub special: HashMap<String, u32>,
}

fn strings(meta: &HashMap<String, Value>, key: &str) -> Result<Vec<String>, AiError> {
    let v = meta
        .get(key)
        .ok_or_else(|| unsupported(format!("the GGUF has no {key}")))?
        .to_vec()
        .map_err(|e| unsupported(format!("{key}: {e}")))?;
    v.iter()
        .map(|x| {
            x.to_string()
                .cloned()
                .map_err(|e| unsupported(format!("{key}: {e}")))
        })
        .collect()
}

fn unsupported(reason: String) -> AiError {
    AiError::Unsupported {
        model: "tokenizer".into(),
        reason,
    }
}

impl GgufTokenizer {
    pub fn from_gguf(content: &Content) -> Result<Self, AiError> {
        let meta = &content.metadata;
        let kind = meta
            .get("tokenizer.ggml.model")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_default();
        let tokens = strings(meta, "tokenizer.ggml.tokens")?;
        let types: Vec<i32> = meta
            .get("tokenizer.ggml.token_type")
            .and_then(|v| v.to_vec().ok())
            .map(|v| v.iter().map(|x| x.to_i32().unwrap_or(1)).collect())
            .unwrap_or_default();
        let vocab: tokenizers::models::bpe::Vocab = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let mut tk = match kind.as_str() {
            "gpt2" => byte_level(meta, vocab)?,
            "llama" => sentencepiece(meta, &tokens, &types, vocab)?,
            other => {
                return Err(unsupported(format!(
                    "tokenizer.ggml.model = {other:?}; this build reads byte-level BPE (gpt2) and SentencePiece BPE (llama) tokenizers"
                )));
            }
        };
        let mut special = HashMap::new();
        let mut added = Vec::new();
        let mut user = Vec::new();
        for (i, t) in tokens.iter().enumerate() {
            match types.get(i) {
                Some(&TOKEN_CONTROL) => {
                    special.insert(t.clone(), i as u32);
                    added.push(AddedToken::from(t.clone(), true));
                }
                Some(&TOKEN_USER_DEFINED) if kind == "llama" => {
                    user.push(AddedToken::from(t.clone(), false).normalized(false));
                }
                _ => {}
            }
        }
        tk.add_special_tokens(added)
            .map_err(|e| unsupported(format!("special tokens: {e}")))?;
        tk.add_tokens(user)
            .map_err(|e| unsupported(format!("user-defined tokens: {e}")))?;
        let id = |k: &str| meta.get(k).and_then(|v| v.to_u32().ok());
        Ok(Self {
            inner: tk,
            eos_id: id("tokenizer.ggml.eos_token_id"),
            bos_id: id("tokenizer.ggml.bos_token_id"),
            add_bos: meta
                .get("tokenizer.ggml.add_bos_token")
                .and_then(|v| v.to_bool().ok())
                .unwrap_or(false),
            special,
        })
    }

    /// Token ids of a prompt: the text's tokens, after BOS when the model expects it.
    pub fn encode_prompt(&self, text: &str) -> Result<Vec<u32>, AiError> {
        let mut ids = Vec::new();
        if let (true, Some(bos)) = (self.add_bos, self.bos_id) {
            ids.push(bos);
        }
        ids.extend(self.encode(text)?);
        Ok(ids)
    }

    pub fn encode(&self, text: &str) -> Result<Vec<u32>, AiError> {
        Ok(self
            .inner
            .encode(text, false)
            .map_err(|e| AiError::Inference(format!("tokenize: {e}")))?
            .get_ids()
            .to_vec())
    }

    pub fn decode(&self, ids: &[u32]) -> Result<String, AiError> {
        self.inner
            .decode(ids, true)
            .map_err(|e| AiError::Inference(format!("detokenize: {e}")))
    }
}

/// Byte-level BPE from the file's vocabulary and merges (SmolLM2, Qwen2).
fn byte_level(
    meta: &HashMap<String, Value>,
    vocab: tokenizers::models::bpe::Vocab,
) -> Result<Tokenizer, AiError> {
    let merges: Vec<(String, String)> = strings(meta, "tokenizer.ggml.merges")?
        .into_iter()
        .filter_map(|m| {
            m.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .collect();
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .build()
        .map_err(|e| unsupported(format!("BPE: {e}")))?;
    let mut tk = Tokenizer::new(bpe);
    let pre: Vec<PreTokenizerWrapper> = vec![
        Digits::new(true).into(),
        ByteLevel::new(false, true, true).into(),
    ];
    tk.with_pre_tokenizer(Some(Sequence::new(pre)));
    tk.with_decoder(Some(ByteLevelDecoder::default()));
    Ok(tk)
}

/// SentencePiece BPE (Gemma): merges derived from the pieces and their scores.
fn sentencepiece(
    meta: &HashMap<String, Value>,
    tokens: &[String],
    types: &[i32],
    vocab: tokenizers::models::bpe::Vocab,
) -> Result<Tokenizer, AiError> {
    let scores: Vec<f32> = meta
        .get("tokenizer.ggml.scores")
        .and_then(|v| v.to_vec().ok())
        .map(|v| v.iter().map(|x| x.to_f32().unwrap_or(0.0)).collect())
        .ok_or_else(|| unsupported("the GGUF has no tokenizer.ggml.scores".into()))?;
    let merges = derive_merges(tokens, types, &scores, &vocab);
    let unk = meta
        .get("tokenizer.ggml.unknown_token_id")
        .and_then(|v| v.to_u32().ok())
        .and_then(|i| tokens.get(i as usize).cloned())
        .unwrap_or_else(|| "<unk>".into());
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .unk_token(unk)
        .fuse_unk(true)
        .byte_fallback(true)
        .build()
        .map_err(|e| unsupported(format!("BPE: {e}")))?;
    let mut tk = Tokenizer::new(bpe);
    let space =
        Replace::new(" ", "\u{2581}").map_err(|e| unsupported(format!("normaliser: {e}")))?;
    tk.with_normalizer(Some(space))
        .map_err(|e| unsupported(format!("normaliser: {e}")))?;
    let unspace =
        Replace::new("\u{2581}", " ").map_err(|e| unsupported(format!("decoder: {e}")))?;
    let decoders: Vec<DecoderWrapper> = vec![
        DecoderWrapper::Replace(unspace),
        ByteFallback::new().into(),
        Fuse::new().into(),
    ];
    tk.with_decoder(Some(DecoderSequence::new(decoders)));
    Ok(tk)
}

/// Every way of splitting a normal piece into two pieces is a merge; merges rank by the
/// score of the piece they make (highest first), then by the ids of the halves.
fn derive_merges(
    tokens: &[String],
    types: &[i32],
    scores: &[f32],
    vocab: &tokenizers::models::bpe::Vocab,
) -> Vec<(String, String)> {
    let mut ranked: Vec<(f32, u32, u32)> = Vec::new();
    for (i, piece) in tokens.iter().enumerate() {
        if types.get(i).copied().unwrap_or(TOKEN_NORMAL) != TOKEN_NORMAL {
            continue;
        }
        let score = scores.get(i).copied().unwrap_or(f32::MIN);
        for (cut, _) in piece.char_indices().skip(1) {
            let (l, r) = piece.split_at(cut);
            if let (Some(&a), Some(&b)) = (vocab.get(l), vocab.get(r)) {
                ranked.push((score, a, b));
            }
        }
    }
    ranked.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    ranked
        .into_iter()
        .map(|(_, a, b)| (tokens[a as usize].clone(), tokens[b as usize].clone()))
        .collect()
}
