//! Log in, log out, change one's password (also the forced change after a reset or the
//! bootstrap), through `service::accounts` and `service::passwords` as the API does.

use super::error::PageError;
use super::session::{
    Flash, LOGIN_COOKIE, SESSION_COOKIE, Viewer, cookie, csrf_for, csrf_ok, removal, tls_of,
};
use super::view::{Chrome, html, page, safe_next};
use crate::auth::OwnAccount;
use crate::context::Ctx;
use crate::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;
use std::sync::atomic::Ordering;

/// `/`: the documents.
#[get("/")]
pub async fn home() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/documents"))
        .finish()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    tenant: String,
    username: String,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

fn random_hex() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The login form, with a fresh `dc_login` value its CSRF token is bound to.
fn login_page(
    req: &HttpRequest,
    status: StatusCode,
    next: &str,
    tenant: &str,
    username: &str,
    flash: Option<Flash>,
) -> HttpResponse {
    let secret = random_hex();
    let p = LoginPage {
        chrome: Chrome::anonymous("Log in", csrf_for(&secret), flash),
        next: safe_next(next).to_owned(),
        tenant: tenant.to_owned(),
        username: username.to_owned(),
    };
    let mut res = html(status, &p);
    let mut c = cookie(LOGIN_COOKIE, secret, tls_of(req));
    c.set_max_age(actix_web::cookie::time::Duration::minutes(30));
    let _ = res.add_cookie(&c);
    res
}

#[get("/login")]
pub async fn login_form(req: HttpRequest, q: web::Query<LoginQuery>) -> HttpResponse {
    let next = q.next.as_deref().unwrap_or("/documents");
    // The message of the last form (the logout's), shown here once.
    let flash = Flash::of(&req);
    let shown = flash.is_some();
    let mut res = login_page(&req, StatusCode::OK, next, "", "", flash);
    if shown {
        let _ = res.add_cookie(&removal(super::session::FLASH_COOKIE, tls_of(&req)));
    }
    res
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    csrf: String,
    tenant: String,
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

#[post("/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let f = form.into_inner();
    let secret = req.cookie(LOGIN_COOKIE).map(|c| c.value().to_owned());
    if !secret.is_some_and(|s| csrf_ok(&s, &f.csrf)) {
        let flash = Flash {
            ok: false,
            text: PageError::Csrf.to_string(),
        };
        return Ok(login_page(
            &req,
            StatusCode::FORBIDDEN,
            &f.next,
            &f.tenant,
            &f.username,
            Some(flash),
        ));
    }
    let out = service::accounts::login(
        &state.store,
        &state.attempts,
        state.settings.session_policy(),
        f.tenant.trim(),
        f.username.trim(),
        &f.password,
        ctx.0,
    )
    .await;
    let m = &state.metrics;
    match out {
        Ok(out) => {
            m.logins_ok.fetch_add(1, Ordering::Relaxed);
            let to = if out.user.must_change_password {
                "/password".to_owned()
            } else {
                safe_next(&f.next).to_owned()
            };
            let tls = tls_of(&req);
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to))
                .cookie(cookie(SESSION_COOKIE, out.token, tls))
                .cookie(removal(LOGIN_COOKIE, tls))
                .finish())
        }
        Err(e) => {
            if matches!(
                e,
                service::ServiceError::Store(store::StoreError::LockedOut)
            ) {
                m.logins_locked.fetch_add(1, Ordering::Relaxed);
            } else {
                m.logins_failed.fetch_add(1, Ordering::Relaxed);
            }
            let err = PageError::from(e);
            let (status, detail) = match &err {
                PageError::Api(a) => a.public(),
                _ => (StatusCode::UNAUTHORIZED, err.to_string()),
            };
            if status.is_server_error() {
                return Err(err);
            }
            let flash = Flash {
                ok: false,
                text: detail,
            };
            Ok(login_page(
                &req,
                status,
                &f.next,
                &f.tenant,
                &f.username,
                Some(flash),
            ))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Revoke the session and forget the cookie.
#[post("/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    who: Viewer<OwnAccount>,
    ctx: Ctx,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    service::accounts::logout(&state.store, &who, ctx.0).await?;
    let flash = Flash {
        ok: true,
        text: "you are logged out".into(),
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/login"))
        .cookie(removal(SESSION_COOKIE, who.tls))
        .cookie(flash.cookie(who.tls))
        .finish())
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    due: bool,
}

#[get("/password")]
pub async fn password_form(who: Viewer<OwnAccount>) -> HttpResponse {
    let p = PasswordPage {
        chrome: Chrome::of(&who, "Change your password"),
        due: who.must_change_password,
    };
    page(&who, &p)
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current_password: String,
    new_password: String,
    confirm_password: String,
}

#[post("/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    who: Viewer<OwnAccount>,
    ctx: Ctx,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let f = form.into_inner();
    if f.new_password != f.confirm_password {
        return Ok(who.redirect_with(
            "/password",
            Flash {
                ok: false,
                text: "the new password and its confirmation differ".into(),
            },
        ));
    }
    let out = service::passwords::change_own(
        &state.store,
        &state.attempts,
        &who,
        &f.current_password,
        &f.new_password,
        ctx.0,
    )
    .await;
    match out {
        Ok(_) => Ok(who.redirect_with(
            "/documents",
            Flash {
                ok: true,
                text: "your password is changed; your other sessions were ended".into(),
            },
        )),
        Err(e) => super::back(&who, "/password", Err(e.into())),
    }
}
