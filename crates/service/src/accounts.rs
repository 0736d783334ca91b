//! Log in and out, the current user, and user management (admins only).

use crate::ServiceError;
use crate::attempts::{self, Attempts, FailureRecord};
use crate::authz::{Action, require};
use crate::lockout::{self, Attempt, During};
use audit::{Actor, EventDraft, RequestContext};
use store::{
    By, LoginOutcome, NewUser, Principal, Role, SessionPolicy, Slug, Store, UserInfo, UserPatch,
    clip,
};
use uuid::Uuid;

/// Check credentials and open a session. Unknown tenant, unknown user, inactive user and
/// wrong password all answer `InvalidCredentials` after the same work; five failures in
/// fifteen minutes answer `LockedOut` ([`lockout`]). Every attempt is in the attempt log
/// and, when the tenant exists, in its trail (`auth.login`, `auth.login_failed`,
/// `auth.lockout`); a burst of failures from one address is one event with a count
/// ([`crate::attempts`]). Attempts over the rate limits are refused before any work.
pub async fn login(
    store: &Store,
    attempts: &Attempts,
    policy: SessionPolicy,
    tenant: &str,
    username: &str,
    password: &str,
    request: RequestContext,
) -> Result<LoginOutcome, ServiceError> {
    let claimed = Actor {
        user_id: None,
        username: Some(clip(username, 128)),
        printed_name: None,
    };
    let attempt = lockout::gate(
        store,
        attempts,
        &Attempt {
            tenant,
            username,
            actor: claimed.clone(),
            entity_id: username.to_owned(),
            during: During::Login,
            request: request.clone(),
        },
    )
    .await?;
    let check = store.check_credentials(tenant, username, password).await?;
    let Some((user, slug, tenant_id)) = check.verified else {
        // Bursts that ended are recorded first, so their summary precedes this failure.
        attempts::flush(store, attempts, false).await;
        let event = match attempts.failure(tenant, username, &request) {
            FailureRecord::Collapsed => None,
            FailureRecord::Now => {
                let mut actor = claimed;
                actor.user_id = check.user_id.map(|u| u.to_string());
                let mut d = EventDraft::new(
                    actor,
                    "auth.login_failed",
                    "user",
                    Some(clip(username, 128)),
                );
                d.new_value = Some(
                    serde_json::json!({ "failed_attempts_in_window": attempt.failures_before + 1 }),
                );
                d.request = request.clone();
                Some(d)
            }
        };
        if !lockout::count_failure(store, &attempt, tenant, event).await? {
            // No trail to write to: the security log has it (never the password).
            tracing::warn!(
                target: "security",
                tenant = %clip(tenant, 64),
                client_ip = request.client_ip.as_deref().unwrap_or("unknown"),
                "login attempt for a tenant that does not exist"
            );
        }
        return Err(store::StoreError::InvalidCredentials.into());
    };
    lockout::count_success(store, &attempt).await?;
    Ok(store
        .open_session(&user, &slug, tenant_id, policy, request)
        .await?)
}

/// Revoke the caller's session (recorded as `auth.logout`).
pub async fn logout(
    store: &Store,
    who: &Principal,
    request: RequestContext,
) -> Result<(), ServiceError> {
    Ok(store.logout(who, request).await?)
}

/// The caller as a user record (`GET /me`).
pub async fn me(store: &Store, who: &Principal) -> Result<UserInfo, ServiceError> {
    Ok(store.user_info(who).await?)
}

/// Add a user to the caller's tenant (admins).
pub async fn create_user(
    store: &Store,
    who: &Principal,
    new: NewUser,
    request: RequestContext,
) -> Result<UserInfo, ServiceError> {
    require(who, Action::ManageUsers)?;
    Ok(store
        .create_user(&who.tenant, new, &By::principal(who, request))
        .await?)
}

/// Add a user as the operator at the command line (`dualcheck user add`).
pub async fn create_user_as_operator(
    store: &Store,
    tenant: &Slug,
    new: NewUser,
    by: &By,
) -> Result<UserInfo, ServiceError> {
    Ok(store.create_user(tenant, new, by).await?)
}

/// The users of the caller's tenant (admins).
pub async fn list_users(store: &Store, who: &Principal) -> Result<Vec<UserInfo>, ServiceError> {
    require(who, Action::ManageUsers)?;
    Ok(store.list_users(who.tenant_id).await?)
}

/// The user of tenant `tenant_id` that `is` picks (another tenant's user is not found).
pub(crate) async fn user_of_tenant(
    store: &Store,
    tenant_id: Uuid,
    is: impl Fn(&UserInfo) -> bool,
) -> Result<UserInfo, ServiceError> {
    store
        .list_users(tenant_id)
        .await?
        .into_iter()
        .find(|u| is(u))
        .ok_or(ServiceError::NotFound("user"))
}

/// Roles whose grant needs a reason in the user's audit event: they review, approve or
/// read the trail.
pub const GRANTS_NEEDING_A_REASON: [Role; 3] = [Role::Qa, Role::Manager, Role::Auditor];

/// Change a user of the caller's tenant (admins); another tenant's user is not found.
/// Nobody changes their own roles (another admin must), and a change that grants one of
/// [`GRANTS_NEEDING_A_REASON`] needs a reason, recorded with the `user.update` event.
pub async fn update_user(
    store: &Store,
    who: &Principal,
    user_id: Uuid,
    patch: UserPatch,
    request: RequestContext,
) -> Result<UserInfo, ServiceError> {
    require(who, Action::ManageUsers)?;
    if let Some(roles) = &patch.roles {
        if user_id == who.user_id {
            return Err(ServiceError::Refused(
                "you cannot change your own roles; another administrator must".into(),
            ));
        }
        let current = user_of_tenant(store, who.tenant_id, |u| u.id == user_id).await?;
        let granted: Vec<&Role> = roles
            .iter()
            .filter(|r| GRANTS_NEEDING_A_REASON.contains(r) && !current.roles.contains(r))
            .collect();
        let has_reason = patch
            .reason
            .as_deref()
            .is_some_and(|r| !r.trim().is_empty());
        if !granted.is_empty() && !has_reason {
            let names: Vec<&str> = granted.iter().map(|r| r.as_str()).collect();
            return Err(ServiceError::Invalid(format!(
                "granting {} needs a reason: give \"reason\" with the change",
                names.join(", ")
            )));
        }
    }
    Ok(store
        .update_user(
            &who.tenant,
            who.tenant_id,
            user_id,
            patch,
            &By::principal(who, request),
        )
        .await?)
}
