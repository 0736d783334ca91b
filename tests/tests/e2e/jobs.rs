//! The job queue on both engines: concurrent claims never take one job twice; a lease that
//! expires lets another worker reclaim the job, and the old holder's writes are refused; past
//! the allowed attempts the job fails with the reason; and a `dualcheck worker` process
//! killed mid-job leaves a job that a second worker finishes exactly once.

use crate::support::{body, upload, wait_job};
use dualcheck_tests::server::{Db, TestServer};
use serde_json::{Value, json};
use std::collections::HashSet;
use store::jobs::{NewJob, Outcome, Start};
use store::{By, Role, Slug, StoreError};
use uuid::Uuid;

fn no_workers(s: &mut dualcheck_api::Settings) {
    s.workers.count = 0;
}

async fn enqueue(s: &TestServer, tenant: &Slug, doc: Uuid) -> Uuid {
    let id = Uuid::new_v4();
    s.store
        .enqueue_job(
            tenant,
            NewJob {
                id,
                document_id: doc,
                version: 1,
                requested_by: Uuid::new_v4(),
                options: "{}".into(),
            },
            &By::system(),
            json!({}),
        )
        .await
        .unwrap();
    id
}

async fn claims(s: &TestServer) {
    let writer = s.token("acme", "wendy", &[Role::Writer]).await;
    let doc: Uuid = upload(s, &writer).await.parse().unwrap();
    let tenant = Slug::parse("acme").unwrap();
    let mut ids = HashSet::new();
    for _ in 0..24 {
        ids.insert(enqueue(s, &tenant, doc).await);
    }
    // Six workers claim at once until the queue is empty: each job exactly once.
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let store = s.store.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(c) = store.claim_job(60_000).await.unwrap() {
                assert_eq!(c.attempts, 1);
                got.push(c.job_id);
            }
            got
        }));
    }
    let mut claimed = Vec::new();
    for t in tasks {
        claimed.extend(t.await.unwrap());
    }
    assert_eq!(claimed.len(), 24, "{claimed:?}");
    assert_eq!(claimed.iter().copied().collect::<HashSet<_>>(), ids);

    // An expired lease: the job is claimed again (attempt 2); the first holder's renewal,
    // writes and finish are refused; the new holder finishes it once.
    let by = By::system();
    let job = enqueue(s, &tenant, doc).await;
    let first = s.store.claim_job(1).await.unwrap().unwrap();
    assert_eq!(first.job_id, job);
    assert!(matches!(
        s.store.start_job(&first, 3, &by).await.unwrap(),
        Start::Run(_)
    ));
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let second = s.store.claim_job(60_000).await.unwrap().unwrap();
    assert_eq!((second.job_id, second.attempts), (job, 2));
    assert!(!s.store.renew_lease(&first, 60_000).await.unwrap());
    assert!(s.store.renew_lease(&second, 60_000).await.unwrap());
    let Start::Run(j) = s.store.start_job(&second, 3, &by).await.unwrap() else {
        panic!("the reclaimed job runs");
    };
    assert_eq!(j.attempts, 2);
    let token = first.token.clone();
    let fenced = s
        .store
        .tenant_write(&tenant, move |uow| {
            Box::pin(async move { store::jobs::fence(uow.txn(), job, &token, None).await })
        })
        .await;
    assert!(
        matches!(fenced, Err(StoreError::LeaseLost(_))),
        "{fenced:?}"
    );
    let done = Outcome::Done {
        summary: json!({}),
        timings: json!({}),
    };
    assert!(matches!(
        s.store.finish_job(&first, done.clone(), &by).await,
        Err(StoreError::LeaseLost(_))
    ));
    let j = s
        .store
        .finish_job(&second, done.clone(), &by)
        .await
        .unwrap();
    assert_eq!(j.state, "done");
    assert!(
        s.store.claim_job(60_000).await.unwrap().is_none(),
        "nothing left"
    );

    // Past the allowed attempts the job fails, with the reason.
    let job = enqueue(s, &tenant, doc).await;
    for attempt in 1..=3 {
        let c = s.store.claim_job(1).await.unwrap().unwrap();
        assert_eq!((c.job_id, c.attempts), (job, attempt));
        let started = s.store.start_job(&c, 2, &by).await.unwrap();
        if attempt <= 2 {
            assert!(matches!(started, Start::Run(_)));
        } else {
            let Start::Exhausted(j) = started else {
                panic!("the third claim is past the limit: {started:?}");
            };
            assert_eq!(j.state, "failed");
            assert!(j.error.unwrap().contains("stopped after 2 attempts"));
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(s.store.claim_job(60_000).await.unwrap().is_none());
    let counts = s.store.queue_counts().await.unwrap();
    assert!(counts.contains(&("failed".into(), 1)), "{counts:?}");
}

on_both!(claims, claims, no_workers);

/// A document with enough candidate sentences that a worker is caught mid-job.
fn long_protocol() -> Vec<u8> {
    let sentences: Vec<String> = (1..=8)
        .map(|i| {
            format!(
                "At visit {i} the study nurse will measure the blood pressure of each participant prior to dosing in order to record a baseline value for the visit."
            )
        })
        .collect();
    let refs: Vec<&str> = sentences.iter().map(String::as_str).collect();
    testkit::docx::outline(&[(1, "Visits", &refs)])
}

fn spawn_worker(s: &TestServer, cwd: &std::path::Path) -> std::process::Child {
    let st = &s.settings;
    let mut c = std::process::Command::new(dualcheck_tests::dualcheck_bin());
    c.arg("worker")
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::var("HOME").unwrap_or_default())
        .env("DUALCHECK_STORAGE__DATA_DIR", &st.storage.data_dir)
        .env(
            "DUALCHECK_MODELS__DIR",
            dualcheck_tests::workspace_root().join("models"),
        )
        .env("DUALCHECK_MODELS__AUTO_FETCH", "false")
        .env("DUALCHECK_WORKERS__COUNT", "1")
        .env("DUALCHECK_WORKERS__LEASE_MS", "1500")
        .env("DUALCHECK_WORKERS__BATCH", "1")
        .env("DUALCHECK_WORKERS__POLL_MS", "50")
        .env("DUALCHECK_LOG__FILTER", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit());
    if let Some(url) = &st.database.url {
        c.env("DUALCHECK_DATABASE__URL", url.expose());
    }
    if let Some(role) = &st.database.runtime_role {
        c.env("DUALCHECK_DATABASE__RUNTIME_ROLE", role);
    }
    c.spawn().unwrap()
}

async fn killed_worker(s: &TestServer) {
    let manifest = service::models::load_manifest(None).unwrap();
    let entry = manifest.default_for(ai_suggest::Role::Generator).unwrap();
    let models = dualcheck_tests::workspace_root().join("models");
    if !models.join(&entry.files[0].name).exists() {
        testkit::skip(
            testkit::Require::Models,
            "the default generator is not fetched",
        );
        return;
    }
    let writer = s.token("acme", "wendy", &[Role::Writer]).await;
    let auditor = s.token("acme", "audrey", &[Role::Auditor]).await;
    let doc = body(s.upload(&writer, "visits.docx", long_protocol()).await, 201).await;
    let id = doc["id"].as_str().unwrap();
    let res = s
        .client
        .post(s.url(&format!("/api/v1/documents/{id}/analyses")))
        .bearer_auth(&writer)
        .json(&json!({"kinds": ["rule"]}))
        .send()
        .await
        .unwrap();
    let job = body(res, 202).await;
    let jid = job["id"].as_str().unwrap().to_owned();
    let cwd = tempfile::tempdir().unwrap();

    // The first worker is killed (SIGKILL) once it stored part of the job.
    let mut first = spawn_worker(s, cwd.path());
    let mut seen: Value = Value::Null;
    for _ in 0..1200 {
        seen = body(s.get(&writer, &format!("/api/v1/jobs/{jid}")).await, 200).await;
        if seen["progress"]["done"].as_i64().unwrap_or(0) >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(seen["state"], "running", "{seen}");
    let done_at_kill = seen["progress"]["done"].as_i64().unwrap();
    assert!(done_at_kill < 8, "killed mid-job: {seen}");

    // A second worker reclaims it after the lease and finishes it once.
    let mut second = spawn_worker(s, cwd.path());
    let ended = wait_job(s, &writer, &jid).await;
    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!(ended["state"], "done", "{ended}");
    assert_eq!(ended["attempts"], 2, "{ended}");
    assert_eq!(ended["progress"]["done"], 8, "{ended}");

    let list = body(
        s.get(
            &writer,
            &format!("/api/v1/documents/{id}/suggestions?limit=200"),
        )
        .await,
        200,
    )
    .await;
    let items = list["items"].as_array().unwrap();
    let keys: HashSet<(String, String)> = items
        .iter()
        .map(|i| (i["anchor"].to_string(), i["source"].to_string()))
        .collect();
    assert_eq!(keys.len(), items.len(), "no duplicate proposals: {list}");
    assert_eq!(items.len(), 8, "one rule rewrite per sentence: {list}");
    assert_eq!(ended["summary"]["stored"], 8, "{ended}");

    let events = |action: &'static str| {
        let t = auditor.clone();
        let jid = jid.clone();
        async move {
            let v = body(
                s.get(&t, &format!("/api/v1/audit?action={action}&limit=200"))
                    .await,
                200,
            )
            .await;
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["entity_id"] == jid.as_str())
                .cloned()
                .collect::<Vec<Value>>()
        }
    };
    assert_eq!(events("analysis.complete").await.len(), 1);
    let starts = events("analysis.start").await;
    assert_eq!(starts.len(), 2);
    assert!(
        starts.iter().any(|e| e["new_value"]["reclaimed"] == true),
        "{starts:?}"
    );
    assert!(
        starts
            .iter()
            .any(|e| e["new_value"]["resume_from"].as_i64() >= Some(done_at_kill)),
        "the second worker resumes after the stored batches: {starts:?}"
    );
    let v = body(s.get(&auditor, "/api/v1/audit/verify").await, 200).await;
    assert_eq!(v["ok"], true, "{v}");
}

on_both!(killed_worker, killed_worker, no_workers);
