//! Opening the databases, migrations, tenants and tenant-scoped transactions.

use crate::entities::tenants;
use crate::{BlobStore, Slug, StoreError};
use migrations::{ControlMigrator, MigratorTrait, TenantMigrator};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set, SqlxSqliteConnector,
    TransactionTrait,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Where the data lives.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Data directory: SQLite files (embedded mode) and blobs (both modes).
    pub data_dir: PathBuf,
    /// `postgres://...` to use PostgreSQL; `None` for embedded SQLite.
    pub database_url: Option<String>,
    /// Connection pool size (per database).
    pub max_connections: u32,
    /// PostgreSQL: the role the service connects as when it is not the owner of the tables
    /// (see [`crate::grants`]); migrations grant it least privilege. `None`: one role.
    pub runtime_role: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A tenant as listed by [`Store::list_tenants`].
#[derive(Debug, Clone)]
pub struct TenantInfo {
    pub id: uuid::Uuid,
    pub slug: String,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// One line of `dualcheck migrate`: what was migrated and how many migrations were applied.
#[derive(Debug, Clone)]
pub struct MigrationReport {
    /// `control` or `tenant <slug>`.
    pub target: String,
    pub applied: usize,
}

/// The store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    backend: Backend,
    control: DatabaseConnection,
    config: StoreConfig,
    /// SQLite only: one pool per tenant file, opened on first use.
    tenants: RwLock<HashMap<String, DatabaseConnection>>,
    /// Recently validated sessions (see [`crate::accounts`]).
    pub(crate) sessions: crate::accounts::SessionCache,
    /// Signs audit checkpoints (installed at start-up).
    audit_signer: RwLock<Option<crate::audit_log::AuditSigner>>,
}

use crate::unit_of_work::TxFuture;

impl Store {
    /// Open (and create, for SQLite) the control plane. Does not migrate: call
    /// [`Store::migrate`].
    pub async fn open(config: StoreConfig) -> Result<Self, StoreError> {
        let (backend, control) = match &config.database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                let mut opts = ConnectOptions::new(url.clone());
                opts.max_connections(config.max_connections)
                    .min_connections(1)
                    .connect_timeout(Duration::from_secs(5))
                    .acquire_timeout(Duration::from_secs(10))
                    .sqlx_logging(false);
                (Backend::Postgres, Database::connect(opts).await?)
            }
            Some(other) => {
                return Err(StoreError::InvalidInput(format!(
                    "unsupported database URL scheme in {:?}; use postgres://... or leave it unset for SQLite",
                    other.split(':').next().unwrap_or_default()
                )));
            }
            None => {
                std::fs::create_dir_all(&config.data_dir)
                    .map_err(|e| StoreError::io(&config.data_dir, e))?;
                let conn = open_sqlite(
                    &config.data_dir.join("control.db"),
                    true,
                    config.max_connections,
                )
                .await?;
                (Backend::Sqlite, conn)
            }
        };
        Ok(Store {
            inner: Arc::new(Inner {
                backend,
                control,
                config,
                tenants: RwLock::new(HashMap::new()),
                sessions: Default::default(),
                audit_signer: RwLock::new(None),
            }),
        })
    }

    /// The runtime role migrations grant to (PostgreSQL), if any.
    pub fn runtime_role(&self) -> Option<&str> {
        self.inner.config.runtime_role.as_deref()
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.config.data_dir
    }

    pub(crate) fn audit_signer_slot(&self) -> &RwLock<Option<crate::audit_log::AuditSigner>> {
        &self.inner.audit_signer
    }

    /// Begin a transaction on the tenant's data (see [`Store::tenant_tx`]); the caller
    /// commits it. Used where a tenant change must commit together with a control-plane one.
    pub(crate) async fn begin_tenant(
        &self,
        slug: &Slug,
    ) -> Result<DatabaseTransaction, StoreError> {
        match self.inner.backend {
            Backend::Sqlite => Ok(self.sqlite_tenant(slug, false).await?.begin().await?),
            Backend::Postgres => self.begin_pg_tenant(slug).await,
        }
    }

    pub(crate) fn session_cache(&self) -> &crate::accounts::SessionCache {
        &self.inner.sessions
    }

    /// The control-plane connection (tenants, users, sessions).
    pub fn control(&self) -> &DatabaseConnection {
        &self.inner.control
    }

    /// The blob store of a tenant.
    pub fn blobs(&self, slug: &Slug) -> BlobStore {
        BlobStore::new(self.tenant_dir(slug).join("blobs"))
    }

    fn tenant_dir(&self, slug: &Slug) -> PathBuf {
        self.inner
            .config
            .data_dir
            .join("tenants")
            .join(slug.as_str())
    }

    /// Migrate the control plane and every tenant. Idempotent; one report per target.
    pub async fn migrate(&self) -> Result<Vec<MigrationReport>, StoreError> {
        let control = &self.inner.control;
        let pending = ControlMigrator::get_pending_migrations(control)
            .await?
            .len();
        ControlMigrator::up(control, None).await?;
        self.grant_runtime(None).await?;
        let mut out = vec![MigrationReport {
            target: "control".into(),
            applied: pending,
        }];
        for t in self.list_tenants().await? {
            let slug = Slug::parse(&t.slug)?;
            let applied = self.migrate_tenant(&slug).await?;
            out.push(MigrationReport {
                target: format!("tenant {slug}"),
                applied,
            });
        }
        Ok(out)
    }

    /// Whether the control plane and every tenant are fully migrated (readiness). Read with
    /// plain `SELECT`s: the runtime role can answer it.
    pub async fn migrations_current(&self) -> Result<bool, StoreError> {
        if crate::grants::pending::<ControlMigrator>(&self.inner.control).await? > 0 {
            return Ok(false);
        }
        for t in self.list_tenants().await? {
            let slug = Slug::parse(&t.slug)?;
            let pending = match self.inner.backend {
                Backend::Sqlite => {
                    let conn = self.sqlite_tenant(&slug, false).await?;
                    crate::grants::pending::<TenantMigrator>(&conn).await?
                }
                Backend::Postgres => {
                    let txn = self.begin_pg_tenant(&slug).await?;
                    let n = crate::grants::pending::<TenantMigrator>(&txn).await?;
                    txn.rollback().await?;
                    n
                }
            };
            if pending > 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// A cheap round trip to the control database.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.inner.control.ping().await.map_err(StoreError::from)
    }

    async fn migrate_tenant(&self, slug: &Slug) -> Result<usize, StoreError> {
        std::fs::create_dir_all(self.tenant_dir(slug).join("blobs"))
            .map_err(|e| StoreError::io(self.tenant_dir(slug), e))?;
        match self.inner.backend {
            Backend::Sqlite => {
                let conn = self.sqlite_tenant(slug, true).await?;
                let n = TenantMigrator::get_pending_migrations(&conn).await?.len();
                TenantMigrator::up(&conn, None).await?;
                Ok(n)
            }
            Backend::Postgres => {
                self.inner
                    .control
                    .execute_unprepared(&format!(
                        "CREATE SCHEMA IF NOT EXISTS {}",
                        slug.schema_quoted()
                    ))
                    .await?;
                let txn = self.begin_pg_tenant(slug).await?;
                let n = TenantMigrator::get_pending_migrations(&txn).await?.len();
                TenantMigrator::up(&txn, None).await?;
                txn.commit().await?;
                self.grant_runtime(Some(slug)).await?;
                Ok(n)
            }
        }
    }

    /// Create a tenant: its control-plane row, its database (file or schema), migrated, and
    /// its blob folder. The first event of its trail records the creation.
    pub async fn create_tenant(
        &self,
        slug: &str,
        name: &str,
        by: &crate::By,
    ) -> Result<TenantInfo, StoreError> {
        let slug = Slug::parse(slug)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(StoreError::InvalidInput(
                "tenant name must be 1 to 200 characters".into(),
            ));
        }
        if self.find_tenant(slug.as_str()).await?.is_some() {
            return Err(StoreError::TenantExists(slug.to_string()));
        }
        self.migrate_tenant(&slug).await?;
        let now = chrono::Utc::now();
        let id = uuid::Uuid::new_v4();
        let mut d = by.draft("tenant.create", "tenant", Some(id.to_string()));
        d.new_value = Some(serde_json::json!({ "slug": slug.as_str(), "name": name }));
        let change = self.begin_control_change(&slug).await?;
        let row = tenants::ActiveModel {
            id: Set(id),
            slug: Set(slug.to_string()),
            name: Set(name.to_owned()),
            created_at: Set(now),
        }
        .insert(&change.txn)
        .await
        .map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                StoreError::TenantExists(slug.to_string())
            }
            _ => StoreError::from(e),
        })?;
        self.commit_with_event(change, d).await?;
        Ok(tenant_info(row))
    }

    pub async fn list_tenants(&self) -> Result<Vec<TenantInfo>, StoreError> {
        Ok(tenants::Entity::find()
            .order_by_asc(tenants::Column::Slug)
            .all(&self.inner.control)
            .await?
            .into_iter()
            .map(tenant_info)
            .collect())
    }

    pub async fn find_tenant(&self, slug: &str) -> Result<Option<TenantInfo>, StoreError> {
        Ok(tenants::Entity::find()
            .filter(tenants::Column::Slug.eq(slug))
            .one(&self.inner.control)
            .await?
            .map(tenant_info))
    }

    /// Run `f` in one transaction on the tenant's data. On PostgreSQL the transaction
    /// begins with `SET LOCAL search_path TO "tenant_<slug>"` (validated, quoted), so the
    /// unqualified table names of `f` resolve to that tenant only, and the setting ends with
    /// the transaction (safe behind connection poolers). Commits on `Ok`, rolls back on
    /// `Err`. Crate-internal: outside the store, changes go through
    /// [`Store::tenant_write`] and reads through [`Store::tenant_read`].
    pub(crate) async fn tenant_tx<T, F>(&self, slug: &Slug, f: F) -> Result<T, StoreError>
    where
        T: Send,
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> TxFuture<'c, T> + Send,
    {
        let txn = self.begin_tenant(slug).await?;
        match f(&txn).await {
            Ok(v) => {
                txn.commit().await?;
                Ok(v)
            }
            Err(e) => {
                txn.rollback().await?;
                Err(e)
            }
        }
    }

    async fn begin_pg_tenant(&self, slug: &Slug) -> Result<DatabaseTransaction, StoreError> {
        let txn = self.inner.control.begin().await?;
        txn.execute_unprepared(&format!(
            "SET LOCAL search_path TO {}",
            slug.schema_quoted()
        ))
        .await?;
        Ok(txn)
    }

    pub(crate) async fn sqlite_tenant(
        &self,
        slug: &Slug,
        create: bool,
    ) -> Result<DatabaseConnection, StoreError> {
        if let Some(c) = self
            .inner
            .tenants
            .read()
            .map_err(|_| StoreError::Internal("tenant map poisoned".into()))?
            .get(slug.as_str())
        {
            return Ok(c.clone());
        }
        let path = self.tenant_dir(slug).join("tenant.db");
        if !create && !path.is_file() {
            return Err(StoreError::UnknownTenant(slug.to_string()));
        }
        let conn = open_sqlite(&path, create, self.inner.config.max_connections).await?;
        let mut map = self
            .inner
            .tenants
            .write()
            .map_err(|_| StoreError::Internal("tenant map poisoned".into()))?;
        Ok(map.entry(slug.to_string()).or_insert(conn).clone())
    }
}

fn tenant_info(t: tenants::Model) -> TenantInfo {
    TenantInfo {
        id: t.id,
        slug: t.slug,
        name: t.name,
        created_at: t.created_at,
    }
}

async fn open_sqlite(
    path: &Path,
    create: bool,
    max_connections: u32,
) -> Result<DatabaseConnection, StoreError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
    }
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(create)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(max_connections.max(1))
        .connect_with(opts)
        .await
        .map_err(|e| {
            StoreError::Database(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)))
        })?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}
