//! `POST /api/v1/documents` and `POST /api/v1/documents/{id}/versions`: the multipart body
//! is read here (size limit, field names), the rest is `service::documents`.
//!
//! Bounds, all answered before more is read: a `Content-Length` over the limit is refused
//! from the header; the body as sent (file, boundaries, part headers, title) may exceed the
//! file limit by [`FORM_OVERHEAD`] at most, counted on the raw stream, so no part header can
//! grow without bound either; at most [`MAX_PARTS`] parts; a title of at most
//! [`MAX_TITLE_BYTES`]. Reading stops at the first byte over a bound (nothing is drained).

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
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use uuid::Uuid;

/// What a form may carry beside the file: boundaries, part headers and the title.
pub const FORM_OVERHEAD: u64 = 64 * 1024;
/// Parts in one form (`file`, `title` and a few a client may add).
pub const MAX_PARTS: usize = 8;
/// Bytes of the `title` field.
pub const MAX_TITLE_BYTES: usize = 1200;

/// Read the multipart body: field `file` (required) and `title` (optional), and the web
/// form's `csrf` (returned beside the upload). A body over the bounds (module docs) is
/// answered with 413 as soon as it is seen.
pub(crate) async fn read_upload(
    req: &HttpRequest,
    payload: web::Payload,
    limit: u64,
) -> Result<(Upload, Option<String>), ApiError> {
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
    let budget = limit.saturating_add(FORM_OVERHEAD);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > budget) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    // The raw body, counted: past the budget the stream ends in an error.
    let raw = Rc::new(Cell::new(0u64));
    let over = Rc::new(Cell::new(false));
    let counted = {
        let (raw, over) = (raw.clone(), over.clone());
        payload.map(move |chunk| {
            let chunk = chunk?;
            raw.set(raw.get() + chunk.len() as u64);
            if raw.get() > budget {
                over.set(true);
                return Err(actix_web::error::PayloadError::Overflow);
            }
            Ok(chunk)
        })
    };
    let bad = |e: actix_multipart::MultipartError| {
        if over.get() {
            ApiError::PayloadTooLarge(limit)
        } else {
            ApiError::BadRequest(format!("bad multipart body: {e}"))
        }
    };
    let mut mp = Multipart::new(req.headers(), counted);
    let mut file: Option<(Vec<u8>, String)> = None;
    let mut title = None;
    let mut csrf = None;
    let mut parts = 0usize;
    let mut seen: u64 = 0;
    while let Some(field) = mp.next().await {
        let mut field = field.map_err(bad)?;
        parts += 1;
        if parts > MAX_PARTS {
            return Err(ApiError::BadRequest(format!(
                "the form has more than {MAX_PARTS} parts; send the fields \"file\" and \"title\" only"
            )));
        }
        let (name, filename) = match field.content_disposition() {
            Some(cd) => (
                cd.get_name().unwrap_or_default().to_owned(),
                cd.get_filename().map(str::to_owned),
            ),
            None => (String::new(), None),
        };
        let mut buf = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(bad)?;
            seen += chunk.len() as u64;
            if seen > limit {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            if (name == "title" || name == "csrf") && buf.len() + chunk.len() > MAX_TITLE_BYTES {
                return Err(ApiError::BadRequest(format!(
                    "the title is longer than {MAX_TITLE_BYTES} bytes"
                )));
            }
            buf.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "file" => file = Some((buf, filename.unwrap_or_else(|| "upload".into()))),
            "title" => title = Some(String::from_utf8_lossy(&buf).trim().to_owned()),
            "csrf" => csrf = Some(String::from_utf8_lossy(&buf).trim().to_owned()),
            _ => {}
        }
    }
    let (bytes, filename) =
        file.ok_or_else(|| ApiError::BadRequest("the form has no field named \"file\"".into()))?;
    Ok((
        Upload {
            bytes,
            filename,
            title: title.filter(|t| !t.is_empty()),
        },
        csrf,
    ))
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
        (status = 422, body = crate::error::Problem),
        (status = 503, body = crate::error::Problem, description = "every document reader is busy; `Retry-After` says when to try again")
))]
#[post("/documents")]
pub async fn upload(
    state: web::Data<AppState>,
    who: Guard<CanUpload>,
    ctx: Ctx,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (up, _) = read_upload(&req, payload, state.settings.server.max_upload_bytes).await?;
    let (d, v) = service::documents::upload(&state.store, &who, &state.ingest, up, ctx.0).await?;
    state.metrics.uploads.fetch_add(1, Ordering::Relaxed);
    let id = d.id;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/documents/{id}")))
        .json(detail(&state, &who, d, v).await?))
}

/// Upload a new version of a document.
#[utoipa::path(post, path = "/api/v1/documents/{id}/versions", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "document id")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = DocumentDetail),
        (status = 404, body = crate::error::Problem),
        (status = 413, body = crate::error::Problem),
        (status = 415, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
        (status = 503, body = crate::error::Problem, description = "every document reader is busy; `Retry-After` says when to try again")
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
    let (up, _) = read_upload(&req, payload, state.settings.server.max_upload_bytes).await?;
    let (d, v) =
        service::documents::add_version(&state.store, &who, &state.ingest, id, up, ctx.0).await?;
    state.metrics.uploads.fetch_add(1, Ordering::Relaxed);
    Ok(HttpResponse::Created().json(detail(&state, &who, d, v).await?))
}
