//! The password lifecycle (21 CFR Part 11 §11.300(b)): a user changes their own password
//! (the current one asked again, counted toward the lockout), an admin resets another
//! user's (who must choose a new one at next login, as the bootstrap admin must), a new
//! password meets the policy and repeats none of the last [`store::PASSWORD_HISTORY`] nor
//! the current one, and every change is in the trail (`user.password_change`,
//! `user.password_reset`, `auth.password_change_failed`) without any secret.

use crate::ServiceError;
use crate::accounts::user_of_tenant;
use crate::authz::{Action, require_even_before_password_change};
use crate::lockout::{self, Attempt, During};
use audit::{Actor, EventDraft, RequestContext};
use store::credentials::{check_password_policy, verify_password};
use store::{By, PASSWORD_HISTORY, PasswordChange, Principal, Slug, Store, UserInfo};
use uuid::Uuid;

/// Refuse a new password that is the current one or one of the last few.
async fn not_recent(
    store: &Store,
    tenant_id: Uuid,
    user_id: Uuid,
    password: &str,
) -> Result<(), ServiceError> {
    let hashes = store.recent_password_hashes(tenant_id, user_id).await?;
    let pw = password.to_owned();
    let reused =
        tokio::task::spawn_blocking(move || hashes.iter().any(|h| verify_password(&pw, h)))
            .await
            .map_err(ServiceError::internal)?;
    if reused {
        return Err(ServiceError::Invalid(format!(
            "choose a password that is not your current one nor one of your last {PASSWORD_HISTORY}"
        )));
    }
    Ok(())
}

/// Change the caller's own password; `current` is asked again.
pub async fn change_own(
    store: &Store,
    attempts: &crate::attempts::Attempts,
    who: &Principal,
    current: &str,
    new: &str,
    request: RequestContext,
) -> Result<UserInfo, ServiceError> {
    require_even_before_password_change(who)?;
    let actor = Actor::user(
        who.user_id.to_string(),
        who.username.clone(),
        who.display_name.clone(),
    );
    let attempt = lockout::gate(
        store,
        attempts,
        &Attempt {
            tenant: who.tenant.as_str(),
            username: &who.username,
            actor: actor.clone(),
            entity_id: who.user_id.to_string(),
            during: During::PasswordChange,
            request: request.clone(),
        },
    )
    .await?;
    if !store.verify_user_password(who.user_id, current).await? {
        let mut d = EventDraft::new(
            actor,
            "auth.password_change_failed",
            "user",
            Some(who.user_id.to_string()),
        );
        d.new_value = Some(serde_json::json!({ "cause": "wrong current password" }));
        d.request = request;
        lockout::count_failure(store, &attempt, who.tenant.as_str(), Some(d)).await?;
        return Err(store::StoreError::InvalidCredentials.into());
    }
    lockout::count_success(store, &attempt).await?;
    check_password_policy(&who.username, new)?;
    not_recent(store, who.tenant_id, who.user_id, new).await?;
    Ok(store
        .set_password(
            &who.tenant,
            who.tenant_id,
            PasswordChange {
                user_id: who.user_id,
                password: new.to_owned(),
                must_change: false,
                keep_session: Some(who.session_id),
                action: "user.password_change",
                reason: None,
            },
            &By::principal(who, request),
        )
        .await?)
}

/// An admin sets a temporary password for another user of the tenant; the user must
/// change it at next login, and their sessions are revoked.
pub async fn reset(
    store: &Store,
    who: &Principal,
    user_id: Uuid,
    temporary: &str,
    reason: Option<String>,
    request: RequestContext,
) -> Result<UserInfo, ServiceError> {
    crate::authz::require(who, Action::ManageUsers)?;
    if user_id == who.user_id {
        return Err(ServiceError::Refused(
            "change your own password with POST /api/v1/me/password (your current password is asked)".into(),
        ));
    }
    let target = user_of_tenant(store, who.tenant_id, |u| u.id == user_id).await?;
    check_password_policy(&target.username, temporary)?;
    Ok(store
        .set_password(
            &who.tenant,
            who.tenant_id,
            reset_change(user_id, temporary, reason),
            &By::principal(who, request),
        )
        .await?)
}

/// [`reset`] by the operator at the command line (`dualcheck user reset-password`).
pub async fn reset_as_operator(
    store: &Store,
    tenant: &Slug,
    username: &str,
    temporary: &str,
    by: &By,
) -> Result<UserInfo, ServiceError> {
    let t = store
        .find_tenant(tenant.as_str())
        .await?
        .ok_or_else(|| store::StoreError::UnknownTenant(tenant.to_string()))?;
    let target = user_of_tenant(store, t.id, |u| u.username == username).await?;
    check_password_policy(&target.username, temporary)?;
    Ok(store
        .set_password(tenant, t.id, reset_change(target.id, temporary, None), by)
        .await?)
}

fn reset_change(user_id: Uuid, temporary: &str, reason: Option<String>) -> PasswordChange {
    PasswordChange {
        user_id,
        password: temporary.to_owned(),
        must_change: true,
        keep_session: None,
        action: "user.password_reset",
        reason,
    }
}
