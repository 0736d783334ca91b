//! Users, roles, login (with lockout) and sessions, all in the control plane.

use crate::credentials::{self, check_password_policy, token_hash};
use crate::entities::{login_attempts, sessions, tenants, user_roles, users};
use crate::{By, Role, Slug, Store, StoreError, validate_username};
use audit::{Actor, EventDraft, RequestContext};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::Serialize;
use uuid::Uuid;

/// Failed attempts within [`LOCKOUT_WINDOW_MINUTES`] that lock an account.
pub const LOCKOUT_THRESHOLD: u64 = 5;
pub const LOCKOUT_WINDOW_MINUTES: i64 = 15;

/// How long a validated session is trusted from memory before the database is asked again.
/// Logout, deactivation and role changes made through this process take effect at once;
/// made through another node, within this time.
pub const SESSION_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(2);
const SESSION_CACHE_MAX: usize = 10_000;

#[derive(Debug, Clone)]
struct CachedSession {
    principal: Principal,
    last_seen_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    fetched: std::time::Instant,
}

/// Validated sessions by token hash, for [`SESSION_CACHE_TTL`].
#[derive(Debug, Default)]
pub(crate) struct SessionCache(std::sync::Mutex<std::collections::HashMap<String, CachedSession>>);

impl SessionCache {
    fn get(&self, hash: &str, now: DateTime<Utc>, idle: Duration) -> Option<Principal> {
        let map = self.0.lock().ok()?;
        let c = map.get(hash)?;
        (c.fetched.elapsed() < SESSION_CACHE_TTL
            && now < c.expires_at
            && now < c.last_seen_at + idle)
            .then(|| c.principal.clone())
    }

    fn put(&self, hash: String, c: CachedSession) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= SESSION_CACHE_MAX {
                map.retain(|_, v| v.fetched.elapsed() < SESSION_CACHE_TTL);
                if map.len() >= SESSION_CACHE_MAX {
                    map.clear();
                }
            }
            map.insert(hash, c);
        }
    }

    fn forget(&self, keep: impl Fn(&Principal) -> bool) {
        if let Ok(mut map) = self.0.lock() {
            map.retain(|_, v| keep(&v.principal));
        }
    }
}

/// Session lifetimes.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// A session unused for this long expires.
    pub idle: std::time::Duration,
    /// A session expires this long after login, whatever the activity.
    pub absolute: std::time::Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: std::time::Duration::from_secs(30 * 60),
            absolute: std::time::Duration::from_secs(12 * 3600),
        }
    }
}

/// Who is calling: resolved from a valid session. The tenant comes only from here.
#[derive(Debug, Clone)]
pub struct Principal {
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub tenant_id: Uuid,
    pub tenant: Slug,
    pub roles: Vec<Role>,
}

impl Principal {
    pub fn has_any(&self, roles: &[Role]) -> bool {
        self.roles.iter().any(|r| roles.contains(r))
    }
}

/// A user as shown by the API (never the hash).
#[derive(Debug, Clone, Serialize)]
pub struct UserInfo {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: Option<String>,
    pub password: String,
    pub roles: Vec<Role>,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub roles: Option<Vec<Role>>,
    pub active: Option<bool>,
    pub display_name: Option<String>,
}

/// A successful login: the token is shown once and never stored.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserInfo,
}

/// A valid Argon2id hash of a random password, verified against when the user does not
/// exist so that unknown users and wrong passwords take the same time.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| {
        credentials::hash_password(&credentials::random_password()).unwrap_or_default()
    })
}

fn chrono_dur(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::MAX)
}

/// What is recorded of a login's tenant or username: at most `n` characters, control
/// characters (including NUL, which PostgreSQL text refuses) replaced.
fn clip(s: &str, n: usize) -> String {
    s.chars()
        .take(n)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

impl Store {
    async fn tenant_by_slug(&self, slug: &Slug) -> Result<tenants::Model, StoreError> {
        tenants::Entity::find()
            .filter(tenants::Column::Slug.eq(slug.as_str()))
            .one(self.control())
            .await?
            .ok_or_else(|| StoreError::UnknownTenant(slug.to_string()))
    }

    async fn roles_of(&self, user_id: Uuid) -> Result<Vec<Role>, StoreError> {
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
        let txn = self.control().begin().await?;
        let inserted = users::ActiveModel {
            id: Set(id),
            tenant_id: Set(t.id),
            username: Set(new.username.clone()),
            display_name: Set(display_name.clone()),
            password_hash: Set(hash),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
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
            .insert(&txn)
            .await?;
        }
        let info = UserInfo {
            id,
            username: new.username,
            display_name,
            roles,
            active: true,
            created_at: now,
        };
        let mut d = by.draft("user.create", "user", Some(id.to_string()));
        d.new_value = Some(user_json(&info));
        self.commit_with_event(txn, tenant, d).await?;
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
        let txn = self.control().begin().await?;
        let u = users::Entity::find_by_id(user_id)
            .filter(users::Column::TenantId.eq(tenant_id))
            .one(&txn)
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
                sessions::Entity::update_many()
                    .col_expr(
                        sessions::Column::RevokedAt,
                        sea_orm::sea_query::Expr::value(Utc::now()),
                    )
                    .filter(sessions::Column::UserId.eq(user_id))
                    .filter(sessions::Column::RevokedAt.is_null())
                    .exec(&txn)
                    .await?;
            }
        }
        am.updated_at = Set(Utc::now());
        let u = am.update(&txn).await?;
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
                .exec(&txn)
                .await?;
            for r in &roles {
                user_roles::ActiveModel {
                    user_id: Set(user_id),
                    role: Set(r.as_str().to_owned()),
                }
                .insert(&txn)
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
        self.commit_with_event(txn, tenant, d).await?;
        self.session_cache().forget(|p| p.user_id != user_id);
        Ok(after)
    }

    /// Record an event in the trail of `tenant` if such a tenant exists (login attempts name
    /// a tenant that may not). Returns whether it was recorded.
    async fn record_if_tenant(&self, tenant: &str, draft: EventDraft) -> Result<bool, StoreError> {
        let Ok(slug) = Slug::parse(tenant) else {
            return Ok(false);
        };
        if self.find_tenant(slug.as_str()).await?.is_none() {
            return Ok(false);
        }
        self.record_now(&slug, draft).await?;
        Ok(true)
    }

    /// Failed attempts for (tenant, username) within the lockout window.
    pub async fn recent_failures(&self, tenant: &str, username: &str) -> Result<u64, StoreError> {
        let since = Utc::now() - Duration::minutes(LOCKOUT_WINDOW_MINUTES);
        Ok(login_attempts::Entity::find()
            .filter(login_attempts::Column::TenantSlug.eq(clip(tenant, 64)))
            .filter(login_attempts::Column::Username.eq(clip(username, 128)))
            .filter(login_attempts::Column::Reason.eq("bad_credentials"))
            .filter(login_attempts::Column::At.gt(since))
            .count(self.control())
            .await?)
    }

    /// Record a login (or signature) attempt in the control plane.
    pub(crate) async fn record_attempt(
        &self,
        tenant: &str,
        username: &str,
        success: bool,
        reason: &str,
    ) -> Result<(), StoreError> {
        login_attempts::ActiveModel {
            tenant_slug: Set(clip(tenant, 64)),
            username: Set(clip(username, 128)),
            success: Set(success),
            reason: Set(reason.to_owned()),
            at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(self.control())
        .await?;
        Ok(())
    }

    /// Check credentials and open a session. Unknown tenant, unknown user, inactive user and
    /// wrong password all give [`StoreError::InvalidCredentials`] after the same work; five
    /// failures in fifteen minutes give [`StoreError::LockedOut`] (recorded as such).
    pub async fn login(
        &self,
        tenant: &str,
        username: &str,
        password: &str,
        policy: SessionPolicy,
        request: RequestContext,
    ) -> Result<LoginOutcome, StoreError> {
        let claimed = Actor {
            user_id: None,
            username: Some(clip(username, 128)),
            printed_name: None,
        };
        let failures = self.recent_failures(tenant, username).await?;
        if failures >= LOCKOUT_THRESHOLD {
            self.record_attempt(tenant, username, false, "locked_out")
                .await?;
            let mut d = EventDraft::new(claimed, "auth.lockout", "user", Some(clip(username, 128)));
            d.new_value = Some(serde_json::json!({
                "alert": true,
                "failed_attempts_in_window": failures,
                "window_minutes": LOCKOUT_WINDOW_MINUTES,
            }));
            d.request = request;
            if self.record_if_tenant(tenant, d).await? {
                tracing::warn!(tenant = %clip(tenant, 64), "alert: account locked out after repeated failed logins");
            }
            return Err(StoreError::LockedOut);
        }
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
                        .map(|u| (t, u)),
                    None => None,
                }
            }
            _ => None,
        };
        let hash = found
            .as_ref()
            .map(|(_, u)| u.password_hash.clone())
            .unwrap_or_else(|| dummy_hash().to_owned());
        let pw = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || credentials::verify_password(&pw, &hash))
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        let mut claimed = claimed;
        claimed.user_id = found.as_ref().map(|(_, u)| u.id.to_string());
        let (_tenant, user) = match found {
            Some((t, u)) if ok && u.active => (t, u),
            _ => {
                self.record_attempt(tenant, username, false, "bad_credentials")
                    .await?;
                let mut d = EventDraft::new(
                    claimed,
                    "auth.login_failed",
                    "user",
                    Some(clip(username, 128)),
                );
                d.new_value = Some(serde_json::json!({
                    "failed_attempts_in_window": failures + 1,
                }));
                d.request = request;
                self.record_if_tenant(tenant, d).await?;
                return Err(StoreError::InvalidCredentials);
            }
        };
        self.record_attempt(tenant, username, true, "ok").await?;
        let token = credentials::new_token();
        let now = Utc::now();
        let expires_at = now + chrono_dur(policy.absolute);
        let session_id = Uuid::new_v4();
        let slug = Slug::parse(tenant)?;
        // The event and the session commit together (see `Store::control_exec`): a session
        // whose event failed is never handed out, and a login holds one pooled connection
        // on PostgreSQL, so concurrent logins cannot exhaust the pool.
        let ttx = self.begin_tenant(&slug).await?;
        let mut d = EventDraft::new(
            Actor::user(
                user.id.to_string(),
                user.username.clone(),
                user.display_name.clone(),
            ),
            "auth.login",
            "session",
            Some(session_id.to_string()),
        );
        d.new_value = Some(serde_json::json!({ "expires_at": audit::format_time(expires_at) }));
        d.request = request;
        self.record(&ttx, &slug, d).await?;
        let q = Query::insert()
            .into_table(self.control_table(sessions::Entity))
            .columns([
                sessions::Column::Id,
                sessions::Column::TokenHash,
                sessions::Column::UserId,
                sessions::Column::TenantId,
                sessions::Column::CreatedAt,
                sessions::Column::LastSeenAt,
                sessions::Column::ExpiresAt,
            ])
            .values([
                Expr::value(session_id),
                Expr::value(token_hash(&token)),
                Expr::value(user.id),
                Expr::value(user.tenant_id),
                Expr::value(now),
                Expr::value(now),
                Expr::value(expires_at),
            ])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .to_owned();
        self.control_exec(&ttx, &q).await?;
        ttx.commit().await?;
        let roles = self.roles_of(user.id).await?;
        Ok(LoginOutcome {
            token,
            expires_at: expires_at.min(now + chrono_dur(policy.idle)),
            user: user_info(user, roles),
        })
    }

    /// Resolve a bearer token to its principal, enforcing revocation, the absolute lifetime
    /// and the idle timeout; refreshes the idle clock (at most every `idle / 10`, capped at a
    /// minute, to keep reads cheap).
    pub async fn authenticate(
        &self,
        token: &str,
        policy: SessionPolicy,
    ) -> Result<Principal, StoreError> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Unauthenticated);
        }
        let hash = token_hash(token);
        let now = Utc::now();
        let idle = chrono_dur(policy.idle);
        if let Some(p) = self.session_cache().get(&hash, now, idle) {
            return Ok(p);
        }
        let s = sessions::Entity::find()
            .filter(sessions::Column::TokenHash.eq(hash.clone()))
            .one(self.control())
            .await?
            .ok_or(StoreError::Unauthenticated)?;
        if s.revoked_at.is_some() || now >= s.expires_at || now >= s.last_seen_at + idle {
            return Err(StoreError::Unauthenticated);
        }
        let u = users::Entity::find_by_id(s.user_id)
            .one(self.control())
            .await?
            .filter(|u| u.active)
            .ok_or(StoreError::Unauthenticated)?;
        let t = tenants::Entity::find_by_id(s.tenant_id)
            .one(self.control())
            .await?
            .ok_or(StoreError::Unauthenticated)?;
        let refresh = (idle / 10).min(Duration::minutes(1));
        let mut last_seen_at = s.last_seen_at;
        if now - s.last_seen_at >= refresh {
            last_seen_at = now;
            let stmt = sessions::Entity::update_many()
                .col_expr(
                    sessions::Column::LastSeenAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(sessions::Column::Id.eq(s.id));
            stmt.exec(self.control()).await?;
        }
        let roles = self.roles_of(u.id).await?;
        let principal = Principal {
            session_id: s.id,
            user_id: u.id,
            username: u.username,
            display_name: u.display_name,
            tenant_id: t.id,
            tenant: Slug::parse(&t.slug)?,
            roles,
        };
        self.session_cache().put(
            hash,
            CachedSession {
                principal: principal.clone(),
                last_seen_at,
                expires_at: s.expires_at,
                fetched: std::time::Instant::now(),
            },
        );
        Ok(principal)
    }

    /// Log out: revoke the caller's session, recorded as `auth.logout`.
    pub async fn logout(&self, who: &Principal, request: RequestContext) -> Result<(), StoreError> {
        let by = By::principal(who, request);
        let d = by.draft("auth.logout", "session", Some(who.session_id.to_string()));
        let ttx = self.begin_tenant(&who.tenant).await?;
        self.record(&ttx, &who.tenant, d).await?;
        let q = Query::update()
            .table(self.control_table(sessions::Entity))
            .value(sessions::Column::RevokedAt, Utc::now())
            .and_where(sessions::Column::Id.eq(who.session_id))
            .to_owned();
        self.control_exec(&ttx, &q).await?;
        ttx.commit().await?;
        self.session_cache()
            .forget(|p| p.session_id != who.session_id);
        Ok(())
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

/// A user as the audit trail records it (never the password hash).
fn user_json(u: &UserInfo) -> serde_json::Value {
    serde_json::json!({
        "username": u.username,
        "display_name": u.display_name,
        "roles": u.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "active": u.active,
    })
}

fn user_info(u: users::Model, roles: Vec<Role>) -> UserInfo {
    UserInfo {
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        roles,
        active: u.active,
        created_at: u.created_at,
    }
}
