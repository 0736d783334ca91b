//! Test support (cargo feature `test-support`, used only by tests): PostgreSQL databases
//! created and dropped, a direct look into one tenant's tables bypassing the session (for
//! isolation checks), and raw SQL on a tenant (to show the triggers refuse changes to the
//! trail). None of it is part of the product's API.

use crate::{Backend, Slug, Store, StoreError};
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};

/// Tables of a tenant that [`Store::count_rows_in_schema`] may count.
const TENANT_TABLES: [&str; 4] = ["documents", "document_versions", "blobs", "audit_events"];

fn check_db_name(name: &str) -> Result<(), StoreError> {
    let ok = (1..=63).contains(&name.len())
        && name.as_bytes()[0].is_ascii_lowercase()
        && name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidInput(format!(
            "database name {name:?}: use lower-case letters, digits and '_'"
        )))
    }
}

impl Store {
    /// `CREATE DATABASE "<name>"` (PostgreSQL; the name is validated and quoted).
    pub async fn create_database(&self, name: &str) -> Result<(), StoreError> {
        check_db_name(name)?;
        self.control()
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        Ok(())
    }

    /// `DROP DATABASE IF EXISTS "<name>" WITH (FORCE)` (PostgreSQL).
    pub async fn drop_database(&self, name: &str) -> Result<(), StoreError> {
        check_db_name(name)?;
        self.control()
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
        Ok(())
    }

    /// `CREATE ROLE "<name>" LOGIN` unless it exists (PostgreSQL; cluster-wide, so tests
    /// running at once may race: a duplicate is fine).
    pub async fn ensure_login_role(&self, name: &str) -> Result<(), StoreError> {
        crate::grants::check_role(name)?;
        self.control()
            .execute_unprepared(&format!(
                "DO $$ BEGIN CREATE ROLE \"{name}\" LOGIN; \
                 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            ))
            .await?;
        Ok(())
    }

    /// How the login attempts of (tenant, username) ended, oldest first (the attempt log,
    /// control plane).
    pub async fn attempt_reasons(
        &self,
        tenant: &str,
        username: &str,
    ) -> Result<Vec<String>, StoreError> {
        use crate::entities::login_attempts;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        Ok(login_attempts::Entity::find()
            .filter(login_attempts::Column::TenantSlug.eq(tenant))
            .filter(login_attempts::Column::Username.eq(username))
            .order_by_asc(login_attempts::Column::Id)
            .all(self.control())
            .await?
            .into_iter()
            .map(|a| a.reason)
            .collect())
    }

    /// Count the rows of `table` in tenant `slug`'s own schema (PostgreSQL, schema-qualified
    /// name) or file (SQLite).
    pub async fn count_rows_in_schema(&self, slug: &str, table: &str) -> Result<i64, StoreError> {
        let slug = Slug::parse(slug)?;
        if !TENANT_TABLES.contains(&table) {
            return Err(StoreError::InvalidInput(format!("unknown table {table:?}")));
        }
        let backend = self.control().get_database_backend();
        let sql = match self.backend() {
            Backend::Postgres => {
                format!(
                    "SELECT COUNT(*) AS n FROM {}.\"{table}\"",
                    slug.schema_quoted()
                )
            }
            Backend::Sqlite => format!("SELECT COUNT(*) AS n FROM \"{table}\""),
        };
        let row = match self.backend() {
            Backend::Postgres => {
                let txn = self.control().begin().await?;
                let r = txn.query_one(Statement::from_string(backend, sql)).await?;
                txn.commit().await?;
                r
            }
            Backend::Sqlite => {
                self.tenant_tx(&slug, move |txn| {
                    Box::pin(async move {
                        Ok(txn.query_one(Statement::from_string(backend, sql)).await?)
                    })
                })
                .await?
            }
        };
        let row = row.ok_or(StoreError::NotFound("count"))?;
        Ok(row.try_get::<i64>("", "n")?)
    }

    /// Raw SQL on the tenant's data inside a tenant transaction (used by the tests that show
    /// the triggers refuse changes to the trail). Returns the database's error as is.
    #[doc(hidden)]
    pub async fn tenant_execute(&self, tenant: &Slug, sql: &str) -> Result<u64, StoreError> {
        let sql = sql.to_owned();
        self.tenant_tx(tenant, move |txn| {
            Box::pin(async move { Ok(txn.execute_unprepared(&sql).await?.rows_affected()) })
        })
        .await
    }
}
