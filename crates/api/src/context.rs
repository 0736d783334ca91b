//! The request context every audit event carries: request id, client IP (the TCP peer;
//! forwarded-for headers are not trusted, since any client can set them) and user agent.

use crate::error::{ApiError, current_request_id};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use std::future::{Ready, ready};
use store::RequestContext;

/// Extractor: `ctx: Ctx` in a handler's arguments.
#[derive(Debug, Clone)]
pub struct Ctx(pub RequestContext);

impl FromRequest for Ctx {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Ctx(request_context(req))))
    }
}

pub fn request_context(req: &HttpRequest) -> RequestContext {
    RequestContext {
        request_id: Some(current_request_id()).filter(|s| !s.is_empty()),
        client_ip: req.peer_addr().map(|a| a.ip().to_string()),
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| store::clip(s, 512)),
    }
}
