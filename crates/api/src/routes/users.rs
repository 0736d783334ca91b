//! User management within the caller's tenant (admin only).

use crate::auth::{CanManageUsers, Guard};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{HttpResponse, get, patch as patch_route, post, web};
use serde::{Deserialize, Serialize};
use store::{NewUser, Role, UserInfo, UserPatch};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: uuid::Uuid,
    pub username: String,
    pub display_name: String,
    /// Any of writer, qa, manager, admin, auditor.
    #[schema(schema_with = super::schemas::roles)]
    pub roles: Vec<Role>,
    pub active: bool,
    /// The password was set by someone else: nothing but `POST /api/v1/me/password` is
    /// allowed until it is changed.
    pub must_change_password: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<UserInfo> for UserView {
    fn from(u: UserInfo) -> Self {
        UserView {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            roles: u.roles,
            active: u.active,
            must_change_password: u.must_change_password,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// 1 to 64 characters: a letter or digit first, then letters, digits, `.`, `_`, `-`,
    /// `@` (unique in the tenant, whatever the case).
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")]
    pub username: String,
    /// At most 200 characters; default: the username.
    #[schema(max_length = 200)]
    pub display_name: Option<String>,
    /// At least 12 characters, not the username.
    #[schema(min_length = 12)]
    pub password: String,
    #[schema(schema_with = super::schemas::roles)]
    pub roles: Vec<Role>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUser {
    #[schema(schema_with = super::schemas::roles_or_null)]
    pub roles: Option<Vec<Role>>,
    pub active: Option<bool>,
    pub display_name: Option<String>,
    /// Why: required when the change grants qa, manager or auditor.
    pub reason: Option<String>,
}

/// Add a user to the caller's tenant.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = CreateUser, responses(
    (status = 201, body = UserView),
    (status = 400, body = crate::error::Problem),
    (status = 403, body = crate::error::Problem),
    (status = 409, body = crate::error::Problem)
))]
#[post("/users")]
pub async fn create(
    state: web::Data<AppState>,
    who: Guard<CanManageUsers>,
    ctx: Ctx,
    body: web::Json<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let user = service::accounts::create_user(
        &state.store,
        &who,
        NewUser {
            username: b.username,
            display_name: b.display_name,
            password: b.password,
            roles: b.roles,
            must_change_password: true,
        },
        ctx.0,
    )
    .await?;
    Ok(HttpResponse::Created().json(UserView::from(user)))
}

/// The users of the caller's tenant.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), responses(
    (status = 200, body = [UserView]),
    (status = 403, body = crate::error::Problem)
))]
#[get("/users")]
pub async fn list(
    state: web::Data<AppState>,
    who: Guard<CanManageUsers>,
) -> Result<HttpResponse, ApiError> {
    let users: Vec<UserView> = service::accounts::list_users(&state.store, &who)
        .await?
        .into_iter()
        .map(UserView::from)
        .collect();
    Ok(HttpResponse::Ok().json(users))
}

/// Change a user's roles, display name or active flag (deactivating revokes sessions).
/// Nobody changes their own roles; granting qa, manager or auditor needs a `reason`.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])), request_body = PatchUser,
    params(("id" = uuid::Uuid, Path, description = "user id")),
    responses(
        (status = 200, body = UserView),
        (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)
))]
#[patch_route("/users/{id}")]
pub async fn patch(
    state: web::Data<AppState>,
    who: Guard<CanManageUsers>,
    ctx: Ctx,
    path: web::Path<uuid::Uuid>,
    body: web::Json<PatchUser>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let user = service::accounts::update_user(
        &state.store,
        &who,
        path.into_inner(),
        UserPatch {
            roles: b.roles,
            active: b.active,
            display_name: b.display_name,
            reason: b.reason,
        },
        ctx.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// A temporary password (at least 12 characters, not the username); the user must
    /// change it at next login.
    #[schema(min_length = 12)]
    pub new_password: String,
    /// Why (recorded with the `user.password_reset` event).
    pub reason: Option<String>,
}

/// Reset another user's password: their sessions are revoked and they must choose a new
/// one at next login. Not for one's own password (`POST /api/v1/me/password`).
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", security(("bearer" = [])), request_body = ResetPassword,
    params(("id" = uuid::Uuid, Path, description = "user id")),
    responses(
        (status = 200, body = UserView),
        (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)
))]
#[post("/users/{id}/password")]
pub async fn reset_password(
    state: web::Data<AppState>,
    who: Guard<CanManageUsers>,
    ctx: Ctx,
    path: web::Path<uuid::Uuid>,
    body: web::Json<ResetPassword>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let user = service::passwords::reset(
        &state.store,
        &who,
        path.into_inner(),
        &b.new_password,
        b.reason,
        ctx.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}
