//! `dualcheck serve` started from a directory that is not the repository root (no
//! `models/manifest.toml` anywhere near it) still knows its models: the manifest is built
//! into the binary, and `GET /api/v1/models` lists every model of it. Also `dualcheck models
//! verify` from there checks against the same built-in manifest.

use dualcheck_tests::{dualcheck_bin, workspace_root};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The model names of the repository's `models/manifest.toml` (what the build embeds).
fn manifest_names() -> Vec<String> {
    let text = std::fs::read_to_string(workspace_root().join("models/manifest.toml")).unwrap();
    // The line after each `[[model]]` header is the model's name.
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    lines
        .windows(2)
        .filter(|w| w[0] == "[[model]]")
        .filter_map(|w| w[1].strip_prefix("name = \""))
        .map(|n| n.trim_end_matches('"').to_string())
        .collect()
}

/// Kills the server when the test ends, even on a failed assertion.
struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_elsewhere_lists_the_builtin_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Child(
        Command::new(dualcheck_bin())
            .arg("serve")
            .current_dir(dir.path())
            .env("DUALCHECK_SERVER__BIND", "127.0.0.1:0")
            .env("DUALCHECK_MODELS__AUTO_FETCH", "false")
            .env("DUALCHECK_SERVER__WORKERS", "1")
            .env_remove("DUALCHECK_DATABASE__URL")
            .env_remove("DUALCHECK_MODELS__DIR")
            .env_remove("DUALCHECK_MODELS__MANIFEST")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (password, base) = tokio::task::spawn_blocking(move || {
        let mut password = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(p) = line.split("password: ").nth(1) {
                password = Some(p.trim().to_string());
            }
            if let Some(url) = line.strip_prefix("dualcheck listening on ") {
                return (
                    password.expect("bootstrap password printed"),
                    url.to_string(),
                );
            }
        }
        panic!("serve exited before listening");
    })
    .await
    .unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"tenant": "demo", "username": "admin", "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The bootstrap password must be changed before anything else (even reading).
    let first = login["token"].as_str().unwrap();
    let changed = client
        .post(format!("{base}/api/v1/me/password"))
        .bearer_auth(first)
        .json(&serde_json::json!({"current_password": password, "new_password": "a new admin passphrase here"}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"tenant": "demo", "username": "admin", "password": "a new admin passphrase here"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap();
    let r = client
        .get(format!("{base}/api/v1/models"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let listed: Vec<serde_json::Value> = r.json().await.unwrap();
    let names: Vec<&str> = listed.iter().filter_map(|m| m["name"].as_str()).collect();
    let expected = manifest_names();
    assert!(!expected.is_empty());
    assert_eq!(names, expected, "{listed:?}");
    // Nothing was fetched and the weights directory holds no manifest.
    assert!(!dir.path().join("models/manifest.toml").exists());
    drop(child);

    // `models verify` from the same directory reads the same built-in manifest.
    let out = Command::new(dualcheck_bin())
        .args(["models", "verify"])
        .current_dir(dir.path())
        .env_remove("DUALCHECK_MODELS__DIR")
        .env_remove("DUALCHECK_MODELS__MANIFEST")
        .output()
        .unwrap();
    assert!(!out.status.success(), "no weights here");
    let text = String::from_utf8_lossy(&out.stdout);
    for n in &expected {
        assert!(text.contains(n.as_str()), "{text}");
    }
    assert!(text.contains("MISSING"), "{text}");
}
