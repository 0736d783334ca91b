//! Login, logout, the current user and their password.

use crate::auth::{AnyRole, Guard};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::routes::users::UserView;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use service::ServiceError;
use std::sync::atomic::Ordering;
use store::StoreError;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub tenant: String,
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Opaque bearer token; send it as `Authorization: Bearer <token>`.
    pub token: String,
    /// When the token expires if unused (idle timeout); activity extends it up to the
    /// absolute lifetime.
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub user: UserView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub tenant: String,
    pub user: UserView,
}

/// Log in to a tenant; unknown tenant, unknown user and wrong password answer the same.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = LoginResponse),
    (status = 401, body = crate::error::Problem),
    (status = 429, description = "locked out after 5 failures in 15 minutes, or too many attempts from this address or for this tenant (`Retry-After` says when to try again)", body = crate::error::Problem),
    (status = 503, description = "too many attempts for this account at once", body = crate::error::Problem)
))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    ctx: Ctx,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let out = service::accounts::login(
        &state.store,
        &state.attempts,
        state.settings.session_policy(),
        &b.tenant,
        &b.username,
        &b.password,
        ctx.0,
    )
    .await;
    let m = &state.metrics;
    match &out {
        Ok(_) => m.logins_ok.fetch_add(1, Ordering::Relaxed),
        Err(ServiceError::Store(StoreError::LockedOut)) => {
            m.logins_locked.fetch_add(1, Ordering::Relaxed)
        }
        Err(_) => m.logins_failed.fetch_add(1, Ordering::Relaxed),
    };
    let out = out?;
    Ok(HttpResponse::Ok().json(LoginResponse {
        token: out.token,
        expires_at: out.expires_at,
        user: out.user.into(),
    }))
}

/// Revoke the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "revoked"),
    (status = 401, body = crate::error::Problem)
))]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    who: Guard<AnyRole>,
    ctx: Ctx,
) -> Result<HttpResponse, ApiError> {
    service::accounts::logout(&state.store, &who, ctx.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The current user and tenant.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = MeResponse),
    (status = 401, body = crate::error::Problem)
))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, who: Guard<AnyRole>) -> Result<HttpResponse, ApiError> {
    let user = service::accounts::me(&state.store, &who).await?;
    Ok(HttpResponse::Ok().json(MeResponse {
        tenant: who.tenant.to_string(),
        user: user.into(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    /// At least 12 characters, not the username, not the current one nor one of the last
    /// five.
    #[schema(min_length = 12)]
    pub new_password: String,
}

/// Change one's own password (the current one is asked again and counts toward the
/// lockout); the other sessions of the user are revoked. Allowed while a password change
/// is due, when nothing else is.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", security(("bearer" = [])), request_body = ChangePassword, responses(
    (status = 200, body = UserView),
    (status = 400, description = "the new password breaks the policy or was used recently", body = crate::error::Problem),
    (status = 401, description = "wrong current password (counted toward the lockout)", body = crate::error::Problem),
    (status = 429, body = crate::error::Problem)
))]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    who: Guard<AnyRole>,
    ctx: Ctx,
    body: web::Json<ChangePassword>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let user = service::passwords::change_own(
        &state.store,
        &state.attempts,
        &who,
        &b.current_password,
        &b.new_password,
        ctx.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}
