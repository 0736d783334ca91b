//! What a start does before serving: a fresh installation gets tenant `demo` and its
//! admin, and every tenant's trail records the start.

use crate::settings::Settings;
use store::{Role, Store};

/// On a fresh installation (no users at all): tenant `demo` with user `admin` (role admin)
/// and a random password, returned so the caller shows it once.
pub(super) async fn bootstrap(
    store: &Store,
) -> Result<Option<(String, String)>, store::StoreError> {
    if store.has_users().await? {
        return Ok(None);
    }
    if store.find_tenant("demo").await?.is_none() {
        store
            .create_tenant("demo", "Demo", &store::By::system())
            .await?;
    }
    let password = store::credentials::random_password();
    let slug = store::Slug::parse("demo")?;
    store
        .create_user(
            &slug,
            store::NewUser {
                username: "admin".into(),
                display_name: Some("Administrator".into()),
                password: password.clone(),
                roles: vec![Role::Admin],
                must_change_password: true,
            },
            &store::By::system(),
        )
        .await?;
    Ok(Some(("admin".into(), password)))
}

/// Start-up: record in every tenant's trail what this process runs with (version, settings
/// fingerprint, rule packs, models, audit public key).
pub(super) async fn record_start(
    store: &Store,
    settings: &Settings,
    rules: &rule_engine::RuleSet,
    key: &audit::SigningKey,
    models: serde_json::Value,
) -> Result<(), store::StoreError> {
    let value = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "settings_sha256": settings.fingerprint(),
        "rules": { "version": rules.version, "sha256": rules.hash },
        "models": models,
        "audit_public_key": key.public_hex(),
    });
    for t in store.list_tenants().await? {
        let slug = store::Slug::parse(&t.slug)?;
        let mut d = store::By::system().draft("system.start", "installation", None);
        d.new_value = Some(value.clone());
        store.record_now(&slug, d).await?;
    }
    Ok(())
}
