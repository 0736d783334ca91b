//! Electronic signatures on a document version (21 CFR Part 11 §11.50, §11.70, §11.200):
//! the session identifies the signer, the password is asked again, the meaning is stated,
//! and the signature binds the SHA-256 of the version's exact content. Listing recomputes
//! that hash, so a signature moved to another record shows as not valid.

use crate::auth::{AnyRole, CanSign, Guard};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use store::documents;
use store::signatures::{SignRequest, SignatureInfo, roles_for_meaning};
use utoipa::ToSchema;
use uuid::Uuid;

const RECORD_TYPE: &str = "document_version";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignBody {
    /// The signer's password, asked again for this signature.
    pub password: String,
    /// authored, reviewed, approved, rejected or responsible.
    pub meaning: String,
}

/// A stored signature (signer id and printed name, meaning, time, record hash, audit
/// sequence number, `manifestation`) and whether the record still hashes to it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub signature: SignatureInfo,
    /// The record's content still hashes to `record_sha256` (§11.70).
    pub valid: bool,
}

fn view(s: SignatureInfo, current_sha: &str) -> SignatureView {
    SignatureView {
        valid: s.record_sha256 == current_sha,
        signature: s,
    }
}

async fn record_sha(
    state: &AppState,
    who: &store::Principal,
    id: Uuid,
    version: i32,
) -> Result<(String, String), ApiError> {
    let v = state
        .store
        .tenant_tx(&who.tenant, move |txn| {
            Box::pin(async move { documents::get_version(txn, id, version).await })
        })
        .await?
        .ok_or(ApiError::NotFound("document version"))?;
    Ok((
        format!("{id}/v{version}"),
        documents::version_record_sha256(&v),
    ))
}

/// Sign a document version.
#[utoipa::path(post, path = "/api/v1/documents/{id}/versions/{version}/signatures", tag = "signatures",
    security(("bearer" = [])), request_body = SignBody,
    params(("id" = Uuid, Path, description = "document id"), ("version" = i32, Path, description = "version number")),
    responses(
        (status = 201, body = SignatureView),
        (status = 400, body = crate::error::Problem),
        (status = 403, description = "wrong password (counted toward the lockout) or a meaning the role may not sign", body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 429, body = crate::error::Problem)
))]
#[post("/documents/{id}/versions/{version}/signatures")]
pub async fn sign(
    state: web::Data<AppState>,
    who: Guard<CanSign>,
    ctx: Ctx,
    path: web::Path<(Uuid, i32)>,
    body: web::Json<SignBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, version) = path.into_inner();
    let b = body.into_inner();
    let allowed = roles_for_meaning(&b.meaning).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "unknown signature meaning {:?}; use one of {}",
            b.meaning,
            store::signatures::MEANINGS.join(", ")
        ))
    })?;
    if !who.has_any(allowed) {
        return Err(ApiError::Forbidden);
    }
    let (record_id, sha) = record_sha(&state, &who, id, version).await?;
    let s = state
        .store
        .sign(
            &who,
            SignRequest {
                record_type: RECORD_TYPE.into(),
                record_id,
                record_sha256: sha.clone(),
                meaning: b.meaning,
                password: b.password,
                request: ctx.0,
            },
        )
        .await?;
    Ok(HttpResponse::Created().json(view(s, &sha)))
}

/// The signatures of a document version, each checked against the version's content.
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{version}/signatures", tag = "signatures",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "document id"), ("version" = i32, Path, description = "version number")),
    responses((status = 200, body = [SignatureView]), (status = 404, body = crate::error::Problem)))]
#[get("/documents/{id}/versions/{version}/signatures")]
pub async fn list(
    state: web::Data<AppState>,
    who: Guard<AnyRole>,
    path: web::Path<(Uuid, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, version) = path.into_inner();
    let (record_id, sha) = record_sha(&state, &who, id, version).await?;
    let sigs = state
        .store
        .signatures_of(&who.tenant, RECORD_TYPE, &record_id)
        .await?;
    let out: Vec<SignatureView> = sigs.into_iter().map(|s| view(s, &sha)).collect();
    Ok(HttpResponse::Ok().json(out))
}
