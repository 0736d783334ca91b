//! sea-orm entities. Control plane: tenants, users, user_roles, sessions, login_attempts,
//! password_history.
//! Tenant data: documents, document_versions, blobs, audit_events, audit_head,
//! audit_checkpoints, signatures.

pub mod audit_checkpoints;
pub mod audit_events;
pub mod audit_head;
pub mod blobs;
pub mod document_versions;
pub mod documents;
pub mod login_attempts;
pub mod password_history;
pub mod sessions;
pub mod signatures;
pub mod tenants;
pub mod user_roles;
pub mod users;
