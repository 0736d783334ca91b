//! Electronic signatures on a document version (21 CFR Part 11 §11.50, §11.70, §11.200):
//! the session identifies the signer, the password is asked again, the meaning is stated,
//! and the signature binds the SHA-256 of the version's exact content. The policy (which
//! role signs which meaning, the password check, the lockout, separation of duties) is
//! `service::signing` and `service::signature_policy`.

use crate::auth::{AnyRole, CanSign, Guard};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use service::signing::SignatureView;
use store::Meaning;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignBody {
    /// The signer's password, asked again for this signature.
    pub password: String,
    /// authored, reviewed, approved, rejected or responsible.
    #[schema(schema_with = super::schemas::meaning)]
    pub meaning: Meaning,
}

/// Sign a document version.
#[utoipa::path(post, path = "/api/v1/documents/{id}/versions/{version}/signatures", tag = "signatures",
    security(("bearer" = [])), request_body = SignBody,
    params(("id" = Uuid, Path, description = "document id"), ("version" = i32, Path, description = "version number")),
    responses(
        (status = 201, body = SignatureView),
        (status = 400, body = crate::error::Problem),
        (status = 403, description = "wrong password (counted toward the lockout), a meaning the role may not sign, or separation of duties (the author reviews or approves, the reviewer approves, someone else signs authored)", body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, description = "out of order (authored, then reviewed, then approved or rejected), already signed by you, or approved and rejected together", body = crate::error::Problem),
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
    let s = service::signing::sign_version(
        &state.store,
        &state.attempts,
        &who,
        service::signing::SignVersion {
            id,
            version,
            meaning: b.meaning,
            password: &b.password,
        },
        ctx.0,
    )
    .await?;
    Ok(HttpResponse::Created().json(s))
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
    let out = service::signing::version_signatures(&state.store, &who, id, version).await?;
    Ok(HttpResponse::Ok().json(out))
}
