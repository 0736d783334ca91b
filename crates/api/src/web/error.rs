//! Errors of the pages, as HTML: no session sends the browser to the login form (and back
//! afterwards), a due password change to the password form, anything else is an error page
//! with the same words and request id the API's problem would carry.

use super::view::{ErrorPage, html, safe_next, urlencode};
use crate::error::{ApiError, current_request_id};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No valid session: to the login form, then back to `next`.
    #[error("log in first")]
    Login { next: String },
    /// The password must be changed before anything else.
    #[error("change your password first")]
    PasswordDue,
    /// A form without this session's CSRF token.
    #[error(
        "this form is out of date or did not come from this site; reload the page and try again"
    )]
    Csrf,
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl PageError {
    pub fn internal(why: &str) -> PageError {
        PageError::Api(ApiError::Internal(why.to_owned()))
    }

    /// A refusal the user can act on (shown as a message on the form's page), as opposed
    /// to a lost session or a server failure.
    pub fn message(&self) -> Option<String> {
        match self {
            PageError::Api(e) => {
                let (status, detail) = e.public();
                (status.is_client_error() && status != StatusCode::UNAUTHORIZED).then_some(detail)
            }
            PageError::Csrf => Some(self.to_string()),
            _ => None,
        }
    }
}

impl From<service::ServiceError> for PageError {
    fn from(e: service::ServiceError) -> Self {
        PageError::Api(ApiError::Service(e))
    }
}

impl From<store::StoreError> for PageError {
    fn from(e: store::StoreError) -> Self {
        PageError::Api(ApiError::Store(e))
    }
}

/// A session that ended mid-way is a login, not an error.
fn lost_session(e: &ApiError) -> bool {
    matches!(
        e,
        ApiError::Unauthorized
            | ApiError::Store(store::StoreError::Unauthenticated)
            | ApiError::Service(service::ServiceError::Store(
                store::StoreError::Unauthenticated
            ))
    )
}

fn password_due(e: &ApiError) -> bool {
    matches!(
        e,
        ApiError::Service(service::ServiceError::PasswordChangeRequired)
    )
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::Login { .. } | PageError::PasswordDue => StatusCode::SEE_OTHER,
            PageError::Api(e) if lost_session(e) || password_due(e) => StatusCode::SEE_OTHER,
            PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::Api(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let to = match self {
            PageError::Login { next } => {
                Some(format!("/login?next={}", urlencode(safe_next(next))))
            }
            PageError::Api(e) if lost_session(e) => Some("/login".to_owned()),
            PageError::PasswordDue => Some("/password".to_owned()),
            PageError::Api(e) if password_due(e) => Some("/password".to_owned()),
            _ => None,
        };
        if let Some(to) = to {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to))
                .finish();
        }
        let request_id = current_request_id();
        let (status, detail) = match self {
            PageError::Api(e) => {
                let (status, detail) = e.public();
                if status.is_server_error() {
                    tracing::error!(request_id = %request_id, cause = %e.cause(), "page failed");
                }
                (status, detail)
            }
            other => (StatusCode::FORBIDDEN, other.to_string()),
        };
        let page = ErrorPage {
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            detail,
            request_id,
        };
        html(status, &page)
    }
}
