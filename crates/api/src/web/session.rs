//! Page sessions: the API's session token in a cookie, the CSRF token derived from it, and
//! the one-shot message a form leaves for the page it returns to.
//!
//! - `dc_session`: the session token; HttpOnly, SameSite=Strict, `Path=/`, Secure under
//!   TLS. Idle and absolute expiry are the API's (`[sessions]`).
//! - CSRF: every form carries [`csrf_for`] of the session token, a value a page of another
//!   site can neither read nor compute; the login form, before any session, carries a
//!   random value also set in the `dc_login` cookie (double submit).
//! - `dc_flash`: the outcome of the last form (a message, not an error page), read once by
//!   the next page.

use super::error::PageError;
use crate::auth::Policy;
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use service::authz::{Action, allowed};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use store::Principal;

pub const SESSION_COOKIE: &str = "dc_session";
pub const FLASH_COOKIE: &str = "dc_flash";
pub const LOGIN_COOKIE: &str = "dc_login";
/// Characters of a message kept in the flash cookie (hex-encoded UTF-8: under the 4 KiB a
/// browser keeps of a cookie).
const MAX_FLASH: usize = 400;

/// The CSRF token of a session (or of a login form's `dc_login` value).
pub fn csrf_for(secret: &str) -> String {
    hex::encode(Sha256::digest(format!("dualcheck.csrf.v1\n{secret}")))
}

/// Equal, in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `given` is the CSRF token of `secret`.
pub fn csrf_ok(secret: &str, given: &str) -> bool {
    same(&csrf_for(secret), given)
}

/// A cookie of the pages: HttpOnly, SameSite=Strict, `Path=/`, Secure under TLS.
pub fn cookie(name: &'static str, value: String, tls: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(tls)
        .finish()
}

/// The cookie that removes `name`.
pub fn removal(name: &'static str, tls: bool) -> Cookie<'static> {
    let mut c = cookie(name, String::new(), tls);
    c.set_max_age(CookieDuration::ZERO);
    c
}

/// The outcome of the last form, shown once.
#[derive(Debug, Clone)]
pub struct Flash {
    pub ok: bool,
    pub text: String,
}

impl Flash {
    fn encode(&self) -> String {
        let text = store::clip(&self.text, MAX_FLASH);
        format!(
            "{}{}",
            if self.ok { "ok." } else { "no." },
            hex::encode(text.as_bytes())
        )
    }

    /// The message a request carries, if any.
    pub fn of(req: &HttpRequest) -> Option<Flash> {
        req.cookie(FLASH_COOKIE)
            .and_then(|c| Flash::decode(c.value()))
    }

    fn decode(v: &str) -> Option<Flash> {
        let (kind, text) = v.split_at_checked(3)?;
        let text = String::from_utf8(hex::decode(text).ok()?).ok()?;
        Some(Flash {
            ok: kind == "ok.",
            text,
        })
    }

    /// The cookie carrying this message to the next page.
    pub fn cookie(&self, tls: bool) -> Cookie<'static> {
        let mut c = cookie(FLASH_COOKIE, self.encode(), tls);
        c.set_max_age(CookieDuration::seconds(120));
        c
    }
}

/// Whether the server speaks TLS (cookies are then Secure).
pub fn tls_of(req: &HttpRequest) -> bool {
    req.app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.tls_enabled())
}

/// The page a login should return to: this GET's own path and query, never another site.
fn next_of(req: &HttpRequest) -> String {
    if req.method() != actix_web::http::Method::GET {
        return "/documents".into();
    }
    let pq = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/documents");
    super::view::safe_next(pq).to_owned()
}

/// The signed-in user of a page, holding a role allowed by `P`.
#[derive(Debug)]
pub struct Viewer<P: Policy> {
    pub principal: Principal,
    /// The CSRF token every form of this page carries.
    pub csrf: String,
    pub flash: Option<Flash>,
    /// Seconds of inactivity before the session ends (`[sessions]`).
    pub idle_secs: u64,
    pub tls: bool,
    _policy: PhantomData<P>,
}

impl<P: Policy> std::ops::Deref for Viewer<P> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl<P: Policy> Viewer<P> {
    /// Refuse a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, given: &str) -> Result<(), PageError> {
        if same(&self.csrf, given) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }

    pub fn can(&self, action: Action) -> bool {
        allowed(&self.principal, action)
    }

    /// A redirect (303) to `to` carrying a message for that page.
    pub fn redirect_with(&self, to: &str, flash: Flash) -> HttpResponse {
        HttpResponse::SeeOther()
            .insert_header((actix_web::http::header::LOCATION, to.to_owned()))
            .cookie(flash.cookie(self.tls))
            .finish()
    }
}

impl<P: Policy + 'static> FromRequest for Viewer<P> {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        let flash = Flash::of(req);
        let next = next_of(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| PageError::internal("no app state"))?;
            let token = token.ok_or_else(|| PageError::Login { next: next.clone() })?;
            let policy = state.settings.session_policy();
            let principal = match state.store.authenticate(&token, policy).await {
                Ok(p) => p,
                Err(store::StoreError::Unauthenticated) => return Err(PageError::Login { next }),
                Err(e) => return Err(PageError::from(crate::error::ApiError::Store(e))),
            };
            if principal.must_change_password && !P::WHILE_PASSWORD_DUE {
                return Err(PageError::PasswordDue);
            }
            if !allowed(&principal, P::ACTION) {
                return Err(crate::error::ApiError::Forbidden.into());
            }
            Ok(Viewer {
                principal,
                csrf: csrf_for(&token),
                flash,
                idle_secs: policy.idle.as_secs(),
                tls: state.settings.tls_enabled(),
                _policy: PhantomData,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_is_bound_to_the_secret() {
        let a = csrf_for("a".repeat(64).as_str());
        assert!(csrf_ok(&"a".repeat(64), &a));
        assert!(!csrf_ok(&"b".repeat(64), &a));
        assert!(!csrf_ok(&"a".repeat(64), ""));
        assert!(!csrf_ok(&"a".repeat(64), &a[..63]));
    }

    #[test]
    fn flash_round_trips_and_refuses_garbage() {
        let f = Flash {
            ok: false,
            text: "refused: «separation of duties»".into(),
        };
        let back = Flash::decode(&f.encode()).expect("decodes");
        assert!(!back.ok);
        assert_eq!(back.text, f.text);
        assert!(Flash::decode("ok.zz").is_none());
        assert!(Flash::decode("").is_none());
        let long = Flash {
            ok: true,
            text: "x".repeat(5000),
        };
        assert!(long.encode().len() < 4000);
        assert_eq!(
            Flash::decode(&long.encode())
                .expect("decodes")
                .text
                .chars()
                .count(),
            MAX_FLASH
        );
    }
}
