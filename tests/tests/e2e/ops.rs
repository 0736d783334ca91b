//! Operations endpoints over HTTP: security headers, /healthz, /readyz, /metrics behind its
//! token, the OpenAPI document.

use crate::support::problem;
use dualcheck_tests::server::{Db, TestServer};
use serde_json::{Value, json};

// ---------------------------------------------------------------- scenarios
/// The `[server] metrics_token` of the ops test.
const METRICS_TOKEN: &str = "a metrics token of more than thirty-two characters";

async fn security_headers_and_ops(s: &TestServer) {
    let res = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert!(
        !h.contains_key("strict-transport-security"),
        "no HSTS without TLS"
    );
    let res = s.client.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // Errors carry the headers too.
    let res = s.client.get(s.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    // Metrics need their token.
    for auth in ["", "Bearer wrong-token", "Basic eA=="] {
        let mut req = s.client.get(s.url("/metrics"));
        if !auth.is_empty() {
            req = req.header("authorization", auth);
        }
        problem(req.send().await.unwrap(), 401).await;
    }
    let metrics = s
        .client
        .get(s.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("dualcheck_http_requests_total{status=\"2xx\"}"));
    assert!(metrics.contains("dualcheck_http_request_duration_seconds_count"));
    let api: Value = s
        .client
        .get(s.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(api["openapi"].as_str().unwrap().starts_with("3."));
    for p in [
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/documents",
        "/api/v1/documents/{id}",
        "/api/v1/documents/{id}/original",
        "/api/v1/documents/{id}/versions",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
    ] {
        assert!(api["paths"].get(p).is_some(), "OpenAPI lacks {p}");
    }
    // First start created demo/admin with a working password.
    let (user, pw) = s.bootstrap.clone().expect("bootstrap admin");
    let res = s.login_raw("demo", &user, &pw).await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["user"]["roles"], json!(["admin"]));
}

on_both!(headers_ops_openapi, security_headers_and_ops, |c| c
    .server
    .metrics_token =
    Some(dualcheck_api::settings::Secret::new(METRICS_TOKEN)));
