//! # dualcheck-store
//!
//! Storage for dualcheck, with no knowledge of HTTP:
//!
//! - sea-orm [`entities`] for the control plane and for each tenant's data;
//! - [`Store`]: opens SQLite (`<data>/control.db`, `<data>/tenants/<slug>/tenant.db`) or
//!   PostgreSQL (control plane in `public`, each tenant in schema `tenant_<slug>`), runs the
//!   migrations, and routes every tenant change through [`Store::tenant_write`] (one unit
//!   of work: audit head lock first, the change, its event, one commit; no commit without
//!   the event) and every tenant read through [`Store::tenant_read`] (never commits): on
//!   PostgreSQL a transaction that starts with `SET LOCAL search_path TO "tenant_<slug>"`,
//!   never a session-level `SET`;
//! - [`BlobStore`]: original uploads addressed by SHA-256 under
//!   `<data>/tenants/<slug>/blobs/`, written atomically;
//! - [`credentials`]: Argon2id password hashes and opaque bearer tokens (256 random bits,
//!   stored only as their SHA-256). They live here, not in `api`, so the CLI and the server
//!   share one implementation;
//! - accounts and sessions ([`Store::check_credentials`], [`Store::open_session`],
//!   [`Store::authenticate`]), the login-attempt log the lockout policy counts
//!   ([`Store::failures_since`]; the policy itself is in `service`), and documents
//!   ([`documents`]);
//! - the audit trail of each tenant ([`audit_log`]): events appended in the transaction of
//!   the change they record, signed checkpoints, queries, verification; and electronic
//!   signatures ([`signatures`]).

mod accounts;
#[cfg(feature = "test-support")]
mod admin;
pub mod audit_log;
mod blobstore;
mod control_change;
pub mod credentials;
pub mod documents;
pub mod entities;
mod error;
pub mod grants;
pub mod jobs;
mod names;
pub mod review;
pub mod signatures;
mod store;
mod text;
mod unit_of_work;

pub use accounts::{
    CredentialCheck, FailureReason, LoginOutcome, NewUser, PASSWORD_HISTORY, PasswordChange,
    Principal, Reservation, SessionPolicy, Slot, UserInfo, UserPatch,
};
pub use audit::{Actor, RequestContext};
pub use audit_log::{AuditFilter, AuditSigner, By};
pub use blobstore::BlobStore;
pub use error::StoreError;
pub use names::{
    Decision, DocState, JobState, Meaning, ReasonCode, Role, Slug, SuggestionSource,
    SuggestionStatus, validate_username,
};
pub use sea_orm::DatabaseTransaction;
pub use store::{Backend, MigrationReport, Store, StoreConfig, TenantInfo};
pub use text::clip;
pub use unit_of_work::{TxFuture, UnitOfWork};
