#![allow(clippy::unwrap_used)]
//! End-to-end: the real server in-process on port 0, spoken to over HTTP, on SQLite and on
//! PostgreSQL (a fresh database per test; skipped with a printed line when unreachable).

use dualcheck_tests::samples::text_pdf;
use dualcheck_tests::server::{Db, TestServer};
use serde_json::{Value, json};
use std::io::Cursor;
use store::Role;

fn sample_docx() -> Vec<u8> {
    use docx_rs::{Docx, Paragraph, Run};
    let mut buf = Cursor::new(Vec::new());
    Docx::new()
        .add_paragraph(
            Paragraph::new()
                .add_run(Run::new().add_text("1 Introduction"))
                .style("Heading1"),
        )
        .add_paragraph(Paragraph::new().add_run(Run::new().add_text(
            "Patients received 10 mg of the study drug once daily. No serious adverse events occurred.",
        )))
        .build()
        .pack(&mut buf)
        .unwrap();
    buf.into_inner()
}

fn sample_pdf() -> Vec<u8> {
    text_pdf(&[
        "Clinical Study Protocol",
        "Patients received 10 mg of the study drug once daily.",
        "No serious adverse events were reported.",
    ])
}

async fn problem(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status(), status, "status");
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(ct, "application/problem+json");
    assert!(res.headers().contains_key("x-request-id"));
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["status"], status);
    assert!(v["request_id"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(
        v["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:dualcheck:problem:")
    );
    v
}

// ---------------------------------------------------------------- scenarios

/// The `[server] metrics_token` of the ops test.
const METRICS_TOKEN: &str = "a metrics token of more than thirty-two characters";

async fn upload_and_read_back(s: &TestServer) {
    // Metrics are off by default.
    problem(s.client.get(s.url("/metrics")).send().await.unwrap(), 404).await;
    let token = s.token("acme", "wendy", &[Role::Writer]).await;
    // me
    let me: Value = s.get(&token, "/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["tenant"], "acme");
    assert_eq!(me["user"]["username"], "wendy");
    assert_eq!(me["user"]["roles"], json!(["writer"]));

    for (name, bytes, format) in [
        ("protocol.pdf", sample_pdf(), "pdf"),
        ("report.docx", sample_docx(), "docx"),
    ] {
        let res = s.upload(&token, name, bytes.clone()).await;
        assert_eq!(res.status(), 201, "{name}: {:?}", res.text().await);
        let res = s.upload(&token, name, bytes.clone()).await;
        let created: Value = res.json().await.unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["format"], format);
        assert_eq!(created["version"]["version"], 1);

        let got: Value = s
            .get(&token, &format!("/api/v1/documents/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(got["id"], id.as_str());
        assert_eq!(got["structure"]["metadata"]["format"], format);
        let text = serde_json::to_string(&got["structure"]["blocks"]).unwrap();
        assert!(text.contains("10 mg"), "{name}: structure has the text");

        let orig = s
            .get(&token, &format!("/api/v1/documents/{id}/original"))
            .await;
        assert_eq!(orig.status(), 200);
        let ct = orig.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.contains(if format == "pdf" {
            "pdf"
        } else {
            "wordprocessingml"
        }));
        assert_eq!(
            orig.bytes().await.unwrap().to_vec(),
            bytes,
            "{name}: exact bytes"
        );

        // A new version.
        let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_owned());
        let res = s
            .client
            .post(s.url(&format!("/api/v1/documents/{id}/versions")))
            .bearer_auth(&token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let vs: Value = s
            .get(&token, &format!("/api/v1/documents/{id}/versions"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(vs.as_array().unwrap().len(), 2);
        assert_eq!(vs[1]["version"], 2);
    }
    let page: Value = s
        .get(&token, "/api/v1/documents?limit=3&offset=0")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 4);
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let page2: Value = s
        .get(&token, "/api/v1/documents?limit=3&offset=3")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page2["items"].as_array().unwrap().len(), 1);
    problem(s.get(&token, "/api/v1/documents?limit=0").await, 400).await;

    // Logout revokes.
    let res = s
        .client
        .post(s.url("/api/v1/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    problem(s.get(&token, "/api/v1/me").await, 401).await;
}

async fn cross_tenant_isolation(s: &TestServer) {
    let a = s.token("alpha", "anna", &[Role::Writer]).await;
    let b = s.token("beta", "bert", &[Role::Writer, Role::Admin]).await;
    let created: Value = s
        .upload(&a, "a.pdf", sample_pdf())
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    for path in [
        format!("/api/v1/documents/{id}"),
        format!("/api/v1/documents/{id}/original"),
        format!("/api/v1/documents/{id}/versions"),
    ] {
        let from_b = problem(s.get(&b, &path).await, 404).await;
        // Exactly like an id that does not exist.
        let missing = problem(
            s.get(&b, &path.replace(id, &uuid::Uuid::new_v4().to_string()))
                .await,
            404,
        )
        .await;
        assert_eq!(from_b["detail"], missing["detail"]);
        assert_eq!(from_b["type"], missing["type"]);
    }
    let list_b: Value = s.get(&b, "/api/v1/documents").await.json().await.unwrap();
    assert_eq!(list_b["total"], 0);
    assert!(list_b["items"].as_array().unwrap().is_empty());
    let list_a: Value = s.get(&a, "/api/v1/documents").await.json().await.unwrap();
    assert_eq!(list_a["total"], 1);
    // A new version posted from the other tenant is refused the same way.
    let part = reqwest::multipart::Part::bytes(sample_pdf()).file_name("x.pdf");
    let res = s
        .client
        .post(s.url(&format!("/api/v1/documents/{id}/versions")))
        .bearer_auth(&b)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    problem(res, 404).await;
    // The tenant cannot be chosen by the caller: headers and query are ignored.
    let res = s
        .client
        .get(s.url(&format!("/api/v1/documents/{id}?tenant=alpha")))
        .bearer_auth(&b)
        .header("X-Tenant", "alpha")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Users are per tenant too.
    let users: Value = s.get(&b, "/api/v1/users").await.json().await.unwrap();
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["bert"]);
    // Looking into each tenant's own schema (or file) directly.
    assert_eq!(
        s.store
            .count_rows_in_schema("alpha", "documents")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.store
            .count_rows_in_schema("beta", "documents")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        s.store
            .count_rows_in_schema("beta", "document_versions")
            .await
            .unwrap(),
        0
    );
}

async fn roles_allowed_and_forbidden(s: &TestServer) {
    let writer = s.token("acme", "writer1", &[Role::Writer]).await;
    let qa = s.token("acme", "qa1", &[Role::Qa]).await;
    let manager = s.token("acme", "manager1", &[Role::Manager]).await;
    let auditor = s.token("acme", "auditor1", &[Role::Auditor]).await;
    let admin = s.token("acme", "admin1", &[Role::Admin]).await;

    let created: Value = s
        .upload(&writer, "p.pdf", sample_pdf())
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    for t in [&qa, &manager, &auditor, &admin] {
        problem(s.upload(t, "p.pdf", sample_pdf()).await, 403).await;
        assert_eq!(
            s.get(t, &format!("/api/v1/documents/{id}")).await.status(),
            200
        );
        assert_eq!(s.get(t, "/api/v1/documents").await.status(), 200);
        assert_eq!(
            s.get(t, &format!("/api/v1/documents/{id}/original"))
                .await
                .status(),
            200
        );
    }
    for t in [&writer, &qa, &manager, &auditor] {
        problem(s.get(t, "/api/v1/users").await, 403).await;
        let res = s
            .client
            .post(s.url("/api/v1/users"))
            .bearer_auth(t)
            .json(&json!({"username": "eve", "password": "a long enough passphrase", "roles": ["admin"]}))
            .send()
            .await
            .unwrap();
        problem(res, 403).await;
    }
    // Admin creates, lists and changes users.
    let res = s
        .client
        .post(s.url("/api/v1/users"))
        .bearer_auth(&admin)
        .json(&json!({"username": "newbie", "display_name": "New Bie", "password": "a long enough passphrase", "roles": ["writer"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let newbie: Value = res.json().await.unwrap();
    let res = s
        .client
        .post(s.url("/api/v1/users"))
        .bearer_auth(&admin)
        .json(&json!({"username": "newbie", "password": "a long enough passphrase", "roles": ["writer"]}))
        .send()
        .await
        .unwrap();
    problem(res, 409).await;
    let res = s
        .client
        .post(s.url("/api/v1/users"))
        .bearer_auth(&admin)
        .json(&json!({"username": "shorty", "password": "short", "roles": ["writer"]}))
        .send()
        .await
        .unwrap();
    problem(res, 400).await;
    let res = s
        .client
        .post(s.url("/api/v1/users"))
        .bearer_auth(&admin)
        .json(&json!({"username": "samename1234", "password": "samename1234", "roles": ["writer"]}))
        .send()
        .await
        .unwrap();
    problem(res, 400).await;
    let users: Value = s.get(&admin, "/api/v1/users").await.json().await.unwrap();
    assert_eq!(users.as_array().unwrap().len(), 6);
    let login = s
        .login_raw("acme", "newbie", "a long enough passphrase")
        .await;
    assert_eq!(login.status(), 200);
    let newbie_token = login.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let uid = newbie["id"].as_str().unwrap();
    let res = s
        .client
        .patch(s.url(&format!("/api/v1/users/{uid}")))
        .bearer_auth(&admin)
        .json(&json!({"roles": ["qa", "auditor"], "reason": "moved to QA (change request CR-7)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let me: Value = s
        .get(&newbie_token, "/api/v1/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["roles"], json!(["qa", "auditor"]));
    problem(s.upload(&newbie_token, "p.pdf", sample_pdf()).await, 403).await;
    // Deactivation revokes the sessions and blocks login.
    let res = s
        .client
        .patch(s.url(&format!("/api/v1/users/{uid}")))
        .bearer_auth(&admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    problem(s.get(&newbie_token, "/api/v1/me").await, 401).await;
    problem(
        s.login_raw("acme", "newbie", "a long enough passphrase")
            .await,
        401,
    )
    .await;
    // PATCH on an unknown user, or with an unknown role.
    let res = s
        .client
        .patch(s.url(&format!("/api/v1/users/{}", uuid::Uuid::new_v4())))
        .bearer_auth(&admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    problem(res, 404).await;
    let res = s
        .client
        .patch(s.url(&format!("/api/v1/users/{uid}")))
        .bearer_auth(&admin)
        .json(&json!({"roles": ["superuser"]}))
        .send()
        .await
        .unwrap();
    problem(res, 400).await;
    // No token, forged token, wrong scheme.
    let res = s
        .client
        .get(s.url("/api/v1/documents"))
        .send()
        .await
        .unwrap();
    let p = problem(res, 401).await;
    assert_eq!(p["type"], "urn:dualcheck:problem:unauthenticated");
    problem(s.get(&"ab".repeat(32), "/api/v1/documents").await, 401).await;
    problem(s.get("not-a-token", "/api/v1/documents").await, 401).await;
    let res = s
        .client
        .get(s.url("/api/v1/documents"))
        .header("Authorization", format!("Basic {writer}"))
        .send()
        .await
        .unwrap();
    problem(res, 401).await;
}

async fn lockout_after_five_failures(s: &TestServer) {
    let pw = s.user("acme", "lucy", &[Role::Writer]).await;
    // Unknown user and wrong password answer the same.
    let unknown = problem(
        s.login_raw("acme", "nobody", "whatever whatever").await,
        401,
    )
    .await;
    let wrong = problem(s.login_raw("acme", "lucy", "wrong wrong wrong").await, 401).await;
    assert_eq!(unknown["detail"], wrong["detail"]);
    let no_tenant = problem(s.login_raw("nosuch", "lucy", &pw).await, 401).await;
    assert_eq!(no_tenant["detail"], wrong["detail"]);
    for _ in 0..4 {
        problem(s.login_raw("acme", "lucy", "wrong wrong wrong").await, 401).await;
    }
    // Five failures: locked, even with the right password.
    let locked = problem(s.login_raw("acme", "lucy", &pw).await, 429).await;
    assert_eq!(locked["type"], "urn:dualcheck:problem:locked_out");
    // Another user of the tenant is not affected.
    let pw2 = s.user("acme", "mary", &[Role::Writer]).await;
    assert_eq!(s.login_raw("acme", "mary", &pw2).await.status(), 200);
    // The attempts are recorded (for the audit issue's alerting).
    assert!(
        service::lockout::failures(&s.store, "acme", "lucy")
            .await
            .unwrap()
            >= 5
    );
}

async fn bad_input(s: &TestServer) {
    let token = s.token("acme", "wendy", &[Role::Writer]).await;
    // Malformed JSON and wrong shapes: 400.
    for body in ["{not json", "[]", "{\"tenant\": 1}", ""] {
        let res = s
            .client
            .post(s.url("/api/v1/auth/login"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        problem(res, 400).await;
    }
    // Oversize upload: 413 (limit 64 KiB in this server).
    let big = [sample_pdf(), vec![b' '; 100_000]].concat();
    problem(s.upload(&token, "big.pdf", big).await, 413).await;
    // Unsupported type: 415; not multipart: 415; empty: 400; broken PDF: 422.
    problem(
        s.upload(&token, "notes.txt", b"just some text".to_vec())
            .await,
        415,
    )
    .await;
    let res = s
        .client
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&token)
        .header("content-type", "application/pdf")
        .body(sample_pdf())
        .send()
        .await
        .unwrap();
    problem(res, 415).await;
    problem(s.upload(&token, "empty.pdf", vec![]).await, 400).await;
    problem(
        s.upload(&token, "broken.pdf", b"%PDF-1.4\n1 0 obj garbage".to_vec())
            .await,
        422,
    )
    .await;
    let form = reqwest::multipart::Form::new().text("title", "no file");
    let res = s
        .client
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    problem(res, 400).await;
    // Unknown routes and non-UUID ids: 404 problems.
    problem(s.get(&token, "/api/v1/nothing-here").await, 404).await;
    problem(s.get(&token, "/api/v1/documents/not-a-uuid").await, 404).await;
    // Hostile slugs and usernames never reach SQL as text, and answer 401, never 500.
    for (tenant, user) in [
        ("acme'; DROP TABLE users; --", "wendy"),
        ("\"tenant_acme\"", "wendy"),
        ("../../etc", "wendy"),
        ("acme", "wendy' OR '1'='1"),
        ("acme", "wendy\"; SET search_path TO public; --"),
        ("ACME", "wendy"),
        ("acme", &"x".repeat(10_000)),
        (&"a".repeat(10_000), "wendy"),
        ("acme\u{0}", "wendy"),
        ("", ""),
    ] {
        problem(s.login_raw(tenant, user, "whatever whatever").await, 401).await;
    }
    // Hostile usernames are refused at creation.
    let admin = s.token("acme", "root1", &[Role::Admin]).await;
    for bad in ["bob'; --", "../bob", "bob smith", "", "élodie"] {
        let res = s
            .client
            .post(s.url("/api/v1/users"))
            .bearer_auth(&admin)
            .json(&json!({"username": bad, "password": "a long enough passphrase", "roles": ["writer"]}))
            .send()
            .await
            .unwrap();
        problem(res, 400).await;
    }
    // Hostile tenant slugs are refused by the store.
    for bad in [
        "a\"; DROP SCHEMA public; --",
        "Tenant",
        "1abc",
        "a",
        "tenant-x",
    ] {
        assert!(
            s.store
                .create_tenant(bad, "x", &store::By::system())
                .await
                .is_err(),
            "{bad}"
        );
    }
    // Still healthy, and the tables are intact.
    assert_eq!(
        s.login_raw("acme", "root1", "root1 has a long passphrase")
            .await
            .status(),
        200
    );
}

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

async fn token_expiry(db: Db) {
    let Some(s) = TestServer::start(db, |c| c.sessions.idle_secs = 1).await else {
        return;
    };
    let token = s.token("acme", "idle", &[Role::Writer]).await;
    assert_eq!(s.get(&token, "/api/v1/me").await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    problem(s.get(&token, "/api/v1/me").await, 401).await;
    s.finish().await;
    let Some(s) = TestServer::start(db, |c| c.sessions.absolute_secs = 1).await else {
        return;
    };
    let token = s.token("acme", "brief", &[Role::Writer]).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    problem(s.get(&token, "/api/v1/me").await, 401).await;
    s.finish().await;
}

// ---------------------------------------------------------------- tests

macro_rules! on_both {
    ($name:ident, $scenario:ident, $settings:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let s = TestServer::start(Db::Sqlite, $settings).await.unwrap();
                $scenario(&s).await;
                s.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(s) = TestServer::start(Db::Postgres, $settings).await else {
                    return;
                };
                $scenario(&s).await;
                s.finish().await;
            }
        }
    };
}

on_both!(upload_read_back, upload_and_read_back, |_| {});
on_both!(isolation, cross_tenant_isolation, |_| {});
on_both!(roles, roles_allowed_and_forbidden, |_| {});
on_both!(lockout, lockout_after_five_failures, |_| {});
on_both!(malformed_and_hostile, bad_input, |c| c
    .server
    .max_upload_bytes =
    64 * 1024);
on_both!(headers_ops_openapi, security_headers_and_ops, |c| c
    .server
    .metrics_token =
    Some(dualcheck_api::settings::Secret::new(METRICS_TOKEN)));

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_expiry_sqlite() {
    token_expiry(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_expiry_postgres() {
    token_expiry(Db::Postgres).await;
}
