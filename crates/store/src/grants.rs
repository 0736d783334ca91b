//! Least privilege on PostgreSQL: the tables belong to the owner that runs the migrations
//! (`dualcheck migrate`); the service can connect as a separate runtime role
//! (`StoreConfig::runtime_role`) that migrations grant exactly what the service does, per
//! table. It cannot `DROP`, `TRUNCATE`, `ALTER` (so no `DISABLE TRIGGER`) or create
//! anything, and it has no `UPDATE` or `DELETE` on the audit trail, the checkpoints, the
//! signatures or the document versions. The grants are renewed by every migration, so a
//! table a later migration adds is granted in the same step (the end-to-end tests run the
//! server as the runtime role: a missing grant fails them).
//!
//! Whether migrations are pending is read with plain `SELECT`s ([`pending`]), so the
//! runtime role can answer `/readyz` and refuse to start on an old schema.

use crate::{Slug, Store, StoreError};
use migrations::MigratorTrait;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

/// What the runtime role may do on each control-plane table.
pub const CONTROL_GRANTS: &[(&str, &str)] = &[
    ("tenants", "SELECT"),
    ("users", "SELECT, INSERT, UPDATE"),
    ("user_roles", "SELECT, INSERT, DELETE"),
    ("sessions", "SELECT, INSERT, UPDATE"),
    ("login_attempts", "SELECT, INSERT, UPDATE"),
    ("password_history", "SELECT, INSERT, DELETE"),
    ("job_queue", "SELECT, INSERT, UPDATE"),
    ("seaql_migrations", "SELECT"),
];

/// What the runtime role may do on each table of a tenant's schema.
pub const TENANT_GRANTS: &[(&str, &str)] = &[
    ("documents", "SELECT, INSERT, UPDATE"),
    ("document_versions", "SELECT, INSERT"),
    ("blobs", "SELECT, INSERT"),
    ("audit_events", "SELECT, INSERT"),
    ("audit_head", "SELECT, UPDATE"),
    ("audit_checkpoints", "SELECT, INSERT"),
    ("signatures", "SELECT, INSERT"),
    ("analysis_jobs", "SELECT, INSERT, UPDATE"),
    ("findings", "SELECT, INSERT"),
    ("finding_suppressions", "SELECT, INSERT"),
    ("suggestions", "SELECT, INSERT, UPDATE"),
    ("decisions", "SELECT, INSERT"),
    ("version_states", "SELECT, INSERT, UPDATE"),
    ("version_state_changes", "SELECT, INSERT"),
    ("seaql_migrations", "SELECT"),
];

/// A role name as PostgreSQL writes it unquoted: lower-case letters, digits, `_`.
pub(crate) fn check_role(name: &str) -> Result<(), StoreError> {
    let ok = (1..=63).contains(&name.len())
        && (name.as_bytes()[0].is_ascii_lowercase() || name.as_bytes()[0] == b'_')
        && name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidInput(format!(
            "database role {name:?}: use lower-case letters, digits and '_'"
        )))
    }
}

impl Store {
    /// Grant the runtime role (if one is configured, on PostgreSQL) what it needs on
    /// `schema` (`None`: the control plane in `public`), and nothing more.
    pub(crate) async fn grant_runtime(&self, tenant: Option<&Slug>) -> Result<(), StoreError> {
        let Some(role) = self.runtime_role() else {
            return Ok(());
        };
        if !self.is_postgres() {
            return Ok(());
        }
        check_role(role)?;
        let db = self.control();
        let exists = db
            .query_one(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT rolname = current_user AS is_me FROM pg_roles WHERE rolname = $1",
                [role.into()],
            ))
            .await?;
        let Some(row) = exists else {
            return Err(StoreError::InvalidInput(format!(
                "the runtime role {role} does not exist; create it (CREATE ROLE {role} LOGIN PASSWORD '...') and run `dualcheck migrate` again"
            )));
        };
        if row.try_get::<bool>("", "is_me")? {
            return Err(StoreError::InvalidInput(format!(
                "the runtime role {role} is the role running the migrations; the service must connect as a role that does not own the tables"
            )));
        }
        let (schema, grants) = match tenant {
            Some(t) => (t.schema_quoted(), TENANT_GRANTS),
            None => ("public".to_owned(), CONTROL_GRANTS),
        };
        let mut sql = vec![
            format!("REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM \"{role}\""),
            format!("REVOKE CREATE ON SCHEMA {schema} FROM \"{role}\""),
            format!("GRANT USAGE ON SCHEMA {schema} TO \"{role}\""),
            format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO \"{role}\""),
        ];
        for (table, privileges) in grants {
            sql.push(format!(
                "GRANT {privileges} ON {schema}.\"{table}\" TO \"{role}\""
            ));
        }
        for s in sql {
            db.execute_unprepared(&s).await?;
        }
        Ok(())
    }
}

/// Migrations of `M` not yet applied where `db` points (its search path), read with plain
/// `SELECT`s: a missing migrations table means all are pending.
pub(crate) async fn pending<M: MigratorTrait>(
    db: &impl ConnectionTrait,
) -> Result<usize, StoreError> {
    let backend = db.get_database_backend();
    let exists_sql = match backend {
        DbBackend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = 'seaql_migrations'"
        }
        _ => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'"
        }
    };
    let n: i64 = db
        .query_one(Statement::from_string(backend, exists_sql))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    let all: Vec<String> = M::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    if n == 0 {
        return Ok(all.len());
    }
    let applied: Vec<String> = db
        .query_all(Statement::from_string(
            backend,
            "SELECT version FROM seaql_migrations",
        ))
        .await?
        .into_iter()
        .filter_map(|r| r.try_get::<String>("", "version").ok())
        .collect();
    Ok(all.iter().filter(|m| !applied.contains(m)).count())
}
