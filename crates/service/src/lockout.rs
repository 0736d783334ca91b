//! The lockout policy (21 CFR Part 11 §11.300(d)): five failed attempts (wrong passwords at
//! login or at signing) within fifteen minutes lock the account; the lockout is refused,
//! recorded in the attempt log and in the tenant's trail as `auth.lockout` with
//! `"alert": true`, and logged as a warning. Login and signing both go through [`gate`]
//! and [`count_failure`]: one policy, one place.

use crate::ServiceError;
use audit::{Actor, EventDraft, RequestContext};
use store::{FailureReason, Store, clip};

/// Failed attempts within [`WINDOW_MINUTES`] that lock an account.
pub const THRESHOLD: u64 = 5;
pub const WINDOW_MINUTES: i64 = 15;

/// What is being attempted (recorded with a lockout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum During {
    Login,
    Signature,
}

impl During {
    fn as_str(self) -> &'static str {
        match self {
            During::Login => "login",
            During::Signature => "signature",
        }
    }
}

/// Who attempts, as the trail records a lockout.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    /// The tenant named (for a login it may not exist).
    pub tenant: &'a str,
    pub username: &'a str,
    pub actor: Actor,
    /// The user record the lockout is about (its id when known, else the name).
    pub entity_id: String,
    pub during: During,
    pub request: RequestContext,
}

/// Failed attempts of (tenant, username) in the window so far.
pub async fn failures(store: &Store, tenant: &str, username: &str) -> Result<u64, ServiceError> {
    let since = chrono::Utc::now() - chrono::Duration::minutes(WINDOW_MINUTES);
    Ok(store.failures_since(tenant, username, since).await?)
}

/// The one gate before a password is checked. Returns the failures so far in the window;
/// at the threshold, records the lockout and refuses with `LockedOut`.
pub async fn gate(store: &Store, a: &Attempt<'_>) -> Result<u64, ServiceError> {
    let n = failures(store, a.tenant, a.username).await?;
    if n < THRESHOLD {
        return Ok(n);
    }
    store
        .record_attempt(a.tenant, a.username, FailureReason::LockedOut)
        .await?;
    let mut d = EventDraft::new(
        a.actor.clone(),
        "auth.lockout",
        "user",
        Some(clip(&a.entity_id, 128)),
    );
    d.new_value = Some(serde_json::json!({
        "alert": true,
        "during": a.during.as_str(),
        "failed_attempts_in_window": n,
        "window_minutes": WINDOW_MINUTES,
    }));
    d.request = a.request.clone();
    if store.record_if_tenant(a.tenant, d).await? {
        tracing::warn!(
            tenant = %clip(a.tenant, 64),
            during = a.during.as_str(),
            "alert: account locked out after repeated failed attempts"
        );
    }
    Err(ServiceError::Store(store::StoreError::LockedOut))
}

/// A wrong password at login or signing: counted toward the lockout.
pub async fn count_failure(
    store: &Store,
    tenant: &str,
    username: &str,
) -> Result<(), ServiceError> {
    Ok(store
        .record_attempt(tenant, username, FailureReason::BadCredentials)
        .await?)
}

/// A successful login, in the attempt log.
pub async fn count_success(
    store: &Store,
    tenant: &str,
    username: &str,
) -> Result<(), ServiceError> {
    Ok(store
        .record_attempt(tenant, username, FailureReason::Ok)
        .await?)
}
