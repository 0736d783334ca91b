//! Analyses of document versions as jobs: request one (202 with the job), follow it,
//! cancel it. The pipeline runs in a worker (`service::worker`), not in the request.

use crate::auth::{AnyRole, CanAnalyse, Guard};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use service::review::AnalysisOptions;
use service::review::export::Format;
use service::review::jobs::JobView;
use uuid::Uuid;

/// Request an analysis of a document version (writers, QA, managers): QC findings,
/// candidate sentences, the model's proposals and the rules' rewrites, every one
/// cross-checked; optionally limited to sections, suggestion kinds, a template, a count.
#[utoipa::path(post, path = "/api/v1/documents/{id}/analyses", tag = "review",
    security(("bearer" = [])), request_body = AnalysisOptions,
    params(("id" = Uuid, Path, description = "document id")),
    responses(
        (status = 202, description = "queued; follow it at /api/v1/jobs/{id}", body = JobView),
        (status = 409, description = "the version is approved or rejected (locked)", body = crate::error::Problem)
))]
#[post("/documents/{id}/analyses")]
pub async fn request(
    state: web::Data<AppState>,
    who: Guard<CanAnalyse>,
    ctx: Ctx,
    path: web::Path<Uuid>,
    body: web::Json<AnalysisOptions>,
) -> Result<HttpResponse, ApiError> {
    let job = service::review::jobs::request(
        &state.store,
        &state.models,
        &who,
        path.into_inner(),
        body.into_inner(),
        ctx.0,
    )
    .await?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", format!("/api/v1/jobs/{}", job.id)))
        .json(job))
}

/// The analyses of a document version, newest first.
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{version}/analyses", tag = "review",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "document id"), ("version" = i32, Path, description = "version number")),
    responses((status = 200, body = [JobView])))]
#[get("/documents/{id}/versions/{version}/analyses")]
pub async fn of_version(
    state: web::Data<AppState>,
    who: Guard<AnyRole>,
    path: web::Path<(Uuid, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, version) = path.into_inner();
    let jobs = service::review::jobs::of_version(&state.store, &who, id, version).await?;
    Ok(HttpResponse::Ok().json(jobs))
}

/// An analysis job: state (queued, running, done, failed, cancelled), progress (sentences
/// done of the total), counts, timings per stage, the error if any.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "review", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "job id")),
    responses((status = 200, body = JobView)))]
#[get("/jobs/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    who: Guard<AnyRole>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let job = service::review::jobs::get(&state.store, &who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(job))
}

/// Cancel a queued or running analysis (its requester, QA, managers).
#[utoipa::path(delete, path = "/api/v1/jobs/{id}", tag = "review", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "job id")),
    responses(
        (status = 200, description = "cancelled", body = JobView),
        (status = 409, description = "the job had already ended", body = crate::error::Problem)
))]
#[delete("/jobs/{id}")]
pub async fn cancel(
    state: web::Data<AppState>,
    who: Guard<AnyRole>,
    ctx: Ctx,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let job = service::review::jobs::cancel(&state.store, &who, path.into_inner(), ctx.0).await?;
    Ok(HttpResponse::Ok().json(job))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `docx` (the revised document with tracked changes), `json` (the review report) or
    /// `html` (the same report as a self-contained page with an A4 print style).
    pub format: String,
    /// Version number (default: the current version).
    pub version: Option<i32>,
}

/// Written by hand: utoipa drops `required` and the description of a parameter whose
/// schema comes from `schema_with` (the format names come from `Format::ALL`).
impl utoipa::IntoParams for ExportQuery {
    fn into_params(
        parameter_in_provider: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{ObjectBuilder, Required, Type};
        let at = || parameter_in_provider().unwrap_or(ParameterIn::Query);
        vec![
            ParameterBuilder::new()
                .name("format")
                .parameter_in(at())
                .required(Required::True)
                .description(Some(
                    "`docx` (the revised document with tracked changes), `json` (the review report) or `html` (the same report as a self-contained page with an A4 print style)",
                ))
                .schema(Some(super::schemas::review_export_format()))
                .build(),
            ParameterBuilder::new()
                .name("version")
                .parameter_in(at())
                .required(Required::False)
                .description(Some("Version number (default: the current version)"))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                            utoipa::openapi::KnownFormat::Int32,
                        ))),
                ))
                .build(),
        ]
    }
}

/// The styles a review report's page may use (its own inline style; nothing else loads or
/// runs), for when a browser shows it rather than saving it.
const HTML_REPORT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Export a reviewed version: `docx`, the document with every accepted suggestion as a
/// tracked change (sentences that cannot be changed safely are listed in the
/// `Dualcheck-Export-Notes` header); `json`, the review report; `html`, the same report as
/// one printable page (QA, managers, auditors for the reports). Every export is recorded in
/// the audit trail (`document.export`, with its format).
#[utoipa::path(get, path = "/api/v1/documents/{id}/export", tag = "review",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "document id"), ExportQuery),
    responses(
        (status = 200, description = "the export", content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (service::review::report::Report = "application/json"),
            (String = "text/html; charset=utf-8"))),
        (status = 400, description = "unknown format (the detail lists the formats)", body = crate::error::Problem),
        (status = 403, description = "the report formats need QA, manager or auditor", body = crate::error::Problem)
))]
#[get("/documents/{id}/export")]
pub async fn export(
    state: web::Data<AppState>,
    who: Guard<AnyRole>,
    ctx: Ctx,
    path: web::Path<Uuid>,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let format = Format::parse(&q.format)?;
    export_response(&state, &who, ctx, path.into_inner(), q.version, format).await
}

/// The export of a version as a download (the API's and the pages' one answer).
pub(crate) async fn export_response(
    state: &AppState,
    who: &store::Principal,
    ctx: Ctx,
    document: Uuid,
    version: Option<i32>,
    format: Format,
) -> Result<HttpResponse, ApiError> {
    let out = service::review::export::export(
        &state.store,
        who,
        &state.audit_key.verifying_key(),
        service::review::export::ExportOf {
            document,
            version,
            format,
        },
        &state.settings.ingest_limits(),
        ctx.0,
    )
    .await?;
    let notes = serde_json::to_string(&out.skipped).unwrap_or_else(|_| "[]".into());
    let mut res = HttpResponse::Ok();
    res.content_type(out.media_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{}\"", out.filename),
        ))
        .insert_header(("Dualcheck-Export-Notes", notes));
    if format == Format::Html {
        res.insert_header((header::CONTENT_SECURITY_POLICY, HTML_REPORT_CSP));
    }
    Ok(res.body(out.bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use service::review::export::Format;

    #[test]
    fn the_export_route_documents_every_format_and_media_type() {
        let doc = crate::routes::openapi_errors::document();
        let op = &doc["paths"]["/api/v1/documents/{id}/export"]["get"];
        let format = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "format")
            .unwrap();
        let names: Vec<&str> = format["schema"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let all: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
        assert_eq!(names, all);
        // The server refuses a request without it: the schema says so.
        assert_eq!(format["required"], true, "{format}");
        assert!(names.contains(&"html"));
        let content = op["responses"]["200"]["content"].as_object().unwrap();
        for media in ["application/json", "text/html; charset=utf-8"] {
            assert!(content.contains_key(media), "{media}: {content:?}");
        }
        assert!(op["responses"]["400"].is_object());
    }
}
