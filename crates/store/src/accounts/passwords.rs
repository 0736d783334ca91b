//! Password changes, storage only: the new hash, the old one kept in `password_history`
//! (the last [`PASSWORD_HISTORY`]), the must-change flag, sessions revoked, and the event
//! (never a password or a hash) in one commit. Who may change whose password, and whether
//! the new one is acceptable, is the application layer's (`service::accounts`).

use super::{UserInfo, user_info};
use crate::entities::{password_history, users};
use crate::{By, Slug, Store, StoreError, credentials};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

/// How many earlier passwords are kept (a new password may not repeat them).
pub const PASSWORD_HISTORY: usize = 5;

/// A password change to store.
#[derive(Debug, Clone)]
pub struct PasswordChange {
    pub user_id: Uuid,
    /// The new password (policy-checked by the caller); hashed here.
    pub password: String,
    /// Whether the user must change it again at next login (an admin's reset).
    pub must_change: bool,
    /// The session kept (the caller's own, when changing one's own password); every other
    /// session of the user is revoked.
    pub keep_session: Option<Uuid>,
    /// The event's action: `user.password_change` or `user.password_reset`.
    pub action: &'static str,
    pub reason: Option<String>,
}

impl Store {
    /// The current hash and the last [`PASSWORD_HISTORY`] hashes of a user of `tenant_id`.
    pub async fn recent_password_hashes(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
    ) -> Result<Vec<String>, StoreError> {
        let u = users::Entity::find_by_id(user_id)
            .filter(users::Column::TenantId.eq(tenant_id))
            .one(self.control())
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        let mut out = vec![u.password_hash];
        out.extend(
            password_history::Entity::find()
                .filter(password_history::Column::UserId.eq(user_id))
                .order_by_desc(password_history::Column::Id)
                .limit(PASSWORD_HISTORY as u64)
                .all(self.control())
                .await?
                .into_iter()
                .map(|h| h.password_hash),
        );
        Ok(out)
    }

    /// Store a new password of a user of `tenant` (see [`PasswordChange`]).
    pub async fn set_password(
        &self,
        tenant: &Slug,
        tenant_id: Uuid,
        change: PasswordChange,
        by: &By,
    ) -> Result<UserInfo, StoreError> {
        let password = change.password.clone();
        let hash = tokio::task::spawn_blocking(move || credentials::hash_password(&password))
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))??;
        let user_id = change.user_id;
        let cc = self.begin_control_change(tenant).await?;
        let u = users::Entity::find_by_id(user_id)
            .filter(users::Column::TenantId.eq(tenant_id))
            .one(&cc.txn)
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        let now = Utc::now();
        password_history::ActiveModel {
            user_id: Set(user_id),
            password_hash: Set(u.password_hash.clone()),
            retired_at: Set(now),
            ..Default::default()
        }
        .insert(&cc.txn)
        .await?;
        let keep: Vec<i64> = password_history::Entity::find()
            .filter(password_history::Column::UserId.eq(user_id))
            .order_by_desc(password_history::Column::Id)
            .limit(PASSWORD_HISTORY as u64)
            .all(&cc.txn)
            .await?
            .into_iter()
            .map(|h| h.id)
            .collect();
        password_history::Entity::delete_many()
            .filter(password_history::Column::UserId.eq(user_id))
            .filter(password_history::Column::Id.is_not_in(keep))
            .exec(&cc.txn)
            .await?;
        let mut am: users::ActiveModel = u.into();
        am.password_hash = Set(hash);
        am.must_change_password = Set(change.must_change);
        am.updated_at = Set(now);
        let u = am.update(&cc.txn).await?;
        let revoked =
            super::sessions::revoke_user_sessions(&cc.txn, user_id, change.keep_session).await?;
        let info = user_info(u, self.roles_of(user_id).await?);
        let mut d = by.draft(change.action, "user", Some(user_id.to_string()));
        d.new_value = Some(serde_json::json!({
            "username": info.username,
            "must_change_password": change.must_change,
            "sessions_revoked": revoked,
        }));
        d.reason = change
            .reason
            .map(|r| crate::clip(r.trim(), 1000))
            .filter(|r| !r.is_empty());
        self.commit_with_event(cc, d).await?;
        self.session_cache().forget(|p| p.user_id != user_id);
        Ok(info)
    }
}
