//! Helpers shared by the HTTP scenarios: reading a response, uploading a fixture document,
//! a new version.

use dualcheck_tests::server::TestServer;
use serde_json::Value;
use testkit::pdf::text_pdf;

pub(crate) async fn body(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

pub(crate) async fn upload(s: &TestServer, token: &str) -> String {
    let v = body(
        s.upload(
            token,
            "protocol.pdf",
            text_pdf(&["1 Introduction", "Patients received 10 mg daily."]),
        )
        .await,
        201,
    )
    .await;
    v["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn new_version(s: &TestServer, token: &str, id: &str) {
    let part = reqwest::multipart::Part::bytes(text_pdf(&[
        "1 Introduction",
        "Patients received 20 mg daily.",
    ]))
    .file_name("protocol-v2.pdf");
    let res = s
        .client
        .post(s.url(&format!("/api/v1/documents/{id}/versions")))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    body(res, 201).await;
}

pub(crate) fn sample_docx() -> Vec<u8> {
    testkit::docx::outline(&[(
        1,
        "Introduction",
        &[
            "Patients received 10 mg of the study drug once daily. No serious adverse events occurred.",
        ],
    )])
}

pub(crate) fn sample_pdf() -> Vec<u8> {
    text_pdf(&[
        "Clinical Study Protocol",
        "Patients received 10 mg of the study drug once daily.",
        "No serious adverse events were reported.",
    ])
}

pub(crate) async fn problem(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status(), status, "status");
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(ct, "application/problem+json");
    assert!(res.headers().contains_key("x-request-id"));
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["status"], status);
    assert!(v["request_id"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(
        v["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:dualcheck:problem:")
    );
    v
}

/// Make inserts into `table` of `tenant` fail for the rows `when` selects (an SQL condition
/// on `NEW`, e.g. `true`), with a trigger as a superuser could add; [`allow_inserts`] drops it.
pub(crate) async fn refuse_inserts(s: &TestServer, tenant: &str, table: &str, when: &str) {
    let slug = store::Slug::parse(tenant).unwrap();
    let sql = match s.store.backend() {
        store::Backend::Sqlite => vec![format!(
            "CREATE TRIGGER test_refuse BEFORE INSERT ON {table} WHEN {when} \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )],
        store::Backend::Postgres => vec![
            "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
                .to_owned(),
            format!(
                "CREATE TRIGGER test_refuse BEFORE INSERT ON {table} FOR EACH ROW \
                 WHEN ({when}) EXECUTE FUNCTION test_refuse()"
            ),
        ],
    };
    for q in sql {
        s.store.tenant_execute(&slug, &q).await.unwrap();
    }
}

/// Drop the trigger of [`refuse_inserts`].
pub(crate) async fn allow_inserts(s: &TestServer, tenant: &str, table: &str) {
    let slug = store::Slug::parse(tenant).unwrap();
    let sql = match s.store.backend() {
        store::Backend::Sqlite => "DROP TRIGGER test_refuse".to_owned(),
        store::Backend::Postgres => format!("DROP TRIGGER test_refuse ON {table}"),
    };
    s.store.tenant_execute(&slug, &sql).await.unwrap();
}

/// Request an analysis of `id` (`options` as the API takes them) and wait until its job
/// ends; the job as JSON.
pub(crate) async fn analyse(s: &TestServer, token: &str, id: &str, options: Value) -> Value {
    let res = s
        .client
        .post(s.url(&format!("/api/v1/documents/{id}/analyses")))
        .bearer_auth(token)
        .json(&options)
        .send()
        .await
        .unwrap();
    let job = body(res, 202).await;
    wait_job(s, token, job["id"].as_str().unwrap()).await
}

/// Poll a job until it ends (at most five minutes).
pub(crate) async fn wait_job(s: &TestServer, token: &str, job: &str) -> Value {
    for _ in 0..3000 {
        let v = body(s.get(token, &format!("/api/v1/jobs/{job}")).await, 200).await;
        if ["done", "failed", "cancelled"].contains(&v["state"].as_str().unwrap_or("")) {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("job {job} did not end");
}

/// Bring version `version` of `id` (a document with no candidate sentence, like
/// [`upload`]'s) to `reviewed`: an analysis that leaves nothing to decide.
pub(crate) async fn reviewed(s: &TestServer, token: &str, id: &str, version: i32) {
    let job = analyse(s, token, id, serde_json::json!({"version": version})).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["summary"]["candidates"], 0, "{job}");
}
