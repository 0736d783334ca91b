//! The audit trail: query, verify and export (auditors and managers). Verification
//! recomputes every hash and checks the signed checkpoints; the export is complete (every
//! event, payloads, AI provenance and signature events, checkpoints) and is itself recorded.

use crate::auth::{CanReadAudit, Guard};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use service::audit_trail;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResponse {
    pub tenant: String,
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub report: audit::ChainReport,
    /// The installation's public key the checkpoints were checked with (hex).
    pub public_key: String,
}

/// Events of the caller's tenant, filtered, in sequence order.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])), params(audit_trail::Query),
    responses((status = 200, body = audit_trail::Page), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
#[get("/audit")]
pub async fn query(
    state: web::Data<AppState>,
    who: Guard<CanReadAudit>,
    q: web::Query<audit_trail::Query>,
) -> Result<HttpResponse, ApiError> {
    let page = audit_trail::query(&state.store, &who, q.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
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
    let report = audit_trail::verify(&state.store, &who, &key).await?;
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
    #[param(schema_with = super::schemas::export_format)]
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
    export_response(&state, &who, ctx, &requested).await
}

/// The export of the trail as a download (the API's and the pages' one answer).
pub(crate) async fn export_response(
    state: &AppState,
    who: &store::Principal,
    ctx: Ctx,
    requested: &str,
) -> Result<HttpResponse, ApiError> {
    let key = state.audit_key.verifying_key();
    // Written to a file first (bounded memory), then streamed: the file is unlinked as
    // soon as it is open, so nothing is left behind whatever happens to the response.
    let dir = state.store.data_dir().join("exports");
    std::fs::create_dir_all(&dir)
        .map_err(|e| ApiError::Internal(format!("{}: {e}", dir.display())))?;
    let into = dir.join(format!("{}.partial", uuid::Uuid::new_v4().simple()));
    let written = audit_trail::export(&state.store, who, ctx.0, requested, &key, &into).await;
    let opened = written.as_ref().ok().map(|_| std::fs::File::open(&into));
    let _ = std::fs::remove_file(&into);
    let written = written?;
    let file = match opened {
        Some(Ok(f)) => tokio::fs::File::from_std(f),
        Some(Err(e)) => return Err(ApiError::Internal(format!("{}: {e}", into.display()))),
        None => return Err(ApiError::Internal("export file missing".into())),
    };
    let body = futures_util::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(web::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    Ok(HttpResponse::Ok()
        .content_type(written.format.media_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"audit-{}.{}\"",
                who.tenant,
                written.format.extension()
            ),
        ))
        .streaming(body))
}
