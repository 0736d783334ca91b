//! One unit of work per tenant change: [`Store::tenant_write`] opens the tenant's
//! transaction (on PostgreSQL beginning with `SET LOCAL search_path`), locks the tenant's
//! audit head first, hands out a [`UnitOfWork`] bound to the tenant, and commits only when
//! the change recorded its audit event ([`UnitOfWork::record`]); a change without an event
//! is rolled back with [`StoreError::Unrecorded`]. Reads go through [`Store::tenant_read`],
//! whose transaction is always rolled back, so nothing written there can commit.
//!
//! Blobs are written under the same lock ([`UnitOfWork::put_blob`]): when the change does
//! not commit, the blobs it wrote that no committed row names are removed, again under the
//! tenant's head lock, so a concurrent upload of the same bytes can never lose its file.

use crate::{Slug, Store, StoreError};
use audit::{Event, EventDraft};
use sea_orm::{DatabaseTransaction, EntityTrait};
use std::future::Future;
use std::pin::Pin;

/// What a unit of work's closure returns.
pub type TxFuture<'c, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'c>>;

/// A tenant change in progress: its transaction and the events it recorded.
#[derive(Debug)]
pub struct UnitOfWork {
    store: Store,
    tenant: Slug,
    txn: DatabaseTransaction,
    events: Vec<Event>,
    blobs: Vec<String>,
}

impl UnitOfWork {
    /// The transaction, for the change's statements (`store::documents::create(uow.txn(),
    /// ...)`); it commits only through [`Store::tenant_write`].
    pub fn txn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    pub fn tenant(&self) -> &Slug {
        &self.tenant
    }

    /// Append the change's audit event to the tenant's chain, in this transaction.
    pub async fn record(&mut self, draft: EventDraft) -> Result<Event, StoreError> {
        let e = self.store.record(&self.txn, &self.tenant, draft).await?;
        self.events.push(e.clone());
        Ok(e)
    }

    /// Store `bytes` in the tenant's blob store, under this change's lock; returns their
    /// SHA-256. When the change does not commit, the blob is removed unless a committed row
    /// names it.
    pub async fn put_blob(&mut self, bytes: Vec<u8>) -> Result<String, StoreError> {
        let blobs = self.store.blobs(&self.tenant);
        let sha = tokio::task::spawn_blocking(move || blobs.put(&bytes))
            .await
            .map_err(|e| StoreError::Internal(format!("blob write task failed: {e}")))??;
        self.blobs.push(sha.clone());
        Ok(sha)
    }

    /// The events recorded so far.
    pub fn events(&self) -> &[Event] {
        &self.events
    }
}

impl Store {
    /// Run a tenant change as one unit of work: transaction, audit head lock first, the
    /// change and its event(s), one commit. Rolls back on `Err`, and when `f` recorded no
    /// event ([`StoreError::Unrecorded`]).
    pub async fn tenant_write<T, F>(&self, tenant: &Slug, f: F) -> Result<T, StoreError>
    where
        T: Send,
        F: for<'c> FnOnce(&'c mut UnitOfWork) -> TxFuture<'c, T> + Send,
    {
        let txn = self.begin_tenant(tenant).await?;
        if let Err(e) = crate::audit_log::lock_head(&txn).await {
            txn.rollback().await?;
            return Err(e);
        }
        let mut uow = UnitOfWork {
            store: self.clone(),
            tenant: tenant.clone(),
            txn,
            events: Vec::new(),
            blobs: Vec::new(),
        };
        let out = f(&mut uow).await;
        let UnitOfWork {
            txn, events, blobs, ..
        } = uow;
        let failed = match out {
            Ok(_) if events.is_empty() => {
                txn.rollback().await?;
                StoreError::Unrecorded
            }
            Ok(v) => match txn.commit().await {
                Ok(()) => return Ok(v),
                Err(e) => e.into(),
            },
            Err(e) => {
                txn.rollback().await?;
                e
            }
        };
        if !blobs.is_empty()
            && let Err(e) = self.discard_unreferenced_blobs(tenant, &blobs).await
        {
            tracing::warn!(tenant = %tenant, error = %e, "could not remove the blobs of a change that did not commit");
        }
        Err(failed)
    }

    /// Remove the blob files among `shas` that no committed `blobs` row names, under the
    /// tenant's head lock (every blob write and every row naming a blob happen under it).
    async fn discard_unreferenced_blobs(
        &self,
        tenant: &Slug,
        shas: &[String],
    ) -> Result<(), StoreError> {
        let txn = self.begin_tenant(tenant).await?;
        let out = async {
            crate::audit_log::lock_head(&txn).await?;
            let blobs = self.blobs(tenant);
            for sha in shas {
                if crate::entities::blobs::Entity::find_by_id(sha.clone())
                    .one(&txn)
                    .await?
                    .is_none()
                {
                    blobs.remove(sha)?;
                }
            }
            Ok::<_, StoreError>(())
        }
        .await;
        txn.rollback().await?;
        out
    }

    /// Read a tenant's data in one transaction (on PostgreSQL with `SET LOCAL
    /// search_path`); the transaction is rolled back at the end, so a read can never commit
    /// a change.
    pub async fn tenant_read<T, F>(&self, tenant: &Slug, f: F) -> Result<T, StoreError>
    where
        T: Send,
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> TxFuture<'c, T> + Send,
    {
        let txn = self.begin_tenant(tenant).await?;
        let out = f(&txn).await;
        txn.rollback().await?;
        out
    }
}
