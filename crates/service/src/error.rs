//! The one error type of the application layer. Each variant says what the caller can do
//! about it; `api` maps them to RFC 7807 problems in one place, the CLI prints them.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request is malformed or out of range: correct it and retry.
    #[error("{0}")]
    Invalid(String),
    /// No such record in the caller's tenant (another tenant's record looks the same).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller's roles do not allow this action.
    #[error("your roles do not allow this action")]
    Forbidden,
    /// The user's password was set by someone else (bootstrap, an admin's reset): they
    /// must change it (`POST /api/v1/me/password`) before anything else.
    #[error("change your password first (POST /api/v1/me/password): it was set by someone else")]
    PasswordChangeRequired,
    /// Refused whatever the caller's roles (the message says why and who can do it).
    #[error("{0}")]
    Refused(String),
    /// The separation-of-duties policy refuses this signature: the message says why
    /// (who may not sign, or what must be signed first); see
    /// [`crate::signature_policy::POLICY`].
    #[error("signature refused: {0}")]
    SignaturePolicy(crate::signature_policy::Refusal),
    /// The record is in a state that does not allow this (a blocked proposal, a suggestion
    /// already decided, a locked version): `code` names the conflict, the message what to do.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// The request is well-formed but incomplete for what it asks (a reason a warning or a
    /// rejection needs): `code` names what is missing.
    #[error("{detail}")]
    Incomplete { code: &'static str, detail: String },
    /// Separation of duties refuses this user, whatever their roles (the requester of an
    /// analysis and the author of a version decide nothing on it).
    #[error("separation of duties: {0}")]
    SeparationOfDuties(String),
    /// Too much at once: retry after `retry_after_secs` seconds.
    #[error("{reason}")]
    Busy {
        reason: String,
        retry_after_secs: u64,
    },
    /// Too many password attempts from one address or against one tenant: retry after
    /// `retry_after_secs` seconds.
    #[error("{reason}")]
    RateLimited {
        reason: String,
        retry_after_secs: u64,
    },
    /// The document took longer to read than the installation allows (`[ingest]
    /// parse_timeout_ms`): it may be built to stall the reader; split or re-export it.
    #[error(
        "the document could not be read within {limit_ms} ms; split it or re-export it from the authoring tool (the limit is ingest.parse_timeout_ms)"
    )]
    ParseTimeout { limit_ms: u64 },
    /// The document cannot be read (empty, unsupported, encrypted, malformed, too large).
    #[error(transparent)]
    Document(#[from] ingest::IngestError),
    /// Accounts, sessions and storage (credentials, lockout, duplicates, database).
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// A model or prompt template cannot be used (unknown, missing file, hash mismatch,
    /// inference failure).
    #[error(transparent)]
    Model(#[from] ai_suggest::AiError),
    /// A model is not installed and this installation does not fetch models.
    #[error(
        "model {0} is not installed and this service does not fetch models ([models] auto_fetch = false); run `dualcheck models fetch {0}`"
    )]
    ModelNotInstalled(String),
    /// A model is refused or its fetch failed; the reason says what to do.
    #[error("model {model}: {reason}")]
    ModelUnusable { model: String, reason: String },
    /// The model manifest is malformed: fix the file named.
    #[error("model manifest {path}: {reason}")]
    Manifest { path: String, reason: String },
    /// A rule pack is malformed (the message names file, line and field).
    #[error("rule packs: {0}")]
    Rules(#[from] rule_engine::RuleError),
    /// A file the caller named cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file cannot be written (an export): the path and the system's reason.
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A bug or an unexpected failure; details are in the log.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub(crate) fn internal(e: impl std::fmt::Display) -> Self {
        ServiceError::Internal(e.to_string())
    }
}
