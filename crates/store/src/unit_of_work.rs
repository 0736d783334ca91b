//! One unit of work per tenant change: [`Store::tenant_write`] opens the tenant's
//! transaction (on PostgreSQL beginning with `SET LOCAL search_path`), locks the tenant's
//! audit head first, hands out a [`UnitOfWork`] bound to the tenant, and commits only when
//! the change recorded its audit event ([`UnitOfWork::record`]); a change without an event
//! is rolled back with [`StoreError::Unrecorded`]. Reads go through [`Store::tenant_read`],
//! whose transaction is always rolled back, so nothing written there can commit.

use crate::{Slug, Store, StoreError};
use audit::{Event, EventDraft};
use sea_orm::DatabaseTransaction;
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
        };
        let out = f(&mut uow).await;
        let UnitOfWork { txn, events, .. } = uow;
        match out {
            Ok(_) if events.is_empty() => {
                txn.rollback().await?;
                Err(StoreError::Unrecorded)
            }
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
