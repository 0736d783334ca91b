//! What can go wrong in the audit crate, in terms the caller can act on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The signing key file cannot be read or written.
    #[error("audit signing key {path}: {reason}")]
    KeyFile { path: PathBuf, reason: String },
    /// The key file exists but is not a key this installation wrote.
    #[error(
        "audit signing key {path} is not a valid Ed25519 key ({reason}); restore it from backup, do not replace it (earlier checkpoints were signed with it)"
    )]
    BadKey { path: PathBuf, reason: String },
    /// The key file can be read by others than its owner.
    #[error(
        "audit signing key {path} has mode {mode:o}; it must be readable by its owner only (chmod 600)"
    )]
    KeyPermissions { path: PathBuf, mode: u32 },
    /// A stored event or checkpoint cannot be decoded.
    #[error("stored audit record is unreadable: {0}")]
    Corrupt(String),
}
