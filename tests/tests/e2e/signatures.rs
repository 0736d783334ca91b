//! Electronic signatures over HTTP: the password again, the record's content hash bound (a
//! signature copied to another version is not valid), separation of duties, wrong passwords
//! counted toward the lockout.

use crate::support::{body, new_version, reviewed, upload};
use dualcheck_tests::server::{Db, TestServer};
use serde_json::{Value, json};
use store::{Role, Slug};
use testkit::pdf::text_pdf;

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
    // Approval needs a reviewed version (an analysis that left nothing to decide).
    reviewed(s, &writer, &id, 1).await;
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
    reviewed(s, &wendy, &id, 1).await;
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
    reviewed(s, &wendy, &own, 1).await;
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
    reviewed(s, &wendy, &third, 1).await;
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

on_both!(electronic_signatures, signatures);

on_both!(signature_separation_of_duties, separation_of_duties);
