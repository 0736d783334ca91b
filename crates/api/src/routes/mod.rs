//! HTTP routes, one file per resource.

pub mod analyses;
pub mod audit_trail;
pub mod auth;
pub mod documents;
pub mod health;
pub mod models;
pub mod openapi;
pub mod openapi_errors;
pub mod review;
pub mod schemas;
pub mod signatures;
pub mod users;

use actix_web::web;

/// Mount every route on the app.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(openapi::openapi_json)
        .service(
            web::scope("/api/v1")
                .service(auth::login)
                .service(auth::logout)
                .service(auth::me)
                .service(auth::change_password)
                .service(users::create)
                .service(users::list)
                .service(users::patch)
                .service(users::reset_password)
                .service(documents::upload::upload)
                .service(documents::read::list)
                .service(documents::read::get)
                .service(documents::read::original)
                .service(documents::read::versions)
                .service(documents::read::get_version)
                .service(documents::read::version_original)
                .service(documents::upload::add_version)
                .service(signatures::sign)
                .service(signatures::list)
                .service(audit_trail::query)
                .service(audit_trail::verify)
                .service(audit_trail::export)
                .service(models::list)
                .service(analyses::request)
                .service(analyses::of_version)
                .service(analyses::get)
                .service(analyses::cancel)
                .service(analyses::export)
                .service(review::findings)
                .service(review::suggestions)
                .service(review::suggestion)
                .service(review::decide)
                .service(review::suppress)
                .service(review::replay),
        );
}
