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

/// Mount the pages and their assets.
pub fn configure(cfg: &mut web::ServiceConfig) {
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
