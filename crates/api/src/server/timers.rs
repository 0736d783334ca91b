//! Background timers of the server.

use std::sync::Arc;
use store::Store;

/// Sign a checkpoint of every tenant with new events every `minutes`.
pub(super) fn spawn_checkpoints(store: Store, minutes: u64) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(minutes * 60));
        tick.tick().await;
        loop {
            tick.tick().await;
            let Ok(tenants) = store.list_tenants().await else {
                continue;
            };
            for t in tenants {
                if let Ok(slug) = store::Slug::parse(&t.slug)
                    && let Err(e) = store.checkpoint(&slug).await
                {
                    tracing::error!(tenant = %t.slug, error = %e, "scheduled audit checkpoint failed");
                }
            }
        }
    });
}

/// Record the collapsed bursts of failed logins once their interval is over (every ten
/// seconds; see `service::attempts`).
pub(super) fn spawn_attempt_digest(store: Store, attempts: Arc<service::attempts::Attempts>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
        loop {
            tick.tick().await;
            service::attempts::flush(&store, &attempts, false).await;
        }
    });
}

/// Append the checkpoints committed since the last round to the copy outside the database
/// (every five seconds; see `service::checkpoint_copy`).
pub(super) fn spawn_checkpoint_copy(
    store: Store,
    copy: Arc<service::checkpoint_copy::CheckpointCopy>,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            tick.tick().await;
            if let Err(e) = copy.copy_new(&store).await {
                tracing::error!(path = %copy.path().display(), error = %e, "could not append checkpoints to the copy outside the database");
            }
        }
    });
}
