//! Password attempts over HTTP: rate limits per client address and per tenant (429 with
//! `Retry-After`, before the password is checked), and a burst of failed logins from one
//! address recorded as one event with a count.

use crate::support::{allow_inserts, body, problem, refuse_inserts};
use dualcheck_tests::server::{Db, TestServer};
use serde_json::{Value, json};
use std::net::IpAddr;
use store::Role;

/// A client whose connections come from `ip` (any 127.x address reaches the server).
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn login(
    s: &TestServer,
    c: &reqwest::Client,
    tenant: &str,
    user: &str,
    pw: &str,
) -> reqwest::Response {
    c.post(s.url("/api/v1/auth/login"))
        .json(&json!({"tenant": tenant, "username": user, "password": pw}))
        .send()
        .await
        .unwrap()
}

async fn rate_limited(res: reqwest::Response) -> Value {
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let p = problem(res, 429).await;
    assert_eq!(p["type"], "urn:dualcheck:problem:rate_limited", "{p}");
    p
}

async fn per_address(s: &TestServer) {
    let pw = s.user("acme", "alice", &[Role::Writer]).await;
    let (a, b) = (client_from("127.0.0.1"), client_from("127.0.0.2"));
    for _ in 0..3 {
        problem(login(s, &a, "acme", "alice", "not the password").await, 401).await;
    }
    // The fourth attempt from this address is refused before the password is looked at:
    // even the right password.
    rate_limited(login(s, &a, "acme", "alice", &pw).await).await;
    // Another address is not limited by the first one's attempts.
    assert_eq!(login(s, &b, "acme", "alice", &pw).await.status(), 200);
}

on_both!(rate_limit_per_address, per_address, |c| {
    c.limits.attempts_per_address_per_minute = 3;
});

async fn per_tenant(s: &TestServer) {
    s.user("acme", "alice", &[Role::Writer]).await;
    let pw = s.user("beta", "bob", &[Role::Writer]).await;
    for (i, ip) in ["127.0.0.3", "127.0.0.4", "127.0.0.5"].iter().enumerate() {
        let res = login(s, &client_from(ip), "acme", "alice", "not the password").await;
        if i < 2 {
            problem(res, 401).await;
        } else {
            rate_limited(res).await;
        }
    }
    // Another tenant has its own allowance.
    assert_eq!(
        login(s, &client_from("127.0.0.6"), "beta", "bob", &pw)
            .await
            .status(),
        200
    );
}

on_both!(rate_limit_per_tenant, per_tenant, |c| {
    c.limits.attempts_per_tenant_per_minute = 2;
});

/// `auth.login_failed` events of acme, oldest first.
async fn failed_events(s: &TestServer, auditor: &str) -> Vec<Value> {
    let v = body(
        s.get(auditor, "/api/v1/audit?action=auth.login_failed")
            .await,
        200,
    )
    .await;
    v["items"].as_array().unwrap().clone()
}

async fn collapsed_burst(s: &TestServer) {
    let auditor = s.token("acme", "audrey", &[Role::Auditor]).await;
    s.user("acme", "alice", &[Role::Writer]).await;
    let c = client_from("127.0.0.7");
    for user in ["alice", "alice", "mallory"] {
        problem(login(s, &c, "acme", user, "not the password").await, 401).await;
    }
    // The first failure is recorded at once; the next two are counted, not recorded.
    let events = failed_events(s, &auditor).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["request"]["client_ip"], "127.0.0.7");
    // Once the interval is over, the next failure records the burst's summary first.
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    problem(login(s, &c, "acme", "alice", "not the password").await, 401).await;
    let events = failed_events(s, &auditor).await;
    assert_eq!(events.len(), 3, "{events:?}");
    let summary = &events[1]["new_value"]["collapsed"];
    assert_eq!(summary["failures"], 2, "{summary}");
    assert_eq!(summary["usernames"], json!(["alice", "mallory"]));
    assert_eq!(events[1]["request"]["client_ip"], "127.0.0.7");
    assert!(events[2]["new_value"]["collapsed"].is_null());
    // The attempt log counted all four toward alice's lockout (three are hers; one more
    // failure and then a fifth locks her out).
    for _ in 0..2 {
        let _ = login(s, &c, "acme", "alice", "not the password").await;
    }
    problem(login(s, &c, "acme", "alice", "not the password").await, 429).await;
}

on_both!(failed_logins_collapse, collapsed_burst, |c| {
    c.limits.collapse_failures_secs = 1;
});

/// A failed login and its event are one change: when the event cannot be written, the
/// attempt is not resolved either (it stays reserved, counting toward the lockout until it
/// goes stale), and when it can, both are there.
async fn failed_attempt_and_event_together(s: &TestServer) {
    s.user("acme", "alice", &[Role::Writer]).await;
    let slug = store::Slug::parse("acme").unwrap();
    refuse_inserts(
        s,
        "acme",
        "audit_events",
        "NEW.action = 'auth.login_failed'",
    )
    .await;
    let c = reqwest::Client::new();
    problem(login(s, &c, "acme", "alice", "not the password").await, 500).await;
    let reasons = s.store.attempt_reasons("acme", "alice").await.unwrap();
    assert_eq!(
        reasons,
        ["pending"],
        "the attempt was not resolved without its event"
    );

    allow_inserts(s, "acme", "audit_events").await;
    problem(login(s, &c, "acme", "alice", "not the password").await, 401).await;
    let reasons = s.store.attempt_reasons("acme", "alice").await.unwrap();
    assert_eq!(reasons, ["pending", "bad_credentials"]);
    let (events, _) = s.store.audit_all(&slug).await.unwrap();
    let failed = events
        .iter()
        .filter(|e| e.action == "auth.login_failed")
        .count();
    assert_eq!(failed, 1, "only the second failure has its event");
}

on_both!(
    failed_attempt_with_its_event,
    failed_attempt_and_event_together
);
