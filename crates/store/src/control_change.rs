//! A change of the control plane (users, roles, passwords, tenants) that commits together
//! with the tenant event recording it, taking its locks in the one order used everywhere:
//! the tenant's audit head first, then the control plane.
//!
//! Logins and logouts append their event in a tenant transaction and then write the session
//! row, so they too go tenant first; before this order was the same everywhere, a user
//! change (control first) and a concurrent login (tenant first) waited on each other until
//! SQLite's busy timeout and one failed. On SQLite both write locks are also taken up front
//! (the head row update, a no-op `UPDATE` on the control file): a read-then-write
//! transaction that began as a reader cannot be upgraded once another writer committed.

use crate::{Slug, Store, StoreError};
use audit::EventDraft;
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};

/// An open control-plane change; commit it with [`Store::commit_with_event`].
#[derive(Debug)]
pub(crate) struct ControlChange {
    /// The control-plane transaction, for the change's statements (on PostgreSQL also the
    /// tenant's: one transaction whose search path is `"tenant_<slug>", public`).
    pub(crate) txn: DatabaseTransaction,
    /// SQLite: the tenant's transaction, holding the chain head.
    tenant_txn: Option<DatabaseTransaction>,
    tenant: Slug,
}

impl ControlChange {
    /// The transaction holding the tenant's tables (PostgreSQL: the same one).
    pub(crate) fn tenant_txn(&self) -> &DatabaseTransaction {
        self.tenant_txn.as_ref().unwrap_or(&self.txn)
    }

    /// Give up the change: nothing of it commits.
    pub(crate) async fn rollback(self) -> Result<(), StoreError> {
        if let Some(t) = self.tenant_txn {
            t.rollback().await?;
        }
        self.txn.rollback().await?;
        Ok(())
    }
}

impl Store {
    /// Begin a control-plane change recorded in `tenant`'s trail: the tenant's head is
    /// locked first, then the control plane.
    pub(crate) async fn begin_control_change(
        &self,
        tenant: &Slug,
    ) -> Result<ControlChange, StoreError> {
        if self.is_postgres() {
            let txn = self.control().begin().await?;
            // The tenant schema holds no control-plane table name, so the control
            // statements resolve as before and the audit tables to the tenant's.
            txn.execute_unprepared(&format!(
                "SET LOCAL search_path TO {}, public",
                tenant.schema_quoted()
            ))
            .await?;
            crate::audit_log::lock_head(&txn).await?;
            return Ok(ControlChange {
                txn,
                tenant_txn: None,
                tenant: tenant.clone(),
            });
        }
        let ttx = self.begin_tenant(tenant).await?;
        crate::audit_log::lock_head(&ttx).await?;
        let txn = self.control().begin().await?;
        // Takes the control file's write lock now (an UPDATE does, even of no row).
        txn.execute_unprepared("UPDATE tenants SET slug = slug WHERE 0 = 1")
            .await?;
        Ok(ControlChange {
            txn,
            tenant_txn: Some(ttx),
            tenant: tenant.clone(),
        })
    }

    /// Commit a control-plane change together with the tenant event that records it.
    ///
    /// PostgreSQL: one transaction; both commit or neither.
    ///
    /// SQLite: the control plane and the tenant are different files, so the commits are
    /// ordered: the event is appended in the open tenant transaction (holding the chain
    /// head), the control change commits, then the event. A failure before the control
    /// commit leaves neither; only a crash between the two commits could leave a control
    /// change without its event.
    pub(crate) async fn commit_with_event(
        &self,
        change: ControlChange,
        draft: EventDraft,
    ) -> Result<audit::Event, StoreError> {
        let ControlChange {
            txn,
            tenant_txn,
            tenant,
        } = change;
        let Some(ttx) = tenant_txn else {
            let e = self.record(&txn, &tenant, draft).await?;
            txn.commit().await?;
            return Ok(e);
        };
        let e = match self.record(&ttx, &tenant, draft).await {
            Ok(e) => e,
            Err(err) => {
                ttx.rollback().await?;
                txn.rollback().await?;
                return Err(err);
            }
        };
        if let Err(err) = txn.commit().await {
            ttx.rollback().await?;
            return Err(err.into());
        }
        ttx.commit().await?;
        Ok(e)
    }
}
