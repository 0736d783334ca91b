//! The one error type of the store. Every variant says what the caller can act on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "invalid tenant slug {0:?}: use 2 to 31 characters, a lower-case letter first, then lower-case letters, digits or '_'"
    )]
    InvalidSlug(String),

    #[error(
        "invalid username: use 1 to 64 characters, a letter or digit first, then letters, digits, '.', '_', '-' or '@'"
    )]
    InvalidUsername,

    #[error("unknown role {role:?}: use one of {names}", role = .0, names = crate::Role::names())]
    InvalidRole(String),

    #[error("unknown signature meaning {meaning:?}; use one of {names}", meaning = .0, names = crate::Meaning::names())]
    InvalidMeaning(String),

    #[error("password rejected: {0}")]
    WeakPassword(&'static str),

    #[error("invalid input: {0}")]
    InvalidInput(String),

    #[error("tenant {0:?} already exists")]
    TenantExists(String),

    #[error("tenant {0:?} does not exist; create it with `dualcheck tenant create`")]
    UnknownTenant(String),

    #[error("user {0:?} already exists in this tenant")]
    UserExists(String),

    #[error("{0} not found")]
    NotFound(&'static str),

    #[error("unknown tenant, user or wrong password")]
    InvalidCredentials,

    #[error("too many failed logins; the account is locked for up to 15 minutes")]
    LockedOut,

    #[error("signature refused: wrong password (failed attempts count toward the lockout)")]
    SignatureRefused,

    #[error("missing, invalid, expired or revoked token; log in again")]
    Unauthenticated,

    #[error("stored blob {0} does not match its SHA-256; restore it from backup")]
    CorruptBlob(String),

    #[error("cannot access {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A worker's lease on a job ended (expired and reclaimed, or the job was cancelled):
    /// the worker stops, whoever holds the job now finishes it.
    #[error("the lease on job {0} was lost (reclaimed by another worker or cancelled)")]
    LeaseLost(uuid::Uuid),

    #[error("a tenant change must record its audit event; the change was rolled back")]
    Unrecorded,

    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),

    #[error("internal error: {0}")]
    Internal(String),
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }

    /// A stable machine code for the error (API problem types).
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::InvalidSlug(_) => "invalid_slug",
            StoreError::InvalidUsername => "invalid_username",
            StoreError::InvalidRole(_) => "invalid_role",
            StoreError::InvalidMeaning(_) => "invalid_meaning",
            StoreError::WeakPassword(_) => "weak_password",
            StoreError::InvalidInput(_) => "invalid_input",
            StoreError::TenantExists(_) => "tenant_exists",
            StoreError::UnknownTenant(_) => "unknown_tenant",
            StoreError::UserExists(_) => "user_exists",
            StoreError::NotFound(_) => "not_found",
            StoreError::InvalidCredentials => "invalid_credentials",
            StoreError::LockedOut => "locked_out",
            StoreError::Unauthenticated => "unauthenticated",
            StoreError::SignatureRefused => "signature_refused",
            StoreError::CorruptBlob(_) => "corrupt_blob",
            StoreError::Io { .. } => "io",
            StoreError::LeaseLost(_) => "lease_lost",
            StoreError::Unrecorded => "internal",
            StoreError::Database(_) => "database",
            StoreError::Internal(_) => "internal",
        }
    }
}
