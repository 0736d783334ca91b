//! sea-orm entities. Control plane: tenants, users, user_roles, sessions, login_attempts,
//! password_history, job_queue.
//! Tenant data: documents, document_versions, blobs, audit_events, audit_head,
//! audit_checkpoints, signatures; the review workflow: analysis_jobs, findings,
//! finding_suppressions, suggestions, decisions, version_states, version_state_changes.

pub mod analysis_jobs;
pub mod audit_checkpoints;
pub mod audit_events;
pub mod audit_head;
pub mod blobs;
pub mod decisions;
pub mod document_versions;
pub mod documents;
pub mod finding_suppressions;
pub mod findings;
pub mod job_queue;
pub mod login_attempts;
pub mod password_history;
pub mod sessions;
pub mod signatures;
pub mod suggestions;
pub mod tenants;
pub mod user_roles;
pub mod users;
pub mod version_state_changes;
pub mod version_states;
