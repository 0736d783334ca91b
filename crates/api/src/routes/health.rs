//! Liveness and readiness (public, cheap) and metrics (off unless `[server] metrics_token`
//! is set, then only with that bearer token).

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "alive")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// The control database answers (one round trip; the migrations were applied and checked
/// at start, so a probe does no per-tenant work).
#[utoipa::path(get, path = "/readyz", tag = "ops", responses(
    (status = 200, description = "ready"),
    (status = 503, description = "not ready")
))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let ready = state.store.ping().await.is_ok();
    Ok(if ready {
        HttpResponse::Ok().json(serde_json::json!({"status": "ready"}))
    } else {
        HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "not ready"}))
    })
}

/// Prometheus text metrics, with the `[server] metrics_token` bearer token.
#[utoipa::path(get, path = "/metrics", tag = "ops", security(("bearer" = [])), responses(
    (status = 200, description = "Prometheus text format", content_type = "text/plain"),
    (status = 401, description = "missing or wrong metrics token", body = crate::error::Problem),
    (status = 404, description = "metrics are off (no `[server] metrics_token`)", body = crate::error::Problem)))]
#[get("/metrics")]
pub async fn metrics(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let Some(expected) = &state.settings.server.metrics_token else {
        return Err(ApiError::NotFound(
            "metrics (off: set [server] metrics_token to serve them)",
        ));
    };
    let given = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Compare digests, so the time taken says nothing about the token.
    use sha2::{Digest, Sha256};
    if Sha256::digest(given.as_bytes()) != Sha256::digest(expected.expose().as_bytes()) {
        return Err(ApiError::Unauthorized);
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render()))
}
