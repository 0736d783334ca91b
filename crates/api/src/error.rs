//! The one place where errors become HTTP: RFC 7807 `application/problem+json` bodies with
//! the request id, never a stack trace or internal detail.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use ingest::IngestError;
use serde::Serialize;
use service::ServiceError;
use store::StoreError;

tokio::task_local! {
    /// The id of the request being served (set by the request middleware).
    pub static REQUEST_ID: String;
}

/// The current request id, or a fresh one outside a request.
pub fn current_request_id() -> String {
    REQUEST_ID
        .try_with(|s| s.clone())
        .unwrap_or_else(|_| uuid::Uuid::new_v4().simple().to_string())
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("{0}")]
    BadRequest(String),
    #[error("missing, invalid or expired bearer token; log in again")]
    Unauthorized,
    #[error("your roles do not allow this action")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("the upload is larger than the limit of {0} bytes")]
    PayloadTooLarge(u64),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The route exists with these methods (the `Allow` header), not with this one.
    #[error("this route answers {0} only")]
    MethodNotAllowed(String),
    #[error("internal error")]
    Internal(String),
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem, e.g. `urn:dualcheck:problem:not_found`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub request_id: String,
}

impl ApiError {
    /// The whole cause, for the log (the client gets [`ApiError::detail`]).
    pub(crate) fn cause(&self) -> String {
        match self {
            ApiError::Internal(why) => format!("internal error: {why}"),
            other => other.to_string(),
        }
    }

    fn ingest(&self) -> Option<&IngestError> {
        match self {
            ApiError::Ingest(e) | ApiError::Service(ServiceError::Document(e)) => Some(e),
            _ => None,
        }
    }

    fn parts(&self) -> (StatusCode, &'static str) {
        use StatusCode as S;
        match self {
            ApiError::Store(e) => store_parts(e),
            ApiError::Ingest(e) => ingest_parts(e),
            ApiError::Service(e) => match e {
                ServiceError::Store(e) => store_parts(e),
                ServiceError::Document(e) => ingest_parts(e),
                ServiceError::Invalid(_) => (S::BAD_REQUEST, "bad_request"),
                ServiceError::NotFound(_) => (S::NOT_FOUND, "not_found"),
                ServiceError::Forbidden | ServiceError::Refused(_) => (S::FORBIDDEN, "forbidden"),
                ServiceError::SignaturePolicy(r) if r.is_conflict() => {
                    (S::CONFLICT, "signature_conflict")
                }
                ServiceError::SignaturePolicy(_) => (S::FORBIDDEN, "separation_of_duties"),
                ServiceError::Conflict { code, .. } => (S::CONFLICT, code),
                ServiceError::Incomplete { code, .. } => (S::UNPROCESSABLE_ENTITY, code),
                ServiceError::SeparationOfDuties(_) => (S::FORBIDDEN, "separation_of_duties"),
                ServiceError::Busy { .. } => (S::SERVICE_UNAVAILABLE, "busy"),
                ServiceError::RateLimited { .. } => (S::TOO_MANY_REQUESTS, "rate_limited"),
                ServiceError::ParseTimeout { .. } => (S::UNPROCESSABLE_ENTITY, "parse_timeout"),
                ServiceError::PasswordChangeRequired => (S::FORBIDDEN, "password_change_required"),
                ServiceError::ModelNotInstalled(_) | ServiceError::ModelUnusable { .. } => {
                    (S::SERVICE_UNAVAILABLE, "model_unavailable")
                }
                ServiceError::Model(_)
                | ServiceError::Manifest { .. }
                | ServiceError::Rules(_)
                | ServiceError::Read { .. }
                | ServiceError::Write { .. }
                | ServiceError::Internal(_) => (S::INTERNAL_SERVER_ERROR, "internal"),
            },
            ApiError::BadRequest(_) => (S::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized => (S::UNAUTHORIZED, "unauthenticated"),
            ApiError::Forbidden => (S::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (S::NOT_FOUND, "not_found"),
            ApiError::PayloadTooLarge(_) => (S::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::UnsupportedMediaType(_) => (S::UNSUPPORTED_MEDIA_TYPE, "unsupported_format"),
            ApiError::MethodNotAllowed(_) => (S::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::Internal(_) => (S::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// What the client is told. Server-side failures say only that they happened (the
    /// details go to the log under the request id).
    /// What a client (or a page) is told, with the status it goes with.
    pub(crate) fn public(&self) -> (StatusCode, String) {
        let (status, _) = self.parts();
        (status, self.detail(status))
    }

    fn detail(&self, status: StatusCode) -> String {
        match self {
            _ if status.is_server_error() => {
                "the server could not complete the request; quote the request id to the operator"
                    .into()
            }
            ApiError::Store(StoreError::NotFound(what))
            | ApiError::Service(ServiceError::Store(StoreError::NotFound(what)))
            | ApiError::Service(ServiceError::NotFound(what))
            | ApiError::NotFound(what) => format!("{what} not found"),
            ApiError::Store(StoreError::UnknownTenant(_))
            | ApiError::Service(ServiceError::Store(StoreError::UnknownTenant(_))) => {
                "not found".into()
            }
            other => other.to_string(),
        }
    }
}

fn store_parts(e: &StoreError) -> (StatusCode, &'static str) {
    use StatusCode as S;
    match e {
        StoreError::InvalidSlug(_)
        | StoreError::InvalidUsername
        | StoreError::InvalidRole(_)
        | StoreError::InvalidMeaning(_)
        | StoreError::WeakPassword(_)
        | StoreError::InvalidInput(_) => (S::BAD_REQUEST, e.code()),
        StoreError::TenantExists(_) | StoreError::UserExists(_) => (S::CONFLICT, e.code()),
        StoreError::NotFound(_) | StoreError::UnknownTenant(_) => (S::NOT_FOUND, "not_found"),
        StoreError::InvalidCredentials | StoreError::Unauthenticated => (S::UNAUTHORIZED, e.code()),
        StoreError::LockedOut => (S::TOO_MANY_REQUESTS, e.code()),
        StoreError::SignatureRefused => (S::FORBIDDEN, e.code()),
        StoreError::LeaseLost(_) => (S::CONFLICT, e.code()),
        StoreError::CorruptBlob(_)
        | StoreError::Io { .. }
        | StoreError::Unrecorded
        | StoreError::Database(_)
        | StoreError::Internal(_) => (S::INTERNAL_SERVER_ERROR, "internal"),
    }
}

fn ingest_parts(e: &IngestError) -> (StatusCode, &'static str) {
    use StatusCode as S;
    match e {
        IngestError::Empty => (S::BAD_REQUEST, e.code()),
        IngestError::TooLarge { .. } => (S::PAYLOAD_TOO_LARGE, e.code()),
        IngestError::UnsupportedFormat { .. } => (S::UNSUPPORTED_MEDIA_TYPE, e.code()),
        _ => (S::UNPROCESSABLE_ENTITY, e.code()),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, code) = self.parts();
        let request_id = current_request_id();
        if status.is_server_error() {
            tracing::error!(request_id = %request_id, cause = %self.cause(), "request failed");
        } else if let Some(detail) = self.ingest().and_then(IngestError::log_detail) {
            // A parser's panic: its text is for the operator, never for the client.
            tracing::warn!(request_id = %request_id, parser_panic = %detail, "a parser stopped on an upload");
        }
        let body = Problem {
            kind: format!("urn:dualcheck:problem:{code}"),
            title: status.canonical_reason().unwrap_or("error").to_owned(),
            status: status.as_u16(),
            detail: self.detail(status),
            request_id,
        };
        let mut res = HttpResponse::build(status);
        res.content_type("application/problem+json");
        if status == StatusCode::UNAUTHORIZED {
            res.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if let ApiError::Service(
            ServiceError::Busy {
                retry_after_secs, ..
            }
            | ServiceError::RateLimited {
                retry_after_secs, ..
            },
        ) = self
        {
            res.insert_header((
                actix_web::http::header::RETRY_AFTER,
                retry_after_secs.to_string(),
            ));
        }
        if let ApiError::MethodNotAllowed(allow) = self {
            res.insert_header((actix_web::http::header::ALLOW, allow.clone()));
        }
        if matches!(self, ApiError::PayloadTooLarge(_)) {
            // The rest of the body is not read: this connection cannot carry another request.
            res.force_close();
        }
        res.body(serde_json::to_string(&body).unwrap_or_default())
    }
}
