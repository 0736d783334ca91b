//! Background timers of the server.

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
