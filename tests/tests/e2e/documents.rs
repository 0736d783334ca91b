//! Documents over HTTP: upload, structure and original read back, versions; malformed and
//! hostile uploads refused with problem+json and nothing half-written.

use crate::support::{allow_inserts, problem, refuse_inserts, sample_docx, sample_pdf};
use dualcheck_tests::server::{Db, TestServer};
use serde_json::{Value, json};
use store::Role;

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
    // An offset past what the database counts: 400 (it closed the connection before).
    problem(
        s.get(&token, "/api/v1/documents?offset=9223372036854775808")
            .await,
        400,
    )
    .await;
    // A route that exists with other methods: 405 naming them.
    let res = s
        .client
        .delete(s.url("/api/v1/users"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "GET, POST");
    problem(res, 405).await;
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

/// Every blob file under the tenant's blob folder.
fn blob_files(s: &TestServer, tenant: &str) -> Vec<std::path::PathBuf> {
    let root = s
        .store
        .data_dir()
        .join("tenants")
        .join(tenant)
        .join("blobs");
    let mut out = Vec::new();
    for d in std::fs::read_dir(&root).unwrap() {
        let d = d.unwrap().path();
        if d.is_dir() {
            out.extend(std::fs::read_dir(&d).unwrap().map(|f| f.unwrap().path()));
        }
    }
    out
}

/// An upload whose transaction fails after the blob was written leaves no orphan file; the
/// same upload then succeeds and keeps exactly one.
async fn failed_upload_leaves_no_blob(s: &TestServer) {
    let token = s.token("acme", "wendy", &[Role::Writer]).await;
    refuse_inserts(s, "acme", "document_versions", "true").await;
    let rows = |table: &'static str| s.store.count_rows_in_schema("acme", table);
    let events_before = rows("audit_events").await.unwrap();
    let res = s.upload(&token, "protocol.pdf", sample_pdf()).await;
    problem(res, 500).await;
    assert!(
        blob_files(s, "acme").is_empty(),
        "no orphan blob: {:?}",
        blob_files(s, "acme")
    );
    assert_eq!(rows("audit_events").await.unwrap(), events_before);
    assert_eq!(rows("documents").await.unwrap(), 0);
    assert_eq!(rows("blobs").await.unwrap(), 0);

    allow_inserts(s, "acme", "document_versions").await;
    let res = s.upload(&token, "protocol.pdf", sample_pdf()).await;
    assert_eq!(res.status(), 201);
    assert_eq!(blob_files(s, "acme").len(), 1);
}

on_both!(upload_read_back, upload_and_read_back, |_| {});
on_both!(failed_upload_no_orphan_blob, failed_upload_leaves_no_blob);

on_both!(malformed_and_hostile, bad_input, |c| c
    .server
    .max_upload_bytes =
    64 * 1024);
