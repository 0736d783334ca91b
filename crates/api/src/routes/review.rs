//! What analyses stored and what reviewers decide: findings and suggestions of a version
//! (filters, pages), one suggestion in full, signed decisions and suppressions.

use crate::auth::{AnyRole, CanDecide, CanReplay, CanSuppress, Guard};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use service::review::decide::{DecisionInput, DecisionOutcome, SuppressInput};
use service::review::read::{FindingView, Page, Scope, SuggestionDetail, SuggestionView};
use store::review::{FindingFilter, SuggestionFilter};
use utoipa::IntoParams;
use uuid::Uuid;

fn page(limit: Option<u64>, offset: Option<u64>) -> Result<(u64, u64), ApiError> {
    let limit = limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::BadRequest("limit: use 1 to 200".into()));
    }
    let offset = offset.unwrap_or(0);
    if i64::try_from(offset).is_err() {
        return Err(ApiError::BadRequest(format!(
            "offset must be at most {}",
            i64::MAX
        )));
    }
    Ok((limit, offset))
}

/// A filter value from a closed list, or 400 naming the list.
fn one_of(name: &str, value: Option<String>, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match value {
        Some(v) if !allowed.contains(&v.as_str()) => Err(ApiError::BadRequest(format!(
            "{name}: use one of {}",
            allowed.join(", ")
        ))),
        v => Ok(v),
    }
}

const LEVELS: &[&str] = &["info", "warn", "block"];
const VERDICTS: &[&str] = &["pass", "warn", "block"];
const SOURCES: &[&str] = &["ai", "rule", "edit"];
const STATUSES: &[&str] = &[
    "open",
    "accepted",
    "rejected",
    "edited",
    "blocked",
    "superseded",
];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FindingQuery {
    /// Version number (default: the current version).
    pub version: Option<i32>,
    /// An analysis job (default: the version's latest finished analysis).
    pub job: Option<Uuid>,
    /// `open` or `suppressed`.
    #[param(pattern = "^(open|suppressed)$")]
    pub status: Option<String>,
    pub rule: Option<String>,
    /// A section number (`5` includes `5.2.1`).
    pub section: Option<String>,
    /// `info`, `warn` or `block`.
    #[param(pattern = "^(info|warn|block)$")]
    pub level: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[param(maximum = 9223372036854775807_u64)]
    pub offset: Option<u64>,
}

/// The QC findings of a document version's analysis.
#[utoipa::path(get, path = "/api/v1/documents/{id}/findings", tag = "review",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "document id"), FindingQuery),
    responses((status = 200, body = Page<FindingView>)))]
#[get("/documents/{id}/findings")]
pub async fn findings(
    state: web::Data<AppState>,
    who: Guard<AnyRole>,
    path: web::Path<Uuid>,
    q: web::Query<FindingQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let (limit, offset) = page(q.limit, q.offset)?;
    let out = service::review::read::findings(
        &state.store,
        &who,
        path.into_inner(),
        Scope {
            version: q.version,
            job: q.job,
        },
        FindingFilter {
            status: one_of("status", q.status, &["open", "suppressed"])?,
            rule: q.rule,
            section: q.section,
            level: one_of("level", q.level, LEVELS)?,
        },
        limit,
        offset,
    )
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SuggestionQuery {
    /// Version number (default: the current version).
    pub version: Option<i32>,
    /// An analysis job (default: the version's latest finished analysis).
    pub job: Option<Uuid>,
    /// `open`, `accepted`, `rejected`, `edited`, `blocked` or `superseded`.
    #[param(pattern = "^(open|accepted|rejected|edited|blocked|superseded)$")]
    pub status: Option<String>,
    /// `pass`, `warn` or `block`.
    #[param(pattern = "^(pass|warn|block)$")]
    pub verdict: Option<String>,
    /// A section number (`5` includes `5.2.1`).
    pub section: Option<String>,
    /// A rule the cross-check named or a rule-made rewrite applied.
    pub rule: Option<String>,
    /// `ai`, `rule` or `edit`.
    #[param(pattern = "^(ai|rule|edit)$")]
    pub source: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    #[param(maximum = 9223372036854775807_u64)]
    pub offset: Option<u64>,
}

/// The suggestions of a document version's analysis.
#[utoipa::path(get, path = "/api/v1/documents/{id}/suggestions", tag = "review",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "document id"), SuggestionQuery),
    responses((status = 200, body = Page<SuggestionView>)))]
#[get("/documents/{id}/suggestions")]
pub async fn suggestions(
    state: web::Data<AppState>,
    who: Guard<AnyRole>,
    path: web::Path<Uuid>,
    q: web::Query<SuggestionQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let (limit, offset) = page(q.limit, q.offset)?;
    let out = service::review::read::suggestions(
        &state.store,
        &who,
        path.into_inner(),
        Scope {
            version: q.version,
            job: q.job,
        },
        SuggestionFilter {
            status: one_of("status", q.status, STATUSES)?,
            verdict: one_of("verdict", q.verdict, VERDICTS)?,
            section: q.section,
            rule: q.rule,
            source: one_of("source", q.source, SOURCES)?,
        },
        limit,
        offset,
    )
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// One suggestion: original, proposal, word-level diff, verdict with reasons and their
/// spans on both sides, provenance, decision history.
#[utoipa::path(get, path = "/api/v1/suggestions/{id}", tag = "review", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "suggestion id")),
    responses((status = 200, body = SuggestionDetail)))]
#[get("/suggestions/{id}")]
pub async fn suggestion(
    state: web::Data<AppState>,
    who: Guard<AnyRole>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let out = service::review::read::suggestion(&state.store, &who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Decide on a suggestion (QA, managers), signed: accept, edit (your own text, cross-checked
/// again) or reject (with a reason code).
#[utoipa::path(post, path = "/api/v1/suggestions/{id}/decision", tag = "review",
    security(("bearer" = [])), request_body = DecisionInput,
    params(("id" = Uuid, Path, description = "suggestion id")),
    responses(
        (status = 201, body = DecisionOutcome),
        (status = 403, description = "wrong password (counted toward the lockout), or separation of duties: the requester of the analysis and the author of the version decide nothing on it", body = crate::error::Problem),
        (status = 409, description = "a blocked proposal or edit (the reasons named), already decided, or the version is locked", body = crate::error::Problem),
        (status = 422, description = "a reason is required (accepting a warning, rejecting) or an edit's text", body = crate::error::Problem),
        (status = 429, body = crate::error::Problem)
))]
#[post("/suggestions/{id}/decision")]
pub async fn decide(
    state: web::Data<AppState>,
    who: Guard<CanDecide>,
    ctx: Ctx,
    path: web::Path<Uuid>,
    body: web::Json<DecisionInput>,
) -> Result<HttpResponse, ApiError> {
    let out = service::review::decide::decide(
        &state.store,
        &state.attempts,
        &state.rules,
        &who,
        path.into_inner(),
        body.into_inner(),
        ctx.0,
    )
    .await?;
    Ok(HttpResponse::Created().json(out))
}

/// Suppress a QC finding (QA), with the reason and a signature (meaning `reviewed`); it
/// stays listed as suppressed, with who, when and why.
#[utoipa::path(post, path = "/api/v1/findings/{id}/suppress", tag = "review",
    security(("bearer" = [])), request_body = SuppressInput,
    params(("id" = Uuid, Path, description = "finding id")),
    responses(
        (status = 201, body = FindingView),
        (status = 409, description = "already suppressed, or the version is locked", body = crate::error::Problem),
        (status = 422, description = "the reason is missing", body = crate::error::Problem),
        (status = 429, body = crate::error::Problem)
))]
#[post("/findings/{id}/suppress")]
pub async fn suppress(
    state: web::Data<AppState>,
    who: Guard<CanSuppress>,
    ctx: Ctx,
    path: web::Path<Uuid>,
    body: web::Json<SuppressInput>,
) -> Result<HttpResponse, ApiError> {
    let out = service::review::decide::suppress(
        &state.store,
        &state.attempts,
        &who,
        path.into_inner(),
        body.into_inner(),
        ctx.0,
    )
    .await?;
    Ok(HttpResponse::Created().json(out))
}

/// Replay a stored model proposal (auditors, QA): regenerated from its provenance with the
/// pinned model file, compared byte for byte; recorded in the trail.
#[utoipa::path(post, path = "/api/v1/suggestions/{id}/replay", tag = "review",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "suggestion id")),
    responses(
        (status = 200, body = service::review::replay::ReplayView),
        (status = 409, description = "not a model proposal", body = crate::error::Problem),
        (status = 503, description = "the model is not installed", body = crate::error::Problem)
))]
#[post("/suggestions/{id}/replay")]
pub async fn replay(
    state: web::Data<AppState>,
    who: Guard<CanReplay>,
    ctx: Ctx,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let out = service::review::replay::replay(
        &state.store,
        &state.models,
        &who,
        path.into_inner(),
        ctx.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(out))
}
