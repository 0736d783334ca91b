//! Middleware of every request: a request id (`X-Request-Id`, also in problem bodies),
//! metrics, and the security headers.

use crate::error::REQUEST_ID;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::web;
use std::time::Instant;

/// The security headers of every response (HSTS when TLS is on).
pub(super) fn security_headers(tls: bool) -> DefaultHeaders {
    let mut headers = DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::CACHE_CONTROL, "no-store"));
    if tls {
        headers = headers.add((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ));
    }
    headers
}

/// Gives every request an id (`X-Request-Id`, also in problem bodies) and records metrics.
pub(super) async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let start = Instant::now();
    let mut res = REQUEST_ID.scope(id.clone(), next.call(req)).await?;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), v);
    }
    if let Some(m) = metrics {
        m.observe(res.status().as_u16(), start.elapsed());
    }
    Ok(res)
}
