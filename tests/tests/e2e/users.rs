//! Users and roles over HTTP: what each role may and may not do, no one grants themselves a
//! role, privileged grants need a reason, passwords changed, reset and not reused.

use crate::support::{body, problem, sample_pdf};
use dualcheck_tests::server::{Db, TestServer};
use serde_json::{Value, json};
use store::Role;

async fn roles_allowed_and_forbidden(s: &TestServer) {
    let writer = s.token("acme", "writer1", &[Role::Writer]).await;
    let qa = s.token("acme", "qa1", &[Role::Qa]).await;
    let manager = s.token("acme", "manager1", &[Role::Manager]).await;
    let auditor = s.token("acme", "auditor1", &[Role::Auditor]).await;
    let admin = s.token("acme", "admin1", &[Role::Admin]).await;

    let created: Value = s
        .upload(&writer, "p.pdf", sample_pdf())
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    for t in [&qa, &manager, &auditor, &admin] {
        problem(s.upload(t, "p.pdf", sample_pdf()).await, 403).await;
        assert_eq!(
            s.get(t, &format!("/api/v1/documents/{id}")).await.status(),
            200
        );
        assert_eq!(s.get(t, "/api/v1/documents").await.status(), 200);
        assert_eq!(
            s.get(t, &format!("/api/v1/documents/{id}/original"))
                .await
                .status(),
            200
        );
    }
    for t in [&writer, &qa, &manager, &auditor] {
        problem(s.get(t, "/api/v1/users").await, 403).await;
        let res = s
            .client
            .post(s.url("/api/v1/users"))
            .bearer_auth(t)
            .json(&json!({"username": "eve", "password": "a long enough passphrase", "roles": ["admin"]}))
            .send()
            .await
            .unwrap();
        problem(res, 403).await;
    }
    // Admin creates, lists and changes users.
    let res = s
        .client
        .post(s.url("/api/v1/users"))
        .bearer_auth(&admin)
        .json(&json!({"username": "newbie", "display_name": "New Bie", "password": "a long enough passphrase", "roles": ["writer"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let newbie: Value = res.json().await.unwrap();
    let res = s
        .client
        .post(s.url("/api/v1/users"))
        .bearer_auth(&admin)
        .json(&json!({"username": "newbie", "password": "a long enough passphrase", "roles": ["writer"]}))
        .send()
        .await
        .unwrap();
    problem(res, 409).await;
    let res = s
        .client
        .post(s.url("/api/v1/users"))
        .bearer_auth(&admin)
        .json(&json!({"username": "shorty", "password": "short", "roles": ["writer"]}))
        .send()
        .await
        .unwrap();
    problem(res, 400).await;
    let res = s
        .client
        .post(s.url("/api/v1/users"))
        .bearer_auth(&admin)
        .json(&json!({"username": "samename1234", "password": "samename1234", "roles": ["writer"]}))
        .send()
        .await
        .unwrap();
    problem(res, 400).await;
    let users: Value = s.get(&admin, "/api/v1/users").await.json().await.unwrap();
    assert_eq!(users.as_array().unwrap().len(), 6);
    let login = s
        .login_raw("acme", "newbie", "a long enough passphrase")
        .await;
    assert_eq!(login.status(), 200);
    let newbie_token = login.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let uid = newbie["id"].as_str().unwrap();
    let res = s
        .client
        .patch(s.url(&format!("/api/v1/users/{uid}")))
        .bearer_auth(&admin)
        .json(&json!({"roles": ["qa", "auditor"], "reason": "moved to QA (change request CR-7)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let me: Value = s
        .get(&newbie_token, "/api/v1/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["roles"], json!(["qa", "auditor"]));
    problem(s.upload(&newbie_token, "p.pdf", sample_pdf()).await, 403).await;
    // Deactivation revokes the sessions and blocks login.
    let res = s
        .client
        .patch(s.url(&format!("/api/v1/users/{uid}")))
        .bearer_auth(&admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    problem(s.get(&newbie_token, "/api/v1/me").await, 401).await;
    problem(
        s.login_raw("acme", "newbie", "a long enough passphrase")
            .await,
        401,
    )
    .await;
    // PATCH on an unknown user, or with an unknown role.
    let res = s
        .client
        .patch(s.url(&format!("/api/v1/users/{}", uuid::Uuid::new_v4())))
        .bearer_auth(&admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    problem(res, 404).await;
    let res = s
        .client
        .patch(s.url(&format!("/api/v1/users/{uid}")))
        .bearer_auth(&admin)
        .json(&json!({"roles": ["superuser"]}))
        .send()
        .await
        .unwrap();
    problem(res, 400).await;
    // No token, forged token, wrong scheme.
    let res = s
        .client
        .get(s.url("/api/v1/documents"))
        .send()
        .await
        .unwrap();
    let p = problem(res, 401).await;
    assert_eq!(p["type"], "urn:dualcheck:problem:unauthenticated");
    problem(s.get(&"ab".repeat(32), "/api/v1/documents").await, 401).await;
    problem(s.get("not-a-token", "/api/v1/documents").await, 401).await;
    let res = s
        .client
        .get(s.url("/api/v1/documents"))
        .header("Authorization", format!("Basic {writer}"))
        .send()
        .await
        .unwrap();
    problem(res, 401).await;
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
    // Nothing but the password change, seeing oneself and logging out: not even reads.
    for path in ["/api/v1/users", "/api/v1/models", "/api/v1/documents"] {
        let p = body(s.get(&admin, path).await, 403).await;
        assert_eq!(
            p["type"], "urn:dualcheck:problem:password_change_required",
            "{path}: {p}"
        );
    }
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

/// Logins and user changes at the same time (both lock the tenant's head first, then the
/// control plane): 8 parallel logins, each three times, while an admin updates the same
/// users; not one request fails.
async fn logins_during_user_changes(s: &TestServer) {
    let admin = s.token("acme", "ada", &[Role::Admin]).await;
    let mut accounts = Vec::new();
    for i in 0..8 {
        let name = format!("user{i}");
        let password = s.user("acme", &name, &[Role::Writer]).await;
        accounts.push((name, password));
    }
    let list: Value = s.get(&admin, "/api/v1/users").await.json().await.unwrap();
    let ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["username"].as_str().unwrap().starts_with("user"))
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 8);
    let mut tasks = Vec::new();
    for (name, password) in accounts {
        let (client, url) = (s.client.clone(), s.url("/api/v1/auth/login"));
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for _ in 0..3 {
                let res = client
                    .post(&url)
                    .json(&json!({"tenant": "acme", "username": name, "password": password}))
                    .send()
                    .await
                    .unwrap();
                out.push((format!("login {name}"), res.status().as_u16()));
            }
            out
        }));
    }
    let (client, base) = (s.client.clone(), s.url("/api/v1/users"));
    tasks.push(tokio::spawn(async move {
        let mut out = Vec::new();
        for round in 0..3 {
            for id in &ids {
                let res = client
                    .patch(format!("{base}/{id}"))
                    .bearer_auth(&admin)
                    .json(&json!({"display_name": format!("Renamed {round}")}))
                    .send()
                    .await
                    .unwrap();
                out.push((format!("update {id}"), res.status().as_u16()));
            }
        }
        out
    }));
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.extend(t.await.unwrap());
    }
    assert_eq!(statuses.len(), 8 * 3 + 8 * 3);
    let failed: Vec<_> = statuses.iter().filter(|(_, st)| *st != 200).collect();
    assert!(failed.is_empty(), "{failed:?}");
}

on_both!(roles, roles_allowed_and_forbidden, |_| {});
on_both!(
    concurrent_logins_and_user_changes,
    logins_during_user_changes
);

on_both!(own_roles_and_grant_reasons, role_changes);

on_both!(passwords_change_reset_history, password_lifecycle);
