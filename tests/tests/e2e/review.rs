//! The review workflow over HTTP, on both engines, with the shipped default generator
//! (SmolLM2; CI fetches it): a writer requests an analysis, a worker of the server runs it,
//! findings and suggestions are stored with their verdicts and provenance, QA decides with
//! signatures, the version goes draft → in review → reviewed → approved and is then locked.
//! Each refusal is checked: accepting a block, separation of duties, a missing reason, a
//! wrong password, approving before every suggestion is decided, deciding on an approved
//! version, cancelling a finished job.

use crate::support::{analyse, body, problem, wait_job};
use dualcheck_tests::server::{Db, TestServer};
use serde_json::{Value, json};
use store::Role;

/// A protocol of our own: long sentences with wordy phrases (the rules' rewrites), a dose
/// and a time limit (what the cross-check guards), and a short sentence (no candidate).
fn protocol() -> Vec<u8> {
    testkit::docx::outline(&[
        (
            1,
            "Introduction",
            &[
                "The study nurse will record the blood pressure of each participant prior to the first dose in order to establish a baseline value.",
                "This is short.",
            ],
        ),
        (
            1,
            "Study Procedures",
            &[
                "In the event that a participant experiences a serious adverse event, the investigator must inform the sponsor within 24 hours of becoming aware of it.",
                "Participants will receive 10 mg of the study drug once daily for a period of 12 weeks, with a follow-up visit at week 16.",
            ],
        ),
    ])
}

fn models_dir() -> std::path::PathBuf {
    dualcheck_tests::workspace_root().join("models")
}

fn with_models(s: &mut dualcheck_api::Settings) {
    s.models.dir = models_dir();
}

async fn post(s: &TestServer, token: &str, path: &str, v: Value) -> reqwest::Response {
    s.client
        .post(s.url(path))
        .bearer_auth(token)
        .json(&v)
        .send()
        .await
        .unwrap()
}

fn pw(u: &str) -> String {
    format!("{u} has a long passphrase")
}

fn decision(d: &str, user: &str, meaning: &str) -> Value {
    json!({"decision": d, "signature": {"password": pw(user), "meaning": meaning}})
}

async fn review_flow(s: &TestServer) {
    let manifest = service::models::load_manifest(None).unwrap();
    let entry = manifest
        .default_for(ai_suggest_role())
        .expect("a default generator")
        .clone();
    if !models_dir().join(&entry.files[0].name).exists() {
        testkit::skip(
            testkit::Require::Models,
            "the default generator is not fetched",
        );
        return;
    }
    // The author and the requester both hold qa: separation of duties still refuses them.
    let dana = s.token("acme", "dana", &[Role::Writer, Role::Qa]).await;
    let wes = s.token("acme", "wes", &[Role::Writer, Role::Qa]).await;
    let quinn = s.token("acme", "quinn", &[Role::Qa]).await;
    let mona = s.token("acme", "mona", &[Role::Manager]).await;
    let auditor = s.token("acme", "audrey", &[Role::Auditor]).await;
    let doc = body(s.upload(&dana, "protocol.docx", protocol()).await, 201).await;
    let id = doc["id"].as_str().unwrap().to_owned();

    // An auditor may not request an analysis; unknown options are refused.
    problem(
        post(
            s,
            &auditor,
            &format!("/api/v1/documents/{id}/analyses"),
            json!({}),
        )
        .await,
        403,
    )
    .await;
    problem(
        post(
            s,
            &wes,
            &format!("/api/v1/documents/{id}/analyses"),
            json!({"limit": 0}),
        )
        .await,
        400,
    )
    .await;

    let job = analyse(s, &wes, &id, json!({})).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["attempts"], 1, "{job}");
    let sum = &job["summary"];
    assert_eq!(sum["candidates"], 3, "three long prose sentences: {job}");
    assert_eq!(job["progress"]["done"], 3, "{job}");
    assert_eq!(job["progress"]["total"], 3, "{job}");
    for stage in [
        "read_ms",
        "findings_ms",
        "model_load_ms",
        "proposals_ms",
        "total_ms",
    ] {
        assert!(job["timings"][stage].is_u64(), "{stage}: {job}");
    }
    println!("summary: {sum}");

    let list = |q: &str| {
        let path = format!("/api/v1/documents/{id}/suggestions{q}");
        let t = quinn.clone();
        async move { body(s.get(&t, &path).await, 200).await }
    };
    let all = list("").await;
    let items = all["items"].as_array().unwrap().clone();
    assert_eq!(all["total"], items.len() as u64);
    assert_eq!(all["job_id"], job["id"]);
    assert_eq!(
        sum["stored"].as_u64().unwrap(),
        items.len() as u64,
        "{sum} {all}"
    );
    for it in &items {
        println!(
            "{} {} {} | {} => {}",
            it["source"], it["verdict"], it["status"], it["original"], it["proposal"]
        );
        assert_ne!(it["original"], it["proposal"], "copies are dropped: {it}");
    }
    let rules: Vec<&Value> = items.iter().filter(|i| i["source"] == "rule").collect();
    assert!(
        !rules.is_empty(),
        "the rules rewrite the wordy sentences: {all}"
    );
    assert!(rules.iter().all(|r| r["verdict"] == "pass"), "{all}");

    // Filters and pages.
    let page = list("?source=rule&limit=1").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["total"], rules.len() as u64);
    let sec2 = list("?section=2").await;
    assert!(
        sec2["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["section"].as_str().unwrap().starts_with("2 ")),
        "{sec2}"
    );
    problem(
        s.get(
            &quinn,
            &format!("/api/v1/documents/{id}/suggestions?limit=0"),
        )
        .await,
        400,
    )
    .await;

    // One suggestion in full: diff, reasons, provenance.
    let rid = rules[0]["id"].as_str().unwrap().to_owned();
    let detail = body(
        s.get(&quinn, &format!("/api/v1/suggestions/{rid}")).await,
        200,
    )
    .await;
    let diff = detail["diff"].as_array().unwrap();
    assert!(diff.iter().any(|p| p["op"] == "delete"), "{detail}");
    let back: String = diff
        .iter()
        .filter(|p| p["op"] != "insert")
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert_eq!(back, detail["original"].as_str().unwrap());
    assert_eq!(
        detail["provenance"]["ranking_model"],
        entry.name.as_str(),
        "{detail}"
    );
    assert!(
        !detail["rule_ids"].as_array().unwrap().is_empty(),
        "{detail}"
    );
    assert!(
        detail["rules_hash"].as_str().unwrap().len() == 64,
        "{detail}"
    );

    // Every stored proposal's event carries the model's provenance.
    let ev = body(
        s.get(&auditor, "/api/v1/audit?action=suggestion.create&limit=200")
            .await,
        200,
    )
    .await;
    let evs = ev["items"].as_array().unwrap();
    assert_eq!(evs.len(), items.len(), "{ev}");
    for e in evs {
        assert_eq!(e["ai"]["model"], entry.name.as_str(), "{e}");
        assert_eq!(e["ai"]["weights_sha256"].as_str().unwrap().len(), 64, "{e}");
        assert!(
            e["ai"]["template_id"]
                .as_str()
                .unwrap()
                .starts_with("plain_language"),
            "{e}"
        );
    }
    let doc_state = |v: &Value| v["review"]["state"].as_str().unwrap_or_default().to_owned();
    let d = body(s.get(&quinn, &format!("/api/v1/documents/{id}")).await, 200).await;
    assert_eq!(doc_state(&d), "in_review", "{d}");

    // Separation of duties: the author and the requester decide nothing, whatever roles.
    let dpath = format!("/api/v1/suggestions/{rid}/decision");
    let p = problem(
        post(s, &dana, &dpath, decision("accept", "dana", "reviewed")).await,
        403,
    )
    .await;
    assert_eq!(
        p["type"], "urn:dualcheck:problem:separation_of_duties",
        "{p}"
    );
    let p = problem(
        post(s, &wes, &dpath, decision("accept", "wes", "reviewed")).await,
        403,
    )
    .await;
    assert_eq!(
        p["type"], "urn:dualcheck:problem:separation_of_duties",
        "{p}"
    );
    // A writer may not decide at all; a wrong password is refused and recorded.
    let p = problem(post(s, &quinn, &dpath, json!({"decision": "accept", "signature": {"password": "wrong", "meaning": "reviewed"}})).await, 403).await;
    assert_eq!(p["type"], "urn:dualcheck:problem:signature_refused", "{p}");
    // A rejection needs a reason code; `other` needs the text.
    let p = problem(
        post(s, &quinn, &dpath, decision("reject", "quinn", "reviewed")).await,
        422,
    )
    .await;
    assert_eq!(p["type"], "urn:dualcheck:problem:reason_required", "{p}");

    // Approval before every suggestion is decided (authored and reviewed signed first).
    let sign = format!("/api/v1/documents/{id}/versions/1/signatures");
    body(
        post(
            s,
            &dana,
            &sign,
            json!({"password": pw("dana"), "meaning": "authored"}),
        )
        .await,
        201,
    )
    .await;
    body(
        post(
            s,
            &quinn,
            &sign,
            json!({"password": pw("quinn"), "meaning": "reviewed"}),
        )
        .await,
        201,
    )
    .await;
    let p = problem(
        post(
            s,
            &mona,
            &sign,
            json!({"password": pw("mona"), "meaning": "approved"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(p["type"], "urn:dualcheck:problem:not_reviewed", "{p}");

    // A blocked proposal can never be accepted; the 409 names the reasons.
    if let Some(b) = items.iter().find(|i| i["verdict"] == "block") {
        assert_eq!(b["status"], "blocked");
        let p = problem(
            post(
                s,
                &quinn,
                &format!("/api/v1/suggestions/{}/decision", b["id"].as_str().unwrap()),
                decision("accept", "quinn", "reviewed"),
            )
            .await,
            409,
        )
        .await;
        assert_eq!(p["type"], "urn:dualcheck:problem:blocked", "{p}");
    }

    // An edit that changes a number is blocked; a plain-language edit passes and is stored
    // as its own suggestion, accepted.
    let dose = items
        .iter()
        .find(|i| {
            i["original"].as_str().unwrap().contains("24 hours")
                && ["open", "blocked"].contains(&i["status"].as_str().unwrap())
        })
        .expect("a suggestion on the reporting sentence");
    let dose_id = dose["id"].as_str().unwrap().to_owned();
    let epath = format!("/api/v1/suggestions/{dose_id}/decision");
    let mut e = decision("edit", "quinn", "reviewed");
    e["text"] = json!(
        "If a participant has a serious adverse event, the investigator must tell the sponsor within 48 hours of becoming aware of it."
    );
    let p = problem(post(s, &quinn, &epath, e).await, 409).await;
    assert_eq!(p["type"], "urn:dualcheck:problem:blocked", "{p}");
    assert!(p["detail"].as_str().unwrap().contains("number"), "{p}");
    let mut e = decision("edit", "quinn", "reviewed");
    e["text"] = json!(
        "If a participant experiences a serious adverse event, the investigator must inform the sponsor within 24 hours of becoming aware of it."
    );
    let out = body(post(s, &quinn, &epath, e).await, 201).await;
    assert_eq!(out["suggestion"]["status"], "edited", "{out}");
    assert_eq!(out["edit"]["source"], "edit", "{out}");
    assert_eq!(out["edit"]["status"], "accepted", "{out}");
    assert_eq!(out["edit"]["parent_id"], dose_id.as_str(), "{out}");
    // Decided once only.
    let mut again = decision("reject", "quinn", "reviewed");
    again["reason_code"] = json!("style");
    let p = problem(post(s, &quinn, &epath, again).await, 409).await;
    assert_eq!(p["type"], "urn:dualcheck:problem:already_decided", "{p}");

    // Findings: QA suppresses one with a reason and a signature; it stays listed.
    let f = body(
        s.get(&quinn, &format!("/api/v1/documents/{id}/findings"))
            .await,
        200,
    )
    .await;
    println!("findings: {}", f["total"]);
    if let Some(first) = f["items"].as_array().unwrap().first() {
        let fid = first["id"].as_str().unwrap();
        let spath = format!("/api/v1/findings/{fid}/suppress");
        problem(post(s, &quinn, &spath, json!({"reason": " ", "signature": {"password": pw("quinn"), "meaning": "reviewed"}})).await, 422).await;
        let v = body(post(s, &quinn, &spath, json!({"reason": "house style allows it here", "signature": {"password": pw("quinn"), "meaning": "reviewed"}})).await, 201).await;
        assert_eq!(v["status"], "suppressed");
        assert_eq!(v["suppression"]["reason"], "house style allows it here");
        let sup = body(
            s.get(
                &quinn,
                &format!("/api/v1/documents/{id}/findings?status=suppressed"),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(sup["total"], 1, "{sup}");
        problem(post(s, &quinn, &spath, json!({"reason": "again", "signature": {"password": pw("quinn"), "meaning": "reviewed"}})).await, 409).await;
    }

    // Decide everything still open: accept what passes, reject the rest with a reason.
    let open = list("?status=open&limit=200").await;
    for it in open["items"].as_array().unwrap() {
        let sid = it["id"].as_str().unwrap();
        let path = format!("/api/v1/suggestions/{sid}/decision");
        let fresh = body(
            s.get(&quinn, &format!("/api/v1/suggestions/{sid}")).await,
            200,
        )
        .await;
        if fresh["status"] != "open" {
            continue; // superseded by an earlier acceptance
        }
        let v = match it["verdict"].as_str().unwrap() {
            "pass" => decision("accept", "quinn", "reviewed"),
            "warn" => {
                // A warning needs a reason to accept.
                let p = problem(
                    post(s, &quinn, &path, decision("accept", "quinn", "reviewed")).await,
                    422,
                )
                .await;
                assert_eq!(p["type"], "urn:dualcheck:problem:reason_required", "{p}");
                let mut v = decision("accept", "quinn", "reviewed");
                v["reason"] = json!("checked against the source: the meaning holds");
                v
            }
            _ => {
                let mut v = decision("reject", "quinn", "rejected");
                v["reason_code"] = json!("changes_meaning");
                v
            }
        };
        body(post(s, &quinn, &path, v).await, 201).await;
    }
    let d = body(s.get(&quinn, &format!("/api/v1/documents/{id}")).await, 200).await;
    assert_eq!(doc_state(&d), "reviewed", "{d}");

    // Approved by a manager (not the author); then locked.
    body(
        post(
            s,
            &mona,
            &sign,
            json!({"password": pw("mona"), "meaning": "approved"}),
        )
        .await,
        201,
    )
    .await;
    let d = body(s.get(&quinn, &format!("/api/v1/documents/{id}")).await, 200).await;
    assert_eq!(doc_state(&d), "approved", "{d}");
    let history: Vec<&str> = d["review"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["in_review", "reviewed", "approved"], "{d}");
    let p = problem(
        post(
            s,
            &wes,
            &format!("/api/v1/documents/{id}/analyses"),
            json!({}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(p["type"], "urn:dualcheck:problem:version_locked", "{p}");
    if let Some(b) = items.iter().find(|i| i["status"] == "blocked") {
        let mut v = decision("reject", "quinn", "rejected");
        v["reason_code"] = json!("changes_meaning");
        let p = problem(
            post(
                s,
                &quinn,
                &format!("/api/v1/suggestions/{}/decision", b["id"].as_str().unwrap()),
                v,
            )
            .await,
            409,
        )
        .await;
        assert_eq!(p["type"], "urn:dualcheck:problem:version_locked", "{p}");
    }

    // Cancel: a queued or running analysis of a new version is cancelled once.
    let part = reqwest::multipart::Part::bytes(protocol()).file_name("protocol-v2.docx");
    let res = s
        .client
        .post(s.url(&format!("/api/v1/documents/{id}/versions")))
        .bearer_auth(&dana)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    body(res, 201).await;
    let queued = body(
        post(
            s,
            &wes,
            &format!("/api/v1/documents/{id}/analyses"),
            json!({}),
        )
        .await,
        202,
    )
    .await;
    let jid = queued["id"].as_str().unwrap();
    let c = s
        .client
        .delete(s.url(&format!("/api/v1/jobs/{jid}")))
        .bearer_auth(&wes)
        .send()
        .await
        .unwrap();
    let c = body(c, 200).await;
    assert_eq!(c["state"], "cancelled", "{c}");
    let ended = wait_job(s, &wes, jid).await;
    assert_eq!(ended["state"], "cancelled", "{ended}");
    let c = s
        .client
        .delete(s.url(&format!("/api/v1/jobs/{jid}")))
        .bearer_auth(&wes)
        .send()
        .await
        .unwrap();
    let p = problem(c, 409).await;
    assert_eq!(p["type"], "urn:dualcheck:problem:job_finished", "{p}");

    // The trail verifies, decisions and state changes in it.
    let v = body(s.get(&auditor, "/api/v1/audit/verify").await, 200).await;
    assert_eq!(v["ok"], true, "{v}");
    for action in [
        "analysis.request",
        "analysis.start",
        "analysis.findings",
        "analysis.batch",
        "analysis.complete",
        "analysis.cancel",
        "suggestion.decide",
        "document.state",
    ] {
        let ev = body(
            s.get(&auditor, &format!("/api/v1/audit?action={action}"))
                .await,
            200,
        )
        .await;
        assert!(
            !ev["items"].as_array().unwrap().is_empty(),
            "{action}: {ev}"
        );
    }
}

fn ai_suggest_role() -> ai_suggest::Role {
    ai_suggest::Role::Generator
}

on_both!(review, review_flow, with_models);
