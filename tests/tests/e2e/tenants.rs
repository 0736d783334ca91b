//! Tenants over HTTP: one tenant never sees, changes or signs another tenant's documents.

use crate::support::{problem, sample_pdf};
use dualcheck_tests::server::{Db, TestServer};
use serde_json::Value;
use store::Role;

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

on_both!(isolation, cross_tenant_isolation, |_| {});

/// PostgreSQL: the server runs as a role that does not own the tables. As that role, what
/// would erase or rewrite records fails on privileges (not only on the triggers), and what
/// would change the schema fails too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_role_cannot_rewrite_records() {
    let Some(s) = TestServer::start(Db::Postgres, |_| {}).await else {
        return;
    };
    let token = s.token("acme", "wendy", &[Role::Writer]).await;
    crate::support::upload(&s, &token).await;
    let runtime = s.runtime_store().await.unwrap();
    let slug = store::Slug::parse("acme").unwrap();
    let mut refused = 0;
    for (table, col) in [
        ("audit_events", "seq"),
        ("audit_checkpoints", "seq"),
        ("signatures", "id"),
        ("document_versions", "id"),
        ("blobs", "sha256"),
    ] {
        for sql in [
            format!("ALTER TABLE {table} DISABLE TRIGGER ALL"),
            format!("DROP TABLE {table}"),
            format!("TRUNCATE {table}"),
            format!("UPDATE {table} SET {col} = {col}"),
            format!("DELETE FROM {table}"),
        ] {
            let err = runtime
                .tenant_execute(&slug, &sql)
                .await
                .expect_err(&sql)
                .to_string();
            assert!(
                err.contains("permission denied") || err.contains("must be owner"),
                "{sql}: {err}"
            );
            refused += 1;
        }
    }
    for sql in [
        "DELETE FROM documents",
        "CREATE TABLE intruder (i int)",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "DROP TRIGGER audit_events_immutable ON audit_events",
    ] {
        let err = runtime
            .tenant_execute(&slug, sql)
            .await
            .expect_err(sql)
            .to_string();
        assert!(
            err.contains("permission denied") || err.contains("must be owner"),
            "{sql}: {err}"
        );
        refused += 1;
    }
    assert_eq!(refused, 29);
    // And the server, running as that role, works: the upload above, a login, a read.
    let v: serde_json::Value = s
        .get(&token, "/api/v1/documents")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"], 1, "{v}");
    s.finish().await;
}
