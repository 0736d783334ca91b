//! `GET /api/v1/models`: the models this installation pins (files and SHA-256, licence,
//! prompt format) and the state of each (ready, missing, being fetched, failed, mismatch).

use crate::auth::{AnyRole, Guard};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use service::models::ModelView;

/// Every model of the manifest and where it stands.
#[utoipa::path(get, path = "/api/v1/models", tag = "models", security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<ModelView>),
        (status = 401, body = crate::error::Problem),
        (status = 403, description = "a password change is due first", body = crate::error::Problem)
))]
#[get("/models")]
pub async fn list(
    state: web::Data<AppState>,
    who: Guard<AnyRole>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.models.list(&who)?))
}
