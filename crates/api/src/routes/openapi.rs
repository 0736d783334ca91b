//! `GET /openapi.json`: the OpenAPI 3 document, generated from the handlers' annotations.

use actix_web::{HttpResponse, get};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "dualcheck", description = "Dual-control review of clinical documents (API v1)."),
    paths(
        super::health::healthz,
        super::health::readyz,
        super::health::metrics,
        super::auth::login,
        super::auth::logout,
        super::auth::me,
        super::auth::change_password,
        super::users::create,
        super::users::list,
        super::users::patch,
        super::users::reset_password,
        super::documents::upload::upload,
        super::documents::upload::add_version,
        super::documents::read::list,
        super::documents::read::get,
        super::documents::read::original,
        super::documents::read::versions,
        super::documents::read::get_version,
        super::documents::read::version_original,
        super::signatures::sign,
        super::signatures::list,
        super::audit_trail::query,
        super::audit_trail::verify,
        super::audit_trail::export,
        super::models::list,
        super::analyses::request,
        super::analyses::of_version,
        super::analyses::get,
        super::analyses::cancel,
        super::analyses::export,
        super::review::findings,
        super::review::suggestions,
        super::review::suggestion,
        super::review::decide,
        super::review::suppress,
        super::review::replay,
        openapi_json,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "ops", responses((status = 200, description = "OpenAPI 3 document")))]
#[get("/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(super::openapi_errors::document())
}
