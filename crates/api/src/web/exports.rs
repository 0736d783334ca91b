//! Downloads from the pages: a version's exports (revised DOCX, review report) and the
//! audit trail, answered exactly as the API answers them (same files, same audit events).

use super::error::PageError;
use super::session::Viewer;
use crate::auth::{AnyRole, CanReadAudit};
use crate::context::Ctx;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use service::review::export::Format;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
pub struct FormatQuery {
    format: String,
}

#[get("/documents/{id}/versions/{version}/export")]
pub async fn version_export(
    state: web::Data<AppState>,
    who: Viewer<AnyRole>,
    ctx: Ctx,
    path: web::Path<(Uuid, i32)>,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, PageError> {
    let (id, version) = path.into_inner();
    let format = Format::parse(&q.format)?;
    Ok(
        crate::routes::analyses::export_response(&state, &who, ctx, id, Some(version), format)
            .await?,
    )
}

#[get("/audit/export")]
pub async fn audit_export(
    state: web::Data<AppState>,
    who: Viewer<CanReadAudit>,
    ctx: Ctx,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, PageError> {
    Ok(crate::routes::audit_trail::export_response(&state, &who, ctx, &q.format).await?)
}
