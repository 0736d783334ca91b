#![allow(clippy::unwrap_used)]
//! The audit trail and electronic signatures over HTTP, against SQLite and PostgreSQL:
//! every mutation leaves an event with its actor and request context; query, verify and
//! export for auditors and managers only; signatures need the password again, bind the
//! record's content hash (a signature copied to another version shows as not valid), and
//! wrong passwords count toward the lockout.

use dualcheck_tests::samples::text_pdf;
use dualcheck_tests::server::{Db, TestServer};
use serde_json::{Value, json};
use store::{Role, Slug};

async fn body(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

async fn upload(s: &TestServer, token: &str) -> String {
    let v = body(
        s.upload(
            token,
            "protocol.pdf",
            text_pdf(&["1 Introduction", "Patients received 10 mg daily."]),
        )
        .await,
        201,
    )
    .await;
    v["id"].as_str().unwrap().to_owned()
}

async fn new_version(s: &TestServer, token: &str, id: &str) {
    let part = reqwest::multipart::Part::bytes(text_pdf(&[
        "1 Introduction",
        "Patients received 20 mg daily.",
    ]))
    .file_name("protocol-v2.pdf");
    let res = s
        .client
        .post(s.url(&format!("/api/v1/documents/{id}/versions")))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    body(res, 201).await;
}

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

async fn sign(
    s: &TestServer,
    token: &str,
    id: &str,
    version: i32,
    password: &str,
    meaning: &str,
) -> reqwest::Response {
    s.client
        .post(s.url(&format!(
            "/api/v1/documents/{id}/versions/{version}/signatures"
        )))
        .bearer_auth(token)
        .json(&json!({"password": password, "meaning": meaning}))
        .send()
        .await
        .unwrap()
}

async fn signatures(s: &TestServer) {
    let writer = s.token("acme", "wendy", &[Role::Writer]).await;
    let qa = s.token("acme", "quinn", &[Role::Qa]).await;
    let auditor = s.token("acme", "audrey", &[Role::Auditor]).await;
    let id = upload(s, &writer).await;
    new_version(s, &writer, &id).await;
    let wpw = "wendy has a long passphrase";

    let v = body(sign(s, &writer, &id, 1, wpw, "authored").await, 201).await;
    assert_eq!(v["valid"], true);
    assert_eq!(v["signer_printed_name"], "wendy");
    assert_eq!(v["meaning"], "authored");
    assert!(v["signed_at"].as_str().unwrap().ends_with("+00:00"));
    assert!(
        v["manifestation"]
            .as_str()
            .unwrap()
            .starts_with("wendy (wendy), authored, ")
    );
    let sig_id = v["id"].as_str().unwrap().to_owned();
    let v = body(
        sign(s, &qa, &id, 1, "quinn has a long passphrase", "approved").await,
        201,
    )
    .await;
    assert_eq!(v["valid"], true);

    // A role may only sign the meanings it holds; unknown meanings and records are refused.
    body(sign(s, &writer, &id, 1, wpw, "approved").await, 403).await;
    body(
        sign(
            s,
            &auditor,
            &id,
            1,
            "audrey has a long passphrase",
            "reviewed",
        )
        .await,
        403,
    )
    .await;
    body(sign(s, &writer, &id, 1, wpw, "liked").await, 400).await;
    body(sign(s, &writer, &id, 9, wpw, "authored").await, 404).await;

    let v = body(
        s.get(
            &auditor,
            &format!("/api/v1/documents/{id}/versions/1/signatures"),
        )
        .await,
        200,
    )
    .await;
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|x| x["valid"] == true));

    // Moved to another record (version 2) behind the application's back: not valid there.
    let slug = Slug::parse("acme").unwrap();
    s.store
        .tenant_execute(
            &slug,
            &format!(
                "INSERT INTO signatures (id, record_type, record_id, record_sha256, signer_user_id, signer_username, signer_printed_name, meaning, signed_at, audit_seq) \
                 SELECT 'replayed', record_type, '{id}/v2', record_sha256, signer_user_id, signer_username, signer_printed_name, meaning, signed_at, audit_seq \
                 FROM signatures WHERE id = '{sig_id}'"
            ),
        )
        .await
        .unwrap();
    let v = body(
        s.get(
            &writer,
            &format!("/api/v1/documents/{id}/versions/2/signatures"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(v[0]["id"], "replayed");
    assert_eq!(v[0]["valid"], false);

    // The signature is an audit event holding the record hash.
    let v = body(
        s.get(&auditor, "/api/v1/audit?action=signature.sign").await,
        200,
    )
    .await;
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["entity_id"], format!("{id}/v1"));
    assert_eq!(items[0]["new_value"]["signature_id"], sig_id.as_str());

    // Wrong passwords are refused, recorded and counted: the fifth locks the account.
    for _ in 0..5 {
        let p = body(
            sign(s, &writer, &id, 2, "not my password at all", "authored").await,
            403,
        )
        .await;
        assert_eq!(p["type"], "urn:dualcheck:problem:signature_refused", "{p}");
    }
    body(sign(s, &writer, &id, 2, wpw, "authored").await, 429).await;
    body(s.login_raw("acme", "wendy", wpw).await, 429).await;
    let v = body(
        s.get(&auditor, "/api/v1/audit?action=signature.refused")
            .await,
        200,
    )
    .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 5);
    let v = body(
        s.get(&auditor, "/api/v1/audit?action=auth.lockout").await,
        200,
    )
    .await;
    assert_eq!(v["items"][0]["new_value"]["alert"], true);
    let v = body(s.get(&auditor, "/api/v1/audit/verify").await, 200).await;
    assert_eq!(v["ok"], true, "{v}");

    // A deactivated signer's signatures stay valid and attributable.
    let admin = s.token("acme", "adam", &[Role::Admin]).await;
    let wendy_id = list[0]["signer_user_id"].as_str().unwrap().to_owned();
    let res = s
        .client
        .patch(s.url(&format!("/api/v1/users/{wendy_id}")))
        .bearer_auth(&admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(body(res, 200).await["active"], false);
    let v = body(
        s.get(
            &auditor,
            &format!("/api/v1/documents/{id}/versions/1/signatures"),
        )
        .await,
        200,
    )
    .await;
    let mine = v
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["signer_user_id"] == wendy_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(mine["valid"], true);
    assert!(
        mine["manifestation"]
            .as_str()
            .unwrap()
            .starts_with("wendy (wendy), authored, ")
    );
}

/// Many logins at once (more than the database pool): each gets its session and its event;
/// the event and the session are written together without holding two pooled connections.
async fn concurrent_logins(s: &TestServer) {
    let pw = s.user("acme", "crowd", &[Role::Writer]).await;
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let (client, url, pw) = (s.client.clone(), s.url("/api/v1/auth/login"), pw.clone());
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"tenant": "acme", "username": "crowd", "password": pw}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let slug = Slug::parse("acme").unwrap();
    let (events, _) = s.store.audit_all(&slug).await.unwrap();
    assert_eq!(
        events.iter().filter(|e| e.action == "auth.login").count(),
        24
    );
    let auditor = s.token("acme", "audrey", &[Role::Auditor]).await;
    let v = body(s.get(&auditor, "/api/v1/audit/verify").await, 200).await;
    assert_eq!(v["ok"], true, "{v}");
}

macro_rules! on_both {
    ($name:ident, $scenario:ident) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let s = TestServer::start(Db::Sqlite, |_| {}).await.unwrap();
                $scenario(&s).await;
                s.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(s) = TestServer::start(Db::Postgres, |_| {}).await else {
                    return;
                };
                $scenario(&s).await;
                s.finish().await;
            }
        }
    };
}

on_both!(audit_trail, trail_and_exports);
on_both!(electronic_signatures, signatures);
on_both!(logins_at_once, concurrent_logins);
