//! The audit trail over HTTP: every mutation leaves an event with its actor and request
//! context; query, verify and export for auditors and managers only.

use crate::support::{body, new_version, upload};
use dualcheck_tests::server::{Db, TestServer};
use serde_json::Value;
use store::{Role, Slug};

async fn trail_and_exports(s: &TestServer) {
    let writer = s.token("acme", "wendy", &[Role::Writer]).await;
    let auditor = s.token("acme", "audrey", &[Role::Auditor]).await;
    let manager = s.token("acme", "manny", &[Role::Manager]).await;
    let id = upload(s, &writer).await;
    new_version(s, &writer, &id).await;
    let res = s
        .client
        .get(s.url(&format!("/api/v1/documents/{id}/original")))
        .bearer_auth(&writer)
        .header("user-agent", "dualcheck-e2e/1.0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Only auditors and managers read the trail.
    body(s.get(&writer, "/api/v1/audit").await, 403).await;
    body(s.get(&manager, "/api/v1/audit").await, 200).await;

    let v = body(
        s.get(
            &auditor,
            &format!("/api/v1/audit?entity_type=document&entity_id={id}"),
        )
        .await,
        200,
    )
    .await;
    let items = v["items"].as_array().unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["document.upload", "document.version", "document.download"]
    );
    for e in items {
        assert_eq!(e["actor"]["username"], "wendy");
        assert_eq!(e["request"]["client_ip"], "127.0.0.1");
        assert_eq!(e["request"]["request_id"].as_str().unwrap().len(), 32);
        assert_eq!(e["hash"].as_str().unwrap().len(), 64);
    }
    assert_eq!(items[2]["request"]["user_agent"], "dualcheck-e2e/1.0");
    assert_eq!(items[1]["old_value"]["current_version"], 1);
    assert_eq!(items[1]["new_value"]["version"], 2);
    assert_eq!(items[0]["new_value"]["filename"], "protocol.pdf");

    // Filters and keyset pagination.
    let v = body(
        s.get(&auditor, "/api/v1/audit?action=auth.login").await,
        200,
    )
    .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 3);
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let v = body(
            s.get(
                &auditor,
                &format!("/api/v1/audit?limit=2&after_seq={after}"),
            )
            .await,
            200,
        )
        .await;
        for e in v["items"].as_array().unwrap() {
            seen.push(e["seq"].as_i64().unwrap());
        }
        match v["next_after_seq"].as_i64() {
            Some(n) => after = n,
            None => break,
        }
    }
    assert_eq!(seen, (1..=seen.len() as i64).collect::<Vec<_>>(), "gapless");
    let v = body(
        s.get(
            &auditor,
            "/api/v1/audit?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z",
        )
        .await,
        200,
    )
    .await;
    assert!(v["items"].as_array().unwrap().is_empty());
    body(s.get(&auditor, "/api/v1/audit?from=yesterday").await, 400).await;
    body(s.get(&auditor, "/api/v1/audit?limit=0").await, 400).await;

    // Verification.
    let v = body(s.get(&auditor, "/api/v1/audit/verify").await, 200).await;
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["events"].as_u64().unwrap() as usize, seen.len());
    assert_eq!(v["tenant"], "acme");
    body(s.get(&writer, "/api/v1/audit/verify").await, 403).await;

    // Exports: complete, and each one recorded.
    let res = s.get(&auditor, "/api/v1/audit/export?format=jsonl").await;
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let text = res.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let exported: Vec<&Value> = lines.iter().filter(|l| l.get("action").is_some()).collect();
    assert_eq!(exported.len(), seen.len() + 1);
    assert_eq!(exported.last().unwrap()["action"], "audit.export");
    let csv = s
        .get(&auditor, "/api/v1/audit/export?format=csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.lines().next().unwrap().contains("actor_user_id"));
    assert_eq!(
        csv.lines()
            .filter(|l| l.contains("document.upload"))
            .count(),
        1
    );
    let html = s
        .get(&manager, "/api/v1/audit/export?format=html")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("verified:"),
        "the human-readable export states the verification"
    );
    assert!(html.contains("document.version"));
    body(
        s.get(&auditor, "/api/v1/audit/export?format=xml").await,
        400,
    )
    .await;
    // No secrets in the trail.
    assert!(!text.contains("has a long passphrase"));

    // The application's own connection cannot alter it.
    let slug = Slug::parse("acme").unwrap();
    assert!(
        s.store
            .tenant_execute(&slug, "UPDATE audit_events SET reason = 'x'")
            .await
            .is_err()
    );
    assert!(
        s.store
            .tenant_execute(&slug, "DELETE FROM audit_events")
            .await
            .is_err()
    );

    // Another tenant's trail is not visible.
    let other = s.token("beta", "otto", &[Role::Auditor]).await;
    let v = body(
        s.get(&other, &format!("/api/v1/audit?entity_id={id}"))
            .await,
        200,
    )
    .await;
    assert!(v["items"].as_array().unwrap().is_empty());
}

on_both!(audit_trail, trail_and_exports);
