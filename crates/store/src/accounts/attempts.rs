//! The login-attempt log (control plane) and password checks. Counting failures toward a
//! lockout, and what a lockout does, is the application layer's policy; this file only
//! stores and answers.

use super::{UserInfo, user_info};
use crate::entities::{login_attempts, tenants, users};
use crate::text::clip;
use crate::{Slug, Store, StoreError, credentials, validate_username};
use audit::EventDraft;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
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
}

impl FailureReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::Ok => "ok",
            FailureReason::BadCredentials => "bad_credentials",
            FailureReason::LockedOut => "locked_out",
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

impl Store {
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

    /// Record a login (or signature) attempt in the control plane.
    pub async fn record_attempt(
        &self,
        tenant: &str,
        username: &str,
        outcome: FailureReason,
    ) -> Result<(), StoreError> {
        login_attempts::ActiveModel {
            tenant_slug: Set(clip(tenant, 64)),
            username: Set(clip(username, 128)),
            success: Set(outcome == FailureReason::Ok),
            reason: Set(outcome.as_str().to_owned()),
            at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(self.control())
        .await?;
        Ok(())
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
