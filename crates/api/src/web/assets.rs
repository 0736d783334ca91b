//! The pages' stylesheet and script, compiled into the binary (no CDN, works offline).

use actix_web::http::header;
use actix_web::{HttpResponse, get};

pub const STYLESHEET: &str = include_str!("../../static/app.css");
pub const SCRIPT: &str = include_str!("../../static/app.js");

fn asset(media_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(media_type)
        .insert_header((header::CACHE_CONTROL, "private, max-age=300"))
        .body(body)
}

#[get("/static/app.css")]
pub async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLESHEET)
}

#[get("/static/app.js")]
pub async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}
