//! The pages in a real browser, one user after another on one server: a writer uploads a
//! real protocol and a real DOCX and runs an analysis; QA accepts, rejects and edits
//! suggestions with signatures (a blocked edit is refused with its reasons); a manager
//! approves the reviewed version and downloads both exports; an auditor filters, reads
//! and verifies the trail, and sees the verification fail on a tampered copy; an admin
//! creates a user, who must choose a password first. Every main screen is saved under
//! `target/screenshots/` and checked with axe-core.

use super::driver::Browser;
use dualcheck_tests::server::{Db, TestServer};
use fantoccini::Locator;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use serde_json::{Value, json};
use store::Role;

const T: &str = "acme";

/// POST a form from inside the page (the session cookie goes with it); the status and
/// the body after redirects.
async fn post_form(b: &Browser, url: &str, fields: Value) -> (u64, String) {
    let v = b
        .js_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0], {method: 'POST', credentials: 'same-origin',
                                  body: new URLSearchParams(arguments[1])})
               .then(r => r.text().then(t => done([r.status, t])))
               .catch(e => done([0, String(e)]));",
            vec![json!(url), fields],
        )
        .await;
    (v[0].as_u64().unwrap(), v[1].as_str().unwrap().to_owned())
}

/// GET from inside the page: status, content type, the first bytes as text, length.
async fn fetch_head(b: &Browser, url: &str) -> (u64, String, String, u64) {
    let v = b
        .js_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0], {credentials: 'same-origin'})
               .then(r => r.arrayBuffer().then(buf => {
                   const head = String.fromCharCode.apply(null, new Uint8Array(buf.slice(0, 64)));
                   done([r.status, r.headers.get('content-type') || '', head, buf.byteLength]);
               }))
               .catch(e => done([0, String(e), '', 0]));",
            vec![json!(url)],
        )
        .await;
    (
        v[0].as_u64().unwrap(),
        v[1].as_str().unwrap().to_owned(),
        v[2].as_str().unwrap().to_owned(),
        v[3].as_u64().unwrap(),
    )
}

async fn keys(b: &Browser, text: &str) {
    let mut k = KeyActions::new("keyboard".into());
    for ch in text.chars() {
        k = k
            .then(KeyAction::Down { value: ch })
            .then(KeyAction::Up { value: ch });
    }
    b.c.perform_actions(k).await.expect("key actions");
}

async fn csrf(b: &Browser) -> String {
    b.js(
        "return document.querySelector('input[name=csrf]').value",
        vec![],
    )
    .await
    .as_str()
    .unwrap()
    .to_owned()
}

/// Send the upload form; the new document's id, from the page it lands on.
async fn sent(b: &Browser) -> String {
    b.click("#upload-button").await;
    b.wait_text("#flash", "uploaded as version 1", 60).await;
    let p = b.path().await;
    assert!(p.starts_with("/documents/"), "{p}");
    p.trim_start_matches("/documents/")
        .split(['?', '#'])
        .next()
        .unwrap()
        .to_owned()
}

async fn upload(b: &Browser, path: &std::path::Path) -> String {
    let path = path.canonicalize().expect("the corpus file");
    b.goto("/documents").await;
    b.c.find(Locator::Css("#file"))
        .await
        .unwrap()
        .send_keys(path.to_str().unwrap())
        .await
        .unwrap();
    sent(b).await
}

/// Upload by dropping the file on the drop zone (the page's script puts it in the form).
async fn upload_by_drop(b: &Browser, path: &std::path::Path) -> String {
    let bytes = std::fs::read(path).expect("the corpus file");
    let name = path.file_name().unwrap().to_str().unwrap();
    b.goto("/documents").await;
    let files = b
        .js(
            "const hex = arguments[0];
             const bytes = new Uint8Array(hex.length / 2);
             for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
             const dt = new DataTransfer();
             dt.items.add(new File([bytes], arguments[1]));
             const zone = document.getElementById('drop-zone');
             zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));
             zone.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
             return document.getElementById('file').files.length;",
            vec![json!(hex::encode(&bytes)), json!(name)],
        )
        .await;
    assert_eq!(files, json!(1), "the dropped file is in the form");
    sent(b).await
}

/// Open the form `kind` (`accept`, `edit`, `reject`) of the first suggestion listed.
async fn open_first(b: &Browser, kind: &str) {
    b.click(&format!(
        "[data-suggestion] details.decision.{kind} > summary"
    ))
    .await;
}

/// Sign the document page's version with `meaning`.
async fn sign_version(b: &Browser, meaning: &str, password: &str) -> String {
    b.click(&format!("#sign-form input[value={meaning}]")).await;
    b.fill("#sign-password", password).await;
    b.click("#sign-form button[type=submit]").await;
    b.wait_text("#flash", "", 20).await
}

async fn sign_open(b: &Browser, password: &str) {
    b.fill("details.decision[open] input[type=password]", password)
        .await;
    b.click("details.decision[open] button[type=submit]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_in_a_real_browser() {
    let Some(corpus) = dualcheck_tests::shared_corpus() else {
        return;
    };
    let models = dualcheck_tests::workspace_root().join("models");
    let s = TestServer::start(Db::Sqlite, |st| st.models.dir = models.clone())
        .await
        .unwrap();
    let Some(mut b) = Browser::start(&s.base).await else {
        s.finish().await;
        return;
    };
    let wanda = s.user(T, "wanda", &[Role::Writer]).await;
    let quinn = s.user(T, "quinn", &[Role::Qa]).await;
    let mona = s.user(T, "mona", &[Role::Manager]).await;
    let audrey = s.user(T, "audrey", &[Role::Auditor]).await;
    let ada = s.user(T, "ada", &[Role::Admin]).await;

    // No session: the login form, then back where the user was going.
    b.goto("/documents?q=x").await;
    let p = b.path().await;
    assert!(p.starts_with("/login?next=/documents%3Fq%3Dx"), "{p}");
    b.screen("01-login").await;
    b.login(T, "wanda", "not the password").await;
    b.wait_text("#flash", "wrong password", 10).await;
    b.login(T, "wanda", &wanda).await;
    b.wait_text("h1", "Documents", 10).await;
    assert_eq!(b.path().await, "/documents?q=x");
    assert_eq!(
        b.count("#flash").await,
        0,
        "no stale message after the login"
    );
    assert!(b.text("#who").await.contains("writer"));
    // The session cookie is HttpOnly and SameSite=Strict.
    let cookies = b.c.get_all_cookies().await.unwrap();
    let session = cookies
        .iter()
        .find(|c| c.name() == "dc_session")
        .expect("session cookie");
    assert_eq!(session.http_only(), Some(true));
    assert_eq!(format!("{:?}", session.same_site()), "Some(Strict)");
    // A form without this session's CSRF token is refused.
    let (status, body) = post_form(&b, "/logout", json!({"csrf": "0".repeat(64)})).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("did not come from this site"), "{body}");

    // Upload a real DOCX and a real protocol (drag and drop shares the file input).
    let docx = corpus.join("docx/features_steps_test_files_blk-paras-and-tables.docx");
    let docx_id = upload_by_drop(&b, &docx).await;
    let pdf = corpus.join("clinical/CDISC_Pilot_Study.pdf");
    let id = upload(&b, &pdf).await;
    assert!(b.count(".outline li").await > 5, "the protocol's outline");
    b.screen("03-document").await;
    b.goto("/documents").await;
    assert_eq!(b.count("#documents tbody tr").await, 2);
    b.fill("#q", "cdisc").await;
    b.click("form.filters button[type=submit]").await;
    b.wait_text("h2#list-h", "(1)", 10).await;
    assert!(b.text("#documents").await.contains("CDISC_Pilot_Study.pdf"));
    b.screen("02-documents").await;
    b.goto(&format!("/documents/{docx_id}")).await;
    assert!(
        b.text("#versions")
            .await
            .contains("features_steps_test_files_blk-paras-and-tables.docx")
    );

    // An analysis (the rules' rewrites, the first 40 candidates), watched to the end.
    b.goto(&format!("/documents/{id}")).await;
    b.click("#analyse-form input[value=rule]").await;
    b.fill("#limit", "40").await;
    b.click("#analyse-form button[type=submit]").await;
    b.wait_text("#flash", "queued", 10).await;
    b.shot("04-analysis-running").await;
    b.wait_text("#jobs", "done", 300).await;
    let jobs = b.text("#jobs").await;
    assert!(jobs.contains("suggestions stored"), "{jobs}");
    b.screen("04-analysis-done").await;
    let signed = sign_version(&b, "authored", &wanda).await;
    assert!(
        signed.contains("signed:") && signed.contains("authored"),
        "{signed}"
    );

    // The writer sees suggestions and no decision control; forcing one is refused.
    let review = format!("/documents/{id}/versions/1/review");
    b.goto(&review).await;
    let n = b.count("[data-suggestion]").await;
    assert!(n >= 3, "at least three suggestions to decide, got {n}");
    assert_eq!(b.count("details.decision").await, 0);
    b.screen("05-review-writer").await;
    let first = b
        .js(
            "return document.querySelector('[data-suggestion]').id.slice(2)",
            vec![],
        )
        .await;
    let token = csrf(&b).await;
    let (status, body) = post_form(
        &b,
        &format!(
            "/documents/{id}/versions/1/suggestions/{}/decision",
            first.as_str().unwrap()
        ),
        json!({"csrf": token, "decision": "accept", "meaning": "approved", "password": wanda}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("your roles do not allow"), "{body}");
    b.logout().await;

    // QA: the login returns to the review; accept with the keyboard, signed.
    b.goto(&format!("{review}?status=pending&verdict=pass"))
        .await;
    b.login(T, "quinn", &quinn).await;
    b.wait_text("h1", "Review", 10).await;
    assert_eq!(
        b.count("#flash").await,
        0,
        "the logout's message was shown once"
    );
    b.screen("06-review").await;
    assert!(b.count("details.decision.accept").await >= 1);
    keys(&b, "ja").await;
    let focused = b
        .js(
            "return document.activeElement.closest('details').className",
            vec![],
        )
        .await;
    assert!(
        focused.as_str().unwrap().contains("accept"),
        "the shortcut opened the accept form: {focused}"
    );
    if b.count("details.decision.accept[open] input[name=reason]")
        .await
        > 0
    {
        b.fill(
            "details.decision.accept[open] input[name=reason]",
            "reads better",
        )
        .await;
    }
    sign_open(&b, &quinn).await;
    let done = b.wait_text("#flash", "accepted; signed:", 20).await;
    assert!(
        done.contains("quinn") && done.contains("approved"),
        "{done}"
    );
    b.goto(&format!("{review}?status=accepted")).await;
    assert!(b.text(".manifestation").await.contains("quinn"));
    b.screen("07-accepted").await;

    // Reject one with a reason code.
    b.goto(&review).await;
    open_first(&b, "reject").await;
    b.js(
        "document.querySelector('details.decision.reject[open] select[name=reason_code]').value = 'style'",
        vec![],
    )
    .await;
    sign_open(&b, &quinn).await;
    b.wait_text("#flash", "rejected; signed:", 20).await;

    // An edit that adds a dose is blocked: refused, with the reasons, nothing stored.
    b.goto(&review).await;
    let before = b.count("[data-suggestion]").await;
    open_first(&b, "edit").await;
    let original = b
        .js(
            "return document.querySelector('[data-suggestion] .original').textContent",
            vec![],
        )
        .await;
    b.fill(
        "details.decision.edit[open] textarea",
        &format!(
            "{} Give 250 mg twice daily.",
            original.as_str().unwrap().trim()
        ),
    )
    .await;
    sign_open(&b, &quinn).await;
    let refused = b.wait_text("#flash", "blocked", 20).await;
    assert!(refused.contains("Refused"), "{refused}");
    assert_eq!(b.count("[data-suggestion]").await, before);
    b.screen("08-edit-blocked").await;
    // The reviewer's own wording of the same sentence passes and is stored.
    open_first(&b, "edit").await;
    let proposal = b
        .js(
            "return document.querySelector('[data-suggestion] .proposal').textContent",
            vec![],
        )
        .await;
    b.fill(
        "details.decision.edit[open] textarea",
        proposal.as_str().unwrap().trim(),
    )
    .await;
    sign_open(&b, &quinn).await;
    b.wait_text("#flash", "edited; signed:", 20).await;

    // The rest: rejected as not useful, until nothing is pending.
    for _ in 0..40 {
        b.goto(&review).await;
        if b.count("[data-suggestion]").await == 0 {
            break;
        }
        open_first(&b, "reject").await;
        sign_open(&b, &quinn).await;
        b.wait_text("#flash", "signed:", 20).await;
    }
    b.goto(&review).await;
    assert_eq!(b.count("[data-suggestion]").await, 0, "nothing pending");
    b.goto(&format!("/documents/{id}")).await;
    assert_eq!(b.text("#doc-state").await, "Reviewed");
    // A finding suppressed with a reason, signed.
    b.click("details.suppress > summary").await;
    b.fill(
        "details.suppress[open] input[name=reason]",
        "the abbreviation is defined in the synopsis",
    )
    .await;
    b.fill("details.suppress[open] input[type=password]", &quinn)
        .await;
    b.click("details.suppress[open] button[type=submit]").await;
    b.wait_text("#flash", "suppressed", 20).await;
    assert!(
        b.text("#findings")
            .await
            .contains("the abbreviation is defined in the synopsis")
    );
    let signed = sign_version(&b, "reviewed", &quinn).await;
    assert!(
        signed.contains("signed:") && signed.contains("reviewed"),
        "{signed}"
    );
    b.logout().await;

    // A manager approves (a wrong password is a message, not an error page) and downloads
    // both exports.
    b.login(T, "mona", &mona).await;
    b.wait_text("h1", "Documents", 10).await;
    b.goto(&format!("/documents/{id}")).await;
    let refused = sign_version(&b, "approved", "not my password").await;
    assert!(refused.contains("Refused"), "{refused}");
    let signed = sign_version(&b, "approved", &mona).await;
    assert!(
        signed.contains("mona") && signed.contains("approved"),
        "{signed}"
    );
    assert_eq!(b.text("#doc-state").await, "Approved");
    assert!(b.text("#versions").await.contains("✔ valid"));
    assert_eq!(
        b.count("#sign-form").await,
        0,
        "an approved version is locked"
    );
    let decided = b.text("#decided").await;
    assert!(
        decided.contains("accepted") && decided.contains("rejected"),
        "{decided}"
    );
    b.click("#jobs details.stats > summary").await;
    assert!(b.text("#jobs").await.contains("suggestions stored"));
    b.screen("09-approved").await;
    for (link, media, head) in [
        ("#export-docx", "wordprocessingml", "PK"),
        ("#export-report", "text/html", "<!doctype html"),
    ] {
        let href = b
            .js(
                &format!("return document.querySelector('{link}').getAttribute('href')"),
                vec![],
            )
            .await;
        let (status, ct, first, len) = fetch_head(&b, href.as_str().unwrap()).await;
        assert_eq!(status, 200, "{link}: {ct} {first}");
        assert!(ct.contains(media), "{link}: {ct}");
        assert!(
            first.to_lowercase().starts_with(&head.to_lowercase()),
            "{link}: {first:?}"
        );
        assert!(len > 1000, "{link}: {len} bytes");
    }
    b.logout().await;

    // An auditor: the trail filtered, one event in full, verification.
    b.login(T, "audrey", &audrey).await;
    b.wait_text("h1", "Documents", 10).await;
    // An auditor has no editing control anywhere.
    assert_eq!(b.count("#upload-form").await, 0);
    b.goto(&format!("/documents/{id}")).await;
    for control in ["#analyse-form", "#sign-form", "details.suppress"] {
        assert_eq!(b.count(control).await, 0, "{control}");
    }
    b.goto(&format!("{review}?status=all")).await;
    assert_eq!(b.count("details.decision").await, 0);
    b.goto("/audit").await;
    b.screen("10-audit").await;
    b.fill("#a-action", "signature.sign").await;
    b.click("#audit-filters button[type=submit]").await;
    b.wait_text("h1", "Audit trail", 10).await;
    let actions: Vec<String> = serde_json::from_value(
        b.js(
            "return Array.from(document.querySelectorAll('#events tbody tr td:nth-child(4) code')).map(e => e.textContent)",
            vec![],
        )
        .await,
    )
    .unwrap();
    assert!(actions.len() >= 4, "{actions:?}");
    assert!(actions.iter().all(|a| a == "signature.sign"), "{actions:?}");
    b.click("#events tbody tr a").await;
    b.wait_text("h1", "Audit event", 10).await;
    assert!(b.text("#new-value").await.contains("meaning"));
    b.screen("11-audit-event").await;
    b.goto("/audit").await;
    b.click("#verify").await;
    b.wait_text("#verify-result", "PASS", 60).await;
    b.screen("12-verify-pass").await;
    let (status, ct, first, _) = fetch_head(&b, "/audit/export?format=jsonl").await;
    assert_eq!(status, 200);
    assert!(ct.contains("json"), "{ct}");
    assert!(first.starts_with("{\""), "{first}");
    b.logout().await;

    // An admin: a new user with a temporary password; a change of one's own roles is
    // refused with a message.
    b.login(T, "ada", &ada).await;
    b.wait_text("h1", "Documents", 10).await;
    b.goto("/users").await;
    b.fill("#n-username", "nina").await;
    b.fill("#n-display", "Nina Newcomer").await;
    b.fill("#n-password", "a temporary passphrase").await;
    b.click("#new-user input[value=writer]").await;
    b.click("#new-user button[type=submit]").await;
    b.wait_text("#flash", "user nina created", 10).await;
    let mine = b
        .js(
            "return Array.from(document.querySelectorAll('#users tbody tr')).find(r => r.textContent.includes('you')).querySelector('form').getAttribute('action')",
            vec![],
        )
        .await;
    let token = csrf(&b).await;
    let (status, body) = post_form(
        &b,
        mine.as_str().unwrap(),
        json!({"csrf": token, "roles": "writer", "active": "on", "reason": "test"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("Refused"),
        "a message on the users page: {body}"
    );
    b.goto("/users").await;
    b.screen("14-users").await;
    b.logout().await;

    // The new user must choose a password before anything else.
    b.login(T, "nina", "a temporary passphrase").await;
    b.wait_text("h1", "Change your password", 10).await;
    b.goto("/documents").await;
    assert_eq!(b.path().await, "/password");
    b.screen("15-password-due").await;
    b.fill("#current_password", "a temporary passphrase").await;
    b.fill("#new_password", "nina chose this passphrase").await;
    b.fill("#confirm_password", "nina chose this passphrase")
        .await;
    b.click("#password-form button[type=submit]").await;
    b.wait_text("#flash", "password is changed", 10).await;
    assert_eq!(b.path().await, "/documents");
    b.logout().await;

    // A tampered copy of the installation: its verification fails and says where.
    let copy = tempfile::tempdir().unwrap();
    let data = copy.path().join("data");
    let ok = std::process::Command::new("cp")
        .arg("-a")
        .arg(&s.settings.storage.data_dir)
        .arg(&data)
        .status()
        .unwrap();
    assert!(ok.success());
    let db = data.join("tenants/acme/tenant.db");
    let py = format!(
        "import sqlite3; c = sqlite3.connect({:?}); c.execute('DROP TRIGGER audit_events_no_update'); \
         c.execute(\"UPDATE audit_events SET reason = 'altered' WHERE seq = 3\"); c.commit()",
        db.to_str().unwrap()
    );
    let ok = std::process::Command::new("python3")
        .args(["-c", &py])
        .status()
        .unwrap();
    assert!(ok.success(), "python3 with sqlite3 tampers with the copy");
    let tampered = TestServer::start(Db::Sqlite, |st| {
        st.storage.data_dir = data.clone();
        st.models.dir = models.clone();
        // A short idle time: the page warns two minutes before it ends, so at once.
        st.sessions.idle_secs = 125;
    })
    .await
    .unwrap();
    b.base = tampered.base.clone();
    b.goto("/login").await;
    b.login(T, "audrey", &audrey).await;
    b.wait_text("h1", "Documents", 10).await;
    b.goto("/audit").await;
    b.click("#verify").await;
    b.wait_text("#verify-result", "FAIL", 60).await;
    let warning = b
        .wait_text("#session-warning", "Your session ends at", 20)
        .await;
    assert!(warning.contains("UTC"), "{warning}");
    assert!(b.text("#verify-where").await.contains("event 3"));
    b.screen("13-verify-fail").await;

    let shots = std::fs::read_dir(b.shots_dir()).unwrap().count();
    assert!(shots >= 15, "{shots} screenshots");
    b.close().await;
    tampered.finish().await;
    s.finish().await;
}
