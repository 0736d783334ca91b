//! The login-attempt log (control plane) and password checks. Counting failures toward a
//! lockout, and what a lockout does, is the application layer's policy; this file only
//! stores and answers.

use super::{UserInfo, user_info};
use crate::entities::{login_attempts, tenants, users};
use crate::text::clip;
use crate::{Slug, Store, StoreError, credentials, validate_username};
use audit::EventDraft;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
    TransactionTrait,
};
use uuid::Uuid;

/// How an attempt ended, as the attempt log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReason {
    /// Not a failure: the attempt succeeded.
    Ok,
    /// Unknown tenant, unknown or inactive user, or wrong password.
    BadCredentials,
    /// Refused without checking: the account is locked out.
    LockedOut,
    /// Reserved, its password being checked ([`Store::reserve_attempt`]): counts as a
    /// failure until it is resolved, so parallel guesses cannot all pass the gate.
    Pending,
}

impl FailureReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::Ok => "ok",
            FailureReason::BadCredentials => "bad_credentials",
            FailureReason::LockedOut => "locked_out",
            FailureReason::Pending => "pending",
        }
    }
}

/// What a credential check found.
#[derive(Debug, Clone)]
pub struct CredentialCheck {
    /// The user the name designates, when tenant and user exist (password right or not).
    pub user_id: Option<Uuid>,
    /// The user, its tenant and the tenant's id, when the password matched an active user.
    pub verified: Option<(UserInfo, Slug, Uuid)>,
}

/// A valid Argon2id hash of a random password, verified against when the user does not
/// exist so that unknown users and wrong passwords take the same time.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| {
        credentials::hash_password(&credentials::random_password()).unwrap_or_default()
    })
}

async fn verify(password: &str, hash: String) -> Result<bool, StoreError> {
    let pw = password.to_owned();
    tokio::task::spawn_blocking(move || credentials::verify_password(&pw, &hash))
        .await
        .map_err(|e| StoreError::Internal(e.to_string()))
}

/// An attempt reserved by [`Store::reserve_attempt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    /// The attempt's row; resolve it with [`Store::resolve_attempt`].
    pub id: i64,
    /// Failed attempts of the account in the window before this one.
    pub failures_before: u64,
}

/// What [`Store::reserve_attempt`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The attempt may check its password; resolve it afterwards.
    Reserved(Reservation),
    /// The failures reached the threshold: recorded as `locked_out`, no password check.
    LockedOut { failures: u64 },
    /// As many attempts as could still fail are checking their passwords right now: try
    /// again in a moment (nothing was recorded).
    Busy,
}

/// A `pending` attempt older than this is counted as failed (its process died).
const PENDING_STALE_SECS: i64 = 120;

impl Store {
    /// Reserve an attempt of (tenant, username) atomically, in one transaction that
    /// serialises the account's attempts (its first write takes SQLite's write lock; on
    /// PostgreSQL a transaction-scoped advisory lock on the account): with `failed` the
    /// failures since `since` (stale pending attempts included) and `pending` the attempts
    /// checking their passwords now, `failed >= threshold` locks out, `failed + pending <
    /// threshold` reserves a `pending` attempt, anything else is [`Slot::Busy`]. So however
    /// many attempts run in parallel, at most `threshold` failures ever reach the password
    /// check, and parallel right passwords are only delayed.
    pub async fn reserve_attempt(
        &self,
        tenant: &str,
        username: &str,
        since: DateTime<Utc>,
        threshold: u64,
    ) -> Result<Slot, StoreError> {
        let (tenant, username) = (clip(tenant, 64), clip(username, 128));
        let now = Utc::now();
        let stale = now - chrono::Duration::seconds(PENDING_STALE_SECS);
        let txn = self.control().begin().await?;
        if self.is_postgres() {
            txn.execute(sea_orm::Statement::from_sql_and_values(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                [format!("login:{tenant}/{username}").into()],
            ))
            .await?;
        } else {
            // A write first, so that this transaction holds SQLite's write lock before it
            // reads (a read-then-write transaction could not upgrade under contention).
            login_attempts::Entity::update_many()
                .col_expr(
                    login_attempts::Column::Reason,
                    sea_orm::sea_query::Expr::value(FailureReason::BadCredentials.as_str()),
                )
                .filter(login_attempts::Column::TenantSlug.eq(tenant.as_str()))
                .filter(login_attempts::Column::Username.eq(username.as_str()))
                .filter(login_attempts::Column::Reason.eq(FailureReason::Pending.as_str()))
                .filter(login_attempts::Column::At.lte(stale))
                .exec(&txn)
                .await?;
        }
        // One statement, so that an attempt resolved meanwhile is seen once, either way.
        let counted = login_attempts::Entity::find()
            .filter(login_attempts::Column::TenantSlug.eq(tenant.as_str()))
            .filter(login_attempts::Column::Username.eq(username.as_str()))
            .filter(login_attempts::Column::At.gt(since))
            .filter(login_attempts::Column::Reason.is_in([
                FailureReason::BadCredentials.as_str(),
                FailureReason::Pending.as_str(),
            ]))
            .all(&txn)
            .await?;
        let pending = counted
            .iter()
            .filter(|r| r.reason == FailureReason::Pending.as_str() && r.at > stale)
            .count() as u64;
        let failed = counted.len() as u64 - pending;
        let insert = |reason: FailureReason| login_attempts::ActiveModel {
            tenant_slug: Set(tenant.clone()),
            username: Set(username.clone()),
            success: Set(false),
            reason: Set(reason.as_str().to_owned()),
            at: Set(now),
            ..Default::default()
        };
        let slot = if failed >= threshold {
            insert(FailureReason::LockedOut).insert(&txn).await?;
            Slot::LockedOut { failures: failed }
        } else if failed + pending < threshold {
            let row = insert(FailureReason::Pending).insert(&txn).await?;
            Slot::Reserved(Reservation {
                id: row.id,
                failures_before: failed,
            })
        } else {
            Slot::Busy
        };
        txn.commit().await?;
        Ok(slot)
    }

    /// Record how a reserved attempt ended (`ok` or `bad_credentials`).
    pub async fn resolve_attempt(
        &self,
        r: &Reservation,
        outcome: FailureReason,
    ) -> Result<(), StoreError> {
        resolve_in(self.control(), r, outcome).await
    }

    /// Resolve a reserved attempt as failed (`bad_credentials`) and, when `draft` is given
    /// and the tenant exists, record it in the tenant's trail in the same change (tenant
    /// head first, then the control plane: one transaction on PostgreSQL, the ordered
    /// commits of `commit_with_event` on SQLite). Returns whether the tenant exists.
    pub async fn fail_attempt(
        &self,
        r: &Reservation,
        tenant: &str,
        draft: Option<EventDraft>,
    ) -> Result<bool, StoreError> {
        let slug = match Slug::parse(tenant) {
            Ok(s) if self.find_tenant(s.as_str()).await?.is_some() => Some(s),
            _ => None,
        };
        let exists = slug.is_some();
        match (slug, draft) {
            (Some(slug), Some(draft)) => {
                let change = self.begin_control_change(&slug).await?;
                resolve_in(&change.txn, r, FailureReason::BadCredentials).await?;
                self.commit_with_event(change, draft).await?;
            }
            _ => resolve_in(self.control(), r, FailureReason::BadCredentials).await?,
        }
        Ok(exists)
    }

    /// Failed attempts (bad credentials) for (tenant, username) since `since`.
    pub async fn failures_since(
        &self,
        tenant: &str,
        username: &str,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(login_attempts::Entity::find()
            .filter(login_attempts::Column::TenantSlug.eq(clip(tenant, 64)))
            .filter(login_attempts::Column::Username.eq(clip(username, 128)))
            .filter(login_attempts::Column::Reason.eq(FailureReason::BadCredentials.as_str()))
            .filter(login_attempts::Column::At.gt(since))
            .count(self.control())
            .await?)
    }

    /// Record an event in the trail of `tenant` if such a tenant exists (login attempts name
    /// a tenant that may not). Returns whether it was recorded.
    pub async fn record_if_tenant(
        &self,
        tenant: &str,
        draft: EventDraft,
    ) -> Result<bool, StoreError> {
        let Ok(slug) = Slug::parse(tenant) else {
            return Ok(false);
        };
        if self.find_tenant(slug.as_str()).await?.is_none() {
            return Ok(false);
        }
        self.record_now(&slug, draft).await?;
        Ok(true)
    }

    /// Check a tenant, username and password. Unknown tenant, unknown user, inactive user
    /// and wrong password all do the same work (a hash is verified either way).
    pub async fn check_credentials(
        &self,
        tenant: &str,
        username: &str,
        password: &str,
    ) -> Result<CredentialCheck, StoreError> {
        let found = match Slug::parse(tenant) {
            Ok(slug) if validate_username(username).is_ok() => {
                match tenants::Entity::find()
                    .filter(tenants::Column::Slug.eq(slug.as_str()))
                    .one(self.control())
                    .await?
                {
                    Some(t) => users::Entity::find()
                        .filter(users::Column::TenantId.eq(t.id))
                        .filter(users::Column::Username.eq(username))
                        .one(self.control())
                        .await?
                        .map(|u| (slug, t, u)),
                    None => None,
                }
            }
            _ => None,
        };
        let hash = found
            .as_ref()
            .map(|(_, _, u)| u.password_hash.clone())
            .unwrap_or_else(|| dummy_hash().to_owned());
        let ok = verify(password, hash).await?;
        let user_id = found.as_ref().map(|(_, _, u)| u.id);
        let verified = match found {
            Some((slug, t, u)) if ok && u.active => {
                let roles = self.roles_of(u.id).await?;
                Some((user_info(u, roles), slug, t.id))
            }
            _ => None,
        };
        Ok(CredentialCheck { user_id, verified })
    }

    /// Whether `password` is the password of active user `user_id` (a signature asks for it
    /// again). An inactive or deleted user is [`StoreError::Unauthenticated`].
    pub async fn verify_user_password(
        &self,
        user_id: Uuid,
        password: &str,
    ) -> Result<bool, StoreError> {
        let user = users::Entity::find_by_id(user_id)
            .one(self.control())
            .await?
            .filter(|u| u.active)
            .ok_or(StoreError::Unauthenticated)?;
        verify(password, user.password_hash).await
    }
}

/// Set how a reserved attempt ended, on `db`.
async fn resolve_in(
    db: &impl ConnectionTrait,
    r: &Reservation,
    outcome: FailureReason,
) -> Result<(), StoreError> {
    login_attempts::Entity::update_many()
        .col_expr(
            login_attempts::Column::Reason,
            sea_orm::sea_query::Expr::value(outcome.as_str()),
        )
        .col_expr(
            login_attempts::Column::Success,
            sea_orm::sea_query::Expr::value(outcome == FailureReason::Ok),
        )
        .filter(login_attempts::Column::Id.eq(r.id))
        .exec(db)
        .await?;
    Ok(())
}
