//! Reading documents: the list, one document with its structure, the original bytes (an
//! audited download) and the versions, each version addressable (metadata, structure and
//! original).

use super::{DocumentDetail, DocumentPage, DocumentSummary, PageQuery, VersionView, detail};
use crate::auth::{AnyRole, Guard};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use uuid::Uuid;

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
    let offset = q.offset.unwrap_or(0);
    let (items, total) = service::documents::list(&state.store, &who, limit, offset).await?;
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
    let (d, v) = service::documents::get(&state.store, &who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(detail(&state, &who, d, v).await?))
}

/// The exact bytes uploaded for the current version.
#[utoipa::path(get, path = "/api/v1/documents/{id}/original", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "document id")),
    responses(
        (status = 200, description = "the original file", content(("application/pdf"), ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"), ("application/octet-stream"))),
        (status = 404, body = crate::error::Problem)))]
#[get("/documents/{id}/original")]
pub async fn original(
    state: web::Data<AppState>,
    who: Guard<AnyRole>,
    ctx: Ctx,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let out =
        service::documents::original(&state.store, &who, path.into_inner(), None, ctx.0).await?;
    Ok(download(out))
}

/// A document's metadata with one of its versions and that version's structure: every
/// version stays readable (21 CFR Part 11 §11.10(b)).
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{version}", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "document id"), ("version" = i32, Path, description = "version number")),
    responses((status = 200, body = DocumentDetail), (status = 404, body = crate::error::Problem)))]
#[get("/documents/{id}/versions/{version}")]
pub async fn get_version(
    state: web::Data<AppState>,
    who: Guard<AnyRole>,
    path: web::Path<(Uuid, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, version) = path.into_inner();
    let (d, v) = service::documents::get_version(&state.store, &who, id, version).await?;
    Ok(HttpResponse::Ok().json(detail(&state, &who, d, v).await?))
}

/// The exact bytes uploaded for one version (an audited download).
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{version}/original", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "document id"), ("version" = i32, Path, description = "version number")),
    responses(
        (status = 200, description = "the original file of that version", content(("application/pdf"), ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"), ("application/octet-stream"))),
        (status = 404, body = crate::error::Problem)))]
#[get("/documents/{id}/versions/{version}/original")]
pub async fn version_original(
    state: web::Data<AppState>,
    who: Guard<AnyRole>,
    ctx: Ctx,
    path: web::Path<(Uuid, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, version) = path.into_inner();
    let out = service::documents::original(&state.store, &who, id, Some(version), ctx.0).await?;
    Ok(download(out))
}

/// The original as an attachment, with its media type and SHA-256.
fn download((v, bytes): (store::documents::Version, Vec<u8>)) -> HttpResponse {
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
    HttpResponse::Ok()
        .content_type(media)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii}\""),
        ))
        .insert_header(("X-Content-SHA256", v.blob_sha256))
        .body(bytes)
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
    let vs = service::documents::versions(&state.store, &who, path.into_inner()).await?;
    let out: Vec<VersionView> = vs.into_iter().map(VersionView::from).collect();
    Ok(HttpResponse::Ok().json(out))
}
