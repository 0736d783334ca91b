//! Per-tenant migrations, one file each.
pub mod m0001_documents;
