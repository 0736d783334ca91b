//! HTTPS with rustls: the server serves TLS from PEM files in the settings and adds HSTS.
//! The self-signed certificate is made with the `openssl` command; skipped without it
//! (a failure under `DUALCHECK_REQUIRE_TOOLS=1`, as in CI).

use dualcheck_tests::server::{Db, TestServer};
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
        ])
        .arg("/CN=localhost")
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    if !made.is_ok_and(|o| o.status.success()) {
        testkit::skip(
            testkit::Require::Tools,
            "no openssl to make a test certificate",
        );
        return;
    }
    let s = TestServer::start(Db::Sqlite, |c| {
        c.server.tls_cert = Some(cert.clone());
        c.server.tls_key = Some(key.clone());
    })
    .await
    .unwrap();
    assert!(s.base.starts_with("https://"));
    let res = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    // Plain HTTP to the TLS port does not get an answer.
    let plain = s.base.replace("https://", "http://");
    let r = s.client.get(format!("{plain}/healthz")).send().await;
    assert!(r.is_err() || r.is_ok_and(|r| r.status() != 200));
    s.finish().await;
}

#[tokio::test]
async fn bad_tls_files_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a pem").unwrap();
    let mut settings = dualcheck_api::Settings::default();
    settings.server.bind = "127.0.0.1:0".into();
    settings.storage.data_dir = dir.path().join("data");
    settings.server.tls_cert = Some(junk.clone());
    settings.server.tls_key = Some(junk);
    let err = dualcheck_api::build(settings)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("TLS"), "{err}");
}
