//! # dualcheck-service
//!
//! The application layer of dualcheck: the use cases, with every policy and authorisation
//! decision made here once. It knows no HTTP and no command line: `api` (actix-web handlers
//! and the `dualcheck` CLI) parses a request, calls one function of this crate and maps its
//! result; errors are one [`ServiceError`] whose variants say what the caller can act on.
//!
//! - [`analysis`]: the analysis pipeline of a document (ingest → QC findings → candidate
//!   sentences → model proposals → dual-control cross-check), typed results and a summary;
//! - [`models`]: the model manifest (built in; a file can replace it), the state of each
//!   model and the one path that verifies and fetches model files;
//! - [`authz`]: the one table of who may do what;
//! - [`accounts`]: log in and out, the current user, user management;
//! - [`passwords`]: change one's own password, an admin's reset, the history;
//! - [`lockout`]: the lockout policy, the one gate login and signing both pass;
//! - [`attempts`]: rate limits of password attempts, and failed logins collapsed per burst;
//! - [`documents`]: upload, new versions, reads and downloads;
//! - [`ingest_gate`]: how many uploads are parsed at once, and for how long;
//! - [`signing`]: electronic signatures (role for meaning, password again, lockout,
//!   validity attested by the audit event);
//! - [`signature_policy`]: separation of duties, one table (author, reviewer, approver;
//!   order and exclusive meanings);
//! - [`audit_trail`]: query, verify and export the trail (an export is recorded first);
//! - [`checkpoint_copy`]: every signed checkpoint appended to a file outside the database;
//! - [`review`]: analyses as jobs, stored findings and suggestions, signed decisions and
//!   suppressions, the review state of each version;
//! - [`worker`]: the threads that claim analysis jobs and run the pipeline.
//!
//! It depends on the domain crates (`ingest`, `ai-suggest`, `rule-engine`, `audit`) and on
//! `store` for persistence.

pub mod accounts;
pub mod analysis;
pub mod attempts;
pub mod audit_trail;
pub mod authz;
pub mod checkpoint_copy;
pub mod documents;
mod error;
pub mod ingest_gate;
pub mod lockout;
pub mod models;
pub mod passwords;
pub mod review;
pub mod signature_policy;
pub mod signing;
pub mod worker;

pub use error::ServiceError;
