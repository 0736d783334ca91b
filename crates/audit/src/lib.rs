//! # dualcheck-audit
//!
//! The tamper-evident audit trail (21 CFR Part 11 §11.10(e), EU GMP Annex 11 §9): the event
//! model, its canonical encoding, the SHA-256 hash chain, signed checkpoints and verification.
//!
//! - [`Event`]: one recorded action with its actor, entity, old and new value, reason, AI
//!   provenance and request context; `hash = SHA-256(canonical encoding of every field,
//!   prev_hash included)` ([`canonical`]).
//! - [`verify_chain`] recomputes every hash and link and names the first bad sequence
//!   number and what happened there ([`Tamper`]: modified, deleted, inserted, reordered,
//!   truncated). Rewriting the whole chain keeps it self-consistent; only a [`Checkpoint`]
//!   (tenant, sequence, head hash, time) signed with the installation's Ed25519 key
//!   ([`SigningKey`]) and held elsewhere catches that, and [`verify_chain`] checks them.
//! - [`ChainVerifier`] is the same verification fed one event at a time (a trail read page
//!   by page), in memory bounded by the checkpoints and signature events, not the trail's
//!   length; [`verify_chain`] is a thin wrapper over it. [`export::ExportWriter`] writes the
//!   exports the same way.
//!
//! - [`attest_signature`]: a stored electronic signature is valid only with the
//!   `signature.sign` event recorded with it; [`ChainReport::attest_signatures`] adds
//!   every unattested signature to the verification report.
//!
//! Storage is the caller's: this crate knows no database and no HTTP.

mod attest;
pub mod canonical;
mod chain;
mod checkpoint;
mod error;
mod event;
pub mod export;
mod key;
#[cfg(test)]
mod oracle;
mod verifier;

pub use attest::{SIGNATURE_ACTION, SignatureClaim, UnattestedSignature, attest_signature};
pub use chain::{ChainReport, GENESIS_HASH, Tamper, TamperKind, verify_chain};
pub use checkpoint::Checkpoint;
pub use ed25519_dalek::VerifyingKey;
pub use error::AuditError;
pub use event::{Actor, AiProvenance, Event, EventDraft, RequestContext, format_time};
pub use key::SigningKey;
pub use verifier::ChainVerifier;
