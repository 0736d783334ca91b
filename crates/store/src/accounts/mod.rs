//! Users, roles, credentials and sessions, all in the control plane: storage only. The
//! policies (lockout, who may manage users) are the application layer's.
//!
//! - [`users`](self::users): create, list, change users and their roles;
//! - [`sessions`](self::sessions): open, resolve (with a short in-memory cache) and revoke
//!   sessions;
//! - [`attempts`](self::attempts): the login-attempt log and password checks;
//! - [`passwords`](self::passwords): password changes and the password history.

mod attempts;
mod passwords;
mod sessions;
mod users;

pub use attempts::{CredentialCheck, FailureReason, Reservation, Slot};
pub use passwords::{PASSWORD_HISTORY, PasswordChange};
pub(crate) use sessions::SessionCache;

use crate::{Role, Slug};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use uuid::Uuid;

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
    /// The user must change their password before anything else (`service::authz`).
    pub must_change_password: bool,
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
    /// A password change is due before anything else.
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: Option<String>,
    pub password: String,
    pub roles: Vec<Role>,
    /// The password was chosen by someone else (an admin, the operator, the bootstrap):
    /// the user must change it at first login.
    pub must_change_password: bool,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub roles: Option<Vec<Role>>,
    pub active: Option<bool>,
    pub display_name: Option<String>,
    /// Why the change is made (recorded as the event's reason).
    pub reason: Option<String>,
}

/// A successful login: the token is shown once and never stored.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserInfo,
}

fn chrono_dur(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::MAX)
}

/// A user as the audit trail records it (never the password hash).
pub(crate) fn user_json(u: &UserInfo) -> serde_json::Value {
    serde_json::json!({
        "username": u.username,
        "display_name": u.display_name,
        "roles": u.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "active": u.active,
        "must_change_password": u.must_change_password,
    })
}

pub(crate) fn user_info(u: crate::entities::users::Model, roles: Vec<Role>) -> UserInfo {
    UserInfo {
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        roles,
        active: u.active,
        must_change_password: u.must_change_password,
        created_at: u.created_at,
    }
}
