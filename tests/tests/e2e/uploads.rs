//! Upload bounds over raw HTTP: a body declared over the limit is refused from its header,
//! a body streaming past the limit is refused without reading on, a form with too many
//! parts, a part header without end, or an overlong title is refused; none of it is stored.

use crate::support::{problem, sample_pdf};
use dualcheck_tests::server::{Db, TestServer};
use std::time::Duration;
use store::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LIMIT: u64 = 64 * 1024;
const BOUNDARY: &str = "dcboundary7";

/// Send `head` (request line and headers, without the blank line) and `body`, keep the
/// connection open, and return the status of the answer (within 20 s; the test fails when
/// the server waits for more body instead of answering).
async fn raw(s: &TestServer, head: &str, body: &[u8]) -> u16 {
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    conn.write_all(format!("{head}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    // The server may stop reading (and close) before all of the body is written.
    let _ = conn.write_all(body).await;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("the server answers without waiting for the rest of the body");
    let text = String::from_utf8_lossy(&got);
    let status = text.split(' ').nth(1).unwrap_or("");
    status
        .parse()
        .unwrap_or_else(|_| panic!("no status line in {text:?}"))
}

fn head(s: &TestServer, token: &str, extra: &str) -> String {
    let host = s.base.trim_start_matches("http://");
    format!(
        "POST /api/v1/documents HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{extra}"
    )
}

fn file_part_start() -> Vec<u8> {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes()
}

fn chunk(data: &[u8]) -> Vec<u8> {
    [format!("{:x}\r\n", data.len()).as_bytes(), data, b"\r\n"].concat()
}

async fn bounds(s: &TestServer) {
    let token = s.token("acme", "wendy", &[Role::Writer]).await;

    // Declared over the limit: refused from Content-Length, before any body byte is sent.
    let status = raw(s, &head(s, &token, "Content-Length: 50000000"), b"").await;
    assert_eq!(status, 413);

    // Streamed past the limit (chunked, never finished): refused as soon as the limit is
    // passed; the server does not read on (the old code drained up to 4x the limit).
    let mut body = chunk(&file_part_start());
    for _ in 0..((LIMIT as usize) / 8192 + 2) {
        body.extend(chunk(&[b'x'; 8192]));
    }
    let status = raw(s, &head(s, &token, "Transfer-Encoding: chunked"), &body).await;
    assert_eq!(status, 413);

    // A part header that never ends: bounded by the form's overhead allowance.
    let mut body = chunk(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"")
            .as_bytes(),
    );
    for _ in 0..(2 * (LIMIT as usize) / 8192 + 20) {
        body.extend(chunk(&[b'a'; 8192]));
    }
    let status = raw(s, &head(s, &token, "Transfer-Encoding: chunked"), &body).await;
    assert_eq!(status, 413);

    // Too many parts.
    let mut form = reqwest::multipart::Form::new();
    for i in 0..9 {
        form = form.text(format!("extra{i}"), "x");
    }
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(sample_pdf()).file_name("p.pdf"),
    );
    let res = s
        .client
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    problem(res, 400).await;

    // An overlong title.
    let form = reqwest::multipart::Form::new()
        .text("title", "t".repeat(5000))
        .part(
            "file",
            reqwest::multipart::Part::bytes(sample_pdf()).file_name("p.pdf"),
        );
    let res = s
        .client
        .post(s.url("/api/v1/documents"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    problem(res, 400).await;

    // Nothing of it was stored; a normal upload still works.
    assert_eq!(
        s.store
            .count_rows_in_schema("acme", "documents")
            .await
            .unwrap(),
        0
    );
    assert_eq!(s.upload(&token, "p.pdf", sample_pdf()).await.status(), 201);
}

/// A PDF of `pages` full pages: slow enough to read that two uploads of it overlap.
fn long_pdf(pages: usize) -> Vec<u8> {
    use testkit::pdf::{Options, Page, build};
    let pages: Vec<Page> = (0..pages)
        .map(|i| {
            let mut p = Page::default();
            let lines: Vec<String> = (0..45)
                .map(|k| format!("Section {i}.{k}: participants received the study drug daily."))
                .collect();
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            p.lines(72.0, 740.0, &lines);
            p
        })
        .collect();
    build(&pages, &Options::default())
}

async fn upload_status(s: &TestServer, token: &str, bytes: Vec<u8>) -> (u16, Option<String>) {
    let res = s.upload(token, "long.pdf", bytes).await;
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (res.status().as_u16(), retry)
}

/// One parse slot: of two uploads at the same time, one is read and one is answered 503
/// with `Retry-After`; then the slot is free again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parse_slots_are_capped() {
    let s = TestServer::start(Db::Sqlite, |c| c.ingest.max_concurrent = 1)
        .await
        .unwrap();
    let token = s.token("acme", "wendy", &[Role::Writer]).await;
    let pdf = long_pdf(600);
    let (a, b) = tokio::join!(
        upload_status(&s, &token, pdf.clone()),
        upload_status(&s, &token, pdf.clone())
    );
    let mut got = [a, b];
    got.sort();
    assert_eq!(got[0], (201, None), "{got:?}");
    assert_eq!(got[1], (503, Some("5".into())), "{got:?}");
    assert_eq!(upload_status(&s, &token, pdf).await.0, 201);
    assert_eq!(
        s.store
            .count_rows_in_schema("acme", "documents")
            .await
            .unwrap(),
        2
    );
    s.finish().await;
}

/// A parse over the time limit is abandoned with a typed 422, and nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_parse_is_abandoned() {
    let s = TestServer::start(Db::Sqlite, |c| c.ingest.parse_timeout_ms = 1)
        .await
        .unwrap();
    let token = s.token("acme", "wendy", &[Role::Writer]).await;
    let res = s.upload(&token, "long.pdf", long_pdf(300)).await;
    let p = problem(res, 422).await;
    assert_eq!(p["type"], "urn:dualcheck:problem:parse_timeout", "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("ingest.parse_timeout_ms"),
        "{p}"
    );
    assert_eq!(
        s.store
            .count_rows_in_schema("acme", "documents")
            .await
            .unwrap(),
        0
    );
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_bounds() {
    let s = TestServer::start(Db::Sqlite, |c| c.server.max_upload_bytes = LIMIT)
        .await
        .unwrap();
    bounds(&s).await;
    s.finish().await;
}
