//! # dualcheck-migrations
//!
//! Two sea-orm-migration migrators:
//!
//! - [`ControlMigrator`]: the control plane (tenants, users, user roles, sessions, login
//!   attempts). On PostgreSQL it lives in schema `public`; on SQLite in `control.db`.
//! - [`TenantMigrator`]: one tenant's data (documents, document versions, blobs, the audit
//!   trail, checkpoints and electronic signatures). On
//!   PostgreSQL it is applied inside schema `tenant_<slug>` (the caller sets the search path
//!   for the transaction); on SQLite to `tenants/<slug>/tenant.db`.
//!
//! Both are idempotent: applied migrations are recorded in each target's own
//! `seaql_migrations` table.

mod control;
mod tenant;

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

/// Control-plane migrations.
#[derive(Debug)]
pub struct ControlMigrator;

#[async_trait::async_trait]
impl MigratorTrait for ControlMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(control::m0001_control::Migration),
            Box::new(control::m0002_usernames::Migration),
            Box::new(control::m0003_passwords::Migration),
            Box::new(control::m0004_jobs::Migration),
        ]
    }
}

/// Per-tenant migrations.
#[derive(Debug)]
pub struct TenantMigrator;

#[async_trait::async_trait]
impl MigratorTrait for TenantMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(tenant::m0001_documents::Migration),
            Box::new(tenant::m0002_audit::Migration),
            Box::new(tenant::m0003_records::Migration),
            Box::new(tenant::m0004_review::Migration),
        ]
    }
}
