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
    let Some(entry) = default_generator() else {
        return;
    };
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

    // Every stored proposal's event carries the provenance of the model that made or chose
    // it; a rule-made rewrite that was the only one names no model.
    let ev = body(
        s.get(&auditor, "/api/v1/audit?action=suggestion.create&limit=200")
            .await,
        200,
    )
    .await;
    let evs = ev["items"].as_array().unwrap();
    assert_eq!(evs.len(), items.len(), "{ev}");
    for e in evs {
        if e["new_value"]["source"] == "rule" {
            let sid = e["entity_id"].as_str().unwrap();
            let d = body(
                s.get(&quinn, &format!("/api/v1/suggestions/{sid}")).await,
                200,
            )
            .await;
            let ranked = d["provenance"]["ranked"].as_u64().unwrap();
            assert!(ranked >= 1, "{d}");
            if ranked == 1 {
                assert!(e["ai"].is_null(), "a single rewrite names no model: {e}");
                assert!(d["provenance"]["ranking_model"].is_null(), "{d}");
                continue;
            }
        }
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

    exports(s, &quinn, &auditor, &id).await;

    // Replay: the blocked model proposal regenerated from its provenance, byte for byte.
    if let Some(b) = items.iter().find(|i| i["source"] == "ai") {
        let path = format!("/api/v1/suggestions/{}/replay", b["id"].as_str().unwrap());
        problem(post(s, &mona, &path, json!({})).await, 403).await;
        let r = body(post(s, &auditor, &path, json!({})).await, 200).await;
        assert_eq!(r["identical"], true, "{r}");
        assert_eq!(r["regenerated"], b["proposal"], "{r}");
        let ev = body(
            s.get(&auditor, "/api/v1/audit?action=suggestion.replay")
                .await,
            200,
        )
        .await;
        assert_eq!(ev["items"][0]["new_value"]["identical"], true, "{ev}");
        let rule = format!("/api/v1/suggestions/{rid}/replay");
        let p = problem(post(s, &auditor, &rule, json!({})).await, 409).await;
        assert_eq!(
            p["type"], "urn:dualcheck:problem:not_a_model_proposal",
            "{p}"
        );
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

/// The text pandoc reads from a DOCX with its tracked changes accepted or rejected, white
/// space collapsed.
fn pandoc_text(path: &std::path::Path, mode: &str) -> String {
    let out = std::process::Command::new("pandoc")
        .arg(format!("--track-changes={mode}"))
        .args(["-f", "docx", "-t", "plain", "--wrap=none"])
        .arg(path)
        .output()
        .expect("pandoc runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The approved version exported: the DOCX read by pandoc (accepting the tracked changes
/// gives the accepted texts, rejecting them the original) and converted by LibreOffice; the
/// JSON report; each export in the trail.
async fn exports(s: &TestServer, qa: &str, auditor: &str, id: &str) {
    let accepted = body(
        s.get(
            qa,
            &format!("/api/v1/documents/{id}/suggestions?status=accepted&limit=200"),
        )
        .await,
        200,
    )
    .await;
    let accepted = accepted["items"].as_array().unwrap().clone();
    assert!(!accepted.is_empty());
    let res = s
        .get(
            qa,
            &format!("/api/v1/documents/{id}/export?format=docx&version=1"),
        )
        .await;
    assert_eq!(res.status(), 200);
    let notes = res.headers()["dualcheck-export-notes"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(notes, "[]", "every accepted change is written");
    let docx = res.bytes().await.unwrap().to_vec();
    problem(
        s.get(qa, &format!("/api/v1/documents/{id}/export?format=pdf"))
            .await,
        400,
    )
    .await;
    if which("pandoc") && which("soffice") {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reviewed.docx");
        std::fs::write(&path, &docx).unwrap();
        let yes = pandoc_text(&path, "accept");
        let no = pandoc_text(&path, "reject");
        for a in &accepted {
            let proposal = collapse(a["proposal"].as_str().unwrap());
            let original = collapse(a["original"].as_str().unwrap());
            assert!(
                yes.contains(&proposal),
                "accepted text {proposal:?} in {yes:?}"
            );
            assert!(!yes.contains(&original), "{original:?} replaced in {yes:?}");
            assert!(no.contains(&original), "original {original:?} in {no:?}");
        }
        let out = std::process::Command::new("soffice")
            .arg(format!(
                "-env:UserInstallation=file://{}",
                dir.path().join("profile").display()
            ))
            .args([
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
            ])
            .arg(dir.path())
            .arg(&path)
            .output()
            .expect("soffice runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let pdf =
            std::fs::read(dir.path().join("reviewed.pdf")).expect("LibreOffice wrote the PDF");
        assert!(pdf.starts_with(b"%PDF"));
    } else {
        testkit::skip(
            testkit::Require::Tools,
            "pandoc and LibreOffice are not installed",
        );
    }
    // The review report, for QA, managers and auditors; not for writers.
    let report = body(
        s.get(
            auditor,
            &format!("/api/v1/documents/{id}/export?format=json&version=1"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(report["review"]["state"], "approved", "{report}");
    assert_eq!(report["document"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(report["chain"]["ok"], true, "{report}");
    assert!(!report["models"].as_array().unwrap().is_empty(), "{report}");
    let decided: Vec<&Value> = report["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| !s["decisions"].as_array().unwrap().is_empty())
        .collect();
    assert!(!decided.is_empty());
    for d in &decided {
        let m = d["signatures"][0].as_str().unwrap();
        assert!(m.starts_with("quinn (quinn), "), "the manifestation: {m}");
    }
    let actions: Vec<&str> = report["audit_excerpt"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "document.upload",
        "analysis.complete",
        "suggestion.decide",
        "document.state",
        "signature.sign",
    ] {
        assert!(actions.contains(&a), "{a} in the excerpt: {actions:?}");
    }
    // The same report as a page: the approval's signature and the chain in it.
    let res = s
        .get(
            auditor,
            &format!("/api/v1/documents/{id}/export?format=html&version=1"),
        )
        .await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains(report["document"]["sha256"].as_str().unwrap()),
        "the SHA-256"
    );
    assert!(page.contains("approved (locked)"), "the state");
    assert!(
        page.contains("<td>mona (mona)</td>") && page.contains("<td>approved</td>"),
        "the approver's printed name and meaning"
    );
    assert!(page.contains("Audit chain verified: yes"));
    let (ev, formats) = export_formats(s, auditor).await;
    assert_eq!(formats.len(), 3, "{ev}");
    for f in ["docx", "json", "html"] {
        assert!(formats.iter().any(|g| g == f), "{f} recorded: {ev}");
    }
}

fn which(tool: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn ai_suggest_role() -> ai_suggest::Role {
    ai_suggest::Role::Generator
}

/// The manifest's default generator when its weights are fetched (a skip, which CI turns
/// into a failure, otherwise).
fn default_generator() -> Option<ai_suggest::ModelEntry> {
    let manifest = service::models::load_manifest(None).unwrap();
    let entry = manifest
        .default_for(ai_suggest_role())
        .expect("a default generator")
        .clone();
    if models_dir().join(&entry.files[0].name).exists() {
        Some(entry)
    } else {
        testkit::skip(
            testkit::Require::Models,
            "the default generator is not fetched",
        );
        None
    }
}

on_both!(review, review_flow, with_models);

/// A PDF source: the export is a DOCX built from its structure, with the accepted rewrite
/// as a tracked change.
async fn pdf_export(s: &TestServer) {
    if default_generator().is_none() {
        return;
    }
    let writer = s.token("acme", "wendy", &[Role::Writer]).await;
    let quinn = s.token("acme", "quinn", &[Role::Qa]).await;
    let pdf = testkit::pdf::text_pdf(&[
        "1 Dosing",
        "Each participant will take one tablet with water every morning prior to breakfast in order to keep the exposure stable.",
    ]);
    let doc = body(s.upload(&writer, "dosing.pdf", pdf).await, 201).await;
    let id = doc["id"].as_str().unwrap();
    let job = analyse(s, &writer, id, json!({"kinds": ["rule"]})).await;
    assert_eq!(job["state"], "done", "{job}");
    let list = body(
        s.get(&quinn, &format!("/api/v1/documents/{id}/suggestions"))
            .await,
        200,
    )
    .await;
    let rule = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["source"] == "rule")
        .expect("a rule-made rewrite")
        .clone();
    let sid = rule["id"].as_str().unwrap();
    body(
        post(
            s,
            &quinn,
            &format!("/api/v1/suggestions/{sid}/decision"),
            decision("accept", "quinn", "reviewed"),
        )
        .await,
        201,
    )
    .await;
    let res = s
        .get(
            &quinn,
            &format!("/api/v1/documents/{id}/export?format=docx"),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["dualcheck-export-notes"], "[]");
    let docx = res.bytes().await.unwrap().to_vec();
    if !which("pandoc") {
        testkit::skip(testkit::Require::Tools, "pandoc is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dosing.docx");
    std::fs::write(&path, &docx).unwrap();
    let yes = pandoc_text(&path, "accept");
    let no = pandoc_text(&path, "reject");
    assert!(
        yes.contains(&collapse(rule["proposal"].as_str().unwrap())),
        "{yes}"
    );
    assert!(
        no.contains(&collapse(rule["original"].as_str().unwrap())),
        "{no}"
    );
    assert!(yes.contains("Dosing"), "the heading is kept: {yes}");
}

on_both!(pdf_export, pdf_export, with_models);

/// The `document.export` events of the trail and the format each records.
async fn export_formats(s: &TestServer, auditor: &str) -> (Value, Vec<String>) {
    let ev = body(
        s.get(auditor, "/api/v1/audit?action=document.export").await,
        200,
    )
    .await;
    let formats = ev["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["new_value"]["format"].as_str().unwrap().to_owned())
        .collect();
    (ev, formats)
}

/// Text as the HTML report writes it.
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

const HOSTILE_TITLE: &str = "Protocol <script>alert(1)</script> & \"quoted\" 'text'";

/// A protocol whose title and sentences hold markup characters.
fn hostile_protocol() -> Vec<u8> {
    testkit::docx::outline(&[(
        1,
        "Assessments",
        &[
            "In the event that the value is < 5 & \"stable\", the study nurse will repeat the measurement prior to the next visit in order to confirm it.",
        ],
    )])
}

/// The review report as a printable page, over HTTP: after an analysis and a signed
/// decision, `format=html` answers the page (text/html, its own style, a print style),
/// with the document's SHA-256, the state, every suggestion's original text, the
/// reviewer's signature and the chain result, every text escaped (the title and a
/// sentence hold markup); the export is an audit event with its format; a writer is
/// refused the report; an unknown format is a 400 naming the formats.
async fn html_report(s: &TestServer) {
    if default_generator().is_none() {
        return;
    }
    let writer = s.token("acme", "wendy", &[Role::Writer]).await;
    let quinn = s.token("acme", "quinn", &[Role::Qa]).await;
    let auditor = s.token("acme", "audrey", &[Role::Auditor]).await;
    let part = reqwest::multipart::Part::bytes(hostile_protocol()).file_name("hostile.docx");
    let form = reqwest::multipart::Form::new()
        .text("title", HOSTILE_TITLE)
        .part("file", part);
    let res = s
        .client
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&writer)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let doc = body(res, 201).await;
    assert_eq!(doc["title"], HOSTILE_TITLE, "{doc}");
    let id = doc["id"].as_str().unwrap().to_owned();
    let sha = doc["version"]["sha256"].as_str().unwrap().to_owned();
    let job = analyse(s, &writer, &id, json!({"kinds": ["rule"]})).await;
    assert_eq!(job["state"], "done", "{job}");
    let list = body(
        s.get(&quinn, &format!("/api/v1/documents/{id}/suggestions"))
            .await,
        200,
    )
    .await;
    let items = list["items"].as_array().unwrap().clone();
    let rule = items
        .iter()
        .find(|i| i["source"] == "rule" && i["status"] == "open")
        .expect("a rule-made rewrite to decide")
        .clone();
    assert!(
        rule["original"]
            .as_str()
            .unwrap()
            .contains("< 5 & \"stable\""),
        "{rule}"
    );
    let sid = rule["id"].as_str().unwrap();
    let mut accept = decision("accept", "quinn", "reviewed");
    if rule["verdict"] == "warn" {
        accept["reason"] = json!("checked against the source");
    }
    body(
        post(
            s,
            &quinn,
            &format!("/api/v1/suggestions/{sid}/decision"),
            accept,
        )
        .await,
        201,
    )
    .await;
    let state = body(s.get(&quinn, &format!("/api/v1/documents/{id}")).await, 200).await["review"]
        ["state"]
        .as_str()
        .unwrap()
        .to_owned();

    let path = format!("/api/v1/documents/{id}/export?format=html");
    let res = s.get(&quinn, &path).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"hostile-v1-review.html\""
    );
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("style-src 'unsafe-inline'") && !csp.contains("script-src"),
        "{csp}"
    );
    let page = res.text().await.unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(page.contains("@media print"));
    assert!(page.contains(&sha), "the document's SHA-256");
    assert!(
        page.contains(&format!("<dt>Review state</dt><dd>{state}</dd>")),
        "the state {state}"
    );
    for it in &items {
        let original = it["original"].as_str().unwrap();
        assert!(
            page.contains(&escaped(original)),
            "{original:?} in the page"
        );
    }
    assert!(page.contains(&escaped(HOSTILE_TITLE)), "the title, escaped");
    assert!(!page.contains("<script"), "no raw markup from the document");
    assert!(
        !page.contains("< 5 & \"stable\""),
        "the sentence is escaped"
    );
    assert!(
        page.contains("<td>quinn (quinn)</td>") && page.contains("<td>reviewed</td>"),
        "the signer's printed name and meaning"
    );
    assert!(page.contains("Audit chain verified: yes"));
    assert!(page.contains("document.export"), "the export's own event");

    // One source: the JSON report names the same suggestions and hash.
    let report = body(
        s.get(
            &quinn,
            &format!("/api/v1/documents/{id}/export?format=json"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(report["document"]["sha256"], sha.as_str());
    let decided = report["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == rule["id"])
        .unwrap()
        .clone();
    assert_eq!(
        decided["decisions"][0]["reviewer"], "quinn (quinn)",
        "{decided}"
    );
    assert_eq!(decided["decisions"][0]["signature"]["meaning"], "reviewed");

    // Recorded, with its format.
    let (ev, formats) = export_formats(s, &auditor).await;
    assert_eq!(formats.iter().filter(|f| *f == "html").count(), 1, "{ev}");

    // A writer may not take the report; an unknown format names the formats; pdf points to
    // html. None of these is recorded.
    let p = problem(s.get(&writer, &path).await, 403).await;
    assert_eq!(p["status"], 403, "{p}");
    let p = problem(
        s.get(&quinn, &format!("/api/v1/documents/{id}/export?format=xml"))
            .await,
        400,
    )
    .await;
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("docx, json, html"), "{p}");
    let p = problem(
        s.get(&quinn, &format!("/api/v1/documents/{id}/export?format=pdf"))
            .await,
        400,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("html"), "{p}");
    let ev = body(
        s.get(&auditor, "/api/v1/audit?action=document.export")
            .await,
        200,
    )
    .await;
    assert_eq!(ev["items"].as_array().unwrap().len(), 2, "{ev}");
}

on_both!(html_report, html_report, with_models);
