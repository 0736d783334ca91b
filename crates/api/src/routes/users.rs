//! User management within the caller's tenant (admin only).

use crate::auth::{CanManageUsers, Guard};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{HttpResponse, get, patch as patch_route, post, web};
use serde::{Deserialize, Serialize};
use store::By;
use store::{NewUser, Role, UserInfo, UserPatch};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: uuid::Uuid,
    pub username: String,
    pub display_name: String,
    /// Any of writer, qa, manager, admin, auditor.
    pub roles: Vec<String>,
    pub active: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<UserInfo> for UserView {
    fn from(u: UserInfo) -> Self {
        UserView {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            roles: u.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            active: u.active,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub username: String,
    pub display_name: Option<String>,
    /// At least 12 characters, not the username.
    pub password: String,
    pub roles: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUser {
    pub roles: Option<Vec<String>>,
    pub active: Option<bool>,
    pub display_name: Option<String>,
}

fn parse_roles(roles: &[String]) -> Result<Vec<Role>, ApiError> {
    roles
        .iter()
        .map(|r| Role::parse(r).map_err(ApiError::from))
        .collect()
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
    let roles = parse_roles(&b.roles)?;
    let user = state
        .store
        .create_user(
            &who.tenant,
            NewUser {
                username: b.username,
                display_name: b.display_name,
                password: b.password,
                roles,
            },
            &By::principal(&who, ctx.0),
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
    let users: Vec<UserView> = state
        .store
        .list_users(who.tenant_id)
        .await?
        .into_iter()
        .map(UserView::from)
        .collect();
    Ok(HttpResponse::Ok().json(users))
}

/// Change a user's roles, display name or active flag (deactivating revokes sessions).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])), request_body = PatchUser,
    params(("id" = uuid::Uuid, Path, description = "user id")),
    responses(
        (status = 200, body = UserView),
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
    let roles = b.roles.as_deref().map(parse_roles).transpose()?;
    let user = state
        .store
        .update_user(
            &who.tenant,
            who.tenant_id,
            path.into_inner(),
            UserPatch {
                roles,
                active: b.active,
                display_name: b.display_name,
            },
            &By::principal(&who, ctx.0),
        )
        .await?;
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}
