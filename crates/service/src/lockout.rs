//! The lockout policy (21 CFR Part 11 §11.300(d)): five failed attempts (wrong passwords at
//! login or at signing) within fifteen minutes lock the account; the lockout is refused,
//! recorded in the attempt log and in the tenant's trail as `auth.lockout` with
//! `"alert": true`, and logged as a warning. Login and signing both go through [`gate`]
//! (which reserves the attempt atomically, so parallel guesses cannot slip past the count)
//! and [`count_failure`]/[`count_success`]: one policy, one place. The gate first takes the
//! attempt from the rate limits ([`crate::attempts`]).

use crate::ServiceError;
use crate::attempts::Attempts;
use audit::{Actor, EventDraft, RequestContext};
use store::{FailureReason, Reservation, Slot, Store, clip};

/// Failed attempts within [`WINDOW_MINUTES`] that lock an account.
pub const THRESHOLD: u64 = 5;
pub const WINDOW_MINUTES: i64 = 15;
/// How long an attempt waits for the account's other attempts in flight.
const BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// What is being attempted (recorded with a lockout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum During {
    Login,
    Signature,
    PasswordChange,
}

impl During {
    fn as_str(self) -> &'static str {
        match self {
            During::Login => "login",
            During::Signature => "signature",
            During::PasswordChange => "password_change",
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

/// The one gate before a password is checked: reserves the attempt atomically
/// ([`Store::reserve_attempt`]: of N parallel attempts at most [`THRESHOLD`] minus the
/// failures so far pass). At the threshold, records the lockout and refuses with
/// `LockedOut`; otherwise the caller checks the password and resolves the reservation with
/// [`count_failure`] or [`count_success`].
pub async fn gate(
    store: &Store,
    attempts: &Attempts,
    a: &Attempt<'_>,
) -> Result<Reservation, ServiceError> {
    attempts.check(a.tenant, &a.request)?;
    let started = std::time::Instant::now();
    let failures = loop {
        let since = chrono::Utc::now() - chrono::Duration::minutes(WINDOW_MINUTES);
        match store
            .reserve_attempt(a.tenant, a.username, since, THRESHOLD)
            .await?
        {
            Slot::Reserved(r) => return Ok(r),
            Slot::LockedOut { failures } => break failures,
            // Other attempts of this account are checking their passwords: wait for them.
            Slot::Busy if started.elapsed() < BUSY_WAIT => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Slot::Busy => {
                return Err(ServiceError::Busy {
                    reason: "too many attempts for this account at once; try again in a minute"
                        .into(),
                    retry_after_secs: 60,
                });
            }
        }
    };
    let mut d = EventDraft::new(
        a.actor.clone(),
        "auth.lockout",
        "user",
        Some(clip(&a.entity_id, 128)),
    );
    d.new_value = Some(serde_json::json!({
        "alert": true,
        "during": a.during.as_str(),
        "failed_attempts_in_window": failures,
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

/// A wrong password at login or signing: the reserved attempt counts toward the lockout,
/// and `event` (when given) is recorded in the tenant's trail in the same change. Returns
/// whether the tenant exists.
pub async fn count_failure(
    store: &Store,
    r: &Reservation,
    tenant: &str,
    event: Option<EventDraft>,
) -> Result<bool, ServiceError> {
    Ok(store.fail_attempt(r, tenant, event).await?)
}

/// A right password: the reserved attempt no longer counts.
pub async fn count_success(store: &Store, r: &Reservation) -> Result<(), ServiceError> {
    Ok(store.resolve_attempt(r, FailureReason::Ok).await?)
}
