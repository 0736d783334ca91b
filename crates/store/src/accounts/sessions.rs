//! Sessions: opened at login (with their `auth.login` event in one unit of work), resolved
//! from a bearer token (idle and absolute lifetimes, revocation), revoked at logout.

use super::{LoginOutcome, Principal, SessionPolicy, UserInfo, chrono_dur};
use crate::credentials::{self, token_hash};
use crate::entities::{sessions, tenants, users};
use crate::{By, Slug, Store, StoreError};
use audit::{Actor, EventDraft, RequestContext};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

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

    pub(crate) fn forget(&self, keep: impl Fn(&Principal) -> bool) {
        if let Ok(mut map) = self.0.lock() {
            map.retain(|_, v| keep(&v.principal));
        }
    }
}

impl Store {
    /// Open a session for a user whose credentials were checked: the `auth.login` event and
    /// the session commit together (see `Store::control_exec`): a session whose event failed
    /// is never handed out, and a login holds one pooled connection on PostgreSQL, so
    /// concurrent logins cannot exhaust the pool.
    pub async fn open_session(
        &self,
        user: &UserInfo,
        tenant: &Slug,
        tenant_id: Uuid,
        policy: SessionPolicy,
        request: RequestContext,
    ) -> Result<LoginOutcome, StoreError> {
        let token = credentials::new_token();
        let now = Utc::now();
        let expires_at = now + chrono_dur(policy.absolute);
        let session_id = Uuid::new_v4();
        let ttx = self.begin_tenant(tenant).await?;
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
        self.record(&ttx, tenant, d).await?;
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
                Expr::value(tenant_id),
                Expr::value(now),
                Expr::value(now),
                Expr::value(expires_at),
            ])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .to_owned();
        self.control_exec(&ttx, &q).await?;
        ttx.commit().await?;
        Ok(LoginOutcome {
            token,
            expires_at: expires_at.min(now + chrono_dur(policy.idle)),
            user: user.clone(),
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
            must_change_password: u.must_change_password,
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
}

/// Revoke the open sessions of `user_id` in `txn`, except `keep` (the caller's own);
/// returns how many were revoked.
pub(crate) async fn revoke_user_sessions(
    txn: &sea_orm::DatabaseTransaction,
    user_id: Uuid,
    keep: Option<Uuid>,
) -> Result<u64, StoreError> {
    let mut q = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        q = q.filter(sessions::Column::Id.ne(keep));
    }
    Ok(q.exec(txn).await?.rows_affected)
}
