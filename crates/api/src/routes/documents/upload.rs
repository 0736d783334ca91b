//! `POST /api/v1/documents` and `POST /api/v1/documents/{id}/versions`: the multipart body
//! is read here (size limit, field names), the rest is `service::documents`.

use super::{DocumentDetail, UploadForm, detail};
use crate::auth::{CanUpload, Guard};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use futures_util::StreamExt;
use service::documents::Upload;
use std::sync::atomic::Ordering;
use uuid::Uuid;

/// Read the multipart body: field `file` (required) and `title` (optional). Bytes beyond
/// the limit are drained, not stored, and answered with 413.
async fn read_upload(
    req: &HttpRequest,
    payload: web::Payload,
    limit: u64,
) -> Result<Upload, ApiError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(ApiError::UnsupportedMediaType(
            "send the document as multipart/form-data with a field named \"file\"".into(),
        ));
    }
    let mut mp = Multipart::new(req.headers(), payload);
    let mut file: Option<(Vec<u8>, String)> = None;
    let mut title = None;
    let mut too_large = false;
    let mut seen: u64 = 0;
    while let Some(field) = mp.next().await {
        let mut field =
            field.map_err(|e| ApiError::BadRequest(format!("bad multipart body: {e}")))?;
        let (name, filename) = match field.content_disposition() {
            Some(cd) => (
                cd.get_name().unwrap_or_default().to_owned(),
                cd.get_filename().map(str::to_owned),
            ),
            None => (String::new(), None),
        };
        let mut buf = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk =
                chunk.map_err(|e| ApiError::BadRequest(format!("bad multipart body: {e}")))?;
            seen += chunk.len() as u64;
            if seen > limit {
                too_large = true;
                buf = Vec::new();
                if seen > limit.saturating_mul(4).max(64 << 20) {
                    return Err(ApiError::PayloadTooLarge(limit));
                }
                continue;
            }
            buf.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "file" => file = Some((buf, filename.unwrap_or_else(|| "upload".into()))),
            "title" => title = Some(String::from_utf8_lossy(&buf).trim().to_owned()),
            _ => {}
        }
    }
    if too_large {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let (bytes, filename) =
        file.ok_or_else(|| ApiError::BadRequest("the form has no field named \"file\"".into()))?;
    Ok(Upload {
        bytes,
        filename,
        title: title.filter(|t| !t.is_empty()),
    })
}

fn limits(state: &AppState) -> ingest::Limits {
    ingest::Limits {
        max_bytes: state.settings.server.max_upload_bytes,
        ..Default::default()
    }
}

/// Upload a PDF or DOCX: it is ingested, and the original and its structure are stored.
#[utoipa::path(post, path = "/api/v1/documents", tag = "documents", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = DocumentDetail),
        (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 413, body = crate::error::Problem),
        (status = 415, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)
))]
#[post("/documents")]
pub async fn upload(
    state: web::Data<AppState>,
    who: Guard<CanUpload>,
    ctx: Ctx,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let up = read_upload(&req, payload, state.settings.server.max_upload_bytes).await?;
    let (d, v) = service::documents::upload(&state.store, &who, limits(&state), up, ctx.0).await?;
    state.metrics.uploads.fetch_add(1, Ordering::Relaxed);
    let id = d.id;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/documents/{id}")))
        .json(detail(d, v)?))
}

/// Upload a new version of a document.
#[utoipa::path(post, path = "/api/v1/documents/{id}/versions", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "document id")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = DocumentDetail),
        (status = 404, body = crate::error::Problem),
        (status = 413, body = crate::error::Problem),
        (status = 415, body = crate::error::Problem)
))]
#[post("/documents/{id}/versions")]
pub async fn add_version(
    state: web::Data<AppState>,
    who: Guard<CanUpload>,
    ctx: Ctx,
    path: web::Path<Uuid>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    // A missing document is answered before the body is read.
    service::documents::require_document(&state.store, &who, id).await?;
    let up = read_upload(&req, payload, state.settings.server.max_upload_bytes).await?;
    let (d, v) =
        service::documents::add_version(&state.store, &who, limits(&state), id, up, ctx.0).await?;
    state.metrics.uploads.fetch_add(1, Ordering::Relaxed);
    Ok(HttpResponse::Created().json(detail(d, v)?))
}
