//! sea-orm entities. Control plane: tenants, users, user_roles, sessions, login_attempts.
//! Tenant data: documents, document_versions, blobs.

pub mod blobs;
pub mod document_versions;
pub mod documents;
pub mod login_attempts;
pub mod sessions;
pub mod tenants;
pub mod user_roles;
pub mod users;
