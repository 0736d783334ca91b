//! Users and their roles (control plane); each change is recorded in the tenant's trail in
//! the same unit of work.

use super::{NewUser, Principal, UserInfo, UserPatch, user_info, user_json};
use crate::credentials::{self, check_password_policy};
use crate::entities::{tenants, user_roles, users};
use crate::text::clip;
use crate::{By, Role, Slug, Store, StoreError, validate_username};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

impl Store {
    pub(crate) async fn tenant_by_slug(&self, slug: &Slug) -> Result<tenants::Model, StoreError> {
        tenants::Entity::find()
            .filter(tenants::Column::Slug.eq(slug.as_str()))
            .one(self.control())
            .await?
            .ok_or_else(|| StoreError::UnknownTenant(slug.to_string()))
    }

    pub(crate) async fn roles_of(&self, user_id: Uuid) -> Result<Vec<Role>, StoreError> {
        let mut roles: Vec<Role> = user_roles::Entity::find()
            .filter(user_roles::Column::UserId.eq(user_id))
            .all(self.control())
            .await?
            .into_iter()
            .filter_map(|r| Role::parse(&r.role).ok())
            .collect();
        roles.sort();
        Ok(roles)
    }

    /// Add a user to a tenant (policy-checked password, Argon2id hash).
    ///
    /// Recorded as `user.create` in the tenant's trail (never the password or its hash).
    pub async fn create_user(
        &self,
        tenant: &Slug,
        new: NewUser,
        by: &By,
    ) -> Result<UserInfo, StoreError> {
        validate_username(&new.username)?;
        check_password_policy(&new.username, &new.password)?;
        if new.roles.is_empty() {
            return Err(StoreError::InvalidInput(
                "give the user at least one role".into(),
            ));
        }
        let display_name = new
            .display_name
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| new.username.clone());
        if display_name.chars().count() > 200 {
            return Err(StoreError::InvalidInput(
                "display name must be at most 200 characters".into(),
            ));
        }
        let t = self.tenant_by_slug(tenant).await?;
        let password = new.password;
        let hash = tokio::task::spawn_blocking(move || credentials::hash_password(&password))
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))??;
        let now = Utc::now();
        let id = Uuid::new_v4();
        let change = self.begin_control_change(tenant).await?;
        let inserted = users::ActiveModel {
            id: Set(id),
            tenant_id: Set(t.id),
            username: Set(new.username.clone()),
            display_name: Set(display_name.clone()),
            password_hash: Set(hash),
            active: Set(true),
            must_change_password: Set(new.must_change_password),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&change.txn)
        .await;
        if let Err(e) = inserted {
            return Err(match e.sql_err() {
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                    StoreError::UserExists(new.username)
                }
                _ => e.into(),
            });
        }
        let mut roles = new.roles;
        roles.sort();
        roles.dedup();
        for r in &roles {
            user_roles::ActiveModel {
                user_id: Set(id),
                role: Set(r.as_str().to_owned()),
            }
            .insert(&change.txn)
            .await?;
        }
        let info = UserInfo {
            id,
            username: new.username,
            display_name,
            roles,
            active: true,
            must_change_password: new.must_change_password,
            created_at: now,
        };
        let mut d = by.draft("user.create", "user", Some(id.to_string()));
        d.new_value = Some(user_json(&info));
        self.commit_with_event(change, d).await?;
        Ok(info)
    }

    pub async fn list_users(&self, tenant_id: Uuid) -> Result<Vec<UserInfo>, StoreError> {
        let rows = users::Entity::find()
            .filter(users::Column::TenantId.eq(tenant_id))
            .order_by_asc(users::Column::Username)
            .all(self.control())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for u in rows {
            let roles = self.roles_of(u.id).await?;
            out.push(user_info(u, roles));
        }
        Ok(out)
    }

    /// Change a user of `tenant_id`; another tenant's user is `NotFound`. Deactivating a
    /// user revokes their sessions.
    ///
    /// Recorded as `user.update` with the old and the new value.
    pub async fn update_user(
        &self,
        tenant: &Slug,
        tenant_id: Uuid,
        user_id: Uuid,
        patch: UserPatch,
        by: &By,
    ) -> Result<UserInfo, StoreError> {
        let change = self.begin_control_change(tenant).await?;
        let u = users::Entity::find_by_id(user_id)
            .filter(users::Column::TenantId.eq(tenant_id))
            .one(&change.txn)
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        let before = user_info(u.clone(), self.roles_of(user_id).await?);
        let mut am: users::ActiveModel = u.into();
        if let Some(d) = patch.display_name {
            let d = d.trim().to_owned();
            if d.is_empty() || d.chars().count() > 200 {
                return Err(StoreError::InvalidInput(
                    "display name must be 1 to 200 characters".into(),
                ));
            }
            am.display_name = Set(d);
        }
        if let Some(a) = patch.active {
            am.active = Set(a);
            if !a {
                super::sessions::revoke_user_sessions(&change.txn, user_id, None).await?;
            }
        }
        am.updated_at = Set(Utc::now());
        let u = am.update(&change.txn).await?;
        let new_roles = if let Some(mut roles) = patch.roles {
            if roles.is_empty() {
                return Err(StoreError::InvalidInput(
                    "give the user at least one role".into(),
                ));
            }
            roles.sort();
            roles.dedup();
            user_roles::Entity::delete_many()
                .filter(user_roles::Column::UserId.eq(user_id))
                .exec(&change.txn)
                .await?;
            for r in &roles {
                user_roles::ActiveModel {
                    user_id: Set(user_id),
                    role: Set(r.as_str().to_owned()),
                }
                .insert(&change.txn)
                .await?;
            }
            Some(roles)
        } else {
            None
        };
        let roles = new_roles.unwrap_or_else(|| before.roles.clone());
        let after = user_info(u, roles);
        let mut d = by.draft("user.update", "user", Some(user_id.to_string()));
        d.old_value = Some(user_json(&before));
        d.new_value = Some(user_json(&after));
        d.reason = patch
            .reason
            .map(|r| clip(r.trim(), 1000))
            .filter(|r| !r.is_empty());
        self.commit_with_event(change, d).await?;
        self.session_cache().forget(|p| p.user_id != user_id);
        Ok(after)
    }

    /// The user behind a principal, for `GET /me`.
    pub async fn user_info(&self, p: &Principal) -> Result<UserInfo, StoreError> {
        let u = users::Entity::find_by_id(p.user_id)
            .one(self.control())
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        Ok(user_info(u, p.roles.clone()))
    }

    /// Whether any user exists at all (first-start bootstrap).
    pub async fn has_users(&self) -> Result<bool, StoreError> {
        Ok(users::Entity::find().count(self.control()).await? > 0)
    }

    /// Used only to keep `ConnectionTrait` imported for backends' raw statements.
    #[doc(hidden)]
    pub fn is_postgres(&self) -> bool {
        self.control().get_database_backend() == sea_orm::DatabaseBackend::Postgres
    }
}
