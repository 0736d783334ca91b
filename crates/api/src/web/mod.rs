//! The web pages for writers, reviewers, managers and auditors, served by the same binary
//! at `/`: server-rendered askama templates compiled into the binary (a template change is
//! a code change), one stylesheet and one small script embedded too (no CDN, no build
//! step, works offline).
//!
//! - Sessions are the API's sessions, carried in an HttpOnly, SameSite=Strict cookie
//!   (Secure under TLS) instead of a bearer header ([`session`]).
//! - Every form carries a CSRF token bound to the session ([`session::csrf_for`]); a POST
//!   without the right one is refused before anything else is read.
//! - Pages call the application layer (`service`), never the database; the server refuses
//!   what a role may not do whatever the page shows ([`session::Viewer`] and the use cases'
//!   own checks).
//! - Errors are HTML pages (a refused form comes back to its page with the reason as a
//!   message); problem+json stays for the API.

mod assets;
mod audit_pages;
mod document_pages;
mod error;
mod exports;
mod login;
mod review_pages;
pub mod session;
mod users_pages;
mod view;

use actix_web::{HttpResponse, web};
use error::PageError;
use session::{Flash, Viewer};

/// The answer to a form: back to `to` with the outcome as a message (a refusal too: the
/// separation-of-duties rule, a wrong password, a blocked proposal are messages, not
/// error pages); a lost session, a due password change or a server failure are pages of
/// their own.
fn back<P: crate::auth::Policy>(
    who: &Viewer<P>,
    to: &str,
    out: Result<String, PageError>,
) -> Result<HttpResponse, PageError> {
    match out {
        Ok(text) => Ok(who.redirect_with(to, Flash { ok: true, text })),
        Err(e) => match e.message() {
            Some(text) => Ok(who.redirect_with(to, Flash { ok: false, text })),
            None => Err(e),
        },
    }
}

/// The Content-Security-Policy of the pages: their own scripts, styles and forms, nothing
/// inline, nothing from elsewhere.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'";

/// A 404 for a browser (`Accept: text/html`) outside the API: an HTML page.
pub fn not_found_page(req: &actix_web::HttpRequest) -> Option<HttpResponse> {
    let path = req.path();
    let html = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    (html && !path.starts_with("/api/")).then(|| {
        actix_web::ResponseError::error_response(&PageError::Api(crate::error::ApiError::NotFound(
            "page",
        )))
    })
}

/// Mount the pages and their assets; a malformed query, form or path of a page answers
/// with an HTML error page too.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let bad = |e: String| -> actix_web::Error {
        PageError::Api(crate::error::ApiError::BadRequest(e)).into()
    };
    let pages =
        web::scope("")
            .app_data(
                web::QueryConfig::default()
                    .error_handler(move |e, _| bad(format!("invalid address: {e}"))),
            )
            .app_data(
                web::FormConfig::default()
                    .limit(256 * 1024)
                    .error_handler(move |e, _| bad(format!("invalid form: {e}"))),
            )
            .app_data(web::PathConfig::default().error_handler(|_, _| {
                PageError::Api(crate::error::ApiError::NotFound("page")).into()
            }));
    cfg.service(pages.configure(pages_of));
}

fn pages_of(cfg: &mut web::ServiceConfig) {
    cfg.service(assets::stylesheet)
        .service(assets::script)
        .service(login::home)
        .service(login::login_form)
        .service(login::login)
        .service(login::logout)
        .service(login::password_form)
        .service(login::change_password)
        .service(document_pages::list)
        .service(document_pages::upload)
        .service(document_pages::show)
        .service(document_pages::start_analysis)
        .service(document_pages::progress)
        .service(document_pages::sign)
        .service(document_pages::suppress)
        .service(exports::version_export)
        .service(review_pages::review)
        .service(review_pages::decide)
        .service(audit_pages::trail)
        .service(audit_pages::event)
        .service(audit_pages::verify)
        .service(exports::audit_export)
        .service(users_pages::list)
        .service(users_pages::create)
        .service(users_pages::update);
}
