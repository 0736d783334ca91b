//! What can go wrong with models and generation, in terms the caller can act on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AiError {
    /// The manifest is missing or malformed.
    #[error("model manifest {path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    /// No model of that name in the manifest.
    #[error("no model named {name:?} in the manifest (known: {known})")]
    UnknownModel { name: String, known: String },
    /// A model file is absent: fetch it.
    #[error("model file {path} is missing; run `dualcheck models fetch {model}`")]
    Missing { model: String, path: PathBuf },
    /// A model file's hash differs from the manifest: it is refused.
    #[error(
        "model file {path} has SHA-256 {actual}, the manifest pins {expected}; refusing to load it (delete it and run `dualcheck models fetch`)"
    )]
    HashMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    /// Fetching failed (offline, package not found, pip missing).
    #[error("fetching {what} failed: {reason}")]
    Fetch { what: String, reason: String },
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },
    /// The model file is not a model this build can run.
    #[error("model {model}: {reason}")]
    Unsupported { model: String, reason: String },
    /// Inference failed inside candle.
    #[error("inference failed: {0}")]
    Inference(String),
    /// A prompt template is unknown.
    #[error(
        "no prompt template {0:?}; known: plain_language, conciseness, active_voice, terminology"
    )]
    UnknownTemplate(String),
}

impl From<candle_core::Error> for AiError {
    fn from(e: candle_core::Error) -> Self {
        AiError::Inference(e.to_string())
    }
}

pub(crate) fn io(path: &std::path::Path, e: impl std::fmt::Display) -> AiError {
    AiError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}
