//! Tokenizers built from a GGUF file's own metadata (`tokenizer.ggml.*`), so the model file
//! is the single pinned artefact.
//!
//! Supported: `tokenizer.ggml.model = gpt2` (byte-level BPE: SmolLM2, Qwen2). The
//! pre-tokenizer splits digits one by one, then applies the byte-level split without a
//! prefix space (SmolLM2's `smollm` pre-tokenizer); control tokens (token type 3) are
//! special tokens, matched before BPE and skipped when decoding.

use crate::error::AiError;
use candle_core::quantized::gguf_file::{Content, Value};
use std::collections::HashMap;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::BPE;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::{AddedToken, PreTokenizerWrapper, Tokenizer};

/// A tokenizer and the ids generation needs.
#[derive(Debug, Clone)]
pub struct GgufTokenizer {
    pub inner: Tokenizer,
    pub eos_id: Option<u32>,
    pub bos_id: Option<u32>,
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
        if kind != "gpt2" {
            return Err(unsupported(format!(
                "tokenizer.ggml.model = {kind:?}; this build reads byte-level BPE (gpt2) tokenizers"
            )));
        }
        let tokens = strings(meta, "tokenizer.ggml.tokens")?;
        let merges: Vec<(String, String)> = strings(meta, "tokenizer.ggml.merges")?
            .into_iter()
            .filter_map(|m| {
                m.split_once(' ')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
            })
            .collect();
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
        let mut special = HashMap::new();
        let mut added = Vec::new();
        for (i, t) in tokens.iter().enumerate() {
            if types.get(i) == Some(&3) {
                special.insert(t.clone(), i as u32);
                added.push(AddedToken::from(t.clone(), true));
            }
        }
        tk.add_special_tokens(added)
            .map_err(|e| unsupported(format!("special tokens: {e}")))?;
        let id = |k: &str| meta.get(k).and_then(|v| v.to_u32().ok());
        Ok(Self {
            inner: tk,
            eos_id: id("tokenizer.ggml.eos_token_id"),
            bos_id: id("tokenizer.ggml.bos_token_id"),
            special,
        })
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
