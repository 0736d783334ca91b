//! Model fetches in the audit trail: installation-wide, so recorded in every tenant's trail.

use ai_suggest::ModelEntry;
use store::Store;

pub(super) fn file_pins(e: &ModelEntry) -> Vec<serde_json::Value> {
    e.files
        .iter()
        .map(|f| serde_json::json!({"name": f.name, "sha256": f.sha256}))
        .collect()
}

/// Record a model event in every tenant's trail (models are installation-wide).
pub(super) async fn record(store: &Store, action: &str, model: &str, value: serde_json::Value) {
    let Ok(tenants) = store.list_tenants().await else {
        return;
    };
    for t in tenants {
        let Ok(slug) = store::Slug::parse(&t.slug) else {
            continue;
        };
        let mut d = store::By::system().draft(action, "model", Some(model.to_string()));
        d.new_value = Some(value.clone());
        if let Err(e) = store.record_now(&slug, d).await {
            tracing::error!(tenant = %t.slug, error = %e, "cannot record {action}");
        }
    }
}
