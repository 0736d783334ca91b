//! Users and roles, for administrators: the list, a new user (with a temporary password the
//! user must change at first login), roles and deactivation with a reason. The rules the
//! application layer keeps (no change of one's own roles, separation of duties) come back
//! as messages on the page.

use super::error::PageError;
use super::session::Viewer;
use super::view::{Chrome, page};
use crate::auth::CanManageUsers;
use crate::context::Ctx;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use store::{NewUser, Role, UserPatch};
use uuid::Uuid;

pub struct UserRow {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<(&'static str, bool)>,
    pub active: bool,
    pub must_change_password: bool,
    pub me: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    rows: Vec<UserRow>,
    all_roles: Vec<&'static str>,
}

#[get("/users")]
pub async fn list(
    state: web::Data<AppState>,
    who: Viewer<CanManageUsers>,
) -> Result<HttpResponse, PageError> {
    let users = service::accounts::list_users(&state.store, &who).await?;
    let rows = users
        .into_iter()
        .map(|u| UserRow {
            id: u.id,
            me: u.id == who.user_id,
            roles: Role::ALL
                .iter()
                .map(|r| (r.as_str(), u.roles.contains(r)))
                .collect(),
            username: u.username,
            display_name: u.display_name,
            active: u.active,
            must_change_password: u.must_change_password,
        })
        .collect();
    let p = UsersPage {
        chrome: Chrome::of(&who, "Users and roles"),
        rows,
        all_roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
    };
    Ok(page(&who, &p))
}

/// The form's fields, repeated names kept (`roles` once per ticked box).
fn fields(body: &web::Bytes) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn field<'a>(f: &'a [(String, String)], name: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn roles(f: &[(String, String)]) -> Result<Vec<Role>, PageError> {
    f.iter()
        .filter(|(k, _)| k == "roles")
        .map(|(_, v)| Role::parse(v).map_err(PageError::from))
        .collect()
}

/// A users form after its CSRF token: its fields and the roles ticked.
type UsersForm = (Vec<(String, String)>, Result<Vec<Role>, PageError>);

fn read_form(who: &Viewer<CanManageUsers>, body: &web::Bytes) -> Result<UsersForm, PageError> {
    let f = fields(body);
    who.check_csrf(field(&f, "csrf"))?;
    let r = roles(&f);
    Ok((f, r))
}

#[post("/users")]
pub async fn create(
    state: web::Data<AppState>,
    who: Viewer<CanManageUsers>,
    ctx: Ctx,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let (f, roles) = read_form(&who, &body)?;
    let roles = match roles {
        Ok(r) => r,
        Err(e) => return super::back(&who, "/users", Err(e)),
    };
    let display = field(&f, "display_name").trim();
    let out = service::accounts::create_user(
        &state.store,
        &who,
        NewUser {
            username: field(&f, "username").trim().to_owned(),
            display_name: (!display.is_empty()).then(|| display.to_owned()),
            password: field(&f, "password").to_owned(),
            roles,
            must_change_password: true,
        },
        ctx.0,
    )
    .await
    .map(|u| {
        format!(
            "user {} created; they choose their own password at first login",
            u.username
        )
    })
    .map_err(PageError::from);
    super::back(&who, "/users", out)
}

#[post("/users/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    who: Viewer<CanManageUsers>,
    ctx: Ctx,
    path: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let (f, roles) = read_form(&who, &body)?;
    let roles = match roles {
        Ok(r) => r,
        Err(e) => return super::back(&who, "/users", Err(e)),
    };
    let reason = field(&f, "reason").trim();
    let out = service::accounts::update_user(
        &state.store,
        &who,
        path.into_inner(),
        UserPatch {
            roles: Some(roles),
            active: Some(field(&f, "active") == "on"),
            display_name: None,
            reason: (!reason.is_empty()).then(|| reason.to_owned()),
        },
        ctx.0,
    )
    .await
    .map(|u| format!("user {} updated", u.username))
    .map_err(PageError::from);
    super::back(&who, "/users", out)
}
