//! The audit trail: query, verify and export (auditors and managers). Verification
//! recomputes every hash and checks the signed checkpoints; the export is complete (every
//! event, payloads, AI provenance and signature events, checkpoints) and is itself recorded.

use crate::auth::{CanReadAudit, Guard};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use audit::export::Format;
use serde::{Deserialize, Serialize};
use store::{AuditFilter, By};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// e.g. `document`, `user`, `session`, `document_version`.
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// Username of the actor.
    pub actor: Option<String>,
    /// e.g. `document.upload`, `auth.login_failed`, `signature.sign`.
    pub action: Option<String>,
    /// RFC 3339, inclusive.
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    pub to: Option<String>,
    /// Events after this sequence number (the previous page's `next_after_seq`).
    pub after_seq: Option<i64>,
    /// 1 to 1000, default 100.
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<audit::Event>,
    /// Pass as `after_seq` for the next page; absent on the last page.
    pub next_after_seq: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResponse {
    pub tenant: String,
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub report: audit::ChainReport,
    /// The installation's public key the checkpoints were checked with (hex).
    pub public_key: String,
}

/// Normalise an RFC 3339 time to the stored form (UTC, microseconds, `+00:00`), so that
/// range filters compare like with like.
fn stored_time(s: Option<String>, name: &str) -> Result<Option<String>, ApiError> {
    s.map(|t| {
        chrono::DateTime::parse_from_rfc3339(&t)
            .map(|d| audit::format_time(d.with_timezone(&chrono::Utc)))
            .map_err(|_| {
                ApiError::BadRequest(format!(
                    "{name} must be an RFC 3339 time such as 2026-11-23T10:00:00Z"
                ))
            })
    })
    .transpose()
}

/// Events of the caller's tenant, filtered, in sequence order.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
#[get("/audit")]
pub async fn query(
    state: web::Data<AppState>,
    who: Guard<CanReadAudit>,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be 1 to 1000".into()));
    }
    let f = AuditFilter {
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        actor: q.actor,
        action: q.action,
        from: stored_time(q.from, "from")?,
        to: stored_time(q.to, "to")?,
        after_seq: q.after_seq,
        limit,
    };
    let items = state.store.audit_query(&who.tenant, f).await?;
    let next_after_seq = (items.len() as u64 == limit)
        .then(|| items.last().map(|e| e.seq))
        .flatten();
    Ok(HttpResponse::Ok().json(AuditPage {
        items,
        next_after_seq,
    }))
}

/// Recompute the tenant's chain and check its signed checkpoints.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "`ok` false names the first bad sequence number and what happened there", body = VerifyResponse),
              (status = 403, body = crate::error::Problem)))]
#[get("/audit/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    who: Guard<CanReadAudit>,
) -> Result<HttpResponse, ApiError> {
    let key = state.audit_key.verifying_key();
    let report = state.store.audit_verify(&who.tenant, &key, &[]).await?;
    if !report.ok {
        tracing::error!(tenant = %who.tenant, problem = ?report.first_problem, "audit trail verification failed");
    }
    Ok(HttpResponse::Ok().json(VerifyResponse {
        tenant: who.tenant.to_string(),
        report,
        public_key: state.audit_key.public_hex(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `jsonl` (default), `csv` or `html`.
    pub format: Option<String>,
}

/// The complete trail of the tenant, machine- or human-readable. The export is recorded
/// (as `audit.export`) before it is taken, so it contains its own event.
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit", security(("bearer" = [])), params(ExportQuery),
    responses((status = 200, description = "the trail as JSON lines, CSV or HTML"),
              (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
#[get("/audit/export")]
pub async fn export(
    state: web::Data<AppState>,
    who: Guard<CanReadAudit>,
    ctx: Ctx,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let requested = q.into_inner().format.unwrap_or_else(|| "jsonl".into());
    let format = Format::parse(&requested).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "unknown export format {requested:?}; use jsonl, csv or html"
        ))
    })?;
    let ext = format.extension();
    let mut d = By::principal(&who, ctx.0).draft("audit.export", "audit_trail", None);
    d.new_value = Some(serde_json::json!({ "format": ext }));
    state.store.record_now(&who.tenant, d).await?;
    let (events, cps) = state.store.audit_all(&who.tenant).await?;
    let key = state.audit_key.verifying_key();
    let tenant = who.tenant.to_string();
    let body = web::block(move || audit::export::render(format, &tenant, &events, &cps, &key))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type(format.media_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"audit-{}.{ext}\"", who.tenant),
        ))
        .body(body))
}
