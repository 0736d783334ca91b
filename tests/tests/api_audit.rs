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

    // Every version stays retrievable as uploaded (§11.10(b)): original and structure.
    let v1 = text_pdf(&["1 Introduction", "Patients received 10 mg daily."]);
    let res = s
        .get(
            &auditor,
            &format!("/api/v1/documents/{id}/versions/1/original"),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().to_vec(), v1);
    let res = s
        .get(&auditor, &format!("/api/v1/documents/{id}/original"))
        .await;
    assert_ne!(res.bytes().await.unwrap().to_vec(), v1);
    let old = body(
        s.get(&auditor, &format!("/api/v1/documents/{id}/versions/1"))
            .await,
        200,
    )
    .await;
    assert_eq!(old["version"]["version"], 1, "{old}");
    let text = old["structure"].to_string();
    assert!(text.contains("10 mg") && !text.contains("20 mg"), "{text}");
    let cur = body(
        s.get(&auditor, &format!("/api/v1/documents/{id}/versions/2"))
            .await,
        200,
    )
    .await;
    assert!(cur["structure"].to_string().contains("20 mg"));
    body(
        s.get(
            &auditor,
            &format!("/api/v1/documents/{id}/versions/3/original"),
        )
        .await,
        404,
    )
    .await;
    body(
        s.get(&auditor, &format!("/api/v1/documents/{id}/versions/3"))
            .await,
        404,
    )
    .await;
    let downloads = body(
        s.get(
            &auditor,
            &format!("/api/v1/audit?action=document.download&entity_id={id}"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        downloads["items"][0]["new_value"]["version"], 1,
        "{downloads}"
    );

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
        sign(s, &qa, &id, 1, "quinn has a long passphrase", "reviewed").await,
        201,
    )
    .await;
    assert_eq!(v["valid"], true);
    let manager = s.token("acme", "mona", &[Role::Manager]).await;
    let v = body(
        sign(
            s,
            &manager,
            &id,
            1,
            "mona has a long passphrase",
            "approved",
        )
        .await,
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
    assert_eq!(list.len(), 3);
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
    assert!(
        v[0]["invalid_because"]
            .as_str()
            .unwrap()
            .contains("signature id"),
        "{v}"
    );
    // Verification names the replayed row (and still checks the chain itself).
    let report = body(s.get(&auditor, "/api/v1/audit/verify").await, 200).await;
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["first_problem"], Value::Null, "{report}");
    assert_eq!(
        report["unattested_signatures"][0]["signature_id"],
        "replayed"
    );

    // The signature is an audit event holding the record hash.
    let v = body(
        s.get(&auditor, "/api/v1/audit?action=signature.sign").await,
        200,
    )
    .await;
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
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
    // The chain holds; only the replayed row (signatures are append-only) is unattested.
    let v = body(s.get(&auditor, "/api/v1/audit/verify").await, 200).await;
    assert_eq!(v["first_problem"], Value::Null, "{v}");
    assert_eq!(v["signatures_checked"], 4, "{v}");
    assert_eq!(
        v["unattested_signatures"].as_array().unwrap().len(),
        1,
        "{v}"
    );

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

/// Separation of duties: the author is the uploader; reviewed and approved by others; order
/// authored → reviewed → approved/rejected; one signature per person and meaning; approved
/// and rejected exclusive; each refusal a clear problem and a `signature.refused` event. A
/// forged row with a correctly recomputed record hash is not valid and satisfies nothing.
async fn separation_of_duties(s: &TestServer) {
    let pw = |u: &str| format!("{u} has a long passphrase");
    let wendy = s.token("acme", "wendy", &[Role::Writer]).await;
    let walt = s.token("acme", "walt", &[Role::Writer]).await;
    // The README's example user: writer and qa in one person.
    let dual = s.token("acme", "dana", &[Role::Writer, Role::Qa]).await;
    let quinn = s.token("acme", "quinn", &[Role::Qa]).await;
    let mona = s.token("acme", "mona", &[Role::Manager]).await;
    let auditor = s.token("acme", "audrey", &[Role::Auditor]).await;
    let expect = |res, status: u16, kind: &'static str| async move {
        let p = body(res, status).await;
        assert_eq!(p["type"], format!("urn:dualcheck:problem:{kind}"), "{p}");
        p
    };

    let id = upload(s, &wendy).await;
    // Only the uploader signs authored; nothing before it.
    expect(
        sign(s, &walt, &id, 1, &pw("walt"), "authored").await,
        403,
        "separation_of_duties",
    )
    .await;
    let p = expect(
        sign(s, &quinn, &id, 1, &pw("quinn"), "reviewed").await,
        409,
        "signature_conflict",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("authored"), "{p}");
    body(sign(s, &wendy, &id, 1, &pw("wendy"), "authored").await, 201).await;
    expect(
        sign(s, &wendy, &id, 1, &pw("wendy"), "authored").await,
        409,
        "signature_conflict",
    )
    .await;
    // Approved needs reviewed first.
    expect(
        sign(s, &mona, &id, 1, &pw("mona"), "approved").await,
        409,
        "signature_conflict",
    )
    .await;
    body(sign(s, &quinn, &id, 1, &pw("quinn"), "reviewed").await, 201).await;
    expect(
        sign(s, &quinn, &id, 1, &pw("quinn"), "reviewed").await,
        409,
        "signature_conflict",
    )
    .await;
    // The reviewer does not also approve.
    expect(
        sign(s, &quinn, &id, 1, &pw("quinn"), "approved").await,
        403,
        "separation_of_duties",
    )
    .await;
    body(sign(s, &mona, &id, 1, &pw("mona"), "approved").await, 201).await;
    // Approved and rejected exclude each other; responsible follows approved.
    expect(
        sign(s, &dual, &id, 1, &pw("dana"), "rejected").await,
        409,
        "signature_conflict",
    )
    .await;
    body(
        sign(s, &mona, &id, 1, &pw("mona"), "responsible").await,
        201,
    )
    .await;

    // One person holding writer and qa cannot author and review the same version.
    let own = upload(s, &dual).await;
    body(sign(s, &dual, &own, 1, &pw("dana"), "authored").await, 201).await;
    expect(
        sign(s, &dual, &own, 1, &pw("dana"), "reviewed").await,
        403,
        "separation_of_duties",
    )
    .await;
    body(
        sign(s, &quinn, &own, 1, &pw("quinn"), "reviewed").await,
        201,
    )
    .await;
    expect(
        sign(s, &dual, &own, 1, &pw("dana"), "approved").await,
        403,
        "separation_of_duties",
    )
    .await;
    body(sign(s, &mona, &own, 1, &pw("mona"), "rejected").await, 201).await;
    expect(
        sign(s, &mona, &own, 1, &pw("mona"), "approved").await,
        409,
        "signature_conflict",
    )
    .await;

    // Every refusal is in the trail with its cause (seven on the first version, three on the second).
    let v = body(
        s.get(&auditor, "/api/v1/audit?action=signature.refused")
            .await,
        200,
    )
    .await;
    let refused = v["items"].as_array().unwrap();
    assert_eq!(refused.len(), 10, "{v}");
    assert!(
        refused
            .iter()
            .any(|e| e["new_value"]["cause"] == "signer is a reviewer")
    );
    assert!(
        refused
            .iter()
            .any(|e| e["new_value"]["cause"] == "not the author")
    );

    // A forged `reviewed` row, inserted as superuser with the recomputed record hash and a
    // real event's sequence number: listed as not valid, reported by verification, and it
    // does not open the way to approval.
    let third = upload(s, &wendy).await;
    let authored = body(
        sign(s, &wendy, &third, 1, &pw("wendy"), "authored").await,
        201,
    )
    .await;
    let quinn_id = body(s.get(&quinn, "/api/v1/me").await, 200).await["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let slug = Slug::parse("acme").unwrap();
    s.store
        .tenant_execute(
            &slug,
            &format!(
                "INSERT INTO signatures (id, record_type, record_id, record_sha256, signer_user_id, signer_username, signer_printed_name, meaning, signed_at, audit_seq) \
                 VALUES ('forged', 'document_version', '{third}/v1', '{sha}', '{quinn_id}', 'quinn', 'quinn', 'reviewed', '2099-01-01T00:00:00.000000+00:00', {seq})",
                sha = authored["record_sha256"].as_str().unwrap(),
                seq = authored["audit_seq"],
            ),
        )
        .await
        .unwrap();
    let list = body(
        s.get(
            &auditor,
            &format!("/api/v1/documents/{third}/versions/1/signatures"),
        )
        .await,
        200,
    )
    .await;
    let forged = list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "forged")
        .unwrap()
        .clone();
    assert_eq!(forged["valid"], false, "{forged}");
    assert_eq!(forged["record_sha256"], authored["record_sha256"]);
    expect(
        sign(s, &mona, &third, 1, &pw("mona"), "approved").await,
        409,
        "signature_conflict",
    )
    .await;
    let report = body(s.get(&auditor, "/api/v1/audit/verify").await, 200).await;
    assert_eq!(report["ok"], false, "{report}");
    let orphans = report["unattested_signatures"].as_array().unwrap();
    assert_eq!(orphans.len(), 1, "{report}");
    assert_eq!(orphans[0]["signature_id"], "forged");
}

/// Nobody changes their own roles; granting qa, manager or auditor needs a reason, which
/// the `user.update` event records with the old and new value.
async fn role_changes(s: &TestServer) {
    let adam = s.token("acme", "adam", &[Role::Admin]).await;
    let me = body(s.get(&adam, "/api/v1/me").await, 200).await;
    let patch = |id: String, b: Value| {
        s.client
            .patch(s.url(&format!("/api/v1/users/{id}")))
            .bearer_auth(&adam)
            .json(&b)
            .send()
    };
    let own = me["user"]["id"].as_str().unwrap().to_owned();
    let p = body(
        patch(
            own.clone(),
            json!({"roles": ["admin", "qa"], "reason": "me"}),
        )
        .await
        .unwrap(),
        403,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("own roles"), "{p}");
    // The display name of oneself may change.
    body(
        patch(own, json!({"display_name": "Adam A."}))
            .await
            .unwrap(),
        200,
    )
    .await;

    s.user("acme", "wes", &[Role::Writer]).await;
    // Usernames are unique whatever their case.
    let res = s
        .client
        .post(s.url("/api/v1/users"))
        .bearer_auth(&adam)
        .json(
            &json!({"username": "Wes", "password": "another long passphrase", "roles": ["writer"]}),
        )
        .send()
        .await
        .unwrap();
    let p = body(res, 409).await;
    assert_eq!(p["type"], "urn:dualcheck:problem:user_exists", "{p}");
    let users = body(s.get(&adam, "/api/v1/users").await, 200).await;
    let wes = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "wes")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let p = body(
        patch(wes.clone(), json!({"roles": ["writer", "qa"]}))
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("reason"), "{p}");
    body(
        patch(
            wes.clone(),
            json!({"roles": ["writer", "qa"], "reason": "  "}),
        )
        .await
        .unwrap(),
        400,
    )
    .await;
    // Granting writer, or taking qa away, needs none.
    let v = body(
        patch(
            wes.clone(),
            json!({"roles": ["writer", "qa"], "reason": "QA training completed (record TR-12)"}),
        )
        .await
        .unwrap(),
        200,
    )
    .await;
    assert_eq!(v["roles"], json!(["writer", "qa"]));
    body(
        patch(wes.clone(), json!({"roles": ["writer"]}))
            .await
            .unwrap(),
        200,
    )
    .await;

    let auditor = s.token("acme", "audrey", &[Role::Auditor]).await;
    let v = body(
        s.get(
            &auditor,
            &format!("/api/v1/audit?action=user.update&entity_id={wes}"),
        )
        .await,
        200,
    )
    .await;
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{v}");
    assert_eq!(items[0]["reason"], "QA training completed (record TR-12)");
    assert_eq!(items[0]["old_value"]["roles"], json!(["writer"]));
    assert_eq!(items[0]["new_value"]["roles"], json!(["writer", "qa"]));
}

/// Fifty wrong passwords at once against one account: the account is locked, at most five
/// of them reached the password check, and the right password is then refused.
async fn parallel_guesses(s: &TestServer) {
    let pw = s.user("acme", "lena", &[Role::Writer]).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (client, url) = (s.client.clone(), s.url("/api/v1/auth/login"));
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"tenant": "acme", "username": "lena", "password": format!("guess number {i} of many")}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    let checked = codes.iter().filter(|c| **c == 401).count();
    let locked = codes.iter().filter(|c| **c == 429).count();
    assert!(
        checked <= 5,
        "{checked} guesses reached the password check: {codes:?}"
    );
    assert_eq!(checked + locked, 50, "{codes:?}");
    assert_eq!(s.login_raw("acme", "lena", &pw).await.status(), 429);
    assert!(
        service::lockout::failures(&s.store, "acme", "lena")
            .await
            .unwrap()
            <= 5
    );
}

/// The password lifecycle: the bootstrap admin must change the printed password before
/// anything else; a change asks the current password, refuses the policy's failures and
/// recent passwords; an admin's reset revokes the user's sessions and forces a change; every
/// step is in the trail without any secret.
async fn password_lifecycle(s: &TestServer) {
    let (admin_name, boot_pw) = s
        .bootstrap
        .clone()
        .expect("a fresh installation bootstraps");
    let change = |token: String, current: String, new: String| {
        s.client
            .post(s.url("/api/v1/me/password"))
            .bearer_auth(token)
            .json(&json!({"current_password": current, "new_password": new}))
            .send()
    };
    let login = body(s.login_raw("demo", &admin_name, &boot_pw).await, 200).await;
    assert_eq!(login["user"]["must_change_password"], true, "{login}");
    let admin = login["token"].as_str().unwrap().to_owned();
    let p = body(s.get(&admin, "/api/v1/users").await, 403).await;
    assert_eq!(
        p["type"], "urn:dualcheck:problem:password_change_required",
        "{p}"
    );
    body(s.get(&admin, "/api/v1/me").await, 200).await;
    let good = "a brand new admin passphrase".to_owned();
    body(
        change(admin.clone(), "not the password".into(), good.clone())
            .await
            .unwrap(),
        401,
    )
    .await;
    body(
        change(admin.clone(), boot_pw.clone(), boot_pw.clone())
            .await
            .unwrap(),
        400,
    )
    .await;
    body(
        change(admin.clone(), boot_pw.clone(), "short".into())
            .await
            .unwrap(),
        400,
    )
    .await;
    let v = body(
        change(admin.clone(), boot_pw.clone(), good.clone())
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(v["must_change_password"], false);
    body(s.get(&admin, "/api/v1/users").await, 200).await;
    // The previous password cannot come back.
    let p = body(
        change(admin.clone(), good.clone(), boot_pw.clone())
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("last 5"), "{p}");

    // An admin's reset: the user's sessions end, and a change is due at the next login.
    let rita_pw = s.user("demo", "rita", &[Role::Writer]).await;
    let rita_old = body(s.login_raw("demo", "rita", &rita_pw).await, 200).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let users = body(s.get(&admin, "/api/v1/users").await, 200).await;
    let id_of = |name: &str| {
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let reset = |id: String, pw: &str| {
        s.client
            .post(s.url(&format!("/api/v1/users/{id}/password")))
            .bearer_auth(&admin)
            .json(&json!({"new_password": pw, "reason": "forgotten (ticket 42)"}))
            .send()
    };
    let p = body(
        reset(id_of(&admin_name), "my own temporary pass")
            .await
            .unwrap(),
        403,
    )
    .await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("/api/v1/me/password"),
        "{p}"
    );
    let temp = "a temporary passphrase for rita";
    let v = body(reset(id_of("rita"), temp).await.unwrap(), 200).await;
    assert_eq!(v["must_change_password"], true);
    body(s.get(&rita_old, "/api/v1/me").await, 401).await;
    body(s.login_raw("demo", "rita", &rita_pw).await, 401).await;
    let rita = body(s.login_raw("demo", "rita", temp).await, 200).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    body(s.get(&rita, "/api/v1/documents").await, 403).await;
    let rita_new = "rita chose this passphrase".to_owned();
    body(
        change(rita.clone(), temp.into(), rita_new.clone())
            .await
            .unwrap(),
        200,
    )
    .await;
    body(s.get(&rita, "/api/v1/documents").await, 200).await;

    // In the trail, without a secret.
    let auditor = s.token("demo", "audrey", &[Role::Auditor]).await;
    let trail = s
        .get(&auditor, "/api/v1/audit/export?format=jsonl")
        .await
        .text()
        .await
        .unwrap();
    for action in [
        "user.password_change",
        "user.password_reset",
        "auth.password_change_failed",
    ] {
        assert!(trail.contains(action), "{action} missing");
    }
    assert!(trail.contains("forgotten (ticket 42)"));
    for secret in [
        boot_pw.as_str(),
        good.as_str(),
        temp,
        rita_new.as_str(),
        "$argon2",
    ] {
        assert!(!trail.contains(secret), "the trail holds a secret");
    }
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
on_both!(signature_separation_of_duties, separation_of_duties);
on_both!(own_roles_and_grant_reasons, role_changes);
on_both!(lockout_under_parallel_guesses, parallel_guesses);
on_both!(passwords_change_reset_history, password_lifecycle);
