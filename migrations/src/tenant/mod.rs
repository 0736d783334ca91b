//! Per-tenant migrations, one file each.
pub mod m0001_documents;
pub mod m0002_audit;
pub mod m0003_records;
pub mod m0004_review;
