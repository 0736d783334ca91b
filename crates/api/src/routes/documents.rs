//! Documents: upload (multipart `file`), list, read, original bytes, versions.

use crate::auth::{AnyRole, CanUpload, Guard};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::sync::atomic::Ordering;
use store::By;
use store::documents::{self, NewVersion, VersionInfo};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentSummary {
    pub id: Uuid,
    pub title: String,
    pub filename: String,
    /// `pdf` or `docx`.
    pub format: String,
    pub current_version: i32,
    pub created_by: Uuid,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<documents::Document> for DocumentSummary {
    fn from(d: documents::Document) -> Self {
        DocumentSummary {
            id: d.id,
            title: d.title,
            filename: d.filename,
            format: d.format,
            current_version: d.current_version,
            created_by: d.created_by,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    pub id: Uuid,
    pub version: i32,
    pub filename: String,
    pub format: String,
    /// SHA-256 of the original bytes.
    pub sha256: String,
    pub size_bytes: i64,
    pub created_by: Uuid,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<VersionInfo> for VersionView {
    fn from(v: VersionInfo) -> Self {
        VersionView {
            id: v.id,
            version: v.version,
            filename: v.filename,
            format: v.format,
            sha256: v.sha256,
            size_bytes: v.size_bytes,
            created_by: v.created_by,
            created_at: v.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentDetail {
    #[serde(flatten)]
    pub document: DocumentSummary,
    pub version: VersionView,
    /// The ingested structure (see the README's `dualcheck ingest --json`).
    #[schema(value_type = Object)]
    pub structure: Box<RawValue>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentPage {
    pub items: Vec<DocumentSummary>,
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// 1 to 200, default 50.
    pub limit: Option<u64>,
    /// Default 0.
    pub offset: Option<u64>,
}

/// The multipart form of an upload (for the OpenAPI document).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The PDF or DOCX file.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Optional title (default: the file name).
    title: Option<String>,
}

struct Upload {
    bytes: Vec<u8>,
    filename: String,
    title: Option<String>,
}

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
        filename: clean_filename(&filename),
        title: title.filter(|t| !t.is_empty()),
    })
}

/// Keep a file name displayable and harmless: last path component, no control characters,
/// at most 200 characters.
fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let s: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    if s.trim().is_empty() {
        "upload".into()
    } else {
        s
    }
}

/// Ingest the upload and store its blob; returns the new version's row data.
async fn ingest_and_store(
    state: &AppState,
    who: &store::Principal,
    up: Upload,
) -> Result<NewVersion, ApiError> {
    let limits = ingest::Limits {
        max_bytes: state.settings.max_upload_bytes,
        ..Default::default()
    };
    let blobs = state.store.blobs(&who.tenant);
    let Upload {
        bytes,
        filename,
        title,
    } = up;
    let (doc, sha, structure, size) = web::block(move || -> Result<_, ApiError> {
        let doc = ingest::parse_with(&bytes, &limits)?;
        let structure = serde_json::to_string(&doc)
            .map_err(|e| ApiError::Internal(format!("serialising structure: {e}")))?;
        let sha = blobs.put(&bytes)?;
        Ok((doc, sha, structure, bytes.len()))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    let format = doc.metadata.format;
    let title = title
        .or_else(|| doc.metadata.title.clone().filter(|t| !t.trim().is_empty()))
        .unwrap_or_else(|| filename.clone());
    Ok(NewVersion {
        title: title.chars().take(300).collect(),
        filename,
        format: format.as_str().to_owned(),
        media_type: format.media_type().to_owned(),
        blob_sha256: sha,
        size_bytes: size as i64,
        structure,
        created_by: who.user_id,
    })
}

/// What the trail records of a stored version.
fn version_value(v: &documents::Version, title: &str) -> serde_json::Value {
    serde_json::json!({
        "title": title,
        "version": v.version,
        "filename": v.filename,
        "format": v.format,
        "sha256": v.blob_sha256,
        "size_bytes": v.size_bytes,
    })
}

fn detail(d: documents::Document, v: documents::Version) -> Result<DocumentDetail, ApiError> {
    let version = VersionView::from(VersionInfo::from(&v));
    let structure = RawValue::from_string(v.structure)
        .map_err(|e| ApiError::Internal(format!("stored structure is not JSON: {e}")))?;
    Ok(DocumentDetail {
        document: d.into(),
        version,
        structure,
    })
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
    let up = read_upload(&req, payload, state.settings.max_upload_bytes).await?;
    let new = ingest_and_store(&state, &who, up).await?;
    let by = By::principal(&who, ctx.0);
    let (st, slug) = (state.store.clone(), who.tenant.clone());
    let (d, v) = state
        .store
        .tenant_tx(&who.tenant, move |txn| {
            Box::pin(async move {
                store::audit_log::lock_head(txn).await?;
                let (d, v) = documents::create(txn, new).await?;
                let mut e = by.draft("document.upload", "document", Some(d.id.to_string()));
                e.new_value = Some(version_value(&v, &d.title));
                st.record(txn, &slug, e).await?;
                Ok((d, v))
            })
        })
        .await?;
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
    let exists = state
        .store
        .tenant_tx(&who.tenant, move |txn| {
            Box::pin(async move { Ok(documents::get(txn, id).await?.is_some()) })
        })
        .await?;
    if !exists {
        return Err(ApiError::NotFound("document"));
    }
    let up = read_upload(&req, payload, state.settings.max_upload_bytes).await?;
    let new = ingest_and_store(&state, &who, up).await?;
    let by = By::principal(&who, ctx.0);
    let (st, slug) = (state.store.clone(), who.tenant.clone());
    let (d, v) = state
        .store
        .tenant_tx(&who.tenant, move |txn| {
            Box::pin(async move {
                store::audit_log::lock_head(txn).await?;
                let (d, v) = documents::add_version(txn, id, new).await?;
                let mut e = by.draft("document.version", "document", Some(d.id.to_string()));
                e.old_value = Some(serde_json::json!({ "current_version": v.version - 1 }));
                e.new_value = Some(version_value(&v, &d.title));
                st.record(txn, &slug, e).await?;
                Ok((d, v))
            })
        })
        .await?;
    state.metrics.uploads.fetch_add(1, Ordering::Relaxed);
    Ok(HttpResponse::Created().json(detail(d, v)?))
}

/// A page of the tenant's documents, newest first.
#[utoipa::path(get, path = "/api/v1/documents", tag = "documents", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = DocumentPage), (status = 401, body = crate::error::Problem)))]
#[get("/documents")]
pub async fn list(
    state: web::Data<AppState>,
    who: Guard<AnyRole>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be 1 to 200".into()));
    }
    let offset = q.offset.unwrap_or(0);
    let (items, total) = state
        .store
        .tenant_tx(&who.tenant, move |txn| {
            Box::pin(async move { documents::list(txn, limit, offset).await })
        })
        .await?;
    Ok(HttpResponse::Ok().json(DocumentPage {
        items: items.into_iter().map(DocumentSummary::from).collect(),
        total,
        limit,
        offset,
    }))
}

/// A document's metadata, current version and structure.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "document id")),
    responses((status = 200, body = DocumentDetail), (status = 404, body = crate::error::Problem)))]
#[get("/documents/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    who: Guard<AnyRole>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (d, v) = state
        .store
        .read_document(&who.tenant, path.into_inner())
        .await?
        .ok_or(ApiError::NotFound("document"))?;
    Ok(HttpResponse::Ok().json(detail(d, v)?))
}

/// The exact bytes uploaded for the current version.
#[utoipa::path(get, path = "/api/v1/documents/{id}/original", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "document id")),
    responses(
        (status = 200, description = "the original file", content_type = "application/octet-stream"),
        (status = 404, body = crate::error::Problem)))]
#[get("/documents/{id}/original")]
pub async fn original(
    state: web::Data<AppState>,
    who: Guard<AnyRole>,
    ctx: Ctx,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (_, v) = state
        .store
        .tenant_tx(&who.tenant, move |txn| {
            Box::pin(async move { documents::get(txn, id).await })
        })
        .await?
        .ok_or(ApiError::NotFound("document"))?;
    let blobs = state.store.blobs(&who.tenant);
    let sha = v.blob_sha256.clone();
    let bytes = web::block(move || blobs.get(&sha))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let mut e =
        By::principal(&who, ctx.0).draft("document.download", "document", Some(id.to_string()));
    e.new_value = Some(serde_json::json!({ "version": v.version, "sha256": v.blob_sha256 }));
    state.store.record_now(&who.tenant, e).await?;
    let media = match v.format.as_str() {
        "pdf" => ingest::Format::Pdf.media_type(),
        "docx" => ingest::Format::Docx.media_type(),
        _ => "application/octet-stream",
    };
    let ascii: String = v
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type(media)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii}\""),
        ))
        .insert_header(("X-Content-SHA256", v.blob_sha256))
        .body(bytes))
}

/// Every version of a document, oldest first.
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "document id")),
    responses((status = 200, body = [VersionView]), (status = 404, body = crate::error::Problem)))]
#[get("/documents/{id}/versions")]
pub async fn versions(
    state: web::Data<AppState>,
    who: Guard<AnyRole>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let vs = state
        .store
        .tenant_tx(&who.tenant, move |txn| {
            Box::pin(async move { documents::versions(txn, id).await })
        })
        .await?
        .ok_or(ApiError::NotFound("document"))?;
    let out: Vec<VersionView> = vs.into_iter().map(VersionView::from).collect();
    Ok(HttpResponse::Ok().json(out))
}
