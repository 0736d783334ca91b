//! Logins and sessions over HTTP: the lockout after failed attempts (also under parallel
//! guesses), concurrent logins, idle and absolute session expiry.

use crate::support::{body, problem};
use dualcheck_tests::server::{Db, TestServer};
use serde_json::json;
use store::{Role, Slug};

async fn lockout_after_five_failures(s: &TestServer) {
    let pw = s.user("acme", "lucy", &[Role::Writer]).await;
    // Unknown user and wrong password answer the same.
    let unknown = problem(
        s.login_raw("acme", "nobody", "whatever whatever").await,
        401,
    )
    .await;
    let wrong = problem(s.login_raw("acme", "lucy", "wrong wrong wrong").await, 401).await;
    assert_eq!(unknown["detail"], wrong["detail"]);
    let no_tenant = problem(s.login_raw("nosuch", "lucy", &pw).await, 401).await;
    assert_eq!(no_tenant["detail"], wrong["detail"]);
    for _ in 0..4 {
        problem(s.login_raw("acme", "lucy", "wrong wrong wrong").await, 401).await;
    }
    // Five failures: locked, even with the right password.
    let locked = problem(s.login_raw("acme", "lucy", &pw).await, 429).await;
    assert_eq!(locked["type"], "urn:dualcheck:problem:locked_out");
    // Another user of the tenant is not affected.
    let pw2 = s.user("acme", "mary", &[Role::Writer]).await;
    assert_eq!(s.login_raw("acme", "mary", &pw2).await.status(), 200);
    // The attempts are recorded (for the audit issue's alerting).
    assert!(
        service::lockout::failures(&s.store, "acme", "lucy")
            .await
            .unwrap()
            >= 5
    );
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

async fn token_expiry(db: Db) {
    let Some(s) = TestServer::start(db, |c| c.sessions.idle_secs = 1).await else {
        return;
    };
    let token = s.token("acme", "idle", &[Role::Writer]).await;
    assert_eq!(s.get(&token, "/api/v1/me").await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    problem(s.get(&token, "/api/v1/me").await, 401).await;
    s.finish().await;
    let Some(s) = TestServer::start(db, |c| c.sessions.absolute_secs = 1).await else {
        return;
    };
    let token = s.token("acme", "brief", &[Role::Writer]).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    problem(s.get(&token, "/api/v1/me").await, 401).await;
    s.finish().await;
}

on_both!(lockout, lockout_after_five_failures, |_| {});

on_both!(lockout_under_parallel_guesses, parallel_guesses);

on_both!(logins_at_once, concurrent_logins);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_expiry_sqlite() {
    token_expiry(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_expiry_postgres() {
    token_expiry(Db::Postgres).await;
}
